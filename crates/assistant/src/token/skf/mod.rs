//! A key over SKF (GM/T 0016-2012 / GB/T 35291-2017), the interface of the
//! USB keys Chinese holders carry, through the vendor's library loaded by
//! path (the `skf` crate's bindings).
//!
//! How the assistant's view of a key maps onto SKF:
//!
//! - a key is a device with an application (the one named `CERTHALL`, else
//!   the first listed); a device with none is blank, and initialising it
//!   creates `CERTHALL` after the standard's device authentication with the
//!   vendors' default key;
//! - the user PIN is the application's user PIN; the administrator PIN plays
//!   the SO PIN's part (escrowed with the CA, it unblocks for 找回密码);
//! - a key pair and its certificate are a container, named by the hex of
//!   the id a PKCS#11 key would give as CKA_ID (`key_id_for`); a container
//!   with a signing key and no certificate yet is a key made for an
//!   application and not yet in use; SKF has no labels, so relabelling is
//!   nothing to do;
//! - the e-seal of a certificate is a file of the application named after
//!   the container and the image's digest.
//!
//! - `driver`: the library's own thread, which every call goes through;
//! - `token`: one key, what the flows ask of it;
//! - `seal`: the seal files;
//! - `pair`: the encryption key pair and certificate of 双证书;
//! - `errors`: the library's answers in the holder's words, the code logged.

mod driver;
mod errors;
mod names;
mod pair;
mod seal;
mod token;

pub use driver::SkfDriver;
pub use token::SkfToken;
