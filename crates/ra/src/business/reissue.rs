//! 在线补办: the key of a certificate is lost or broken. The holder says which
//! (the reason the old certificate is revoked with) and how the new key
//! reaches them; the new certificate keeps the old one's subject and end date,
//! and the old one is revoked once the new one is written.

use domain::{Business, ProfileKind, RevocationReason};
use serde::{Deserialize, Serialize};
use store::applications::ApplicationRow;

use super::form::{ApplicationForm, DeliveryFields, Medium, ShipTo, contacts};
use super::{Material, Prices};
use crate::{FieldErrors, Msg, Ra, RaError};

/// What 在线补办 may give as the old certificate's revocation reason: the key
/// is lost or broken.
pub const REISSUE_REASONS: [RevocationReason; 2] = [
    RevocationReason::KeyCompromise,
    RevocationReason::CessationOfOperation,
];

/// The 在线补办 form as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReissueFields {
    #[serde(default)]
    pub revoke_reason: String,
    #[serde(default)]
    pub contact_mobile: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(flatten)]
    pub delivery: DeliveryFields,
    /// A checkbox: `on` when ticked (机构证书).
    #[serde(default)]
    pub agent_is_representative: String,
    /// A checkbox: `on` to have the earlier encryption keys back (双证书).
    #[serde(default)]
    pub restore_earlier_keys: String,
}

/// `ReissueFields` checked: what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReissueChoice {
    pub revoke_reason: RevocationReason,
    pub contact_mobile: String,
    pub contact_email: String,
    pub medium: Medium,
    pub ship_to: ShipTo,
    pub agent_is_representative: bool,
    pub restore_earlier_keys: bool,
}

impl ReissueFields {
    /// The reason, the contacts and the delivery, or every wrong field.
    pub fn validate(&self, cert_type: ProfileKind) -> Result<ReissueChoice, FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = self
            .revoke_reason
            .parse::<RevocationReason>()
            .ok()
            .filter(|r| REISSUE_REASONS.contains(r));
        if reason.is_none() {
            errors.insert("revoke_reason", Msg::new("请选择原证书介质的情况"));
        }
        let (contact_mobile, contact_email) =
            contacts(&self.contact_mobile, &self.contact_email, &mut errors);
        let (medium, ship_to) = self.delivery.check(&mut errors);
        match reason {
            Some(revoke_reason) if errors.is_empty() => Ok(ReissueChoice {
                revoke_reason,
                contact_mobile,
                contact_email,
                medium,
                ship_to,
                agent_is_representative: cert_type == ProfileKind::Enterprise
                    && self.agent_is_representative == "on",
                restore_earlier_keys: self.restore_earlier_keys == "on",
            }),
            _ => Err(errors),
        }
    }

    /// As typed, from what was stored (the form shown again).
    pub fn of(form: &ApplicationForm) -> Self {
        ReissueFields {
            revoke_reason: form.revoke_reason.clone(),
            contact_mobile: form.fields.contact_mobile.clone(),
            contact_email: form.fields.contact_email.clone(),
            delivery: DeliveryFields::of(form),
            agent_is_representative: super::form::checkbox(form.agent_is_representative),
            restore_earlier_keys: super::form::checkbox(form.restore_earlier_keys),
        }
    }
}

/// Checks and saves the 在线补办 form. On errors nothing is saved.
pub(crate) async fn save(
    ra: &Ra,
    holder_id: &str,
    id: &str,
    typed: &ReissueFields,
) -> Result<(), RaError> {
    let app = ra.editable(holder_id, id, &[Business::Reissue]).await?;
    let choice = typed.validate(app.cert_type).map_err(RaError::Form)?;
    let mut form = app.form.clone();
    form.fields.contact_mobile = choice.contact_mobile;
    form.fields.contact_email = choice.contact_email;
    form.revoke_reason = choice.revoke_reason.name().to_string();
    form.medium = choice.medium;
    form.ship_to = choice.ship_to;
    form.agent_is_representative = choice.agent_is_representative;
    form.restore_earlier_keys = choice.restore_earlier_keys;
    form.complete = true;
    ra.store_form(id, &form, None).await
}

/// 在线补办's form.
pub type Form = ReissueFields;

/// The form as last saved.
pub(crate) fn stored(form: &ApplicationForm) -> Option<Form> {
    Some(ReissueFields::of(form))
}

/// Approved: the old certificate goes, the new one is issued to be picked
/// up with a 写入码 or mailed.
pub(crate) async fn approved(ra: &Ra, row: &ApplicationRow, mobile: &str) {
    ra.issue_approved(row, mobile).await;
}

/// The same identity as 在线新办: the lost key proves nothing.
pub(crate) const MATERIALS: &[Material] = super::new::MATERIALS;

pub(crate) const PRICES: Prices = Prices::yuan(100, 80);
