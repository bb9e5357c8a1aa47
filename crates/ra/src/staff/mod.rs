//! CA staff: accounts, the one-time set-up (password + authenticator app),
//! sign-in with both factors, lock-out, sessions. Every step is audited.
//!
//! A staff member is created from the command line (`certhall staff add`), which
//! prints a set-up link; the link page shows a fresh TOTP secret as a QR code and
//! takes a password and a first code. Sign-in needs name, password and a current
//! code; wrong tries are answered with one generic message, counted per account
//! (lock-out) and per client address (rate limit).

pub mod accounts;
pub mod api_keys;
pub mod totp;

use domain::{Perm, Role};
use serde_json::json;
use store::audit;
use store::staff::{self, StaffRow, StaffSessionRow};

use crate::ratelimit::{self, Limit};
use crate::{Msg, Ra, RaError, random};

/// How long a set-up link works.
pub const SETUP_TTL_MS: i64 = 72 * 3_600_000;
/// Failed sign-ins in a row before the account locks…
pub const MAX_FAILURES: i64 = 5;
/// …for this long.
pub const LOCK_MS: i64 = 15 * 60_000;
/// A staff session ends after this long without a request…
pub const IDLE_MS: i64 = 15 * 60_000;
/// …and after this long in all.
pub const SESSION_MS: i64 = 8 * 3_600_000;
const MIN_PASSWORD_CHARS: usize = 12;
/// Sign-in attempts per client address per hour.
const SIGNIN_PER_CLIENT_HOURLY: i64 = 30;

/// The one answer to every failed sign-in: nothing tells which factor was wrong,
/// or whether the account exists or is locked.
pub const SIGNIN_FAILED: &str = "用户名、密码或动态口令不正确；连续多次错误后账号将被暂时锁定";

/// A signed-in staff member: who acts, and what they may do.
#[derive(Debug, Clone)]
pub struct StaffMember {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub mobile: Option<String>,
}

impl StaffMember {
    /// The actor recorded in events and the audit log.
    pub fn actor(&self) -> String {
        format!("staff:{}", self.name)
    }

    /// Refuses what the role may not do.
    pub fn require(&self, perm: Perm) -> Result<(), RaError> {
        if self.role.may(perm) {
            Ok(())
        } else {
            tracing::warn!(staff = %self.name, role = %self.role, ?perm, "refused: not allowed for the role");
            Err(RaError::Forbidden)
        }
    }
}

fn member(row: &StaffRow) -> Result<StaffMember, RaError> {
    Ok(StaffMember {
        id: row.id.clone(),
        name: row.name.clone(),
        role: row.role.parse().map_err(|_| {
            RaError::Invalid(Msg::new("account {name} has an unknown role").arg("name", &row.name))
        })?,
        mobile: row.mobile.clone(),
    })
}

/// What the set-up page shows.
#[derive(Debug, Clone)]
pub struct SetupView {
    pub name: String,
    pub role: Role,
    pub secret_b32: String,
    pub otpauth_uri: String,
}

/// Staff names: letters (incl. Chinese), digits, `.`, `_`, `-`; 2–32 characters.
pub(crate) fn check_name(name: &str) -> Result<(), RaError> {
    let n = name.chars().count();
    if !(2..=32).contains(&n)
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(RaError::Invalid(Msg::new(
            "用户名须为 2–32 个字母、数字或 . _ -",
        )));
    }
    Ok(())
}

fn hash_password(password: &str) -> Result<String, RaError> {
    use argon2::PasswordHasher;
    let salt = random::bytes::<16>();
    argon2::Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| RaError::Invalid(Msg::new("密码无法处理")))
}

fn password_matches(password: &str, stored: &str) -> bool {
    use argon2::PasswordVerifier;
    match argon2::PasswordHash::new(stored) {
        Ok(h) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a password nobody has, verified against when the account does not
/// exist, so that answer takes as long as any other.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random::token()).unwrap_or_default())
}

impl Ra {
    async fn audit(
        &self,
        actor: &str,
        action: &str,
        object: &str,
        details: serde_json::Value,
    ) -> Result<(), RaError> {
        let mut tx = self.db.begin().await?;
        audit::append(
            &mut tx,
            self.db.audit_key()?,
            self.now_ms(),
            &audit::Event {
                actor,
                action,
                object,
                details,
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(())
    }

    async fn setup_row(&self, token: &str) -> Result<StaffRow, RaError> {
        let row = staff::by_setup_hash(&mut *self.db.conn().await?, &random::hash(token))
            .await?
            .filter(|r| r.setup_expires_at.is_some_and(|t| t > self.now_ms()))
            .filter(|r| r.disabled_at.is_none());
        row.ok_or_else(|| RaError::Invalid(Msg::new("设置链接无效或已过期，请联系管理员重新生成")))
    }

    /// The TOTP secret offered with a set-up link: derived from the link and
    /// the installation's key, so showing the page stores nothing (no GET
    /// changes state) and reloading shows the same secret; a new link gives a
    /// new one. (An account whose set-up began under an earlier version keeps
    /// the secret it was shown then.)
    fn setup_secret(&self, row: &StaffRow) -> String {
        if let Some(s) = &row.totp_secret {
            return s.clone();
        }
        let key =
            aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, self.secrets.challenge_key());
        let mut ctx = aws_lc_rs::hmac::Context::with_key(&key);
        ctx.update(b"certhall-staff-setup-totp");
        ctx.update(row.setup_hash.as_deref().unwrap_or_default().as_bytes());
        totp::base32(&ctx.sign().as_ref()[..20])
    }

    /// The set-up page.
    pub async fn staff_setup(&self, token: &str) -> Result<SetupView, RaError> {
        let row = self.setup_row(token).await?;
        let secret = self.setup_secret(&row);
        Ok(SetupView {
            otpauth_uri: totp::otpauth_uri("certhall", &row.name, &secret),
            name: row.name.clone(),
            role: member(&row)?.role,
            secret_b32: secret,
        })
    }

    /// Completes set-up: a password of at least 12 characters (typed twice) and
    /// a current code from the authenticator, proving the secret was scanned.
    pub async fn finish_staff_setup(
        &self,
        token: &str,
        password: &str,
        confirm: &str,
        code: &str,
    ) -> Result<(), RaError> {
        let row = self.setup_row(token).await?;
        let mut errors = crate::FieldErrors::new();
        if password.chars().count() < MIN_PASSWORD_CHARS {
            errors.insert(
                "password",
                Msg::new("密码至少 {n} 个字符").arg("n", MIN_PASSWORD_CHARS),
            );
        } else if password.to_lowercase().contains(&row.name.to_lowercase()) {
            errors.insert("password", Msg::new("密码不能包含用户名"));
        }
        if password != confirm {
            errors.insert("confirm", Msg::new("两次输入的密码不一致"));
        }
        let secret_b32 = self.setup_secret(&row);
        let secret = totp::from_base32(&secret_b32)
            .ok_or_else(|| RaError::Invalid(Msg::new("请重新打开设置链接")))?;
        let step = totp::verify(&secret, code, self.now_ms());
        if step.is_none() {
            errors.insert("code", Msg::new("动态口令不正确，请核对手机时间后重试"));
        }
        if !errors.is_empty() {
            return Err(RaError::Form(errors));
        }
        let password = password.to_string();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|_| RaError::Invalid(Msg::new("密码无法处理")))??;
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        if !staff::finish_setup(
            &mut tx,
            &row.id,
            row.setup_hash.as_deref().unwrap_or_default(),
            &hash,
            &secret_b32,
            step.unwrap_or_default(),
        )
        .await?
        {
            return Err(RaError::Conflict(Msg::new("设置链接已被使用")));
        }
        audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &audit::Event {
                actor: &format!("staff:{}", row.name),
                action: "staff.setup",
                object: &row.id,
                details: json!({}),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(staff = %row.name, "staff account set up");
        Ok(())
    }

    /// Checks name, password and code. Every failure gives the same answer,
    /// counts against the account and the client, and is audited.
    pub async fn staff_sign_in(
        &self,
        name: &str,
        password: &str,
        code: &str,
        client: &str,
    ) -> Result<StaffMember, RaError> {
        let now = self.now_ms();
        let by_client = format!("staff-signin:{client}");
        ratelimit::take(
            &self.db,
            now,
            &[(
                &by_client,
                Limit {
                    max: SIGNIN_PER_CLIENT_HOURLY,
                    window_ms: 3_600_000,
                },
            )],
        )
        .await?;
        let row = staff::by_name(&mut *self.db.conn().await?, name.trim()).await?;
        let stored = row
            .as_ref()
            .and_then(|r| r.password_hash.clone())
            .unwrap_or_else(|| decoy_hash().to_string());
        let pw = password.to_string();
        let password_ok = tokio::task::spawn_blocking(move || password_matches(&pw, &stored))
            .await
            .unwrap_or(false);
        let Some(row) = row else {
            self.audit(
                "anonymous",
                "staff.signin_failed",
                "-",
                json!({ "why": "unknown account", "client": client }),
            )
            .await?;
            return Err(RaError::SignInFailed);
        };
        let why = if row.disabled_at.is_some() {
            Some("disabled")
        } else if row.password_hash.is_none() {
            Some("not set up")
        } else if row.locked_until > now {
            Some("locked")
        } else if !password_ok {
            Some("wrong password")
        } else {
            None
        };
        let step = row
            .totp_secret
            .as_deref()
            .and_then(totp::from_base32)
            .and_then(|s| totp::verify(&s, code, now));
        let why = why.or(if step.is_none() {
            Some("wrong code")
        } else {
            None
        });
        let actor = format!("staff:{}", row.name);
        if let Some(why) = why {
            let mut tx = self.db.begin().await?;
            let count = if why == "locked" || why == "disabled" {
                row.failed_count
            } else {
                staff::record_failure(&mut tx, &row.id, MAX_FAILURES, now + LOCK_MS).await?
            };
            audit::append(
                &mut tx,
                self.db.audit_key()?,
                now,
                &audit::Event {
                    actor: &actor,
                    action: "staff.signin_failed",
                    object: &row.id,
                    details: json!({ "why": why, "failures": count, "client": client }),
                },
            )
            .await?;
            if count >= MAX_FAILURES && why != "locked" && why != "disabled" {
                audit::append(
                    &mut tx,
                    self.db.audit_key()?,
                    now,
                    &audit::Event {
                        actor: "system",
                        action: "staff.locked",
                        object: &row.id,
                        details: json!({ "until": now + LOCK_MS }),
                    },
                )
                .await?;
            }
            tx.commit().await.map_err(store::StoreError::from)?;
            tracing::warn!(staff = %row.name, why, "staff sign-in refused");
            return Err(RaError::SignInFailed);
        }
        let step = step.unwrap_or_default();
        let mut tx = self.db.begin().await?;
        if !staff::signed_in(&mut tx, &row.id, step, now).await? {
            // The code was used before: a replay (or a double submit).
            drop(tx);
            let mut tx = self.db.begin().await?;
            let count =
                staff::record_failure(&mut tx, &row.id, MAX_FAILURES, now + LOCK_MS).await?;
            audit::append(
                &mut tx, self.db.audit_key()?,
                now,
                &audit::Event {
                    actor: &actor,
                    action: "staff.signin_failed",
                    object: &row.id,
                    details: json!({ "why": "code used before", "failures": count, "client": client }),
                },
            )
            .await?;
            tx.commit().await.map_err(store::StoreError::from)?;
            return Err(RaError::SignInFailed);
        }
        audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &audit::Event {
                actor: &actor,
                action: "staff.signin",
                object: &row.id,
                details: json!({ "client": client }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(staff = %row.name, "staff signed in");
        member(&row)
    }

    /// Opens a session; returns the cookie's token (only its hash is stored).
    pub async fn start_staff_session(&self, who: &StaffMember) -> Result<String, RaError> {
        let token = random::token();
        let now = self.now_ms();
        staff::insert_session(
            &mut *self.db.conn().await?,
            &StaffSessionRow {
                id_hash: random::hash(&token),
                staff_id: who.id.clone(),
                created_at: now,
                seen_at: now,
                expires_at: now + SESSION_MS,
            },
        )
        .await?;
        Ok(token)
    }

    /// The staff member of a live session, renewing its idle timer.
    pub async fn staff_session(&self, token: &str) -> Result<Option<StaffMember>, RaError> {
        let now = self.now_ms();
        let hash = random::hash(token);
        let mut conn = self.db.conn().await?;
        let Some((session, row)) =
            staff::live_session(&mut conn, &hash, now, now - IDLE_MS).await?
        else {
            return Ok(None);
        };
        // Write the idle timer at most every few seconds, not on every request.
        if now - session.seen_at > 5_000 {
            staff::touch_session(&mut conn, &hash, now).await?;
        }
        Ok(Some(member(&row)?))
    }

    pub async fn end_staff_session(&self, token: &str, who: &StaffMember) -> Result<(), RaError> {
        staff::delete_session(&mut *self.db.conn().await?, &random::hash(token)).await?;
        self.audit(&who.actor(), "staff.signout", &who.id, json!({}))
            .await
    }

    /// Records that a staff member looked at something sensitive (a holder's
    /// materials): the audit trail says who saw what.
    pub async fn audit_view(
        &self,
        who: &StaffMember,
        action: &str,
        object: &str,
        details: serde_json::Value,
    ) -> Result<(), RaError> {
        self.audit(&who.actor(), action, object, details).await
    }
}
