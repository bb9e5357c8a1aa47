//! The holder's USB key, whichever interface drives it: PKCS#11 (a module
//! such as SoftHSM2's, or a card reader's) or SKF (GM/T 0016, the vendor
//! library of a Chinese USB key). The flows (`change`, `pickup`, `seal`,
//! `revoke`) see one [`Token`] and the keys every configured driver offers
//! ([`Drivers`]); what differs is below it.
//!
//! - `types`: the key kinds, keys, certificates and key listings both share;
//! - `pkcs11`: the PKCS#11 side (cryptoki);
//! - `skf`: the SKF side (the `skf` crate, each library on its own thread);
//! - `drivers`: the configured modules and libraries, and the keys in them;
//! - `either`: one key, over either.

mod drivers;
mod either;
mod pkcs11;
mod skf;
mod types;

pub use drivers::Drivers;
pub use either::Token;
pub use pkcs11::{SEAL_APPLICATION, SOFTHSM_MODULE, default_module, seal_label};
pub use types::{Interface, KeyKind, KeyRef, KeySlot, TokenCert, TokenInfo};
