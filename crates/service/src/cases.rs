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

/// SM3 of a request, to tell a retry from a different request under the same key.
fn request_hash(r: &SubmitRequest) -> String {
    let canonical = serde_json::json!({
        "id_number": r.id_number.trim(),
        "scenario": r.selection.scenario,
        "items": r.selection.items,
        "answers": r.answers,
        "via_agent": r.via_agent,
    });
    gm_crypto::sm3(canonical.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
    /// Submits an application: validates the ID number, the selection and the form; applies
    /// 属地管理; refuses forbidden combinations and unmet prerequisites; records the case and its
    /// number in one transaction.
    pub async fn submit(
        &self,
        principal: &Principal,
        request: SubmitRequest,
    ) -> Result<Submitted, ServiceError> {
        self.submit_with(principal, request, None).await
    }

    /// Submits with an idempotency key (kept 24 hours per caller): a retry of the same request
    /// returns the same case (`true`: a replay); the same key with a different request is
    /// refused. The key is stored in the submission's own transaction.
    pub async fn submit_once(
        &self,
        principal: &Principal,
        key: Option<&str>,
        request: SubmitRequest,
    ) -> Result<(Submitted, bool), ServiceError> {
        let Some(key) = key else {
            return Ok((self.submit(principal, request).await?, false));
        };
        let caller = principal.caller_key();
        let hash = request_hash(&request);
        let now = self.clock.now();
        for _ in 0..2 {
            match self.store.idempotency(&caller, key).await? {
                Some((stored, case_id, _)) if stored == hash => {
                    let view = self.case(&case_id).await?;
                    let number = view.number.ok_or_else(|| {
                        ServiceError::Unexpected("a stored case without a number".into())
                    })?;
                    return Ok((Submitted { case_id, number }, true));
                }
                Some((_, _, at)) if now - at <= chrono::Duration::hours(24) => {
                    return Err(ServiceError::IdempotencyMismatch);
                }
                // Older than 24 hours: the key may be used again.
                Some(_) => self.store.forget_idempotency(&caller, key).await?,
                None => {}
            }
            let record = IdempotencyRecord {
                caller: caller.clone(),
                key: key.to_owned(),
                body_hash: hash.clone(),
                created_at: now,
            };
            match self
                .submit_with(principal, request.clone(), Some(record))
                .await
            {
                // A concurrent retry stored the key first: answer with its case.
                Err(ServiceError::DuplicateKey) => continue,
                other => return other.map(|s| (s, false)),
            }
        }
        Err(ServiceError::DuplicateKey)
    }

    async fn submit_with(
        &self,
        principal: &Principal,
        request: SubmitRequest,
        idempotency: Option<IdempotencyRecord>,
    ) -> Result<Submitted, ServiceError> {
        let (actor, channel) = match principal {
            Principal::Citizen { .. } => (principal.actor(), Channel::Online),
            Principal::Staff {
                role: Role::WindowClerk,
                ..
            } => (principal.actor(), Channel::Window),
            Principal::Staff { .. } => return Err(ServiceError::Forbidden),
        };
        let actor = &actor;
        let catalog = self.catalogs.current().clone();
        // A legacy 15-digit number is converted to 18 digits; the form records the conversion.
        let parsed = IdNumber::parse_allowing_legacy(&request.id_number).map_err(|e| {
            ServiceError::field(
                "applicant.id_number",
                e.code(),
                format!("居民身份证号码：{e}"),
            )
        })?;
        let id_number = parsed.id;
        let items = catalog.check_selection(&request.selection)?;
        let form = application::merged_form(&catalog, &items, request.via_agent);
        let answers = application::validate_answers(&form, &request.answers)
            .map_err(ServiceError::Invalid)?;
        match answers.get("applicant.id_number") {
            Some(Answer::IdNumber(id)) if *id != id_number => {
                return Err(ServiceError::field(
                    "applicant.id_number",
                    "form.id_mismatch",
                    "表中的身份证号码与申请人身份证号码不一致",
                ));
            }
            _ => {}
        }
        let hukou = match answers.get("applicant.hukou_region") {
            Some(Answer::Region(r)) => r.clone(),
            _ => {
                return Err(ServiceError::field(
                    "applicant.hukou_region",
                    "form.required",
                    "请选择户籍所在乡镇（街道）",
                ));
            }
        };
        let place = self.regions.handling_place(&hukou)?;
        if let Principal::Staff { scope, .. } = principal
            && !scope.covers(&place.path())
        {
            return Err(ServiceError::field(
                "applicant.hukou_region",
                "application.outside_window",
                "申请人户籍不在本窗口的受理范围内，请到户籍所在地窗口办理",
            ));
        }
        let now = self.clock.now();
        let today = shanghai_date(now);

        let index = self.vault.id_index(&id_number);
        let existing = self.store.find_by_id_index(&index).await?;
        if let Principal::Citizen { id_index, .. } = principal {
            let own = *id_index == index;
            let agent = match (&existing, request.via_agent) {
                (Some(r), true) => self.store.is_agent_of(id_index, &r.person.id.0).await?,
                _ => false,
            };
            let for_self = own && !request.via_agent;
            if agent
                && !matches!(answers.get("agent.id_number"),
                    Some(Answer::IdNumber(a)) if self.vault.id_index(a) == *id_index)
            {
                return Err(ServiceError::field(
                    "agent.id_number",
                    "form.agent_mismatch",
                    "代办人身份证号码须为当前登录人的号码",
                ));
            }
            if !for_self && !agent {
                return Err(ServiceError::field(
                    "applicant.id_number",
                    "application.not_own",
                    "只能为本人申请；为他人申请须先在窗口登记监护或代办关系并提交证明",
                ));
            }
        }
        let (record, added) = match existing {
            Some(r) => (r, None),
            None => {
                let person = person_from_form(PersonId(new_id(now)), &id_number, &hukou, &answers);
                let record = Record {
                    person: person.clone(),
                    certificate: None,
                    benefits: Vec::new(),
                };
                (record, Some(person))
            }
        };
        let mut facts: Facts = record.facts(today, &place.unit);
        facts.overlay(&answers.facts(&form));

        let case_id = CaseId(new_id(now));
        let new = NewCase {
            id: case_id.clone(),
            applicant: record.person.id.clone(),
            via_agent: request.via_agent,
            channel,
            place,
            items,
            facts,
        };
        let ctx = Ctx {
            catalog: &catalog,
            calendar: &self.calendar,
            now,
            actor,
        };
        let (case, event) = workflow::submit(&ctx, new)?;
        let sealed = self.seal_form(&case_id, 1, &answers)?;
        let audit = AuditEntry::case_change(
            actor,
            "case.submit",
            &case_id,
            "",
            json!({
                "person": record.person.id.0,
                "person_added": added.is_some(),
                "items": case.items.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
            }),
            now,
        );
        let commit = CaseCommit {
            case_id: case_id.clone(),
            case: Some(case_row(&case)),
            expected_version: 0,
            events: vec![event],
            tasks: Vec::new(),
            form: Some(sealed),
            registry: added
                .map(|p| vec![RegistryWrite::PersonAdded(Box::new(p))])
                .unwrap_or_default(),
            allocate_number: true,
            idempotency,
            audit: vec![audit],
        };
        let committed = self.store.commit(commit).await?;
        let number = committed
            .number
            .ok_or_else(|| ServiceError::Unexpected("the store allocated no case number".into()))?;
        let slot = self.cache.slot(&case_id);
        *slot.lock().await = Some(Arc::new(Case {
            number: Some(number.clone()),
            ..case
        }));
        tracing::info!(case = %case_id.0, number = %number, "application submitted");
        Ok(Submitted { case_id, number })
    }

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
            let commit = CaseCommit {
                case_id: id.clone(),
                case: (next.status != case.status).then(|| case_row(&next)),
                expected_version: case.version,
                events,
                tasks,
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

    /// Registry changes for the certificate and benefit effects among the events, with the
    /// cascade recorded on the timeline.
    async fn registry_writes(
        &self,
        next: &mut Case,
        events: &mut Vec<Event>,
        catalog: &Catalog,
        now: DateTime<Utc>,
    ) -> Result<Vec<RegistryWrite>, ServiceError> {
        let effects: Vec<(ItemCode, domain::registry::RegistryEffect)> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::RegistryUpdated { item, effect, .. } => {
                    Some((item.clone(), effect.clone()))
                }
                _ => None,
            })
            .collect();
        if effects.is_empty() {
            return Ok(Vec::new());
        }
        let person = next.applicant.clone();
        // Registering a benefit or a flag needs no read; certificate effects read the record once.
        let mut record: Option<Record> = None;
        let mut writes = Vec::new();
        for (item, effect) in effects {
            let changes =
                match domain::registry::changes_without_record(&effect, &next.id.0, &mut || {
                    new_id(now)
                }) {
                    Some(changes) => changes,
                    None => {
                        if record.is_none() {
                            record = self.store.load_record(&person).await?;
                        }
                        let Some(r) = record.as_ref() else {
                            return Err(ServiceError::Unexpected(format!(
                                "applicant {} is not in the registry",
                                person.0
                            )));
                        };
                        r.apply(&effect, catalog, &next.id.0, &mut || new_id(now))
                    }
                };
            let mut cascade = Vec::new();
            for change in changes {
                if let Some(r) = record.as_mut() {
                    apply_to_record(r, &change);
                }
                match change {
                    RegistryChange::CertificateSet(c) => {
                        writes.push(RegistryWrite::CertificateSet {
                            person: person.clone(),
                            certificate: Box::new(c),
                        });
                    }
                    RegistryChange::BenefitAdded(b) => {
                        writes.push(RegistryWrite::BenefitAdded {
                            person: person.clone(),
                            benefit: b,
                        });
                    }
                    RegistryChange::BenefitStopped {
                        id,
                        last_month,
                        reason,
                    } => {
                        cascade.push(reason.clone());
                        writes.push(RegistryWrite::BenefitStopped {
                            id,
                            last_month,
                            reason,
                        });
                    }
                    RegistryChange::BenefitMoved { id, to_unit } => {
                        cascade.push(format!("待遇 {id} 的发放地变更为 {to_unit}"));
                        writes.push(RegistryWrite::BenefitMoved {
                            id,
                            to_unit: to_unit.to_string(),
                        });
                    }
                    RegistryChange::FlagSet { fact } => {
                        writes.push(RegistryWrite::FlagSet {
                            person: person.clone(),
                            fact,
                        });
                    }
                }
            }
            if !cascade.is_empty() {
                let event = next.benefits_adjusted(item, cascade, now);
                next.apply(&event);
                events.push(event);
            }
        }
        Ok(writes)
    }
}

/// Keeps an in-memory record in step with the changes written, so that a second effect in the
/// same transition sees the first.
fn apply_to_record(record: &mut Record, change: &RegistryChange) {
    match change {
        RegistryChange::CertificateSet(c) => record.certificate = Some(c.clone()),
        RegistryChange::BenefitAdded(b) => record.benefits.push(b.clone()),
        RegistryChange::BenefitStopped {
            id,
            last_month,
            reason,
        } => {
            if let Some(b) = record.benefits.iter_mut().find(|b| &b.id == id) {
                b.status = domain::registry::BenefitStatus::Stopped;
                b.end = Some(*last_month);
                b.stop_reason = Some(reason.clone());
            }
        }
        RegistryChange::BenefitMoved { id, to_unit } => {
            if let Some(b) = record.benefits.iter_mut().find(|b| &b.id == id) {
                b.paying_unit = to_unit.clone();
            }
        }
        RegistryChange::FlagSet { .. } => {}
    }
}

fn person_from_form(
    id: PersonId,
    id_number: &IdNumber,
    hukou: &RegionCode,
    answers: &FormAnswers,
) -> Person {
    let text = |key: &str| match answers.get(key) {
        Some(Answer::Text(s) | Answer::Phone(s) | Answer::BankAccount(s)) => Some(s.clone()),
        _ => None,
    };
    let urban = matches!(answers.get("household.urban"), Some(Answer::Boolean(true)));
    Person {
        id,
        sex: id_number.sex(),
        birth_date: id_number.birth_date(),
        id_number: id_number.clone(),
        name: text("applicant.name").unwrap_or_default(),
        hukou: hukou.clone(),
        phone: text("contact.phone"),
        address: text("applicant.address"),
        bank_account: text("payment.bank_account"),
        household: Household {
            urban,
            ..Household::default()
        },
        status: PersonStatus::default(),
        guardians: Vec::new(),
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
    // allocation, and positions never move (tasks are only appended).
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
            item: t.item.to_string(),
            step: t.step.clone(),
            step_name: t.step_name.clone(),
            department: t.department.clone(),
            level: format!("{:?}", t.level).to_lowercase(),
            region: t.region.to_string(),
            region_path: t.region_path.clone(),
            status: t.status.key().to_owned(),
            due_on: (t.status == TaskStatus::Open).then(|| t.clock.due_date(calendar, today).value),
            opened_at: t.opened_at,
            decided_at: t.decided_at,
        })
        .collect()
}

/// The facts the items' rules would read for a person (used by the pre-check and demo).
pub fn facts_for(record: &Record, unit: &RegionCode, today: NaiveDate) -> Facts {
    record.facts(today, unit)
}

/// Proofs available without submitting paper: e-licences and shared data the platform can reach
/// for this person.
pub fn available_proofs(record: Option<&Record>) -> BTreeSet<String> {
    let mut proofs: BTreeSet<String> = [
        "居民身份证电子证照",
        "户口簿电子证照",
        "公安户籍迁移信息",
        "人口死亡信息（公安、卫健共享）",
        "民政家庭经济状况核对信息",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    if let Some(r) = record {
        if r.certificate.is_some() {
            proofs.insert("残疾人证电子证照".to_owned());
        }
        if r.person.status.student {
            proofs.insert("教育部门学籍信息".to_owned());
        }
        if matches!(
            r.person.household.assistance,
            domain::registry::Assistance::Dibao
        ) {
            proofs.insert("低保证电子证照".to_owned());
        }
    }
    proofs
}
