//! What is applied for, by whom, when: every scenario of the catalog with the items its
//! applicants pick (more often those that fit their record), every item applied for alone, and
//! the benchmark's own process — in a seeded order over the year.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::calendar::WorkingCalendar;
use domain::catalog::{Catalog, Effect, ItemCode};
use domain::registry::{Person, Record};
use rand::RngExt as _;
use rand::rngs::StdRng;

use crate::clock::local_instant;
use crate::people::{self, People, Profile};

/// Cases per scenario (by code; another scenario gets [`OTHER_SCENARIO`]), at scale 100.
const SCENARIO_CASES: [(&str, u32); 5] = [
    ("first_certificate", 700),
    ("certificate_business", 350),
    ("subsidies", 450),
    ("employment_help", 200),
    ("after_death", 120),
];
const OTHER_SCENARIO: u32 = 200;
/// Cases per item applied for alone, at scale 100.
const ALONE_CASES: u32 = 25;
/// Cases of the benchmark's process, at scale 100.
pub const ENGINE_CASES: u32 = 300;

/// Applications that ignore the one-certificate-business rule (their authors learn at
/// submission).
const CARELESS: f64 = 0.03;
/// Share of applications made at the window (the rest online); guardians and agents always
/// come to the window.
const AT_WINDOW: f64 = 0.45;

/// The applications are spread over these dates (the benchmark's process runs on its own day).
const FIRST_DAY: (i32, u32, u32) = (2026, 1, 5);
const DAYS: i64 = 298;

/// Who applies.
#[derive(Debug, Clone)]
pub enum Applicant {
    /// A person of the registry (index into [`People::holders`]).
    Holder(usize),
    /// A person not in the registry.
    Newcomer(Box<Person>),
    /// The benchmark's applicant `n` (`bench::process::applicant_id`).
    Engine(u32),
}

/// One application to make.
#[derive(Debug, Clone)]
pub struct Plan {
    /// What it counts as in the report: "scenario <code>", "alone <item>" or "engine-bench".
    pub group: String,
    pub scenario: Option<String>,
    pub items: Vec<ItemCode>,
    pub applicant: Applicant,
    /// Made at the window (else online).
    pub window: bool,
    /// Made at the window by a guardian or agent.
    pub via_agent: bool,
    /// When it is submitted.
    pub at: DateTime<Utc>,
}

impl Plan {
    pub fn is_engine(&self) -> bool {
        matches!(self.applicant, Applicant::Engine(_))
    }
}

/// Every application of the corpus, in the order they are submitted.
pub fn plans(
    catalog: &Catalog,
    calendar: &WorkingCalendar,
    people: &mut People,
    rng: &mut StdRng,
    scale: u32,
) -> anyhow::Result<Vec<Plan>> {
    let scaled = |n: u32| (n * scale).div_ceil(100);
    let mut plans = Vec::new();
    for scenario in &catalog.scenarios {
        let n = SCENARIO_CASES
            .iter()
            .find(|(code, _)| *code == scenario.code)
            .map_or(OTHER_SCENARIO, |(_, n)| *n);
        let new_certificate = scenario
            .required
            .iter()
            .any(|c| is_new_certificate(catalog, c));
        let offered: Vec<&ItemCode> = scenario.required.iter().chain(&scenario.optional).collect();
        for _ in 0..scaled(n) {
            let day = a_day(rng);
            let applicant = applicant(people, rng, new_certificate, &offered, day)?;
            let Some((person, record)) = person_of(people, &applicant) else {
                continue;
            };
            let profile = Profile::of(person, record, day);
            let interest = |c: &ItemCode| people::interest(c.as_str(), person, record, &profile);
            let mut items = scenario.required.clone();
            items.extend(pick(catalog, rng, &scenario.optional, &interest));
            if items.is_empty() {
                // Nothing tempted them: the item on offer they are most interested in.
                let best = scenario
                    .optional
                    .iter()
                    .max_by(|a, b| interest(a).total_cmp(&interest(b)));
                items.extend(best.cloned());
            }
            let group = format!("scenario {}", scenario.code);
            let plan = plan(
                rng,
                calendar,
                group,
                Some(&scenario.code),
                items,
                applicant,
                people,
                day,
            );
            plans.push(plan);
        }
    }
    for item in catalog.items() {
        for _ in 0..scaled(ALONE_CASES) {
            // Items that need no certificate are applied for by newcomers too.
            let new_certificate = is_new_certificate(catalog, &item.code)
                || (item.prerequisites.is_empty()
                    && !item.effect.is_certificate()
                    && rng.random_bool(0.3));
            let day = a_day(rng);
            let applicant = applicant(people, rng, new_certificate, &[&item.code], day)?;
            let group = format!("alone {}", item.code);
            let items = vec![item.code.clone()];
            plans.push(plan(
                rng, calendar, group, None, items, applicant, people, day,
            ));
        }
    }
    plans.sort_by_key(|p| p.at);

    // The benchmark's process on the benchmark's day, from 09:00 on, at the benchmark's pace.
    let start = testkit::morning(bench::process::DATE) + Duration::milliseconds(200);
    let items = bench::process::ITEMS
        .iter()
        .map(|c| ItemCode::parse(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for n in 0..scaled(ENGINE_CASES) {
        plans.push(Plan {
            group: "engine-bench".to_owned(),
            scenario: None,
            items: items.clone(),
            applicant: Applicant::Engine(n),
            window: false,
            via_agent: false,
            at: start
                + Duration::nanoseconds(i64::from(n) * 600_000 + rng.random_range(0..500_000)),
        });
    }
    Ok(plans)
}

/// A day of the simulated year.
fn a_day(rng: &mut StdRng) -> NaiveDate {
    first_day() + Duration::days(rng.random_range(0..DAYS))
}

fn first_day() -> NaiveDate {
    let (y, m, d) = FIRST_DAY;
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn is_new_certificate(catalog: &Catalog, code: &ItemCode) -> bool {
    catalog
        .item(code)
        .is_some_and(|i| matches!(i.effect, Effect::CertificateNew))
}

/// A newcomer for a new certificate (now and then a holder, who is refused at submission), a
/// holder who fits the items on offer otherwise.
fn applicant(
    people: &mut People,
    rng: &mut StdRng,
    new_certificate: bool,
    offered: &[&ItemCode],
    on: NaiveDate,
) -> anyhow::Result<Applicant> {
    if new_certificate && rng.random_bool(0.97) {
        let person = people
            .newcomer()
            .ok_or_else(|| anyhow::anyhow!("not enough newcomers generated"))?;
        return Ok(Applicant::Newcomer(Box::new(person)));
    }
    // Those the items fit apply far more often: weighted by the square of their interest.
    let cancel = offered.iter().any(|c| c.as_str() == "cert.cancel");
    let k = people.holder(rng, |r| {
        if r.person.status.deceased && !cancel {
            return 0.0;
        }
        let p = Profile::of(&r.person, Some(r), on);
        let interest = offered
            .iter()
            .map(|c| people::interest(c.as_str(), &r.person, Some(r), &p))
            .fold(0.0, f64::max);
        interest * interest
    });
    Ok(Applicant::Holder(k))
}

/// The person applying and their registry record (none for the benchmark's applicant).
pub fn person_of<'a>(
    people: &'a People,
    a: &'a Applicant,
) -> Option<(&'a Person, Option<&'a Record>)> {
    match a {
        Applicant::Holder(k) => people.holders.get(*k).map(|r| (&r.person, Some(r))),
        Applicant::Newcomer(p) => Some((p, None)),
        Applicant::Engine(_) => None,
    }
}

/// The optional items a person picks: each with their interest in it (more likely if an item
/// picked before establishes one of its prerequisites other than the certificate, as the form
/// suggests), at most one of an exclusive group (unless careless), none of the items that must
/// be applied for alone.
fn pick(
    catalog: &Catalog,
    rng: &mut StdRng,
    optional: &[ItemCode],
    interest: &dyn Fn(&ItemCode) -> f64,
) -> Vec<ItemCode> {
    let careless = rng.random_bool(CARELESS);
    let mut picked: Vec<ItemCode> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for code in optional {
        let Some(item) = catalog.item(code) else {
            continue;
        };
        let follows = item.prerequisites.iter().any(|pre| {
            pre.satisfied_by.iter().any(|s| {
                picked.contains(s) && !catalog.item(s).is_some_and(|i| i.effect.is_certificate())
            })
        });
        let p = if follows {
            interest(code).max(0.6)
        } else {
            interest(code)
        };
        if item.exclusive || !rng.random_bool(p.clamp(0.0, 1.0)) {
            continue;
        }
        if let Some(g) = &item.exclusive_group {
            if groups.contains(g) && !careless {
                continue;
            }
            groups.push(g.clone());
        }
        picked.push(code.clone());
    }
    picked
}

/// The plan, made online any day from 07:00 to 23:00 or at the window in office hours on a
/// working day (guardians and agents always at the window).
#[expect(clippy::too_many_arguments, reason = "the parts of a plan")]
fn plan(
    rng: &mut StdRng,
    calendar: &WorkingCalendar,
    group: String,
    scenario: Option<&str>,
    items: Vec<ItemCode>,
    applicant: Applicant,
    people: &People,
    day: NaiveDate,
) -> Plan {
    let via_agent = person_of(people, &applicant)
        .is_some_and(|(p, _)| p.status.deceased || !p.guardians.is_empty());
    let window = via_agent || rng.random_bool(AT_WINDOW);
    let at = if !window {
        local_instant(rng, day, 7, 23)
    } else if calendar.is_working_day(day) {
        local_instant(rng, day, 9, 17)
    } else {
        local_instant(rng, calendar.add_working_days(day, 1).value, 9, 17)
    };
    Plan {
        group,
        scenario: scenario.map(str::to_owned),
        items,
        applicant,
        window,
        via_agent,
        at,
    }
}
