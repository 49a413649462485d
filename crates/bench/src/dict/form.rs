//! The application form as each applicant fills it in: their answers where the form asks
//! (following their record: household, schooling, employment, wheelchair), the rest as
//! `testkit::application` fills it in; a guardian or agent's details when one applies for them.

use std::collections::BTreeMap;

use anyhow::anyhow;
use domain::application;
use domain::catalog::{Catalog, ItemCode};
use domain::ids::IdNumber;
use domain::registry::Person;
use rand::RngExt as _;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom as _;
use service::SubmitRequest;

use crate::people::People;
use crate::plan::{self, Applicant, Plan};

/// The applicant's ID number and their application.
pub fn request(
    catalog: &Catalog,
    people: &People,
    plan: &Plan,
    rng: &mut StdRng,
) -> anyhow::Result<(IdNumber, SubmitRequest)> {
    use bench::process::{ANSWERS, APPLICANT_NAME, ITEMS, applicant_id};
    if let Applicant::Engine(n) = plan.applicant {
        let id = applicant_id(n);
        let request = testkit::application(catalog, &id, APPLICANT_NAME, &ITEMS, &ANSWERS);
        return Ok((id, request));
    }
    let (person, _) = plan::person_of(people, &plan.applicant)
        .ok_or_else(|| anyhow!("no applicant for a {} case", plan.group))?;
    let agent = plan.via_agent.then(|| agent(rng, person));
    let request = application(
        catalog,
        rng,
        person,
        &plan.items,
        plan.scenario.as_deref(),
        agent.as_ref(),
    );
    Ok((person.id_number.clone(), request))
}

fn yes(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

/// The application of a person for items: their answers where the form asks (the rest as
/// `testkit::application` fills it in), for a guardian or agent at the window if `agent`.
fn application(
    catalog: &Catalog,
    rng: &mut StdRng,
    person: &Person,
    items: &[ItemCode],
    scenario: Option<&str>,
    agent: Option<&Agent>,
) -> SubmitRequest {
    let s = &person.status;
    let mut a: BTreeMap<&str, String> = BTreeMap::new();
    a.insert("applicant.hukou_region", person.hukou.to_string());
    if let Some(address) = &person.address {
        a.insert("applicant.address", address.clone());
    }
    if let Some(phone) = &person.phone {
        a.insert("contact.phone", phone.clone());
    }
    a.insert("household.urban", yes(person.household.urban));
    if let Some(account) = &person.bank_account {
        a.insert("payment.bank_account", account.clone());
    }
    a.insert("pension.subsidy.student", yes(s.student));
    a.insert(
        "pension.subsidy.employee_pension",
        yes(s.in_employee_pension),
    );
    a.insert(
        "fuel.subsidy.owns_wheelchair",
        yes(s.owns_motorised_wheelchair == Some(true)),
    );
    let stage = s.education_stage.as_deref().unwrap_or("high_school");
    let stage = if stage == "compulsory" || stage == "none" {
        "high_school"
    } else {
        stage
    };
    a.insert("education.subsidy.stage", stage.to_owned());
    a.insert(
        "employment.unemployment.employed",
        yes(s.employed == Some(true)),
    );
    a.insert(
        "employment.unemployment.able",
        yes(s.able_to_work != Some(false)),
    );
    a.insert("cert.renew.damaged", yes(rng.random_bool(0.3)));
    let pick =
        |rng: &mut StdRng, options: &[&str]| (*options.choose(rng).unwrap_or(&"other")).to_owned();
    let care = pick(rng, &["home", "home", "home", "day_care", "institution"]);
    a.insert("subsidy.nursing.care_mode", care);
    let cause = pick(
        rng,
        &[
            "congenital",
            "illness",
            "illness",
            "injury",
            "other",
            "unknown",
        ],
    );
    a.insert("cert.new.cause", cause);
    let reason = if s.deceased {
        "death".to_owned()
    } else {
        pick(rng, &["recovered", "other"])
    };
    a.insert("cert.cancel.reason", reason);
    let delivery = pick(rng, &["window", "mail"]);
    a.insert("employment.sscard.delivery", delivery);
    if let Some(agent) = agent {
        a.insert("agent.relationship", agent.relationship.clone());
        a.insert("agent.name", agent.name.clone());
        a.insert("agent.id_number", agent.id_number.as_str().to_owned());
        a.insert("agent.phone", agent.phone.clone());
    }

    // Only what this form asks; `testkit::application` fills in the other required fields.
    let form = application::merged_form(catalog, items, agent.is_some());
    let answers: Vec<(&str, &str)> = a
        .iter()
        .filter(|(k, _)| form.field(k).is_some())
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let codes: Vec<&str> = items.iter().map(ItemCode::as_str).collect();
    let mut request =
        testkit::application(catalog, &person.id_number, &person.name, &codes, &answers);
    request.selection.scenario = scenario.map(str::to_owned);
    request.via_agent = agent.is_some();
    request
}

/// A guardian or agent applying at the window for a person.
#[derive(Debug, Clone)]
struct Agent {
    pub relationship: String,
    pub name: String,
    pub id_number: IdNumber,
    pub phone: String,
}

/// The person's recorded guardian, or else a relative (for a deceased holder) or a community
/// helper (帮办代办) with a made-up ID number of the person's county.
fn agent(rng: &mut StdRng, person: &Person) -> Agent {
    if let Some(g) = person.guardians.first() {
        return Agent {
            relationship: g.relationship.clone(),
            name: g.name.clone(),
            id_number: g.id_number.clone(),
            phone: g.phone.clone().unwrap_or_else(|| "13905271234".to_owned()),
        };
    }
    let surname: String = person.name.chars().take(1).collect();
    let given = [
        "建国", "秀英", "志强", "桂兰", "海燕", "国庆", "丽华", "文杰",
    ];
    let relationship = if person.status.deceased {
        "child"
    } else {
        "community"
    };
    let birth = format!(
        "{}{:02}{:02}",
        rng.random_range(1960..2000),
        rng.random_range(1..13),
        rng.random_range(1..29)
    );
    let county = person.id_number.address_code().to_owned();
    Agent {
        relationship: relationship.to_owned(),
        name: format!("{surname}{}", given.choose(rng).unwrap_or(&"建国")),
        id_number: testkit::id_number(&county, &birth, rng.random_range(100..1000)),
        phone: format!("139{:08}", rng.random_range(0..100_000_000)),
    }
}
