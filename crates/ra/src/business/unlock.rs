//! 找回密码 for a USB key: the CA holds each key's SO PIN in escrow, sealed under
//! the CA key passphrase, with the mobile number reserved for it. A holder who
//! forgot the PIN (or locked the key) proves who they are with an SMS code to
//! that number; the assistant then receives the SO PIN, sets a new user PIN in
//! the key with it, and forgets it. The SO PIN is never shown to the holder and
//! never written on their machine.

use domain::Mobile;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use store::escrow::{self, EscrowRow};
use store::{Db, audit};

use store::applications::ApplicationRow;

use super::{ApplicationForm, Material, NoForm, Prices};
use crate::{Msg, Ra, RaError};

const PURPOSE: &str = "unlock";

fn aad(token_serial: &str) -> String {
    format!("so-pin:{token_serial}")
}

/// What a checked code leads to.
#[derive(Debug)]
pub enum Unlocked {
    /// The SO PIN, for the assistant to set a new user PIN with.
    SoPin(SecretString),
    /// Filed for (or waiting on) a reviewer: run 找回密码 again once approved.
    Pending,
}

fn not_registered() -> RaError {
    RaError::Conflict(Msg::new(
        "该证书介质未在本 CA 登记，无法在线找回密码，请联系客服",
    ))
}

/// Records a key's SO PIN (CA operators: `certhall token escrow`). A key
/// initialised again replaces its entry.
pub async fn escrow_so_pin(
    db: &Db,
    keys: &ca::KeyStore,
    now: i64,
    token_serial: &str,
    mobile: &Mobile,
    so_pin: &SecretString,
    by: &str,
) -> Result<(), RaError> {
    let serial = token_serial.trim();
    if serial.is_empty() || serial.len() > 64 {
        return Err(RaError::Invalid(Msg::new("证书介质序列号不正确")));
    }
    if so_pin.expose_secret().len() < 4 {
        return Err(RaError::Invalid(Msg::new("SO PIN 太短")));
    }
    let sealed = keys.seal_secret(&aad(serial), so_pin.expose_secret().as_bytes())?;
    let mut tx = db.begin().await?;
    escrow::put(
        &mut tx,
        &EscrowRow {
            token_serial: serial.to_string(),
            mobile: mobile.as_str().to_string(),
            sealed_so_pin: sealed,
            created_at: now,
            created_by: by.to_string(),
            released_at: None,
        },
    )
    .await?;
    audit::append(
        &mut tx,
        db.audit_key()?,
        now,
        &audit::Event {
            actor: by,
            action: "token.escrowed",
            object: serial,
            details: json!({ "mobile": mobile.masked() }),
        },
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

impl Ra {
    /// The escrow of a key and its reserved mobile; None for a key the CA
    /// does not hold.
    async fn escrow_of(&self, token_serial: &str) -> Result<Option<(EscrowRow, Mobile)>, RaError> {
        let Some(row) = escrow::get(&mut *self.db.conn().await?, token_serial.trim()).await? else {
            return Ok(None);
        };
        let mobile = Mobile::parse(&row.mobile).map_err(|_| not_registered())?;
        Ok(Some((row, mobile)))
    }

    /// Step 1: a code to the key's reserved mobile. The answer is the same
    /// whether the key is registered or not (and names no number), so the
    /// endpoint cannot be used to find out which keys the CA holds; an unknown
    /// key counts against the client's limit like a code sent. A code sent a
    /// moment ago and still good is not sent again: the holder may have
    /// mistyped it and run the assistant once more.
    pub async fn unlock_start(&self, token_serial: &str, client: &str) -> Result<(), RaError> {
        let now = self.now_ms();
        let Some((_, mobile)) = self.escrow_of(token_serial).await? else {
            crate::ratelimit::take(
                &self.db,
                now,
                &[(
                    &format!("sms:client:{client}"),
                    crate::ratelimit::Limit {
                        max: self.settings.sms_per_client_hourly,
                        window_ms: 3_600_000,
                    },
                )],
            )
            .await?;
            return Ok(());
        };
        if let Some(live) =
            store::sms::latest(&mut *self.db.conn().await?, mobile.as_str(), PURPOSE).await?
            && live.used_at.is_none()
            && live.expires_at > now
            && live.failed_attempts < self.settings.sms_max_failures
        {
            return Ok(());
        }
        let (signature, minutes) = (
            self.settings.sms_signature.clone(),
            self.settings.sms_code_ttl.as_secs() / 60,
        );
        self.send_code(&mobile, PURPOSE, client, |code| {
            format!(
                "【{signature}】您正在找回证书介质密码，验证码 {code}，{minutes} 分钟内有效。如非本人操作，请勿告诉他人。"
            )
        })
        .await
    }

    /// Step 2: the code checks out. Without review (the default) the SO PIN
    /// goes to the assistant at once; with `unlock_review`, the first check
    /// files a request for a reviewer, and once it is approved the next check
    /// releases the SO PIN.
    pub async fn unlock_finish(
        &self,
        token_serial: &str,
        code: &str,
        client: &str,
    ) -> Result<Unlocked, RaError> {
        // An unknown key answers as a known one with no code sent: no
        // difference to learn from.
        let (row, mobile) = self
            .escrow_of(token_serial)
            .await?
            .ok_or(RaError::CodeMissing)?;
        let so_pin = self
            .authority
            .keys()
            .open_secret(&aad(&row.token_serial), &row.sealed_so_pin)?;
        let so_pin =
            SecretString::from(String::from_utf8(so_pin.to_vec()).map_err(|_| not_registered())?);
        let now = self.now_ms();
        let serial = row.token_serial.clone();
        let review = self.settings.unlock_review;
        let latest = escrow::latest_request(&mut *self.db.conn().await?, &serial).await?;
        let approved = latest.filter(|r| r.state == domain::UnlockState::Approved);
        if review && approved.is_none() {
            if let Some(p) = escrow::latest_request(&mut *self.db.conn().await?, &serial).await?
                && p.state == domain::UnlockState::Pending
            {
                return Ok(Unlocked::Pending);
            }
            self.redeem_code(&mobile, PURPOSE, code, client, async |tx| {
                escrow::insert_request(
                    tx,
                    &escrow::UnlockRequestRow {
                        id: crate::new_id(),
                        token_serial: serial.clone(),
                        state: domain::UnlockState::Pending,
                        created_at: now,
                        decided_by: None,
                        decided_at: None,
                        reason: None,
                    },
                )
                .await?;
                Ok(())
            })
            .await?;
            return Ok(Unlocked::Pending);
        }
        self.redeem_code(&mobile, PURPOSE, code, client, async |tx| {
            if let Some(a) = &approved
                && !escrow::move_request(
                    tx,
                    &a.id,
                    domain::UnlockState::Approved,
                    domain::UnlockState::Used,
                    None,
                    now,
                    None,
                )
                .await?
            {
                return Err(RaError::Conflict(Msg::new(
                    "该找回密码申请已使用，请重新申请",
                )));
            }
            escrow::released(tx, &serial, now).await?;
            audit::append(
                tx,
                self.db.audit_key()?,
                now,
                &audit::Event {
                    actor: &format!("mobile:{}", mobile.masked()),
                    action: "token.unlock_authorised",
                    object: &serial,
                    details: json!({ "client": client, "reviewed": approved.is_some() }),
                },
            )
            .await?;
            Ok(())
        })
        .await?;
        tracing::info!(token.serial = %serial, "PIN reset authorised");
        Ok(Unlocked::SoPin(so_pin))
    }

    /// Requests waiting for a reviewer (oldest first).
    pub async fn unlock_requests(
        &self,
        who: &crate::staff::StaffMember,
    ) -> Result<Vec<(escrow::UnlockRequestRow, String)>, RaError> {
        who.require(domain::Perm::Review)?;
        let mut conn = self.db.conn().await?;
        let mut out = Vec::new();
        for r in escrow::pending_requests(&mut conn).await? {
            let masked = escrow::get(&mut conn, &r.token_serial)
                .await?
                .and_then(|e| Mobile::parse(&e.mobile).ok())
                .map(|m| m.masked())
                .unwrap_or_default();
            out.push((r, masked));
        }
        Ok(out)
    }

    /// A reviewer approves or refuses a PIN reset (a refusal needs a reason,
    /// which the holder is sent).
    pub async fn decide_unlock(
        &self,
        who: &crate::staff::StaffMember,
        id: &str,
        approve: bool,
        reason: &str,
    ) -> Result<(), RaError> {
        who.require(domain::Perm::Review)?;
        let reason = reason.trim();
        if !approve && reason.is_empty() {
            return Err(RaError::Invalid(Msg::new("请填写原因，申请人将看到该原因")));
        }
        let now = self.now_ms();
        let to = if approve {
            domain::UnlockState::Approved
        } else {
            domain::UnlockState::Rejected
        };
        let mut tx = self.db.begin().await?;
        let moved = escrow::move_request(
            &mut tx,
            id,
            domain::UnlockState::Pending,
            to,
            Some(&who.actor()),
            now,
            (!reason.is_empty()).then_some(reason),
        )
        .await?;
        if !moved {
            return Err(RaError::Conflict(Msg::new(
                "该申请已被他人处理或已变化，请刷新后查看",
            )));
        }
        audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &audit::Event {
                actor: &who.actor(),
                action: if approve {
                    "token.unlock_approved"
                } else {
                    "token.unlock_rejected"
                },
                object: id,
                details: json!({ "reason": reason }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        let mut conn = self.db.conn().await?;
        let mobile = match escrow::latest_request_by_id(&mut conn, id).await? {
            Some(r) => escrow::get(&mut conn, &r.token_serial)
                .await?
                .map(|e| e.mobile),
            None => None,
        };
        drop(conn);
        if let Some(m) = mobile {
            let text = if approve {
                "您的找回证书介质密码申请已审核通过，请在数字证书助手中再次点击“找回密码”完成。"
                    .to_string()
            } else {
                format!("您的找回证书介质密码申请未通过审核：{reason}")
            };
            self.notify_holder(&m, &text).await;
        }
        Ok(())
    }

    /// An operator initialising a key at the counter escrows its SO PIN, with
    /// their name, password and a current code on the same request.
    #[expect(
        clippy::too_many_arguments,
        reason = "the operator's sign-in (name, password, code, client) and the key's escrow on one request"
    )]
    pub async fn escrow_by_staff(
        &self,
        name: &str,
        password: &str,
        code: &str,
        client: &str,
        token_serial: &str,
        mobile: &str,
        so_pin: &SecretString,
    ) -> Result<(), RaError> {
        let mobile = Mobile::parse(mobile)
            .map_err(|_| RaError::Invalid(Msg::new("预留手机号格式不正确")))?;
        let who = self.staff_sign_in(name, password, code, client).await?;
        who.require(domain::Perm::InitTokens)?;
        escrow_so_pin(
            &self.db,
            self.authority.keys(),
            self.now_ms(),
            token_serial,
            &mobile,
            so_pin,
            &who.actor(),
        )
        .await
    }
}

/// 找回密码 has no application, so no form: a request is its own record
/// (`unlock_requests`).
pub type Form = NoForm;

pub(crate) fn stored(_form: &ApplicationForm) -> Option<Form> {
    None
}

pub(crate) async fn save(_ra: &Ra, _holder_id: &str, _id: &str, f: &Form) -> Result<(), RaError> {
    match *f {}
}

/// No application is ever approved: requests have their own review.
pub(crate) async fn approved(_ra: &Ra, _row: &ApplicationRow, _mobile: &str) {}

pub(crate) const MATERIALS: &[Material] = &[];

pub(crate) const PRICES: Prices = Prices::FREE;
