//! Loads the shipped data files for domain tests.
#![expect(dead_code, reason = "each test binary uses part of the support module")]

use std::path::{Path, PathBuf};

use domain::calendar::WorkingCalendar;
use domain::catalog::{Catalog, CatalogSources, SourceFile};
use domain::region::RegionTree;

pub fn catalog_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog")
}

/// Reads every catalog file (not regions or calendar) as the server does.
pub fn sources_from(dir: &Path) -> CatalogSources {
    let mut files = Vec::new();
    for name in [
        "catalog.toml",
        "fields.toml",
        "materials.toml",
        "sources.toml",
        "parameters.toml",
        "scenarios.toml",
    ] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        files.push(SourceFile {
            path: name.to_owned(),
            text,
        });
    }
    for entry in std::fs::read_dir(dir.join("items")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        files.push(SourceFile {
            path: format!("items/{name}"),
            text: std::fs::read_to_string(&path).unwrap(),
        });
    }
    CatalogSources {
        files,
        digest: "test".to_owned(),
    }
}

pub fn sources() -> CatalogSources {
    sources_from(&catalog_dir())
}

pub fn catalog() -> Catalog {
    match Catalog::load(&sources()) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

pub fn calendar() -> WorkingCalendar {
    let text = std::fs::read_to_string(catalog_dir().join("calendar.toml")).unwrap();
    WorkingCalendar::from_toml("calendar.toml", &text).unwrap()
}

pub fn regions() -> RegionTree {
    let text = std::fs::read_to_string(catalog_dir().join("regions.toml")).unwrap();
    RegionTree::from_toml("regions.toml", &text).unwrap()
}

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use domain::catalog::ItemCode;
use domain::ids::{self, CertificateNumber, DisabilityCategory, DisabilityGrade, IdNumber};
use domain::region::RegionCode;
use domain::registry::{
    Assistance, Certificate, CertificateStatus, Household, Person, PersonId, PersonStatus, Record,
};
use domain::rules::Facts;
use domain::workflow::{Actor, Case, CaseId, Channel, Ctx, Event, NewCase};

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// 09:00 Asia/Shanghai on a date.
pub fn at(s: &str) -> DateTime<Utc> {
    let d = date(s);
    Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).unwrap())
}

pub fn code(s: &str) -> ItemCode {
    ItemCode::parse(s).unwrap()
}

/// A valid ID number for a birth date (YYYYMMDD) with a Suqian 宿城区 address code.
pub fn id_number(birth: &str, seq: u32) -> IdNumber {
    let body = format!("321302{birth}{seq:03}");
    let check = ids::check_character(&body).unwrap();
    IdNumber::parse(&format!("{body}{check}")).unwrap()
}

/// A registry record: a person born on `birth`, 户籍 in 幸福街道 (宿城区).
pub struct PersonBuilder {
    record: Record,
}

impl PersonBuilder {
    pub fn born(birth: &str) -> Self {
        let id_number = id_number(&birth.replace('-', ""), 11);
        Self {
            record: Record {
                person: Person {
                    id: PersonId("p-1".into()),
                    sex: id_number.sex(),
                    birth_date: id_number.birth_date(),
                    id_number,
                    name: "张三".into(),
                    hukou: RegionCode::parse("321302001").unwrap(),
                    phone: None,
                    address: None,
                    bank_account: None,
                    household: Household::default(),
                    status: PersonStatus::default(),
                    guardians: vec![],
                },
                certificate: None,
                benefits: vec![],
            },
        }
    }

    pub fn certificate(mut self, category: DisabilityCategory, grade: u8) -> Self {
        let grade = DisabilityGrade::new(grade).unwrap();
        self.record.certificate = Some(Certificate {
            number: CertificateNumber::new(&self.record.person.id_number, category, grade),
            category,
            grade,
            lower_limb: category == DisabilityCategory::Physical,
            status: CertificateStatus::Active,
            issued_on: date("2020-03-01"),
            valid_until: date("2030-03-01"),
            unit: RegionCode::parse("321302").unwrap(),
            cancelled_on: None,
        });
        self
    }

    pub fn assistance(mut self, a: Assistance) -> Self {
        self.record.person.household.assistance = a;
        self
    }

    pub fn urban(mut self) -> Self {
        self.record.person.household.urban = true;
        self
    }

    pub fn student(mut self) -> Self {
        self.record.person.status.student = true;
        self
    }

    pub fn status(mut self, f: impl FnOnce(&mut PersonStatus)) -> Self {
        f(&mut self.record.person.status);
        self
    }

    pub fn record(self) -> Record {
        self.record
    }

    pub fn facts(&self, on: &str) -> Facts {
        self.record
            .facts(date(on), &RegionCode::parse("321302").unwrap())
    }
}

/// Drives cases through the engine the way the service will: events applied as recorded.
pub struct World {
    pub catalog: domain::catalog::Catalog,
    pub calendar: WorkingCalendar,
    pub regions: RegionTree,
    pub now: DateTime<Utc>,
}

pub fn clerk() -> Actor {
    Actor::Staff {
        account: "clerk-1".into(),
        role: "window_clerk".into(),
    }
}

impl World {
    pub fn new(today: &str) -> Self {
        Self {
            catalog: catalog(),
            calendar: calendar(),
            regions: regions(),
            now: at(today),
        }
    }

    pub fn ctx<'a>(&'a self, actor: &'a Actor) -> Ctx<'a> {
        Ctx {
            catalog: &self.catalog,
            calendar: &self.calendar,
            now: self.now,
            actor,
        }
    }

    pub fn submit(
        &self,
        items: &[&str],
        facts: Facts,
    ) -> Result<Case, domain::workflow::SubmitError> {
        let actor = Actor::Applicant {
            account: "p-1".into(),
        };
        let place = self
            .regions
            .handling_place(&RegionCode::parse("321302001").unwrap())
            .unwrap();
        let new = NewCase {
            id: CaseId("case-1".into()),
            applicant: PersonId("p-1".into()),
            via_agent: false,
            channel: Channel::Online,
            place,
            items: items.iter().map(|s| code(s)).collect(),
            facts,
        };
        domain::workflow::submit(&self.ctx(&actor), new).map(|(case, _)| case)
    }

    /// Applies a transition's events to the case, returning them.
    pub fn run(
        &self,
        case: &mut Case,
        actor: &Actor,
        f: impl FnOnce(
            &Case,
            &Ctx<'_>,
        ) -> Result<domain::workflow::Transition, domain::workflow::WorkflowError>,
    ) -> Vec<Event> {
        let ctx = self.ctx(actor);
        let t = f(case, &ctx).unwrap_or_else(|e| panic!("transition refused: {e}"));
        // The returned case is the fold of the events: check it while we are here.
        let mut replayed = case.clone();
        for e in &t.events {
            replayed.apply(e);
        }
        assert_eq!(
            replayed, t.case,
            "the transition's case equals its events applied"
        );
        *case = t.case;
        t.events
    }
}
