//! The case engine: pure transitions. Each takes the case, a context with the catalog, the
//! calendar, `now` and the actor, and returns the events to record — or an error that changes
//! nothing. Consequences that follow by themselves (a waiting item starting or concluding, the
//! combined notice) are recorded as the system's.

use chrono::{DateTime, NaiveDate, Utc};

use super::case::{
    Case, CaseId, CaseStatus, Channel, ItemStatus, Notice, NoticeItem, SupplementScope, TaskStatus,
};
use super::event::{Actor, Amount, Decision, Event, EventKind, ItemResult};
use crate::application::SelectionError;
use crate::calendar::WorkingCalendar;
use crate::catalog::{Catalog, Effect, ItemCode, StepKind};
use crate::region::HandlingPlace;
use crate::registry::{self, PersonId};
use crate::rules::program::{FactRow, Program};
use crate::rules::{self, Fact, Facts, Tri};
use crate::time::{YearMonth, shanghai_date};

/// What a transition needs besides the case.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The catalog the case was accepted under.
    pub catalog: &'a Catalog,
    pub calendar: &'a WorkingCalendar,
    pub now: DateTime<Utc>,
    pub actor: &'a Actor,
}

impl Ctx<'_> {
    /// Today, in Asia/Shanghai.
    pub fn today(&self) -> NaiveDate {
        shanghai_date(self.now)
    }
}

/// Why a transition was refused. Nothing changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("该办件不在待受理状态")]
    NotAwaitingAcceptance,
    #[error("已一次性告知需补正的全部内容，不能再次要求补正；请受理或不予受理")]
    SupplementAlreadyRequested,
    #[error("请列出需要补正的全部内容")]
    NothingMissing,
    #[error("请填写理由")]
    ReasonRequired,
    #[error("该办件已{0}，不能再操作")]
    CaseClosed(&'static str),
    #[error("该办件或事项当前没有待补正的内容")]
    NotAwaitingSupplement,
    #[error("该办件正在等待申请人补正，暂不能审批")]
    CasePaused,
    #[error("任务不存在")]
    UnknownTask,
    #[error("该任务已办结或正在等待补正")]
    TaskNotOpen,
    #[error("评定环节须记录残疾类别和等级")]
    AssessmentRequired,
    #[error("只有评定环节记录残疾类别和等级")]
    AssessmentNotExpected,
    #[error("事项「{0}」不在本办件中")]
    UnknownItem(String),
    #[error("办件的事项目录版本与当前加载的目录不一致")]
    CatalogMismatch,
}

impl WorkflowError {
    pub fn code(&self) -> &'static str {
        match self {
            WorkflowError::NotAwaitingAcceptance => "case.not_awaiting_acceptance",
            WorkflowError::SupplementAlreadyRequested => "case.supplement_already_requested",
            WorkflowError::NothingMissing => "case.nothing_missing",
            WorkflowError::ReasonRequired => "case.reason_required",
            WorkflowError::CaseClosed(_) => "case.closed",
            WorkflowError::NotAwaitingSupplement => "case.not_awaiting_supplement",
            WorkflowError::CasePaused => "case.paused",
            WorkflowError::UnknownTask => "task.unknown",
            WorkflowError::TaskNotOpen => "task.not_open",
            WorkflowError::AssessmentRequired => "task.assessment_required",
            WorkflowError::AssessmentNotExpected => "task.assessment_not_expected",
            WorkflowError::UnknownItem(_) => "case.unknown_item",
            WorkflowError::CatalogMismatch => "case.catalog_mismatch",
        }
    }
}

/// Why an application could not be submitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Selection(#[from] SelectionError),
    /// A blocking rule failed, e.g. 新办 while holding an active certificate.
    #[error("不能申请「{item}」：{reason}")]
    Blocked { item: String, reason: String },
    /// A prerequisite is not met and no item of the application establishes it.
    #[error("不能申请「{item}」：{reason}")]
    PrerequisiteMissing { item: String, reason: String },
}

impl SubmitError {
    pub fn code(&self) -> &'static str {
        match self {
            SubmitError::Selection(e) => e.code(),
            SubmitError::Blocked { .. } => "application.blocked",
            SubmitError::PrerequisiteMissing { .. } => "application.prerequisite_missing",
        }
    }
}

/// A new application, checked at the edge: the applicant, where they are handled, the items and
/// the facts from the registry and the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    pub id: CaseId,
    pub applicant: PersonId,
    pub via_agent: bool,
    pub channel: Channel,
    pub place: HandlingPlace,
    pub items: Vec<ItemCode>,
    pub facts: Facts,
}

/// Submits an application: refuses forbidden combinations, failed blocking rules and unmet
/// prerequisites with the reason; otherwise records the submission (rules as of today).
pub fn submit(ctx: &Ctx<'_>, new: NewCase) -> Result<(Case, Event), SubmitError> {
    let catalog = ctx.catalog;
    catalog.check_combination(&new.items)?;
    let today = ctx.today();
    for code in &new.items {
        let item = catalog
            .item(code)
            .ok_or_else(|| SelectionError::UnknownItem(code.to_string()))?;
        let others: Vec<ItemCode> = new.items.iter().filter(|c| *c != code).cloned().collect();
        let quick = rules::quick_check(catalog, item, &new.facts, today, &others);
        if !quick.blocked && !quick.prerequisite_failed {
            continue;
        }
        let result = rules::evaluate(catalog, item, &new.facts, today, &others);
        if let Some(fail) = result.blocking_failures().next() {
            return Err(SubmitError::Blocked {
                item: item.name.clone(),
                reason: format!("{}——{}", fail.label, fail.detail),
            });
        }
        if let Some(fail) = result.failed_prerequisites().next() {
            let alternatives: Vec<String> = item
                .prerequisites
                .iter()
                .filter(|p| p.label == fail.label)
                .flat_map(|p| {
                    p.satisfied_by
                        .iter()
                        .map(|c| format!("「{}」", catalog.item_name(c)))
                })
                .collect();
            let hint = if alternatives.is_empty() {
                String::new()
            } else {
                format!("；也可在本次申请中同时申请{}", alternatives.join("或"))
            };
            return Err(SubmitError::PrerequisiteMissing {
                item: item.name.clone(),
                reason: format!("需要{}（{}）{hint}", fail.label, fail.detail),
            });
        }
    }
    let event = Event {
        seq: 1,
        at: ctx.now,
        actor: ctx.actor.clone(),
        kind: EventKind::Submitted {
            applicant: new.applicant,
            via_agent: new.via_agent,
            channel: new.channel,
            place_path: new.place.path(),
            place: new.place,
            catalog_version: catalog.version.clone(),
            rules_as_of: today,
            items: new.items,
            facts: new.facts,
            acceptance_limit: catalog.settings.acceptance_time_limit,
        },
    };
    let case = Case::start(new.id, &event).ok_or(SubmitError::Selection(SelectionError::Empty))?;
    Ok((case, event))
}

/// The outcome of a transition: the case after it, and the events that record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub case: Case,
    pub events: Vec<Event>,
}

/// The eligibility of an item of a case as shown to people: the case's facts now (with what its
/// approved items established), the rules in force on the submission date, waiting for the
/// case's unfinished items.
pub fn eligibility_of(
    case: &Case,
    catalog: &Catalog,
    item: &ItemCode,
) -> Option<rules::Eligibility> {
    let definition = catalog.item(item)?;
    let facts = current_facts(case, catalog);
    let pending: Vec<ItemCode> = case
        .items
        .iter()
        .filter(|i| &i.code != item && i.status != ItemStatus::Concluded)
        .map(|i| i.code.clone())
        .collect();
    Some(rules::evaluate(
        catalog,
        definition,
        &facts,
        case.rules_as_of,
        &pending,
    ))
}

/// A case being changed: a working copy and the events recorded so far.
struct Working<'a> {
    ctx: &'a Ctx<'a>,
    case: Case,
    events: Vec<Event>,
}

impl<'a> Working<'a> {
    fn new(ctx: &'a Ctx<'a>, case: &Case) -> Result<Self, WorkflowError> {
        if case.catalog_version != ctx.catalog.version {
            return Err(WorkflowError::CatalogMismatch);
        }
        Ok(Self {
            ctx,
            case: case.clone(),
            events: Vec::new(),
        })
    }

    fn record(&mut self, actor: Actor, kind: EventKind) {
        let event = Event {
            seq: self.case.version + 1,
            at: self.ctx.now,
            actor,
            kind,
        };
        self.case.apply(&event);
        self.events.push(event);
    }

    fn emit(&mut self, kind: EventKind) {
        self.record(self.ctx.actor.clone(), kind);
    }

    fn emit_system(&mut self, kind: EventKind) {
        self.record(Actor::System, kind);
    }

    fn today(&self) -> NaiveDate {
        self.ctx.today()
    }

    fn done(self) -> Transition {
        Transition {
            case: self.case,
            events: self.events,
        }
    }

    /// The facts now: the submission's, with what approved items of the case established.
    fn current_facts(&self) -> Facts {
        current_facts(&self.case, self.ctx.catalog)
    }

    fn pending_items(&self, except: &ItemCode) -> Vec<ItemCode> {
        self.case
            .items
            .iter()
            .filter(|i| &i.code != except && i.status != ItemStatus::Concluded)
            .map(|i| i.code.clone())
            .collect()
    }

    fn start_item(&mut self, code: &ItemCode) {
        let Some(item) = self.ctx.catalog.item(code) else {
            return;
        };
        let facts = self.current_facts();
        let pending = self.pending_items(code);
        let verdict = rules::quick_check(
            self.ctx.catalog,
            item,
            &facts,
            self.case.rules_as_of,
            &pending,
        )
        .verdict;
        self.emit_system(EventKind::ItemStarted {
            item: code.clone(),
            on: self.today(),
            time_limit: item.time_limit,
            verdict,
        });
        self.open_task(code, 0);
    }

    fn open_task(&mut self, code: &ItemCode, step_index: usize) {
        let Some(step) = self.ctx.catalog.item(code).and_then(|i| i.step(step_index)) else {
            return;
        };
        let region = self.case.place.route(step.level).clone();
        let region_path = self.case.place.path_to(&region);
        let task = self.case.id.task_id(self.case.tasks.len() + 1);
        self.emit_system(EventKind::TaskOpened {
            task,
            item: code.clone(),
            step_index,
            step: step.code.clone(),
            step_name: step.name.clone(),
            kind: step.kind,
            department: step.department.clone(),
            level: step.level,
            region,
            region_path,
            on: self.today(),
            time_limit: step.time_limit,
        });
    }

    fn conclude_item(&mut self, code: &ItemCode, result: ItemResult, reason: String, system: bool) {
        let amount = if result == ItemResult::Approved {
            self.amount(code)
        } else {
            None
        };
        let kind = EventKind::ItemConcluded {
            item: code.clone(),
            result,
            reason,
            on: self.today(),
            amount: amount.clone(),
        };
        if system {
            self.emit_system(kind);
        } else {
            self.emit(kind);
        }
        if result == ItemResult::Approved
            && let Some(item) = self.ctx.catalog.item(code)
        {
            let assessment = self
                .case
                .item(code)
                .and_then(|i| i.assessment)
                .map(|a| (a.category, a.grade, a.lower_limb));
            let effect = registry::effect_of_approval(
                &item.effect,
                code,
                assessment,
                amount.map(|a| (a.fen, a.period)),
                self.today(),
                self.case.rules_as_of,
                &self.case.place.unit,
            );
            if let Some(effect) = effect {
                let description = effect.describe(self.ctx.catalog);
                self.emit_system(EventKind::RegistryUpdated {
                    item: code.clone(),
                    effect,
                    description,
                });
            }
        }
        self.follow_up(code);
    }

    /// After an item concluded: items waiting for it start, wait on, or conclude by themselves.
    fn follow_up(&mut self, concluded: &ItemCode) {
        let waiting: Vec<ItemCode> = self
            .case
            .items
            .iter()
            .filter(|i| i.status == ItemStatus::Waiting && i.waiting_for.contains(concluded))
            .map(|i| i.code.clone())
            .collect();
        for code in waiting {
            let rest: Vec<ItemCode> = self
                .case
                .item(&code)
                .map(|i| {
                    i.waiting_for
                        .iter()
                        .filter(|c| *c != concluded)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            if !rest.is_empty() {
                self.emit_system(EventKind::ItemWaiting {
                    item: code.clone(),
                    waiting_for: rest,
                });
                continue;
            }
            match self.unmet_prerequisite(&code) {
                None => self.start_item(&code),
                Some(reason) => self.conclude_item(&code, ItemResult::NotEligible, reason, true),
            }
        }
    }

    /// Checks an item's prerequisites once the items it waited for have concluded: an approved
    /// item of the case satisfies them; otherwise the registry facts must.
    fn unmet_prerequisite(&self, code: &ItemCode) -> Option<String> {
        let catalog = self.ctx.catalog;
        let item = catalog.item(code)?;
        let facts = self.current_facts();
        let row = FactRow::encode(&facts, catalog);
        for p in &item.prerequisites {
            let by_item = p.satisfied_by.iter().any(|c| {
                self.case
                    .item(c)
                    .and_then(|i| i.outcome.as_ref())
                    .is_some_and(|o| o.result == ItemResult::Approved)
            });
            if by_item {
                continue;
            }
            let holds = Program::compile(&p.test, &catalog.params, self.case.rules_as_of, catalog)
                .map_or(Tri::Unknown, |prog| prog.eval_row(&row));
            if holds == Tri::True {
                continue;
            }
            let refused: Vec<String> = p
                .satisfied_by
                .iter()
                .filter_map(|c| {
                    let outcome = self.case.item(c)?.outcome.as_ref()?;
                    Some(format!(
                        "前置事项「{}」{}（{}）",
                        catalog.item_name(c),
                        outcome.result.label(),
                        outcome.reason
                    ))
                })
                .collect();
            return Some(format!(
                "不具备「{}」：{}，本事项不符合办理条件",
                p.label,
                refused.join("；")
            ));
        }
        None
    }

    fn amount(&self, code: &ItemCode) -> Option<Amount> {
        let catalog = self.ctx.catalog;
        let item = catalog.item(code)?;
        let facts = self.current_facts();
        let row = FactRow::encode(&facts, catalog);
        let as_of = self.case.rules_as_of;
        let rule = item.amounts.iter().find(|a| match &a.when {
            None => true,
            Some(expr) => Program::compile(expr, &catalog.params, as_of, catalog)
                .is_ok_and(|p| p.eval_row(&row) == Tri::True),
        })?;
        let fen = catalog.params.value_on(&rule.param, as_of)?.as_money()?;
        Some(Amount {
            fen,
            period: rule.period,
            label: rule.label.clone(),
            start: YearMonth::of(as_of),
        })
    }

    fn conclude_case_if_done(&mut self) {
        if self.case.notice.is_some()
            || self
                .case
                .items
                .iter()
                .any(|i| i.status != ItemStatus::Concluded)
        {
            return;
        }
        let notice = build_notice(&self.case, self.ctx.catalog, self.today());
        self.emit_system(EventKind::Concluded {
            on: self.today(),
            notice,
        });
    }

    fn cancel_tasks_of(&mut self, code: &ItemCode, reason: &str) {
        let open: Vec<String> = self
            .case
            .tasks
            .iter()
            .filter(|t| {
                &t.item == code && matches!(t.status, TaskStatus::Open | TaskStatus::Paused)
            })
            .map(|t| t.id.clone())
            .collect();
        for task in open {
            self.emit_system(EventKind::TaskCancelled {
                task,
                reason: reason.to_owned(),
            });
        }
    }
}

/// The facts of a case now: the submission's, overlaid with what its approved items established.
pub fn current_facts(case: &Case, catalog: &Catalog) -> Facts {
    let mut facts = (*case.facts).clone();
    let validity_months = i64::from(catalog.settings.certificate_validity_years) * 12;
    for ci in &case.items {
        let Some(outcome) = &ci.outcome else { continue };
        if outcome.result != ItemResult::Approved {
            continue;
        }
        let Some(item) = catalog.item(&ci.code) else {
            continue;
        };
        match &item.effect {
            Effect::CertificateNew | Effect::CertificateChange => {
                if let Some(a) = ci.assessment {
                    facts.set_enum(Fact::CertificateStatus, "active");
                    facts.set_enum(Fact::CertificateCategory, a.category.key());
                    facts.set_int(Fact::CertificateGrade, i64::from(a.grade.get()));
                    facts.set_bool(Fact::CertificateLowerLimb, a.lower_limb);
                    facts.set_int(Fact::CertificateMonthsToExpiry, validity_months);
                    facts.set_bool(Fact::CertificateInHukouUnit, true);
                    facts.forget(Fact::CertificateMonthsSinceCancellation);
                }
            }
            Effect::CertificateRenew => {
                facts.set_enum(Fact::CertificateStatus, "active");
                facts.set_int(Fact::CertificateMonthsToExpiry, validity_months);
            }
            Effect::CertificateTransfer => {
                facts.set_enum(Fact::CertificateStatus, "active");
                facts.set_bool(Fact::CertificateInHukouUnit, true);
            }
            Effect::CertificateReissue => facts.set_enum(Fact::CertificateStatus, "active"),
            Effect::CertificateCancel => facts.set_enum(Fact::CertificateStatus, "cancelled"),
            Effect::PersonFlag { fact } => {
                if let Some(f) = Fact::from_key(fact) {
                    facts.set_bool(f, true);
                }
            }
            Effect::Benefit | Effect::AnnualGrant => {
                let fact = if item.effect == Effect::Benefit {
                    Fact::BenefitsReceiving
                } else {
                    Fact::GrantsThisYear
                };
                let mut set = match facts.get(fact) {
                    Some(rules::FactValue::Items(s)) => s.clone(),
                    _ => Default::default(),
                };
                set.insert(ci.code.clone());
                facts.set_items(fact, set);
            }
            Effect::None => {}
        }
    }
    facts
}

fn build_notice(case: &Case, catalog: &Catalog, on: NaiveDate) -> Notice {
    let mut items = Vec::new();
    let (mut approved, mut other) = (0, 0);
    for ci in &case.items {
        let Some(outcome) = &ci.outcome else { continue };
        let item = catalog.item(&ci.code);
        let next_steps = match outcome.result {
            ItemResult::Approved => {
                approved += 1;
                item.map(|i| i.next_steps.approved.clone())
                    .unwrap_or_default()
            }
            ItemResult::Rejected | ItemResult::NotEligible => {
                other += 1;
                item.map(|i| i.next_steps.rejected.clone())
                    .unwrap_or_default()
            }
            ItemResult::Withdrawn => {
                other += 1;
                "如仍需办理，可随时重新申请。".to_owned()
            }
            ItemResult::NotAccepted => {
                other += 1;
                "请按告知内容准备齐全后重新申请；如有疑问可拨打 12345 咨询。".to_owned()
            }
        };
        items.push(NoticeItem {
            item: ci.code.clone(),
            name: catalog.item_name(&ci.code),
            result: outcome.result,
            reason: outcome.reason.clone(),
            amount: outcome.amount.clone(),
            next_steps,
        });
    }
    let summary = match case.status {
        CaseStatus::Refused => "您的申请未予受理，原因见各事项说明。".to_owned(),
        CaseStatus::Withdrawn => {
            format!("您已撤回申请。撤回前已办结准予办理 {approved} 项，其余 {other} 项未继续办理。")
        }
        _ => format!(
            "您申请的 {} 个事项已全部办结：准予办理 {approved} 项，未准予 {other} 项。各事项结果如下。",
            items.len()
        ),
    };
    Notice { on, summary, items }
}

fn need_reason(reason: &str) -> Result<String, WorkflowError> {
    let r = reason.trim();
    if r.is_empty() {
        Err(WorkflowError::ReasonRequired)
    } else {
        Ok(r.to_owned())
    }
}

fn open_case(case: &Case) -> Result<(), WorkflowError> {
    if case.status.is_final() {
        Err(WorkflowError::CaseClosed(case.status.label()))
    } else {
        Ok(())
    }
}

impl Case {
    /// 受理: accepts the case; items start, or wait for the items they depend on.
    pub fn accept(&self, ctx: &Ctx<'_>) -> Result<Transition, WorkflowError> {
        if self.status != CaseStatus::Submitted {
            return Err(WorkflowError::NotAwaitingAcceptance);
        }
        let mut w = Working::new(ctx, self)?;
        w.emit(EventKind::Accepted { on: w.today() });
        let codes: Vec<ItemCode> = self.items.iter().map(|i| i.code.clone()).collect();
        for code in &codes {
            let Some(item) = ctx.catalog.item(code) else {
                continue;
            };
            let waits: Vec<ItemCode> = item
                .prerequisites
                .iter()
                .flat_map(|p| p.satisfied_by.iter())
                .filter(|c| codes.contains(c))
                .cloned()
                .collect();
            if waits.is_empty() {
                w.start_item(code);
            } else {
                let mut waits = waits;
                waits.dedup();
                w.emit_system(EventKind::ItemWaiting {
                    item: code.clone(),
                    waiting_for: waits,
                });
            }
        }
        Ok(w.done())
    }

    /// 不予受理: refuses the whole application with a reason; the notice says why.
    pub fn refuse(&self, ctx: &Ctx<'_>, reason: &str) -> Result<Transition, WorkflowError> {
        let reason = need_reason(reason)?;
        if self.intake.accepted_on.is_some() || self.status.is_final() {
            return Err(WorkflowError::NotAwaitingAcceptance);
        }
        let mut w = Working::new(ctx, self)?;
        w.emit(EventKind::AcceptanceRefused {
            reason: reason.clone(),
            on: w.today(),
        });
        for code in self.items.iter().map(|i| i.code.clone()) {
            w.emit_system(EventKind::ItemConcluded {
                item: code,
                result: ItemResult::NotAccepted,
                reason: reason.clone(),
                on: ctx.today(),
                amount: None,
            });
        }
        w.conclude_case_if_done();
        Ok(w.done())
    }

    /// 一次性告知: asks the applicant once for everything missing. At intake this is allowed once;
    /// after acceptance it pauses every running item.
    pub fn request_supplement(
        &self,
        ctx: &Ctx<'_>,
        missing: &[String],
        reason: &str,
    ) -> Result<Transition, WorkflowError> {
        open_case(self)?;
        let reason = need_reason(reason)?;
        let missing: Vec<String> = missing
            .iter()
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect();
        if missing.is_empty() {
            return Err(WorkflowError::NothingMissing);
        }
        match self.status {
            CaseStatus::Submitted if self.intake.supplement_rounds > 0 => {
                return Err(WorkflowError::SupplementAlreadyRequested);
            }
            CaseStatus::Submitted | CaseStatus::InProgress => {}
            CaseStatus::AwaitingSupplement => {
                return Err(WorkflowError::SupplementAlreadyRequested);
            }
            _ => return Err(WorkflowError::CaseClosed(self.status.label())),
        }
        let mut w = Working::new(ctx, self)?;
        w.emit(EventKind::SupplementRequested {
            missing,
            reason,
            on: w.today(),
        });
        Ok(w.done())
    }

    /// The applicant's supplement: resumes the case (case scope) or a returned item.
    pub fn supplement(
        &self,
        ctx: &Ctx<'_>,
        scope: SupplementScope,
    ) -> Result<Transition, WorkflowError> {
        open_case(self)?;
        match &scope {
            SupplementScope::Case if self.status != CaseStatus::AwaitingSupplement => {
                return Err(WorkflowError::NotAwaitingSupplement);
            }
            SupplementScope::Item(code) => {
                let item = self
                    .item(code)
                    .ok_or_else(|| WorkflowError::UnknownItem(code.to_string()))?;
                if item.status != ItemStatus::Returned {
                    return Err(WorkflowError::NotAwaitingSupplement);
                }
            }
            SupplementScope::Case => {}
        }
        let mut w = Working::new(ctx, self)?;
        w.emit(EventKind::Supplemented {
            scope,
            on: w.today(),
        });
        Ok(w.done())
    }

    /// A reviewer's decision on a task: approve (the assessment step records category and
    /// grade), reject with a reason, or return for a supplement.
    pub fn decide(
        &self,
        ctx: &Ctx<'_>,
        task_id: &str,
        decision: Decision,
    ) -> Result<Transition, WorkflowError> {
        open_case(self)?;
        if self.status == CaseStatus::AwaitingSupplement {
            return Err(WorkflowError::CasePaused);
        }
        if self.status != CaseStatus::InProgress {
            return Err(WorkflowError::NotAwaitingAcceptance);
        }
        let task = self.task(task_id).ok_or(WorkflowError::UnknownTask)?;
        if task.status != TaskStatus::Open {
            return Err(WorkflowError::TaskNotOpen);
        }
        let item = ctx
            .catalog
            .item(&task.item)
            .ok_or_else(|| WorkflowError::UnknownItem(task.item.to_string()))?;
        let step = item
            .step(task.step_index)
            .ok_or(WorkflowError::UnknownTask)?;
        let decision = match decision {
            Decision::Approve { assessment, note } => {
                match (step.kind == StepKind::Assessment, assessment.is_some()) {
                    (true, false) => return Err(WorkflowError::AssessmentRequired),
                    (false, true) => return Err(WorkflowError::AssessmentNotExpected),
                    _ => {}
                }
                let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
                Decision::Approve { assessment, note }
            }
            Decision::Reject { reason } => Decision::Reject {
                reason: need_reason(&reason)?,
            },
            Decision::Return { reason, missing } => {
                let reason = need_reason(&reason)?;
                let missing: Vec<String> = missing
                    .iter()
                    .map(|m| m.trim().to_owned())
                    .filter(|m| !m.is_empty())
                    .collect();
                if missing.is_empty() {
                    return Err(WorkflowError::NothingMissing);
                }
                Decision::Return { reason, missing }
            }
        };
        let code = task.item.clone();
        let next = task.step_index + 1;
        let mut w = Working::new(ctx, self)?;
        w.emit(EventKind::TaskDecided {
            task: task_id.to_owned(),
            decision: decision.clone(),
            on: w.today(),
        });
        match decision {
            Decision::Approve { note, .. } => {
                if item.step(next).is_some() {
                    w.open_task(&code, next);
                } else {
                    let reason =
                        note.unwrap_or_else(|| "经审核，符合办理条件，准予办理".to_owned());
                    w.conclude_item(&code, ItemResult::Approved, reason, false);
                }
            }
            Decision::Reject { reason } => {
                w.conclude_item(&code, ItemResult::Rejected, reason, false)
            }
            Decision::Return { .. } => {}
        }
        w.conclude_case_if_done();
        Ok(w.done())
    }

    /// 撤回: the applicant withdraws before conclusion. Concluded items keep their result.
    pub fn withdraw(&self, ctx: &Ctx<'_>, reason: &str) -> Result<Transition, WorkflowError> {
        open_case(self)?;
        let reason = need_reason(reason)?;
        let mut w = Working::new(ctx, self)?;
        let open: Vec<ItemCode> = self
            .items
            .iter()
            .filter(|i| i.status != ItemStatus::Concluded)
            .map(|i| i.code.clone())
            .collect();
        w.emit(EventKind::Withdrawn {
            reason: reason.clone(),
            on: w.today(),
        });
        for code in open {
            w.cancel_tasks_of(&code, "申请人撤回申请");
            w.emit_system(EventKind::ItemConcluded {
                item: code,
                result: ItemResult::Withdrawn,
                reason: reason.clone(),
                on: ctx.today(),
                amount: None,
            });
        }
        w.conclude_case_if_done();
        Ok(w.done())
    }
}

impl Case {
    /// Records, as the system, what a certificate event changed in the person's other benefits
    /// (the registry cascade computed by the service).
    pub fn benefits_adjusted(
        &self,
        item: ItemCode,
        changes: Vec<String>,
        now: DateTime<Utc>,
    ) -> Event {
        Event {
            seq: self.version + 1,
            at: now,
            actor: Actor::System,
            kind: EventKind::BenefitsAdjusted { item, changes },
        }
    }
}
