//! When 在线延期 is offered, and how long the renewed certificate lasts
//! (product.md, 在线延期): from `before_days` before a certificate's end to
//! `after_days` after it, both ends included; a certificate not yet expired is
//! renewed from its old end date (the holder loses no paid time), an expired
//! one from the moment the new certificate is issued.

use crate::Msg;
use crate::calendar::{add_years, beijing_minutes};

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalWindow {
    /// Days before the end of validity from which renewal is offered.
    pub before_days: u32,
    /// Days after the end of validity until which renewal is still offered.
    pub after_days: u32,
}

impl Default for RenewalWindow {
    fn default() -> Self {
        RenewalWindow {
            before_days: 90,
            after_days: 365,
        }
    }
}

impl RenewalWindow {
    /// When the window opens and closes for a certificate ending at
    /// `not_after_ms`.
    pub fn bounds(&self, not_after_ms: i64) -> (i64, i64) {
        (
            not_after_ms - i64::from(self.before_days) * DAY_MS,
            not_after_ms + i64::from(self.after_days) * DAY_MS,
        )
    }

    /// Whether a certificate ending at `not_after_ms` may be renewed at
    /// `now_ms`; if not, why, in words for the holder.
    pub fn check(&self, not_after_ms: i64, now_ms: i64) -> Result<(), Msg> {
        let (opens, closes) = self.bounds(not_after_ms);
        if now_ms < opens {
            return Err(Msg::new(
                "证书有效期至 {end}，在线延期自到期前 {days} 天（{opens}）起可办理",
            )
            .arg("end", beijing_minutes(not_after_ms))
            .arg("days", self.before_days)
            .arg("opens", beijing_minutes(opens)));
        }
        if now_ms > closes {
            return Err(Msg::new(
                "证书已于 {end} 到期，超过 {days} 天，无法在线延期，请办理在线新办",
            )
            .arg("end", beijing_minutes(not_after_ms))
            .arg("days", self.after_days));
        }
        Ok(())
    }
}

/// The end of validity of a certificate renewed at `now_ms` for `years`.
pub fn renewed_not_after(old_not_after_ms: i64, now_ms: i64, years: u32) -> i64 {
    add_years(old_not_after_ms.max(now_ms), years)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2027-06-30 08:00 UTC.
    const END: i64 = 1_814_342_400_000;

    #[test]
    fn the_window_opens_on_day_90_before_and_closes_a_year_after() {
        let w = RenewalWindow::default();
        let day = |n: i64| END + n * DAY_MS;
        let early = w.check(END, day(-91)).unwrap_err();
        assert_eq!(
            early.to_string(),
            "证书有效期至 2027-06-30 16:00，在线延期自到期前 90 天（2027-04-01 16:00）起可办理"
        );
        assert!(w.check(END, day(-91) + 1).is_err());
        assert!(w.check(END, day(-90)).is_ok());
        assert!(w.check(END, day(-90) - 1).is_err());
        assert!(w.check(END, END).is_ok());
        assert!(w.check(END, day(365)).is_ok());
        let late = w.check(END, day(366)).unwrap_err();
        assert_eq!(
            late.to_string(),
            "证书已于 2027-06-30 16:00 到期，超过 365 天，无法在线延期，请办理在线新办"
        );
        assert!(w.check(END, day(365) + 1).is_err());
    }

    #[test]
    fn the_window_follows_its_settings() {
        let w = RenewalWindow {
            before_days: 30,
            after_days: 0,
        };
        assert!(w.check(END, END - 31 * DAY_MS).is_err());
        assert!(w.check(END, END - 30 * DAY_MS).is_ok());
        assert!(w.check(END, END).is_ok());
        assert!(w.check(END, END + 1).is_err());
    }

    #[test]
    fn a_live_certificate_keeps_its_remaining_time_an_expired_one_starts_now() {
        // Renewed 10 days early for one year: the new end is a year after the old.
        assert_eq!(
            renewed_not_after(END, END - 10 * DAY_MS, 1),
            add_years(END, 1)
        );
        // Renewed 10 days late for two years: two years from now.
        let now = END + 10 * DAY_MS;
        assert_eq!(renewed_not_after(END, now, 2), add_years(now, 2));
    }

    #[test]
    fn years_are_calendar_years() {
        // 2028-02-29 12:00 UTC + 1 year is 2029-02-28 12:00.
        let leap = 1_835_438_400_000;
        assert_eq!(add_years(leap, 1), 1_866_974_400_000);
        assert_eq!(add_years(leap, 4), 1_961_668_800_000);
    }
}
