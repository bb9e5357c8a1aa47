//! Sign-in by mobile number and a six-digit SMS code (sign-up on first use).
//!
//! A code lives 5 minutes, works once, and dies after 5 wrong tries. Sending is
//! limited per number (one a minute, five an hour) and per client address; code
//! checks are limited per client address.

use domain::Mobile;
use store::holders::HolderRow;
use store::sms::SmsCodeRow;

use crate::ratelimit::{self, Limit};
use crate::{Msg, Ra, RaError, ms, new_id, random};

const PURPOSE: &str = "signin";
const HOUR: i64 = 3_600_000;

impl Ra {
    /// Sends a sign-in code to `mobile`.
    pub async fn send_signin_code(&self, mobile: &Mobile, client: &str) -> Result<(), RaError> {
        let (signature, minutes) = (
            self.settings.sms_signature.clone(),
            self.settings.sms_code_ttl.as_secs() / 60,
        );
        self.send_code(mobile, PURPOSE, client, |code| {
            format!("【{signature}】您的登录验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。")
        })
        .await?;
        tracing::info!(holder.mobile = %mobile, "sent a sign-in code");
        Ok(())
    }

    /// Sends a fresh code for `purpose` to `mobile`, with the sending limits
    /// (per number and per client). `text` words the SMS around the code.
    pub(crate) async fn send_code(
        &self,
        mobile: &Mobile,
        purpose: &str,
        client: &str,
        text: impl FnOnce(&str) -> String,
    ) -> Result<(), RaError> {
        let now = self.now_ms();
        let s = &self.settings;
        let by_number = format!("sms:number:{}", mobile.as_str());
        let by_client = format!("sms:client:{client}");
        ratelimit::take(
            &self.db,
            now,
            &[
                (
                    &by_number,
                    Limit {
                        max: 1,
                        window_ms: ms(s.sms_per_number_interval),
                    },
                ),
                (
                    &by_number,
                    Limit {
                        max: s.sms_per_number_hourly,
                        window_ms: HOUR,
                    },
                ),
                (
                    &by_client,
                    Limit {
                        max: s.sms_per_client_hourly,
                        window_ms: HOUR,
                    },
                ),
            ],
        )
        .await?;
        let code = random::six_digits();
        let id = new_id();
        let row = SmsCodeRow {
            code_hash: random::hash(&format!("{id}:{code}")),
            id,
            mobile: mobile.as_str().to_string(),
            purpose: purpose.into(),
            created_at: now,
            expires_at: now + ms(s.sms_code_ttl),
            failed_attempts: 0,
            used_at: None,
        };
        store::sms::insert(&mut *self.db.conn().await?, &row).await?;
        self.sms.send(mobile, &text(&code)).await?;
        Ok(())
    }

    /// Checks a code; on success returns the holder (created on first sign-in).
    pub async fn sign_in(
        &self,
        mobile: &Mobile,
        code: &str,
        client: &str,
    ) -> Result<HolderRow, RaError> {
        let now = self.now_ms();
        let id = new_id();
        let holder = self
            .redeem_code(mobile, PURPOSE, code, client, async |tx| {
                Ok(store::holders::sign_in(tx, &id, mobile.as_str(), now).await?)
            })
            .await?;
        tracing::info!(holder.id = %holder.id, holder.mobile = %mobile, "holder signed in");
        Ok(holder)
    }

    /// Checks the newest `purpose` code sent to `mobile` (5 minutes, once, at
    /// most `sms_max_failures` wrong tries; checks limited per client) and, in
    /// the transaction that uses it up, runs `then`.
    pub(crate) async fn redeem_code<T>(
        &self,
        mobile: &Mobile,
        purpose: &str,
        code: &str,
        client: &str,
        then: impl AsyncFnOnce(&mut store::AnyConnection) -> Result<T, RaError>,
    ) -> Result<T, RaError> {
        let now = self.now_ms();
        let by_client = format!("signin:client:{client}");
        ratelimit::take(
            &self.db,
            now,
            &[(
                &by_client,
                Limit {
                    max: self.settings.signin_per_client_hourly,
                    window_ms: HOUR,
                },
            )],
        )
        .await?;
        let code = code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RaError::Invalid(Msg::new("请输入 6 位数字验证码")));
        }
        let latest =
            store::sms::latest(&mut *self.db.conn().await?, mobile.as_str(), purpose).await?;
        let Some(row) = latest else {
            return Err(RaError::CodeMissing);
        };
        if row.used_at.is_some() {
            return Err(RaError::CodeUsed);
        }
        if row.expires_at <= now {
            return Err(RaError::CodeExpired);
        }
        let max = self.settings.sms_max_failures;
        if row.failed_attempts >= max {
            return Err(RaError::CodeLocked);
        }
        let hash = random::hash(&format!("{}:{code}", row.id));
        let mut tx = self.db.begin().await?;
        if !store::sms::consume(&mut tx, &row.id, &hash, now, max).await? {
            drop(tx);
            if hash != row.code_hash {
                let failures =
                    store::sms::record_failure(&mut *self.db.conn().await?, &row.id, max).await?;
                tracing::info!(mobile = %mobile, purpose, ?failures, "wrong SMS code");
                return Err(match failures {
                    Some(n) if n < max => RaError::CodeWrong { remaining: max - n },
                    _ => RaError::CodeLocked,
                });
            }
            // Right code, but someone used it a moment ago.
            return Err(RaError::CodeUsed);
        }
        let out = then(&mut tx).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(out)
    }
}
