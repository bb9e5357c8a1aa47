//! Times as DER: UTCTime before 2050 and GeneralizedTime from 2050 on (RFC 5280
//! §4.1.2.5), and GeneralizedTime always where OCSP demands it. Written by hand
//! because CRLs carry one per entry and a million allocations add up.

use der::Decode;
use x509_cert::time::Time;

use crate::derw;

pub use domain::calendar::civil;

fn push_two(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10 % 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// GeneralizedTime TLV (`YYYYMMDDHHMMSSZ`).
pub fn generalized(out: &mut Vec<u8>, unix_ms: i64) {
    let (y, mo, d, h, mi, s) = civil(unix_ms.div_euclid(1000));
    out.push(derw::GENERALIZED_TIME);
    out.push(15);
    let y = y.clamp(0, 9999) as u32;
    push_two(out, y / 100);
    push_two(out, y % 100);
    for v in [mo, d, h, mi, s] {
        push_two(out, v);
    }
    out.push(b'Z');
}

/// RFC 5280 Time TLV: UTCTime for 1950–2049, GeneralizedTime otherwise.
pub fn rfc5280(out: &mut Vec<u8>, unix_ms: i64) {
    let (y, mo, d, h, mi, s) = civil(unix_ms.div_euclid(1000));
    if (1950..2050).contains(&y) {
        out.push(derw::UTC_TIME);
        out.push(13);
        push_two(out, (y % 100) as u32);
        for v in [mo, d, h, mi, s] {
            push_two(out, v);
        }
        out.push(b'Z');
    } else {
        generalized(out, unix_ms);
    }
}

/// The same as an x509-cert `Time`, for building structures with derive.
/// Fails for a time x509-cert cannot hold (before 1970, after 9999).
pub fn x509_time(unix_ms: i64) -> Result<Time, der::Error> {
    let mut buf = Vec::with_capacity(17);
    rfc5280(&mut buf, unix_ms);
    Time::from_der(&buf)
}

/// Milliseconds since the epoch of a parsed time.
pub fn to_unix_ms(t: &Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_millis()).unwrap_or(i64::MAX)
}

/// `2026-11-24T05:12:48Z`, for APIs.
pub fn rfc3339(unix_ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(unix_ms.div_euclid(1000));
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

pub use domain::calendar::beijing_minutes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_known_instants() {
        let mut out = Vec::new();
        rfc5280(&mut out, 0);
        assert_eq!(&out[2..], b"700101000000Z");
        out.clear();
        // 2026-11-24T05:12:48Z
        rfc5280(&mut out, 1_795_497_168_000);
        assert_eq!(&out[2..], b"261124051248Z");
        out.clear();
        // 2050-01-01T00:00:00Z switches to GeneralizedTime.
        rfc5280(&mut out, 2_524_608_000_000);
        assert_eq!(out[0], derw::GENERALIZED_TIME);
        assert_eq!(&out[2..], b"20500101000000Z");
        out.clear();
        generalized(&mut out, 951_782_400_000); // 2000-02-29, a leap day
        assert_eq!(&out[2..], b"20000229000000Z");
    }

    #[test]
    fn formats_for_people_and_apis() {
        assert_eq!(rfc3339(1_795_497_168_000), "2026-11-24T05:12:48Z");
        assert_eq!(beijing_minutes(1_795_497_168_000), "2026-11-24 13:12");
    }

    #[test]
    fn round_trips_through_x509_cert() {
        let t = x509_time(1_795_497_168_000).unwrap();
        assert_eq!(to_unix_ms(&t), 1_795_497_168_000);
    }
}

pub use domain::calendar::add_years;

#[cfg(test)]
mod calendar_tests {
    use super::*;

    #[test]
    fn adds_calendar_years() {
        // 2026-11-24T05:12:48Z + 1 year = 2027-11-24T05:12:48Z
        assert_eq!(add_years(1_795_497_168_000, 1), 1_827_033_168_000);
        // 2024-02-29 + 1 year = 2025-02-28
        assert_eq!(add_years(1_709_164_800_000, 1), 1_740_700_800_000);
    }
}
