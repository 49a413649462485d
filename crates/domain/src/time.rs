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
