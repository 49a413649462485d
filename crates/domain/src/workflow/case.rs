//! A case (办件): its items, tasks, clocks and notice, as the fold of its timeline.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::event::{Amount, Decision, Event, EventKind, ItemResult};
use super::number::CaseNumber;
use crate::calendar::{DeadlineStatus, Reckoned, SlaClock, WorkingCalendar};
use crate::catalog::{CatalogVersion, ItemCode, Level, StepKind};
use crate::ids::{DisabilityCategory, DisabilityGrade};
use crate::region::{HandlingPlace, RegionCode};
use crate::registry::PersonId;
use crate::rules::{Facts, Verdict};

/// A case's identifier (opaque; a UUIDv7 in storage).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseId(pub String);

impl CaseId {
    /// The id of the case's `n`th task (counted from 1): `<case id>.<n>`.
    pub fn task_id(&self, n: impl std::fmt::Display) -> String {
        format!("{}.{n}", self.0)
    }
}

/// How the application came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Online,
    Window,
}

impl Channel {
    pub fn label(self) -> &'static str {
        match self {
            Channel::Online => "网上申请",
            Channel::Window => "窗口受理",
        }
    }
}

/// The state of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// 待受理
    Submitted,
    /// 待补正: waiting for the applicant's supplement.
    AwaitingSupplement,
    /// 办理中
    InProgress,
    /// 不予受理
    Refused,
    /// 已撤回
    Withdrawn,
    /// 已办结
    Concluded,
}

impl CaseStatus {
    pub fn label(self) -> &'static str {
        match self {
            CaseStatus::Submitted => "待受理",
            CaseStatus::AwaitingSupplement => "待补正",
            CaseStatus::InProgress => "办理中",
            CaseStatus::Refused => "不予受理",
            CaseStatus::Withdrawn => "已撤回",
            CaseStatus::Concluded => "已办结",
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            CaseStatus::Submitted => "submitted",
            CaseStatus::AwaitingSupplement => "awaiting_supplement",
            CaseStatus::InProgress => "in_progress",
            CaseStatus::Refused => "refused",
            CaseStatus::Withdrawn => "withdrawn",
            CaseStatus::Concluded => "concluded",
        }
    }
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CaseStatus::Refused | CaseStatus::Withdrawn | CaseStatus::Concluded
        )
    }
}

/// What a supplement request covers: the whole case (pauses every item) or one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", content = "item", rename_all = "snake_case")]
pub enum SupplementScope {
    Case,
    Item(ItemCode),
}

/// An open request for a supplement (一次性告知: everything missing at once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementRequest {
    pub missing: Vec<String>,
    pub reason: String,
    pub requested_on: NaiveDate,
}

/// Intake at the window: the acceptance clock and the one supplement round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intake {
    pub clock: SlaClock,
    pub supplement_rounds: u32,
    pub accepted_on: Option<NaiveDate>,
}

/// What an assessment found (评定).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub category: DisabilityCategory,
    pub grade: DisabilityGrade,
    #[serde(default)]
    pub lower_limb: bool,
}

/// The state of an item within a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Waiting for the case to be accepted.
    Pending,
    /// Waiting for a prerequisite item of the same case.
    Waiting,
    InProgress,
    /// Returned to the applicant for a supplement; its clock is paused.
    Returned,
    Concluded,
}

impl ItemStatus {
    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::Pending => "待受理",
            ItemStatus::Waiting => "等待前置事项",
            ItemStatus::InProgress => "办理中",
            ItemStatus::Returned => "待补正",
            ItemStatus::Concluded => "已办结",
        }
    }
}

/// How an item ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemOutcome {
    pub result: ItemResult,
    pub reason: String,
    #[serde(with = "crate::time::date_text")]
    pub on: NaiveDate,
    pub amount: Option<Amount>,
}

/// An item of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseItem {
    pub code: ItemCode,
    pub status: ItemStatus,
    pub waiting_for: Vec<ItemCode>,
    /// The item's overall clock, from the working day after it started.
    pub clock: Option<SlaClock>,
    /// What the eligibility rules said when the item started (the explanation is recomputed
    /// for display by [`super::eligibility_of`]).
    pub verdict: Option<Verdict>,
    pub assessment: Option<Assessment>,
    pub supplement: Option<SupplementRequest>,
    pub outcome: Option<ItemOutcome>,
}

/// The state of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    /// The item or the case is waiting for a supplement.
    Paused,
    Done,
    Cancelled,
}

impl TaskStatus {
    pub fn key(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Paused => "paused",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::Open => "待办",
            TaskStatus::Paused => "暂停（待补正）",
            TaskStatus::Done => "已办",
            TaskStatus::Cancelled => "已取消",
        }
    }
}

/// A step of an item routed to a department and region: a reviewer's to-do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub item: ItemCode,
    pub step_index: usize,
    pub step: String,
    pub step_name: String,
    pub kind: StepKind,
    pub department: String,
    pub level: Level,
    pub region: RegionCode,
    pub region_path: String,
    pub status: TaskStatus,
    pub clock: SlaClock,
    pub opened_at: DateTime<Utc>,
    pub decision: Option<Decision>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl Task {
    /// The task's deadline on a date.
    pub fn deadline(
        &self,
        calendar: &WorkingCalendar,
        today: NaiveDate,
        due_soon: u32,
    ) -> Reckoned<DeadlineStatus> {
        self.clock.status(calendar, today, due_soon)
    }
}

/// One item's line in the combined notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeItem {
    pub item: ItemCode,
    pub name: String,
    pub result: ItemResult,
    pub reason: String,
    pub amount: Option<Amount>,
    pub next_steps: String,
}

/// The combined notice (办结通知): one answer for the whole application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    #[serde(with = "crate::time::date_text")]
    pub on: NaiveDate,
    pub summary: String,
    pub items: Vec<NoticeItem>,
}

/// A case, rebuilt from its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    /// Assigned by the store when the submission is committed.
    pub number: Option<CaseNumber>,
    /// The number of events applied.
    pub version: u64,
    pub applicant: PersonId,
    pub via_agent: bool,
    pub channel: Channel,
    pub place: HandlingPlace,
    pub place_path: String,
    pub catalog_version: CatalogVersion,
    /// Policy parameters apply as in force on this date (the submission date).
    #[serde(with = "crate::time::date_text")]
    pub rules_as_of: NaiveDate,
    pub submitted_at: DateTime<Utc>,
    pub status: CaseStatus,
    /// Facts from the registry and the form at submission.
    pub facts: std::sync::Arc<Facts>,
    pub intake: Intake,
    /// The open case-level supplement request, if any.
    pub supplement: Option<SupplementRequest>,
    /// Items and tasks are shared between versions of a case (copy on write), so a transition
    /// copies only what it changes.
    pub items: Vec<Arc<CaseItem>>,
    pub tasks: Vec<Arc<Task>>,
    pub notice: Option<Notice>,
    pub updated_at: DateTime<Utc>,
}

impl Case {
    /// Starts a case from its first event. Returns `None` if it is not a submission.
    pub fn start(id: CaseId, first: &Event) -> Option<Case> {
        let EventKind::Submitted {
            applicant,
            via_agent,
            channel,
            place,
            place_path,
            catalog_version,
            rules_as_of,
            items,
            facts,
            acceptance_limit,
        } = &first.kind
        else {
            return None;
        };
        Some(Case {
            id,
            number: None,
            version: 1,
            applicant: applicant.clone(),
            via_agent: *via_agent,
            channel: *channel,
            place: place.clone(),
            place_path: place_path.clone(),
            catalog_version: catalog_version.clone(),
            rules_as_of: *rules_as_of,
            submitted_at: first.at,
            status: CaseStatus::Submitted,
            facts: std::sync::Arc::new(facts.clone()),
            intake: Intake {
                clock: SlaClock::new(*rules_as_of, *acceptance_limit),
                supplement_rounds: 0,
                accepted_on: None,
            },
            supplement: None,
            items: items
                .iter()
                .map(|code| {
                    Arc::new(CaseItem {
                        code: code.clone(),
                        status: ItemStatus::Pending,
                        waiting_for: Vec::new(),
                        clock: None,
                        verdict: None,
                        assessment: None,
                        supplement: None,
                        outcome: None,
                    })
                })
                .collect(),
            tasks: Vec::new(),
            notice: None,
            updated_at: first.at,
        })
    }

    /// Rebuilds a case from its whole timeline.
    pub fn replay(id: CaseId, events: &[Event]) -> Option<Case> {
        let (first, rest) = events.split_first()?;
        let mut case = Case::start(id, first)?;
        for e in rest {
            case.apply(e);
        }
        Some(case)
    }

    pub fn item(&self, code: &ItemCode) -> Option<&CaseItem> {
        self.items.iter().find(|i| &i.code == code).map(|i| &**i)
    }

    fn item_mut(&mut self, code: &ItemCode) -> Option<&mut CaseItem> {
        self.items
            .iter_mut()
            .find(|i| &i.code == code)
            .map(Arc::make_mut)
    }

    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id == id).map(|t| &**t)
    }

    fn task_mut(&mut self, id: &str) -> Option<&mut Task> {
        self.tasks
            .iter_mut()
            .find(|t| t.id == id)
            .map(Arc::make_mut)
    }

    /// The open (or paused) task of an item.
    pub fn active_task(&self, item: &ItemCode) -> Option<&Task> {
        self.tasks
            .iter()
            .find(|t| &t.item == item && matches!(t.status, TaskStatus::Open | TaskStatus::Paused))
            .map(|t| &**t)
    }

    /// Applies one event of the timeline. Events are facts: a transition that was allowed when it
    /// was recorded is applied as recorded.
    pub fn apply(&mut self, event: &Event) {
        self.version = event.seq.max(self.version + 1);
        self.updated_at = event.at;
        match &event.kind {
            EventKind::Submitted { .. } => {}
            EventKind::SupplementRequested {
                missing,
                reason,
                on,
            } => {
                let request = SupplementRequest {
                    missing: missing.clone(),
                    reason: reason.clone(),
                    requested_on: *on,
                };
                if self.status == CaseStatus::Submitted {
                    self.intake.supplement_rounds += 1;
                    let _ = self.intake.clock.pause(*on);
                } else {
                    for item in &mut self.items {
                        if item.status == ItemStatus::InProgress
                            && let Some(clock) = &mut Arc::make_mut(item).clock
                        {
                            let _ = clock.pause(*on);
                        }
                    }
                    for task in &mut self.tasks {
                        if task.status == TaskStatus::Open {
                            let task = Arc::make_mut(task);
                            task.status = TaskStatus::Paused;
                            let _ = task.clock.pause(*on);
                        }
                    }
                }
                self.supplement = Some(request);
                self.status = CaseStatus::AwaitingSupplement;
            }
            EventKind::Supplemented {
                scope: SupplementScope::Case,
                on,
            } => {
                self.supplement = None;
                if self.intake.accepted_on.is_none() {
                    let _ = self.intake.clock.resume(*on);
                    self.status = CaseStatus::Submitted;
                } else {
                    for item in &mut self.items {
                        if item.status == ItemStatus::InProgress
                            && let Some(clock) = &mut Arc::make_mut(item).clock
                        {
                            let _ = clock.resume(*on);
                        }
                    }
                    let returned: Vec<ItemCode> = self
                        .items
                        .iter()
                        .filter(|i| i.status == ItemStatus::Returned)
                        .map(|i| i.code.clone())
                        .collect();
                    for task in &mut self.tasks {
                        if task.status == TaskStatus::Paused && !returned.contains(&task.item) {
                            let task = Arc::make_mut(task);
                            task.status = TaskStatus::Open;
                            let _ = task.clock.resume(*on);
                        }
                    }
                    self.status = CaseStatus::InProgress;
                }
            }
            EventKind::Supplemented {
                scope: SupplementScope::Item(code),
                on,
            } => {
                // While the whole case waits for a supplement, the item's clock and task stay
                // paused; the case-level supplement resumes them.
                let case_paused = self.status == CaseStatus::AwaitingSupplement;
                if let Some(item) = self.item_mut(code) {
                    item.status = ItemStatus::InProgress;
                    item.supplement = None;
                    if let Some(clock) = &mut item.clock
                        && !case_paused
                    {
                        let _ = clock.resume(*on);
                    }
                }
                let code = code.clone();
                if !case_paused
                    && let Some(task) = self
                        .tasks
                        .iter_mut()
                        .find(|t| t.item == code && t.status == TaskStatus::Paused)
                {
                    let task = Arc::make_mut(task);
                    task.status = TaskStatus::Open;
                    let _ = task.clock.resume(*on);
                }
            }
            EventKind::Accepted { on } => {
                self.intake.accepted_on = Some(*on);
                self.status = CaseStatus::InProgress;
            }
            EventKind::AcceptanceRefused { .. } => {
                self.status = CaseStatus::Refused;
            }
            EventKind::ItemWaiting { item, waiting_for } => {
                if let Some(i) = self.item_mut(item) {
                    i.status = ItemStatus::Waiting;
                    i.waiting_for = waiting_for.clone();
                }
            }
            EventKind::ItemStarted {
                item,
                on,
                time_limit,
                verdict,
            } => {
                if let Some(i) = self.item_mut(item) {
                    i.status = ItemStatus::InProgress;
                    i.waiting_for.clear();
                    i.clock = Some(SlaClock::new(*on, *time_limit));
                    i.verdict = Some(*verdict);
                }
            }
            EventKind::TaskOpened {
                task,
                item,
                step_index,
                step,
                step_name,
                kind,
                department,
                level,
                region,
                region_path,
                on,
                time_limit,
            } => {
                self.tasks.push(Arc::new(Task {
                    id: task.clone(),
                    item: item.clone(),
                    step_index: *step_index,
                    step: step.clone(),
                    step_name: step_name.clone(),
                    kind: *kind,
                    department: department.clone(),
                    level: *level,
                    region: region.clone(),
                    region_path: region_path.clone(),
                    status: TaskStatus::Open,
                    clock: SlaClock::new(*on, *time_limit),
                    opened_at: event.at,
                    decision: None,
                    decided_at: None,
                }));
            }
            EventKind::TaskDecided { task, decision, on } => {
                let mut returned = None;
                let mut assessed = None;
                if let Some(t) = self.task_mut(task) {
                    match decision {
                        Decision::Return { reason, missing } => {
                            t.status = TaskStatus::Paused;
                            let _ = t.clock.pause(*on);
                            returned = Some((t.item.clone(), reason.clone(), missing.clone()));
                        }
                        Decision::Approve { assessment, .. } => {
                            t.status = TaskStatus::Done;
                            t.decision = Some(decision.clone());
                            t.decided_at = Some(event.at);
                            if let Some(a) = assessment {
                                assessed = Some((t.item.clone(), *a));
                            }
                        }
                        Decision::Reject { .. } => {
                            t.status = TaskStatus::Done;
                            t.decision = Some(decision.clone());
                            t.decided_at = Some(event.at);
                        }
                    }
                }
                if let Some((code, reason, missing)) = returned
                    && let Some(item) = self.item_mut(&code)
                {
                    item.status = ItemStatus::Returned;
                    item.supplement = Some(SupplementRequest {
                        missing,
                        reason,
                        requested_on: *on,
                    });
                    if let Some(clock) = &mut item.clock {
                        let _ = clock.pause(*on);
                    }
                }
                if let Some((code, a)) = assessed
                    && let Some(item) = self.item_mut(&code)
                {
                    item.assessment = Some(a);
                }
            }
            EventKind::TaskCancelled { task, .. } => {
                if let Some(t) = self.task_mut(task) {
                    t.status = TaskStatus::Cancelled;
                }
            }
            EventKind::ItemConcluded {
                item,
                result,
                reason,
                on,
                amount,
            } => {
                if let Some(i) = self.item_mut(item) {
                    i.status = ItemStatus::Concluded;
                    i.waiting_for.clear();
                    i.supplement = None;
                    i.outcome = Some(ItemOutcome {
                        result: *result,
                        reason: reason.clone(),
                        on: *on,
                        amount: amount.clone(),
                    });
                }
            }
            EventKind::RegistryUpdated { .. } | EventKind::BenefitsAdjusted { .. } => {}
            EventKind::Withdrawn { .. } => {
                self.status = CaseStatus::Withdrawn;
                self.supplement = None;
            }
            EventKind::Concluded { notice, .. } => {
                if self.status != CaseStatus::Withdrawn && self.status != CaseStatus::Refused {
                    self.status = CaseStatus::Concluded;
                }
                self.notice = Some(notice.clone());
            }
        }
    }
}
