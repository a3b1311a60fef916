//! Instants and the member's calendar. Time is always passed in (`now`); this module only
//! converts an instant into the calendar periods that spending limits count in.
//!
//! Time zones come from the IANA database bundled into the binary (jiff's `tzdb-bundle-always`),
//! so the same instant gives the same period on every machine: no I/O, no host tz files.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The instant `ms` milliseconds later, saturating at the far future.
    #[must_use]
    pub fn plus_ms(self, ms: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(i64::try_from(ms).unwrap_or(i64::MAX)))
    }

    /// The instant `ms` milliseconds earlier, saturating at the far past.
    #[must_use]
    pub fn minus_ms(self, ms: u64) -> Timestamp {
        Timestamp(self.0.saturating_sub(i64::try_from(ms).unwrap_or(i64::MAX)))
    }
}

impl Timestamp {
    /// The same instant `months` calendar months later in UTC (the 31st becomes the month's
    /// last day when the later month is shorter), saturating at the calendar's end.
    #[must_use]
    pub fn plus_months(self, months: u32) -> Timestamp {
        let clamped = self.0.clamp(
            jiff::Timestamp::MIN.as_millisecond(),
            jiff::Timestamp::MAX.as_millisecond(),
        );
        let Ok(start) = jiff::Timestamp::from_millisecond(clamped) else {
            return Timestamp(i64::MAX);
        };
        let Ok(span) = jiff::Span::new().try_months(i64::from(months)) else {
            return Timestamp(i64::MAX);
        };
        start
            .to_zoned(jiff::tz::TimeZone::UTC)
            .checked_add(span)
            .map_or(Timestamp(i64::MAX), |later| {
                Timestamp(later.timestamp().as_millisecond())
            })
    }
}

/// Milliseconds in an hour and a day, for entitlement terms.
pub const HOUR_MS: u64 = 3_600_000;
/// Milliseconds in a day (a UTC day: "valid for N days" counts 24-hour periods).
pub const DAY_MS: u64 = 86_400_000;

/// A validated IANA time zone: the member's calendar for day, week and month limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberZone {
    name: String,
    zone: jiff::tz::TimeZone,
}

impl MemberZone {
    /// Looks the name up in the bundled IANA database.
    ///
    /// # Errors
    /// `UnknownTimeZone` when the name is not in the database.
    pub fn new(name: &str) -> Result<MemberZone, UnknownTimeZone> {
        let zone = jiff::tz::db().get(name).map_err(|_| UnknownTimeZone)?;
        Ok(MemberZone {
            name: name.to_owned(),
            zone,
        })
    }

    /// UTC, the default when a member gives none.
    #[must_use]
    pub fn utc() -> MemberZone {
        MemberZone {
            name: "UTC".to_owned(),
            zone: jiff::tz::TimeZone::UTC,
        }
    }

    /// The IANA name, as stored.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The instants `[start, end)` of the calendar day `date` in this zone: 23 or 25 hours
    /// across a daylight-saving change. `None` for a day `jiff` cannot place (year 9999's
    /// last day, or before year -9999).
    #[must_use]
    pub fn day_bounds(&self, date: jiff::civil::Date) -> Option<(Timestamp, Timestamp)> {
        let start = date.to_zoned(self.zone.clone()).ok()?;
        let end = date.tomorrow().ok()?.to_zoned(self.zone.clone()).ok()?;
        Some((
            Timestamp(start.timestamp().as_millisecond()),
            Timestamp(end.timestamp().as_millisecond()),
        ))
    }

    /// The local time of day of `at` in this zone, as `HH:MM`.
    #[must_use]
    pub fn clock_time(&self, at: Timestamp) -> String {
        let instant =
            jiff::Timestamp::from_millisecond(at.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let time = instant.to_zoned(self.zone.clone()).time();
        format!("{:02}:{:02}", time.hour(), time.minute())
    }

    /// The local date and time of `at` in this zone, to the minute, as `YYYY-MM-DD HH:MM`.
    #[must_use]
    pub fn local_minute(&self, at: Timestamp) -> String {
        let instant =
            jiff::Timestamp::from_millisecond(at.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let local = instant.to_zoned(self.zone.clone());
        format!(
            "{} {:02}:{:02}",
            local.date(),
            local.time().hour(),
            local.time().minute()
        )
    }

    /// The calendar day, ISO week and month that contain `now` in this zone.
    #[must_use]
    pub fn periods(&self, now: Timestamp) -> Periods {
        let instant =
            jiff::Timestamp::from_millisecond(now.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let date = instant.to_zoned(self.zone.clone()).date();
        let iso = date.iso_week_date();
        Periods {
            day: Period(date_key(i32::from(date.year()), date.month(), date.day())),
            week: Period(date_key(i32::from(iso.year()), iso.week(), 0)),
            month: Period(date_key(i32::from(date.year()), date.month(), 0)),
        }
    }
}

fn date_key(year: i32, month_or_week: i8, day: i8) -> i32 {
    // Years are within -9999..=9999 in jiff, so this never overflows; saturate anyway.
    year.saturating_mul(10_000)
        .saturating_add(i32::from(month_or_week).saturating_mul(100))
        .saturating_add(i32::from(day))
}

/// The time zone name is not in the IANA database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown IANA time zone")]
pub struct UnknownTimeZone;

/// One calendar period, encoded so that equal periods compare equal (yyyymmdd, yyyyww00, yyyymm00).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Period(pub i32);

/// The periods containing one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Periods {
    /// Calendar day in the member's zone.
    pub day: Period,
    /// ISO week (Monday to Sunday) in the member's zone.
    pub week: Period,
    /// Calendar month in the member's zone.
    pub month: Period,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_spans_the_zone_s_midnights_daylight_saving_included() {
        let tokyo = MemberZone::new("Asia/Tokyo").unwrap();
        let (start, end) = tokyo.day_bounds(jiff::civil::date(2026, 11, 30)).unwrap();
        // 2026-11-30T00:00+09:00 is 2026-11-29T15:00Z.
        assert_eq!(start, Timestamp(1_795_964_400_000));
        assert_eq!(end.0 - start.0, 24 * 3_600_000);
        assert_eq!(tokyo.clock_time(start), "00:00");
        assert_eq!(tokyo.clock_time(end.minus_ms(60_000)), "23:59");
        assert_eq!(tokyo.local_minute(start), "2026-11-30 00:00");
        let new_york = MemberZone::new("America/New_York").unwrap();
        let (start, end) = new_york.day_bounds(jiff::civil::date(2026, 3, 8)).unwrap();
        assert_eq!(end.0 - start.0, 23 * 3_600_000, "spring forward");
        let (start, end) = new_york.day_bounds(jiff::civil::date(2026, 11, 1)).unwrap();
        assert_eq!(end.0 - start.0, 25 * 3_600_000, "fall back");
        assert!(
            new_york
                .day_bounds(jiff::civil::date(9999, 12, 31))
                .is_none()
        );
    }

    fn at(text: &str) -> Timestamp {
        Timestamp(text.parse::<jiff::Timestamp>().unwrap().as_millisecond())
    }

    #[test]
    fn day_boundary_follows_the_member_zone() {
        let tokyo = MemberZone::new("Asia/Tokyo").unwrap();
        // 14:59 UTC is 23:59 in Tokyo; 15:00 UTC is midnight of the next day there.
        let before = tokyo.periods(at("2026-03-10T14:59:59Z"));
        let after = tokyo.periods(at("2026-03-10T15:00:00Z"));
        assert_eq!(before.day, Period(20_260_310));
        assert_eq!(after.day, Period(20_260_311));
        let utc = MemberZone::utc();
        assert_eq!(
            utc.periods(at("2026-03-10T15:00:00Z")).day,
            Period(20_260_310)
        );
    }

    #[test]
    fn iso_week_and_month() {
        let utc = MemberZone::utc();
        // 2027-01-01 is a Friday in ISO week 53 of 2026.
        let new_year = utc.periods(at("2027-01-01T12:00:00Z"));
        assert_eq!(new_year.week, Period(20_265_300));
        assert_eq!(new_year.month, Period(20_270_100));
        let monday = utc.periods(at("2027-01-04T00:00:00Z"));
        assert_eq!(monday.week, Period(20_270_100));
    }

    #[test]
    fn unknown_zone_is_refused() {
        assert_eq!(MemberZone::new("Mars/Olympus_Mons"), Err(UnknownTimeZone));
        assert!(MemberZone::new("America/Sao_Paulo").is_ok());
    }
}
