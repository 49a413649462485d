//! Tests of the SLA clock on the shipped calendar (2026 holidays).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::super::tests::{d, shipped};
use super::{ClockError, DeadlineState, SlaClock};

fn clock(started_on: &str, limit: u32, pauses: &[(&str, Option<&str>)]) -> SlaClock {
    let mut c = SlaClock::new(d(started_on), limit);
    for (from, until) in pauses {
        if let Err(e) = c.pause(d(from)) {
            panic!("pause {from}: {e}");
        }
        if let Some(until) = until
            && let Err(e) = c.resume(d(until))
        {
            panic!("resume {until}: {e}");
        }
    }
    c
}

/// The product's 补正 story: the due date moves by exactly the paused working days.
#[test]
fn a_supplement_request_moves_the_due_date_by_the_paused_working_days() {
    let cal = shipped();
    let mut c = SlaClock::new(d("2026-09-18"), 10);
    // Sep 20 (Sunday, make-up), 21–24, 28–30, Oct 8, 9.
    let due_without_pause = c.due_date(cal, d("2026-09-18")).value;
    assert_eq!(due_without_pause, d("2026-10-09"));

    assert_eq!(c.pause(d("2026-09-24")), Ok(()));
    assert!(c.is_paused());
    assert_eq!(c.resume(d("2026-10-09")), Ok(()));
    assert!(!c.is_paused());

    // Working days in (09-24, 10-09]: Sep 28, 29, 30, Oct 8, 9.
    let paused = c.paused_working_days(cal, d("2026-10-09"));
    assert_eq!(paused.value, 5);
    assert!(paused.is_exact());

    let due_with_pause = c.due_date(cal, d("2026-10-09"));
    assert!(due_with_pause.is_exact());
    assert_eq!(
        due_with_pause.value,
        cal.add_working_days(due_without_pause, 5).value
    );
    // Oct 10 (Saturday, make-up), 12, 13, 14, 15.
    assert_eq!(due_with_pause.value, d("2026-10-15"));
    assert_eq!(
        due_with_pause.value,
        cal.add_working_days(d("2026-09-18"), 10 + 5).value
    );
}

#[test]
fn where_pauses_fall_relative_to_the_due_date() {
    let cal = shipped();
    // Started Friday 2026-05-29, limit 10: due Friday 2026-06-12.
    type Pauses<'a> = &'a [(&'a str, Option<&'a str>)];
    let cases: &[(&str, Pauses, &str, u32, &str)] = &[
        ("no pause", &[], "2026-06-30", 0, "2026-06-12"),
        (
            "paused and resumed the same day",
            &[("2026-06-03", Some("2026-06-03"))],
            "2026-06-30",
            0,
            "2026-06-12",
        ),
        (
            "paused the day before due",
            &[("2026-06-11", Some("2026-06-16"))],
            "2026-06-30",
            3,
            "2026-06-17",
        ),
        (
            "paused on the start day",
            &[("2026-05-29", Some("2026-06-01"))],
            "2026-06-30",
            1,
            "2026-06-15",
        ),
        (
            "two pauses",
            &[
                ("2026-06-02", Some("2026-06-04")),
                ("2026-06-08", Some("2026-06-09")),
            ],
            "2026-06-30",
            3,
            "2026-06-17",
        ),
        // Asked on the due day: the remaining zero days wait, due on the day of resumption.
        (
            "paused on the due day",
            &[("2026-06-12", Some("2026-06-16"))],
            "2026-06-30",
            2,
            "2026-06-16",
        ),
        // Asked when one working day overdue: the overdue count freezes at one while waiting
        // (Jun 19 is the Dragon Boat Festival), so the due date moves to Jun 29.
        (
            "paused when overdue",
            &[("2026-06-15", Some("2026-06-30"))],
            "2026-06-30",
            10,
            "2026-06-29",
        ),
        // An open pause counts up to today: Jun 4, 5.
        (
            "open pause, projected",
            &[("2026-06-03", None)],
            "2026-06-05",
            2,
            "2026-06-16",
        ),
        (
            "open pause, requested today",
            &[("2026-06-05", None)],
            "2026-06-05",
            0,
            "2026-06-12",
        ),
        // Jun 19–21 is the Dragon Boat Festival.
        (
            "open pause over a holiday",
            &[("2026-06-11", None)],
            "2026-06-22",
            6,
            "2026-06-23",
        ),
    ];
    for (what, pauses, today, paused, due) in cases {
        let c = clock("2026-05-29", 10, pauses);
        assert_eq!(
            c.paused_working_days(cal, d(today)).value,
            *paused,
            "{what}: paused days"
        );
        assert_eq!(c.due_date(cal, d(today)).value, d(due), "{what}: due date");
    }
}

#[test]
fn status_and_its_description() {
    let cal = shipped();
    let running = clock("2026-05-29", 10, &[]);
    // Paused since Jun 3: Jun 4, 5 paused by Jun 5; 18 working days by Jun 30.
    let paused = clock("2026-05-29", 10, &[("2026-06-03", None)]);
    type Case<'a> = (
        &'a SlaClock,
        &'a str,
        u32,
        DeadlineState,
        &'a str,
        u32,
        u32,
        &'a str,
    );
    let cases: &[Case] = &[
        (
            &running,
            "2026-06-05",
            2,
            DeadlineState::Normal,
            "2026-06-12",
            5,
            0,
            "剩余 5 个工作日（截至 2026年6月12日）",
        ),
        (
            &running,
            "2026-06-09",
            2,
            DeadlineState::Normal,
            "2026-06-12",
            3,
            0,
            "剩余 3 个工作日（截至 2026年6月12日）",
        ),
        (
            &running,
            "2026-06-10",
            2,
            DeadlineState::DueSoon,
            "2026-06-12",
            2,
            0,
            "剩余 2 个工作日（截至 2026年6月12日）",
        ),
        (
            &running,
            "2026-06-10",
            1,
            DeadlineState::Normal,
            "2026-06-12",
            2,
            0,
            "剩余 2 个工作日（截至 2026年6月12日）",
        ),
        (
            &running,
            "2026-06-12",
            2,
            DeadlineState::DueSoon,
            "2026-06-12",
            0,
            0,
            "今日到期（2026年6月12日）",
        ),
        (
            &running,
            "2026-06-12",
            0,
            DeadlineState::DueSoon,
            "2026-06-12",
            0,
            0,
            "今日到期（2026年6月12日）",
        ),
        (
            &running,
            "2026-06-13",
            2,
            DeadlineState::Overdue,
            "2026-06-12",
            0,
            0,
            "已超期（应于 2026年6月12日前办结）",
        ),
        (
            &running,
            "2026-06-17",
            2,
            DeadlineState::Overdue,
            "2026-06-12",
            0,
            3,
            "已超期 3 个工作日（应于 2026年6月12日前办结）",
        ),
        // Jun 15–18 and 22; Jun 19–21 off.
        (
            &running,
            "2026-06-22",
            2,
            DeadlineState::Overdue,
            "2026-06-12",
            0,
            5,
            "已超期 5 个工作日（应于 2026年6月12日前办结）",
        ),
        (
            &paused,
            "2026-06-05",
            2,
            DeadlineState::Normal,
            "2026-06-16",
            7,
            0,
            "剩余 7 个工作日（截至 2026年6月16日）（已暂停，等待补正）",
        ),
        // Jun 12 + 18 working days = Jul 9; left: Jul 1, 2, 3, 6, 7, 8, 9.
        (
            &paused,
            "2026-06-30",
            7,
            DeadlineState::DueSoon,
            "2026-07-09",
            7,
            0,
            "剩余 7 个工作日（截至 2026年7月9日）（已暂停，等待补正）",
        ),
    ];
    for (c, today, threshold, state, due, left, overdue, text) in cases {
        let status = c.status(cal, d(today), *threshold);
        let s = status.value;
        assert!(status.years_without_data.is_empty(), "{today}");
        assert_eq!(
            (
                s.state,
                s.due,
                s.working_days_left,
                s.working_days_overdue,
                s.paused
            ),
            (*state, d(due), *left, *overdue, c.is_paused()),
            "{today}, threshold {threshold}"
        );
        assert_eq!(s.describe(), *text, "{today}");
    }
}

#[test]
fn state_labels() {
    assert_eq!(
        [
            DeadlineState::Normal,
            DeadlineState::DueSoon,
            DeadlineState::Overdue
        ]
        .map(DeadlineState::label),
        ["正常", "即将超期", "已超期"]
    );
}

#[test]
fn a_deadline_in_a_year_without_data_is_flagged() {
    let cal = shipped();
    // 2026-12-18 (Friday) + 10 working days reaches into 2027.
    let c = clock("2026-12-18", 10, &[]);
    let status = c.status(cal, d("2026-12-21"), 2);
    assert_eq!(status.value.due, d("2027-01-01"));
    assert_eq!(status.years_without_data, BTreeSet::from([2027]));
    assert!(
        clock("2026-12-01", 10, &[])
            .status(cal, d("2026-12-02"), 2)
            .is_exact()
    );
}

#[test]
fn completed_within_the_due_date() {
    let cal = shipped();
    let running = clock("2026-05-29", 10, &[]);
    let cases = [
        ("2026-06-01", true),
        ("2026-06-12", true),
        ("2026-06-13", false),
        ("2026-06-15", false),
    ];
    for (done, within) in cases {
        assert_eq!(
            running.completed_within(cal, d(done)).value,
            within,
            "{done}"
        );
    }
    let waited = clock("2026-05-29", 10, &[("2026-06-11", Some("2026-06-16"))]);
    assert!(waited.completed_within(cal, d("2026-06-17")).value);
    assert!(!waited.completed_within(cal, d("2026-06-18")).value);
}

#[test]
fn refused_pauses_and_resumes() {
    let started = d("2026-06-01");
    let mut c = SlaClock::new(started, 10);
    assert_eq!(c.resume(d("2026-06-02")), Err(ClockError::NotPaused));
    assert_eq!(
        c.pause(d("2026-05-31")),
        Err(ClockError::PauseBeforeStart {
            on: d("2026-05-31"),
            started_on: started
        })
    );
    assert_eq!(c.pause(d("2026-06-03")), Ok(()));
    let twice = c.pause(d("2026-06-04"));
    assert_eq!(
        twice,
        Err(ClockError::AlreadyPaused {
            since: d("2026-06-03")
        })
    );
    let early = c.resume(d("2026-06-02"));
    assert_eq!(
        early,
        Err(ClockError::ResumeBeforePause {
            on: d("2026-06-02"),
            paused_on: d("2026-06-03")
        })
    );
    assert_eq!(c.resume(d("2026-06-05")), Ok(()));
    let before_resume = c.pause(d("2026-06-04"));
    assert_eq!(
        before_resume,
        Err(ClockError::PauseBeforeLastResume {
            on: d("2026-06-04"),
            resumed_on: d("2026-06-05")
        })
    );
    // Pausing again on the day of resumption is fine: the spans (06-03, 06-05] and (06-05, …] meet.
    assert_eq!(c.pause(d("2026-06-05")), Ok(()));
    assert_eq!(c.pauses.len(), 2);

    let messages = [
        (
            twice,
            "clock.already_paused",
            "计时已于 2026年6月3日 暂停，不能重复暂停",
        ),
        (
            early,
            "clock.resume_before_pause",
            "恢复日期 2026年6月2日 早于暂停日期 2026年6月3日",
        ),
        (
            before_resume,
            "clock.pause_before_last_resume",
            "暂停日期 2026年6月4日 早于上次恢复计时的日期 2026年6月5日",
        ),
        (
            Err(ClockError::NotPaused),
            "clock.not_paused",
            "计时未暂停，无需恢复",
        ),
    ];
    for (result, code, text) in messages {
        let e = result.err().map(|e| (e.code(), e.to_string()));
        assert_eq!(e, Some((code, text.to_owned())));
    }
}

/// The clock by definition: walk the days after the start and stop on the working day on which
/// `limit` unpaused working days have elapsed.
fn walked_due(c: &SlaClock, today: NaiveDate) -> NaiveDate {
    let cal = shipped();
    let paused = |day: NaiveDate| {
        c.pauses
            .iter()
            .any(|p| p.from < day && day <= p.until.unwrap_or(today))
    };
    let mut day = c.started_on;
    let mut elapsed = 0;
    while elapsed < c.limit_working_days {
        day = day.succ_opt().unwrap_or(NaiveDate::MAX);
        if cal.is_working_day(day) && !paused(day) {
            elapsed += 1;
        }
    }
    day
}

fn must(result: Result<(), ClockError>) {
    if let Err(e) = result {
        panic!("{e}");
    }
}

fn any_clock() -> impl Strategy<Value = (SlaClock, NaiveDate)> {
    let start = (0i64..365).prop_map(|offset| d("2026-01-01") + chrono::Duration::days(offset));
    let pauses = prop::collection::vec((0i64..30, 0i64..30), 0..4);
    (start, 0u32..=60, pauses, any::<bool>(), 0i64..60).prop_map(
        |(start, limit, spans, open, extra)| {
            let mut c = SlaClock::new(start, limit);
            let mut at = start;
            for (gap, length) in &spans {
                at += chrono::Duration::days(*gap);
                must(c.pause(at));
                at += chrono::Duration::days(*length);
                must(c.resume(at));
            }
            if open {
                at += chrono::Duration::days(extra % 7);
                must(c.pause(at));
            }
            (c, at + chrono::Duration::days(extra))
        },
    )
}

proptest! {
    #[test]
    fn due_date_matches_walking_the_clock((c, today) in any_clock()) {
        // Walking counts unpaused working days up to the limit; it agrees with the due date
        // whenever every pause begins before the walked due date.
        let cal = shipped();
        let walked = walked_due(&c, today);
        prop_assume!(c.pauses.iter().all(|p| p.from < walked));
        prop_assert_eq!(c.due_date(cal, today).value, walked);
    }

    #[test]
    fn every_pause_moves_the_due_date_by_its_paused_days((c, today) in any_clock()) {
        // Also a pause asked when already overdue: the overdue count freezes while waiting.
        let cal = shipped();
        let paused = c.paused_working_days(cal, today).value;
        let moved = cal.add_working_days(c.started_on, c.limit_working_days + paused).value;
        prop_assert_eq!(c.due_date(cal, today).value, moved);
    }

    #[test]
    fn status_is_consistent((c, today) in any_clock(), threshold in 0u32..5) {
        let cal = shipped();
        let s = c.status(cal, today, threshold).value;
        prop_assert_eq!(s.due, c.due_date(cal, today).value);
        prop_assert_eq!(s.paused, c.is_paused());
        match s.state {
            DeadlineState::Overdue => prop_assert!(today > s.due && s.working_days_left == 0),
            DeadlineState::DueSoon => prop_assert!(today <= s.due && s.working_days_left <= threshold),
            DeadlineState::Normal => prop_assert!(today <= s.due && s.working_days_left > threshold),
        }
        prop_assert_eq!(c.completed_within(cal, today).value, s.state != DeadlineState::Overdue);
    }
}
