//! Civil time from Unix time, without a time-zone database: UTC, and China
//! Standard Time (UTC+8, no daylight saving), which is all certhall shows.

/// (year, month, day, hour, minute, second) of a Unix time in seconds, UTC.
pub fn civil(unix_secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400) as u32;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, secs / 3600, secs / 60 % 60, secs % 60)
}

/// Days since the epoch of a civil date (inverse of `civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The same instant `years` calendar years later (29 February becomes 28
/// February in a common year).
pub fn add_years(unix_ms: i64, years: u32) -> i64 {
    let (y, mo, d, h, mi, s) = civil(unix_ms.div_euclid(1000));
    let ny = y + i64::from(years);
    let d = if mo == 2 && d == 29 && !crate::is_leap_year(ny) {
        28
    } else {
        d
    };
    let days = days_from_civil(ny, mo, d);
    (days * 86_400 + i64::from(h * 3600 + mi * 60 + s)) * 1000 + unix_ms.rem_euclid(1000)
}

const CST: i64 = 8 * 3600;

/// `2026-11-24 13:12` in China Standard Time, for pages and messages.
pub fn beijing_minutes(unix_ms: i64) -> String {
    let (y, mo, d, h, mi, _) = civil(unix_ms.div_euclid(1000) + CST);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}")
}

/// `2026-11-24 13:12:48` in China Standard Time (Alipay's timestamp format).
pub fn beijing_seconds(unix_ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(unix_ms.div_euclid(1000) + CST);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// `2026-11-24T13:12:48+08:00` (WeChat Pay's time format).
pub fn rfc3339_beijing(unix_ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(unix_ms.div_euclid(1000) + CST);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+08:00")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_time() {
        // 2026-11-24T05:12:48Z
        assert_eq!(beijing_seconds(1_795_497_168_000), "2026-11-24 13:12:48");
        assert_eq!(
            rfc3339_beijing(1_795_497_168_000),
            "2026-11-24T13:12:48+08:00"
        );
        assert_eq!(days_from_civil(2026, 11, 24), 1_795_497_168 / 86_400);
    }
}
