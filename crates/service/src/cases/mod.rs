//! Case use cases: submit, accept, refuse, ask for and give a supplement, decide, withdraw, read.
//! Each is one durable transaction holding the case's new events, its projections, any registry
//! changes, and the audit entry of who did it and why (ADR 0005).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use domain::application::{self, Answer, FormAnswers, Selection};
use domain::catalog::{Catalog, ItemCode};
use domain::ids::IdNumber;
use domain::region::RegionCode;
use domain::registry::{Household, Person, PersonId, PersonStatus, Record, RegistryChange};
use domain::rules::Facts;
use domain::time::shanghai_date;
use domain::workflow::{
    self, Actor, Case, CaseId, CaseNumber, Channel, Ctx, Decision, Event, EventKind, NewCase,
    SupplementScope, TaskStatus, Transition, WorkflowError,
};
use serde_json::json;

use crate::Platform;
use crate::audit::AuditEntry;
use crate::auth::Principal;
use crate::authority::{IntakeAuthority, OwnCaseAuthority, ReadAuthority, TaskAuthority};
use crate::clock::new_id;
use crate::error::ServiceError;
use crate::pii::Place;
use crate::ports::{
    CaseCommit, CaseRow, IdempotencyRecord, RegistryWrite, SealedForm, Store, StoreError, TaskRow,
};
use domain::access::Role;

mod registry;
mod submit;

pub use registry::{available_proofs, facts_for};

/// An application as submitted online or at the window.
#[derive(Debug, Clone)]
pub struct SubmitRequest {
    /// The applicant's ID number as typed (spaces, hyphens and a lower-case x are fine).
    pub id_number: String,
    pub selection: Selection,
    /// The answers of the merged form, by field key, as text.
    pub answers: BTreeMap<String, String>,
    /// Made by a guardian or agent for the applicant.
    pub via_agent: bool,
}

/// A submitted case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub case_id: CaseId,
    pub number: CaseNumber,
}

/// A case with its number, as read.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub case: Case,
    pub number: Option<CaseNumber>,
    /// The whole timeline.
    pub timeline: Vec<Event>,
}

const FORM_TABLE: &str = "case_forms";

fn form_place(case: &CaseId, version: u32) -> String {
    format!("{}/{version}", case.0)
}

impl<S: Store> Platform<S> {
    /// 受理.
    pub async fn accept(&self, a: &IntakeAuthority) -> Result<Arc<Case>, ServiceError> {
        let (id, actor) = (&a.case, &a.actor);
        let audit = |at| AuditEntry::case_change(actor, "case.accept", id, "", json!({}), at);
        self.transition(id, actor, None, audit, |c, ctx| c.accept(ctx))
            .await
    }

    /// 不予受理, with the reason.
    pub async fn refuse(
        &self,
        a: &IntakeAuthority,
        reason: &str,
    ) -> Result<Arc<Case>, ServiceError> {
        let (id, actor) = (&a.case, &a.actor);
        let audit = |at| AuditEntry::case_change(actor, "case.refuse", id, reason, json!({}), at);
        self.transition(id, actor, None, audit, |c, ctx| c.refuse(ctx, reason))
            .await
    }

    /// 一次性告知: asks once for everything missing.
    pub async fn request_supplement(
        &self,
        a: &IntakeAuthority,
        missing: &[String],
        reason: &str,
    ) -> Result<Arc<Case>, ServiceError> {
        let (id, actor) = (&a.case, &a.actor);
        let audit = |at| {
            let detail = json!({ "missing": missing.len() });
            AuditEntry::case_change(actor, "case.request_supplement", id, reason, detail, at)
        };
        self.transition(id, actor, None, audit, |c, ctx| {
            c.request_supplement(ctx, missing, reason)
        })
        .await
    }

    /// The applicant's supplement: new or corrected answers (merged into the form) and the scope it
    /// answers.
    pub async fn supplement(
        &self,
        a: &OwnCaseAuthority,
        scope: SupplementScope,
        answers: BTreeMap<String, String>,
    ) -> Result<Arc<Case>, ServiceError> {
        self.give_supplement(&a.case, &a.actor, scope, answers)
            .await
    }

    /// A supplement brought to the window and entered by the clerk.
    pub async fn supplement_at_window(
        &self,
        a: &IntakeAuthority,
        scope: SupplementScope,
        answers: BTreeMap<String, String>,
    ) -> Result<Arc<Case>, ServiceError> {
        self.give_supplement(&a.case, &a.actor, scope, answers)
            .await
    }

    async fn give_supplement(
        &self,
        id: &CaseId,
        actor: &Actor,
        scope: SupplementScope,
        answers: BTreeMap<String, String>,
    ) -> Result<Arc<Case>, ServiceError> {
        let form = if answers.is_empty() {
            None
        } else {
            Some(self.merge_answers(id, answers).await?)
        };
        let detail = json!({
            "scope": scope,
            "form_version": form.as_ref().map(|f| f.version),
        });
        let audit =
            |at| AuditEntry::case_change(actor, "case.supplement", id, "", detail.clone(), at);
        self.transition(id, actor, form, audit, |c, ctx| {
            c.supplement(ctx, scope.clone())
        })
        .await
    }

    /// A reviewer's decision on the task the authority names.
    pub async fn decide(
        &self,
        a: &TaskAuthority,
        decision: Decision,
    ) -> Result<Arc<Case>, ServiceError> {
        let (id, actor, task) = (&a.case, &a.actor, a.task.as_str());
        let audit = |at| AuditEntry::decision(actor, id, task, &decision, at);
        self.transition(id, actor, None, audit, |c, ctx| {
            c.decide(ctx, task, decision.clone())
        })
        .await
    }

    /// 撤回.
    pub async fn withdraw(
        &self,
        a: &OwnCaseAuthority,
        reason: &str,
    ) -> Result<Arc<Case>, ServiceError> {
        let (id, actor) = (&a.case, &a.actor);
        let audit = |at| AuditEntry::case_change(actor, "case.withdraw", id, reason, json!({}), at);
        self.transition(id, actor, None, audit, |c, ctx| c.withdraw(ctx, reason))
            .await
    }

    /// Reads a case from the store (not the cache, so another instance's changes are seen).
    pub async fn case(&self, id: &CaseId) -> Result<CaseView, ServiceError> {
        let (case, timeline) = self
            .load_with_timeline(id)
            .await?
            .ok_or(ServiceError::NotFound("办件"))?;
        Ok(CaseView {
            number: case.number.clone(),
            case,
            timeline,
        })
    }

    /// The id of the case with this number (existence only; reading it needs authority).
    pub async fn store_case_id(&self, number: &CaseNumber) -> Result<Option<CaseId>, ServiceError> {
        Ok(self.store.case_id_by_number(number).await?)
    }

    /// Reads a case by its number.
    pub async fn case_by_number(&self, number: &CaseNumber) -> Result<CaseView, ServiceError> {
        let id = self
            .store
            .case_id_by_number(number)
            .await?
            .ok_or(ServiceError::NotFound("办件"))?;
        self.case(&id).await
    }

    /// The application form's answers: personal data, for a reader with authority (who sees them
    /// masked or in full according to it).
    pub async fn form(&self, a: &ReadAuthority) -> Result<FormAnswers, ServiceError> {
        self.form_of(&a.case).await
    }

    async fn form_of(&self, id: &CaseId) -> Result<FormAnswers, ServiceError> {
        let sealed = self
            .store
            .load_form(id)
            .await?
            .ok_or(ServiceError::NotFound("申请表"))?;
        self.open_form(id, &sealed)
    }

    async fn load(&self, id: &CaseId) -> Result<Option<Case>, ServiceError> {
        Ok(self.load_with_timeline(id).await?.map(|(case, _)| case))
    }

    async fn load_with_timeline(
        &self,
        id: &CaseId,
    ) -> Result<Option<(Case, Vec<Event>)>, ServiceError> {
        let Some(stored) = self.store.load_case(id).await? else {
            return Ok(None);
        };
        let mut case = Case::replay(id.clone(), &stored.events).ok_or_else(|| {
            ServiceError::Unexpected(format!("case {} has no submission event", id.0))
        })?;
        case.number = stored.number;
        Ok(Some((case, stored.events)))
    }

    fn seal_form(
        &self,
        id: &CaseId,
        version: u32,
        answers: &FormAnswers,
    ) -> Result<SealedForm, ServiceError> {
        let json =
            serde_json::to_vec(answers).map_err(|e| ServiceError::Unexpected(e.to_string()))?;
        let key = form_place(id, version);
        let sealed = self.vault.seal(
            Place {
                table: FORM_TABLE,
                column: "answers",
                id: &key,
            },
            &json,
        );
        Ok(SealedForm { version, sealed })
    }

    fn open_form(&self, id: &CaseId, sealed: &SealedForm) -> Result<FormAnswers, ServiceError> {
        let key = form_place(id, sealed.version);
        let bytes = self
            .vault
            .open(
                Place {
                    table: FORM_TABLE,
                    column: "answers",
                    id: &key,
                },
                &sealed.sealed,
            )
            .map_err(|e| ServiceError::Unexpected(e.to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| ServiceError::Unexpected(e.to_string()))
    }

    /// Validates a supplement's answers against the case's form and merges them.
    async fn merge_answers(
        &self,
        id: &CaseId,
        raw: BTreeMap<String, String>,
    ) -> Result<SealedForm, ServiceError> {
        let view = self.case(id).await?;
        let catalog = self
            .catalogs
            .get(&self.store, &view.case.catalog_version)
            .await?;
        let items: Vec<ItemCode> = view.case.items.iter().map(|i| i.code.clone()).collect();
        let form = application::merged_form(&catalog, &items, view.case.via_agent);
        let sealed = self
            .store
            .load_form(id)
            .await?
            .ok_or(ServiceError::NotFound("申请表"))?;
        let current = self.open_form(id, &sealed)?;
        let mut all: BTreeMap<String, String> = current
            .answers
            .iter()
            .map(|(k, v)| (k.clone(), v.text()))
            .collect();
        all.extend(raw);
        let merged = application::validate_answers(&form, &all).map_err(ServiceError::Invalid)?;
        self.seal_form(id, sealed.version + 1, &merged)
    }

    /// Runs a transition on the cached case, commits its events durably with the audit entry
    /// `audit` makes for the instant of the commit, and keeps the new state. A concurrent change
    /// elsewhere (conflict) reloads and runs the transition again.
    async fn transition<A, F>(
        &self,
        id: &CaseId,
        actor: &Actor,
        form: Option<SealedForm>,
        audit: A,
        run: F,
    ) -> Result<Arc<Case>, ServiceError>
    where
        A: Fn(DateTime<Utc>) -> AuditEntry,
        F: Fn(&Case, &Ctx<'_>) -> Result<Transition, WorkflowError>,
    {
        let slot = self.cache.slot(id);
        let mut guard = slot.lock().await;
        for attempt in 0..3 {
            if attempt > 0 || guard.is_none() {
                *guard = self.load(id).await?.map(Arc::new);
            }
            let Some(case) = guard.clone() else {
                drop(guard);
                self.cache.forget(id);
                return Err(ServiceError::NotFound("办件"));
            };
            let catalog = self
                .catalogs
                .get(&self.store, &case.catalog_version)
                .await?;
            let now = self.clock.now();
            let ctx = Ctx {
                catalog: &catalog,
                calendar: &self.calendar,
                now,
                actor,
            };
            let Transition {
                case: mut next,
                mut events,
            } = run(&case, &ctx)?;
            let registry = self
                .registry_writes(&mut next, &mut events, &catalog, now)
                .await?;
            let tasks = changed_tasks(&case, &next, &self.calendar, shanghai_date(now));
            let opened_tasks = next.tasks.len().saturating_sub(case.tasks.len());
            let commit = CaseCommit {
                case_id: id.clone(),
                case: (next.status != case.status).then(|| case_row(&next)),
                expected_version: case.version,
                events,
                tasks,
                opened_tasks,
                form: form.clone(),
                registry,
                allocate_number: false,
                idempotency: None,
                audit: vec![audit(now)],
            };
            match self.store.commit(commit).await {
                Ok(_) => {
                    let next = Arc::new(next);
                    if next.status.is_final() {
                        *guard = None;
                        drop(guard);
                        self.cache.forget(id);
                    } else {
                        *guard = Some(next.clone());
                    }
                    return Ok(next);
                }
                Err(StoreError::Conflict) => {
                    tracing::info!(case = %id.0, attempt, "case changed concurrently; reloading");
                    continue;
                }
                Err(e) => {
                    *guard = None;
                    return Err(e.into());
                }
            }
        }
        Err(ServiceError::Busy)
    }
}

/// The projection row of a case.
pub fn case_row(case: &Case) -> CaseRow {
    CaseRow {
        id: case.id.clone(),
        unit: case.place.unit.to_string(),
        township: case.place.township.as_ref().map(ToString::to_string),
        region_path: case.place_path.clone(),
        applicant: case.applicant.clone(),
        channel: match case.channel {
            Channel::Online => "online".to_owned(),
            Channel::Window => "window".to_owned(),
        },
        status: case.status.key().to_owned(),
        catalog_version: case.catalog_version.0.clone(),
        submitted_on: case.rules_as_of,
        submitted_at: case.submitted_at,
        status_at: case.updated_at,
        items: case
            .items
            .iter()
            .map(|i| i.code.as_str())
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// Task rows for the tasks these events opened or changed.
fn changed_tasks(
    before: &Case,
    after: &Case,
    calendar: &domain::calendar::WorkingCalendar,
    today: NaiveDate,
) -> Vec<TaskRow> {
    // Tasks are shared between versions of a case until changed: an unchanged task is the same
    // allocation, and positions never move (tasks are only appended) — so the changed ones come
    // first and the opened ones, past the end of `before.tasks`, last.
    after
        .tasks
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            before
                .tasks
                .get(*i)
                .is_none_or(|o| !Arc::ptr_eq(o, t) && **o != ***t)
        })
        .map(|(_, t)| t)
        .map(|t| TaskRow {
            id: t.id.clone(),
            case_id: after.id.clone(),
            item: t.item.as_str().to_owned(),
            step: t.step.clone(),
            step_name: t.step_name.clone(),
            department: t.department.clone(),
            level: t.level.key().to_owned(),
            region: t.region.as_str().to_owned(),
            region_path: t.region_path.clone(),
            status: t.status.key().to_owned(),
            due_on: (t.status == TaskStatus::Open).then(|| t.clock.due_date(calendar, today).value),
            opened_at: t.opened_at,
            decided_at: t.decided_at,
        })
        .collect()
}
