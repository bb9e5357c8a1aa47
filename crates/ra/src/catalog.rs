//! What each business costs and which materials it needs, per certificate type.
//! Both come from configuration; prices are copied into the database on start
//! (without overwriting prices edited since) and read from there. The back office
//! may change a price, the reviewers a product needs, and whether a configured
//! material is required; an application keeps what held when it was created.

use domain::{Business, Fen, ProfileKind};
use store::Db;

use crate::{Msg, Ra, RaError};

/// The 授权委托书: required when the form says the 经办人 is not the 法定代表人.
pub const AUTHORIZATION: &str = "authorization";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialSpec {
    pub business: Business,
    pub cert_type: ProfileKind,
    /// Stable key, e.g. `business_license`.
    pub kind: String,
    pub label_zh: String,
    pub label_en: String,
    pub required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceSpec {
    pub business: Business,
    pub cert_type: ProfileKind,
    pub amount: Fen,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub materials: Vec<MaterialSpec>,
    pub prices: Vec<PriceSpec>,
}

impl Catalog {
    /// The materials and prices each business's module gives by default
    /// (`crate::business`, those of a typical provincial CA).
    pub fn defaults() -> Self {
        let mut materials = Vec::new();
        let mut prices = Vec::new();
        for business in Business::ALL {
            let (specs, price) = crate::business::defaults(business);
            materials.extend(specs.iter().map(|m| MaterialSpec {
                business,
                cert_type: m.cert_type,
                kind: m.kind.into(),
                label_zh: m.label_zh.into(),
                label_en: m.label_en.into(),
                required: m.required,
            }));
            for (cert_type, amount) in [
                (ProfileKind::Enterprise, price.enterprise),
                (ProfileKind::Individual, price.individual),
            ] {
                prices.push(PriceSpec {
                    business,
                    cert_type,
                    amount,
                });
            }
        }
        Catalog { materials, prices }
    }

    pub fn materials_for(&self, business: Business, cert_type: ProfileKind) -> Vec<&MaterialSpec> {
        self.materials
            .iter()
            .filter(|s| s.business == business && s.cert_type == cert_type)
            .collect()
    }

    /// Copies configured prices into the database, keeping prices set since.
    pub async fn seed_prices(&self, db: &Db, now: i64) -> Result<(), RaError> {
        let mut conn = db.conn().await?;
        for p in &self.prices {
            store::prices::seed(
                &mut conn,
                p.business.key(),
                p.cert_type.name(),
                p.amount.0,
                now,
            )
            .await?;
        }
        Ok(())
    }
}

impl Ra {
    /// The configured materials of a product with the back office's current
    /// `required` settings.
    pub async fn current_materials(
        &self,
        business: Business,
        cert_type: ProfileKind,
    ) -> Result<Vec<MaterialSpec>, RaError> {
        let rules = store::prices::material_rules(&mut *self.db.conn().await?).await?;
        Ok(self
            .catalog
            .materials_for(business, cert_type)
            .into_iter()
            .map(|spec| {
                let mut spec = spec.clone();
                if let Some(r) = rules.iter().find(|r| {
                    r.business == business.key()
                        && r.cert_type == cert_type.name()
                        && r.kind == spec.kind
                }) {
                    spec.required = r.required != 0;
                }
                spec
            })
            .collect())
    }

    /// The kinds of material required now, as a new application keeps them
    /// (read back by `materials_of`).
    pub(crate) async fn required_now(
        &self,
        business: Business,
        cert_type: ProfileKind,
    ) -> Result<String, RaError> {
        let kinds: Vec<String> = self
            .current_materials(business, cert_type)
            .await?
            .into_iter()
            .filter(|s| s.required)
            .map(|s| s.kind)
            .collect();
        Ok(kinds_json(&kinds))
    }

    /// The materials of an application: `required` as it stood when the
    /// application was created.
    pub async fn materials_of(
        &self,
        row: &store::applications::ApplicationRow,
        business: Business,
        cert_type: ProfileKind,
    ) -> Result<Vec<MaterialSpec>, RaError> {
        let mut specs = self.current_materials(business, cert_type).await?;
        if let Some(kinds) = row
            .required_materials
            .as_deref()
            .and_then(|j| serde_json::from_str::<Vec<String>>(j).ok())
        {
            for spec in &mut specs {
                spec.required = kinds.contains(&spec.kind);
            }
        }
        Ok(specs)
    }

    /// The current price of a business for a certificate type.
    pub async fn price(&self, business: Business, cert_type: ProfileKind) -> Result<Fen, RaError> {
        let mut conn = self.db.conn().await?;
        store::prices::get(&mut conn, business.key(), cert_type.name())
            .await?
            .map(Fen)
            .ok_or_else(|| RaError::Invalid(Msg::new("该业务暂未定价，请联系客服")))
    }
}

/// A list of material kinds as JSON.
#[expect(clippy::expect_used, reason = "a list of strings always serialises")]
fn kinds_json(kinds: &[String]) -> String {
    serde_json::to_string(kinds).expect("a list of strings serialises")
}
