//! The authority: the CA engine joined to the store. It creates the hierarchy,
//! issues (recording before it signs), revokes, publishes CRLs and answers OCSP,
//! and writes every operation to the audit log in the same transaction.
//!
//! One `Authority` per process; several processes (server instances, the CLI) may
//! share a database. Anything that must hold across them is enforced by the
//! database (unique serials, request ids, row locks), and each process watches the
//! database for revocations the others made (`watch`).

mod batch;
mod crl;
mod init;
mod issue;
mod issued;
mod keys;
pub mod kmc;
mod ocsp;
mod pair;
mod recovery;
mod revoke;
mod secrets;
mod service;
mod watch;

use pki::PkiError;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use der::{Decode, Encode};
use domain::Clock;
use store::Db;
use x509_cert::Certificate;

pub use self::crl::PublishedCrl;
pub use self::init::InitReport;
pub use self::issue::IssueRequest;
pub use self::issued::{EncryptionIssued, Issued};
pub use self::keys::KeyStore;
pub use self::ocsp::{OcspAnswer, OcspCache};
pub use self::pair::encryption_request_id;
pub use self::secrets::{Secrets, open_secrets};
pub use self::watch::spawn_watcher;
use crate::ocsp::IssuerHashes;
use crate::profile::{CaNaming, PkiUrls};
use crate::signer::{self, Signer};
use crate::{CaError, KeyAlgorithm, asn1time};

/// Policy and timing of the CA, from configuration.
#[derive(Debug, Clone)]
pub struct CaSettings {
    pub naming: CaNaming,
    /// Base URL written into AIA and CDP (`http://127.0.0.1:8080` by default).
    pub public_url: String,
    /// Longest certificate lifetime a request may ask for.
    pub max_years: u32,
    /// Whether an SM2 subject key may be certified by a P-256 or RSA CA.
    pub allow_sm2_keys_under_non_sm2_ca: bool,
    /// How long an OCSP answer stays valid (its nextUpdate).
    pub ocsp_validity: Duration,
    /// How long a signed OCSP answer is served from cache before it is re-signed.
    pub ocsp_cache_ttl: Duration,
    /// How many signed OCSP answers to keep in memory.
    pub ocsp_cache_entries: usize,
    /// How long the delegated OCSP signer's certificate lives.
    pub ocsp_signer_days: u32,
    /// A CRL's nextUpdate after its thisUpdate.
    pub crl_validity: Duration,
    /// A new CRL is published when the current one is this old, even without
    /// revocations.
    pub crl_refresh: Duration,
}

impl CaSettings {
    pub fn urls(&self) -> PkiUrls {
        PkiUrls::from_public_url(&self.public_url)
    }
}

/// The issuing CA, loaded.
pub(crate) struct Issuer {
    pub id: String,
    pub algorithm: KeyAlgorithm,
    pub signer: Arc<dyn Signer>,
    pub cert_der: Vec<u8>,
    pub name_der: Vec<u8>,
    pub key_id: [u8; 20],
    pub hashes: IssuerHashes,
    pub not_after_ms: i64,
}

/// The delegated OCSP responder, loaded.
pub struct OcspSigner {
    pub id: String,
    pub signer: Arc<dyn Signer>,
    pub cert_der: Vec<u8>,
    pub key_id: [u8; 20],
    pub not_after_ms: i64,
}

impl Authority {
    /// The CA's key store, for secrets sealed under its passphrase.
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }
}

pub struct Authority {
    db: Db,
    clock: Arc<dyn Clock>,
    settings: CaSettings,
    keys: KeyStore,
    issuer: Issuer,
    root_der: Vec<u8>,
    chain_pem: String,
    ocsp_signer: RwLock<Arc<OcspSigner>>,
    ocsp_cache: OcspCache,
    crl: RwLock<Option<Arc<PublishedCrl>>>,
    /// The highest revocation sequence number this process has acted on.
    revocation_seen: AtomicI64,
    /// Woken when a revocation should be followed by a new CRL.
    crl_wanted: tokio::sync::Notify,
    /// Group commit of concurrent issuance.
    batcher: batch::Batcher,
    /// The KMC of an SM2 CA that issues dual certificates (`pair`).
    kmc: RwLock<Option<Arc<kmc::KmcLink>>>,
    /// Woken when a revoked pair's key should be revoked at the KMC too.
    kmc_wanted: tokio::sync::Notify,
}

impl Authority {
    /// Loads the hierarchy from the database. Fails with `NotInitialised` if there
    /// is none; `init` creates one.
    pub async fn load(
        db: Db,
        keys: KeyStore,
        settings: CaSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, CaError> {
        let mut conn = db.conn().await?;
        let issuing = store::ca_keys::latest(&mut conn, init::ROLE_ISSUING)
            .await?
            .ok_or(CaError::NotInitialised)?;
        let root_id = issuing
            .issuer_id
            .clone()
            .ok_or_else(|| PkiError::KeyAccess("the issuing CA has no root recorded".into()))?;
        let root = store::ca_keys::by_id(&mut conn, &root_id).await?;
        let ocsp_row = store::ca_keys::latest(&mut conn, init::ROLE_OCSP).await?;
        let seen = store::counters::current(&mut conn, store::counters::REVOCATION_SEQ).await?;
        drop(conn);

        let keys_for_load = keys.clone();
        let issuing_for_load = issuing.clone();
        let ocsp_for_load = ocsp_row.clone();
        // Opening sealed keys runs Argon2: keep it off the async threads.
        let (issuer_signer, ocsp_signer) = tokio::task::spawn_blocking(move || {
            let issuer = keys_for_load.load(&issuing_for_load)?;
            let ocsp = match &ocsp_for_load {
                Some(row) => Some(keys_for_load.load(row)?),
                None => None,
            };
            Ok::<_, CaError>((issuer, ocsp))
        })
        .await
        .map_err(|_| PkiError::Signing)??;

        let issuer = Issuer::from_row(&issuing, issuer_signer)?;
        let batcher = batch::Batcher::spawn(
            db.clone(),
            issuer.signer.clone(),
            issuer.algorithm.signature_algorithm_der(),
            clock.clone(),
        );
        let chain_pem = [
            pem("CERTIFICATE", &issuing.cert_der),
            pem("CERTIFICATE", &root.cert_der),
        ]
        .concat();
        let authority = Arc::new(Authority {
            ocsp_signer: RwLock::new(Arc::new(match (ocsp_row, ocsp_signer) {
                (Some(row), Some(signer)) => OcspSigner::from_row(&row, signer)?,
                _ => return Err(PkiError::KeyAccess("no OCSP signing key recorded".into()).into()),
            })),
            ocsp_cache: OcspCache::new(settings.ocsp_cache_entries),
            db,
            clock,
            keys,
            issuer,
            root_der: root.cert_der,
            chain_pem,
            settings,
            crl: RwLock::new(None),
            revocation_seen: AtomicI64::new(seen),
            crl_wanted: tokio::sync::Notify::new(),
            batcher,
            kmc: RwLock::new(None),
            kmc_wanted: tokio::sync::Notify::new(),
        });
        authority.ensure_ocsp_signer().await?;
        Ok(authority)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn settings(&self) -> &CaSettings {
        &self.settings
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        self.issuer.algorithm
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    pub fn issuing_der(&self) -> &[u8] {
        &self.issuer.cert_der
    }

    /// Issuing CA then root, PEM.
    pub fn chain_pem(&self) -> &str {
        &self.chain_pem
    }

    pub fn issuer_id(&self) -> &str {
        &self.issuer.id
    }

    pub fn ocsp_signer(&self) -> Arc<OcspSigner> {
        self.ocsp_signer
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Issuer {
    fn from_row(row: &store::ca_keys::CaKeyRow, signer: Arc<dyn Signer>) -> Result<Self, CaError> {
        let cert = Certificate::from_der(&row.cert_der)?;
        let tbs = cert.tbs_certificate();
        let spki = tbs.subject_public_key_info();
        if spki.to_der()? != signer.spki_der() {
            return Err(PkiError::KeyAccess(
                "the issuing CA key does not match its certificate".into(),
            )
            .into());
        }
        let name_der = tbs.subject().to_der()?;
        let hashes = IssuerHashes::new(&name_der, spki.subject_public_key.raw_bytes());
        Ok(Issuer {
            id: row.id.clone(),
            algorithm: row.algorithm.parse()?,
            key_id: signer::key_identifier(spki),
            signer,
            cert_der: row.cert_der.clone(),
            name_der,
            hashes,
            not_after_ms: asn1time::to_unix_ms(&tbs.validity().not_after),
        })
    }
}

impl OcspSigner {
    fn from_row(row: &store::ca_keys::CaKeyRow, signer: Arc<dyn Signer>) -> Result<Self, CaError> {
        let spki = signer::spki_of(signer.as_ref())?;
        Ok(OcspSigner {
            id: row.id.clone(),
            key_id: signer::key_identifier(&spki),
            signer,
            cert_der: row.cert_der.clone(),
            not_after_ms: row.not_after,
        })
    }
}

/// PEM armour, 64 columns.
pub fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // Base64 is ASCII: each byte is its character.
        out.extend(chunk.iter().map(|&b| char::from(b)));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
