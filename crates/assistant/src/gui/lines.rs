//! What the worker reads from the keys and the server, as the window lists
//! it: each key, its certificates and, once signed in, their status.

use crate::change;
use crate::client::{self, CertStatus, Client};
use crate::token::{Drivers, Interface, Token};

use super::view::{CertLine, HallEntry, SealPng, TokenLine};

/// A certificate's fields; its status waits for the login.
fn cert_line(der: &[u8]) -> CertLine {
    use der::Decode;
    let Ok(cert) = x509_cert::Certificate::from_der(der) else {
        return CertLine::default();
    };
    let tbs = cert.tbs_certificate();
    let ms = |t: x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_millis()).unwrap_or(i64::MAX)
    };
    let (from, to) = (ms(tbs.validity().not_before), ms(tbs.validity().not_after));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let left = (to - now).div_euclid(86_400_000);
    CertLine {
        holder: holder_name(tbs.subject()),
        serial: change::serial_of(der).unwrap_or_default(),
        issuer: attribute(tbs.issuer(), CN).unwrap_or_else(|| tbs.issuer().to_string()),
        validity: format!(
            "{} 至 {}（北京时间；{}）",
            domain::calendar::beijing_minutes(from),
            domain::calendar::beijing_minutes(to),
            if left >= 0 {
                format!("剩余 {left} 天")
            } else {
                "已过期".to_string()
            }
        ),
        status: "登录后显示".into(),
        unavailable: Vec::new(),
        seal: None,
        encryption: None,
    }
}

/// The serial of the encryption certificate beside the signing key under
/// `id` (双证书), if any.
fn encryption_serial(token: &Token, id: &[u8]) -> Option<String> {
    token
        .encryption_certificate(id)
        .ok()
        .flatten()
        .and_then(|der| change::serial_of(&der))
}

/// The earlier encryption certificates 在线补办 brought back.
fn earlier_serials(token: &Token) -> Vec<String> {
    crate::earlier::in_key(token)
        .unwrap_or_default()
        .iter()
        .filter_map(|der| change::serial_of(der))
        .collect()
}

const CN: &str = "2.5.4.3";
const O: &str = "2.5.4.10";

/// The holder as a person reads it: 张三（合肥某某科技有限公司）, or the
/// raw name when it has no common name.
fn holder_name(name: &x509_cert::name::Name) -> String {
    match (attribute(name, CN), attribute(name, O)) {
        (Some(cn), Some(o)) => format!("{cn}（{o}）"),
        (Some(cn), None) => cn,
        _ => name.to_string(),
    }
}

/// The first value of the attribute `oid` in a name, as text.
fn attribute(name: &x509_cert::name::Name, oid: &str) -> Option<String> {
    name.iter_rdn()
        .flat_map(|rdn| rdn.iter())
        .find(|atv| atv.oid.to_string() == oid)
        .map(|atv| String::from_utf8_lossy(atv.value.value()).into_owned())
}

/// A business of 办事大厅 with its price: 免费 when nothing is charged for
/// any certificate type, else the price (per type where they differ).
pub(super) fn hall_entry(b: &api::Business) -> HallEntry {
    let prices: Vec<(&str, &str)> = b
        .prices
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|p| (k.as_str(), p)))
        .collect();
    let free = |p: &str| {
        p.trim_start_matches('¥')
            .parse::<f64>()
            .is_ok_and(|y| y == 0.0)
    };
    let price = if prices.iter().all(|(_, p)| free(p)) {
        "免费".to_string()
    } else if prices.windows(2).all(|w| w[0].1 == w[1].1) {
        prices[0].1.to_string()
    } else {
        prices
            .iter()
            .map(|(k, p)| match *k {
                "enterprise" => format!("机构 {p}"),
                "individual" => format!("个人 {p}"),
                other => format!("{other} {p}"),
            })
            .collect::<Vec<_>>()
            .join(" / ")
    };
    HallEntry {
        key: b.key.clone(),
        name: b.name.clone(),
        price,
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

/// The businesses a certificate may not start now, and why, as the server
/// says (its state; the renewal window).
fn unavailable(st: &CertStatus) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if st.status != "valid" {
        let why = format!("证书{}，不能办理", client::status_label(st));
        for key in ["change", "seal"] {
            out.push((key.to_string(), why.clone()));
        }
    }
    if st.status == "revoked" {
        out.push(("revoke".to_string(), "证书已吊销".to_string()));
    }
    if let Some(r) = &st.renewal
        && !r.available
    {
        let why = r.reason.clone().unwrap_or_else(|| "不在可办理期间".into());
        out.push(("renew".to_string(), why));
    }
    out
}

/// The keys present, with the server's word on each certificate once signed
/// in (`token` is the session logged in).
pub(super) fn token_lines(
    drivers: &Drivers,
    token: Option<&Token>,
    client: &Client,
) -> Vec<TokenLine> {
    let Ok(infos) = drivers.tokens() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for info in infos {
        let mut line = TokenLine {
            // A 国密 key says so: the holder with a PKCS#11 token and an
            // SKF U 盾 plugged in tells them apart.
            label: match info.interface {
                Interface::Skf => format!("{}（国密 SKF）", info.label),
                Interface::Pkcs11 => info.label.clone(),
            },
            warning: info.pin_warning().map(str::to_string),
            pin_min: info.pin_min,
            certs: Vec::new(),
            earlier: Vec::new(),
        };
        match (token, drivers.open(&info.slot)) {
            (Some(t), _) => {
                for h in change::holders(t).unwrap_or_default() {
                    let mut c = cert_line(&h.cert.der);
                    c.seal = t.read_seal(&h.cert.id).ok().flatten().map(SealPng::new);
                    c.encryption = encryption_serial(t, &h.cert.id);
                    c.status = match client.status(&h) {
                        Ok(st) => {
                            c.unavailable = unavailable(&st);
                            status_text(&st)
                        }
                        Err(e) => e.to_string(),
                    };
                    line.certs.push(c);
                }
                line.earlier = earlier_serials(t);
            }
            (None, Ok(t)) => {
                for c in t.certificates().unwrap_or_default() {
                    let mut line_of = cert_line(&c.der);
                    line_of.seal = t.read_seal(&c.id).ok().flatten().map(SealPng::new);
                    line_of.encryption = encryption_serial(&t, &c.id);
                    line.certs.push(line_of);
                }
            }
            (None, Err(_)) => {}
        }
        out.push(line);
    }
    out
}
