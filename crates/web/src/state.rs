use std::sync::Arc;

use ca::Authority;
use metrics_exporter_prometheus::PrometheusHandle;
use ra::Ra;

/// The operator's name and contact details, shown on every page.
#[derive(Debug, Clone)]
pub struct Branding {
    /// e.g. "安徽 CA 证书网上服务平台".
    pub platform_name: String,
    /// The operator (CA) name.
    pub operator: String,
    /// 客服热线.
    pub hotline: String,
    /// A logo (PNG, JPEG or SVG) served at /branding/logo; None shows the initials.
    pub logo: Option<Arc<(String, Vec<u8>)>>,
    /// The assistant's build served at /download/certhall-assistant.
    pub assistant_build: Option<std::path::PathBuf>,
}

#[derive(Clone)]
pub struct AppState {
    pub authority: Arc<Authority>,
    pub ra: Arc<Ra>,
    pub branding: Arc<Branding>,
    pub metrics: PrometheusHandle,
    /// Cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
    /// scheme://host[:port] of the public URL, for the Origin check.
    pub origin: String,
}

impl AppState {
    pub fn new(
        authority: Arc<Authority>,
        ra: Arc<Ra>,
        branding: Branding,
        public_url: &str,
    ) -> Self {
        let origin = public_url
            .split_once("://")
            .map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or("")))
            .unwrap_or_default();
        AppState {
            authority,
            ra,
            branding: Arc::new(branding),
            metrics: crate::metrics::handle(),
            secure_cookies: public_url.starts_with("https://"),
            origin,
        }
    }
}
