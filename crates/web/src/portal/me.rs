//! 个人中心 (图 2.15): every application of the holder with its status, and each
//! one's detail with the timeline.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use ra::pipeline::ApplicationView;
use serde::Deserialize;

use super::SignedIn;
use crate::AppState;
use crate::WebError;
use crate::page::Page;
use crate::respond::{page_ok, see_other};
use crate::view::{ApplicationLine, EventLine, MaterialSlot, material_views};

#[derive(Template)]
#[template(path = "portal/me.html")]
struct Center {
    p: Page,
    mobile: String,
    lines: Vec<ApplicationLine>,
    certs: Vec<CertLine>,
    tokens: Vec<super::business::unlock::TokenLine>,
}

/// One of the holder's certificates, with whether 在线延期 is open for it.
struct CertLine {
    serial: String,
    holder: String,
    valid_until: String,
    status: String,
    tone: &'static str,
    renewal_open: bool,
    /// Why 在线延期 is not open, in the reader's language.
    renewal_note: String,
    /// Valid: the holder may ask for 注销, 在线补办 or 签章变更.
    revocable: bool,
    /// The material id of its current e-seal.
    seal: Option<String>,
    /// 双证书: the encryption certificate issued with it.
    encryption: Option<String>,
}

impl CertLine {
    fn new(p: &Page, c: &ra::certificates::HolderCertificate) -> Self {
        let (key, tone) = match c.status {
            "revoked" => ("cert.revoked", "bad"),
            "expired" => ("cert.expired", "warn"),
            _ => ("cert.valid", "ok"),
        };
        CertLine {
            serial: domain::Serial::parse(&c.row.serial)
                .map(|s| s.to_string())
                .unwrap_or_else(|_| c.row.serial.clone()),
            holder: match &c.row.organization {
                Some(org) => format!("{org} · {}", c.row.common_name),
                None => c.row.common_name.clone(),
            },
            valid_until: ca::asn1time::beijing_minutes(c.row.not_after),
            status: p.t(key),
            tone,
            renewal_open: c.renewal.is_ok(),
            revocable: c.status == "valid",
            seal: None,
            encryption: c.encryption_serial.as_deref().map(|hex| {
                domain::Serial::parse(hex)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|_| hex.to_string())
            }),
            renewal_note: c
                .renewal
                .as_ref()
                .err()
                .map(|m| p.tr.msg(m))
                .unwrap_or_default(),
        }
    }
}

pub async fn center(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
) -> Result<Response, WebError> {
    let rows = state.ra.applications_of(&holder.id).await?;
    let lines = rows.iter().map(|r| ApplicationLine::new(&p, r)).collect();
    let all = state.ra.certificates_of(&holder.id).await?;
    let serials: Vec<String> = all.iter().map(|c| c.row.serial.clone()).collect();
    let mut seals = state.ra.current_seals(&serials).await?;
    let certs = all
        .iter()
        .map(|c| {
            let mut line = CertLine::new(&p, c);
            line.seal = seals.remove(&c.row.serial);
            line
        })
        .collect();
    let tokens = state
        .ra
        .tokens_of(&holder)
        .await?
        .iter()
        .map(|t| super::business::unlock::TokenLine::new(&p, t))
        .collect();
    let mobile = domain::Mobile::parse(&holder.mobile)
        .map(|m| m.masked())
        .unwrap_or_default();
    Ok(page_ok(&Center {
        tokens,
        p: p.with_nav("me"),
        mobile,
        lines,
        certs,
    }))
}

#[derive(Template)]
#[template(path = "portal/application.html")]
struct Detail {
    p: Page,
    app: ApplicationView,
    line: ApplicationLine,
    events: Vec<EventLine>,
    slots: Vec<MaterialSlot>,
    enterprise: bool,
    existing: bool,
    can_cancel: bool,
    can_pay: bool,
    orders: Vec<OrderSummary>,
    /// Carrier, tracking number and date of a mailed key.
    shipment: Option<(String, String, String)>,
    /// 在线延期: term, old validity, new end (and whether it is final).
    renewal: Option<RenewalLine>,
    /// 注销: the reason given, in the reader's language.
    revocation: Option<String>,
    /// 在线新办, 在线补办: how the key comes and where it stands.
    issue: Option<IssueLine>,
}

/// 在线新办 and 在线补办 in 个人中心.
pub struct IssueLine {
    pub mailed: bool,
    pub ship_to: String,
    pub written: bool,
    /// 在线补办: what became of the old key, in the reader's language.
    pub old_key: Option<String>,
    /// 自有介质, approved, not written yet: the holder may get a 写入码.
    pub may_get_code: bool,
    /// A mailed key is on its way: the holder may confirm receipt.
    pub may_confirm: bool,
}

pub struct RenewalLine {
    pub years: u32,
    pub old: String,
    pub new_until: String,
    pub issued: bool,
}

/// One payment attempt of an application, as 个人中心 lists it.
pub struct OrderSummary {
    pub id: String,
    pub out_trade_no: String,
    pub amount: String,
    pub state_label: String,
    pub tone: &'static str,
    pub created: String,
    pub has_invoice: bool,
}

#[derive(Debug, Deserialize, Default)]
pub struct DetailQuery {
    existing: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, WebError> {
    let app = state.ra.application(&holder.id, &id).await?;
    let orders = orders_of(&state, &p, &holder.id, &id).await?;
    let shipment = state.ra.shipment_of(&id).await?.map(|s| {
        (
            s.carrier,
            s.tracking_no,
            ca::asn1time::beijing_minutes(s.shipped_at),
        )
    });
    let renewal = state.ra.renewal_terms(&app).await?.map(RenewalLine::new);
    let revocation = (app.business == domain::Business::Revoke)
        .then(|| {
            app.form
                .revoke_reason
                .parse::<domain::RevocationReason>()
                .ok()
        })
        .flatten()
        .map(|r| p.t(&format!("revoke.reason.{}", r.name())));
    let issue = issue_line(&state, &p, &app).await?;
    Ok(page_ok(&Detail {
        line: ApplicationLine::new(&p, &app.row),
        events: app.events.iter().map(|e| EventLine::new(&p, e)).collect(),
        slots: material_views(&p, &app),
        can_cancel: app.state.after(domain::AppAction::Cancel).is_some(),
        can_pay: app.state == domain::AppState::PendingPayment,
        issue,
        revocation,
        renewal,
        shipment,
        enterprise: app.cert_type == domain::ProfileKind::Enterprise,
        p: p.with_nav("me"),
        app,
        existing: q.existing.is_some(),
        orders,
    }))
}

/// The application's payment attempts, newest as the RA lists them.
async fn orders_of(
    state: &AppState,
    p: &Page,
    holder_id: &str,
    id: &str,
) -> Result<Vec<OrderSummary>, WebError> {
    let mut orders = Vec::new();
    for o in state.ra.orders_of(holder_id, id).await? {
        let has_invoice = state.ra.order(holder_id, &o.id).await?.invoice.is_some();
        orders.push(OrderSummary {
            id: o.id.clone(),
            out_trade_no: o.out_trade_no.clone(),
            amount: domain::Fen(o.amount_fen).to_string(),
            state_label: p
                .tr
                .pick(o.state.label_zh(), o.state.label_en())
                .to_string(),
            tone: o.state.tone(),
            created: ca::asn1time::beijing_minutes(o.created_at),
            has_invoice,
        });
    }
    Ok(orders)
}

impl RenewalLine {
    fn new(t: ra::business::renew::RenewalTerms) -> Self {
        RenewalLine {
            years: t.years,
            old: format!(
                "{} — {}",
                ca::asn1time::beijing_minutes(t.old_not_before),
                ca::asn1time::beijing_minutes(t.old_not_after)
            ),
            new_until: ca::asn1time::beijing_minutes(t.new_not_after),
            issued: t.issued,
        }
    }
}

/// 在线新办, 在线补办: how the key comes and where it stands.
async fn issue_line(
    state: &AppState,
    p: &Page,
    app: &ApplicationView,
) -> Result<Option<IssueLine>, WebError> {
    if !app.business.picked_up() {
        return Ok(None);
    }
    let pickup = state.ra.pickup_state(&app.row).await?;
    let mailed = pickup.medium == ra::business::Medium::Mail;
    let t = &app.form.ship_to;
    Ok(Some(IssueLine {
        mailed,
        ship_to: if mailed {
            format!(
                "{}，{}，{}",
                t.name,
                domain::Mobile::parse(&t.phone)
                    .map(|m| m.masked())
                    .unwrap_or_default(),
                t.address
            )
        } else {
            String::new()
        },
        written: pickup.written_at.is_some(),
        old_key: (app.business == domain::Business::Reissue)
            .then(|| match app.form.revoke_reason.as_str() {
                "keyCompromise" => Some(p.t("reissue.lost")),
                "cessationOfOperation" => Some(p.t("reissue.broken")),
                _ => None,
            })
            .flatten(),
        may_get_code: !mailed
            && app.state == domain::AppState::Approved
            && pickup.written_at.is_none(),
        may_confirm: app.state == domain::AppState::Shipped,
    }))
}

pub async fn cancel(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    state.ra.cancel(&holder.id, &id).await?;
    Ok(see_other(&format!("/me/applications/{id}")))
}

/// A business from 我的证书 (证书变更, 在线延期, 签章变更, 在线补办, 注销): opens
/// (or reopens: the same application the assistant's hand-off opens) the
/// business for one of the holder's own certificates; anyone else's is not
/// found, as is a business that does not start from a certificate.
pub async fn start(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    Path((serial, business)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let business = business
        .parse::<domain::Business>()
        .ok()
        .filter(|b| b.starts_from_certificate())
        .ok_or(ra::RaError::NotFound)?;
    let serial = domain::Serial::parse(&serial).map_err(|_| ra::RaError::NotFound)?;
    let started = state.ra.start_owned(&holder.id, &serial, business).await?;
    Ok(if started.existing {
        see_other(&format!("/apply/{}?existing=1", started.id))
    } else {
        see_other(&format!("/apply/{}/form", started.id))
    })
}

#[derive(Template)]
#[template(path = "portal/pickup.html")]
struct PickupPage {
    p: Page,
    id: String,
    code: String,
    until: String,
    server: String,
}

/// 自有介质: a 写入码, shown once (never in a URL, a log or the page's cache).
pub async fn pickup_code(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    p: Page,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let code = state.ra.holder_pickup_code(&holder.id, &id).await?;
    let until =
        ca::asn1time::beijing_minutes(state.ra.now_ms() + ra::issuance::CODE_DAYS * 86_400_000);
    let mut r = page_ok(&PickupPage {
        p: p.with_nav("me"),
        id,
        code,
        until,
        server: state.origin.clone(),
    });
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

/// 邮寄: the holder has the key: 已完成.
pub async fn received(
    State(state): State<AppState>,
    SignedIn(holder): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    state.ra.confirm_receipt(&holder.id, &id).await?;
    Ok(see_other(&format!("/me/applications/{id}")))
}
