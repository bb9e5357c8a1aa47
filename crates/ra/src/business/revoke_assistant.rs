//! 注销 from the assistant's window: the same application, reason and SMS
//! code as the portal's form (`revoke`), started and confirmed by calls proved
//! with the certificate's key instead of a portal session. The code goes to
//! the mobile of the account the certificate belongs to, so holding the key
//! alone does not revoke: the key proves the certificate, the code proves the
//! account.
//!
//! | call | what the key signs |
//! |---|---|
//! | `POST /api/v1/assistant/revoke/code` | `certhall-revoke-code:<nonce>` |
//! | `POST /api/v1/assistant/revoke` | `certhall-revoke:<nonce>:<reason>` |

use domain::{AppState, Business, Serial};
use store::applications;
use store::certificates::CertificateRow;

use super::revoke::RevokeFields;
use crate::pipeline::Via;
use crate::proof::Accept;
use crate::{Msg, Ra, RaError};

/// What the assistant signs to have the confirmation code sent.
pub fn code_message(nonce: &str) -> Vec<u8> {
    format!("certhall-revoke-code:{nonce}").into_bytes()
}

/// What the assistant signs to confirm the 注销, naming the reason chosen.
pub fn confirm_message(nonce: &str, reason: &str) -> Vec<u8> {
    format!("certhall-revoke:{nonce}:{reason}").into_bytes()
}

/// The code was sent: for the window to say where.
#[derive(Debug, Clone)]
pub struct CodeSent {
    pub application_id: String,
    /// 138****1234
    pub mobile_masked: String,
}

fn open_key(serial_hex: &str) -> String {
    format!("{serial_hex}|{}", Business::Revoke.key())
}

fn no_account() -> RaError {
    RaError::Conflict(Msg::new(
        "该证书未关联网上服务账户（如在柜台办理的证书），请在浏览器中登录网上服务平台办理注销",
    ))
}

impl Ra {
    /// The account a certificate belongs to: the one whose 注销 is already
    /// open for it, else the one whose application produced it, else the
    /// last one to start a business from it.
    async fn account_of(&self, row: &CertificateRow) -> Result<String, RaError> {
        let mut conn = self.db.conn().await?;
        if let Some(open) = applications::by_open_key(&mut conn, &open_key(&row.serial)).await? {
            return Ok(open.holder_id);
        }
        if let Some(id) = row.request_id.strip_prefix("application:")
            && let Some(a) = applications::by_id(&mut conn, id).await?
        {
            return Ok(a.holder_id);
        }
        applications::for_certificate(&mut conn, &row.serial)
            .await?
            .into_iter()
            .next()
            .map(|a| a.holder_id)
            .ok_or_else(no_account)
    }

    /// Step 1: proved by the key, the certificate's 注销 opened for its
    /// account (or the open one found) and the code texted to that account's
    /// mobile.
    pub async fn assistant_revoke_code(
        &self,
        certificate: &[u8],
        nonce: &str,
        signature: &[u8],
        client: &str,
    ) -> Result<CodeSent, RaError> {
        let row = self
            .prove(
                certificate,
                nonce,
                &code_message(nonce),
                signature,
                Accept::Valid,
            )
            .await?;
        let holder = self.account_of(&row).await?;
        let serial = Serial::parse(&row.serial).map_err(|_| RaError::NotFound)?;
        let started = self
            .start(&holder, &serial, Business::Revoke, Via::Assistant)
            .await?;
        let (_, mobile) = self.send_revoke_code(&holder, &started.id, client).await?;
        Ok(CodeSent {
            application_id: started.id,
            mobile_masked: mobile.masked(),
        })
    }

    /// Step 2: proved again, the reason (signed) and the code: confirmed as
    /// the portal's form confirms it. A bad reason or code changes nothing;
    /// without step 1 there is nothing to confirm.
    pub async fn assistant_revoke_confirm(
        &self,
        certificate: &[u8],
        nonce: &str,
        signature: &[u8],
        fields: &RevokeFields,
        client: &str,
    ) -> Result<(String, AppState), RaError> {
        // The window has no fields to mark: the first thing wrong, in words.
        if let Err(errors) = fields.validate() {
            let first = errors.into_values().next();
            return Err(RaError::Invalid(
                first.unwrap_or_else(|| Msg::new("请选择注销原因")),
            ));
        }
        let row = self
            .prove(
                certificate,
                nonce,
                &confirm_message(nonce, &fields.reason),
                signature,
                Accept::Valid,
            )
            .await?;
        let holder = self.account_of(&row).await?;
        let open = self
            .existing(&mut *self.db.conn().await?, &open_key(&row.serial), &holder)
            .await?
            .ok_or_else(|| RaError::Conflict(Msg::new("请先获取短信验证码")))?;
        let state = self
            .confirm_revoke(&holder, &open.id, fields, client)
            .await?;
        Ok((open.id, state))
    }
}
