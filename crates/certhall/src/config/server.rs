//! `[server]`: where to listen, the public URL, the metrics token, connection limits.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use super::error::{ConfigError, bad};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on. Default `127.0.0.1:8080` (loopback only: put a
    /// reverse proxy with TLS in front to serve the world).
    pub listen: String,
    /// The URL people and relying parties reach this server at; written into
    /// every certificate's AIA and CRL distribution point. Default
    /// `http://<listen>`.
    pub public_url: Option<String>,
    /// Bearer token a Prometheus scraper presents at `/metrics` (at least 24
    /// characters). Unset: `/metrics` is not served. Prefer
    /// `CERTHALL_METRICS_TOKEN`.
    pub metrics_token: Option<String>,
    /// Seconds a connection has to deliver a request's headers (idle
    /// keep-alive connections included). Default 10.
    pub header_read_timeout_seconds: u64,
    /// Connections one client address may hold at once; 0: no cap. Default
    /// 0, for the default set-up behind a reverse proxy (every connection
    /// then comes from the proxy, which limits clients itself); set it when
    /// clients connect directly.
    pub max_connections_per_client: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            metrics_token: None,
            header_read_timeout_seconds: 10,
            max_connections_per_client: 0,
        }
    }
}

/// `[server]` after validation.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    pub public_url: Option<String>,
    pub metrics_token: Option<SecretString>,
    pub http: crate::http::HttpLimits,
}

impl ServerConfig {
    pub(super) fn resolve(
        self,
        listen: Option<String>,
        public_url: Option<String>,
    ) -> Result<ServerSettings, ConfigError> {
        let listen_raw = listen.unwrap_or(self.listen);
        let listen: SocketAddr = listen_raw.parse().map_err(|_| {
            bad(
                "server.listen",
                format!("`{listen_raw}` is not an address:port such as 127.0.0.1:8080"),
            )
        })?;
        let public_url = public_url.or(self.public_url);
        if !(1..=300).contains(&self.header_read_timeout_seconds) {
            return Err(bad(
                "server.header_read_timeout_seconds",
                "must be between 1 and 300",
            ));
        }
        let http = crate::http::HttpLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_seconds),
            max_connections_per_client: self.max_connections_per_client,
        };
        let metrics_token = std::env::var("CERTHALL_METRICS_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .or(self.metrics_token.filter(|t| !t.is_empty()));
        if let Some(t) = &metrics_token
            && (t.len() < 24 || !t.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(bad(
                "server.metrics_token",
                "must be at least 24 printable ASCII characters (CERTHALL_METRICS_TOKEN likewise)",
            ));
        }
        if let Some(u) = &public_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Err(bad(
                "server.public_url",
                format!("`{u}` must be an http:// or https:// URL"),
            ));
        }
        Ok(ServerSettings {
            listen,
            public_url,
            metrics_token: metrics_token.map(SecretString::from),
            http,
        })
    }
}
