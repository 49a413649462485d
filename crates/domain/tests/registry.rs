//! Certificate events update the registry and cascade to the benefits that depend on them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::{PersonBuilder, code, date};
use domain::catalog::Period;
use domain::ids::{DisabilityCategory, DisabilityGrade};
use domain::region::RegionCode;
use domain::registry::{Benefit, BenefitStatus, Record, RegistryChange, RegistryEffect};
use domain::time::YearMonth;

fn benefit(id: &str, item: &str) -> Benefit {
    Benefit {
        id: id.into(),
        item: code(item),
        status: BenefitStatus::Active,
        amount_fen: 13000,
        period: Period::Month,
        recurring: true,
        start: YearMonth {
            year: 2025,
            month: 1,
        },
        end: None,
        paying_unit: RegionCode::parse("321302").unwrap(),
        stop_reason: None,
        case_id: None,
    }
}

fn record_with_benefits(category: DisabilityCategory, grade: u8) -> Record {
    let mut r = PersonBuilder::born("1980-05-01")
        .certificate(category, grade)
        .record();
    r.benefits = vec![
        benefit("b-nursing", "subsidy.nursing"),
        benefit("b-pension", "pension.subsidy"),
    ];
    r.person.status.employment_difficulty = true;
    r
}

fn apply(r: &Record, effect: RegistryEffect) -> Vec<RegistryChange> {
    let catalog = common::catalog();
    let mut n = 0;
    r.apply(&effect, &catalog, "case-1", &mut || {
        n += 1;
        format!("new-{n}")
    })
}

#[test]
fn cancellation_stops_every_dependent_benefit_from_the_next_month() {
    let r = record_with_benefits(DisabilityCategory::Physical, 1);
    let changes = apply(
        &r,
        RegistryEffect::CancelCertificate {
            on: date("2026-11-20"),
            reason: "持证人死亡".into(),
        },
    );
    let cert = changes.iter().find_map(|c| match c {
        RegistryChange::CertificateSet(c) => Some(c),
        _ => None,
    });
    assert_eq!(
        cert.unwrap().status,
        domain::registry::CertificateStatus::Cancelled
    );
    let stopped: Vec<_> = changes
        .iter()
        .filter_map(|c| match c {
            RegistryChange::BenefitStopped {
                id,
                last_month,
                reason,
            } => Some((id.as_str(), *last_month, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(stopped.len(), 2);
    for (_, last, reason) in &stopped {
        assert_eq!(
            *last,
            YearMonth {
                year: 2026,
                month: 11
            },
            "paid for November, stopped from December"
        );
        assert!(reason.contains("2026年12月起停发"), "{reason}");
    }
}

#[test]
fn transfer_moves_the_certificate_and_the_paying_area() {
    let r = record_with_benefits(DisabilityCategory::Physical, 1);
    let to = RegionCode::parse("321322").unwrap();
    let changes = apply(
        &r,
        RegistryEffect::TransferCertificate {
            to_unit: to.clone(),
            on: date("2026-11-20"),
        },
    );
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, RegistryChange::CertificateSet(c) if c.unit == to))
    );
    let moved = changes
        .iter()
        .filter(|c| matches!(c, RegistryChange::BenefitMoved { to_unit, .. } if *to_unit == to))
        .count();
    assert_eq!(moved, 2);
}

#[test]
fn a_grade_change_rechecks_the_benefits_that_depend_on_the_grade() {
    // Visual grade 2 → 3: the nursing subsidy (grades 1–2) and the pension subsidy (grades 1–2)
    // no longer apply; they stop from next month with the rule's explanation.
    let r = record_with_benefits(DisabilityCategory::Visual, 2);
    let changes = apply(
        &r,
        RegistryEffect::ChangeCertificate {
            category: DisabilityCategory::Visual,
            grade: DisabilityGrade::new(3).unwrap(),
            lower_limb: false,
            on: date("2026-11-20"),
        },
    );
    let new_number = changes.iter().find_map(|c| match c {
        RegistryChange::CertificateSet(c) => Some(c.number.clone()),
        _ => None,
    });
    assert_eq!(new_number.unwrap().grade().get(), 3);
    let stopped: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            RegistryChange::BenefitStopped { id, reason, .. } => Some(format!("{id}: {reason}")),
            _ => None,
        })
        .collect();
    assert_eq!(stopped.len(), 2, "{stopped:?}");
    assert!(
        stopped
            .iter()
            .any(|s| s.starts_with("b-nursing") && s.contains("三级")),
        "{stopped:?}"
    );

    // Visual 2 → intellectual 1: both still apply, nothing stops.
    let changes = apply(
        &r,
        RegistryEffect::ChangeCertificate {
            category: DisabilityCategory::Intellectual,
            grade: DisabilityGrade::new(1).unwrap(),
            lower_limb: false,
            on: date("2026-11-20"),
        },
    );
    assert!(
        !changes
            .iter()
            .any(|c| matches!(c, RegistryChange::BenefitStopped { .. }))
    );
}

#[test]
fn reissue_appends_the_b_suffix_and_issue_starts_a_ten_year_validity() {
    let r = record_with_benefits(DisabilityCategory::Physical, 1);
    let changes = apply(
        &r,
        RegistryEffect::ReissueCertificate {
            on: date("2026-11-20"),
        },
    );
    let RegistryChange::CertificateSet(c) = &changes[0] else {
        panic!()
    };
    assert_eq!(c.number.reissue(), Some(1));
    assert!(c.number.as_string().ends_with("B1"));

    let nobody = PersonBuilder::born("1980-05-01").record();
    let changes = apply(
        &nobody,
        RegistryEffect::IssueCertificate {
            category: DisabilityCategory::Hearing,
            grade: DisabilityGrade::new(2).unwrap(),
            lower_limb: false,
            on: date("2026-11-20"),
            unit: RegionCode::parse("321302").unwrap(),
        },
    );
    let RegistryChange::CertificateSet(c) = &changes[0] else {
        panic!()
    };
    assert_eq!(c.valid_until, date("2036-11-20"));
    assert!(c.number.as_string().ends_with("22"), "category 2, grade 2");
}
