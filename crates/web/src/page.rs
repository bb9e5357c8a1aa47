//! What every page needs to render its frame: the language, the operator's
//! branding, who is signed in, the CSRF token for its forms, and where it is.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::csrf::CsrfToken;
use crate::i18n::{self, Lang, Tr};
use crate::session::Session;
use crate::{AppState, Branding, cookies};

pub struct Page {
    pub tr: Tr,
    pub branding: Arc<Branding>,
    /// 138****1234 of the signed-in holder.
    pub holder: Option<String>,
    pub csrf: String,
    /// Path and query of this page (for the language switch and sign-in).
    pub here: String,
    pub nav: &'static str,
}

impl Page {
    pub fn t(&self, key: &str) -> String {
        self.tr.t(key)
    }

    pub fn msg(&self, m: &domain::Msg) -> String {
        self.tr.msg(m)
    }

    /// Source-language text (a label, a note) in the page's language.
    pub fn text(&self, source: &str) -> String {
        self.tr.text(source)
    }

    pub fn lang(&self) -> &'static str {
        self.tr.lang().code()
    }

    pub fn en(&self) -> bool {
        self.tr.lang() == Lang::En
    }

    /// The other language's switch link.
    pub fn switch_href(&self) -> String {
        let to = if self.en() { "zh" } else { "en" };
        format!("/lang/{to}?next={}", encode(&self.here))
    }

    pub fn here_encoded(&self) -> String {
        encode(&self.here)
    }

    /// Marks the current navigation item.
    pub fn current(&self, item: &str) -> &'static str {
        if self.nav == item { "current" } else { "" }
    }

    pub fn with_nav(mut self, nav: &'static str) -> Self {
        self.nav = nav;
        self
    }
}

pub fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The language of a request: its cookie, else Chinese.
pub fn lang_of(parts: &Parts) -> Lang {
    cookies::get(&parts.headers, i18n::COOKIE)
        .and_then(|c| Lang::from_code(&c))
        .unwrap_or(Lang::Zh)
}

impl FromRequestParts<AppState> for Page {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = parts.extensions.get::<Session>();
        Ok(Page {
            tr: Tr(lang_of(parts)),
            branding: state.branding.clone(),
            holder: session
                .and_then(|s| s.holder.as_ref())
                .and_then(|h| domain::Mobile::parse(&h.mobile).ok())
                .map(|m| m.masked()),
            csrf: parts
                .extensions
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            here: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            nav: "",
        })
    }
}
