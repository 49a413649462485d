//! A case's next turn: what the case awaits, and who does what about it — in the realistic mix
//! of [`crate::choices`], or as the benchmark's process does (everything approved at once).

use std::collections::BTreeSet;

use domain::catalog::{Catalog, StepKind};
use domain::ids::{DisabilityCategory, DisabilityGrade};
use domain::workflow::{
    Assessment, Case, CaseStatus, Decision, ItemStatus, SupplementScope, TaskStatus,
};
use rand::RngExt as _;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom as _;

use crate::choices::{self, one};
use crate::plan::Plan;

/// What happens next on a case.
#[derive(Debug)]
pub enum Action {
    Accept,
    Refuse(String),
    AskForSupplement(Vec<String>, String),
    Supplement(SupplementScope),
    Withdraw(String),
    Decide(String, Decision),
}

/// The next action on a case and how many working days after the last it happens; `None` if
/// nothing can be done.
pub fn next(
    rng: &mut StdRng,
    catalog: &Catalog,
    case: &Case,
    plan: &Plan,
    returned: &BTreeSet<String>,
    asked_late: &mut bool,
) -> Option<(Action, u32)> {
    let engine = plan.is_engine();
    let x: f64 = if engine { 1.0 } else { rng.random() };
    let items = case.items.iter().map(|i| &i.code);
    let withdrawal = |rng: &mut StdRng| Action::Withdraw(one(rng, &choices::WITHDRAWALS));
    match case.status {
        CaseStatus::Submitted => {
            // 一次性告知: once.
            let ask = if case.intake.supplement_rounds == 0 {
                choices::INTAKE_SUPPLEMENT
            } else {
                0.0
            };
            let refuse = ask + choices::INTAKE_REFUSAL;
            let days = if plan.window {
                0
            } else {
                rng.random_range(0..=2)
            };
            Some(if x < ask {
                let reason = one(rng, &choices::INTAKE_SUPPLEMENTS);
                (
                    Action::AskForSupplement(choices::materials(rng, catalog, items, 3), reason),
                    days,
                )
            } else if x < refuse {
                (Action::Refuse(one(rng, &choices::REFUSALS)), days)
            } else if x < refuse + choices::EARLY_WITHDRAWAL {
                (withdrawal(rng), days)
            } else {
                (Action::Accept, days)
            })
        }
        CaseStatus::AwaitingSupplement => Some(if x < choices::WITHDRAW_WHEN_ASKED {
            (withdrawal(rng), rng.random_range(1..=10))
        } else {
            (
                Action::Supplement(SupplementScope::Case),
                rng.random_range(1..=6),
            )
        }),
        CaseStatus::InProgress => {
            if x < choices::WITHDRAWAL {
                return Some((withdrawal(rng), rng.random_range(0..=5)));
            }
            if !*asked_late && x < choices::WITHDRAWAL + choices::LATE_CASE_SUPPLEMENT {
                *asked_late = true;
                let reason = one(rng, &choices::LATE_SUPPLEMENTS);
                let missing = choices::materials(rng, catalog, items, 2);
                return Some((
                    Action::AskForSupplement(missing, reason),
                    rng.random_range(1..=3),
                ));
            }
            let waiting: Vec<_> = case
                .items
                .iter()
                .filter(|i| i.status == ItemStatus::Returned)
                .map(|i| i.code.clone())
                .collect();
            let open: Vec<_> = case
                .tasks
                .iter()
                .filter(|t| t.status == TaskStatus::Open)
                .collect();
            if !waiting.is_empty() && (open.is_empty() || rng.random_bool(0.5)) {
                let code = waiting.choose(rng)?.clone();
                return Some((
                    Action::Supplement(SupplementScope::Item(code)),
                    rng.random_range(1..=8),
                ));
            }
            let task = open.choose(rng)?;
            let decision = if engine {
                engine_decision(task.kind)
            } else {
                choices::decision(rng, catalog, case, task, returned.contains(&task.id))
            };
            let step = catalog
                .item(&task.item)
                .and_then(|i| i.step(task.step_index));
            let days = match task.kind {
                StepKind::Publicity => step.and_then(|s| s.publicity_days).unwrap_or(7),
                StepKind::Assessment => rng.random_range(2..=10),
                _ => rng.random_range(0..=3),
            };
            Some((Action::Decide(task.id.clone(), decision), days))
        }
        CaseStatus::Refused | CaseStatus::Withdrawn | CaseStatus::Concluded => None,
    }
}

/// The benchmark's decisions: everything approved, the assessment 肢体一级 (lower limb).
fn engine_decision(kind: StepKind) -> Decision {
    let assessment = (kind == StepKind::Assessment).then(|| Assessment {
        category: DisabilityCategory::Physical,
        grade: DisabilityGrade::ALL[0],
        lower_limb: true,
    });
    Decision::Approve {
        assessment,
        note: None,
    }
}
