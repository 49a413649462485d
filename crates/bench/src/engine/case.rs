//! One case of the benchmark process, step by step through the use cases `serve` calls:
//! submit → accept → 残疾评定 → 审核 → 发证 → { 护理补贴 ×4 | 养老保险补助 ×2 | 燃油补贴 ×2 }
//! in parallel → the combined notice, which the last decision's transaction produces.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, anyhow, bail, ensure};
use bench::process::{ANSWERS, APPLICANT_NAME, applicant_id, staff};
use domain::access::Role;
use domain::catalog::{Catalog, ItemCode};
use domain::ids::{DisabilityCategory, DisabilityGrade, IdNumber};
use domain::workflow::{Assessment, Case, CaseId, CaseStatus, Decision, ItemResult, ItemStatus};
use service::auth::Principal;
use service::{Platform, SubmitRequest};
use store::Db;

/// The items applied for, in one application.
pub use bench::process::ITEMS;

/// Durable steps per case: submit, accept and 11 decisions.
pub const STEPS: usize = 13;

/// What each step is, by its position in a case's latency record.
pub const STEP_NAMES: [&str; STEPS] = [
    "submit",
    "accept",
    "cert.new/assess",
    "cert.new/review",
    "cert.new/issue",
    "nursing/first_review",
    "nursing/grade_check",
    "nursing/approve",
    "nursing/publicity",
    "pension/review",
    "pension/pay",
    "fuel/review",
    "fuel/grant",
];

/// The application every case submits, built once with `testkit::application`; each case puts
/// its own applicant's ID number in.
#[derive(Debug, Clone)]
pub struct Template {
    request: SubmitRequest,
    /// The answer keys that hold the applicant's ID number.
    id_keys: Vec<String>,
}

impl Template {
    pub fn new(catalog: &Catalog) -> Self {
        let placeholder = applicant_id(0);
        let request = testkit::application(catalog, &placeholder, APPLICANT_NAME, &ITEMS, &ANSWERS);
        let id_keys = request
            .answers
            .iter()
            .filter(|(_, v)| v.as_str() == placeholder.as_str())
            .map(|(k, _)| k.clone())
            .collect();
        Self { request, id_keys }
    }

    fn for_applicant(&self, id: &IdNumber) -> SubmitRequest {
        let mut request = self.request.clone();
        request.id_number = id.as_str().to_owned();
        for key in &self.id_keys {
            request.answers.insert(key.clone(), id.as_str().to_owned());
        }
        request
    }
}

/// The applicant of case `n`, logged in online.
fn applicant(platform: &Platform<Db>, n: u32) -> Principal {
    Principal::Citizen {
        id_index: platform.vault.id_index(&applicant_id(n)),
        person: None,
    }
}

/// The roles that review a department's tasks, as the permission check requires.
const REVIEWERS: [Role; 5] = [
    Role::TownshipReviewer,
    Role::CanlianReviewer,
    Role::MinzhengReviewer,
    Role::RensheReviewer,
    Role::Assessor,
];

fn approve() -> Decision {
    Decision::Approve {
        assessment: None,
        note: None,
    }
}

/// Item codes, parsed once, and the staff who act — logged in once, as at work, not for every
/// step.
#[derive(Debug, Clone)]
pub struct Codes {
    cert: ItemCode,
    nursing: ItemCode,
    pension: ItemCode,
    fuel: ItemCode,
    clerk: Principal,
    /// A city-wide reviewer of each department, by department code.
    reviewers: Vec<(&'static str, Principal)>,
}

impl Codes {
    pub fn new() -> anyhow::Result<Self> {
        let p = |c: &str| ItemCode::parse(c).map_err(|e| anyhow!("item code {c}: {e}"));
        Ok(Self {
            cert: p(ITEMS[0])?,
            nursing: p(ITEMS[1])?,
            pension: p(ITEMS[2])?,
            fuel: p(ITEMS[3])?,
            clerk: staff("window_clerk"),
            reviewers: REVIEWERS
                .into_iter()
                .filter_map(|r| Some((r.department()?, staff(r.key()))))
                .collect(),
        })
    }

    /// The reviewer of a task's department.
    fn reviewer_of(&self, department: &str) -> anyhow::Result<&Principal> {
        self.reviewers
            .iter()
            .find(|(d, _)| *d == department)
            .map(|(_, p)| p)
            .ok_or_else(|| anyhow!("no reviewer role for department {department}"))
    }
}

/// Runs case `n` to its conclusion and returns how long each of its 13 use-case calls took, in
/// microseconds, in [`STEP_NAMES`] order. Fails unless the case concluded with all four items
/// approved.
pub async fn run(
    platform: &Platform<Db>,
    template: &Template,
    codes: &Codes,
    n: u32,
) -> anyhow::Result<(CaseId, [u32; STEPS])> {
    let mut lat = [0u32; STEPS];
    let request = template.for_applicant(&applicant_id(n));

    let t = Instant::now();
    let submitted = platform
        .submit(&applicant(platform, n), request)
        .await
        .with_context(|| format!("case {n}: submit"))?;
    lat[0] = micros(t);
    let id = submitted.case_id;

    let t = Instant::now();
    let intake = platform
        .authorize_intake(&codes.clerk, &id)
        .await
        .with_context(|| format!("case {n}: authorize intake"))?;
    let mut case = platform
        .accept(&intake)
        .await
        .with_context(|| format!("case {n}: accept"))?;
    lat[1] = micros(t);

    let assessment = Assessment {
        category: DisabilityCategory::Physical,
        grade: DisabilityGrade::new(1).ok_or_else(|| anyhow!("grade 1"))?,
        lower_limb: true,
    };
    let cert_steps = [
        Decision::Approve {
            assessment: Some(assessment),
            note: None,
        },
        approve(),
        approve(),
    ];
    for (k, decision) in cert_steps.into_iter().enumerate() {
        let (task, department) = open_task(&case, &codes.cert, n)?;
        let reviewer = codes.reviewer_of(&department)?;
        let t = Instant::now();
        let authority = platform
            .authorize_task(reviewer, &task)
            .await
            .with_context(|| format!("case {n}: authorize {}", STEP_NAMES[2 + k]))?;
        case = platform
            .decide(&authority, decision)
            .await
            .with_context(|| format!("case {n}: {}", STEP_NAMES[2 + k]))?;
        lat[2 + k] = micros(t);
    }

    // The three department items proceed at once; each follows its own item's open task in the
    // case returned by its own previous decision.
    let (nursing, pension, fuel) = tokio::join!(
        item_chain(platform, &case, codes, &codes.nursing, 4, n),
        item_chain(platform, &case, codes, &codes.pension, 2, n),
        item_chain(platform, &case, codes, &codes.fuel, 2, n),
    );
    let (nursing, nursing_lat) = nursing?;
    let (pension, pension_lat) = pension?;
    let (fuel, fuel_lat) = fuel?;
    lat[5..9].copy_from_slice(&nursing_lat);
    lat[9..11].copy_from_slice(&pension_lat);
    lat[11..13].copy_from_slice(&fuel_lat);

    // The decision that finished last saw the whole case.
    let last = [nursing, pension, fuel]
        .into_iter()
        .max_by_key(|c| c.version)
        .ok_or_else(|| anyhow!("case {n}: no final state"))?;
    verify(&last, n)?;
    Ok((id, lat))
}

async fn item_chain(
    platform: &Platform<Db>,
    start: &Arc<Case>,
    codes: &Codes,
    item: &ItemCode,
    steps: usize,
    n: u32,
) -> anyhow::Result<(Arc<Case>, Vec<u32>)> {
    let mut lat = Vec::with_capacity(steps);
    let mut case = start.clone();
    for k in 0..steps {
        let (task, department) = open_task(&case, item, n)?;
        let actor = codes.reviewer_of(&department)?;
        let t = Instant::now();
        let authority = platform
            .authorize_task(actor, &task)
            .await
            .with_context(|| format!("case {n}: authorize {item} step {}", k + 1))?;
        case = platform
            .decide(&authority, approve())
            .await
            .with_context(|| format!("case {n}: {item} step {}", k + 1))?;
        lat.push(micros(t));
    }
    let status = case.item(item).map(|i| i.status);
    ensure!(
        status == Some(ItemStatus::Concluded),
        "case {n}: {item} is {status:?} after {steps} decisions"
    );
    Ok((case, lat))
}

/// The open task of an item: its id and department.
fn open_task(case: &Case, item: &ItemCode, n: u32) -> anyhow::Result<(String, String)> {
    case.active_task(item)
        .map(|t| (t.id.clone(), t.department.clone()))
        .ok_or_else(|| {
            anyhow!(
                "case {n}: no open task for {item} (case is {:?})",
                case.status
            )
        })
}

/// A counted case concluded with its combined notice, all four items approved.
pub fn verify(case: &Case, n: u32) -> anyhow::Result<()> {
    if case.status != CaseStatus::Concluded {
        bail!("case {n}: {:?}, not concluded", case.status);
    }
    let notice = case
        .notice
        .as_ref()
        .ok_or_else(|| anyhow!("case {n}: concluded without a notice"))?;
    ensure!(
        notice.items.len() == ITEMS.len()
            && notice
                .items
                .iter()
                .all(|i| i.result == ItemResult::Approved),
        "case {n}: notice {:?}",
        notice
            .items
            .iter()
            .map(|i| (i.item.as_str().to_owned(), i.result))
            .collect::<Vec<_>>()
    );
    Ok(())
}

fn micros(since: Instant) -> u32 {
    u32::try_from(since.elapsed().as_micros()).unwrap_or(u32::MAX)
}
