//! Everything the window shows, and the clicks not yet handed to the worker.

/// One certificate as the window lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertLine {
    pub holder: String,
    pub serial: String,
    pub issuer: String,
    pub validity: String,
    /// From the server once signed in: 有效 / 已吊销 / 已过期, and applications.
    pub status: String,
}

/// One inserted key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenLine {
    pub label: String,
    pub warning: Option<String>,
    pub certs: Vec<CertLine>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Page {
    #[default]
    Keys,
    Hall,
    Pin,
}

/// What the holder asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    ShowHall,
    /// 证书变更 or 在线延期 (`change::REKEYED`).
    Rekey(&'static str),
    ChangePin,
}

/// Everything the window shows.
#[derive(Debug, Default)]
pub struct View {
    pub server: String,
    pub tokens: Vec<TokenLine>,
    pub hall: Vec<(String, String)>,
    pub page: Page,
    pub pin: String,
    pub old_pin: String,
    pub new_pin: String,
    pub signed_in: bool,
    pub busy: bool,
    pub message: Option<String>,
    /// Clicks not yet handed to the worker.
    pub actions: Vec<Action>,
}
