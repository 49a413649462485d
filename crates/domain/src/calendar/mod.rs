//! The working-day calendar (工作日历) and SLA clocks (承诺时限).
//!
//! Dates are Asia/Shanghai calendar dates. A day is a working day unless it is a listed day off
//! (放假); a listed make-up day (调休上班) is a working day; any other Monday–Friday is working.
//! Years come from `catalog/calendar.toml` ([`WorkingCalendar::from_toml`]). A year without data
//! is counted weekends-only and every answer that consulted it says so ([`Reckoned`]): it is
//! flagged, never silently wrong.
//!
//! Every query is precomputed per year (a running count of working days), so counting is O(1)
//! per year spanned and finding the n-th working day is a binary search within the last year.

mod data;
mod deadline;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, NaiveDate};

pub use data::CalendarDataError;
pub use deadline::{ClockError, DeadlineState, DeadlineStatus, Pause, SlaClock};

/// An answer computed on the calendar, with the years it consulted that have no data.
///
/// Days of a year listed in `years_without_data` were counted weekends-only; show the answer
/// with a warning and ask an administrator to add the year.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reckoned<T> {
    pub value: T,
    pub years_without_data: BTreeSet<i32>,
}

impl<T> Reckoned<T> {
    /// An answer that consulted only years with data.
    pub fn exact(value: T) -> Self {
        Self {
            value,
            years_without_data: BTreeSet::new(),
        }
    }

    /// True when every year consulted has data.
    pub fn is_exact(&self) -> bool {
        self.years_without_data.is_empty()
    }

    /// The same provenance for a derived value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reckoned<U> {
        Reckoned {
            value: f(self.value),
            years_without_data: self.years_without_data,
        }
    }

    /// Takes the value of `other`, adding its years without data to `self`'s (an answer derived
    /// from several others is as incomplete as all of them together).
    fn absorb<U>(&mut self, other: Reckoned<U>) -> U {
        self.years_without_data.extend(other.years_without_data);
        other.value
    }
}

/// The working-day calendar: the years with data, and weekends-only for every other year.
#[derive(Clone)]
pub struct WorkingCalendar {
    years: BTreeMap<i32, YearData>,
    /// Weekends-only tables for years without data, by [`template_index`].
    weekends_only: Box<[YearTable; 14]>,
}

#[derive(Clone)]
struct YearData {
    source: String,
    table: YearTable,
}

/// One year's working days as a running count: `cum[i]` is the number of working days among the
/// first `i` days of the year (ordinal0 < i), so day `i` is working when `cum[i + 1] > cum[i]`.
#[derive(Clone)]
struct YearTable {
    len: usize,
    cum: [u16; 367],
}

impl YearTable {
    fn from_fn(len: usize, mut is_working: impl FnMut(usize) -> bool) -> Self {
        let mut cum = [0u16; 367];
        for i in 0..len {
            cum[i + 1] = cum[i] + u16::from(is_working(i));
        }
        for i in len + 1..cum.len() {
            cum[i] = cum[len];
        }
        Self { len, cum }
    }

    /// A year counted weekends-only; `jan1_weekday` counts from Monday = 0.
    fn weekends_only(jan1_weekday: usize, len: usize) -> Self {
        Self::from_fn(len, |i| (jan1_weekday + i) % 7 < 5)
    }

    fn is_working(&self, ordinal0: usize) -> bool {
        self.cum[ordinal0 + 1] > self.cum[ordinal0]
    }

    fn total(&self) -> u32 {
        u32::from(self.cum[self.len])
    }
}

/// Number of days in a (proleptic Gregorian) year.
fn year_len(year: i32) -> usize {
    if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
        366
    } else {
        365
    }
}

/// Weekday of 1 January of `d`'s year, Monday = 0.
fn jan1_weekday(d: NaiveDate) -> usize {
    // 7 * 53 > 365 keeps the subtraction non-negative.
    (d.weekday().num_days_from_monday() as usize + 7 * 53 - d.ordinal0() as usize) % 7
}

/// Which weekends-only table fits a year: one per (weekday of 1 January, leap year).
fn template_index(jan1_weekday: usize, len: usize) -> usize {
    jan1_weekday * 2 + usize::from(len == 366)
}

fn weekend_templates() -> Box<[YearTable; 14]> {
    Box::new(std::array::from_fn(|i| {
        YearTable::weekends_only(i / 2, if i % 2 == 1 { 366 } else { 365 })
    }))
}

/// A walk over the years from one date on, carrying the weekday of each 1 January.
struct YearCursor {
    year: i32,
    jan1_weekday: usize,
}

impl YearCursor {
    fn at(d: NaiveDate) -> Self {
        Self {
            year: d.year(),
            jan1_weekday: jan1_weekday(d),
        }
    }

    fn advance(&mut self) {
        self.jan1_weekday = (self.jan1_weekday + year_len(self.year)) % 7;
        self.year += 1;
    }
}

impl WorkingCalendar {
    /// A calendar with no data at all: every year is weekends-only and flagged. For tests.
    pub fn weekends_only() -> Self {
        Self {
            years: BTreeMap::new(),
            weekends_only: weekend_templates(),
        }
    }

    /// True when the calendar has data for `year`.
    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The years with data, ascending.
    pub fn years(&self) -> impl Iterator<Item = i32> {
        self.years.keys().copied()
    }

    /// The notice a year's data comes from, when the year has data.
    pub fn source(&self, year: i32) -> Option<&str> {
        self.years.get(&year).map(|y| y.source.as_str())
    }

    /// Whether `d` is a working day. In a year without data: Monday–Friday (see [`Self::has_year`]).
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        let cursor = YearCursor::at(d);
        self.table(&cursor).0.is_working(d.ordinal0() as usize)
    }

    /// The `n`-th working day strictly after `from`; `from` itself when `n` is 0.
    ///
    /// Saturates at [`NaiveDate::MAX`] (only reachable with `n` in the tens of millions).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> Reckoned<NaiveDate> {
        let mut answer = Reckoned::exact(from);
        if n == 0 {
            return answer;
        }
        let mut remaining = n;
        let mut cursor = YearCursor::at(from);
        // Index into `cum` of the first day not yet consulted.
        let mut start = from.ordinal0() as usize + 1;
        loop {
            let (table, has_data) = self.table(&cursor);
            if start < table.len {
                if !has_data {
                    answer.years_without_data.insert(cursor.year);
                }
                let before = table.cum[start];
                let available = table.total() - u32::from(before);
                if remaining <= available {
                    // Smallest j with cum[j] = before + remaining: day j - 1 is the one.
                    let target = u32::from(before) + remaining;
                    let j = table.cum[..=table.len].partition_point(|&c| u32::from(c) < target);
                    answer.value =
                        NaiveDate::from_yo_opt(cursor.year, j as u32).unwrap_or(NaiveDate::MAX);
                    return answer;
                }
                remaining -= available;
            }
            if cursor.year >= NaiveDate::MAX.year() {
                answer.value = NaiveDate::MAX;
                return answer;
            }
            cursor.advance();
            start = 0;
        }
    }

    /// The number of working days `d` with `after < d ≤ up_to`; 0 when `up_to ≤ after`.
    pub fn working_days_between(&self, after: NaiveDate, up_to: NaiveDate) -> Reckoned<u32> {
        let mut answer = Reckoned::exact(0);
        if up_to <= after {
            return answer;
        }
        let mut cursor = YearCursor::at(after);
        let mut start = after.ordinal0() as usize + 1;
        loop {
            let (table, has_data) = self.table(&cursor);
            let last = cursor.year == up_to.year();
            let end = if last {
                up_to.ordinal0() as usize + 1
            } else {
                table.len
            };
            if start < end {
                if !has_data {
                    answer.years_without_data.insert(cursor.year);
                }
                answer.value += u32::from(table.cum[end] - table.cum[start]);
            }
            if last {
                return answer;
            }
            cursor.advance();
            start = 0;
        }
    }

    /// The table of the cursor's year, and whether it comes from data.
    fn table(&self, cursor: &YearCursor) -> (&YearTable, bool) {
        match self.years.get(&cursor.year) {
            Some(data) => (&data.table, true),
            None => {
                let i = template_index(cursor.jan1_weekday, year_len(cursor.year));
                (&self.weekends_only[i], false)
            }
        }
    }
}

impl fmt::Debug for WorkingCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.years.iter().map(|(year, data)| (year, &data.source)))
            .finish()
    }
}

/// A date as staff read it: 2026年6月12日.
fn date_label(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

#[cfg(test)]
mod tests;
