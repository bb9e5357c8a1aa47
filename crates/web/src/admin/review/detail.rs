//! One application on the review desk: the comparison its business draws
//! (`super::compare`), the materials, how the key reaches the holder, payments
//! and refunds, shipping and the timeline, with the decisions the staff member
//! may take.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use domain::{AppState, Business};
use ra::review::ReviewDetail;

use super::compare::Compare;
use super::comparison;
use crate::AppState as Web;
use crate::WebError;
use crate::admin::{Done, Frame, Signed, money, when};
use crate::respond::page_ok;

struct Material {
    id: String,
    label: String,
    required: bool,
    name: String,
    is_image: bool,
    is_pdf: bool,
    uploaded: String,
}

struct Event {
    at: String,
    actor: String,
    to: &'static str,
    note: String,
}

struct OrderLine {
    no: String,
    amount: String,
    state: String,
    channel: String,
    paid: String,
}

#[derive(Template)]
#[template(path = "admin/application.html")]
struct DetailPage {
    f: Frame,
    id: String,
    version: i64,
    business: &'static str,
    cert_type: &'static str,
    state: &'static str,
    tone: &'static str,
    holder: String,
    submitted: String,
    price: String,
    reviewers: i64,
    approvals: Vec<(String, String)>,
    claim: Option<(String, String)>,
    mine: bool,
    can_ship: bool,
    compare: Vec<Compare>,
    /// What the comparison is of (the business decides): its heading, the
    /// new column's heading, the badge of a changed row.
    compare_title: &'static str,
    new_column: &'static str,
    changed_badge: &'static str,
    /// 在线新办, 在线补办: how the key reaches the holder.
    medium: Option<MediumLine>,
    /// 签章变更: the material ids of the current seal (if any) and the new one.
    seal: Option<(Option<String>, Option<String>)>,
    materials: Vec<Material>,
    missing: Vec<String>,
    orders: Vec<OrderLine>,
    refunds: Vec<(String, String, String)>,
    shipment: Option<(String, String, String)>,
    events: Vec<Event>,
    notice: Option<&'static str>,
    /// 双证书: (what, signing serial, encryption serial) for the certificate
    /// the application started from and the one issued for it.
    pairs: Vec<(&'static str, String, String)>,
}

/// 邮寄 or 自有介质, where to, and whether the certificate is in the key.
pub struct MediumLine {
    pub mailed: bool,
    pub ship_to: String,
    pub written: Option<String>,
    pub code_until: Option<String>,
    /// The operator may make a 写入码 now (mailed, approved, not yet written).
    pub may_make_code: bool,
}

fn actor_label(actor: &str) -> String {
    if let Some(name) = actor.strip_prefix("staff:") {
        format!("工作人员 {name}")
    } else if actor.starts_with("holder:") {
        "申请人".into()
    } else {
        "系统".into()
    }
}

pub async fn detail(
    State(state): State<Web>,
    f: Frame,
    s: Signed,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let d = state.ra.review_detail(&s.who, &id).await?;
    let medium = medium_of(&state, &d).await?;
    let seal = seals_of(&state, &d).await?;
    let (materials, missing) = materials_of(&d);
    let (headings, compare) = comparison(&d);
    let approved = d.app.state == AppState::Approved;
    let serial = |hex: &str| {
        domain::Serial::parse(hex)
            .map(|s| s.to_string())
            .unwrap_or_else(|_| hex.to_string())
    };
    let pairs = [("原证书", &d.source_pair), ("新签发", &d.issued_pair)]
        .into_iter()
        .filter_map(|(what, pair)| match pair {
            Some((signing, Some(encryption))) => Some((what, serial(signing), serial(encryption))),
            _ => None,
        })
        .collect();
    let page = DetailPage {
        pairs,
        seal,
        id: d.app.row.id.clone(),
        version: d.app.row.version,
        business: d.app.business.name_zh(),
        cert_type: d.app.cert_type.label_zh(),
        state: d.app.state.label_zh(),
        tone: d.app.state.tone(),
        holder: domain::Mobile::parse(&d.holder_mobile)
            .map(|m| m.masked())
            .unwrap_or_default(),
        submitted: d
            .app
            .row
            .submitted_at
            .map(when)
            .unwrap_or_else(|| "—".into()),
        price: money(d.app.row.price_fen),
        reviewers: d.app.row.reviewers,
        approvals: d
            .approvals
            .iter()
            .map(|(a, name)| (name.clone(), when(a.at)))
            .collect(),
        claim: d
            .claim
            .as_ref()
            .map(|c| (c.staff_name.clone(), when(c.expires_at))),
        mine: d.mine,
        can_ship: f.may("ship")
            && approved
            && medium
                .as_ref()
                .is_some_and(|m| m.mailed && m.written.is_some()),
        compare,
        compare_title: headings.title,
        new_column: headings.new_column,
        changed_badge: headings.changed_badge,
        medium: medium.map(|mut m| {
            m.may_make_code = m.may_make_code && f.may("ship") && approved;
            m
        }),
        materials,
        missing,
        orders: d.orders.iter().map(OrderLine::new).collect(),
        refunds: refunds_of(&d),
        shipment: d.shipment.as_ref().map(|sh| {
            (
                sh.carrier.clone(),
                sh.tracking_no.clone(),
                when(sh.shipped_at),
            )
        }),
        events: d.app.events.iter().map(Event::new).collect(),
        notice: notice(q.done.as_deref()),
        f: Frame {
            nav: "applications",
            ..f
        },
    };
    Ok(page_ok(&page))
}

/// What the desk says after a decision it redirected from.
fn notice(done: Option<&str>) -> Option<&'static str> {
    match done {
        Some("approved") => Some("已审核通过，已短信通知申请人"),
        Some("first") => Some("已记录初审通过，等待另一位审核员复核"),
        Some("returned") => Some("已退回补正，已短信通知申请人"),
        Some("rejected") => Some("已审核不通过，已短信通知申请人；如已支付将原路退款"),
        Some("shipped") => Some("已登记发货"),
        _ => None,
    }
}

/// The uploaded materials in the order of the catalogue, and the labels of
/// the required ones still missing.
fn materials_of(d: &ReviewDetail) -> (Vec<Material>, Vec<String>) {
    let materials = d
        .app
        .specs
        .iter()
        .filter_map(|spec| {
            let m = d.app.materials.iter().find(|m| m.kind == spec.kind)?;
            Some(Material {
                id: m.id.clone(),
                label: spec.label_zh.clone(),
                required: spec.required,
                name: m.file_name.clone(),
                is_image: m.content_type.starts_with("image/"),
                is_pdf: m.content_type == "application/pdf",
                uploaded: when(m.created_at),
            })
        })
        .collect();
    let missing = d
        .app
        .specs
        .iter()
        .filter(|spec| spec.required && !d.app.materials.iter().any(|m| m.kind == spec.kind))
        .map(|spec| spec.label_zh.clone())
        .collect();
    (materials, missing)
}

/// 在线新办, 在线补办: how the key reaches the holder.
async fn medium_of(state: &Web, d: &ReviewDetail) -> Result<Option<MediumLine>, WebError> {
    if !d.app.business.picked_up() {
        return Ok(None);
    }
    let p = state.ra.pickup_state(&d.app.row).await?;
    let t = &d.app.form.ship_to;
    let mailed = p.medium == ra::business::Medium::Mail;
    Ok(Some(MediumLine {
        mailed,
        ship_to: if mailed {
            format!("{}，{}，{}", t.name, t.phone, t.address)
        } else {
            String::new()
        },
        may_make_code: mailed && p.written_at.is_none(),
        written: p.written_at.map(when),
        code_until: p.code_until.map(when),
    }))
}

/// 签章变更: the material ids of the current seal (if any) and the new one.
async fn seals_of(
    state: &Web,
    d: &ReviewDetail,
) -> Result<Option<(Option<String>, Option<String>)>, WebError> {
    if d.app.business != Business::SealChange {
        return Ok(None);
    }
    let old = state.ra.current_seal(&d.app.form.old.serial).await?;
    let new = d
        .app
        .materials
        .iter()
        .find(|m| m.kind == ra::materials::SEAL_IMAGE)
        .map(|m| m.id.clone());
    Ok(Some((old, new)))
}

impl OrderLine {
    fn new(o: &store::orders::OrderRow) -> Self {
        OrderLine {
            no: o.out_trade_no.clone(),
            amount: money(o.amount_fen),
            state: o.state.label_zh().into(),
            channel: o.channel.map_or("—", domain::Channel::label_zh).into(),
            paid: o.paid_at.map(when).unwrap_or_else(|| "—".into()),
        }
    }
}

fn refunds_of(d: &ReviewDetail) -> Vec<(String, String, String)> {
    d.refunds
        .iter()
        .map(|r| {
            (
                money(r.amount_fen),
                r.state.label_zh().to_string(),
                r.reason.clone(),
            )
        })
        .collect()
}

impl Event {
    fn new(e: &store::applications::EventRow) -> Self {
        Event {
            at: when(e.at),
            actor: actor_label(&e.actor),
            to: e.to_state.label_zh(),
            note: e.note.clone(),
        }
    }
}
