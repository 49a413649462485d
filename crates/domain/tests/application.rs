//! One form and one set of materials for a selection of items.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::code;
use domain::application::{self, Selection};

fn items(list: &[&str]) -> Vec<domain::catalog::ItemCode> {
    list.iter().map(|c| code(c)).collect()
}

#[test]
fn shared_fields_appear_once_and_each_item_adds_its_own_section() {
    let catalog = common::catalog();
    let chosen = items(&[
        "cert.new",
        "subsidy.nursing",
        "subsidy.living",
        "fuel.subsidy",
    ]);
    let form = application::merged_form(&catalog, &chosen, false);
    let keys: Vec<&str> = form.fields().map(|f| f.def.key.as_str()).collect();
    let unique: BTreeSet<&str> = keys.iter().copied().collect();
    assert_eq!(keys.len(), unique.len(), "no field twice: {keys:?}");
    let account = form.field("payment.bank_account").unwrap();
    assert!(account.required);
    assert_eq!(
        account.used_by,
        items(&["subsidy.nursing", "subsidy.living", "fuel.subsidy"])
    );
    assert!(form.field("applicant.name").is_some());
    assert!(form.field("subsidy.nursing.care_mode").is_some());
    assert!(form.field("fuel.subsidy.plate").is_some());
    // Guardian and agent fields only when applying through one.
    assert!(form.field("agent.name").is_none());
    let via_agent = application::merged_form(&catalog, &chosen, true);
    assert!(via_agent.field("agent.name").unwrap().required);
    let titles: Vec<&str> = form.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles[0], "申请人身份信息", "{titles:?}");
    assert!(titles.contains(&"重度残疾人护理补贴"), "{titles:?}");
}

#[test]
fn materials_are_deduplicated_and_waived_where_an_e_licence_proves_them() {
    let catalog = common::catalog();
    let chosen = items(&[
        "subsidy.nursing",
        "subsidy.living",
        "pension.subsidy",
        "fuel.subsidy",
    ]);
    let proofs: BTreeSet<String> = [
        "居民身份证电子证照".to_owned(),
        "残疾人证电子证照".to_owned(),
    ]
    .into();
    let lines = application::merged_materials(&catalog, &chosen, false, &proofs);
    let codes: Vec<&str> = lines.iter().map(|l| l.code.as_str()).collect();
    let unique: BTreeSet<&str> = codes.iter().copied().collect();
    assert_eq!(codes.len(), unique.len(), "{codes:?}");
    let id_card = lines.iter().find(|l| l.code == "id_card").unwrap();
    assert_eq!(id_card.needed_by.len(), 4);
    assert_eq!(id_card.waived_by.as_deref(), Some("居民身份证电子证照"));
    let certificate = lines.iter().find(|l| l.code == "certificate").unwrap();
    assert_eq!(certificate.waived_by.as_deref(), Some("残疾人证电子证照"));
    let bank = lines.iter().find(|l| l.code == "bank_card").unwrap();
    assert!(
        bank.waived_by.is_none(),
        "nothing stands in for the bank card"
    );
    assert!(
        !codes.contains(&"guardian_proof"),
        "agent materials only through an agent"
    );
    let via_agent = application::merged_materials(&catalog, &chosen, true, &proofs);
    assert!(via_agent.iter().any(|l| l.code == "power_of_attorney"));
}

#[test]
fn scenarios_require_their_items_and_refuse_others() {
    let catalog = common::catalog();
    let sel = |scenario: Option<&str>, list: &[&str]| Selection {
        scenario: scenario.map(str::to_owned),
        items: list.iter().map(|s| (*s).to_owned()).collect(),
    };
    let ok = catalog
        .check_selection(&sel(
            Some("first_certificate"),
            &["subsidy.nursing", "cert.new"],
        ))
        .unwrap();
    assert_eq!(ok, items(&["cert.new", "subsidy.nursing"]), "catalog order");
    let err = catalog
        .check_selection(&sel(Some("first_certificate"), &["subsidy.nursing"]))
        .unwrap_err();
    assert_eq!(err.code(), "selection.missing_required");
    let err = catalog
        .check_selection(&sel(Some("after_death"), &["cert.cancel", "fuel.subsidy"]))
        .unwrap_err();
    assert_eq!(err.code(), "selection.not_in_scenario");
    let err = catalog
        .check_selection(&sel(None, &["fuel.subsidy", "fuel.subsidy"]))
        .unwrap_err();
    assert_eq!(err.code(), "selection.duplicate");
    let err = catalog
        .check_selection(&sel(None, &["cert.teleport"]))
        .unwrap_err();
    assert_eq!(err.code(), "selection.unknown_item");
    assert_eq!(
        catalog.check_selection(&sel(None, &[])).unwrap_err().code(),
        "selection.empty"
    );
}

#[test]
fn answers_are_validated_field_by_field_and_all_problems_reported_at_once() {
    let catalog = common::catalog();
    let form = application::merged_form(&catalog, &items(&["fuel.subsidy"]), false);
    let mut raw: BTreeMap<String, String> = BTreeMap::new();
    raw.insert("applicant.id_number".into(), "32130219800501001".into()); // 17 digits
    raw.insert("contact.phone".into(), "12345".into());
    raw.insert("fuel.subsidy.owns_wheelchair".into(), "maybe".into());
    raw.insert("nonsense".into(), "x".into());
    let errors = application::validate_answers(&form, &raw).unwrap_err();
    let by_field: BTreeMap<&str, &str> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(
        by_field.get("applicant.id_number"),
        Some(&"id_number.invalid_length")
    );
    assert_eq!(by_field.get("contact.phone"), Some(&"form.phone"));
    assert_eq!(
        by_field.get("fuel.subsidy.owns_wheelchair"),
        Some(&"form.boolean")
    );
    assert_eq!(by_field.get("nonsense"), Some(&"form.unknown_field"));
    assert_eq!(by_field.get("applicant.name"), Some(&"form.required"));
    assert!(errors.iter().all(|e| !e.message.is_empty()));
    let name = errors.iter().find(|e| e.field == "applicant.name").unwrap();
    assert_eq!(name.message, "请填写姓名");
}
