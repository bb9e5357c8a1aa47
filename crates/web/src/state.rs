use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use ra::Ra;
use secrecy::SecretString;

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
    /// The assistant's Debian package (`scripts/package-assistant`) served
    /// at /download/certhall-assistant.deb under its own file name.
    pub assistant_package: Option<std::path::PathBuf>,
}

/// What every handler and middleware gets. Cloned several times per request
/// (each `from_fn_with_state` layer and `State` extractor takes its own copy),
/// so a clone is one reference count: under load, cloning the fields one by
/// one (three shared counters bounced between cores, and a `String`) was
/// about 15% of an OCSP answer's CPU (perf, docs/PERFORMANCE.md).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub ra: Arc<Ra>,
    pub branding: Arc<Branding>,
    pub metrics: PrometheusHandle,
    /// What a scraper presents at `/metrics`; None: not served.
    pub metrics_token: Option<SecretString>,
    /// Cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
    /// scheme://host[:port] of the public URL, for the Origin check.
    pub origin: String,
}

impl AppState {
    pub fn new(
        ra: Arc<Ra>,
        branding: Branding,
        public_url: &str,
        metrics_token: Option<SecretString>,
    ) -> Self {
        let origin = public_url
            .split_once("://")
            .map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or("")))
            .unwrap_or_default();
        AppState(Arc::new(Shared {
            ra,
            branding: Arc::new(branding),
            metrics: crate::metrics::handle(),
            metrics_token,
            secure_cookies: public_url.starts_with("https://"),
            origin,
        }))
    }
}
