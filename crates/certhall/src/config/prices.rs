//! `[[prices]]` and `[[materials]]`: the price list and the materials each
//! business needs, over the built-in defaults.

use serde::Deserialize;

use super::error::{ConfigError, bad};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    /// new, renew, reissue, seal, unlock, change, revoke.
    pub business: String,
    /// enterprise or individual.
    pub cert_type: String,
    /// In yuan, e.g. "300" or "0" (free).
    pub yuan: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialConfig {
    pub business: String,
    pub cert_type: String,
    /// A stable key, e.g. business_license.
    pub kind: String,
    pub label: String,
    pub label_en: Option<String>,
    #[serde(default)]
    pub required: bool,
}

/// The price list and materials: built-in defaults, overridden by the file.
pub(super) fn catalog(
    prices: Vec<PriceConfig>,
    materials: Vec<MaterialConfig>,
) -> Result<ra::catalog::Catalog, ConfigError> {
    use domain::{Business, Fen, ProfileKind};
    let mut c = ra::catalog::Catalog::defaults();
    let business = |i: usize, b: &str, table: &str| -> Result<Business, ConfigError> {
        b.parse().map_err(|_| {
            bad(
                &format!("{table}[{i}].business"),
                format!("unknown business `{b}`"),
            )
        })
    };
    let cert_type = |i: usize, t: &str, table: &str| -> Result<ProfileKind, ConfigError> {
        t.parse().map_err(|_| {
            bad(
                &format!("{table}[{i}].cert_type"),
                "must be enterprise or individual",
            )
        })
    };
    for (i, p) in prices.iter().enumerate() {
        let b = business(i, &p.business, "prices")?;
        let t = cert_type(i, &p.cert_type, "prices")?;
        let amount = Fen::parse_yuan(&p.yuan)
            .map_err(|e| bad(&format!("prices[{i}].yuan"), e.to_string()))?;
        c.prices.retain(|x| !(x.business == b && x.cert_type == t));
        c.prices.push(ra::catalog::PriceSpec {
            business: b,
            cert_type: t,
            amount,
        });
    }
    if !materials.is_empty() {
        c.materials.clear();
        for (i, m) in materials.iter().enumerate() {
            let b = business(i, &m.business, "materials")?;
            let t = cert_type(i, &m.cert_type, "materials")?;
            if m.kind.is_empty() || !m.kind.bytes().all(|c| c.is_ascii_lowercase() || c == b'_') {
                return Err(bad(
                    &format!("materials[{i}].kind"),
                    "use lower-case letters and _",
                ));
            }
            if m.label.trim().is_empty() {
                return Err(bad(&format!("materials[{i}].label"), "must not be empty"));
            }
            c.materials.push(ra::catalog::MaterialSpec {
                business: b,
                cert_type: t,
                kind: m.kind.clone(),
                label_zh: m.label.clone(),
                label_en: m.label_en.clone().unwrap_or_else(|| m.label.clone()),
                required: m.required,
            });
        }
    }
    Ok(c)
}
