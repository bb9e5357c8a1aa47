//! E-invoices: numbered once per paid order, rendered to PDF (off the async
//! threads), kept in the blob store, and mailed to the address on the order.

use bytes::Bytes;
use domain::Msg;
use store::invoices::{self, InvoiceRow};
use store::{counters, orders};

use super::invoice_form::{InvoiceInfo, TitleType};
use super::jobs::retry_delay;
use crate::mail::{Attached, MailError};
use crate::{Ra, RaError, new_id};

/// How long a sender holds an invoice's mail: longer than any send may take
/// (the SMTP transport gives up after `mail::SEND_TIMEOUT`), and how long a
/// mail interrupted by a crash waits before it goes again.
const MAIL_CLAIM_MS: i64 = 30_000;

/// After this many failed tries an invoice's mail is given up and shown to
/// finance (about a day and a half with the backoff).
const MAIL_GIVE_UP_AFTER: i64 = 40;

fn date_zh(ms: i64) -> String {
    let (y, m, d, ..) = domain::calendar::civil(ms.div_euclid(1000) + 8 * 3600);
    format!("{y}年{m}月{d}日")
}

impl Ra {
    /// Issues the invoice of a paid order; returns the existing one if it has one.
    pub async fn issue_invoice(&self, order_id: &str) -> Result<InvoiceRow, RaError> {
        let mut conn = self.db.conn().await?;
        if let Some(existing) = invoices::for_order(&mut conn, order_id).await? {
            return Ok(existing);
        }
        let order = orders::by_id(&mut conn, order_id)
            .await?
            .ok_or(RaError::NotFound)?;
        if order.state != domain::OrderState::Paid {
            return Err(RaError::Conflict(Msg::new("订单未支付")));
        }
        drop(conn);
        let info: InvoiceInfo = order
            .invoice
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .ok_or_else(|| RaError::Invalid(Msg::new("请先填写电子发票信息")))?;
        let fonts = self
            .pay
            .fonts
            .clone()
            .ok_or_else(|| RaError::Invalid(Msg::new("发票字体未配置")))?;
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        let seq = counters::next(&mut tx, "invoice_seq").await?;
        let (year, ..) = domain::calendar::civil(now.div_euclid(1000) + 8 * 3600);
        let number = format!("{year}{seq:010}");
        let data = invoice::InvoiceData {
            number: number.clone(),
            date: date_zh(now),
            buyer: invoice::Party {
                name: info.title.clone(),
                tax_id: info.tax_id.clone(),
            },
            seller: invoice::Party {
                name: self.pay.seller.name.clone(),
                tax_id: self.pay.seller.tax_id.clone(),
            },
            lines: vec![invoice::Line {
                name: format!("*信息技术服务*{}", order.subject),
                quantity: 1,
                amount_fen: order.amount_fen,
            }],
            total_fen: order.amount_fen,
            note: format!("订单号 {}", order.out_trade_no),
        };
        let pdf = tokio::task::spawn_blocking(move || invoice::render(&data, &fonts))
            .await
            .map_err(|_| RaError::Invalid(Msg::new("发票生成失败")))?
            .map_err(|e| {
                tracing::error!(error = %e, "invoice PDF failed");
                RaError::Invalid(Msg::new("发票生成失败"))
            })?;
        let key = format!("invoices/{number}.pdf");
        self.blobs.put(&key, Bytes::from(pdf.clone())).await?;
        let row = InvoiceRow {
            id: new_id(),
            order_id: order.id.clone(),
            number: number.clone(),
            title_type: match info.title_type {
                TitleType::Company => "company".into(),
                TitleType::Personal => "personal".into(),
            },
            title: info.title.clone(),
            tax_id: (!info.tax_id.is_empty()).then(|| info.tax_id.clone()),
            email: Some(info.email.clone()),
            amount_fen: order.amount_fen,
            issued_at: now,
            blob_key: key,
            mailed_at: None,
            mail_attempts: 0,
            mail_next_at: now,
            mail_error: None,
            mail_failed_at: None,
            mail_sending_at: None,
        };
        if !invoices::insert(&mut tx, &row).await? {
            // Issued concurrently by another path: keep theirs.
            drop(tx);
            return invoices::for_order(&mut *self.db.conn().await?, order_id)
                .await?
                .ok_or(RaError::NotFound);
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(invoice.number = %number, order.id = %order.id, "invoice issued");
        self.mail_invoice(&row, pdf).await;
        Ok(row)
    }

    /// Mails an invoice to the address on its order, once: the mail is
    /// claimed first (so no other instance sends it meanwhile), sent with a
    /// Message-ID derived from the invoice, then recorded. On failure the job
    /// retries with backoff; after a crash between sending and recording the
    /// claim runs out and the same message goes again, which mail systems
    /// (and the file outbox) recognise as the same one.
    pub(crate) async fn mail_invoice(&self, row: &InvoiceRow, pdf: Vec<u8>) {
        let Some(to) = row.email.as_deref() else {
            return;
        };
        let now = self.now_ms();
        match self.db.conn().await {
            Ok(mut c) => {
                match invoices::claim_mail(&mut c, &row.id, now, now + MAIL_CLAIM_MS).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(invoice.number = %row.number, error = ?e, "invoice mail not claimed; the job retries");
                        return;
                    }
                }
            }
            Err(_) => return,
        }
        if row.mail_sending_at.is_some() {
            tracing::warn!(invoice.number = %row.number, "an earlier send of this invoice was interrupted; sending it again with the same Message-ID");
        }
        let out_trade_no = match self.db.conn().await {
            Ok(mut c) => orders::by_id(&mut c, &row.order_id)
                .await
                .ok()
                .flatten()
                .map(|o| o.out_trade_no)
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        let text = format!(
            "您好：\n\n您在{}支付的订单 {} 已开具电子发票，发票号码 {}，金额 {}，见附件。\n",
            self.pay.seller.name,
            out_trade_no,
            row.number,
            domain::Fen(row.amount_fen)
        );
        let attached = Attached {
            name: format!("电子发票-{}.pdf", row.number),
            content_type: "application/pdf",
            bytes: pdf,
        };
        let message_id = self.pay.mailer.message_id(&format!("invoice.{}", row.id));
        let sent = self
            .pay
            .mailer
            .send(
                &message_id,
                to,
                &format!("电子发票 {}", row.number),
                &text,
                Some(attached),
            )
            .await;
        if sent.is_ok() {
            domain::fault::point("invoice.mail.sent");
        }
        let Ok(mut c) = self.db.conn().await else {
            return;
        };
        let now = self.now_ms();
        let recorded = match sent {
            Ok(()) => invoices::mailed(&mut c, &row.id, now).await,
            Err(MailError::Address(why)) => {
                // Retrying cannot help: finance sees it and contacts the holder.
                tracing::warn!(invoice.number = %row.number, "invoice address cannot be mailed; given up");
                invoices::mail_failed(
                    &mut c,
                    &row.id,
                    &format!("邮箱地址无法投递：{why}"),
                    now,
                    now,
                    0,
                )
                .await
            }
            Err(MailError::Failed(why)) => {
                let next = now + crate::ms(retry_delay(row.mail_attempts));
                tracing::warn!(invoice.number = %row.number, attempts = row.mail_attempts + 1, "invoice not mailed; will retry");
                invoices::mail_failed(&mut c, &row.id, &why, now, next, MAIL_GIVE_UP_AFTER).await
            }
        };
        if let Err(e) = recorded {
            tracing::error!(invoice.number = %row.number, error = ?e, "invoice mail outcome not recorded");
        }
    }

    /// Mails the invoices whose mail is due (a mail outage left them unsent).
    pub(crate) async fn mail_unsent_invoices(&self) {
        let rows = match self.db.conn().await {
            Ok(mut c) => invoices::mail_due(&mut c, self.now_ms(), 20)
                .await
                .unwrap_or_default(),
            Err(_) => return,
        };
        for row in rows {
            if let Ok(pdf) = self.blobs.get(&row.blob_key).await {
                self.mail_invoice(&row, pdf.to_vec()).await;
            }
        }
    }

    /// The invoice PDF of one of the holder's orders.
    pub async fn invoice_pdf(
        &self,
        holder_id: &str,
        order_id: &str,
    ) -> Result<(InvoiceRow, Bytes), RaError> {
        let view = self.order(holder_id, order_id).await?;
        let row = view.invoice.ok_or(RaError::NotFound)?;
        let bytes = self.blobs.get(&row.blob_key).await?;
        Ok((row, bytes))
    }
}
