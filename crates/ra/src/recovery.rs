//! Judicial recovery of an escrowed encryption key (司法恢复, GM/T 0034
//! §12.5): a 密钥恢复审批员 files it with its legal basis and the recovery
//! officer's SM2 public key; two *other* 密钥恢复审批员 approve it (four
//! eyes: nobody approves their own request, nobody approves twice); the
//! officer who filed it then has the KMC envelope the key to that public key
//! (GB/T 35276 SM2EnvelopedKey), which only the officer's private key opens.
//! Every step is in the CA's audit chain; the release is in the KMC's too,
//! with the legal basis and who approved it.

use der::{Decode, Encode};
use domain::{Msg, Perm, Serial};
use serde_json::json;
use spki::SubjectPublicKeyInfoOwned;
use store::audit;
use store::recoveries::{self, APPROVED, RELEASED, REQUESTED, RecoveryRow};

use crate::staff::StaffMember;
use crate::{Ra, RaError, new_id};

/// Approvals a recovery needs, from two people other than its officer.
pub const APPROVALS: usize = 2;

/// A recovery as the back office lists it.
#[derive(Debug, Clone)]
pub struct RecoveryView {
    pub row: RecoveryRow,
    /// The officer who filed it.
    pub officer: String,
    /// Who approved, in order, with when.
    pub approvers: Vec<(String, i64)>,
}

fn invalid(text: &'static str) -> RaError {
    RaError::Invalid(Msg::new(text))
}

/// The SM2 public key of a PEM `PUBLIC KEY` (or a PEM certificate's).
fn officer_key(pem: &str) -> Result<Vec<u8>, RaError> {
    let bad = || invalid("恢复员公钥应为 PEM 格式的 SM2 公钥（PUBLIC KEY）或证书");
    let (label, der) = der::pem::decode_vec(pem.trim().as_bytes()).map_err(|_| bad())?;
    let spki = match label {
        "PUBLIC KEY" => SubjectPublicKeyInfoOwned::from_der(&der).map_err(|_| bad())?,
        "CERTIFICATE" => x509_cert::Certificate::from_der(&der)
            .map_err(|_| bad())?
            .tbs_certificate()
            .subject_public_key_info()
            .clone(),
        _ => return Err(bad()),
    };
    let der = spki.to_der().map_err(|_| bad())?;
    ca::verify::sm2_point_of_spki(&der).map_err(|_| bad())?;
    Ok(der)
}

impl Ra {
    /// Files a judicial recovery of the key of encryption certificate
    /// `serial`, for the officer `who` (whose SM2 public key is `officer_pem`).
    pub async fn file_recovery(
        &self,
        who: &StaffMember,
        serial: &str,
        legal_basis: &str,
        officer_pem: &str,
    ) -> Result<String, RaError> {
        who.require(Perm::RecoverKeys)?;
        let serial = Serial::parse(serial.trim())
            .map_err(|_| invalid("请填写加密证书的序列号（十六进制）"))?;
        let legal_basis = legal_basis.trim();
        let chars = legal_basis.chars().count();
        if !(10..=1000).contains(&chars) {
            return Err(invalid(
                "请写明法律依据（如协助查询通知书的文号、出具机关与事由），10 至 1000 字",
            ));
        }
        let officer_key = officer_key(officer_pem)?;
        let mut conn = self.db.conn().await?;
        if store::pairs::by_encryption(&mut conn, &serial.to_hex())
            .await?
            .is_none()
        {
            return Err(RaError::Invalid(
                Msg::new("序列号 {serial} 不是本 CA 签发的加密证书（双证书）")
                    .arg("serial", serial.to_string()),
            ));
        }
        drop(conn);
        let now = self.now_ms();
        let row = RecoveryRow {
            id: new_id(),
            encryption_serial: serial.to_hex(),
            legal_basis: legal_basis.to_string(),
            officer_key,
            requested_by: who.id.clone(),
            state: REQUESTED.into(),
            task_no: task_number()?.to_string(),
            envelope: None,
            created_at: now,
            approved_at: None,
            released_at: None,
        };
        let mut tx = self.db.begin().await?;
        recoveries::insert(&mut tx, &row).await?;
        audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &audit::Event {
                actor: &who.actor(),
                action: "key_recovery.requested",
                object: &row.id,
                details: json!({
                    "encryption_serial": row.encryption_serial,
                    "legal_basis": row.legal_basis,
                }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(recovery = %row.id, staff = %who.name, cert.serial = %row.encryption_serial, "judicial key recovery filed");
        Ok(row.id)
    }

    /// One approval of recovery `id` by `who`: not its officer, not twice.
    /// The second approval makes it releasable.
    pub async fn approve_recovery(&self, who: &StaffMember, id: &str) -> Result<(), RaError> {
        who.require(Perm::RecoverKeys)?;
        let now = self.now_ms();
        let mut tx = self
            .db
            .begin_keyed(&[&format!("key_recovery:{id}")])
            .await?;
        let row = recoveries::by_id(&mut tx, id)
            .await?
            .ok_or(RaError::NotFound)?;
        if row.requested_by == who.id {
            return Err(RaError::NotYours(Msg::new(
                "不能批准自己提交的密钥恢复申请：须由另外两名密钥恢复审批员批准",
            )));
        }
        if row.state != REQUESTED {
            return Err(RaError::Conflict(Msg::new("该申请已批准完毕，无需再批准")));
        }
        let before = recoveries::approvals(&mut tx, id).await?;
        if before.iter().any(|(staff, _)| *staff == who.id) {
            return Err(RaError::NotYours(Msg::new(
                "您已批准过该申请：第二次批准须由另一名密钥恢复审批员作出",
            )));
        }
        recoveries::approve(&mut tx, id, &who.id, now).await?;
        let count = before.len() + 1;
        if count >= APPROVALS {
            recoveries::mark_approved(&mut tx, id, now).await?;
        }
        audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &audit::Event {
                actor: &who.actor(),
                action: "key_recovery.approved",
                object: id,
                details: json!({ "approvals": count, "needed": APPROVALS }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(recovery = %id, staff = %who.name, approvals = count, "judicial key recovery approved");
        Ok(())
    }

    /// The officer who filed recovery `id`, once it is approved, has the KMC
    /// envelope the key to their public key. Asked again, the same envelope.
    pub async fn release_recovery(&self, who: &StaffMember, id: &str) -> Result<(), RaError> {
        who.require(Perm::RecoverKeys)?;
        let mut conn = self.db.conn().await?;
        let row = recoveries::by_id(&mut conn, id)
            .await?
            .ok_or(RaError::NotFound)?;
        if row.requested_by != who.id {
            return Err(RaError::NotYours(Msg::new(
                "只有提交该申请的恢复员可以取得恢复的密钥",
            )));
        }
        match row.state.as_str() {
            RELEASED => return Ok(()),
            APPROVED => {}
            _ => {
                return Err(RaError::Conflict(Msg::new(
                    "该申请尚未获得两名密钥恢复审批员的批准",
                )));
            }
        }
        let approvers = recoveries::approvals(&mut conn, id).await?;
        let mut names = Vec::new();
        for (staff, at) in &approvers {
            let name = store::staff::by_id(&mut conn, staff)
                .await?
                .map(|s| s.name)
                .unwrap_or_default();
            names.push(json!({ "name": name, "at": at }));
        }
        drop(conn);
        let record = json!({
            "kind": "judicial",
            "recovery": row.id,
            "legal_basis": row.legal_basis,
            "officer": who.name,
            "requested_at": row.created_at,
            "approvals": names,
        })
        .to_string();
        let serial = Serial::parse(&row.encryption_serial).map_err(|_| RaError::NotFound)?;
        let task_no: u64 = row.task_no.parse().map_err(|_| RaError::NotFound)?;
        let envelope = self
            .authority
            .restore_key(&serial, &row.officer_key, task_no, &record)
            .await?;
        let der = envelope.to_sm2_enveloped_key().map_err(ca::CaError::from)?;
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        if recoveries::mark_released(&mut tx, id, &der, now).await? {
            audit::append(
                &mut tx,
                self.db.audit_key()?,
                now,
                &audit::Event {
                    actor: &who.actor(),
                    action: "key_recovery.released",
                    object: id,
                    details: json!({ "encryption_serial": row.encryption_serial }),
                },
            )
            .await?;
            tx.commit().await.map_err(store::StoreError::from)?;
            tracing::info!(recovery = %id, staff = %who.name, "judicial key recovery released to its officer");
        }
        Ok(())
    }

    /// The released envelope (DER SM2EnvelopedKey), for its officer only.
    pub async fn recovery_envelope(
        &self,
        who: &StaffMember,
        id: &str,
    ) -> Result<(String, Vec<u8>), RaError> {
        who.require(Perm::RecoverKeys)?;
        let row = recoveries::by_id(&mut *self.db.conn().await?, id)
            .await?
            .ok_or(RaError::NotFound)?;
        if row.requested_by != who.id {
            return Err(RaError::NotYours(Msg::new(
                "只有提交该申请的恢复员可以取得恢复的密钥",
            )));
        }
        let der = row.envelope.ok_or(RaError::NotFound)?;
        Ok((row.encryption_serial, der))
    }

    /// The recoveries, newest first, with their officer and approvers.
    pub async fn recoveries(&self, who: &StaffMember) -> Result<Vec<RecoveryView>, RaError> {
        who.require(Perm::RecoverKeys)?;
        let mut conn = self.db.conn().await?;
        let rows = recoveries::recent(&mut conn, 100).await?;
        let name = async |conn: &mut store::AnyConnection, id: &str| {
            Ok::<_, store::StoreError>(
                store::staff::by_id(conn, id)
                    .await?
                    .map(|s| s.name)
                    .unwrap_or_default(),
            )
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let officer = name(&mut conn, &row.requested_by).await?;
            let mut approvers = Vec::new();
            for (staff, at) in recoveries::approvals(&mut conn, &row.id).await? {
                approvers.push((name(&mut conn, &staff).await?, at));
            }
            out.push(RecoveryView {
                row,
                officer,
                approvers,
            });
        }
        Ok(out)
    }
}

/// A KMC task number of the recovery's own (63 random bits).
fn task_number() -> Result<u64, RaError> {
    let bytes = crate::random::bytes::<8>();
    Ok(u64::from_be_bytes(bytes) >> 1)
}
