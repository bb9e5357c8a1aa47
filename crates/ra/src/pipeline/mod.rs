//! What every business shares: an application, started from a certificate
//! (`start`) or not (在线新办), its stored form, its materials, submission to
//! payment or review, withdrawal, and the state machine (`states`): every move
//! is a compare-and-set on the current state plus an event with actor, time
//! and note, in one transaction. The businesses (`crate::business`) call these.

mod start;
pub(crate) mod states;

use domain::{AppAction, AppState, Business, ProfileKind};
use store::applications::{self, ApplicationRow, EventRow};
use store::materials::MaterialRow;

use crate::business::ApplicationForm;
use crate::{Msg, Ra, RaError};

/// An application with everything its pages show.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub row: ApplicationRow,
    pub state: AppState,
    pub business: Business,
    pub cert_type: ProfileKind,
    pub form: ApplicationForm,
    pub materials: Vec<MaterialRow>,
    /// What this application needs uploaded.
    pub specs: Vec<crate::catalog::MaterialSpec>,
    pub events: Vec<EventRow>,
}

/// The result of starting a business from a certificate.
#[derive(Debug, Clone)]
pub struct Started {
    pub id: String,
    /// An unfinished application already existed and is returned instead.
    pub existing: bool,
}

/// Where the holder started a business.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A hand-off from the assistant, proved by the certificate's key.
    Assistant,
    /// 我的证书 in 个人中心.
    Portal,
}

impl Via {
    pub(crate) fn zh(self) -> &'static str {
        match self {
            Via::Assistant => "通过证书助手",
            Via::Portal => "在个人中心",
        }
    }
}

/// What a new draft application is made of; `draft_row` fills in the rest
/// (a fresh id, version 1, never submitted).
pub(crate) struct Draft<'a> {
    pub holder_id: &'a str,
    pub business: Business,
    pub cert_type: ProfileKind,
    /// The certificate it starts from, if any.
    pub cert_serial: Option<String>,
    pub form: &'a ApplicationForm,
    pub price_fen: i64,
    /// One unfinished application per certificate and business.
    pub open_key: Option<String>,
    pub reviewers: i64,
    /// JSON list of the material kinds required now.
    pub required: String,
    pub now: i64,
}

pub(crate) fn draft_row(d: Draft<'_>) -> ApplicationRow {
    ApplicationRow {
        id: crate::new_id(),
        holder_id: d.holder_id.to_string(),
        business: d.business,
        cert_type: d.cert_type,
        cert_serial: d.cert_serial,
        state: AppState::Draft,
        form: d.form.to_json(),
        price_fen: d.price_fen,
        open_key: d.open_key,
        created_at: d.now,
        updated_at: d.now,
        submitted_at: None,
        version: 1,
        reviewers: d.reviewers,
        required_materials: Some(d.required),
        review_round: 0,
    }
}

/// The event that opens an application's timeline (in the caller's
/// transaction, right after the row).
pub(crate) async fn drafted(
    tx: &mut store::AnyConnection,
    row: &ApplicationRow,
    note: String,
) -> Result<(), RaError> {
    applications::add_event(
        tx,
        &EventRow {
            id: crate::new_id(),
            application_id: row.id.clone(),
            at: row.created_at,
            actor: actor(&row.holder_id),
            from_state: None,
            to_state: AppState::Draft,
            note,
        },
    )
    .await?;
    Ok(())
}

pub(crate) fn actor(holder_id: &str) -> String {
    format!("holder:{holder_id}")
}

impl Ra {
    /// The holder's application, or `NotFound` (also for other holders' ids).
    pub async fn application(&self, holder_id: &str, id: &str) -> Result<ApplicationView, RaError> {
        let mut conn = self.db.conn().await?;
        let row = applications::owned(&mut conn, id, holder_id)
            .await?
            .ok_or(RaError::NotFound)?;
        drop(conn);
        self.view_of(row).await
    }

    /// Everything about an application, for whoever may see it.
    pub(crate) async fn view_of(&self, row: ApplicationRow) -> Result<ApplicationView, RaError> {
        let (state, business, cert_type) = (row.state, row.business, row.cert_type);
        let form: ApplicationForm = serde_json::from_str(&row.form).unwrap_or_default();
        let mut conn = self.db.conn().await?;
        let materials = store::materials::current(&mut conn, &row.id).await?;
        let events = applications::events(&mut conn, &row.id).await?;
        drop(conn);
        let mut specs = self.materials_of(&row, business, cert_type).await?;
        if matches!(business, Business::New | Business::Reissue)
            && form.complete
            && !form.agent_is_representative
        {
            for spec in &mut specs {
                if spec.kind == crate::catalog::AUTHORIZATION {
                    spec.required = true;
                }
            }
        }
        Ok(ApplicationView {
            row,
            state,
            business,
            cert_type,
            form,
            materials,
            specs,
            events,
        })
    }

    pub async fn applications_of(&self, holder_id: &str) -> Result<Vec<ApplicationRow>, RaError> {
        Ok(applications::for_holder(&mut *self.db.conn().await?, holder_id).await?)
    }

    /// The holder's application of one of `businesses` while its form may be
    /// edited: `NotFound` for another business (or holder), a conflict once
    /// submitted.
    pub(crate) async fn editable(
        &self,
        holder_id: &str,
        id: &str,
        businesses: &[Business],
    ) -> Result<ApplicationView, RaError> {
        let app = self.application(holder_id, id).await?;
        if !businesses.contains(&app.business) {
            return Err(RaError::NotFound);
        }
        if !app.state.editable() {
            return Err(RaError::Conflict(Msg::new("申请当前状态不能修改")));
        }
        Ok(app)
    }

    pub(crate) async fn store_form(
        &self,
        id: &str,
        form: &ApplicationForm,
        price_fen: Option<i64>,
    ) -> Result<(), RaError> {
        let json = form.to_json();
        let editable = [AppState::Draft, AppState::Returned];
        let saved = applications::save_form(
            &mut *self.db.conn().await?,
            id,
            &json,
            price_fen,
            &editable,
            self.now_ms(),
        )
        .await?;
        if !saved {
            return Err(RaError::Conflict(Msg::new("申请状态已变化，请刷新页面")));
        }
        Ok(())
    }

    /// Submits: free businesses go to review, paid ones to payment; a returned
    /// application goes back to review (its payment stands).
    pub async fn submit(&self, holder_id: &str, id: &str) -> Result<AppState, RaError> {
        let app = self.application(holder_id, id).await?;
        if !app.state.editable() {
            return Err(RaError::Conflict(Msg::new("申请当前状态不能提交")));
        }
        if !app.form.complete {
            return Err(RaError::Invalid(Msg::new("请先填写并保存基本信息")));
        }
        let have: Vec<&str> = app.materials.iter().map(|m| m.kind.as_str()).collect();
        let missing: Vec<String> = app
            .specs
            .iter()
            .filter(|s| s.required && !have.contains(&s.kind.as_str()))
            .map(|s| s.kind.clone())
            .collect();
        if !missing.is_empty() {
            return Err(RaError::MissingMaterials(missing));
        }
        let (action, price) = if app.state == AppState::Returned {
            (AppAction::SubmitForReview, None)
        } else {
            // The price the application was created with: a price changed in the
            // back office applies to new applications only.
            let price = domain::Fen(app.row.price_fen);
            let action = if price.is_free() {
                AppAction::SubmitForReview
            } else {
                AppAction::SubmitForPayment
            };
            (action, Some(price.0))
        };
        let note = match app.state {
            AppState::Returned => "补正后重新提交",
            _ => "提交申请",
        };
        let mut tx = self.db.begin().await?;
        let to = self
            .move_state_in(
                &mut tx,
                &app.row,
                app.state,
                action,
                &actor(holder_id),
                note,
                price,
            )
            .await?;
        if to == AppState::PendingPayment {
            let order = self.new_order(&app.row, price.unwrap_or(app.row.price_fen), self.now_ms());
            store::orders::insert(&mut tx, &order).await?;
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        if to == AppState::PendingReview {
            self.auto_review(id).await;
            return Ok(self.application(holder_id, id).await?.state);
        }
        Ok(to)
    }

    /// Withdraws an application before a decision. Its open order closes with it
    /// (money arriving for it later is refunded); a payment already made is
    /// refunded in full.
    pub async fn cancel(&self, holder_id: &str, id: &str) -> Result<(), RaError> {
        let app = self.application(holder_id, id).await?;
        let mut tx = self.db.begin().await?;
        let to = self
            .move_state_in(
                &mut tx,
                &app.row,
                app.state,
                AppAction::Cancel,
                &actor(holder_id),
                "申请人取消申请",
                None,
            )
            .await?;
        if let Some(open) = store::orders::open_for_application(&mut tx, id).await? {
            store::orders::close(
                &mut tx,
                &open.id,
                domain::OrderState::Cancelled,
                self.now_ms(),
            )
            .await?;
        }
        let (_, refunds) = self
            .refund_in(&mut tx, &app.row, to, "申请人撤销申请")
            .await?;
        store::review::release(&mut tx, id).await?;
        // Withdrawn before any decision: its uploads are of no further use.
        let blobs = store::materials::delete_for_application(&mut tx, id).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        self.delete_blobs(&blobs).await;
        self.refund_now(&refunds).await;
        Ok(())
    }
}
