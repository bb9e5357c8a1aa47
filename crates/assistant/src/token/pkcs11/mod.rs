//! A key over PKCS#11 (cryptoki): tokens and their certificates, signing
//! inside the token, key pairs generated inside it (sensitive, never
//! extractable), certificates written and old objects removed.
//!
//! A certificate and its key pair share one CKA_ID; that is how the assistant
//! (and every other PKCS#11 application) pairs them. SoftHSM has no
//! CKM_ECDSA_SHA256, so EC signatures hash first and use CKM_ECDSA; the token
//! returns raw r‖s, which is wrapped as DER.
//!
//! - `module`: the loaded PKCS#11 module, its slots and tokens (listing,
//!   initialising a blank key, opening a session);
//! - `session`: the open session, the login and the PINs (change, reset);
//! - `certs`: certificate objects, read and written;
//! - `keys`: private keys found in the token, and signing with them;
//! - `keygen`: new key pairs and their public halves;
//! - `seal`: the e-seal image, a data object bound to a certificate;
//! - `objects`: every object under one CKA_ID, relabelled or removed;
//! - `attrs`, `ck`: the attributes read back, the return values as errors.

mod attrs;
mod certs;
mod ck;
mod keygen;
mod keys;
mod module;
mod objects;
mod seal;
mod session;

pub use module::{P11Module, SOFTHSM_MODULE, default_module};
pub use seal::{SEAL_APPLICATION, seal_label};
pub use session::P11Token;
