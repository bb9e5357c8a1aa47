//! The payment centre (支付中心, 图 2.10–2.14) and the gateways' notify and return
//! endpoints.

mod done;
mod line;
mod methods;
mod notify;
mod order;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::AppState;

pub fn routes(state: AppState, upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/pay/{id}", get(order::order))
        .route(
            "/pay/{id}/invoice",
            get(order::invoice_form).post(order::save_invoice),
        )
        .route("/pay/{id}/agree", post(order::agree))
        .route("/pay/{id}/method", get(methods::method))
        .route("/pay/{id}/alipay", post(methods::alipay))
        .route(
            "/pay/{id}/wechat",
            get(methods::wechat).post(methods::choose_wechat),
        )
        .route(
            "/pay/{id}/bank",
            get(methods::bank)
                .post(methods::bank_receipt)
                .layer(DefaultBodyLimit::max(upload_limit + 64 * 1024)),
        )
        .route("/pay/{id}/status", get(done::status))
        .route("/pay/{id}/success", get(done::success))
        .route("/pay/{id}/invoice.pdf", get(done::invoice_pdf))
        .route("/pay/terms/{which}", get(done::terms))
        .route("/pay/return/alipay", get(done::alipay_return))
        .route("/pay/notify/alipay", post(notify::alipay))
        .route("/pay/notify/wechat", post(notify::wechat))
        .route("/me/applications/{id}/pay", post(order::pay_application))
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::portal::page_errors,
        ))
}
