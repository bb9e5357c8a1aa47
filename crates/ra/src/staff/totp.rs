//! TOTP (RFC 6238) over HOTP (RFC 4226) with HMAC-SHA1, 30-second steps and six
//! digits: what every authenticator app (Google Authenticator, 微信小程序
//! 腾讯身份验证器, FreeOTP) computes from an `otpauth://` URI.

use aws_lc_rs::hmac;

pub const STEP_SECONDS: i64 = 30;
/// Codes one step either side of now are accepted (phone clocks drift).
const WINDOW: i64 = 1;

/// The HOTP value of `counter`, six digits.
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = hmac::sign(&key, &counter.to_be_bytes());
    let h = mac.as_ref();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    bin % 1_000_000
}

/// The time step of a unix time in milliseconds.
pub fn step_of(now_ms: i64) -> i64 {
    now_ms.div_euclid(1000 * STEP_SECONDS)
}

/// The step at which `code` is valid around `now_ms`, if any. The caller must
/// still refuse a step it has accepted before (a replayed code).
pub fn verify(secret: &[u8], code: &str, now_ms: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let now = step_of(now_ms);
    (now - WINDOW..=now + WINDOW)
        .filter(|s| *s >= 0)
        .find(|s| constant_time_eq(hotp(secret, *s as u64), wanted))
}

fn constant_time_eq(a: u32, b: u32) -> bool {
    (a ^ b) == 0
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Reads base32 (case and spaces ignored, padding allowed).
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = ALPHABET
            .iter()
            .position(|a| *a as char == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The URI an authenticator app reads from the set-up QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| -> String { form_urlencoded_component(s) };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn form_urlencoded_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    /// RFC 4226 appendix D.
    #[test]
    fn hotp_known_answers() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, want) in expected.into_iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, counter as u64), want, "counter {counter}");
        }
    }

    /// RFC 6238 appendix B (SHA-1), last six of the eight digits.
    #[test]
    fn totp_known_answers() {
        for (t, want) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            let step = verify(RFC_SECRET, want, t * 1000).expect("valid now");
            assert_eq!(format!("{:06}", hotp(RFC_SECRET, step as u64)), want);
            assert_eq!(step, t / 30, "at {t}");
        }
    }

    #[test]
    fn codes_outside_the_window_or_malformed_fail() {
        let now = 1_234_567_890_000;
        let code = format!("{:06}", hotp(RFC_SECRET, (step_of(now) + 3) as u64));
        assert_eq!(verify(RFC_SECRET, &code, now), None);
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(verify(RFC_SECRET, bad, now), None, "{bad}");
        }
        let previous = format!("{:06}", hotp(RFC_SECRET, (step_of(now) - 1) as u64));
        assert_eq!(verify(RFC_SECRET, &previous, now), Some(step_of(now) - 1));
    }

    /// RFC 4648 section 10.
    #[test]
    fn base32_known_answers() {
        for (plain, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(plain.as_bytes()), enc);
            assert_eq!(from_base32(enc).unwrap(), plain.as_bytes());
            assert_eq!(from_base32(&enc.to_lowercase()).unwrap(), plain.as_bytes());
        }
        assert_eq!(from_base32("MZXW6YQ="), Some(b"foob".to_vec()));
        assert_eq!(from_base32("MZ1"), None);
    }

    #[test]
    fn otpauth_uri_is_encoded() {
        assert_eq!(
            otpauth_uri("安徽CA", "li.si", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/%E5%AE%89%E5%BE%BDCA:li.si?secret=JBSWY3DPEHPK3PXP&issuer=%E5%AE%89%E5%BE%BDCA&algorithm=SHA1&digits=6&period=30"
        );
    }
}
