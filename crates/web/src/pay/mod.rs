//! The payment centre (支付中心, 图 2.10–2.14) and the gateways' notify and return
//! endpoints.

mod notify;
mod pages;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::AppState;

pub fn routes(state: AppState, upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/pay/{id}", get(pages::order))
        .route(
            "/pay/{id}/invoice",
            get(pages::invoice_form).post(pages::save_invoice),
        )
        .route("/pay/{id}/agree", post(pages::agree))
        .route("/pay/{id}/method", get(pages::method))
        .route("/pay/{id}/alipay", post(pages::alipay))
        .route(
            "/pay/{id}/wechat",
            get(pages::wechat).post(pages::choose_wechat),
        )
        .route(
            "/pay/{id}/bank",
            get(pages::bank)
                .post(pages::bank_receipt)
                .layer(DefaultBodyLimit::max(upload_limit + 64 * 1024)),
        )
        .route("/pay/{id}/status", get(pages::status))
        .route("/pay/{id}/success", get(pages::success))
        .route("/pay/{id}/invoice.pdf", get(pages::invoice_pdf))
        .route("/pay/terms/{which}", get(pages::terms))
        .route("/pay/return/alipay", get(pages::alipay_return))
        .route("/pay/notify/alipay", post(notify::alipay))
        .route("/pay/notify/wechat", post(notify::wechat))
        .route("/me/applications/{id}/pay", post(pages::pay_application))
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::portal::page_errors,
        ))
}
