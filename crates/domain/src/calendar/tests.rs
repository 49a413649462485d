//! Tests of the calendar queries, on the shipped `catalog/calendar.toml` (Appendix A of
//! product.md) and on weekends-only years.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, Weekday};
use proptest::prelude::*;

use super::WorkingCalendar;

/// A date written `YYYY-MM-DD`.
pub(super) fn d(s: &str) -> NaiveDate {
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(date) => date,
        Err(e) => panic!("bad test date {s}: {e}"),
    }
}

/// The shipped calendar: `catalog/calendar.toml` in the nearest ancestor of the crate that has it.
pub(super) fn shipped() -> &'static WorkingCalendar {
    static SHIPPED: OnceLock<WorkingCalendar> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        let Some(path) = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|dir| dir.join("catalog/calendar.toml"))
            .find(|path| path.is_file())
        else {
            panic!(
                "catalog/calendar.toml not found above {}",
                env!("CARGO_MANIFEST_DIR")
            );
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        match WorkingCalendar::from_toml("catalog/calendar.toml", &text) {
            Ok(cal) => cal,
            Err(e) => panic!("{e}"),
        }
    })
}

fn years(list: &[i32]) -> BTreeSet<i32> {
    list.iter().copied().collect()
}

/// product.md Appendix A, transcribed on its own: (year, days off, make-up working days), each
/// entry `MM-DD` or `MM-DD..MM-DD`.
const APPENDIX_A: &[(i32, &[&str], &[&str])] = &[
    (
        2024,
        &[
            "01-01",
            "02-10..02-17",
            "04-04..04-06",
            "05-01..05-05",
            "06-10",
            "09-15..09-17",
            "10-01..10-07",
        ],
        &[
            "02-04", "02-18", "04-07", "04-28", "05-11", "09-14", "09-29", "10-12",
        ],
    ),
    (
        2025,
        &[
            "01-01",
            "01-28..02-04",
            "04-04..04-06",
            "05-01..05-05",
            "05-31..06-02",
            "10-01..10-08",
        ],
        &["01-26", "02-08", "04-27", "09-28", "10-11"],
    ),
    (
        2026,
        &[
            "01-01..01-03",
            "02-15..02-23",
            "04-04..04-06",
            "05-01..05-05",
            "06-19..06-21",
            "09-25..09-27",
            "10-01..10-07",
        ],
        &["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"],
    ),
];

fn appendix_dates(year: i32, entries: &[&str]) -> BTreeSet<NaiveDate> {
    let mut dates = BTreeSet::new();
    for entry in entries {
        let (a, b) = entry.split_once("..").unwrap_or((entry, entry));
        let (first, last) = (d(&format!("{year}-{a}")), d(&format!("{year}-{b}")));
        dates.extend(first.iter_days().take_while(|day| *day <= last));
    }
    dates
}

#[test]
fn every_day_of_the_appendix_years_follows_appendix_a() {
    let cal = shipped();
    for &(year, off, make_up) in APPENDIX_A {
        let off = appendix_dates(year, off);
        let make_up = appendix_dates(year, make_up);
        for day in d(&format!("{year}-01-01"))
            .iter_days()
            .take_while(|x| x.year() == year)
        {
            let weekday = !matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            let expected = !off.contains(&day) && (make_up.contains(&day) || weekday);
            assert_eq!(
                cal.is_working_day(day),
                expected,
                "{day} ({})",
                day.weekday()
            );
        }
        for day in &make_up {
            assert!(
                !off.contains(day),
                "{day} both off and make-up in the transcription"
            );
            assert!(
                cal.is_working_day(*day),
                "make-up day {day} must be working"
            );
        }
        for day in &off {
            assert!(
                !cal.is_working_day(*day),
                "day off {day} must not be working"
            );
        }
    }
    assert_eq!(cal.years().collect::<Vec<_>>(), vec![2024, 2025, 2026]);
}

#[test]
fn named_days_of_appendix_a() {
    let cal = shipped();
    let cases = [
        ("2024-02-04", true, "Sunday, Spring Festival make-up day"),
        (
            "2024-02-09",
            true,
            "Friday, 除夕 only encouraged off, not a day off",
        ),
        ("2024-10-12", true, "Saturday, National Day make-up day"),
        ("2025-01-28", false, "Tuesday, Spring Festival eve"),
        (
            "2025-10-08",
            false,
            "Wednesday, the eighth day of National Day",
        ),
        ("2025-10-09", true, "Thursday after National Day"),
        ("2026-01-04", true, "Sunday, New Year make-up day"),
        ("2026-02-14", true, "Saturday, Spring Festival make-up day"),
        ("2026-02-16", false, "Monday, Spring Festival"),
        ("2026-02-23", false, "Monday, last day of Spring Festival"),
        ("2026-02-24", true, "Tuesday after Spring Festival"),
        ("2026-09-25", false, "Friday, Mid-Autumn Festival"),
        ("2026-10-08", true, "Thursday after National Day"),
        ("2026-10-10", true, "Saturday, National Day make-up day"),
        ("2026-10-11", false, "plain Sunday"),
    ];
    for (date, working, why) in cases {
        assert_eq!(cal.is_working_day(d(date)), working, "{date}: {why}");
    }
}

#[test]
fn working_days_per_year() {
    let cal = shipped();
    // 2024: 251 and 2025: 248, as published when the notices came out; 2026 counted by hand.
    for (year, expected) in [(2024, 251), (2025, 248), (2026, 248)] {
        let span = cal.working_days_between(
            d(&format!("{}-12-31", year - 1)),
            d(&format!("{year}-12-31")),
        );
        assert_eq!(span.value, expected, "{year}");
        assert!(span.is_exact(), "{year}");
    }
}

#[test]
fn add_working_days_over_holidays() {
    let cal = shipped();
    let cases = [
        // National Day 2026: Sep 25–27 off, Sep 28–30 working.
        ("2026-09-24", 3, "2026-09-30"),
        ("2026-09-24", 1, "2026-09-28"),
        // ... Oct 1–7 off, Oct 8–9 working, Oct 10 (Saturday) make-up, Oct 11 Sunday.
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 3, "2026-10-10"),
        ("2026-09-30", 4, "2026-10-12"),
        // Sep 20 (Sunday) is a make-up day.
        ("2026-09-18", 1, "2026-09-20"),
        ("2026-09-18", 10, "2026-10-09"),
        // Spring Festival 2026: Feb 14 (Saturday) make-up, Feb 15–23 off.
        ("2026-02-12", 1, "2026-02-13"),
        ("2026-02-12", 2, "2026-02-14"),
        ("2026-02-12", 3, "2026-02-24"),
        ("2026-02-14", 1, "2026-02-24"),
        ("2026-02-15", 1, "2026-02-24"),
        // Feb 28 (Saturday) make-up.
        ("2026-02-26", 2, "2026-02-28"),
        // Across New Year 2025 → 2026: Jan 1–3 off, Jan 4 (Sunday) make-up.
        ("2025-12-31", 1, "2026-01-04"),
        ("2025-12-30", 2, "2026-01-04"),
        // n = 0 is the day itself, even a day off.
        ("2026-10-03", 0, "2026-10-03"),
        // A whole year: 248 working days of 2026 after 2025-12-31.
        ("2025-12-31", 248, "2026-12-31"),
    ];
    for (from, n, expected) in cases {
        let got = cal.add_working_days(d(from), n);
        assert_eq!(got.value, d(expected), "{from} + {n}");
        assert!(got.is_exact(), "{from} + {n}");
    }
}

#[test]
fn working_days_between_examples() {
    let cal = shipped();
    let cases = [
        ("2026-09-24", "2026-10-09", 5),
        ("2026-09-24", "2026-09-27", 0),
        ("2026-09-24", "2026-09-24", 0),
        ("2026-10-09", "2026-09-24", 0),
        ("2026-02-13", "2026-02-24", 2),
        ("2024-12-31", "2025-01-02", 1),
        ("2023-12-31", "2026-12-31", 251 + 248 + 248),
    ];
    for (after, up_to, expected) in cases {
        let got = cal.working_days_between(d(after), d(up_to));
        assert_eq!(got.value, expected, "({after}, {up_to}]");
        assert!(got.is_exact(), "({after}, {up_to}]");
    }
}

#[test]
fn a_year_without_data_is_flagged() {
    let cal = shipped();
    assert!(!cal.has_year(2027));

    // 2026-12-31 is a Thursday; 2027-01-01 a Friday, counted weekends-only.
    let into_2027 = cal.add_working_days(d("2026-12-30"), 2);
    assert_eq!(into_2027.value, d("2027-01-01"));
    assert_eq!(into_2027.years_without_data, years(&[2027]));

    let within_2026 = cal.add_working_days(d("2026-12-01"), 20);
    assert_eq!(within_2026.value, d("2026-12-29"));
    assert!(within_2026.years_without_data.is_empty());

    // Ending on Dec 31 does not consult the next year; starting on it does not consult its own.
    assert!(cal.add_working_days(d("2026-12-30"), 1).is_exact());
    assert_eq!(
        cal.working_days_between(d("2023-12-31"), d("2024-01-02"))
            .years_without_data,
        years(&[])
    );
    assert_eq!(
        cal.working_days_between(d("2023-12-30"), d("2027-01-04"))
            .years_without_data,
        years(&[2023, 2027])
    );

    // is_working_day answers weekends-only there.
    assert!(cal.is_working_day(d("2027-01-01")));
    assert!(!cal.is_working_day(d("2027-01-02")));
}

#[test]
fn weekends_only_calendar_flags_every_year() {
    let cal = WorkingCalendar::weekends_only();
    assert_eq!(cal.years().count(), 0);
    // 2026-02-16 is a Monday: working without data.
    assert!(cal.is_working_day(d("2026-02-16")));
    let got = cal.add_working_days(d("2026-12-25"), 10);
    assert_eq!(got.value, d("2027-01-08"));
    assert_eq!(got.years_without_data, years(&[2026, 2027]));
    let got = cal.working_days_between(d("2026-12-25"), d("2027-01-08"));
    assert_eq!(
        (got.value, got.years_without_data),
        (10, years(&[2026, 2027]))
    );
    // 2000 (leap, starts on Saturday) and 2100 (not leap, starts on Friday).
    assert_eq!(
        cal.working_days_between(d("1999-12-31"), d("2000-12-31"))
            .value,
        260
    );
    assert_eq!(
        cal.working_days_between(d("2099-12-31"), d("2100-12-31"))
            .value,
        261
    );
}

#[test]
fn add_working_days_saturates_at_the_end_of_time() {
    let cal = WorkingCalendar::weekends_only();
    let late = NaiveDate::from_ymd_opt(262_000, 1, 1).unwrap_or(NaiveDate::MIN);
    assert_eq!(cal.add_working_days(late, u32::MAX).value, NaiveDate::MAX);
    assert!(cal.add_working_days(late, 1).value < NaiveDate::MAX);
}

/// A naive day-by-day reference, to check the precomputed tables against.
fn naive_add(cal: &WorkingCalendar, from: NaiveDate, n: u32) -> NaiveDate {
    let mut day = from;
    let mut left = n;
    while left > 0 {
        day = day.succ_opt().unwrap_or(NaiveDate::MAX);
        if cal.is_working_day(day) {
            left -= 1;
        }
    }
    day
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    // 2023-12-01 .. 2027-12-31, so that spans start in and run into years without data.
    (0i64..(365 * 4 + 31)).prop_map(|offset| d("2023-12-01") + chrono::Duration::days(offset))
}

proptest! {
    #[test]
    fn between_inverts_add(a in any_date(), n in 0u32..=400) {
        let cal = shipped();
        let b = cal.add_working_days(a, n);
        let count = cal.working_days_between(a, b.value);
        prop_assert_eq!(count.value, n);
        prop_assert_eq!(count.years_without_data, b.years_without_data);
    }

    #[test]
    fn add_matches_a_day_by_day_walk(a in any_date(), n in 0u32..=400) {
        let cal = shipped();
        prop_assert_eq!(cal.add_working_days(a, n).value, naive_add(cal, a, n));
    }

    #[test]
    fn add_is_monotonic_and_lands_on_working_days(a in any_date(), n in 1u32..=400) {
        let cal = shipped();
        let later = cal.add_working_days(a, n).value;
        let earlier = cal.add_working_days(a, n - 1).value;
        prop_assert!(earlier < later);
        prop_assert!(later > a);
        prop_assert!(cal.is_working_day(later));
    }

    #[test]
    fn between_is_additive(x in any_date(), y in any_date(), z in any_date()) {
        let cal = shipped();
        let mut abc = [x, y, z];
        abc.sort();
        let [a, b, c] = abc;
        let (ab, bc, ac) =
            (cal.working_days_between(a, b), cal.working_days_between(b, c), cal.working_days_between(a, c));
        prop_assert_eq!(ab.value + bc.value, ac.value);
        let mut flagged = ab.years_without_data;
        flagged.extend(bc.years_without_data);
        prop_assert_eq!(flagged, ac.years_without_data);
    }

    #[test]
    fn between_matches_a_day_by_day_count(a in any_date(), b in any_date()) {
        let cal = shipped();
        let expected = a.iter_days().skip(1).take_while(|x| *x <= b).filter(|x| cal.is_working_day(*x)).count();
        prop_assert_eq!(cal.working_days_between(a, b).value as usize, expected);
    }
}
