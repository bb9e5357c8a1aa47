//! certhall's key management centre (KMC, GM/T 0034-2014 §6).
//!
//! A licensed SM2 CA gives every holder two certificates: a signing one,
//! whose key the holder's USB key makes, and an encryption one, whose key
//! pair the KMC makes and escrows so that what was encrypted to the holder
//! can be recovered (GM/T 0034 §12.4 user recovery, §12.5 judicial
//! recovery). The KMC is a component of its own: its own process
//! (`certhall kmc serve`, or started inside `certhall serve` when no KMC URL
//! is configured), its own database (`Db::migrate_kmc`), its own master key
//! (`master`) and its own audit chain. The CA reaches it only over GM/T
//! 0014's signed DER messages (`pki::gmt0014`) on HTTP (`http`), and never
//! reads its tables.
//!
//! - `master`: the master key and the keys derived from it;
//! - `identity`: the KMC's SM2 signing key and the certificate its CA issued;
//! - `service`: one CA task (apply, restore, revoke), idempotent by task number;
//! - `http`: `POST /kmc/v1/tasks`, `GET /kmc/v1/health`.

mod error;
pub mod http;
mod identity;
pub mod master;
pub mod service;

use std::sync::Arc;

use der::Decode;
use store::Db;
use x509_cert::Certificate;

pub use error::KmcError;
pub use identity::Identity;
pub use master::{Master, Protection};
pub use service::{Answer, err};

/// A CA the KMC serves, by the certificate it signs its requests with.
#[derive(Debug, Clone)]
pub struct TrustedCa {
    pub cert: Certificate,
    /// The hex SM3 of its key: what its rows are kept under.
    pub id: String,
    /// Its subject's common name, for the audit log.
    pub name: String,
}

impl TrustedCa {
    pub fn from_der(cert_der: &[u8]) -> Result<Self, KmcError> {
        let cert = Certificate::from_der(cert_der)?;
        let name = cert.tbs_certificate().subject().to_string();
        Ok(TrustedCa {
            id: service::ca_id(&cert),
            name,
            cert,
        })
    }
}

/// The KMC: its database, master key, signing identity and the CAs it serves.
pub struct Kmc {
    db: Db,
    master: Master,
    identity: Identity,
    trusted: Vec<TrustedCa>,
}

impl std::fmt::Debug for Kmc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kmc")
            .field("trusted", &self.trusted.len())
            .finish_non_exhaustive()
    }
}

impl Kmc {
    /// Opens the KMC on its migrated database: the master key (made on first
    /// start), the signing key (likewise) and its certificate if installed.
    /// `trusted` are the DER certificates of the CAs it serves.
    pub async fn open(
        db: Db,
        protection: &Protection,
        trusted: &[Vec<u8>],
    ) -> Result<Arc<Kmc>, KmcError> {
        let now = now_ms();
        let master = Master::open(&db, protection, now).await?;
        let identity = Identity::open(&db, &master, now).await?;
        let trusted = trusted
            .iter()
            .map(|der| TrustedCa::from_der(der))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(Kmc {
            db,
            master,
            identity,
            trusted,
        }))
    }

    /// The KMC's signing public key (DER SubjectPublicKeyInfo), for its CA to
    /// certify.
    pub fn signing_spki(&self) -> &[u8] {
        self.identity.signer.spki_der()
    }

    /// The KMC's certificate, once installed.
    pub fn certificate(&self) -> Option<&[u8]> {
        self.identity.certificate()
    }

    /// Keeps the certificate the CA issued for the KMC's signing key.
    pub async fn install_certificate(&self, cert_der: &[u8]) -> Result<(), KmcError> {
        self.identity.install(&self.db, cert_der, now_ms()).await
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    fn now_ms(&self) -> i64 {
        now_ms()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
