//! One case, driven through the use cases `serve` calls: submitted online or at the window,
//! then at each turn whatever the case awaits — intake (accept, refuse, or ask once for a
//! supplement), the applicant's supplement (or withdrawal), a reviewer's decision on one of the
//! open tasks — until it concludes or cannot proceed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::{Context as _, anyhow, bail};
use domain::access::{Role, Scope};
use domain::ids::IdNumber;
use domain::region::RegionCode;
use domain::workflow::{Case, CaseId, CaseStatus, Decision, ItemResult};
use rand::RngExt as _;
use rand::rngs::StdRng;
use service::auth::Principal;
use service::ports::RegistryStore as _;
use service::{Platform, ServiceError, SubmitRequest};
use store::Db;

use crate::clock::{Pace, SimClock};
use crate::plan::Plan;
use crate::turn::{self, Action};

/// A case that has not concluded after this many steps is a bug of the driver.
const MAX_STEPS: u32 = 300;

/// The platform and its clock.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub platform: &'a Platform<Db>,
    pub clock: &'a SimClock,
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Refused at submission, with the error's code.
    NotSubmitted(&'static str),
    RefusedAtIntake,
    Withdrawn,
    /// Concluded with this many of its items approved.
    Concluded {
        approved: usize,
        items: usize,
    },
    /// Not concluded, and nothing to do: no open task, nothing to supplement.
    Stuck(CaseStatus),
}

/// A case driven, and what happened on the way.
#[derive(Debug, Clone)]
pub struct Driven {
    pub case: Option<CaseId>,
    pub outcome: Outcome,
    /// Case-level supplement requests (at intake or later).
    pub case_supplements: u32,
    /// Tasks returned for an item's supplement.
    pub returns: u32,
}

/// Submits the application and drives the case until it concludes or cannot proceed.
pub async fn drive(
    cx: Ctx<'_>,
    rng: &mut StdRng,
    plan: &Plan,
    applicant: &IdNumber,
    request: SubmitRequest,
) -> anyhow::Result<Driven> {
    let engine = plan.is_engine();
    let platform = cx.platform;
    let catalog = platform.catalogs.current().clone();
    let mut pace = Pace::new(&platform.calendar, plan.at);
    cx.clock.set(plan.at);
    let submitter = if plan.window {
        let hukou = request
            .answers
            .get("applicant.hukou_region")
            .and_then(|r| RegionCode::parse(r).ok())
            .ok_or_else(|| anyhow!("an application without 户籍"))?;
        let unit = platform.regions.handling_place(&hukou)?.unit;
        staff(engine, Role::WindowClerk, unit.as_str())
    } else {
        citizen(platform, applicant, engine).await?
    };
    let mut driven = Driven {
        case: None,
        outcome: Outcome::Stuck(CaseStatus::Submitted),
        case_supplements: 0,
        returns: 0,
    };
    let submitted = match platform.submit(&submitter, request).await {
        Ok(s) => s,
        Err(e) if refused(&e) => {
            driven.outcome = Outcome::NotSubmitted(e.code());
            return Ok(driven);
        }
        Err(e) => bail!("submitting: {e}"),
    };
    let id = submitted.case_id;
    driven.case = Some(id.clone());
    // From now on the applicant logs in as a person of the registry (the benchmark's does not).
    let own = citizen(platform, applicant, engine).await?;
    let mut case: Arc<Case> = Arc::new(platform.case(&id).await?.case);
    let unit = case.place.unit.to_string();
    let mut returned: BTreeSet<String> = BTreeSet::new();
    let mut asked_late = false;
    for _ in 0..MAX_STEPS {
        if case.status.is_final() {
            break;
        }
        let Some((action, days)) =
            turn::next(rng, &catalog, &case, plan, &returned, &mut asked_late)
        else {
            driven.outcome = Outcome::Stuck(case.status);
            return Ok(driven);
        };
        cx.clock.set(if engine {
            pace.micros(rng, 300, 1500)
        } else {
            pace.working_days(rng, days)
        });
        let clerk = staff(engine, Role::WindowClerk, &unit);
        let err = |e: ServiceError| anyhow!("{e} ({})", e.code());
        case = match action {
            Action::Accept => {
                let a = platform.authorize_intake(&clerk, &id).await.map_err(err)?;
                platform.accept(&a).await.map_err(err)?
            }
            Action::Refuse(reason) => {
                let a = platform.authorize_intake(&clerk, &id).await.map_err(err)?;
                platform.refuse(&a, &reason).await.map_err(err)?
            }
            Action::AskForSupplement(missing, reason) => {
                driven.case_supplements += 1;
                let a = platform.authorize_intake(&clerk, &id).await.map_err(err)?;
                platform
                    .request_supplement(&a, &missing, &reason)
                    .await
                    .map_err(err)?
            }
            Action::Supplement(scope) => {
                let answers = supplement_answers(rng);
                if plan.window {
                    let a = platform.authorize_intake(&clerk, &id).await.map_err(err)?;
                    platform.supplement_at_window(&a, scope, answers).await
                } else {
                    let a = platform.authorize_own_case(&own, &id).await.map_err(err)?;
                    platform.supplement(&a, scope, answers).await
                }
                .map_err(err)?
            }
            Action::Withdraw(reason) => {
                let a = platform.authorize_own_case(&own, &id).await.map_err(err)?;
                platform.withdraw(&a, &reason).await.map_err(err)?
            }
            Action::Decide(task, decision) => {
                let region = case
                    .task(&task)
                    .map(|t| (t.department.clone(), t.region.clone()));
                let (department, region) = region.ok_or_else(|| anyhow!("task {task} vanished"))?;
                if matches!(decision, Decision::Return { .. }) {
                    driven.returns += 1;
                    returned.insert(task.clone());
                }
                let role = Role::STAFF
                    .into_iter()
                    .find(|r| r.department() == Some(department.as_str()))
                    .ok_or_else(|| anyhow!("no reviewer role for department {department}"))?;
                let reviewer = staff(engine, role, region.as_str());
                let a = platform
                    .authorize_task(&reviewer, &task)
                    .await
                    .map_err(err)?;
                platform.decide(&a, decision).await.map_err(err)?
            }
        };
    }
    driven.outcome = match case.status {
        CaseStatus::Refused => Outcome::RefusedAtIntake,
        CaseStatus::Withdrawn => Outcome::Withdrawn,
        CaseStatus::Concluded => {
            let notice = case.notice.as_ref().context("concluded without a notice")?;
            Outcome::Concluded {
                approved: notice
                    .items
                    .iter()
                    .filter(|i| i.result == ItemResult::Approved)
                    .count(),
                items: notice.items.len(),
            }
        }
        s => bail!("case still {s:?} after {MAX_STEPS} steps"),
    };
    Ok(driven)
}

/// Refusals at submission, which the corpus counts and skips: a forbidden combination, an
/// unmet prerequisite or blocking rule, an answer the form does not accept, 属地管理.
fn refused(e: &ServiceError) -> bool {
    matches!(
        e,
        ServiceError::Selection(_)
            | ServiceError::Submit(_)
            | ServiceError::Invalid(_)
            | ServiceError::Jurisdiction(_)
    )
}

/// A supplement usually brings only materials; now and then a corrected phone number.
fn supplement_answers(rng: &mut StdRng) -> BTreeMap<String, String> {
    let mut answers = BTreeMap::new();
    if rng.random_bool(0.2) {
        let phone = format!(
            "13{}{:08}",
            rng.random_range(0..10),
            rng.random_range(0..100_000_000)
        );
        answers.insert("contact.phone".to_owned(), phone);
    }
    answers
}

/// The applicant logged in, as the platform's login makes them: with their person id once the
/// registry knows them (the benchmark's applicant without, as `engine-bench` logs in).
async fn citizen(
    platform: &Platform<Db>,
    id: &IdNumber,
    engine: bool,
) -> anyhow::Result<Principal> {
    let id_index = platform.vault.id_index(id);
    let person = if engine {
        None
    } else {
        let record = platform.store.find_by_id_index(&id_index).await?;
        record.map(|r| r.person.id.0)
    };
    Ok(Principal::Citizen { id_index, person })
}

/// A member of staff of the region: accounts named as the demo accounts' user names
/// (`canlian.321302`, `township.321302001`), with the city's scope (every case is in it); the
/// benchmark's city-wide `canlian_reviewer-1`.
fn staff(engine: bool, role: Role, region: &str) -> Principal {
    if engine {
        return bench::process::staff(role.key());
    }
    let key = match role {
        Role::WindowClerk => "window",
        Role::TownshipReviewer => "township",
        Role::CanlianReviewer => "canlian",
        Role::MinzhengReviewer => "minzheng",
        Role::RensheReviewer => "renshe",
        Role::Assessor => "assessor",
        other => other.key(),
    };
    Principal::Staff {
        account: format!("{key}.{region}"),
        role,
        scope: Scope("321300".to_owned()),
    }
}
