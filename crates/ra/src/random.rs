//! Randomness for tokens and codes, from the operating system.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;

#[expect(
    clippy::expect_used,
    reason = "AWS-LC's RAND_bytes returns 1 or aborts the process; its error is never returned"
)]
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    SystemRandom::new()
        .fill(&mut b)
        .expect("the operating system's random generator works");
    b
}

/// 32 random bytes, base64url without padding: a token for a URL or a cookie.
pub fn token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes::<32>())
}

/// A uniformly random six-digit code ("000000"–"999999").
pub fn six_digits() -> String {
    // Rejection sampling: no bias towards small codes.
    loop {
        let v = u32::from_be_bytes(bytes::<4>());
        if v < 4_294_000_000 {
            return format!("{:06}", v % 1_000_000);
        }
    }
}

/// SHA-256 hex of a secret: what is stored instead of it.
pub fn hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret.as_bytes()))
}
