//! Products in the back office: the price of each (business, certificate type),
//! how many reviewers it needs, and which configured materials are required.
//! A change applies to applications created after it (an application keeps the
//! price, reviewers and required materials it was created under) and is audited.

use domain::{Business, Fen, Perm, ProfileKind};
use serde_json::json;
use store::audit;
use store::prices::{self, MaterialRuleRow};

use crate::catalog::MaterialSpec;
use crate::staff::StaffMember;
use crate::{Msg, Ra, RaError};

/// One product as the products page shows it.
#[derive(Debug, Clone)]
pub struct Product {
    pub business: Business,
    pub cert_type: ProfileKind,
    pub price: Fen,
    pub reviewers: i64,
    pub updated_at: i64,
    pub updated_by: String,
    pub materials: Vec<MaterialSpec>,
}

fn product_of(business: &str, cert_type: &str) -> Result<(Business, ProfileKind), RaError> {
    let unknown = || RaError::Invalid(Msg::new("未知的业务或证书类型"));
    Ok((
        business.parse().map_err(|_| unknown())?,
        cert_type.parse().map_err(|_| unknown())?,
    ))
}

impl Ra {
    pub async fn products(&self, who: &StaffMember) -> Result<Vec<Product>, RaError> {
        who.require(Perm::ViewProducts)?;
        let rows = prices::all(&mut *self.db.conn().await?).await?;
        let mut out = Vec::new();
        for row in rows {
            let Ok((business, cert_type)) = product_of(&row.business, &row.cert_type) else {
                continue;
            };
            out.push(Product {
                business,
                cert_type,
                price: Fen(row.amount_fen),
                reviewers: row.reviewers,
                updated_at: row.updated_at,
                updated_by: row.updated_by,
                materials: self.current_materials(business, cert_type).await?,
            });
        }
        // The order of the 自助服务 page, then 机构 before 个人.
        out.sort_by_key(|p| {
            (
                Business::ALL.iter().position(|b| *b == p.business),
                p.cert_type != ProfileKind::Enterprise,
            )
        });
        Ok(out)
    }

    /// Sets a product's price (in yuan, as typed) and reviewers (0 = automatic where allowed, 1 or 2).
    pub async fn set_product(
        &self,
        who: &StaffMember,
        business: &str,
        cert_type: &str,
        yuan: &str,
        reviewers: &str,
    ) -> Result<(), RaError> {
        who.require(Perm::EditProducts)?;
        let (business, cert_type) = product_of(business, cert_type)?;
        let price = Fen::parse_yuan(yuan.trim()).map_err(|_| {
            RaError::Invalid(Msg::new(
                "价格应为不小于 0 的金额，最多两位小数，如 300 或 99.50",
            ))
        })?;
        if price.0 > 100_000_000 {
            return Err(RaError::Invalid(Msg::new("价格不能超过 1,000,000 元")));
        }
        let reviewers: i64 = match reviewers.trim() {
            "0" if business.may_skip_review() => 0,
            "0" => {
                return Err(RaError::Invalid(Msg::new(
                    "只有在线延期和证书注销可以设为自动审核",
                )));
            }
            "1" => 1,
            "2" => 2,
            _ => {
                return Err(RaError::Invalid(Msg::new(
                    "审核人数只能是 0（自动）、1 或 2",
                )));
            }
        };
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        let before = prices::get(&mut tx, business.key(), cert_type.name()).await?;
        let before_reviewers = prices::reviewers(&mut tx, business.key(), cert_type.name()).await?;
        if !prices::update(
            &mut tx,
            business.key(),
            cert_type.name(),
            price.0,
            reviewers,
            &who.actor(),
            now,
        )
        .await?
        {
            return Err(RaError::NotFound);
        }
        audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &audit::Event {
                actor: &who.actor(),
                action: "product.updated",
                object: &format!("{}/{}", business.key(), cert_type.name()),
                details: json!({
                    "price_fen": { "from": before, "to": price.0 },
                    "reviewers": { "from": before_reviewers, "to": reviewers },
                }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(staff = %who.name, business = business.key(), cert_type = cert_type.name(), price_fen = price.0, reviewers, "product updated");
        Ok(())
    }

    /// Makes a configured material required or optional for new applications.
    pub async fn set_material_required(
        &self,
        who: &StaffMember,
        business: &str,
        cert_type: &str,
        kind: &str,
        required: bool,
    ) -> Result<(), RaError> {
        who.require(Perm::EditProducts)?;
        let (business, cert_type) = product_of(business, cert_type)?;
        if !self
            .catalog
            .materials_for(business, cert_type)
            .iter()
            .any(|m| m.kind == kind)
        {
            return Err(RaError::Invalid(Msg::new("该业务没有这项材料")));
        }
        let now = self.now_ms();
        let mut tx = self.db.begin().await?;
        prices::set_material_rule(
            &mut tx,
            &MaterialRuleRow {
                business: business.key().into(),
                cert_type: cert_type.name().into(),
                kind: kind.into(),
                required: required.into(),
                updated_at: now,
                updated_by: who.actor(),
            },
        )
        .await?;
        audit::append(
            &mut tx,
            self.db.audit_key()?,
            now,
            &audit::Event {
                actor: &who.actor(),
                action: "product.material",
                object: &format!("{}/{}", business.key(), cert_type.name()),
                details: json!({ "kind": kind, "required": required }),
            },
        )
        .await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(())
    }
}
