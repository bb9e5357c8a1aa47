//! Certificates for the CA's own services: its KMC signs its GM/T 0014
//! answers with a key this CA certifies (`certify_kmc`). Issued like a
//! holder's (recorded before signed, audited), under a request id of the key,
//! so asking again for the same key returns the same certificate.

use der::{Decode, Encode};
use pki::PkiError;
use sha2::{Digest, Sha256};
use spki::SubjectPublicKeyInfoOwned;
use store::certificates::{self, NewCertificate};
use x509_cert::name::Name;

use super::Authority;
use super::init::random_serial;
use crate::cert::TbsTemplate;
use crate::{CaError, asn1time, oids, profile, signer};

/// How long a KMC certificate lasts: renewed by certifying again.
const KMC_YEARS: u32 = 5;

impl Authority {
    /// Certifies the KMC's SM2 signing key (`spki_der`); returns the
    /// certificate. Asking again for the same key returns the same one.
    pub async fn certify_kmc(&self, spki_der: &[u8], actor: &str) -> Result<Vec<u8>, CaError> {
        let spki = SubjectPublicKeyInfoOwned::from_der(spki_der)?;
        if crate::verify::classify(&spki)? != crate::verify::PublicKeyKind::Sm2 {
            return Err(PkiError::KeyPolicy("the KMC's key must be SM2".into()).into());
        }
        let spki_hash = hex::encode(Sha256::digest(spki.to_der()?));
        let request_id = format!("kmc:{spki_hash}");
        let mut conn = self.db.conn().await?;
        if let Some(existing) = certificates::by_request_id(&mut conn, &request_id).await? {
            drop(conn);
            if let Some(der) = existing.cert_der {
                return Ok(der);
            }
            let issued = self
                .sign_and_store(&existing.serial, existing.tbs_der, actor, &existing.profile)
                .await?;
            return Ok(issued.cert_der);
        }
        let naming = &self.settings.naming;
        let common_name = format!("{} KMC", naming.common_name);
        let now = self.clock.now_ms();
        let not_after = asn1time::add_years(now, KMC_YEARS).min(self.issuer.not_after_ms);
        let serial = random_serial()?;
        let tbs_der = TbsTemplate {
            serial: serial.clone(),
            signature_algorithm: self.issuer.algorithm.signature_algorithm(),
            issuer: Name::from_der(&self.issuer.name_der)?,
            not_before_ms: now - 5 * 60_000,
            not_after_ms: not_after,
            subject: crate::cert::name(&[
                (oids::AT_COUNTRY, "CN"),
                (oids::AT_ORGANIZATION, naming.organization.as_str()),
                (oids::AT_COMMON_NAME, common_name.as_str()),
            ])?,
            spki: spki.clone(),
            extensions: profile::service_extensions(
                &signer::key_identifier(&spki),
                &self.issuer.key_id,
            )?,
        }
        .encode()?;
        let row = NewCertificate {
            serial: serial.to_hex(),
            request_id,
            issuer_id: self.issuer.id.clone(),
            profile: "kmc".into(),
            common_name,
            organization: Some(naming.organization.clone()),
            credit_code: None,
            id_number_masked: None,
            key_algorithm: "sm2".into(),
            spki_sha256: spki_hash,
            not_before: now - 5 * 60_000,
            not_after,
            tbs_der: tbs_der.clone(),
            created_at: now,
        };
        match certificates::insert_pending(&mut conn, &row).await {
            Ok(()) => {}
            Err(store::StoreError::Duplicate(_)) => {
                drop(conn);
                return Box::pin(self.certify_kmc(spki_der, actor)).await;
            }
            Err(e) => return Err(e.into()),
        }
        drop(conn);
        let issued = self
            .sign_and_store(&row.serial, tbs_der, actor, "kmc")
            .await?;
        Ok(issued.cert_der)
    }
}
