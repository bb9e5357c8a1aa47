//! Starting a business from a certificate the holder holds (证书变更, 在线延期,
//! 在线补办, 签章变更, 注销): one unfinished application per certificate and
//! business, one replacing business at a time, the form pre-filled from the
//! certificate.

use domain::{Business, ProfileKind, Serial};
use store::applications;
use store::certificates::CertificateRow;

use super::{Draft, Started, Via, draft_row};
use crate::business::{ApplicationForm, OldSubject, SubjectFields};
use crate::{Msg, Ra, RaError};

impl Ra {
    /// Opens the change application for a certificate: the unfinished one if
    /// there is one, otherwise a new draft pre-filled from the certificate.
    pub async fn start_change(&self, holder_id: &str, serial: &Serial) -> Result<Started, RaError> {
        self.start(holder_id, serial, Business::Change, Via::Assistant)
            .await
    }

    /// Starts a business from one of the holder's own certificates (我的证书 in
    /// 个人中心): only certificates their applications started from or
    /// produced; anyone else's is `NotFound`.
    pub async fn start_owned(
        &self,
        holder_id: &str,
        serial: &Serial,
        business: Business,
    ) -> Result<Started, RaError> {
        let owned = store::certificates::of_holder(&mut *self.db.conn().await?, holder_id)
            .await?
            .iter()
            .any(|c| c.serial == serial.to_hex());
        if !owned {
            return Err(RaError::NotFound);
        }
        self.start(holder_id, serial, business, Via::Portal).await
    }

    /// Opens the application of `business` for a certificate: the unfinished
    /// one if there is one, otherwise a new draft pre-filled from the
    /// certificate. The caller has established that the holder holds it (a
    /// proof by its key, or their own earlier application).
    pub async fn start(
        &self,
        holder_id: &str,
        serial: &Serial,
        business: Business,
        via: Via,
    ) -> Result<Started, RaError> {
        if !business.starts_from_certificate() {
            return Err(RaError::Invalid(Msg::new(
                "该业务即将开放，请致电客服热线办理",
            )));
        }
        let holder_mobile = store::holders::by_id(&mut *self.db.conn().await?, holder_id)
            .await?
            .map(|h| h.mobile)
            .unwrap_or_default();
        let now = self.now_ms();
        let open_key = format!("{}|{}", serial.to_hex(), business.key());
        let mut conn = self.db.conn().await?;
        if let Some(found) = self.existing(&mut conn, &open_key, holder_id).await? {
            return Ok(found);
        }
        let cert = store::certificates::by_serial(&mut conn, &serial.to_hex())
            .await?
            .filter(|c| c.state == store::certificates::STATE_ISSUED)
            .ok_or(RaError::NotFound)?;
        self.startable(&mut conn, &cert, business, now).await?;
        let cert_type: ProfileKind = cert
            .profile
            .parse()
            .map_err(|_| RaError::Invalid(Msg::new("unknown certificate profile")))?;
        let (id_number, _) =
            ca::profile::identity_values(cert.cert_der.as_deref().unwrap_or_default());
        let reviewers =
            store::prices::reviewers(&mut conn, business.key(), cert_type.name()).await?;
        drop(conn);
        let unit = self.price(business, cert_type).await?;
        let years = u32::from(business == Business::Renew);
        let form = ApplicationForm {
            years,
            unit_fen: unit.0,
            ..prefilled(&cert, id_number.unwrap_or_default(), holder_mobile)
        };
        let price = unit.0 * i64::from(years.max(1));
        let required = self.required_now(business, cert_type).await?;
        let row = draft_row(Draft {
            holder_id,
            business,
            cert_type,
            cert_serial: Some(cert.serial.clone()),
            form: &form,
            price_fen: price,
            open_key: Some(open_key.clone()),
            reviewers,
            required,
            now,
        });
        let mut tx = self.db.begin().await?;
        match applications::insert(&mut tx, &row).await {
            Ok(()) => {}
            Err(store::StoreError::Duplicate(_)) => {
                // Another request created it a moment ago.
                drop(tx);
                let mut conn = self.db.conn().await?;
                return self
                    .existing(&mut conn, &open_key, holder_id)
                    .await?
                    .ok_or_else(|| RaError::Conflict(Msg::new("请稍后重试")));
            }
            Err(e) => return Err(e.into()),
        }
        super::drafted(
            &mut tx,
            &row,
            format!("{}发起{}", via.zh(), business.name_zh()),
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(application.id = %row.id, cert.serial = %serial, business = business.key(), "application created");
        Ok(Started {
            id: row.id,
            existing: false,
        })
    }

    /// Whether `business` may start from `cert` now: not revoked, no other
    /// business replacing it under way (a change, a renewal and a reissue each
    /// replace the certificate: one at a time), and within its validity (or,
    /// for 在线延期, its renewal window).
    async fn startable(
        &self,
        conn: &mut store::AnyConnection,
        cert: &CertificateRow,
        business: Business,
        now: i64,
    ) -> Result<(), RaError> {
        if cert.revoked_at.is_some() {
            return Err(RaError::Handoff(Msg::new("该证书已被吊销，不能办理此业务")));
        }
        if business.replaces_certificate()
            && let Some(other) = applications::for_certificate(conn, &cert.serial)
                .await?
                .into_iter()
                .find(|a| {
                    a.business != business
                        && a.business.replaces_certificate()
                        && a.state.unfinished()
                })
        {
            return Err(RaError::Conflict(
                Msg::new("该证书有正在办理中的{other}，请办结或撤销后再申请{this}")
                    .arg("other", other.business.name_zh())
                    .arg("this", business.name_zh()),
            ));
        }
        match business {
            Business::Renew => self.renewal_of(cert, now).map_err(RaError::Invalid),
            _ if cert.not_after <= now => Err(RaError::Handoff(Msg::new("该证书不在有效期内"))),
            _ => Ok(()),
        }
    }

    pub(crate) async fn existing(
        &self,
        conn: &mut store::AnyConnection,
        open_key: &str,
        holder_id: &str,
    ) -> Result<Option<Started>, RaError> {
        match applications::by_open_key(conn, open_key).await? {
            Some(app) if app.holder_id == holder_id => Ok(Some(Started {
                id: app.id,
                existing: true,
            })),
            Some(_) => Err(RaError::Conflict(Msg::new(
                "该证书已有正在办理中的同类申请（由其他账号发起），请联系客服",
            ))),
            None => Ok(None),
        }
    }
}

/// The form of a business that starts from `cert`: the certificate as it is,
/// and the fields pre-filled from it (the full ID number read from the
/// certificate itself) and the holder's mobile.
fn prefilled(cert: &CertificateRow, id_number: String, mobile: String) -> ApplicationForm {
    let organization = cert.organization.clone().unwrap_or_default();
    let credit_code = cert.credit_code.clone().unwrap_or_default();
    ApplicationForm {
        old: OldSubject {
            serial: cert.serial.clone(),
            common_name: cert.common_name.clone(),
            organization: organization.clone(),
            credit_code: credit_code.clone(),
            id_number_masked: cert.id_number_masked.clone().unwrap_or_default(),
        },
        fields: SubjectFields {
            common_name: cert.common_name.clone(),
            organization,
            credit_code,
            id_number,
            contact_mobile: mobile,
            ..Default::default()
        },
        complete: false,
        old_not_before: cert.not_before,
        old_not_after: cert.not_after,
        ..Default::default()
    }
}
