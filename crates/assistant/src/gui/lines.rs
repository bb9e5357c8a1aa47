//! What the worker reads from the keys and the server, as the window lists
//! it: each key, its certificates and, once signed in, their status.

use crate::change;
use crate::client::{self, CertStatus, Client};
use crate::token::{Module, Token};

use super::view::{CertLine, TokenLine};

/// A certificate's fields; its status waits for the login.
fn cert_line(der: &[u8]) -> CertLine {
    use der::Decode;
    let Ok(cert) = x509_cert::Certificate::from_der(der) else {
        return CertLine::default();
    };
    let tbs = cert.tbs_certificate();
    CertLine {
        holder: tbs.subject().to_string(),
        serial: change::serial_of(der).unwrap_or_default(),
        issuer: tbs.issuer().to_string(),
        validity: format!(
            "{} 至 {}",
            tbs.validity().not_before,
            tbs.validity().not_after
        ),
        status: "登录后显示".into(),
    }
}

/// The server's word on a certificate: its status, its applications and
/// whether it may be renewed online.
fn status_text(st: &CertStatus) -> String {
    let mut s = client::status_label(st).to_string();
    for a in &st.applications {
        s.push_str(&format!("；{}：{}", a.business_name, a.state_label));
    }
    if let Some(line) = st.renewal_line() {
        s.push('；');
        s.push_str(&line);
    }
    s
}

/// The keys present, with the server's word on each certificate once signed
/// in (`token` is the session logged in).
pub(super) fn token_lines(
    module: &Module,
    token: Option<&Token>,
    client: &Client,
) -> Vec<TokenLine> {
    let Ok(infos) = module.tokens() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for info in infos {
        let mut line = TokenLine {
            label: info.label.clone(),
            warning: info.pin_warning().map(str::to_string),
            certs: Vec::new(),
        };
        match (token, module.open(info.slot)) {
            (Some(t), _) => {
                for h in change::holders(t).unwrap_or_default() {
                    let mut c = cert_line(&h.cert.der);
                    c.status = match client.status(&h) {
                        Ok(st) => status_text(&st),
                        Err(e) => e.to_string(),
                    };
                    line.certs.push(c);
                }
            }
            (None, Ok(t)) => {
                for c in t.certificates().unwrap_or_default() {
                    line.certs.push(cert_line(&c.der));
                }
            }
            (None, Err(_)) => {}
        }
        out.push(line);
    }
    out
}
