//! The KMC's own SM2 signing key, made by the KMC on first start and kept
//! sealed under its master key, and the certificate its CA issued for it
//! (GM/T 0014: each side signs with its own certificate). Until the CA has
//! certified the key the KMC answers nothing.

use std::sync::{Arc, OnceLock};

use der::Decode;
use pki::KeyAlgorithm;
use pki::signer::{Signer, SoftwareKey};
use store::Db;
use x509_cert::Certificate;

use crate::KmcError;
use crate::master::Master;

const KEY: &str = "signing-key";
/// Not secret; kept next to the key it certifies.
const CERTIFICATE: &str = "signing-certificate";

/// The KMC's key and, once issued, its certificate.
pub struct Identity {
    pub signer: Arc<dyn Signer>,
    certificate: OnceLock<Vec<u8>>,
}

impl Identity {
    /// Loads the signing key (making it on first start) and its certificate
    /// if one was installed.
    pub async fn open(db: &Db, master: &Master, now: i64) -> Result<Identity, KmcError> {
        let sealed = store::kmc::sealed_secret(&mut *db.conn().await?, KEY).await?;
        let signer: Arc<dyn Signer> = match sealed {
            Some(sealed) => load(master, &sealed)?,
            None => {
                let (key, pkcs8) = SoftwareKey::generate(KeyAlgorithm::Sm2)?;
                let sealed = master.seal_identity(&pkcs8)?;
                let mut conn = db.conn().await?;
                if store::kmc::insert_secret(&mut conn, KEY, &sealed, now).await? {
                    tracing::info!("made the KMC's signing key");
                    Arc::new(key)
                } else {
                    let sealed = store::kmc::sealed_secret(&mut conn, KEY)
                        .await?
                        .ok_or(store::StoreError::NotFound)?;
                    load(master, &sealed)?
                }
            }
        };
        let identity = Identity {
            signer,
            certificate: OnceLock::new(),
        };
        if let Some(cert) = store::kmc::sealed_secret(&mut *db.conn().await?, CERTIFICATE).await? {
            identity.check(&cert)?;
            let _ = identity.certificate.set(cert);
        }
        Ok(identity)
    }

    /// The certificate, once the CA issued it.
    pub fn certificate(&self) -> Option<&[u8]> {
        self.certificate.get().map(Vec::as_slice)
    }

    /// Keeps the certificate the CA issued for the signing key.
    pub async fn install(&self, db: &Db, cert_der: &[u8], now: i64) -> Result<(), KmcError> {
        self.check(cert_der)?;
        let mut conn = db.conn().await?;
        if !store::kmc::insert_secret(&mut conn, CERTIFICATE, cert_der, now).await? {
            let kept = store::kmc::sealed_secret(&mut conn, CERTIFICATE)
                .await?
                .ok_or(store::StoreError::NotFound)?;
            self.check(&kept)?;
            let _ = self.certificate.set(kept);
            return Ok(());
        }
        let _ = self.certificate.set(cert_der.to_vec());
        Ok(())
    }

    fn check(&self, cert_der: &[u8]) -> Result<(), KmcError> {
        use der::Encode;
        let cert = Certificate::from_der(cert_der)?;
        let spki = cert.tbs_certificate().subject_public_key_info().to_der()?;
        let ours = pki::verify::sm2_point_of_spki(self.signer.spki_der())?;
        if pki::verify::sm2_point_of_spki(&spki)? != ours {
            return Err(KmcError::WrongCertificate);
        }
        Ok(())
    }
}

fn load(master: &Master, sealed: &[u8]) -> Result<Arc<dyn Signer>, KmcError> {
    let pkcs8 = master.open_identity(sealed)?;
    Ok(Arc::new(SoftwareKey::from_pkcs8(
        KeyAlgorithm::Sm2,
        &pkcs8,
    )?))
}
