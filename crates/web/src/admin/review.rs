//! The review desk: 工作台, the queue, an application with its materials and the
//! decisions, and shipping of mailed keys.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use domain::{AppState, Business, IdNumber, ProfileKind};
use ra::review::{Approval, QueueItem, ReviewDetail, ReviewFilter};
use ra::shipping::DeskCounts;
use serde::Deserialize;

use super::{Frame, Signed, money, when};
use crate::AppState as Web;
use crate::WebError;
use crate::page::encode;
use crate::respond::{page_ok, see_other};

#[derive(Template)]
#[template(path = "admin/home.html")]
struct HomePage {
    f: Frame,
    counts: DeskCounts,
}

pub async fn home(State(state): State<Web>, f: Frame) -> Response {
    match state.ra.desk_counts().await {
        Ok(counts) => page_ok(&HomePage {
            f: Frame { nav: "home", ..f },
            counts,
        }),
        Err(e) => WebError::from(e).into_response(),
    }
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
) -> Response {
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
    let items = match state.ra.review_queue(&s.who, &filter).await {
        Ok(i) => i,
        Err(e) => return WebError::from(e).into_response(),
    };
    let now = state.ra.now_ms();
    page_ok(&QueuePage {
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
    })
}

/// One row of the old/new comparison.
struct Compare {
    label: &'static str,
    old: String,
    new: String,
    changed: bool,
}

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

#[derive(Debug, Deserialize, Default)]
pub struct DetailQuery {
    done: Option<String>,
}

fn masked_id(number: &str) -> String {
    IdNumber::parse(number)
        .map(|n| n.masked())
        .unwrap_or_else(|_| number.to_string())
}

/// 在线延期: the subject stays; the old validity against the new one.
fn renewal_rows(t: &ra::renewal::RenewalTerms, d: &ReviewDetail) -> Vec<Compare> {
    let old = &d.app.form.old;
    let mut rows = vec![Compare {
        label: "姓名 / 证书名称",
        old: old.common_name.clone(),
        new: old.common_name.clone(),
        changed: false,
    }];
    if d.app.cert_type == ProfileKind::Enterprise {
        rows.push(Compare {
            label: "单位名称",
            old: old.organization.clone(),
            new: old.organization.clone(),
            changed: false,
        });
    }
    rows.push(Compare {
        label: "有效期",
        old: format!("{} 至 {}", when(t.old_not_before), when(t.old_not_after)),
        new: format!(
            "至 {}{}",
            when(t.new_not_after),
            if t.issued {
                "（已签发）"
            } else {
                "（按今天签发计）"
            }
        ),
        changed: true,
    });
    rows.push(Compare {
        label: "延期年限",
        old: String::new(),
        new: format!("{} 年", t.years),
        changed: false,
    });
    rows.push(Compare {
        label: "联系手机",
        old: String::new(),
        new: d.app.form.fields.contact_mobile.clone(),
        changed: false,
    });
    rows
}

/// 注销: the certificate as it is, and what the holder asks.
fn revocation_rows(d: &ReviewDetail) -> Vec<Compare> {
    let form = &d.app.form;
    let reason = form
        .revoke_reason
        .parse::<domain::RevocationReason>()
        .map(|r| format!("{}（{}）", r.label_zh(), r.name()))
        .unwrap_or_default();
    let mut rows = vec![Compare {
        label: "姓名 / 证书名称",
        old: form.old.common_name.clone(),
        new: String::new(),
        changed: false,
    }];
    if d.app.cert_type == ProfileKind::Enterprise {
        rows.push(Compare {
            label: "单位名称",
            old: form.old.organization.clone(),
            new: String::new(),
            changed: false,
        });
    }
    rows.push(Compare {
        label: "有效期",
        old: format!(
            "{} 至 {}",
            when(form.old_not_before),
            when(form.old_not_after)
        ),
        new: "注销后立即失效".into(),
        changed: true,
    });
    rows.push(Compare {
        label: "注销原因",
        old: String::new(),
        new: reason,
        changed: false,
    });
    rows.push(Compare {
        label: "补充说明",
        old: String::new(),
        new: form.fields.reason.clone(),
        changed: false,
    });
    rows
}

/// 在线补办: the certificate stays as it is, on a new key; the old one is
/// revoked with the holder's reason.
fn reissue_rows(d: &ReviewDetail) -> Vec<Compare> {
    let form = &d.app.form;
    let reason = form
        .revoke_reason
        .parse::<domain::RevocationReason>()
        .map(|r| format!("{}（{}）", r.label_zh(), r.name()))
        .unwrap_or_default();
    let mut rows = vec![Compare {
        label: "姓名 / 证书名称",
        old: form.old.common_name.clone(),
        new: form.old.common_name.clone(),
        changed: false,
    }];
    if d.app.cert_type == ProfileKind::Enterprise {
        rows.push(Compare {
            label: "单位名称",
            old: form.old.organization.clone(),
            new: form.old.organization.clone(),
            changed: false,
        });
    }
    rows.push(Compare {
        label: "有效期",
        old: format!(
            "{} 至 {}",
            when(form.old_not_before),
            when(form.old_not_after)
        ),
        new: format!("至 {}（不变）", when(form.old_not_after)),
        changed: false,
    });
    rows.push(Compare {
        label: "证书介质",
        old: reason,
        new: "新介质、新密钥".into(),
        changed: true,
    });
    rows.push(Compare {
        label: "联系手机",
        old: String::new(),
        new: form.fields.contact_mobile.clone(),
        changed: false,
    });
    rows
}

/// 签章变更: the certificate stays; the seal is compared as pictures below.
fn seal_rows(d: &ReviewDetail) -> Vec<Compare> {
    let form = &d.app.form;
    let mut rows = vec![Compare {
        label: "姓名 / 证书名称",
        old: form.old.common_name.clone(),
        new: form.old.common_name.clone(),
        changed: false,
    }];
    if d.app.cert_type == ProfileKind::Enterprise {
        rows.push(Compare {
            label: "单位名称",
            old: form.old.organization.clone(),
            new: form.old.organization.clone(),
            changed: false,
        });
    }
    rows.push(Compare {
        label: "电子印章",
        old: "原印章（见下图）".into(),
        new: "新印章（见下图）".into(),
        changed: true,
    });
    rows.push(Compare {
        label: "联系手机",
        old: String::new(),
        new: form.fields.contact_mobile.clone(),
        changed: false,
    });
    rows
}

/// 在线新办: what the holder asks for; there is no old certificate.
fn new_rows(d: &ReviewDetail) -> Vec<Compare> {
    let f = &d.app.form.fields;
    let row = |label, value: &str| Compare {
        label,
        old: String::new(),
        new: value.to_string(),
        changed: false,
    };
    let mut rows = Vec::new();
    if d.app.cert_type == ProfileKind::Enterprise {
        rows.push(row("单位名称", &f.organization));
        rows.push(row("统一社会信用代码", &f.credit_code));
        rows.push(row("经办人 / 证书名称", &f.common_name));
        rows.push(row(
            "经办人为法定代表人",
            if d.app.form.agent_is_representative {
                "是"
            } else {
                "否（须提供授权委托书）"
            },
        ));
    } else {
        // The reviewer compares the full number with the ID card copy.
        rows.push(row("姓名", &f.common_name));
        rows.push(row("身份证号", &f.id_number));
    }
    rows.push(row("有效期", &format!("{} 年", d.app.form.years)));
    rows.push(row("联系手机", &f.contact_mobile));
    rows.push(row("联系邮箱", &f.contact_email));
    rows
}

fn compare(d: &ReviewDetail, renewal: Option<&ra::renewal::RenewalTerms>) -> Vec<Compare> {
    if let Some(t) = renewal {
        return renewal_rows(t, d);
    }
    match d.app.business {
        domain::Business::SealChange => return seal_rows(d),
        domain::Business::Revoke => return revocation_rows(d),
        domain::Business::Reissue => return reissue_rows(d),
        domain::Business::New => return new_rows(d),
        _ => {}
    }
    let old = &d.app.form.old;
    let new = &d.app.form.fields;
    let row = |label, o: &str, n: &str| Compare {
        label,
        old: o.to_string(),
        new: n.to_string(),
        changed: o != n,
    };
    let mut rows = vec![row("姓名 / 证书名称", &old.common_name, &new.common_name)];
    if d.app.cert_type == ProfileKind::Enterprise {
        rows.push(row("单位名称", &old.organization, &new.organization));
        rows.push(row("统一社会信用代码", &old.credit_code, &new.credit_code));
    } else {
        // The reviewer compares the full number with the ID card copy; the old
        // one is only known masked.
        let new_masked = masked_id(&new.id_number);
        rows.push(Compare {
            label: "身份证号",
            old: old.id_number_masked.clone(),
            new: new.id_number.clone(),
            changed: old.id_number_masked != new_masked,
        });
    }
    // Contact details and the reason are not in the certificate: nothing to compare.
    for (label, value) in [
        ("联系手机", &new.contact_mobile),
        ("联系邮箱", &new.contact_email),
        ("变更原因", &new.reason),
    ] {
        rows.push(Compare {
            label,
            old: String::new(),
            new: value.clone(),
            changed: false,
        });
    }
    rows
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
    Query(q): Query<DetailQuery>,
) -> Response {
    let d = match state.ra.review_detail(&s.who, &id).await {
        Ok(d) => d,
        Err(e) => return WebError::from(e).into_response(),
    };
    let materials: Vec<Material> = d
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
    let notice = match q.done.as_deref() {
        Some("approved") => Some("已审核通过，已短信通知申请人"),
        Some("first") => Some("已记录初审通过，等待另一位审核员复核"),
        Some("returned") => Some("已退回补正，已短信通知申请人"),
        Some("rejected") => Some("已审核不通过，已短信通知申请人；如已支付将原路退款"),
        Some("shipped") => Some("已登记发货"),
        _ => None,
    };
    let renewal = state.ra.renewal_terms(&d.app).await.unwrap_or_default();
    let medium = if ra::issuance::picked_up(d.app.business) {
        match state.ra.pickup_state(&d.app.row).await {
            Ok(p) => {
                let t = &d.app.form.ship_to;
                let mailed = p.medium == ra::forms::Medium::Mail;
                Some(MediumLine {
                    mailed,
                    ship_to: if mailed {
                        format!("{}，{}，{}", t.name, t.phone, t.address)
                    } else {
                        String::new()
                    },
                    may_make_code: mailed && p.written_at.is_none(),
                    written: p.written_at.map(when),
                    code_until: p.code_until.map(when),
                })
            }
            Err(e) => return WebError::from(e).into_response(),
        }
    } else {
        None
    };
    let seal = if d.app.business == domain::Business::SealChange {
        let old = match state.ra.current_seal(&d.app.form.old.serial).await {
            Ok(s) => s,
            Err(e) => return WebError::from(e).into_response(),
        };
        let new = d
            .app
            .materials
            .iter()
            .find(|m| m.kind == ra::materials::SEAL_IMAGE)
            .map(|m| m.id.clone());
        Some((old, new))
    } else {
        None
    };
    let page = DetailPage {
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
            && d.app.state == AppState::Approved
            && medium
                .as_ref()
                .is_some_and(|m| m.mailed && m.written.is_some()),
        compare: compare(&d, renewal.as_ref()),
        compare_title: match d.app.business {
            _ if renewal.is_some() => "延期前后对比",
            domain::Business::Revoke => "注销申请",
            domain::Business::New => "申请信息",
            domain::Business::Reissue => "补办前后对比",
            domain::Business::SealChange => "签章变更前后对比",
            _ => "变更前后对比",
        },
        new_column: match d.app.business {
            _ if renewal.is_some() => "延期后",
            domain::Business::Revoke | domain::Business::New => "申请",
            domain::Business::Reissue => "补办后",
            _ => "申请变更为",
        },
        changed_badge: match d.app.business {
            _ if renewal.is_some() => "延长",
            domain::Business::Revoke => "注销",
            domain::Business::Reissue | domain::Business::SealChange => "更换",
            _ => "已变更",
        },
        medium: medium.map(|mut m| {
            m.may_make_code = m.may_make_code && f.may("ship") && d.app.state == AppState::Approved;
            m
        }),
        materials,
        missing,
        orders: d
            .orders
            .iter()
            .map(|o| OrderLine {
                no: o.out_trade_no.clone(),
                amount: money(o.amount_fen),
                state: match o.state.as_str() {
                    "PAID" => "已支付",
                    "OPEN" => "待支付",
                    "EXPIRED" => "已过期",
                    _ => "已取消",
                }
                .into(),
                channel: match o.channel.as_deref() {
                    Some("alipay") => "支付宝",
                    Some("wechat") => "微信支付",
                    Some("bank") => "对公转账",
                    _ => "—",
                }
                .into(),
                paid: o.paid_at.map(when).unwrap_or_else(|| "—".into()),
            })
            .collect(),
        refunds: d
            .refunds
            .iter()
            .map(|r| {
                (
                    money(r.amount_fen),
                    match r.state.as_str() {
                        store::refunds::DONE => "已退款",
                        store::refunds::FAILED => "退款待财务处理",
                        _ => "退款中",
                    }
                    .to_string(),
                    r.reason.clone(),
                )
            })
            .collect(),
        shipment: d.shipment.as_ref().map(|sh| {
            (
                sh.carrier.clone(),
                sh.tracking_no.clone(),
                when(sh.shipped_at),
            )
        }),
        events: d
            .app
            .events
            .iter()
            .map(|e| Event {
                at: when(e.at),
                actor: actor_label(&e.actor),
                to: e
                    .to_state
                    .parse::<AppState>()
                    .map(|s| s.label_zh())
                    .unwrap_or(""),
                note: e.note.clone(),
            })
            .collect(),
        notice,
        f: Frame {
            nav: "applications",
            ..f
        },
    };
    page_ok(&page)
}

pub async fn material(State(state): State<Web>, s: Signed, Path(id): Path<String>) -> Response {
    match state.ra.material_for_staff(&s.who, &id).await {
        Ok((row, bytes)) => (
            [
                (header::CONTENT_TYPE, row.content_type.clone()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename*=UTF-8''{}", encode(&row.file_name)),
                ),
                // Shown inside the application page (img / object), nowhere else.
                (header::X_FRAME_OPTIONS, "SAMEORIGIN".to_string()),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "frame-ancestors 'self'".to_string(),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    version: i64,
    #[serde(default)]
    reason: String,
}

pub async fn approve(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
    Form(d): Form<DecisionForm>,
) -> Response {
    match state.ra.approve(&s.who, &id, d.version, &d.reason).await {
        Ok(Approval::Approved) => see_other(&format!("/admin/applications/{id}?done=approved")),
        Ok(Approval::FirstOfTwo) => see_other(&format!("/admin/applications/{id}?done=first")),
        Err(e) => WebError::from(e).into_response(),
    }
}

pub async fn return_it(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
    Form(d): Form<DecisionForm>,
) -> Response {
    match state
        .ra
        .return_for_correction(&s.who, &id, d.version, &d.reason)
        .await
    {
        Ok(()) => see_other(&format!("/admin/applications/{id}?done=returned")),
        Err(e) => WebError::from(e).into_response(),
    }
}

pub async fn reject(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
    Form(d): Form<DecisionForm>,
) -> Response {
    match state.ra.reject(&s.who, &id, d.version, &d.reason).await {
        Ok(_) => see_other(&format!("/admin/applications/{id}?done=rejected")),
        Err(e) => WebError::from(e).into_response(),
    }
}

pub async fn release(State(state): State<Web>, s: Signed, Path(id): Path<String>) -> Response {
    match state.ra.release_claim(&s.who, &id).await {
        Ok(()) => see_other("/admin/applications"),
        Err(e) => WebError::from(e).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct ShipForm {
    #[serde(default)]
    carrier: String,
    #[serde(default)]
    tracking_no: String,
}

pub async fn ship(
    State(state): State<Web>,
    s: Signed,
    Path(id): Path<String>,
    Form(d): Form<ShipForm>,
) -> Response {
    match state.ra.ship(&s.who, &id, &d.carrier, &d.tracking_no).await {
        Ok(()) => see_other(&format!("/admin/applications/{id}?done=shipped")),
        Err(e) => WebError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "admin/pickup.html")]
struct PickupPage {
    f: Frame,
    id: String,
    code: String,
    until: String,
    server: String,
}

/// 邮寄: a 写入码 for the operator, shown once (never in a URL or a log).
pub async fn pickup_code(
    State(state): State<Web>,
    f: Frame,
    s: Signed,
    Path(id): Path<String>,
) -> Response {
    match state.ra.operator_pickup_code(&s.who, &id).await {
        Ok(code) => {
            let until = when(state.ra.now_ms() + ra::issuance::CODE_DAYS * 86_400_000);
            let mut r = page_ok(&PickupPage {
                id,
                code,
                until,
                server: state.origin.clone(),
                f: Frame {
                    nav: "applications",
                    ..f
                },
            });
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            r
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
