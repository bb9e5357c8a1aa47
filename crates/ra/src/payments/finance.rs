//! Finance in the back office: the lists (and their CSV exports), confirming or
//! refusing a 对公转账 receipt, retrying a refund the gateway has not confirmed,
//! and booking a bank-transfer refund paid back by hand.

use bytes::Bytes;
use domain::Perm;
use serde_json::json;
use store::finance::{
    self, FinanceFilter, FinanceInvoice, FinanceOrder, FinanceRefund, FinanceTransfer,
};

use domain::RefundState;

use super::Channel;
use super::settle::Settled;
use crate::staff::StaffMember;
use crate::{Msg, Ra, RaError};

/// Rows per list on the page and per export.
const LIST_LIMIT: i64 = 200;
const EXPORT_LIMIT: i64 = 100_000;

/// Everything on the finance page.
#[derive(Debug, Clone, Default)]
pub struct FinanceView {
    pub orders: Vec<FinanceOrder>,
    pub refunds: Vec<FinanceRefund>,
    pub invoices: Vec<FinanceInvoice>,
    pub transfers: Vec<FinanceTransfer>,
}

impl Ra {
    pub async fn finance_view(
        &self,
        who: &StaffMember,
        f: &FinanceFilter,
    ) -> Result<FinanceView, RaError> {
        who.require(Perm::ViewFinance)?;
        let mut conn = self.db.conn().await?;
        let f = FinanceFilter {
            limit: LIST_LIMIT,
            ..f.clone()
        };
        let plain = FinanceFilter {
            state: None,
            channel: None,
            number: None,
            ..f.clone()
        };
        Ok(FinanceView {
            orders: finance::orders(&mut conn, &f).await?,
            refunds: finance::refunds(&mut conn, &plain).await?,
            invoices: finance::invoices(&mut conn, &plain).await?,
            transfers: finance::transfers(&mut conn, &plain).await?,
        })
    }

    /// One list as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese).
    pub async fn finance_csv(
        &self,
        who: &StaffMember,
        what: &str,
        f: &FinanceFilter,
    ) -> Result<String, RaError> {
        who.require(Perm::ViewFinance)?;
        let f = FinanceFilter {
            limit: EXPORT_LIMIT,
            ..f.clone()
        };
        let mut conn = self.db.conn().await?;
        let rows: Vec<Vec<String>> = match what {
            "orders" => {
                let mut out = vec![row(&[
                    "订单号",
                    "申请编号",
                    "项目",
                    "金额（元）",
                    "状态",
                    "支付渠道",
                    "渠道交易号",
                    "下单时间",
                    "支付时间",
                    "发票号码",
                    "发票抬头",
                    "退款状态",
                    "退款金额（元）",
                ])];
                for o in finance::orders(&mut conn, &f).await? {
                    out.push(vec![
                        o.out_trade_no,
                        o.application_id,
                        o.subject,
                        yuan(o.amount_fen),
                        o.state.key().to_string(),
                        key_or_empty(o.channel.map(Channel::key)),
                        o.gateway_trade_no.unwrap_or_default(),
                        time(Some(o.created_at)),
                        time(o.paid_at),
                        o.invoice_number.unwrap_or_default(),
                        o.invoice_title.unwrap_or_default(),
                        key_or_empty(o.refund_state.map(RefundState::key)),
                        o.refund_fen.map(yuan).unwrap_or_default(),
                    ]);
                }
                out
            }
            "refunds" => {
                let mut out = vec![row(&[
                    "退款单号",
                    "订单号",
                    "渠道",
                    "金额（元）",
                    "原因",
                    "状态",
                    "尝试次数",
                    "最后错误",
                    "发起时间",
                    "完成时间",
                ])];
                for r in finance::refunds(&mut conn, &f).await? {
                    out.push(vec![
                        r.out_refund_no,
                        r.out_trade_no,
                        key_or_empty(r.channel.map(Channel::key)),
                        yuan(r.amount_fen),
                        r.reason,
                        r.state.key().to_string(),
                        r.attempts.to_string(),
                        r.last_error.unwrap_or_default(),
                        time(Some(r.created_at)),
                        time(r.done_at),
                    ]);
                }
                out
            }
            "invoices" => {
                let mut out = vec![row(&[
                    "发票号码",
                    "订单号",
                    "抬头类型",
                    "抬头",
                    "纳税人识别号",
                    "金额（元）",
                    "开票时间",
                    "邮寄时间",
                ])];
                for i in finance::invoices(&mut conn, &f).await? {
                    out.push(vec![
                        i.number,
                        i.out_trade_no,
                        i.title_type,
                        i.title,
                        i.tax_id.unwrap_or_default(),
                        yuan(i.amount_fen),
                        time(Some(i.issued_at)),
                        time(i.mailed_at),
                    ]);
                }
                out
            }
            "transfers" => {
                let mut out = vec![row(&[
                    "订单号",
                    "金额（元）",
                    "凭证文件",
                    "状态",
                    "上传时间",
                    "处理人",
                    "处理时间",
                ])];
                for t in finance::transfers(&mut conn, &f).await? {
                    out.push(vec![
                        t.out_trade_no,
                        yuan(t.amount_fen),
                        t.file_name,
                        t.state.key().to_string(),
                        time(Some(t.uploaded_at)),
                        t.decided_by.unwrap_or_default(),
                        time(t.decided_at),
                    ]);
                }
                out
            }
            _ => return Err(RaError::NotFound),
        };
        let mut csv = String::from("\u{feff}");
        for r in rows {
            csv.push_str(&r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
            csv.push_str("\r\n");
        }
        Ok(csv)
    }

    /// The holder's receipt, for finance to compare with the bank statement.
    pub async fn receipt_for_staff(
        &self,
        who: &StaffMember,
        transfer_id: &str,
    ) -> Result<(store::invoices::BankTransferRow, Bytes), RaError> {
        who.require(Perm::ViewFinance)?;
        let t = finance::transfer_by_id(&mut *self.db.conn().await?, transfer_id)
            .await?
            .ok_or(RaError::NotFound)?;
        let bytes = self.blobs.get(&t.blob_key).await?;
        Ok((t, bytes))
    }

    /// Finance saw the money on the account: the order is paid.
    pub async fn confirm_transfer_by_staff(
        &self,
        who: &StaffMember,
        transfer_id: &str,
    ) -> Result<Settled, RaError> {
        who.require(Perm::ActFinance)?;
        let t = finance::transfer_by_id(&mut *self.db.conn().await?, transfer_id)
            .await?
            .ok_or(RaError::NotFound)?;
        if t.state != domain::TransferState::Submitted {
            return Err(RaError::Conflict(Msg::new("该转账凭证已处理")));
        }
        self.confirm_transfer(&t, &who.actor()).await
    }

    /// The receipt does not match a payment: refused with the reason the holder
    /// sees; they may upload another.
    pub async fn refuse_transfer_by_staff(
        &self,
        who: &StaffMember,
        transfer_id: &str,
        reason: &str,
    ) -> Result<(), RaError> {
        who.require(Perm::ActFinance)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(RaError::Invalid(Msg::new("请填写原因，申请人将看到该原因")));
        }
        let t = finance::transfer_by_id(&mut *self.db.conn().await?, transfer_id)
            .await?
            .ok_or(RaError::NotFound)?;
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        if !store::invoices::decide_transfer(
            &mut tx,
            &t.id,
            domain::TransferState::Rejected,
            &who.actor(),
            now,
        )
        .await?
        {
            return Err(RaError::Conflict(Msg::new("该转账凭证已处理")));
        }
        store::audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &store::audit::Event {
                actor: &who.actor(),
                action: "payment.transfer_refused",
                object: &t.order_id,
                details: json!({ "transfer": t.id, "reason": reason }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(())
    }

    /// Asks the gateway again for a refund it has not confirmed.
    pub async fn retry_refund_by_staff(
        &self,
        who: &StaffMember,
        refund_id: &str,
    ) -> Result<(), RaError> {
        who.require(Perm::ActFinance)?;
        let mut r = self.pending_refund(refund_id).await?;
        if r.state == domain::RefundState::Failed {
            // Given up by the job: finance puts it back in its hands.
            let mut conn = self.db.conn().await?;
            store::refunds::revive(&mut conn, &r.id, self.now_ms()).await?;
            r = store::refunds::by_id(&mut conn, &r.id)
                .await?
                .ok_or(RaError::NotFound)?;
        }
        self.refund_once(&r).await
    }

    /// A bank-transfer refund finance paid back by hand, booked with the bank's
    /// reference.
    pub async fn refund_paid_by_staff(
        &self,
        who: &StaffMember,
        refund_id: &str,
        bank_reference: &str,
    ) -> Result<(), RaError> {
        who.require(Perm::ActFinance)?;
        let reference = bank_reference.trim();
        if reference.is_empty() || reference.chars().count() > 64 {
            return Err(RaError::Invalid(Msg::new("请填写银行回单号")));
        }
        let r = self.pending_refund(refund_id).await?;
        let order = store::orders::by_id(&mut *self.db.conn().await?, &r.order_id)
            .await?
            .ok_or(RaError::NotFound)?;
        if r.channel != Some(Channel::Bank) {
            return Err(RaError::Conflict(Msg::new(
                "该订单经在线渠道支付，退款由渠道原路退回，请使用“重试退款”",
            )));
        }
        let r = store::refunds::RefundRow {
            out_refund_no: format!("{} / {reference}", r.out_refund_no),
            ..r
        };
        if !self.book_refund(&r, &order, &who.actor()).await? {
            return Err(RaError::Conflict(Msg::new("该退款已完成")));
        }
        Ok(())
    }

    async fn pending_refund(&self, id: &str) -> Result<store::refunds::RefundRow, RaError> {
        let r = store::refunds::by_id(&mut *self.db.conn().await?, id)
            .await?
            .ok_or(RaError::NotFound)?;
        if !r.live() {
            return Err(RaError::Conflict(Msg::new("该退款已完成")));
        }
        Ok(r)
    }
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

fn yuan(fen: i64) -> String {
    domain::Fen(fen).yuan_string()
}

fn time(ms: Option<i64>) -> String {
    ms.map(ca::asn1time::beijing_minutes).unwrap_or_default()
}

/// One CSV cell: quoted when needed, and a formula neutralised so a
/// spreadsheet does not run a holder's text: a cell whose first character
/// after any leading whitespace (spaces, tabs, CR, LF, full-width spaces:
/// spreadsheets skip them) is `=`, `+`, `-` or `@` gets a leading `'`.
fn cell(value: &str) -> String {
    let mut v = value.to_string();
    let first = value.trim_start_matches(char::is_whitespace).chars().next();
    if matches!(first, Some('=' | '+' | '-' | '@')) || value.starts_with(['\t', '\r']) {
        v.insert(0, '\'');
    }
    if v.contains([',', '"', '\n', '\r']) || v != value {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// A key as the export writes it: empty when there is none.
fn key_or_empty(key: Option<&str>) -> String {
    key.unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(cell("合肥新名科技有限公司"), "合肥新名科技有限公司");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-1"), "\"'-1\"");
        // Issue 16, finding 11: whitespace in front does not hide a formula.
        for hidden in [
            " =cmd|' /C calc'!A0.pdf",
            "\t=1+1",
            "\r\n@SUM(A1)",
            "  +1",
            "\u{3000}-2",
        ] {
            assert!(
                cell(hidden).starts_with("\"'"),
                "{hidden:?} → {}",
                cell(hidden)
            );
        }
        assert_eq!(cell(" 合肥"), " 合肥");
    }
}
