//! Eligibility rules, table-driven, with their explanations.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::{PersonBuilder, code, date};
use domain::catalog::Catalog;
use domain::ids::DisabilityCategory::{self, *};
use domain::registry::{Assistance, Benefit, BenefitStatus};
use domain::rules::{self, Verdict};
use domain::time::YearMonth;

fn verdict(catalog: &Catalog, item: &str, person: &PersonBuilder, on: &str) -> (Verdict, String) {
    let item = catalog.item(&code(item)).unwrap();
    let e = rules::evaluate(catalog, item, &person.facts(on), date(on), &[]);
    (e.verdict, e.summary)
}

fn holder(category: DisabilityCategory, grade: u8) -> PersonBuilder {
    PersonBuilder::born("1980-05-01").certificate(category, grade)
}

#[test]
fn nursing_subsidy_by_grade_and_category() {
    let catalog = common::catalog();
    let table: &[(DisabilityCategory, u8, Verdict, &str)] = &[
        (Physical, 1, Verdict::Eligible, "一级"),
        (Visual, 2, Verdict::Eligible, "二级"),
        (Visual, 3, Verdict::NotEligible, "残疾等级：三级"),
        (Hearing, 4, Verdict::NotEligible, "四级"),
        // Extended by sample configuration to grade 3–4 intellectual and mental disability.
        (Intellectual, 3, Verdict::Eligible, "智力残疾"),
        (Mental, 4, Verdict::Eligible, "精神残疾"),
    ];
    for (category, grade, expected, phrase) in table {
        let (v, summary) = verdict(
            &catalog,
            "subsidy.nursing",
            &holder(*category, *grade),
            "2026-11-02",
        );
        assert_eq!(v, *expected, "{category:?} {grade}: {summary}");
        assert!(summary.contains(phrase), "{category:?} {grade}: {summary}");
    }
    let (_, summary) = verdict(
        &catalog,
        "subsidy.nursing",
        &holder(Visual, 3),
        "2026-11-02",
    );
    assert!(
        summary.contains("国发〔2015〕52号"),
        "the explanation cites its source: {summary}"
    );
    assert!(summary.contains("重度残疾"), "{summary}");
}

#[test]
fn living_subsidy_is_for_dibao_households_and_never_with_tekun() {
    let catalog = common::catalog();
    let table: &[(Assistance, Verdict)] = &[
        (Assistance::Dibao, Verdict::Eligible),
        (Assistance::LowIncome, Verdict::Eligible),
        (Assistance::None, Verdict::NotEligible),
        (Assistance::Tekun, Verdict::NotEligible),
    ];
    for (assistance, expected) in table {
        let p = holder(Physical, 3).assistance(*assistance);
        let (v, summary) = verdict(&catalog, "subsidy.living", &p, "2026-11-02");
        assert_eq!(v, *expected, "{assistance:?}: {summary}");
    }
    let (_, summary) = verdict(
        &catalog,
        "subsidy.living",
        &holder(Physical, 3).assistance(Assistance::Tekun),
        "2026-11-02",
    );
    assert!(summary.contains("特困人员救助供养"), "{summary}");
}

#[test]
fn pension_subsidy_stops_at_sixty_and_for_students() {
    let catalog = common::catalog();
    let on = "2026-11-02";
    let table: &[(&str, bool, Verdict)] = &[
        ("1966-11-03", false, Verdict::Eligible), // 59 the day before the 60th birthday
        ("1966-11-02", false, Verdict::NotEligible), // 60 on the day of application
        ("2010-11-02", false, Verdict::Eligible), // 16
        ("2010-11-03", false, Verdict::NotEligible), // 15
        ("2000-01-01", true, Verdict::NotEligible), // a student
    ];
    for (birth, student, expected) in table {
        let mut p = PersonBuilder::born(birth).certificate(Physical, 1);
        if *student {
            p = p.student();
        }
        let (v, summary) = verdict(&catalog, "pension.subsidy", &p, on);
        assert_eq!(v, *expected, "{birth} student={student}: {summary}");
        if *expected == Verdict::NotEligible {
            assert!(
                summary.contains("年龄") || summary.contains("学生"),
                "{summary}"
            );
        }
    }
    let (_, summary) = verdict(
        &catalog,
        "pension.subsidy",
        &PersonBuilder::born("1966-11-02").certificate(Physical, 1),
        on,
    );
    assert!(
        summary.contains("60周岁"),
        "the explanation names the age found: {summary}"
    );
}

#[test]
fn fuel_subsidy_only_for_physical_disability_and_once_a_calendar_year() {
    let catalog = common::catalog();
    let with_wheelchair = |p: PersonBuilder| p.status(|s| s.owns_motorised_wheelchair = Some(true));
    let (v, s) = verdict(
        &catalog,
        "fuel.subsidy",
        &with_wheelchair(holder(Physical, 2)),
        "2026-11-02",
    );
    assert_eq!(v, Verdict::Eligible, "{s}");
    let (v, s) = verdict(
        &catalog,
        "fuel.subsidy",
        &with_wheelchair(holder(Visual, 1)),
        "2026-11-02",
    );
    assert_eq!(v, Verdict::NotEligible, "{s}");
    assert!(s.contains("肢体"), "{s}");

    // Granted in March 2026: refused again in 2026, eligible in 2027.
    let granted = Benefit {
        id: "b-1".into(),
        item: code("fuel.subsidy"),
        status: BenefitStatus::Stopped,
        amount_fen: 26000,
        period: domain::catalog::Period::Year,
        recurring: false,
        start: YearMonth {
            year: 2026,
            month: 3,
        },
        end: Some(YearMonth {
            year: 2026,
            month: 3,
        }),
        paying_unit: domain::region::RegionCode::parse("321302").unwrap(),
        stop_reason: None,
        case_id: None,
    };
    let mut record = with_wheelchair(holder(Physical, 2)).record();
    record.benefits.push(granted);
    let item = catalog.item(&code("fuel.subsidy")).unwrap();
    let unit = domain::region::RegionCode::parse("321302").unwrap();
    let e = rules::evaluate(
        &catalog,
        item,
        &record.facts(date("2026-11-02"), &unit),
        date("2026-11-02"),
        &[],
    );
    assert_eq!(e.verdict, Verdict::NotEligible, "{}", e.summary);
    assert!(e.summary.contains("每年只能领取一次"), "{}", e.summary);
    let e = rules::evaluate(
        &catalog,
        item,
        &record.facts(date("2027-01-04"), &unit),
        date("2027-01-04"),
        &[],
    );
    assert_eq!(e.verdict, Verdict::Eligible, "{}", e.summary);
}

#[test]
fn missing_facts_give_not_yet_with_what_is_missing() {
    let catalog = common::catalog();
    // Whether the person owns a motorised wheelchair is not in the registry: the form must say.
    let (v, s) = verdict(&catalog, "fuel.subsidy", &holder(Physical, 2), "2026-11-02");
    assert_eq!(v, Verdict::NotYet, "{s}");
    assert!(s.contains("机动轮椅车"), "{s}");
}

#[test]
fn the_compiled_registry_scan_and_the_quick_check_agree_with_the_single_person_evaluation() {
    let catalog = common::catalog();
    let on = date("2026-11-02");
    let mut people = Vec::new();
    for (i, category) in DisabilityCategory::ALL.iter().enumerate() {
        for grade in 1..=4u8 {
            for assistance in [Assistance::None, Assistance::Dibao, Assistance::Tekun] {
                let birth = format!(
                    "{}-03-0{}",
                    1950 + i * 9 + usize::from(grade),
                    1 + usize::from(grade)
                );
                people.push(
                    PersonBuilder::born(&birth)
                        .certificate(*category, grade)
                        .assistance(assistance),
                );
            }
        }
    }
    people.push(PersonBuilder::born("1990-01-01"));
    for item in catalog.items() {
        let program = rules::scan_program(&catalog, item, on).unwrap();
        let mut table = rules::FactTable::with_capacity(people.len());
        for p in &people {
            table.push(&rules::FactRow::encode(&p.facts("2026-11-02"), &catalog));
        }
        let (yes, no) = program.eval_table(&table);
        for (row, p) in people.iter().enumerate() {
            let single = rules::evaluate(&catalog, item, &p.facts("2026-11-02"), on, &[]).verdict;
            let bit = |words: &[u64]| (words[row / 64] >> (row % 64)) & 1 == 1;
            let scanned = match (bit(&yes), bit(&no)) {
                (true, _) => Verdict::Eligible,
                (_, true) => Verdict::NotEligible,
                _ => Verdict::NotYet,
            };
            assert_eq!(scanned, single, "{} row {row}", item.code);
            let quick = rules::quick_check(&catalog, item, &p.facts("2026-11-02"), on, &[]).verdict;
            assert_eq!(
                quick, single,
                "{} row {row}: the quick check agrees",
                item.code
            );
        }
    }
}
