//! 工作台 (the desk's counts) and the queue of applications, filtered and paged.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use domain::{AppState, Business, ProfileKind};
use ra::review::{QueueItem, ReviewFilter};
use ra::shipping::DeskCounts;
use serde::Deserialize;

use crate::AppState as Web;
use crate::WebError;
use crate::admin::{Frame, Signed, money, when};
use crate::page::encode;
use crate::respond::page_ok;

#[derive(Template)]
#[template(path = "admin/home.html")]
struct HomePage {
    f: Frame,
    counts: DeskCounts,
}

pub async fn home(State(state): State<Web>, f: Frame) -> Result<Response, WebError> {
    let counts = state.ra.desk_counts().await?;
    Ok(page_ok(&HomePage {
        f: Frame { nav: "home", ..f },
        counts,
    }))
}

#[derive(Debug, Deserialize, Default)]
pub struct QueueQuery {
    business: Option<String>,
    cert_type: Option<String>,
    state: Option<String>,
    min_age_hours: Option<String>,
    page: Option<i64>,
}

struct Line {
    id: String,
    business: &'static str,
    cert_type: &'static str,
    state: &'static str,
    tone: &'static str,
    subject: String,
    holder: String,
    submitted: String,
    waiting: String,
    price: String,
    claimed_by: Option<String>,
}

fn waiting(now: i64, since: Option<i64>) -> String {
    let Some(since) = since else {
        return "—".into();
    };
    let h = (now - since).max(0) / 3_600_000;
    if h >= 24 {
        format!("{} 天 {} 小时", h / 24, h % 24)
    } else {
        format!("{h} 小时")
    }
}

impl Line {
    fn new(q: QueueItem, now: i64) -> Self {
        Line {
            id: q.row.id.clone(),
            business: q.business.name_zh(),
            cert_type: q.cert_type.label_zh(),
            state: q.state.label_zh(),
            tone: q.state.tone(),
            subject: q.subject,
            holder: q.holder_masked,
            submitted: q.row.submitted_at.map(when).unwrap_or_else(|| "—".into()),
            waiting: waiting(now, q.row.submitted_at),
            price: money(q.row.price_fen),
            claimed_by: q.claimed_by,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/queue.html")]
struct QueuePage {
    f: Frame,
    lines: Vec<Line>,
    business: String,
    cert_type: String,
    state: String,
    min_age_hours: String,
    page: i64,
    businesses: Vec<(&'static str, &'static str)>,
    states: Vec<(&'static str, &'static str)>,
}

impl QueuePage {
    fn next_href(&self) -> String {
        format!(
            "/admin/applications?business={}&cert_type={}&state={}&min_age_hours={}&page={}",
            encode(&self.business),
            encode(&self.cert_type),
            encode(&self.state),
            encode(&self.min_age_hours),
            self.page + 1
        )
    }
}

pub async fn queue(
    State(state): State<Web>,
    f: Frame,
    s: Signed,
    Query(q): Query<QueueQuery>,
) -> Result<Response, WebError> {
    // Unknown filter values are ignored rather than refused: the page is a view.
    let filter = ReviewFilter {
        business: q
            .business
            .as_deref()
            .and_then(|b| b.parse::<Business>().ok()),
        cert_type: q
            .cert_type
            .as_deref()
            .and_then(|t| t.parse::<ProfileKind>().ok()),
        state: q.state.as_deref().and_then(|t| t.parse::<AppState>().ok()),
        min_age_hours: q
            .min_age_hours
            .as_deref()
            .and_then(|h| h.trim().parse::<i64>().ok())
            .filter(|h| *h > 0),
        page: q.page.unwrap_or(0).clamp(0, 10_000),
    };
    let items = state.ra.review_queue(&s.who, &filter).await?;
    let now = state.ra.now_ms();
    Ok(page_ok(&QueuePage {
        f: Frame {
            nav: "applications",
            ..f
        },
        lines: items.into_iter().map(|i| Line::new(i, now)).collect(),
        business: filter.business.map(|b| b.key()).unwrap_or("").into(),
        cert_type: filter.cert_type.map(|t| t.name()).unwrap_or("").into(),
        state: filter.state.unwrap_or(AppState::PendingReview).key().into(),
        min_age_hours: filter
            .min_age_hours
            .map(|h| h.to_string())
            .unwrap_or_default(),
        page: filter.page,
        businesses: Business::ALL
            .iter()
            .map(|b| (b.key(), b.name_zh()))
            .collect(),
        states: AppState::ALL
            .iter()
            .map(|s| (s.key(), s.label_zh()))
            .collect(),
    }))
}
