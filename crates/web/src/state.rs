use std::sync::Arc;

use ca::Authority;
use metrics_exporter_prometheus::PrometheusHandle;

/// The operator's name and contact details, shown on every page.
#[derive(Debug, Clone)]
pub struct Branding {
    /// e.g. "安徽 CA 证书网上服务平台".
    pub platform_name: String,
    /// The operator (CA) name.
    pub operator: String,
    /// 客服热线.
    pub hotline: String,
}

#[derive(Clone)]
pub struct AppState {
    pub authority: Arc<Authority>,
    pub branding: Arc<Branding>,
    pub metrics: PrometheusHandle,
}
