//! The review desk (manual step 十五/十六, "等待工作人员审核完毕"): the queue,
//! the application as a reviewer sees it, claims, and the three decisions —
//! approve, return for correction (退回补正), reject finally (审核不通过).
//!
//! A decision names the version of the application the reviewer looked at; it
//! goes through only if that is still the current version, so of two reviewers
//! deciding at once exactly one decision is recorded and the other is told. With
//! two reviewers configured for the product (four eyes), the first approval is
//! recorded and the second must come from somebody else. Nobody reviews an
//! application from their own mobile number. The decisions are in
//! `decisions`.

mod decisions;

use domain::{AppState, Business, Mobile, Perm, ProfileKind};
use store::applications;
use store::orders;
use store::review::{self, ApprovalRow, ClaimRow, QueueFilter, QueueRow};

use crate::pipeline::ApplicationView;
use crate::staff::StaffMember;
use crate::{Msg, Ra, RaError};

/// How long a claim keeps other reviewers off an application.
pub const CLAIM_MS: i64 = 20 * 60_000;
const MAX_REASON_CHARS: usize = 500;
const PAGE_SIZE: i64 = 50;

/// The queue's filters, as chosen on the page.
#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    pub business: Option<Business>,
    pub cert_type: Option<ProfileKind>,
    /// None: 待审核.
    pub state: Option<AppState>,
    /// Only applications waiting at least this many hours.
    pub min_age_hours: Option<i64>,
    pub page: i64,
}

/// One line of the queue.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub row: QueueRow,
    pub business: Business,
    pub cert_type: ProfileKind,
    pub state: AppState,
    /// Organisation (机构证书) or holder name.
    pub subject: String,
    pub holder_masked: String,
    /// Someone holds a live claim: their name.
    pub claimed_by: Option<String>,
}

/// An application as the review desk shows it.
#[derive(Debug, Clone)]
pub struct ReviewDetail {
    pub app: ApplicationView,
    pub holder_mobile: String,
    pub claim: Option<ClaimRow>,
    /// The caller holds the claim and may decide now.
    pub mine: bool,
    pub approvals: Vec<(ApprovalRow, String)>,
    pub orders: Vec<orders::OrderRow>,
    pub refunds: Vec<store::refunds::RefundRow>,
    pub shipment: Option<store::shipments::ShipmentRow>,
    /// The terms of an 在线延期 (`None` for the other businesses).
    pub renewal: Option<crate::business::renew::RenewalTerms>,
    /// 双证书: the certificate the application started from and the one
    /// issued for it, each with the encryption certificate of its pair
    /// (hex serials).
    pub source_pair: Option<(String, Option<String>)>,
    pub issued_pair: Option<(String, Option<String>)>,
}

/// What an approval led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// 审核通过.
    Approved,
    /// Recorded; another reviewer must approve too.
    FirstOfTwo,
}

/// The serial of the certificate issued for application `id`, if any.
async fn certificates_by_request(
    conn: &mut store::AnyConnection,
    id: &str,
) -> Result<Option<String>, store::StoreError> {
    Ok(
        store::certificates::by_request_id(conn, &format!("application:{id}"))
            .await?
            .filter(|c| c.cert_der.is_some())
            .map(|c| c.serial),
    )
}

fn reason_of(reason: &str) -> Result<String, RaError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(RaError::Invalid(Msg::new("请填写原因，申请人将看到该原因")));
    }
    if r.chars().count() > MAX_REASON_CHARS {
        return Err(RaError::Invalid(
            Msg::new("原因不能超过 {n} 个字").arg("n", MAX_REASON_CHARS),
        ));
    }
    Ok(r.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect())
}

fn subject_of(form: &crate::business::ApplicationForm) -> String {
    let f = &form.fields;
    if !f.organization.is_empty() {
        f.organization.clone()
    } else if !f.common_name.is_empty() {
        f.common_name.clone()
    } else if !form.old.organization.is_empty() {
        form.old.organization.clone()
    } else {
        form.old.common_name.clone()
    }
}

fn stale() -> RaError {
    RaError::Conflict(Msg::new("该申请已被他人处理或已变化，请刷新后查看"))
}

impl Ra {
    pub async fn review_queue(
        &self,
        who: &StaffMember,
        f: &ReviewFilter,
    ) -> Result<Vec<QueueItem>, RaError> {
        who.require(Perm::ViewApplications)?;
        let now = self.now_ms();
        let filter = QueueFilter {
            business: f.business.map(|b| b.key().to_string()),
            cert_type: f.cert_type.map(|t| t.name().to_string()),
            states: vec![f.state.unwrap_or(AppState::PendingReview).key().to_string()],
            submitted_before: f.min_age_hours.map(|h| now - h * 3_600_000),
            limit: PAGE_SIZE,
            offset: f.page.max(0) * PAGE_SIZE,
        };
        let rows = review::queue(&mut *self.db.conn().await?, &filter).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let form: crate::business::ApplicationForm =
                    serde_json::from_str(&row.form).unwrap_or_default();
                QueueItem {
                    business: row.business,
                    cert_type: row.cert_type,
                    state: row.state,
                    subject: subject_of(&form),
                    holder_masked: Mobile::parse(&row.holder_mobile)
                        .map(|m| m.masked())
                        .unwrap_or_default(),
                    claimed_by: row
                        .claim_expires_at
                        .filter(|t| *t > now)
                        .and(row.claimed_by.clone()),
                    row,
                }
            })
            .collect())
    }

    /// The application for the desk. A reviewer opening an application under
    /// review claims it (or renews their claim) unless someone else holds it.
    pub async fn review_detail(
        &self,
        who: &StaffMember,
        id: &str,
    ) -> Result<ReviewDetail, RaError> {
        who.require(Perm::ViewApplications)?;
        let mut conn = self.db.conn().await?;
        let row = applications::by_id(&mut conn, id)
            .await?
            .ok_or(RaError::NotFound)?;
        let holder_mobile = store::holders::by_id(&mut conn, &row.holder_id)
            .await?
            .map(|h| h.mobile)
            .unwrap_or_default();
        let now = self.now_ms();
        let reviewing = row.state == AppState::PendingReview;
        let approvals = review::approvals(&mut conn, id, row.review_round).await?;
        // Someone who has approved this round already cannot decide again: they
        // must not keep the second reviewer off it.
        let approved_already = approvals.iter().any(|a| a.staff_id == who.id);
        let claim = if reviewing
            && who.role.may(Perm::Review)
            && !self.own(who, &holder_mobile)
            && !approved_already
        {
            Some(review::claim(&mut conn, id, &who.id, now, now + CLAIM_MS).await?)
        } else {
            review::claim_of(&mut conn, id).await?
        }
        .filter(|c| c.expires_at > now);
        let mut named = Vec::new();
        for a in approvals {
            let name = store::staff::by_id(&mut conn, &a.staff_id)
                .await?
                .map(|s| s.name)
                .unwrap_or_default();
            named.push((a, name));
        }
        let orders = orders::for_application(&mut conn, id).await?;
        let refunds = store::refunds::for_application(&mut conn, id).await?;
        let shipment = store::shipments::for_application(&mut conn, id).await?;
        let pair_of = async |conn: &mut store::AnyConnection, serial: String| {
            let encryption = store::pairs::by_signing(conn, &serial)
                .await?
                .map(|p| p.encryption_serial);
            Ok::<_, store::StoreError>((serial, encryption))
        };
        let source_pair = match row.cert_serial.clone() {
            Some(serial) => Some(pair_of(&mut conn, serial).await?),
            None => None,
        };
        let issued_pair = match certificates_by_request(&mut conn, id).await? {
            Some(serial) => Some(pair_of(&mut conn, serial).await?),
            None => None,
        };
        drop(conn);
        let mine = reviewing
            && who.role.may(Perm::Review)
            && claim.as_ref().is_some_and(|c| c.staff_id == who.id);
        let app = self.view_of(row).await?;
        Ok(ReviewDetail {
            renewal: self.renewal_terms(&app).await?,
            app,
            holder_mobile,
            claim,
            mine,
            approvals: named,
            orders,
            refunds,
            shipment,
            source_pair,
            issued_pair,
        })
    }

    fn own(&self, who: &StaffMember, holder_mobile: &str) -> bool {
        who.mobile.as_deref().is_some_and(|m| m == holder_mobile)
    }

    /// Lets go of an application without deciding.
    pub async fn release_claim(&self, who: &StaffMember, id: &str) -> Result<(), RaError> {
        who.require(Perm::Review)?;
        let mut conn = self.db.conn().await?;
        if let Some(c) = review::claim_of(&mut conn, id).await?
            && c.staff_id == who.id
        {
            review::release(&mut conn, id).await?;
        }
        Ok(())
    }

    /// An SMS to the holder about a decision. A failed SMS does not undo the
    /// decision: it is logged, and the holder sees it in 个人中心 anyway.
    pub(crate) async fn notify_holder(&self, mobile: &str, text: &str) {
        let Ok(to) = Mobile::parse(mobile) else {
            return;
        };
        let text = format!("【{}】{text}", self.settings.sms_signature);
        if let Err(e) = self.sms.send(&to, &text).await {
            tracing::error!(error = ?e, to = %to, "decision SMS not sent");
        }
    }
}
