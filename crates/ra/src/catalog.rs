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

fn m(b: Business, t: ProfileKind, kind: &str, zh: &str, en: &str, required: bool) -> MaterialSpec {
    MaterialSpec {
        business: b,
        cert_type: t,
        kind: kind.into(),
        label_zh: zh.into(),
        label_en: en.into(),
        required,
    }
}

impl Catalog {
    /// Materials and prices of a typical provincial CA (research/domain-notes.md).
    pub fn defaults() -> Self {
        use Business as B;
        use ProfileKind::{Enterprise as E, Individual as I};
        let mut materials = vec![
            m(
                B::Change,
                E,
                "business_license",
                "营业执照副本",
                "Business licence (copy)",
                true,
            ),
            m(
                B::Change,
                E,
                "change_notice",
                "工商变更通知书",
                "Registration change notice",
                true,
            ),
            m(
                B::Change,
                E,
                "agent_id",
                "经办人身份证",
                "Agent's ID card",
                true,
            ),
            m(
                B::Change,
                E,
                "authorization",
                "授权委托书（经办人非法定代表人时提供）",
                "Letter of authorisation (if the agent is not the legal representative)",
                false,
            ),
            m(
                B::Change,
                I,
                "id_card",
                "身份证（正反面）",
                "ID card (both sides)",
                true,
            ),
            m(
                B::Change,
                I,
                "change_proof",
                "变更证明材料",
                "Proof of the change",
                false,
            ),
        ];
        // 在线新办 and 在线补办 prove the same identity: the organisation (营业执照)
        // and whoever acts for it, or the person.
        for b in [B::New, B::Reissue] {
            materials.extend([
                m(
                    b,
                    E,
                    "business_license",
                    "营业执照副本",
                    "Business licence (copy)",
                    true,
                ),
                m(b, E, "agent_id", "经办人身份证", "Agent's ID card", true),
                m(
                    b,
                    E,
                    AUTHORIZATION,
                    "授权委托书（经办人非法定代表人时提供）",
                    "Letter of authorisation (if the agent is not the legal representative)",
                    false,
                ),
                m(
                    b,
                    I,
                    "id_card",
                    "身份证（正反面）",
                    "ID card (both sides)",
                    true,
                ),
            ]);
        }
        // 签章变更: the new seal and the signed 《电子印章采样表》.
        for t in [E, I] {
            materials.extend([
                m(
                    B::SealChange,
                    t,
                    crate::materials::SEAL_IMAGE,
                    "电子印章图片（透明背景 PNG）",
                    "E-seal image (PNG with transparency)",
                    true,
                ),
                m(
                    B::SealChange,
                    t,
                    "seal_sample_form",
                    "《电子印章采样表》（签字盖章）",
                    "E-seal sample form (signed and stamped)",
                    true,
                ),
            ]);
        }
        let y = |yuan: i64| Fen(yuan * 100);
        let p = |b, t, amount| PriceSpec {
            business: b,
            cert_type: t,
            amount,
        };
        let prices = vec![
            p(B::New, E, y(300)),
            p(B::New, I, y(100)),
            p(B::Renew, E, y(300)),
            p(B::Renew, I, y(100)),
            p(B::Reissue, E, y(100)),
            p(B::Reissue, I, y(80)),
            p(B::SealChange, E, y(50)),
            p(B::SealChange, I, y(50)),
            p(B::Unlock, E, Fen::ZERO),
            p(B::Unlock, I, Fen::ZERO),
            p(B::Change, E, Fen::ZERO),
            p(B::Change, I, Fen::ZERO),
            p(B::Revoke, E, Fen::ZERO),
            p(B::Revoke, I, Fen::ZERO),
        ];
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
