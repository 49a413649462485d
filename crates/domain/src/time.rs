//! Dates are Asia/Shanghai dates. China has had no daylight saving time since 1991, so a fixed
//! +08:00 offset is exact.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

/// The UTC offset of Asia/Shanghai.
pub const SHANGHAI: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"),
};

/// The UTC offset of Asia/Shanghai.
pub fn shanghai() -> FixedOffset {
    SHANGHAI
}

/// The Asia/Shanghai calendar date of an instant.
pub fn shanghai_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&shanghai()).date_naive()
}

/// A month of the year, e.g. the month a benefit starts or stops.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct YearMonth {
    pub year: i32,
    pub month: u32,
}

impl YearMonth {
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
    pub fn label(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }
}

/// A date as people read it: 2026年6月12日.
pub fn date_label(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

/// Serde for an instant as RFC 3339 text in UTC (`2026-11-30T01:00:00.015387502Z`: 0, 3, 6 or 9
/// fractional digits, as needed) — the same text as chrono's own `Serialize`, written with one
/// string instead of one formatter call per character: the timeline serializes an instant for
/// every event of every commit. Reading is chrono's own.
pub mod instant_text {
    use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 30];
        match write(at, &mut buf).and_then(|n| std::str::from_utf8(&buf[..n]).ok()) {
            Some(text) => serializer.serialize_str(text),
            None => serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        }
    }

    /// Writes what chrono's `to_rfc3339_opts(AutoSi, true)` writes —
    /// `YYYY-MM-DDThh:mm:ss[.fff|.ffffff|.fffffffff]Z` — digit by digit into `out` (chrono goes
    /// through a formatter, a fifth of the timeline's serialization); `None` for what chrono writes
    /// differently: years outside 1000–9999 and leap seconds.
    fn write(at: &DateTime<Utc>, out: &mut [u8; 30]) -> Option<usize> {
        let n = at.naive_utc();
        let year = u32::try_from(n.year())
            .ok()
            .filter(|y| (1000..=9999).contains(y))?;
        let nanos = n.nanosecond();
        if nanos >= 1_000_000_000 {
            return None;
        }
        put(out, 0, year, 4);
        out[4] = b'-';
        put(out, 5, n.month(), 2);
        out[7] = b'-';
        put(out, 8, n.day(), 2);
        out[10] = b'T';
        put(out, 11, n.hour(), 2);
        out[13] = b':';
        put(out, 14, n.minute(), 2);
        out[16] = b':';
        put(out, 17, n.second(), 2);
        let (digits, fraction) = match nanos {
            0 => (0, 0),
            _ if nanos.is_multiple_of(1_000_000) => (3, nanos / 1_000_000),
            _ if nanos.is_multiple_of(1_000) => (6, nanos / 1_000),
            _ => (9, nanos),
        };
        let mut len = 19;
        if digits > 0 {
            out[19] = b'.';
            put(out, 20, fraction, digits);
            len = 20 + digits;
        }
        out[len] = b'Z';
        Some(len + 1)
    }

    /// `value` in `width` decimal digits, zero-padded, at `out[at..]`.
    pub(super) fn put(out: &mut [u8], at: usize, mut value: u32, width: usize) {
        for slot in out[at..at + width].iter_mut().rev() {
            *slot = b"0123456789"[(value % 10) as usize];
            value /= 10;
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        DateTime::<Utc>::deserialize(deserializer)
    }
}

/// Serde for a date as `YYYY-MM-DD` — the same text as chrono's own `Serialize`, which goes through
/// a formatter (about a thousand instructions a date; the timeline writes a date in most events).
/// Reading is chrono's own.
pub mod date_text {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = [0u8; 10];
        match digits(date, &mut out) {
            Some(text) => serializer.serialize_str(text),
            None => date.serialize(serializer),
        }
    }

    /// The same `YYYY-MM-DD` text as an owned string (chrono's formatting for years outside
    /// 1000–9999), for values bound to SQL.
    pub fn text(date: NaiveDate) -> String {
        let mut out = [0u8; 10];
        digits(&date, &mut out).map_or_else(|| date.to_string(), str::to_owned)
    }

    fn digits<'a>(date: &NaiveDate, out: &'a mut [u8; 10]) -> Option<&'a str> {
        let year = u32::try_from(date.year())
            .ok()
            .filter(|y| (1000..=9999).contains(y))?;
        super::instant_text::put(out, 0, year, 4);
        out[4] = b'-';
        super::instant_text::put(out, 5, date.month(), 2);
        out[7] = b'-';
        super::instant_text::put(out, 8, date.day(), 2);
        std::str::from_utf8(out).ok()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        NaiveDate::deserialize(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Text(#[serde(with = "super::instant_text")] DateTime<Utc>);

    fn instant(micros_or_nanos: i64, whole: u8) -> DateTime<Utc> {
        // Whole seconds, whole milliseconds, whole microseconds and any nanosecond.
        let nanos = match whole % 4 {
            0 => 0,
            1 => micros_or_nanos.rem_euclid(1_000) * 1_000_000,
            2 => micros_or_nanos.rem_euclid(1_000_000) * 1_000,
            _ => micros_or_nanos.rem_euclid(1_000_000_000),
        };
        let secs = micros_or_nanos.rem_euclid(4_102_444_800); // 1970 to 2100
        DateTime::from_timestamp(secs, u32::try_from(nanos).unwrap_or(0)).unwrap_or_default()
    }

    proptest! {
        #[test]
        fn instant_text_writes_what_chrono_writes_and_reads_it_back(n in any::<i64>(), whole in any::<u8>()) {
            let at = instant(n, whole);
            let ours = serde_json::to_string(&Text(at)).unwrap();
            prop_assert_eq!(&ours, &serde_json::to_string(&at).unwrap());
            let back: Text = serde_json::from_str(&ours).unwrap();
            prop_assert_eq!(back.0, at);
        }

        #[test]
        fn instant_text_matches_chrono_from_year_1_to_11000(
            secs in -62_135_596_800_i64..285_000_000_000,
            nanos in 0u32..1_000_000_000,
            whole in any::<u8>(),
        ) {
            let nanos = match whole % 4 { 0 => 0, 1 => nanos / 1_000_000 * 1_000_000, 2 => nanos / 1_000 * 1_000, _ => nanos };
            let at = DateTime::from_timestamp(secs, nanos).unwrap();
            prop_assert_eq!(serde_json::to_string(&Text(at)).unwrap(), serde_json::to_string(&at).unwrap());
        }
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Day(#[serde(with = "super::date_text")] chrono::NaiveDate);

    proptest! {
        #[test]
        fn date_text_writes_what_chrono_writes_and_reads_it_back(days in -800_000i64..4_000_000) {
            let date = chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap() + chrono::Duration::days(days);
            let ours = serde_json::to_string(&Day(date)).unwrap();
            prop_assert_eq!(&ours, &serde_json::to_string(&date).unwrap());
            let back: Day = serde_json::from_str(&ours).unwrap();
            prop_assert_eq!(back.0, date);
        }

        #[test]
        fn date_text_as_a_string_is_chronos_pattern(days in -800_000i64..4_000_000) {
            let date = chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap() + chrono::Duration::days(days);
            prop_assert_eq!(super::date_text::text(date), date.format("%Y-%m-%d").to_string());
        }
    }

    #[test]
    fn a_leap_second_is_written_as_chrono_writes_it() {
        let at = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .unwrap()
            .and_utc();
        assert_eq!(
            serde_json::to_string(&Text(at)).unwrap(),
            serde_json::to_string(&at).unwrap()
        );
    }
}
