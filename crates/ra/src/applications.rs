//! Applications on the state machine. Every move is a compare-and-set on the
//! current state plus an event with actor, time and note, in one transaction.

use domain::{AppAction, AppState, Business, ProfileKind, Serial};
use store::applications::{self, ApplicationRow, EventRow};
use store::materials::MaterialRow;

use crate::forms::{ChangeFields, ChangeForm, OldSubject};
use crate::{Msg, Ra, RaError, new_id};

/// An application with everything its pages show.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub row: ApplicationRow,
    pub state: AppState,
    pub business: Business,
    pub cert_type: ProfileKind,
    pub form: ChangeForm,
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
    fn zh(self) -> &'static str {
        match self {
            Via::Assistant => "通过证书助手",
            Via::Portal => "在个人中心",
        }
    }
}

/// 在线新办 applications a holder may have unfinished at once.
const MAX_UNFINISHED_NEW: usize = 5;

/// The businesses that end with the certificate replaced by another.
const REPLACING: [Business; 3] = [Business::Change, Business::Renew, Business::Reissue];

fn actor(holder_id: &str) -> String {
    format!("holder:{holder_id}")
}

fn parse_row(row: &ApplicationRow) -> Result<(AppState, Business, ProfileKind), RaError> {
    let bad = || RaError::Invalid(Msg::new("application {id} is corrupt").arg("id", &row.id));
    Ok((
        row.state.parse().map_err(|_| bad())?,
        row.business.parse().map_err(|_| bad())?,
        row.cert_type.parse().map_err(|_| bad())?,
    ))
}

impl Ra {
    /// Opens the change application for a certificate: the unfinished one if
    /// there is one, otherwise a new draft pre-filled from the certificate.
    pub async fn start_change(&self, holder_id: &str, serial: &Serial) -> Result<Started, RaError> {
        self.start(holder_id, serial, Business::Change, Via::Assistant)
            .await
    }

    /// Starts a business from one of the holder's own certificates (我的证书 in
    /// 个人中心): only certificates their applications started from or
    /// produced; anyone else's is `NotFound`.
    pub async fn start_owned(
        &self,
        holder_id: &str,
        serial: &Serial,
        business: Business,
    ) -> Result<Started, RaError> {
        let owned = store::certificates::of_holder(&mut *self.db.conn().await?, holder_id)
            .await?
            .iter()
            .any(|c| c.serial == serial.to_hex());
        if !owned {
            return Err(RaError::NotFound);
        }
        self.start(holder_id, serial, business, Via::Portal).await
    }

    /// Opens the application of `business` for a certificate: the unfinished
    /// one if there is one, otherwise a new draft pre-filled from the
    /// certificate. The caller has established that the holder holds it (a
    /// proof by its key, or their own earlier application).
    pub async fn start(
        &self,
        holder_id: &str,
        serial: &Serial,
        business: Business,
        via: Via,
    ) -> Result<Started, RaError> {
        if !matches!(
            business,
            Business::Change
                | Business::Renew
                | Business::Revoke
                | Business::Reissue
                | Business::SealChange
        ) {
            return Err(RaError::Invalid(Msg::new(
                "该业务即将开放，请致电客服热线办理",
            )));
        }
        let holder_mobile = store::holders::by_id(&mut *self.db.conn().await?, holder_id)
            .await?
            .map(|h| h.mobile)
            .unwrap_or_default();
        let now = self.now_ms();
        let open_key = format!("{}|{}", serial.to_hex(), business.key());
        let mut conn = self.db.conn().await?;
        if let Some(found) = self.existing(&mut conn, &open_key, holder_id).await? {
            return Ok(found);
        }
        let cert = store::certificates::by_serial(&mut conn, &serial.to_hex())
            .await?
            .filter(|c| c.state == store::certificates::STATE_ISSUED)
            .ok_or(RaError::NotFound)?;
        if cert.revoked_at.is_some() {
            return Err(RaError::Handoff(Msg::new("该证书已被吊销，不能办理此业务")));
        }
        // A change, a renewal and a reissue each replace the certificate: one
        // at a time.
        if REPLACING.contains(&business)
            && let Some(other) = applications::for_certificate(&mut conn, &cert.serial)
                .await?
                .into_iter()
                .find(|a| {
                    a.business != business.key()
                        && REPLACING.iter().any(|b| a.business == b.key())
                        && a.state.parse::<AppState>().is_ok_and(|s| s.unfinished())
                })
        {
            let name = other
                .business
                .parse::<Business>()
                .map(Business::name_zh)
                .unwrap_or("其他业务");
            return Err(RaError::Conflict(
                Msg::new("该证书有正在办理中的{other}，请办结或撤销后再申请{this}")
                    .arg("other", name)
                    .arg("this", business.name_zh()),
            ));
        }
        match business {
            Business::Renew => self.renewal_of(&cert, now).map_err(RaError::Invalid)?,
            _ if cert.not_after <= now => {
                return Err(RaError::Handoff(Msg::new("该证书不在有效期内")));
            }
            _ => {}
        }
        let cert_type: ProfileKind = cert
            .profile
            .parse()
            .map_err(|_| RaError::Invalid(Msg::new("unknown certificate profile")))?;
        let (id_number, _) =
            ca::profile::identity_values(cert.cert_der.as_deref().unwrap_or_default());
        let reviewers =
            store::prices::reviewers(&mut conn, business.key(), cert_type.name()).await?;
        drop(conn);
        let unit = self.price(business, cert_type).await?;
        let years = u32::from(business == Business::Renew);
        let form = ChangeForm {
            old: OldSubject {
                serial: cert.serial.clone(),
                common_name: cert.common_name.clone(),
                organization: cert.organization.clone().unwrap_or_default(),
                credit_code: cert.credit_code.clone().unwrap_or_default(),
                id_number_masked: cert.id_number_masked.clone().unwrap_or_default(),
            },
            fields: ChangeFields {
                common_name: cert.common_name.clone(),
                organization: cert.organization.clone().unwrap_or_default(),
                credit_code: cert.credit_code.clone().unwrap_or_default(),
                id_number: id_number.unwrap_or_default(),
                contact_mobile: holder_mobile,
                ..Default::default()
            },
            complete: false,
            years,
            unit_fen: unit.0,
            old_not_before: cert.not_before,
            old_not_after: cert.not_after,
            ..Default::default()
        };
        let price = unit.0 * i64::from(years.max(1));
        let required: Vec<String> = self
            .current_materials(business, cert_type)
            .await?
            .into_iter()
            .filter(|s| s.required)
            .map(|s| s.kind)
            .collect();
        let row = ApplicationRow {
            id: new_id(),
            holder_id: holder_id.to_string(),
            business: business.key().into(),
            cert_type: cert_type.name().into(),
            cert_serial: Some(cert.serial.clone()),
            state: AppState::Draft.key().into(),
            form: serde_json::to_string(&form).expect("forms serialise"),
            price_fen: price,
            open_key: Some(open_key.clone()),
            created_at: now,
            updated_at: now,
            submitted_at: None,
            version: 1,
            reviewers,
            required_materials: Some(serde_json::to_string(&required).expect("a list serialises")),
            review_round: 0,
        };
        let mut tx = self.db.begin().await?;
        match applications::insert(&mut tx, &row).await {
            Ok(()) => {}
            Err(store::StoreError::Duplicate(_)) => {
                // Another request created it a moment ago.
                drop(tx);
                let mut conn = self.db.conn().await?;
                return self
                    .existing(&mut conn, &open_key, holder_id)
                    .await?
                    .ok_or_else(|| RaError::Conflict(Msg::new("请稍后重试")));
            }
            Err(e) => return Err(e.into()),
        }
        applications::add_event(
            &mut tx,
            &EventRow {
                id: new_id(),
                application_id: row.id.clone(),
                at: now,
                actor: actor(holder_id),
                from_state: None,
                to_state: AppState::Draft.key().into(),
                note: format!("{}发起{}", via.zh(), business.name_zh()),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(application.id = %row.id, cert.serial = %serial, business = business.key(), "application created");
        Ok(Started {
            id: row.id,
            existing: false,
        })
    }

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
            a.business == Business::New.key()
                && a.cert_type == cert_type.name()
                && a.state == AppState::Draft.key()
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
                a.business == Business::New.key()
                    && [
                        AppState::Draft,
                        AppState::Returned,
                        AppState::PendingPayment,
                    ]
                    .iter()
                    .any(|s| s.key() == a.state)
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
        let required: Vec<String> = self
            .current_materials(Business::New, cert_type)
            .await?
            .into_iter()
            .filter(|s| s.required)
            .map(|s| s.kind)
            .collect();
        let form = ChangeForm {
            fields: ChangeFields {
                contact_mobile: mobile,
                ..Default::default()
            },
            years: 1,
            unit_fen: unit.0,
            ..Default::default()
        };
        let now = self.now_ms();
        let row = ApplicationRow {
            id: new_id(),
            holder_id: holder_id.to_string(),
            business: Business::New.key().into(),
            cert_type: cert_type.name().into(),
            cert_serial: None,
            state: AppState::Draft.key().into(),
            form: serde_json::to_string(&form).expect("forms serialise"),
            price_fen: unit.0,
            open_key: None,
            created_at: now,
            updated_at: now,
            submitted_at: None,
            version: 1,
            reviewers,
            required_materials: Some(serde_json::to_string(&required).expect("a list serialises")),
            review_round: 0,
        };
        let mut tx = self.db.begin().await?;
        applications::insert(&mut tx, &row).await?;
        applications::add_event(
            &mut tx,
            &EventRow {
                id: new_id(),
                application_id: row.id.clone(),
                at: now,
                actor: actor(holder_id),
                from_state: None,
                to_state: AppState::Draft.key().into(),
                note: format!("发起在线新办（{}）", cert_type.label_zh()),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(application.id = %row.id, business = "new", cert_type = cert_type.name(), "application created");
        Ok(Started {
            id: row.id,
            existing: false,
        })
    }

    /// Checks and saves the form of 在线新办 (subject, term, medium) or 在线补办
    /// (what became of the old key, medium). On errors nothing is saved.
    pub async fn save_issue_form(
        &self,
        holder_id: &str,
        id: &str,
        typed: &crate::forms::IssueFields,
    ) -> Result<(), RaError> {
        let app = self
            .editable(holder_id, id, &[Business::New, Business::Reissue])
            .await?;
        let reissue = app.business == Business::Reissue;
        let choice = typed
            .validate(app.cert_type, reissue)
            .map_err(RaError::Form)?;
        if !reissue && app.state == AppState::Returned && choice.years != app.form.years {
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
        if reissue {
            form.fields.contact_mobile = choice.subject.contact_mobile;
            form.fields.contact_email = choice.subject.contact_email;
            form.revoke_reason = choice.revoke_reason;
        } else {
            form.fields = choice.subject;
            form.years = choice.years;
        }
        form.medium = choice.medium;
        form.ship_to = choice.ship_to;
        form.agent_is_representative = choice.agent_is_representative;
        form.complete = true;
        // The price of a new certificate is per year; a returned application
        // keeps the price it was paid at.
        let price = (!reissue && app.state == AppState::Draft)
            .then(|| form.unit_fen * i64::from(form.years));
        self.store_form(id, &form, price).await
    }

    /// Checks and saves the 签章变更 form: the contacts (the seal itself is a
    /// material). On errors nothing is saved.
    pub async fn save_seal_form(
        &self,
        holder_id: &str,
        id: &str,
        fields: &crate::forms::RenewFields,
    ) -> Result<(), RaError> {
        let app = self
            .editable(holder_id, id, &[Business::SealChange])
            .await?;
        let (mobile, email) = fields.validate_contacts().map_err(RaError::Form)?;
        let mut form = app.form.clone();
        form.fields.contact_mobile = mobile;
        form.fields.contact_email = email;
        form.complete = true;
        self.store_form(id, &form, None).await
    }

    async fn existing(
        &self,
        conn: &mut store::AnyConnection,
        open_key: &str,
        holder_id: &str,
    ) -> Result<Option<Started>, RaError> {
        match applications::by_open_key(conn, open_key).await? {
            Some(app) if app.holder_id == holder_id => Ok(Some(Started {
                id: app.id,
                existing: true,
            })),
            Some(_) => Err(RaError::Conflict(Msg::new(
                "该证书已有正在办理中的同类申请（由其他账号发起），请联系客服",
            ))),
            None => Ok(None),
        }
    }

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
        let (state, business, cert_type) = parse_row(&row)?;
        let form: ChangeForm = serde_json::from_str(&row.form).unwrap_or_default();
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

    /// Checks and saves the 基本信息 form. On errors nothing is saved.
    pub async fn save_change_form(
        &self,
        holder_id: &str,
        id: &str,
        fields: &ChangeFields,
    ) -> Result<(), RaError> {
        let app = self.editable(holder_id, id, &[Business::Change]).await?;
        let clean = fields
            .validate(app.cert_type, &app.form.old)
            .map_err(RaError::Form)?;
        let form = ChangeForm {
            fields: clean,
            complete: true,
            ..app.form.clone()
        };
        self.store_form(id, &form, None).await
    }

    /// Checks and saves the 在线延期 form: the term (which sets the price: the
    /// price per year the application was created with, times the years) and
    /// the contacts. On errors nothing is saved.
    pub async fn save_renew_form(
        &self,
        holder_id: &str,
        id: &str,
        fields: &crate::forms::RenewFields,
    ) -> Result<(), RaError> {
        let app = self.editable(holder_id, id, &[Business::Renew]).await?;
        let (years, mobile, email) = fields.validate().map_err(RaError::Form)?;
        let mut form = app.form.clone();
        form.years = years;
        form.fields.contact_mobile = mobile;
        form.fields.contact_email = email;
        form.complete = true;
        // A returned application keeps the price it was paid at.
        let price = (app.state == AppState::Draft).then(|| form.unit_fen * i64::from(years));
        if app.state == AppState::Returned && years != app.form.years {
            return Err(RaError::Form(
                [(
                    "years",
                    Msg::new("已支付的申请不能更改延期年限，如需更改请撤销后重新申请"),
                )]
                .into_iter()
                .collect(),
            ));
        }
        self.store_form(id, &form, price).await
    }

    /// The holder's application of one of `businesses` while its form may be
    /// edited: `NotFound` for another business (or holder), a conflict once
    /// submitted.
    async fn editable(
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

    async fn store_form(
        &self,
        id: &str,
        form: &ChangeForm,
        price_fen: Option<i64>,
    ) -> Result<(), RaError> {
        let json = serde_json::to_string(form).expect("forms serialise");
        let editable = [AppState::Draft.key(), AppState::Returned.key()];
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
            store::orders::close(&mut tx, &open.id, store::orders::CANCELLED, self.now_ms())
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

    /// The one way an application changes state.
    pub async fn move_state(
        &self,
        row: &ApplicationRow,
        from: AppState,
        action: AppAction,
        actor: &str,
        note: &str,
        price_fen: Option<i64>,
    ) -> Result<AppState, RaError> {
        let mut tx = self.db.begin().await?;
        let to = self
            .move_state_in(&mut tx, row, from, action, actor, note, price_fen)
            .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(to)
    }

    /// `move_state` inside the caller's transaction, for moves that change
    /// something else at the same time (an order opened, cancelled).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn move_state_in(
        &self,
        tx: &mut store::AnyConnection,
        row: &ApplicationRow,
        from: AppState,
        action: AppAction,
        actor: &str,
        note: &str,
        price_fen: Option<i64>,
    ) -> Result<AppState, RaError> {
        let to = from
            .after(action)
            .ok_or_else(|| RaError::Conflict(Msg::new("申请当前状态不能进行此操作")))?;
        let now = self.now_ms();
        let submitted = matches!(
            action,
            AppAction::SubmitForReview | AppAction::SubmitForPayment
        );
        let moved = applications::transition(
            tx,
            &row.id,
            from.key(),
            to.key(),
            !to.unfinished(),
            submitted,
            price_fen,
            now,
        )
        .await?;
        if moved.is_none() {
            return Err(RaError::Conflict(Msg::new("申请状态已变化，请刷新页面")));
        }
        applications::add_event(
            tx,
            &EventRow {
                id: new_id(),
                application_id: row.id.clone(),
                at: now,
                actor: actor.to_string(),
                from_state: Some(from.key().into()),
                to_state: to.key().into(),
                note: note.to_string(),
            },
        )
        .await?;
        tracing::info!(application.id = %row.id, from = from.key(), to = to.key(), actor, "application moved");
        Ok(to)
    }
}
