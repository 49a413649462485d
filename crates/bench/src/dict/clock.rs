//! Time in the simulation: the platform's clock says what the driver set, so every instant on
//! the timelines follows from the seed; a case's steps follow each other at office hours on
//! working days, each instant with the nanoseconds a system clock gives.

use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};
use domain::calendar::WorkingCalendar;
use rand::RngExt as _;
use rand::rngs::StdRng;

/// The platform's clock: the instant the driver set last.
#[derive(Debug, Default)]
pub struct SimClock {
    now: Mutex<DateTime<Utc>>,
}

impl SimClock {
    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut now) = self.now.lock() {
            *now = at;
        }
    }
}

impl service::Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        self.now.lock().map(|n| *n).unwrap_or_default()
    }
}

/// Asia/Shanghai is UTC+8 all year.
const SHANGHAI: i64 = 8;

/// An instant on `date` in Asia/Shanghai between `from` and `to` o'clock, with random seconds
/// and nanoseconds.
pub fn local_instant(rng: &mut StdRng, date: NaiveDate, from: u32, to: u32) -> DateTime<Utc> {
    let seconds = rng.random_range(from * 3600..to * 3600);
    let nanos = rng.random_range(0..1_000_000_000u32);
    let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds, nanos).unwrap_or_default();
    Utc.from_utc_datetime(&date.and_time(time)) - Duration::hours(SHANGHAI)
}

/// The date in Asia/Shanghai of an instant.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(SHANGHAI)).date_naive()
}

/// When a case's steps happen.
#[derive(Debug)]
pub struct Pace<'a> {
    calendar: &'a WorkingCalendar,
    /// The instant of the last step.
    pub at: DateTime<Utc>,
}

impl<'a> Pace<'a> {
    pub fn new(calendar: &'a WorkingCalendar, at: DateTime<Utc>) -> Self {
        Self { calendar, at }
    }

    /// A step `days` working days after the last (0: later the same day), in office hours.
    pub fn working_days(&mut self, rng: &mut StdRng, days: u32) -> DateTime<Utc> {
        let today = local_date(self.at);
        let date = if days == 0 && self.calendar.is_working_day(today) {
            today
        } else {
            self.calendar.add_working_days(today, days.max(1)).value
        };
        let next = local_instant(rng, date, 9, 17);
        self.at = if next > self.at {
            next
        } else {
            // Later the same day: a few minutes to two hours after the last step.
            let nanos = rng.random_range(120_000_000_000..7_200_000_000_000i64);
            self.at + Duration::nanoseconds(nanos)
        };
        self.at
    }

    /// A step between `lo` and `hi` microseconds after the last (the benchmark's pace).
    pub fn micros(&mut self, rng: &mut StdRng, lo: i64, hi: i64) -> DateTime<Utc> {
        let nanos = rng.random_range(lo * 1000..hi * 1000);
        self.at += Duration::nanoseconds(nanos);
        self.at
    }
}
