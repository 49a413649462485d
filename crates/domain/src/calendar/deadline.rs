//! The SLA clock (承诺时限) of a step or an item, counted in working days.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Reckoned, WorkingCalendar, date_label};

/// A period during which the clock stood still; `until: None` means still paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pause {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

/// The clock of a step or an item, counted in working days.
///
/// The clock starts on `started_on` (the acceptance date, or the date a waiting item starts);
/// day 1 is the first working day after `started_on`. A pause requested on `p` and ended on `r`
/// stops the clock on the working days `d` with `p < d ≤ r`: the request day still counts, the
/// day of resumption does not, and the clock runs again from the working day after resumption,
/// just as it starts from the working day after acceptance.
///
/// The due date is `add_working_days(started_on, limit + paused working days)`: time spent waiting
/// for the applicant never counts against the department. A pause requested when the work is
/// already overdue freezes the overdue count — it neither grows while the applicant is asked nor
/// disappears. An open pause counts as paused up to `today`, which gives the projected due date.
///
/// `pauses` are in order and do not overlap, as [`SlaClock::pause`] and [`SlaClock::resume`]
/// keep them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlaClock {
    pub started_on: NaiveDate,
    pub limit_working_days: u32,
    pub pauses: Vec<Pause>,
}

/// Why a pause or resume was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("计时已于 {} 暂停，不能重复暂停", date_label(*.since))]
    AlreadyPaused { since: NaiveDate },
    #[error("暂停日期 {} 早于计时开始日期 {}", date_label(*.on), date_label(*.started_on))]
    PauseBeforeStart {
        on: NaiveDate,
        started_on: NaiveDate,
    },
    #[error("暂停日期 {} 早于上次恢复计时的日期 {}", date_label(*.on), date_label(*.resumed_on))]
    PauseBeforeLastResume {
        on: NaiveDate,
        resumed_on: NaiveDate,
    },
    #[error("计时未暂停，无需恢复")]
    NotPaused,
    #[error("恢复日期 {} 早于暂停日期 {}", date_label(*.on), date_label(*.paused_on))]
    ResumeBeforePause { on: NaiveDate, paused_on: NaiveDate },
}

impl ClockError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AlreadyPaused { .. } => "clock.already_paused",
            Self::PauseBeforeStart { .. } => "clock.pause_before_start",
            Self::PauseBeforeLastResume { .. } => "clock.pause_before_last_resume",
            Self::NotPaused => "clock.not_paused",
            Self::ResumeBeforePause { .. } => "clock.resume_before_pause",
        }
    }
}

/// The state shown next to a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    Normal,
    DueSoon,
    Overdue,
}

impl DeadlineState {
    /// 正常 / 即将超期 / 已超期.
    pub fn label(self) -> &'static str {
        match self {
            Self::Normal => "正常",
            Self::DueSoon => "即将超期",
            Self::Overdue => "已超期",
        }
    }
}

/// Where a clock stands on a given day.
///
/// `working_days_left` counts the working days in `(today, due]` (0 once overdue);
/// `working_days_overdue` those in `(due, today]`, which may be 0 while overdue (due on a Friday,
/// today the Saturday after). While paused, everything refers to the projected due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeadlineStatus {
    pub state: DeadlineState,
    pub due: NaiveDate,
    pub working_days_left: u32,
    pub working_days_overdue: u32,
    pub paused: bool,
}

impl DeadlineStatus {
    /// Plain Chinese for staff screens, e.g. 剩余 5 个工作日（截至 2026年6月12日）, 今日到期（…）,
    /// 已超期 3 个工作日（应于 2026年6月9日前办结）; paused ones end with （已暂停，等待补正）.
    pub fn describe(&self) -> String {
        let due = date_label(self.due);
        let mut text = match self.state {
            DeadlineState::Overdue if self.working_days_overdue == 0 => {
                format!("已超期（应于 {due}前办结）")
            }
            DeadlineState::Overdue => {
                format!(
                    "已超期 {} 个工作日（应于 {due}前办结）",
                    self.working_days_overdue
                )
            }
            _ if self.working_days_left == 0 => format!("今日到期（{due}）"),
            _ => format!("剩余 {} 个工作日（截至 {due}）", self.working_days_left),
        };
        if self.paused {
            text.push_str("（已暂停，等待补正）");
        }
        text
    }
}

impl SlaClock {
    /// A running clock with no pauses.
    pub fn new(started_on: NaiveDate, limit_working_days: u32) -> Self {
        Self {
            started_on,
            limit_working_days,
            pauses: Vec::new(),
        }
    }

    /// Stops the clock from the day after `on` (补正 requested on `on`).
    pub fn pause(&mut self, on: NaiveDate) -> Result<(), ClockError> {
        if let Some(last) = self.pauses.last() {
            match last.until {
                None => return Err(ClockError::AlreadyPaused { since: last.from }),
                Some(resumed_on) if on < resumed_on => {
                    return Err(ClockError::PauseBeforeLastResume { on, resumed_on });
                }
                Some(_) => {}
            }
        }
        if on < self.started_on {
            return Err(ClockError::PauseBeforeStart {
                on,
                started_on: self.started_on,
            });
        }
        self.pauses.push(Pause {
            from: on,
            until: None,
        });
        Ok(())
    }

    /// Ends the open pause on `on`; the clock runs again from the working day after `on`.
    pub fn resume(&mut self, on: NaiveDate) -> Result<(), ClockError> {
        let Some(open) = self.pauses.last_mut().filter(|p| p.until.is_none()) else {
            return Err(ClockError::NotPaused);
        };
        if on < open.from {
            return Err(ClockError::ResumeBeforePause {
                on,
                paused_on: open.from,
            });
        }
        open.until = Some(on);
        Ok(())
    }

    /// True while the last pause is open.
    pub fn is_paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.until.is_none())
    }

    /// The pauses as intervals `(from, until]` clipped to the clock's start and to each other,
    /// an open pause ending on `today`. Empty intervals are skipped.
    fn paused_spans(&self, today: NaiveDate) -> impl Iterator<Item = (NaiveDate, NaiveDate)> {
        let mut covered = self.started_on;
        self.pauses.iter().filter_map(move |p| {
            let from = p.from.max(covered);
            let until = p.until.unwrap_or(today);
            covered = covered.max(until);
            (from < until).then_some((from, until))
        })
    }

    /// The working days on which the clock stood still, an open pause counted up to `today`.
    pub fn paused_working_days(&self, cal: &WorkingCalendar, today: NaiveDate) -> Reckoned<u32> {
        let mut total = Reckoned::exact(0);
        for (from, until) in self.paused_spans(today) {
            let days = total.absorb(cal.working_days_between(from, until));
            total.value += days;
        }
        total
    }

    /// The due date; while paused, the projected one (as if resumed `today`).
    pub fn due_date(&self, cal: &WorkingCalendar, today: NaiveDate) -> Reckoned<NaiveDate> {
        let mut due = cal.add_working_days(self.started_on, self.limit_working_days);
        for (from, until) in self.paused_spans(today) {
            let paused = due.absorb(cal.working_days_between(from, until));
            due.value = due.absorb(cal.add_working_days(due.value, paused));
        }
        due
    }

    /// The state on `today`: overdue once `today` is after the due date, due soon when at most
    /// `due_soon_threshold` working days are left (a configured value; product default 2).
    pub fn status(
        &self,
        cal: &WorkingCalendar,
        today: NaiveDate,
        due_soon_threshold: u32,
    ) -> Reckoned<DeadlineStatus> {
        let mut answer = self.due_date(cal, today).map(|due| DeadlineStatus {
            state: DeadlineState::Normal,
            due,
            working_days_left: 0,
            working_days_overdue: 0,
            paused: self.is_paused(),
        });
        let due = answer.value.due;
        if today > due {
            let overdue = answer.absorb(cal.working_days_between(due, today));
            answer.value.state = DeadlineState::Overdue;
            answer.value.working_days_overdue = overdue;
        } else {
            let left = answer.absorb(cal.working_days_between(today, due));
            answer.value.working_days_left = left;
            if left <= due_soon_threshold {
                answer.value.state = DeadlineState::DueSoon;
            }
        }
        answer
    }

    /// Whether work completed on `completed_on` was on or before the due date.
    pub fn completed_within(
        &self,
        cal: &WorkingCalendar,
        completed_on: NaiveDate,
    ) -> Reckoned<bool> {
        self.due_date(cal, completed_on)
            .map(|due| completed_on <= due)
    }
}

#[cfg(test)]
mod tests;
