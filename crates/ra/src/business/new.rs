//! 在线新办: a holder buys a new certificate (机构 or 个人) without one to start
//! from. The form is the subject, the term (priced per year), how the key
//! reaches them (mailed by the operator, or written into their own blank key
//! with a 写入码) and, for a 机构证书, whether the 经办人 is the 法定代表人 (if
//! not, an 授权委托书 is required). A holder may have a few unfinished at once.

use domain::{AppState, Business, ProfileKind};
use serde::{Deserialize, Serialize};
use domain::ProfileKind::{Enterprise as E, Individual as I};
use store::applications::{self, ApplicationRow};

use super::form::{ApplicationForm, DeliveryFields, Medium, ShipTo, SubjectFields, years};
use super::{Material, Prices};
use crate::pipeline::{Draft, Started, draft_row, drafted};
use crate::{FieldErrors, Msg, Ra, RaError};

/// 在线新办 applications a holder may have unfinished at once.
const MAX_UNFINISHED_NEW: usize = 5;

/// The 在线新办 form as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct NewFields {
    #[serde(flatten)]
    pub subject: SubjectFields,
    #[serde(default)]
    pub years: String,
    #[serde(flatten)]
    pub delivery: DeliveryFields,
    /// A checkbox: `on` when ticked.
    #[serde(default)]
    pub agent_is_representative: String,
}

/// `NewFields` checked: what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChoice {
    pub subject: SubjectFields,
    pub years: u32,
    pub medium: Medium,
    pub ship_to: ShipTo,
    pub agent_is_representative: bool,
}

impl NewFields {
    /// The subject, the term and the delivery, or every wrong field.
    pub fn validate(&self, cert_type: ProfileKind) -> Result<NewChoice, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut subject = self.subject.check_subject(cert_type, &mut errors);
        subject.reason = String::new();
        let years = years(&self.years, &mut errors);
        let (medium, ship_to) = self.delivery.check(&mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewChoice {
            subject,
            years,
            medium,
            ship_to,
            agent_is_representative: cert_type == ProfileKind::Enterprise
                && self.agent_is_representative == "on",
        })
    }

    /// As typed, from what was stored (the form shown again).
    pub fn of(form: &ApplicationForm) -> Self {
        NewFields {
            subject: form.fields.clone(),
            years: form.years.max(1).to_string(),
            delivery: DeliveryFields::of(form),
            agent_is_representative: super::form::checkbox(form.agent_is_representative),
        }
    }
}

impl Ra {
    /// Opens an 在线新办 application of `cert_type`: the holder's draft of that
    /// type if there is one (a holder may buy several certificates, one after
    /// another), otherwise a new draft at the current price per year.
    pub async fn start_new(
        &self,
        holder_id: &str,
        cert_type: ProfileKind,
    ) -> Result<Started, RaError> {
        let mut conn = self.db.conn().await?;
        let mine = applications::for_holder(&mut conn, holder_id).await?;
        if let Some(draft) = mine.iter().find(|a| {
            a.business == Business::New && a.cert_type == cert_type && a.state == AppState::Draft
        }) {
            return Ok(Started {
                id: draft.id.clone(),
                existing: true,
            });
        }
        // Each unfinished one may hold uploads: a few at a time is what a
        // holder buying several certificates needs.
        let unfinished = mine
            .iter()
            .filter(|a| {
                a.business == Business::New
                    && [
                        AppState::Draft,
                        AppState::Returned,
                        AppState::PendingPayment,
                    ]
                    .contains(&a.state)
            })
            .count();
        if unfinished >= MAX_UNFINISHED_NEW {
            return Err(RaError::Conflict(
                Msg::new("您已有 {n} 个未完成的在线新办申请，请先完成或撤销后再新办")
                    .arg("n", MAX_UNFINISHED_NEW),
            ));
        }
        let mobile = store::holders::by_id(&mut conn, holder_id)
            .await?
            .map(|h| h.mobile)
            .unwrap_or_default();
        let reviewers =
            store::prices::reviewers(&mut conn, Business::New.key(), cert_type.name()).await?;
        drop(conn);
        let unit = self.price(Business::New, cert_type).await?;
        let required = self.required_now(Business::New, cert_type).await?;
        let form = ApplicationForm {
            fields: SubjectFields {
                contact_mobile: mobile,
                ..Default::default()
            },
            years: 1,
            unit_fen: unit.0,
            ..Default::default()
        };
        let now = self.now_ms();
        let row = draft_row(Draft {
            holder_id,
            business: Business::New,
            cert_type,
            cert_serial: None,
            form: &form,
            price_fen: unit.0,
            open_key: None,
            reviewers,
            required,
            now,
        });
        let mut tx = self.db.begin().await?;
        applications::insert(&mut tx, &row).await?;
        drafted(
            &mut tx,
            &row,
            format!("发起在线新办（{}）", cert_type.label_zh()),
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(application.id = %row.id, business = "new", cert_type = cert_type.name(), "application created");
        Ok(Started {
            id: row.id,
            existing: false,
        })
    }

}

/// Checks and saves the 在线新办 form. On errors nothing is saved.
pub(crate) async fn save(
    ra: &Ra,
    holder_id: &str,
    id: &str,
    typed: &NewFields,
) -> Result<(), RaError> {
    let app = ra.editable(holder_id, id, &[Business::New]).await?;
    let choice = typed.validate(app.cert_type).map_err(RaError::Form)?;
    if app.state == AppState::Returned && choice.years != app.form.years {
        return Err(RaError::Form(
            [(
                "years",
                Msg::new("已支付的申请不能更改有效期年限，如需更改请撤销后重新申请"),
            )]
            .into_iter()
            .collect(),
        ));
    }
    let mut form = app.form.clone();
    form.fields = choice.subject;
    form.years = choice.years;
    form.medium = choice.medium;
    form.ship_to = choice.ship_to;
    form.agent_is_representative = choice.agent_is_representative;
    form.complete = true;
    // The price of a new certificate is per year; a returned application
    // keeps the price it was paid at.
    let price = (app.state == AppState::Draft).then(|| form.unit_fen * i64::from(form.years));
    ra.store_form(id, &form, price).await
}

/// 在线新办's form.
pub type Form = NewFields;

/// The form as last saved.
pub(crate) fn stored(form: &ApplicationForm) -> Option<Form> {
    Some(NewFields::of(form))
}

/// Approved: issued, to be picked up with a 写入码 or mailed.
pub(crate) async fn approved(ra: &Ra, row: &ApplicationRow, mobile: &str) {
    ra.issue_approved(row, mobile).await;
}

/// The identity of the organisation (营业执照) and whoever acts for it, or of
/// the person; 在线补办 proves the same.
pub(crate) const MATERIALS: &[Material] = &[
    Material::required(E, "business_license", "营业执照副本", "Business licence (copy)"),
    Material::required(E, "agent_id", "经办人身份证", "Agent's ID card"),
    Material::optional(
        E,
        crate::catalog::AUTHORIZATION,
        "授权委托书（经办人非法定代表人时提供）",
        "Letter of authorisation (if the agent is not the legal representative)",
    ),
    Material::required(I, "id_card", "身份证（正反面）", "ID card (both sides)"),
];

/// Per year of validity.
pub(crate) const PRICES: Prices = Prices::yuan(300, 100);
