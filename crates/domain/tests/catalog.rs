//! The shipped catalog loads; a 15th item is a data change; broken catalogs are refused with the
//! file and the entry named.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::{PersonBuilder, code, date};
use domain::catalog::{Catalog, CatalogSources, SourceFile};
use domain::ids::DisabilityCategory;
use domain::rules::{self, Verdict};

#[test]
fn the_shipped_catalog_loads_with_all_fourteen_items_in_seven_services() {
    let catalog = common::catalog();
    let codes: Vec<&str> = catalog.items().iter().map(|i| i.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "cert.new",
            "cert.renew",
            "cert.transfer",
            "cert.reissue",
            "cert.cancel",
            "cert.change",
            "subsidy.living",
            "subsidy.nursing",
            "employment.unemployment",
            "employment.difficulty",
            "employment.sscard",
            "pension.subsidy",
            "education.subsidy",
            "fuel.subsidy",
        ]
    );
    assert_eq!(catalog.services.len(), 7);
    for item in catalog.items() {
        assert!(
            item.time_limits_sample,
            "{}: time limits are sample configuration",
            item.code
        );
        assert!(
            item.reading_note.is_some(),
            "{}: marked as our best reading",
            item.code
        );
        let steps: u32 = item.steps.iter().map(|s| s.time_limit).sum();
        assert!(steps <= item.time_limit, "{}", item.code);
    }
    assert!(
        catalog
            .scenario("first_certificate")
            .unwrap()
            .required
            .contains(&code("cert.new"))
    );
}

fn with_file(mut sources: CatalogSources, path: &str, text: &str) -> CatalogSources {
    sources.files.retain(|f| f.path != path);
    sources.files.push(SourceFile {
        path: path.to_owned(),
        text: text.to_owned(),
    });
    sources
}

fn edited(path: &str, edit: impl FnOnce(String) -> String) -> CatalogSources {
    let sources = common::sources();
    let text = sources
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap()
        .text
        .clone();
    with_file(sources, path, &edit(text))
}

fn load_error(sources: &CatalogSources) -> String {
    match Catalog::load(sources) {
        Ok(_) => panic!("the catalog should have been refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_fifteenth_item_is_a_data_change_with_a_new_rule_from_existing_operators() {
    let text = std::fs::read_to_string(
        common::catalog_dir().join("../crates/domain/tests/fixtures/transport.subsidy.toml"),
    )
    .unwrap();
    let sources = with_file(common::sources(), "items/transport.subsidy.toml", &text);
    let catalog = Catalog::load(&sources).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(catalog.items().len(), 15);
    let item = catalog.item(&code("transport.subsidy")).unwrap();
    let on = date("2026-11-02");
    let elderly_blind =
        PersonBuilder::born("1950-01-01").certificate(DisabilityCategory::Visual, 3);
    let young_blind = PersonBuilder::born("1990-01-01").certificate(DisabilityCategory::Visual, 3);
    let e = rules::evaluate(&catalog, item, &elderly_blind.facts("2026-11-02"), on, &[]);
    assert_eq!(e.verdict, Verdict::Eligible, "{}", e.summary);
    let e = rules::evaluate(&catalog, item, &young_blind.facts("2026-11-02"), on, &[]);
    assert_eq!(e.verdict, Verdict::NotEligible, "{}", e.summary);
    assert!(e.summary.contains("年龄：36周岁"), "{}", e.summary);
    // It takes part in applications like any other item: it waits for 新办 in the same application.
    let w = common::World {
        catalog,
        ..common::World::new("2026-11-02")
    };
    let mut case = w
        .submit(
            &["cert.new", "transport.subsidy"],
            PersonBuilder::born("1950-01-01").facts("2026-11-02"),
        )
        .unwrap();
    w.run(&mut case, &common::clerk(), |c, ctx| c.accept(ctx));
    assert_eq!(
        case.item(&code("transport.subsidy")).unwrap().waiting_for,
        vec![code("cert.new")]
    );
}

#[test]
fn a_dependency_cycle_refuses_to_load_and_says_where() {
    let sources = edited("items/cert.new.toml", |t| {
        t + "\n[[prerequisite]]\nlabel = \"循环\"\ntest = { fact = \"person.registered_unemployed\", op = \"is_true\" }\nsatisfied_by = [\"employment.difficulty\"]\n"
    });
    let err = load_error(&sources);
    assert!(err.contains("依赖循环"), "{err}");
    assert!(
        err.contains("cert.new → employment.difficulty → cert.new"),
        "{err}"
    );
    assert!(err.contains("items/cert.new.toml"), "{err}");
}

#[test]
fn unknown_references_and_missing_fields_name_the_file_and_the_entry() {
    let cases: Vec<(CatalogSources, &[&str])> = vec![
        (
            edited("items/fuel.subsidy.toml", |t| {
                t.replace(
                    "department = \"canlian\"\nlevel = \"county\"\norder",
                    "department = \"jiaotong\"\nlevel = \"county\"\norder",
                )
            }),
            &["items/fuel.subsidy.toml", "fuel.subsidy", "jiaotong"],
        ),
        (
            edited("items/subsidy.nursing.toml", |t| {
                t.replace("param = \"nursing.grades\"", "param = \"nursing.gardes\"")
            }),
            &[
                "items/subsidy.nursing.toml",
                "nursing.grade",
                "nursing.gardes",
            ],
        ),
        (
            edited("items/pension.subsidy.toml", |t| {
                t.replace(
                    "fact = \"person.student\", op",
                    "fact = \"person.pupil\", op",
                )
            }),
            &["items/pension.subsidy.toml", "person.pupil"],
        ),
        (
            edited("items/fuel.subsidy.toml", |t| {
                t.replace("name = \"残疾人机动轮椅车燃油补贴\"\n", "")
            }),
            &["items/fuel.subsidy.toml", "missing field `name`"],
        ),
        (
            edited("scenarios.toml", |t| {
                t.replace(
                    "required = [\"cert.cancel\"]",
                    "required = [\"cert.cancel\", \"subsidy.living\"]",
                )
            }),
            &["scenarios.toml", "after_death", "单独申请"],
        ),
        (
            edited("items/subsidy.living.toml", |t| {
                t.replace(
                    "op = \"ne\", value = \"tekun\"",
                    "op = \"lt\", value = \"tekun\"",
                )
            }),
            &["items/subsidy.living.toml", "household.assistance"],
        ),
        (
            edited("parameters.toml", |t| {
                t.replace(
                    "value = [\"dibao\", \"low_income\"]",
                    "value = [\"dibao\", \"poor\"]",
                )
            }),
            &["items/subsidy.living.toml", "poor"],
        ),
        (
            edited("items/cert.new.toml", |t| {
                t.replace("code = \"photo\"", "code = \"selfie\"")
            }),
            &["items/cert.new.toml", "selfie"],
        ),
    ];
    for (sources, expected) in cases {
        let err = load_error(&sources);
        for e in expected {
            assert!(err.contains(e), "expected {e:?} in: {err}");
        }
    }
}

#[test]
fn a_rule_without_a_source_must_say_it_is_sample_configuration() {
    let sources = edited("items/fuel.subsidy.toml", |t| {
        t.replace(
            "explain_fail = \"燃油补贴只面向肢体残疾人\"\nsource = \"caishe-2010-256\"",
            "explain_fail = \"燃油补贴只面向肢体残疾人\"",
        )
    });
    let err = load_error(&sources);
    assert!(
        err.contains("fuel.physical") && err.contains("样例配置"),
        "{err}"
    );
}
