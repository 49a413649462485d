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
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        DateTime::<Utc>::deserialize(deserializer)
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
    }
}
