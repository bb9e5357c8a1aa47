//! 签章变更: the holder of a certificate asks for a new electronic seal image
//! (uploaded as a material, checked as an image; the form is the contacts).
//! After approval the assistant, proving the certificate's key, fetches
//! the approved seal image, writes it into the token as a data object bound to
//! the certificate, and reports it written (naming the image's SHA-256, so what
//! is reported is what was approved): 已完成. 个人中心 and the review desk show a
//! certificate's current seal: the image of its latest completed seal change.

use domain::ProfileKind::{Enterprise as E, Individual as I};
use domain::{AppAction, AppState, Business};
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::applications::{self, ApplicationRow};
use store::materials::MaterialRow;

use super::form::{ApplicationForm, contacts};
use super::{Material, Prices};
use crate::materials::SEAL_IMAGE;
use crate::proof::Accept;
use crate::{FieldErrors, Msg, Ra, RaError};

/// What the assistant signs to fetch the approved seal.
pub fn fetch_message(nonce: &str) -> Vec<u8> {
    format!("certhall-seal:{nonce}").into_bytes()
}

/// What the assistant signs once the seal is in the token.
pub fn written_message(nonce: &str, sha256_hex: &str) -> Vec<u8> {
    format!("certhall-seal-written:{nonce}:{sha256_hex}").into_bytes()
}

/// What the assistant signs, with a key just written, to fetch the seal its
/// certificate carries over from the one it replaced.
pub fn current_message(nonce: &str) -> Vec<u8> {
    format!("certhall-seal-current:{nonce}").into_bytes()
}

/// The approved seal of a certificate, for the assistant.
#[derive(Debug, Clone)]
pub struct ApprovedSeal {
    pub application_id: String,
    pub png: bytes::Bytes,
    pub sha256: String,
}

/// The 签章变更 form as typed: how to reach the holder (the seal itself is a
/// material, checked as an image).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SealFields {
    #[serde(default)]
    pub contact_mobile: String,
    #[serde(default)]
    pub contact_email: String,
}

impl SealFields {
    /// The contacts, normalised, or every wrong field.
    pub fn validate(&self) -> Result<(String, String), FieldErrors> {
        let mut errors = FieldErrors::new();
        let found = contacts(&self.contact_mobile, &self.contact_email, &mut errors);
        if errors.is_empty() {
            Ok(found)
        } else {
            Err(errors)
        }
    }
}

impl Ra {
    async fn approved_seal_change(&self, serial_hex: &str) -> Result<ApplicationRow, RaError> {
        applications::for_certificate(&mut *self.db.conn().await?, serial_hex)
            .await?
            .into_iter()
            .find(|a| a.business == Business::SealChange && a.state == AppState::Approved)
            .ok_or_else(|| {
                RaError::Conflict(Msg::new(
                    "该证书没有已审核通过的签章变更申请，请先在网上办理并等待审核通过",
                ))
            })
    }

    /// The seal image material of an application.
    async fn seal_material(&self, application_id: &str) -> Result<MaterialRow, RaError> {
        store::materials::current(&mut *self.db.conn().await?, application_id)
            .await?
            .into_iter()
            .find(|m| m.kind == SEAL_IMAGE)
            .ok_or(RaError::NotFound)
    }

    /// The approved seal for the proving certificate.
    pub async fn assistant_seal(
        &self,
        certificate: &[u8],
        nonce: &str,
        signature: &[u8],
    ) -> Result<ApprovedSeal, RaError> {
        let cert = self
            .prove(
                certificate,
                nonce,
                &fetch_message(nonce),
                signature,
                Accept::Valid,
            )
            .await?;
        let app = self.approved_seal_change(&cert.serial).await?;
        let m = self.seal_material(&app.id).await?;
        Ok(ApprovedSeal {
            png: self.blobs.get(&m.blob_key).await?,
            sha256: m.sha256,
            application_id: app.id,
        })
    }

    /// The current seal of the proving certificate ([`Self::current_seals`]:
    /// its own, or the one it carries over from the certificate it replaced),
    /// if it has one: what 在线补办 writes into the new key, whose old key,
    /// and the seal object in it, are lost. `application_id` names the
    /// 签章变更 that approved it.
    pub async fn assistant_current_seal(
        &self,
        certificate: &[u8],
        nonce: &str,
        signature: &[u8],
    ) -> Result<Option<ApprovedSeal>, RaError> {
        let cert = self
            .prove(
                certificate,
                nonce,
                &current_message(nonce),
                signature,
                Accept::Valid,
            )
            .await?;
        let Some(material) = self.current_seal(&cert.serial).await? else {
            return Ok(None);
        };
        let found = store::materials::with_owner(&mut *self.db.conn().await?, &material)
            .await?
            .ok_or(RaError::NotFound)?;
        let m = found.material;
        Ok(Some(ApprovedSeal {
            png: self.blobs.get(&m.blob_key).await?,
            sha256: m.sha256,
            application_id: m.application_id,
        }))
    }

    /// The seal `sha256_hex` is in the token next to the proving certificate:
    /// 已完成. Reported twice, the second report changes nothing.
    pub async fn assistant_seal_written(
        &self,
        certificate: &[u8],
        nonce: &str,
        signature: &[u8],
        sha256_hex: &str,
    ) -> Result<String, RaError> {
        let cert = self
            .prove(
                certificate,
                nonce,
                &written_message(nonce, sha256_hex),
                signature,
                Accept::Valid,
            )
            .await?;
        let app = match self.approved_seal_change(&cert.serial).await {
            Ok(a) => a,
            Err(e) => {
                // Already reported: the latest completed one says so.
                if let Some(done) = self.latest_seal_change(&cert.serial).await?
                    && self.seal_material(&done.id).await?.sha256 == sha256_hex
                {
                    return Ok(done.id);
                }
                return Err(e);
            }
        };
        if self.seal_material(&app.id).await?.sha256 != sha256_hex {
            return Err(RaError::Conflict(Msg::new(
                "写入的印章与审核通过的印章不一致，请重新运行证书助手",
            )));
        }
        let actor = format!("holder:{}", app.holder_id);
        let mut tx = self.db.begin().await?;
        self.move_state_in(
            &mut tx,
            &app,
            AppState::Approved,
            AppAction::Complete,
            &actor,
            "新印章已写入证书介质，签章变更办理完成",
            None,
        )
        .await?;
        store::audit::append(
            &mut tx,
            self.db.audit_key()?,
            self.now_ms(),
            &store::audit::Event {
                actor: &actor,
                action: "seal.written",
                object: &app.id,
                details: json!({ "serial": cert.serial, "sha256": sha256_hex }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        if let Some(h) = store::holders::by_id(&mut *self.db.conn().await?, &app.holder_id).await? {
            self.notify_holder(&h.mobile, "您的签章变更已办理完成，新印章已写入证书介质。")
                .await;
        }
        Ok(app.id)
    }

    /// The latest completed 签章变更 of a certificate.
    async fn latest_seal_change(
        &self,
        serial_hex: &str,
    ) -> Result<Option<ApplicationRow>, RaError> {
        Ok(
            applications::for_certificate(&mut *self.db.conn().await?, serial_hex)
                .await?
                .into_iter()
                .filter(|a| a.business == Business::SealChange && a.state == AppState::Completed)
                .max_by_key(|a| a.updated_at),
        )
    }

    /// The material id of a certificate's current seal (its latest completed
    /// 签章变更), if it has one.
    pub async fn current_seal(&self, serial_hex: &str) -> Result<Option<String>, RaError> {
        Ok(self
            .current_seals(&[serial_hex.to_string()])
            .await?
            .remove(serial_hex))
    }

    /// [`Self::current_seal`] of several certificates: serial → material id,
    /// for those that have a seal. A certificate with no 签章变更 of its own
    /// has the seal of the one it replaced (证书变更, 在线延期, 在线补办 carry
    /// the seal to the new key, as the assistant carries it in the token),
    /// followed back a few generations, one query per generation.
    pub async fn current_seals(
        &self,
        serials: &[String],
    ) -> Result<std::collections::HashMap<String, String>, RaError> {
        /// Re-keys followed back: far more than a certificate's life sees.
        const GENERATIONS: usize = 16;
        let mut conn = self.db.conn().await?;
        let mut found = std::collections::HashMap::new();
        // (the certificate asked about, the one whose seal is looked for now)
        let mut looking: Vec<(String, String)> =
            serials.iter().map(|s| (s.clone(), s.clone())).collect();
        for _ in 0..GENERATIONS {
            let at: Vec<String> = looking.iter().map(|(_, at)| at.clone()).collect();
            // Oldest first: a later seal change replaces an earlier one.
            let seals: std::collections::HashMap<String, String> =
                store::applications::latest_material_of(
                    &mut conn,
                    &at,
                    Business::SealChange,
                    AppState::Completed,
                    SEAL_IMAGE,
                )
                .await?
                .into_iter()
                .collect();
            let (sealed, rest): (Vec<_>, Vec<_>) =
                looking.into_iter().partition(|(_, at)| seals.contains_key(at));
            for (asked, at) in sealed {
                found.insert(asked, seals[&at].clone());
            }
            let at: Vec<String> = rest.iter().map(|(_, at)| at.clone()).collect();
            let before: std::collections::HashMap<String, String> =
                store::certificates::predecessors(&mut conn, &at)
                    .await?
                    .into_iter()
                    .collect();
            looking = rest
                .into_iter()
                .filter_map(|(asked, at)| before.get(&at).map(|b| (asked, b.clone())))
                .collect();
            if looking.is_empty() {
                break;
            }
        }
        Ok(found)
    }
}

/// Checks and saves the 签章变更 form: the contacts (the seal itself is a
/// material). On errors nothing is saved.
pub(crate) async fn save(
    ra: &Ra,
    holder_id: &str,
    id: &str,
    fields: &SealFields,
) -> Result<(), RaError> {
    let app = ra
        .editable(holder_id, id, &[Business::SealChange])
        .await?;
    let (mobile, email) = fields.validate().map_err(RaError::Form)?;
    let mut form = app.form.clone();
    form.fields.contact_mobile = mobile;
    form.fields.contact_email = email;
    form.complete = true;
    ra.store_form(id, &form, None).await
}

/// 签章变更's form: the contacts (the seal itself is a material).
pub type Form = SealFields;

/// The form as last saved.
pub(crate) fn stored(form: &ApplicationForm) -> Option<Form> {
    Some(SealFields {
        contact_mobile: form.fields.contact_mobile.clone(),
        contact_email: form.fields.contact_email.clone(),
    })
}

/// Approved: the holder writes the new seal with the assistant.
pub(crate) async fn approved(ra: &Ra, _row: &ApplicationRow, mobile: &str) {
    ra.notify_holder(
        mobile,
        "您的签章变更申请已审核通过，请插入证书介质，在数字证书助手中运行签章变更，写入新印章。",
    )
    .await;
}

/// The new seal and the signed 《电子印章采样表》.
pub(crate) const MATERIALS: &[Material] = &[
    Material::required(E, SEAL_IMAGE, SEAL_IMAGE_ZH, SEAL_IMAGE_EN),
    Material::required(E, "seal_sample_form", SAMPLE_FORM_ZH, SAMPLE_FORM_EN),
    Material::required(I, SEAL_IMAGE, SEAL_IMAGE_ZH, SEAL_IMAGE_EN),
    Material::required(I, "seal_sample_form", SAMPLE_FORM_ZH, SAMPLE_FORM_EN),
];
const SEAL_IMAGE_ZH: &str = "电子印章图片（透明背景 PNG）";
const SEAL_IMAGE_EN: &str = "E-seal image (PNG with transparency)";
const SAMPLE_FORM_ZH: &str = "《电子印章采样表》（签字盖章）";
const SAMPLE_FORM_EN: &str = "E-seal sample form (signed and stamped)";

pub(crate) const PRICES: Prices = Prices::yuan(50, 50);
