//! certhall's registration authority (RA): everything between a person and the CA.
//!
//! Holders sign in with a mobile number and an SMS code (`signin`); the desktop
//! assistant proves possession of a certificate's key and hands the holder over to
//! the portal (`handoff`); applications move along the state machine of
//! `domain::AppState`, each move recorded with actor, time and reason
//! (`pipeline`); each business of 自助服务 has its module (`business`); materials are checked by content and kept in the blob store
//! (`materials`, `blobs`); the price list decides between the free and the paid
//! flow (`catalog`).
//!
//! The web layer calls this crate with parsed values; this crate calls the store
//! and, after approval, the CA.

pub mod assistant;
pub mod audit_trail;
pub mod auto_review;
pub mod blobs;
pub mod business;
pub mod catalog;
pub mod certificates;
pub mod earlier_keys;
pub mod enveloped_key;
mod error;
pub mod handoff;
pub mod housekeeping;
pub mod issuance;
pub mod mail;
pub mod materials;
pub mod payments;
pub mod pipeline;
pub mod products;
pub mod proof;
pub mod public;
pub mod random;
pub mod ratelimit;
pub mod recovery;
pub mod review;
pub mod shipping;
pub mod signin;
pub mod sms;
pub mod staff;

use std::sync::Arc;
use std::time::Duration;

use ca::Authority;
use domain::Clock;
pub use domain::Msg;
use store::Db;

pub use error::{FieldErrors, KMC_UNAVAILABLE, RaError, UNAVAILABLE};

/// Timings and limits, from configuration.
#[derive(Debug, Clone)]
pub struct RaSettings {
    /// Base URL of the portal (hand-off links point here).
    pub public_url: String,
    /// Shown as the SMS signature, 【…】.
    pub sms_signature: String,
    pub sms_code_ttl: Duration,
    pub sms_max_failures: i64,
    /// At most one code per number in this interval…
    pub sms_per_number_interval: Duration,
    /// …and this many per number per hour…
    pub sms_per_number_hourly: i64,
    /// …and this many per client address per hour.
    pub sms_per_client_hourly: i64,
    /// Sign-in attempts (code checks) per client address per hour.
    pub signin_per_client_hourly: i64,
    pub handoff_ttl: Duration,
    /// Largest upload, in bytes.
    pub upload_limit: usize,
    /// What one holder may keep uploaded, and how fast.
    pub upload_quota: UploadQuota,
    /// 找回密码 waits for a reviewer after the SMS check.
    pub unlock_review: bool,
    /// When 在线延期 is offered.
    pub renewal: domain::renewal::RenewalWindow,
    /// 在线延期 under a CA issuing dual certificates: a new encryption key
    /// pair (true) or the old one certified again (false). `[kmc]
    /// renewal_new_encryption_key`.
    pub renewal_new_encryption_key: bool,
}

impl Default for RaSettings {
    fn default() -> Self {
        RaSettings {
            public_url: "http://127.0.0.1:8080".into(),
            sms_signature: "certhall".into(),
            sms_code_ttl: Duration::from_secs(300),
            sms_max_failures: 5,
            sms_per_number_interval: Duration::from_secs(60),
            sms_per_number_hourly: 5,
            sms_per_client_hourly: 20,
            signin_per_client_hourly: 60,
            handoff_ttl: Duration::from_secs(300),
            upload_limit: 10 * 1024 * 1024,
            upload_quota: UploadQuota::default(),
            unlock_review: false,
            renewal_new_encryption_key: true,
            renewal: domain::renewal::RenewalWindow::default(),
        }
    }
}

/// Bounds on what one holder's unfinished applications hold, so a new mobile
/// number cannot fill the blob store.
#[derive(Debug, Clone, Copy)]
pub struct UploadQuota {
    pub bytes: i64,
    pub files: i64,
    /// Uploads per holder per hour.
    pub per_hour: i64,
}

impl Default for UploadQuota {
    fn default() -> Self {
        UploadQuota {
            bytes: 100 * 1024 * 1024,
            files: 40,
            per_hour: 60,
        }
    }
}

/// What the RA is made of, wired once at start-up (`certhall`'s set-up).
pub struct RaParts {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub settings: RaSettings,
    pub sms: Arc<dyn sms::SmsSender>,
    pub blobs: blobs::BlobStore,
    pub catalog: catalog::Catalog,
    pub authority: Arc<Authority>,
    pub pay: payments::Payments,
    /// Keys derived from the installation key (hand-off challenges).
    pub secrets: ca::authority::Secrets,
}

/// The RA service: one per process, shared by handlers. Its parts are its
/// own: the web layer reaches the CA and the database through its methods.
pub struct Ra {
    pub(crate) db: Db,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: RaSettings,
    pub(crate) sms: Arc<dyn sms::SmsSender>,
    pub(crate) blobs: blobs::BlobStore,
    pub(crate) catalog: catalog::Catalog,
    pub(crate) authority: Arc<Authority>,
    pub(crate) pay: payments::Payments,
    pub(crate) secrets: ca::authority::Secrets,
}

impl Ra {
    pub fn new(parts: RaParts) -> Ra {
        let RaParts {
            db,
            clock,
            settings,
            sms,
            blobs,
            catalog,
            authority,
            pay,
            secrets,
        } = parts;
        Ra {
            db,
            clock,
            settings,
            sms,
            blobs,
            catalog,
            authority,
            pay,
            secrets,
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Timings and limits (the upload limit a page states, …).
    pub fn settings(&self) -> &RaSettings {
        &self.settings
    }

    /// The products and materials on offer.
    pub fn catalog(&self) -> &catalog::Catalog {
        &self.catalog
    }

    /// How holders pay (which gateways and bank account are offered).
    pub fn payments(&self) -> &payments::Payments {
        &self.pay
    }

    /// The database, for the web layer's own tables (sessions) and start-up
    /// seeding; everything else goes through the RA's methods.
    pub fn db(&self) -> &Db {
        &self.db
    }
}

pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
