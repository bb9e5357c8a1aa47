//! 产品与价格: each (business, certificate type) with its price, reviewers and
//! required materials. Changes apply to new applications only and are audited.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Done, Frame, Signed, when};
use crate::AppState as Web;
use crate::WebError;
use crate::respond::{page_ok, see_other};

struct MaterialLine {
    kind: String,
    label: String,
    required: bool,
}

struct ProductLine {
    business_key: &'static str,
    business: &'static str,
    cert_type_key: &'static str,
    cert_type: &'static str,
    yuan: String,
    free: bool,
    reviewers: i64,
    /// The product may be reviewed automatically (审核人数 0).
    automatic: bool,
    updated: String,
    materials: Vec<MaterialLine>,
}

#[derive(Template)]
#[template(path = "admin/products.html")]
struct ProductsPage {
    f: Frame,
    products: Vec<ProductLine>,
    notice: Option<&'static str>,
}

pub async fn page(
    State(state): State<Web>,
    f: Frame,
    s: Signed,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let products = state.ra.products(&s.who).await?;
    Ok(page_ok(&ProductsPage {
        products: products
            .into_iter()
            .map(|p| ProductLine {
                business_key: p.business.key(),
                business: p.business.name_zh(),
                cert_type_key: p.cert_type.name(),
                cert_type: p.cert_type.label_zh(),
                yuan: p.price.yuan_string(),
                free: p.price.is_free(),
                reviewers: p.reviewers,
                automatic: p.business.may_skip_review(),
                updated: format!("{}（{}）", when(p.updated_at), p.updated_by),
                materials: p
                    .materials
                    .into_iter()
                    .map(|m| MaterialLine {
                        kind: m.kind,
                        label: m.label_zh,
                        required: m.required,
                    })
                    .collect(),
            })
            .collect(),
        notice: q.done.map(|_| "已保存；新设置只适用于此后提交的申请"),
        f: Frame {
            nav: "products",
            ..f
        },
    }))
}

#[derive(Debug, Deserialize)]
pub struct PriceForm {
    #[serde(default)]
    business: String,
    #[serde(default)]
    cert_type: String,
    #[serde(default)]
    yuan: String,
    #[serde(default)]
    reviewers: String,
}

pub async fn set_price(
    State(state): State<Web>,
    s: Signed,
    Form(form): Form<PriceForm>,
) -> Result<Response, WebError> {
    state
        .ra
        .set_product(
            &s.who,
            &form.business,
            &form.cert_type,
            &form.yuan,
            &form.reviewers,
        )
        .await?;
    Ok(see_other("/admin/products?done=1"))
}

#[derive(Debug, Deserialize)]
pub struct MaterialForm {
    #[serde(default)]
    business: String,
    #[serde(default)]
    cert_type: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    required: String,
}

pub async fn set_material(
    State(state): State<Web>,
    s: Signed,
    Form(form): Form<MaterialForm>,
) -> Result<Response, WebError> {
    state
        .ra
        .set_material_required(
            &s.who,
            &form.business,
            &form.cert_type,
            &form.kind,
            form.required == "1",
        )
        .await?;
    Ok(see_other("/admin/products?done=1"))
}
