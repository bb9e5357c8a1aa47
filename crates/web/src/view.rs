//! How a stored certificate is presented to the public (query page, JSON API):
//! status computed at read time, times in the reader's format, personal data
//! masked.

use ca::asn1time;
use domain::RevocationReason;
use serde::Serialize;
use store::certificates::CertificateRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Valid,
    Revoked,
    Expired,
}

impl Status {
    pub fn of(row: &CertificateRow, now_ms: i64) -> Self {
        if row.revoked_at.is_some() {
            Status::Revoked
        } else if row.not_after <= now_ms {
            Status::Expired
        } else {
            Status::Valid
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Valid => "有效",
            Status::Revoked => "已吊销",
            Status::Expired => "已过期",
        }
    }

    pub fn css(self) -> &'static str {
        match self {
            Status::Valid => "ok",
            Status::Revoked => "bad",
            Status::Expired => "muted",
        }
    }
}

/// A certificate as the 证书查询 page shows it.
pub struct CertificateView {
    pub serial: String,
    pub holder: String,
    pub organization: String,
    pub credit_code: String,
    pub profile_zh: &'static str,
    pub status: Status,
    pub not_before: String,
    pub not_after: String,
    pub revoked: String,
    /// 双证书: the other certificate of the pair — whether it is the
    /// encryption one (else the signing one), and its serial.
    pub pair: Option<(bool, String)>,
}

impl CertificateView {
    /// Links the other half of a pair (双证书) to this line.
    pub fn with_pair(mut self, pair: Option<&store::pairs::PairRow>) -> Self {
        self.pair = pair.map(|p| {
            if p.signing_serial == self.serial {
                (true, p.encryption_serial.clone())
            } else {
                (false, p.signing_serial.clone())
            }
        });
        self
    }

    pub fn new(row: &CertificateRow, now_ms: i64) -> Self {
        let profile_zh = match row.profile.as_str() {
            "enterprise" => "机构证书",
            _ => "个人证书",
        };
        let revoked = match (row.revoked_at, row.revocation_reason) {
            (Some(at), reason) => {
                let why = reason
                    .and_then(|r| u8::try_from(r).ok())
                    .and_then(RevocationReason::from_code)
                    .map(RevocationReason::label_zh)
                    .unwrap_or("未指定");
                format!("{}（{why}）", asn1time::beijing_minutes(at))
            }
            (None, _) => String::new(),
        };
        CertificateView {
            serial: row.serial.clone(),
            holder: row.common_name.clone(),
            organization: row.organization.clone().unwrap_or_default(),
            credit_code: row.credit_code.clone().unwrap_or_default(),
            profile_zh,
            status: Status::of(row, now_ms),
            not_before: asn1time::beijing_minutes(row.not_before),
            not_after: asn1time::beijing_minutes(row.not_after),
            revoked,
            pair: None,
        }
    }
}

use domain::Fen;
use ra::pipeline::ApplicationView;
use store::applications::{ApplicationRow, EventRow};

use crate::page::Page;

/// One step of the step bar (填写信息 → 上传资料 → 支付 → 提交 → 审核 → 更新证书).
pub struct Step {
    pub label: String,
    /// `done`, `current` or `todo`.
    pub status: &'static str,
}

pub struct Steps(pub Vec<Step>);

impl Steps {
    /// `current` counts from 1 over all six steps; a free business has no 支付.
    pub fn new(p: &Page, current: usize, free: bool) -> Self {
        let keys = [
            "steps.fill",
            "steps.upload",
            "steps.pay",
            "steps.submit",
            "steps.review",
            "steps.update",
        ];
        Steps(
            keys.iter()
                .enumerate()
                .filter(|(i, _)| !(free && *i == 2))
                .map(|(i, k)| Step {
                    label: p.t(k),
                    status: match (i + 1).cmp(&current) {
                        std::cmp::Ordering::Less => "done",
                        std::cmp::Ordering::Equal => "current",
                        std::cmp::Ordering::Greater => "todo",
                    },
                })
                .collect(),
        )
    }
}

pub struct MaterialFile {
    pub id: String,
    pub name: String,
    pub size: String,
    pub is_image: bool,
    pub uploaded: String,
}

/// A required or optional material and what has been uploaded for it.
pub struct MaterialSlot {
    pub kind: String,
    pub label: String,
    pub required: bool,
    pub file: Option<MaterialFile>,
}

fn size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

pub fn material_views(p: &Page, app: &ApplicationView) -> Vec<MaterialSlot> {
    app.specs
        .iter()
        .map(|spec| MaterialSlot {
            kind: spec.kind.clone(),
            label: p.tr.pick(&spec.label_zh, &spec.label_en).to_string(),
            required: spec.required,
            file: app
                .materials
                .iter()
                .find(|m| m.kind == spec.kind)
                .map(|m| MaterialFile {
                    id: m.id.clone(),
                    name: m.file_name.clone(),
                    size: size(m.size),
                    is_image: m.content_type.starts_with("image/"),
                    uploaded: asn1time::beijing_minutes(m.created_at),
                }),
        })
        .collect()
}

/// An application as a line of 个人中心.
pub struct ApplicationLine {
    pub id: String,
    pub business: String,
    pub serial: String,
    pub state_label: String,
    pub tone: &'static str,
    pub created: String,
    pub submitted: String,
    pub updated: String,
    pub price: String,
    pub editable: bool,
}

impl ApplicationLine {
    pub fn new(p: &Page, r: &ApplicationRow) -> Self {
        let (state, business) = (r.state, r.business);
        ApplicationLine {
            id: r.id.clone(),
            business: p
                .tr
                .pick(business.name_zh(), business.name_en())
                .to_string(),
            serial: r.cert_serial.clone().unwrap_or_default(),
            state_label: p.tr.pick(state.label_zh(), state.label_en()).to_string(),
            tone: state.tone(),
            created: asn1time::beijing_minutes(r.created_at),
            submitted: r
                .submitted_at
                .map(asn1time::beijing_minutes)
                .unwrap_or_default(),
            updated: asn1time::beijing_minutes(r.updated_at),
            price: if r.price_fen == 0 {
                p.t("common.free")
            } else {
                Fen(r.price_fen).to_string()
            },
            editable: state.editable(),
        }
    }
}

/// One entry of an application's timeline.
pub struct EventLine {
    pub at: String,
    pub actor: String,
    pub to: String,
    pub note: String,
}

impl EventLine {
    pub fn new(p: &Page, e: &EventRow) -> Self {
        let to = e.to_state;
        let actor = if e.actor.starts_with("holder:") {
            p.t("timeline.holder")
        } else if e.actor.starts_with("staff:") {
            p.t("timeline.staff")
        } else {
            p.t("timeline.system")
        };
        EventLine {
            at: asn1time::beijing_minutes(e.at),
            actor,
            to: p.tr.pick(to.label_zh(), to.label_en()).to_string(),
            note: p.tr.text(&e.note),
        }
    }
}

/// A QR code as inline SVG. The SVG is drawn by the qrcode crate from the bits of
/// the text, so no input text appears in it and it needs no escaping.
pub(crate) fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .build();
    Some(
        svg.trim_start_matches(r#"<?xml version="1.0" standalone="yes"?>"#)
            .to_string(),
    )
}
