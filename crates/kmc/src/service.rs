//! One CA task, start to end (GM/T 0014 §5.2.3.1, GM/T 0034 §6.4): read the
//! `CARequest`, find the CA it names among the configured ones, check its
//! signature, answer a task number seen before with the answer kept for it,
//! and otherwise do every request of the list in one transaction (keys made
//! and escrowed, keys enveloped again, keys revoked, each audited) that also
//! keeps the signed answer under the task number.
//!
//! A request that cannot be read, names a CA the KMC does not serve, does
//! not verify, or reuses a task number for other content is refused with a
//! signed `ErrorPkgRespond` and changes nothing.

use der::{Decode, Encode};
use pki::envelope::signed::IssuerAndSerialNumber;
use pki::envelope::{self, KeyEnvelope};
use pki::gmt0014::{
    self, AppUserInfo, ApplyKeyReq, CaRequest, EntName, ErrorPkgRespond, KmRespond, KsRespond,
    Request, Respond, RestoreKeyReq, RetKeyRespond, RevokeKeyReq, RevokeKeyRespond,
};
use pki::oids;
use serde_json::json;
use sha2::{Digest, Sha256};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;

use crate::{Kmc, KmcError};

/// What the HTTP layer sends back: a status and a DER `KMRespond` (or, when
/// the KMC cannot sign, a line of text).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    /// DER (`application/octet-stream`) or text.
    pub der: bool,
}

/// `errNum` values of `ErrorPkgRespond`. GM/T 0014 leaves them to the KMC.
pub mod err {
    pub const MALFORMED: u64 = 1;
    pub const UNKNOWN_CA: u64 = 2;
    pub const SIGNATURE: u64 = 3;
    pub const TASK_REUSED: u64 = 4;
    pub const VERSION: u64 = 5;
    pub const ALGORITHM: u64 = 10;
    pub const ALREADY_ESCROWED: u64 = 11;
    pub const NO_SUCH_KEY: u64 = 12;
    pub const BAD_REQUEST: u64 = 13;
}

/// A request of the list that cannot be done, with its number and words.
struct Refusal(u64, String);

fn refuse(code: u64, cause: impl Into<String>) -> Refusal {
    Refusal(code, cause.into())
}

/// The database rows a task writes, made before the transaction.
enum Effect {
    Escrow(store::kmc::KeyRow),
    /// `record`: why, as the CA sent it (userName), for the audit chain;
    /// `renewal`: the same key escrowed again under a renewed certificate's
    /// number.
    Restore {
        user_cert_no: String,
        record: Option<String>,
        renewal: Option<store::kmc::KeyRow>,
    },
    Revoke {
        user_cert_no: String,
    },
    None,
}

impl Kmc {
    /// Answers one DER `CARequest`.
    pub async fn handle(&self, der: &[u8]) -> Answer {
        match self.handle_checked(der).await {
            Ok(answer) => answer,
            Err(e) => {
                let status = if e.is_unavailable() { 503 } else { 500 };
                if status == 503 {
                    tracing::warn!(error = %e, "the KMC's database cannot serve the task for now");
                } else {
                    tracing::error!(error = ?e, "the KMC could not answer a task");
                }
                let text = match e {
                    KmcError::NoCertificate => e.to_string(),
                    _ if status == 503 => "the KMC's database is unavailable for now; retry".into(),
                    _ => "the KMC could not answer; see its log".into(),
                };
                Answer {
                    status,
                    body: text.into_bytes(),
                    der: false,
                }
            }
        }
    }

    async fn handle_checked(&self, der: &[u8]) -> Result<Answer, KmcError> {
        let request = match CaRequest::read(der) {
            Ok(r) => r,
            Err(e) => {
                return self.refused(
                    400,
                    0,
                    err::MALFORMED,
                    &format!("请求不是 GM/T 0014 的 CARequest（{e}）"),
                );
            }
        };
        let ks = &request.ks_request;
        let task_no = gmt0014::int_value(&ks.task_no).unwrap_or(0);
        let Some(ca) = self.trusted.iter().find(|ca| ks.ca_name.names(&ca.cert)) else {
            return self.refused(
                403,
                task_no,
                err::UNKNOWN_CA,
                "未知的 CA：本 KMC 未配置该 CA 的证书",
            );
        };
        if request.verify(&ca.cert).is_err() {
            return self.refused(403, task_no, err::SIGNATURE, "签名验证失败");
        }
        if gmt0014::int_value(&ks.version).ok() != Some(u64::from(gmt0014::VERSION)) {
            return self.refused(400, task_no, err::VERSION, "不支持的协议版本");
        }
        let Ok(task_no) = gmt0014::int_value(&ks.task_no) else {
            return self.refused(400, 0, err::MALFORMED, "任务号不是 64 位以内的非负整数");
        };
        if ks.request_list.is_empty() {
            return self.refused(400, task_no, err::MALFORMED, "请求列表为空");
        }
        let content = hex::encode(Sha256::digest(ks.request_list.to_der()?));
        let task = task_no.to_string();

        // A retry may race its first attempt; the loser finds the winner's answer.
        for _ in 0..2 {
            if let Some(done) = store::kmc::task(&mut *self.db.conn().await?, &ca.id, &task).await?
            {
                if done.request_sha256 == content {
                    return Ok(Answer {
                        status: 200,
                        body: done.response,
                        der: true,
                    });
                }
                return self.refused(
                    409,
                    task_no,
                    err::TASK_REUSED,
                    &format!("任务号 {task_no} 已用于另一内容的请求"),
                );
            }
            match self
                .run(ca, ks.request_list.as_slice(), task_no, &content)
                .await
            {
                Err(KmcError::Store(store::StoreError::Duplicate(_))) => continue,
                other => return other,
            }
        }
        Err(KmcError::Store(store::StoreError::NotFound))
    }

    /// Does the task's requests and keeps the answer, all in one transaction.
    async fn run(
        &self,
        ca: &crate::TrustedCa,
        requests: &[Request],
        task_no: u64,
        content: &str,
    ) -> Result<Answer, KmcError> {
        let identity = self.identity.certificate().ok_or(KmcError::NoCertificate)?;
        let now = self.now_ms();
        let task = task_no.to_string();
        let mut responds = Vec::with_capacity(requests.len());
        let mut effects = Vec::with_capacity(requests.len());
        for request in requests {
            let outcome = match request {
                Request::ApplyKey(apply) => self.apply(ca, apply, &task, now, identity).await?,
                Request::RestoreKey(restore) => {
                    self.restore(ca, restore, &task, now, identity).await?
                }
                Request::RevokeKey(revoke) => self.revoke(ca, revoke).await?,
            };
            match outcome {
                Ok((respond, effect)) => {
                    responds.push(respond);
                    effects.push(effect);
                }
                Err(Refusal(code, cause)) => {
                    responds.push(error_respond(code, &cause)?);
                    effects.push(Effect::None);
                }
            }
        }
        let answer = self.sign(responds, task_no, now)?;

        let mut tx = self.db.begin().await?;
        let audit = self.db.audit_key()?;
        for effect in &effects {
            let mut details = json!({ "task_no": task });
            let (action, object) = match effect {
                Effect::Escrow(row) => {
                    store::kmc::insert_key(&mut tx, row).await?;
                    ("kmc.key.escrow", row.user_cert_no.as_str())
                }
                Effect::Restore {
                    user_cert_no,
                    renewal: Some(row),
                    ..
                } => {
                    store::kmc::insert_key(&mut tx, row).await?;
                    details["from"] = json!(user_cert_no);
                    ("kmc.key.renewal", row.user_cert_no.as_str())
                }
                Effect::Restore {
                    user_cert_no,
                    record,
                    renewal: None,
                } => {
                    // A recovery says which, with what the CA recorded: a
                    // judicial one its legal basis and approvers (GM/T 0034
                    // §12.5), a holder's its application (§12.4).
                    let recovery = record
                        .as_deref()
                        .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok());
                    let action = match recovery.as_ref().map(|r| r["kind"].clone()) {
                        Some(k) if k == "judicial" => "kmc.key.recovery.judicial",
                        Some(k) if k == "holder" => "kmc.key.recovery.holder",
                        _ => "kmc.key.restore",
                    };
                    if action != "kmc.key.restore" {
                        details["recovery"] = recovery.unwrap_or_default();
                    }
                    (action, user_cert_no.as_str())
                }
                Effect::Revoke { user_cert_no } => {
                    store::kmc::revoke_key(&mut tx, &ca.id, user_cert_no, now).await?;
                    ("kmc.key.revoke", user_cert_no.as_str())
                }
                Effect::None => continue,
            };
            store::audit::append(
                &mut tx,
                audit,
                now,
                &store::audit::Event {
                    actor: &format!("ca:{}", ca.name),
                    action,
                    object: &format!("{}:{object}", ca.id),
                    details,
                },
            )
            .await?;
        }
        store::kmc::insert_task(&mut tx, &ca.id, &task, content, &answer, now).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(Answer {
            status: 200,
            body: answer,
            der: true,
        })
    }

    async fn apply(
        &self,
        ca: &crate::TrustedCa,
        apply: &ApplyKeyReq,
        task: &str,
        now: i64,
        identity: &[u8],
    ) -> Result<Result<(Respond, Effect), Refusal>, KmcError> {
        if apply.app_key_type.oid != oids::CURVE_SM2
            || gmt0014::int_value(&apply.app_key_len).ok() != Some(256)
        {
            return Ok(Err(refuse(err::ALGORITHM, "只提供 256 位 SM2 加密密钥对")));
        }
        if let Err(refusal) = returned_with(
            &apply.ret_asym_alg.oid,
            &apply.ret_sym_alg.oid,
            &apply.ret_hash_alg.oid,
        ) {
            return Ok(Err(refusal));
        }
        let info = &apply.app_user_info;
        let (user_cert_no, holder_point) = match user(info) {
            Ok(user) => user,
            Err(refusal) => return Ok(Err(refusal)),
        };
        if store::kmc::key(&mut *self.db.conn().await?, &ca.id, &user_cert_no)
            .await?
            .is_some()
        {
            return Ok(Err(refuse(
                err::ALREADY_ESCROWED,
                format!("加密证书序列号 {user_cert_no} 已有托管密钥"),
            )));
        }
        let (private, public) = envelope::generate_sm2()?;
        let retpri = match self.envelope_for(ca, info, &holder_point, &private, identity) {
            Ok(der) => der,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let sealed = self
            .master
            .seal_private(&escrow_aad(&ca.id, &user_cert_no), private.as_ref())?;
        let row = store::kmc::KeyRow {
            ca_key_hash: ca.id.clone(),
            user_cert_no: user_cert_no.clone(),
            public_key: public.to_vec(),
            sealed_private: sealed,
            holder_key: info.user_pub_key.to_der()?,
            not_before: gmt0014::time_ms(&info.not_before),
            not_after: gmt0014::time_ms(&info.not_after),
            task_no: task.to_string(),
            state: store::kmc::KEY_ACTIVE.to_string(),
            created_at: now,
            revoked_at: None,
        };
        let respond = RetKeyRespond {
            user_cert_no: info.user_cert_no.clone(),
            ret_pub_key: SubjectPublicKeyInfoOwned::from_der(&pki::signer::sm2_spki(&public))?,
            ret_pri_key: der::asn1::Any::from_der(&retpri)?,
        };
        Ok(Ok((Respond::RetKey(respond), Effect::Escrow(row))))
    }

    async fn restore(
        &self,
        ca: &crate::TrustedCa,
        restore: &RestoreKeyReq,
        task: &str,
        now: i64,
        identity: &[u8],
    ) -> Result<Result<(Respond, Effect), Refusal>, KmcError> {
        if let Err(refusal) = returned_with(
            &restore.ret_asym_alg.oid,
            &restore.ret_sym_alg.oid,
            &restore.ret_hash_alg.oid,
        ) {
            return Ok(Err(refusal));
        }
        let info = &restore.app_user_info;
        let (user_cert_no, holder_point) = match user(info) {
            Ok(user) => user,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let Some(row) = store::kmc::key(&mut *self.db.conn().await?, &ca.id, &user_cert_no).await?
        else {
            return Ok(Err(refuse(
                err::NO_SUCH_KEY,
                format!("没有加密证书序列号 {user_cert_no} 的托管密钥"),
            )));
        };
        let private = self
            .master
            .open_private(&escrow_aad(&ca.id, &user_cert_no), &row.sealed_private)?;
        let private: [u8; 32] = private
            .as_slice()
            .try_into()
            .map_err(|_| KmcError::Master("an escrowed key is not 32 bytes".into()))?;
        let private = zeroize::Zeroizing::new(private);
        let retpri = match self.envelope_for(ca, info, &holder_point, &private, identity) {
            Ok(der) => der,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let respond = RetKeyRespond {
            user_cert_no: info.user_cert_no.clone(),
            ret_pub_key: SubjectPublicKeyInfoOwned::from_der(&pki::signer::sm2_spki(
                &row.public_key,
            ))?,
            ret_pri_key: der::asn1::Any::from_der(&retpri)?,
        };
        let record = info
            .user_name
            .as_ref()
            .map(|n| String::from_utf8_lossy(n.as_bytes()).into_owned());
        let renewal = match renewed_number(record.as_deref()) {
            Ok(None) => None,
            Err(refusal) => return Ok(Err(refusal)),
            Ok(Some(cert_no)) => {
                if row.state != store::kmc::KEY_ACTIVE {
                    return Ok(Err(refuse(
                        err::BAD_REQUEST,
                        format!("加密证书序列号 {user_cert_no} 的密钥已吊销，不能再次认证"),
                    )));
                }
                if store::kmc::key(&mut *self.db.conn().await?, &ca.id, &cert_no)
                    .await?
                    .is_some()
                {
                    return Ok(Err(refuse(
                        err::ALREADY_ESCROWED,
                        format!("加密证书序列号 {cert_no} 已有托管密钥"),
                    )));
                }
                Some(store::kmc::KeyRow {
                    ca_key_hash: ca.id.clone(),
                    sealed_private: self
                        .master
                        .seal_private(&escrow_aad(&ca.id, &cert_no), private.as_ref())?,
                    user_cert_no: cert_no,
                    public_key: row.public_key.clone(),
                    holder_key: info.user_pub_key.to_der()?,
                    not_before: gmt0014::time_ms(&info.not_before),
                    not_after: gmt0014::time_ms(&info.not_after),
                    task_no: task.to_string(),
                    state: store::kmc::KEY_ACTIVE.to_string(),
                    created_at: now,
                    revoked_at: None,
                })
            }
        };
        Ok(Ok((
            Respond::RestoreKey(respond),
            Effect::Restore {
                user_cert_no,
                record,
                renewal,
            },
        )))
    }

    async fn revoke(
        &self,
        ca: &crate::TrustedCa,
        revoke: &RevokeKeyReq,
    ) -> Result<Result<(Respond, Effect), Refusal>, KmcError> {
        let Ok(user_cert_no) = gmt0014::serial_hex(&revoke.user_cert_no) else {
            return Ok(Err(refuse(err::BAD_REQUEST, "加密证书序列号必须为正整数")));
        };
        let Some(row) = store::kmc::key(&mut *self.db.conn().await?, &ca.id, &user_cert_no).await?
        else {
            return Ok(Err(refuse(
                err::NO_SUCH_KEY,
                format!("没有加密证书序列号 {user_cert_no} 的托管密钥"),
            )));
        };
        let respond = Respond::RevokeKey(RevokeKeyRespond {
            user_cert_no: revoke.user_cert_no.clone(),
        });
        // Revoking twice answers the same and changes nothing more.
        let effect = if row.state == store::kmc::KEY_ACTIVE {
            Effect::Revoke { user_cert_no }
        } else {
            Effect::None
        };
        Ok(Ok((respond, effect)))
    }

    /// The SignedAndEnvelopedData of `private` for the holder's signing key.
    fn envelope_for(
        &self,
        ca: &crate::TrustedCa,
        info: &AppUserInfo,
        holder_point: &[u8; 65],
        private: &[u8; 32],
        identity: &[u8],
    ) -> Result<Vec<u8>, Refusal> {
        let recipient = match &info.extend_info {
            Some(bytes) => IssuerAndSerialNumber::from_der(bytes.as_bytes()).map_err(|_| {
                refuse(
                    err::BAD_REQUEST,
                    "extendInfo 不是签名证书的 IssuerAndSerialNumber",
                )
            })?,
            None => IssuerAndSerialNumber {
                issuer: ca.cert.tbs_certificate().subject().clone(),
                serial_number: x509_cert::serial_number::SerialNumber::new(
                    info.user_cert_no.as_bytes(),
                )
                .map_err(|_| refuse(err::BAD_REQUEST, "加密证书序列号不合法"))?,
            },
        };
        let sealed = KeyEnvelope::seal(holder_point, private)
            .map_err(|e| refuse(err::BAD_REQUEST, e.to_string()))?;
        envelope::signed::seal(
            &sealed,
            &recipient,
            private,
            &*self.identity.signer,
            identity,
        )
        .map_err(|e| refuse(err::BAD_REQUEST, e.to_string()))
    }

    fn sign(&self, responds: Vec<Respond>, task_no: u64, now: i64) -> Result<Vec<u8>, KmcError> {
        let identity = self.identity.certificate().ok_or(KmcError::NoCertificate)?;
        let ks = KsRespond {
            version: gmt0014::int(u64::from(gmt0014::VERSION))?,
            km_name: EntName::of_certificate(identity)?,
            respond_list: responds,
            respond_time: gmt0014::time(now)?,
            task_no: gmt0014::int(task_no)?,
        };
        Ok(KmRespond::sign(ks, &*self.identity.signer)?.to_der()?)
    }

    /// A signed refusal of the whole request; nothing is written.
    fn refused(
        &self,
        status: u16,
        task_no: u64,
        code: u64,
        cause: &str,
    ) -> Result<Answer, KmcError> {
        tracing::warn!(status, code, cause, "refused a CA request");
        Ok(Answer {
            status,
            body: self.sign(vec![error_respond(code, cause)?], task_no, self.now_ms())?,
            der: true,
        })
    }
}

fn error_respond(code: u64, cause: &str) -> Result<Respond, KmcError> {
    Ok(Respond::Error(ErrorPkgRespond {
        err_num: gmt0014::int(code)?,
        err_cause: cause.to_string(),
    }))
}

/// The return algorithms the KMC can do: SM2 encryption, SM4, SM3.
fn returned_with(
    asym: &der::asn1::ObjectIdentifier,
    sym: &der::asn1::ObjectIdentifier,
    hash: &der::asn1::ObjectIdentifier,
) -> Result<(), Refusal> {
    if *asym != oids::SM2_ENCRYPT || *sym != oids::SM4_ECB || *hash != oids::SM3 {
        return Err(refuse(
            err::ALGORITHM,
            "只以 SM2 加密、SM4-ECB 和 SM3 返回密钥",
        ));
    }
    Ok(())
}

/// The certificate number (hex) and the holder's SM2 signing key of a request.
fn user(info: &AppUserInfo) -> Result<(String, [u8; 65]), Refusal> {
    let user_cert_no = gmt0014::serial_hex(&info.user_cert_no)
        .map_err(|_| refuse(err::BAD_REQUEST, "加密证书序列号必须为正整数"))?;
    let point = info
        .user_pub_key
        .to_der()
        .ok()
        .and_then(|spki| pki::verify::sm2_point_of_spki(&spki).ok())
        .ok_or_else(|| refuse(err::ALGORITHM, "用户签名公钥不是 SM2 公钥"))?;
    Ok((user_cert_no, point))
}

/// The new certificate number of a renewal that keeps its key: a RestoreKeyReq
/// whose userName is `{"kind":"renewal","cert_no":HEX}` asks for the key to be
/// escrowed again under that number (docs/kmc/gmt0014.asn1).
fn renewed_number(record: Option<&str>) -> Result<Option<String>, Refusal> {
    let Some(value) = record.and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok()) else {
        return Ok(None);
    };
    if value["kind"] != "renewal" {
        return Ok(None);
    }
    // The number as the CA names certificates (upper-case hex, whole bytes),
    // so the row is found again by the RevokeKeyReq of that certificate.
    match value["cert_no"].as_str() {
        Some(n) if n.len() <= 40 && domain::Serial::parse(n).is_ok_and(|s| s.to_hex() == n) => {
            Ok(Some(n.to_string()))
        }
        _ => Err(refuse(
            err::BAD_REQUEST,
            "续期记录中的新加密证书序列号不合法（应为大写十六进制正整数）",
        )),
    }
}

/// What an escrowed private key is bound to.
fn escrow_aad(ca_id: &str, user_cert_no: &str) -> String {
    format!("certhall-kmc-key:{ca_id}:{user_cert_no}")
}

/// The id the KMC keeps a CA's rows under: the hex SM3 of its key.
pub fn ca_id(cert: &Certificate) -> String {
    hex::encode(gmt0014::key_hash(cert))
}
