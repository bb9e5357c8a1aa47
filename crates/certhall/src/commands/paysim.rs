//! `certhall paysim`: the sandbox gateway on its own, for a test or staging
//! server configured as if it talked to the real Alipay and WeChat Pay.
//!
//! It uses the same keys as the in-process sandbox (`<data-dir>/paysim/`), writes
//! the public halves next to them, and prints the `[payment.alipay]` and
//! `[payment.wechat]` sections that point a certhall server at it.

use std::path::Path;

use crate::config::Settings;
use crate::{AppError, setup};

pub async fn run(
    settings: &Settings,
    listen: &str,
    base: Option<&str>,
    retry_scale: Option<f64>,
) -> Result<(), AppError> {
    let addr: std::net::SocketAddr = listen.parse().map_err(|_| {
        AppError::Input(format!(
            "--listen: `{listen}` is not an address:port such as 127.0.0.1:8090"
        ))
    })?;
    let retry_scale = retry_scale.unwrap_or(settings.payment.sandbox_retry_scale);
    if !(retry_scale > 0.0 && retry_scale <= 1.0) {
        return Err(AppError::Input(format!(
            "--retry-scale: {retry_scale} must be in (0, 1]"
        )));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| AppError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| AppError::Bind { addr, source })?;
    let base = base
        .map(|b| b.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("http://{bound}"));

    let keys = setup::sandbox_keys(&settings.data_dir)?;
    let dir = std::fs::canonicalize(settings.data_dir.join("paysim"))
        .map_err(|e| AppError::file("cannot read", settings.data_dir.join("paysim"), e))?;
    write_public(&dir.join("alipay.pub.pem"), &keys.alipay)?;
    write_public(&dir.join("platform.pub.pem"), &keys.platform)?;
    let state = setup::sandbox_state(keys, &base, retry_scale, &settings.data_dir)?;

    // What an operator pastes into the server's configuration. The APIv3 key is
    // a secret even here, so only its file is named.
    println!(
        "# certhall paysim: sandbox Alipay and WeChat Pay at {base}\n\
         # Point a certhall server at it with these sections, and\n\
         # export CERTHALL_WECHAT_APIV3_KEY=\"$(cat {v3})\"\n\
         [payment.alipay]\n\
         gateway = \"{base}/alipay/gateway.do\"\n\
         app_id = \"{app_id}\"\n\
         merchant_key_file = \"{merchant}\"\n\
         alipay_public_key_file = \"{alipay}\"\n\
         \n\
         [payment.wechat]\n\
         base = \"{base}\"\n\
         appid = \"{appid}\"\n\
         mchid = \"{mchid}\"\n\
         merchant_serial = \"SANDBOXMERCHANT\"\n\
         merchant_key_file = \"{merchant}\"\n\
         platform_serial = \"{serial}\"\n\
         platform_key_file = \"{platform}\"\n",
        v3 = dir.join("apiv3.key").display(),
        app_id = setup::SANDBOX_APP_ID,
        merchant = dir.join("merchant.pem").display(),
        alipay = dir.join("alipay.pub.pem").display(),
        appid = setup::SANDBOX_APPID,
        mchid = setup::SANDBOX_MCHID,
        serial = setup::SANDBOX_PLATFORM_SERIAL,
        platform = dir.join("platform.pub.pem").display(),
    );
    tracing::warn!(sandbox = %base, "sandbox payment gateway: no real money moves here");
    state.resume();
    axum::serve(listener, payment::sim::router(state))
        .with_graceful_shutdown(crate::server::shutdown_signal())
        .await
        .map_err(|source| AppError::Bind { addr, source })
}

fn write_public(path: &Path, key: &payment::keys::PrivateKey) -> Result<(), AppError> {
    let pem = key
        .public_pem()
        .map_err(|e| AppError::Input(e.to_string()))?;
    std::fs::write(path, pem).map_err(|e| AppError::file("cannot write", path, e))
}
