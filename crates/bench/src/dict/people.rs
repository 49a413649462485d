//! Who applies: the synthetic registry `serve --mode demo` seeds (`service::demo`), split into
//! certificate holders, stored in the registry before the first case, and newcomers, who are
//! not in the registry and apply for their first certificate; and which items fit whom.

use chrono::{Months, NaiveDate};
use domain::ids::DisabilityCategory;
use domain::region::RegionTree;
use domain::registry::{BenefitStatus, Person, Record};
use rand::RngExt as _;
use rand::rngs::StdRng;

/// The registry's "today": nobody in it is born, issued a certificate or paid after this date.
pub const REGISTRY_DAY: (i32, u32, u32) = (2026, 1, 4);

/// The applicants.
#[derive(Debug)]
pub struct People {
    /// Persons of the registry (most hold a certificate), as generated.
    pub holders: Vec<Record>,
    /// Persons not in the registry yet, each used once.
    newcomers: Vec<Person>,
    next: usize,
}

impl People {
    /// `holders` registry records and `newcomers` other persons, from the demo generator.
    pub fn generate(regions: &RegionTree, seed: u64, holders: usize, newcomers: usize) -> Self {
        let (y, m, d) = REGISTRY_DAY;
        let spec = service::demo::DemoSpec {
            persons: holders + newcomers,
            seed,
            today: NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default(),
        };
        let mut records = service::demo::generate(regions, &spec);
        let newcomers = records
            .split_off(holders.min(records.len()))
            .into_iter()
            .map(|r| r.person)
            .collect();
        Self {
            holders: records,
            newcomers,
            next: 0,
        }
    }

    /// The next newcomer, if any is left.
    pub fn newcomer(&mut self) -> Option<Person> {
        let p = self.newcomers.get(self.next).cloned();
        self.next += 1;
        p
    }

    /// A holder, drawn with probability proportional to `weight`.
    pub fn holder(&self, rng: &mut StdRng, weight: impl Fn(&Record) -> f64) -> usize {
        let weights: Vec<f64> = self.holders.iter().map(|r| weight(r).max(0.0)).collect();
        let total: f64 = weights.iter().sum();
        let mut x = rng.random::<f64>() * total;
        for (k, w) in weights.iter().enumerate() {
            if x < *w {
                return k;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// What a person is like, for choosing items and answering the form.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// Not in the registry yet.
    pub newcomer: bool,
    pub age: u32,
    /// The certificate's status on the date, `None` without one.
    pub certificate: Option<&'static str>,
    /// The certificate expires within six months.
    pub expiring: bool,
    pub category: Option<DisabilityCategory>,
    pub grade: u8,
    pub lower_limb: bool,
}

impl Profile {
    pub fn of(person: &Person, record: Option<&Record>, on: NaiveDate) -> Self {
        let cert = record.and_then(|r| r.certificate.as_ref());
        let soon = on.checked_add_months(Months::new(6)).unwrap_or(on);
        Self {
            newcomer: record.is_none(),
            age: person.id_number.age_on(on),
            certificate: cert.map(|c| c.status_on(on)),
            expiring: cert.is_some_and(|c| c.valid_until <= soon),
            category: cert.map(|c| c.category),
            grade: cert.map_or(0, |c| c.grade.get()),
            lower_limb: cert.is_some_and(|c| c.lower_limb),
        }
    }

    pub fn severe(&self) -> bool {
        self.grade == 1
            || self.grade == 2
            || matches!(
                self.category,
                Some(DisabilityCategory::Intellectual | DisabilityCategory::Mental)
            )
    }
}

/// How likely a person is to apply for an item (in a scenario that offers it): high where the
/// item fits their record, low where it does not (those are the applications a reviewer
/// rejects). Of a newcomer the registry knows nothing: what their certificate will say is
/// unknown, and the subsidies that depend on it may well fit.
pub fn interest(code: &str, person: &Person, record: Option<&Record>, p: &Profile) -> f64 {
    let s = &person.status;
    let receiving = record.is_some_and(|r| {
        r.benefits
            .iter()
            .any(|b| b.item.as_str() == code && b.recurring && b.status == BenefitStatus::Active)
    });
    let unknown = p.newcomer;
    let active = unknown || p.certificate == Some("active");
    let holds = p.certificate.is_some_and(|c| c != "cancelled");
    let working_age = (16..60).contains(&p.age);
    let (fits, likely, unlikely) = match code {
        "cert.new" => (p.certificate.is_none(), 1.0, 0.02),
        "cert.renew" => (
            matches!(p.certificate, Some("expired")) || (p.expiring && active),
            0.8,
            0.03,
        ),
        "cert.reissue" => (matches!(p.certificate, Some("lost")), 0.8, 0.03),
        "cert.transfer" => (matches!(p.certificate, Some("frozen")), 0.8, 0.01),
        "cert.change" => (p.certificate == Some("active") && p.grade >= 2, 0.12, 0.02),
        "cert.cancel" if !holds => (false, 0.0, 0.01),
        "cert.cancel" if s.deceased => (true, 0.9, 0.0),
        "cert.cancel" => (p.age >= 75, 0.3, 0.02),
        "subsidy.living" => (
            active && matches!(person.household.assistance.key(), "dibao" | "low_income"),
            0.6,
            0.04,
        ),
        "subsidy.nursing" if unknown => (true, 0.3, 0.0),
        "subsidy.nursing" => (active && p.severe(), 0.5, 0.05),
        "pension.subsidy" => (
            active && working_age && (unknown || p.grade <= 2),
            0.45,
            0.03,
        ),
        "education.subsidy" => (active && s.student && p.age >= 15, 0.7, 0.01),
        "fuel.subsidy" => (
            active && s.owns_motorised_wheelchair == Some(true) && (unknown || p.lower_limb),
            0.7,
            0.02,
        ),
        "employment.unemployment" => (
            working_age && s.able_to_work == Some(true) && s.employed == Some(false),
            0.5,
            0.03,
        ),
        // The registry does not know a newcomer's 失业登记: they apply for it with this one.
        "employment.difficulty" => (
            !unknown && active && s.registered_unemployed && !s.employment_difficulty,
            0.5,
            0.03,
        ),
        "employment.sscard" => (!s.has_sscard, 0.6, 0.02),
        _ => (false, 0.2, 0.2),
    };
    let p = if fits { likely } else { unlikely };
    if receiving { p * 0.1 } else { p }
}
