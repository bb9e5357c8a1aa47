//! Reading and writing our cookies.

use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};

/// The value of cookie `name` in the request, if present.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: always Path=/ and HttpOnly; Secure when served over https.
pub fn set(
    name: &str,
    value: &str,
    same_site: &str,
    max_age: Option<i64>,
    secure: bool,
) -> HeaderValue {
    set_at("/", name, value, same_site, max_age, secure)
}

/// A `Set-Cookie` value limited to `path`; HttpOnly, Secure over https.
///
/// Every part is ours: names, paths and SameSite are constants, and a value is
/// one of our random tokens (base64url), a language code or empty.
#[expect(
    clippy::expect_used,
    reason = "our cookies are visible ASCII (see above), which a header value accepts"
)]
pub fn set_at(
    path: &str,
    name: &str,
    value: &str,
    same_site: &str,
    max_age: Option<i64>,
    secure: bool,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).expect("our cookies are visible ASCII")
}
