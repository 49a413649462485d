//! The storage contract: the same behaviour on SQLite and PostgreSQL, through the same service
//! code that `serve` uses.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use domain::access::{Role, Scope};
use domain::ids::{DisabilityCategory, DisabilityGrade};
use domain::workflow::{Assessment, CaseId, CaseStatus, Decision, ItemResult, ItemStatus};
use service::auth::Principal;
use service::ports::{CaseCommit, CaseStore, RegistryStore, StoreError};
use service::{Platform, ServiceError};
use store::Db;
use testkit::FakeClock;

/// The window clerk of the city service centre (scope: the whole city).
fn clerk() -> Principal {
    Principal::Staff {
        account: "clerk-1".into(),
        role: Role::WindowClerk,
        scope: Scope("321300".into()),
    }
}

fn reviewer_for(department: &str) -> Principal {
    let role = [
        Role::CanlianReviewer,
        Role::MinzhengReviewer,
        Role::RensheReviewer,
        Role::TownshipReviewer,
        Role::Assessor,
    ]
    .into_iter()
    .find(|r| r.department() == Some(department))
    .unwrap_or_else(|| panic!("no role decides {department}"));
    Principal::Staff {
        account: format!("{}-1", role.key()),
        role,
        scope: Scope("321300".into()),
    }
}

fn approve() -> Decision {
    Decision::Approve {
        assessment: None,
        note: None,
    }
}

async fn accept(
    p: &Platform<Db>,
    case: &CaseId,
) -> Result<std::sync::Arc<domain::workflow::Case>, ServiceError> {
    p.accept(&p.authorize_intake(&clerk(), case).await?).await
}

async fn decide_open(p: &Platform<Db>, id: &CaseId, item: &str, decision: Decision) {
    let view = p.case(id).await.unwrap();
    let code = domain::catalog::ItemCode::parse(item).unwrap();
    let task = view
        .case
        .active_task(&code)
        .unwrap_or_else(|| panic!("no task for {item}"));
    let authority = p
        .authorize_task(&reviewer_for(&task.department), &task.id)
        .await
        .unwrap();
    p.decide(&authority, decision).await.unwrap();
}

#[tokio::test]
async fn a_submission_is_stored_whole_and_reads_back_the_same() {
    for t in support::engines().await {
        let db = t.open(true, 4).await;
        support::store_catalog(&db).await;
        let clock = FakeClock::at("2026-11-30");
        let p = support::platform(db.clone(), &clock);
        let id = testkit::id_number("321302", "19800501", 11);
        let req = testkit::application(
            p.catalogs.current(),
            &id,
            "王小明",
            &["cert.new", "subsidy.nursing"],
            &[],
        );
        let submitted = p.submit(&clerk(), req).await.unwrap();
        assert_eq!(
            submitted.number.to_string(),
            "YJS-321302-20261130-0001",
            "{:?}",
            t.engine
        );

        let view = p.case(&submitted.case_id).await.unwrap();
        assert_eq!(view.number.as_ref(), Some(&submitted.number));
        assert_eq!(view.case.status, CaseStatus::Submitted);
        assert_eq!(view.case.items.len(), 2);
        let by_number = p.case_by_number(&submitted.number).await.unwrap();
        assert_eq!(by_number.case.id, submitted.case_id);

        // The form is sealed and opens again; the applicant is now in the registry.
        let form = p
            .form(
                &p.authorize_read(&clerk(), &submitted.case_id)
                    .await
                    .unwrap(),
            )
            .await
            .unwrap();
        assert!(
            matches!(form.get("applicant.name"), Some(domain::application::Answer::Text(n)) if n == "王小明")
        );
        let record = db
            .find_by_id_index(&p.vault.id_index(&id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.person.name, "王小明");
        assert!(record.certificate.is_none());
        t.drop_db().await;
    }
}

#[tokio::test]
async fn the_new_certificate_story_runs_on_storage_and_updates_the_registry() {
    for t in support::engines().await {
        let db = t.open(true, 4).await;
        support::store_catalog(&db).await;
        let clock = FakeClock::at("2026-11-02");
        let p = support::platform(db.clone(), &clock);
        let id = testkit::id_number("321302", "19800501", 13);
        let req = testkit::application(
            p.catalogs.current(),
            &id,
            "李华",
            &["cert.new", "subsidy.nursing", "pension.subsidy"],
            &[("household.urban", "yes")],
        );
        let case = p.submit(&clerk(), req).await.unwrap().case_id;
        accept(&p, &case).await.unwrap();
        let a = Assessment {
            category: DisabilityCategory::Physical,
            grade: DisabilityGrade::new(1).unwrap(),
            lower_limb: true,
        };
        clock.set("2026-11-05");
        decide_open(
            &p,
            &case,
            "cert.new",
            Decision::Approve {
                assessment: Some(a),
                note: None,
            },
        )
        .await;
        decide_open(&p, &case, "cert.new", approve()).await;
        decide_open(&p, &case, "cert.new", approve()).await;
        let view = p.case(&case).await.unwrap();
        for item in ["subsidy.nursing", "pension.subsidy"] {
            let code = domain::catalog::ItemCode::parse(item).unwrap();
            assert_eq!(
                view.case.item(&code).unwrap().status,
                ItemStatus::InProgress,
                "{item}"
            );
        }
        for _ in 0..2 {
            decide_open(&p, &case, "pension.subsidy", approve()).await;
        }
        for _ in 0..4 {
            decide_open(&p, &case, "subsidy.nursing", approve()).await;
        }
        let view = p.case(&case).await.unwrap();
        assert_eq!(view.case.status, CaseStatus::Concluded, "{:?}", t.engine);
        let notice = view.case.notice.unwrap();
        assert_eq!(notice.items.len(), 3);
        assert!(
            notice
                .items
                .iter()
                .all(|i| i.result == ItemResult::Approved)
        );

        let record = db
            .find_by_id_index(&p.vault.id_index(&id))
            .await
            .unwrap()
            .unwrap();
        let cert = record.certificate.expect("a certificate was issued");
        assert_eq!(cert.number.as_string(), format!("{}41", id.as_str()));
        assert_eq!(
            cert.valid_until,
            chrono::NaiveDate::from_ymd_opt(2036, 11, 5).unwrap()
        );
        let items: BTreeSet<String> = record.benefits.iter().map(|b| b.item.to_string()).collect();
        assert_eq!(
            items,
            BTreeSet::from(["pension.subsidy".to_owned(), "subsidy.nursing".to_owned()])
        );
        let nursing = record
            .benefits
            .iter()
            .find(|b| b.item.as_str() == "subsidy.nursing")
            .unwrap();
        assert_eq!(nursing.amount_fen, 13000);

        // The task rows follow the timeline.
        let tasks = db.case_tasks(&case).await.unwrap();
        assert_eq!(tasks.len(), 3 + 2 + 4);
        assert!(
            tasks
                .iter()
                .all(|t| t.status == "done" && t.due_on.is_none() && t.decided_at.is_some())
        );
        t.drop_db().await;
    }
}

#[tokio::test]
async fn fifty_concurrent_submissions_get_consecutive_numbers_on_a_multi_connection_pool() {
    for t in support::engines().await {
        // Two modes: every commit in its own transaction on an 8-connection pool, and two
        // instances each group-committing, sharing the database.
        for (label, instances, group) in [("direct", 1, false), ("group", 2, true)] {
            let clock = FakeClock::at("2026-11-30");
            let mut platforms = Vec::new();
            for _ in 0..instances {
                let db = t.open(group, 8).await;
                support::store_catalog(&db).await;
                platforms.push(Arc::new(support::platform(db, &clock)));
            }
            let unit = if label == "direct" {
                "321311"
            } else {
                "321322"
            };
            let township = if label == "direct" {
                "321311001"
            } else {
                "321322001"
            };
            let mut handles = Vec::new();
            for i in 0..50u32 {
                let p = platforms[i as usize % instances].clone();
                let township = township.to_owned();
                handles.push(tokio::spawn(async move {
                    let id = testkit::id_number(&township[..6], "19700101", 100 + i);
                    let req = testkit::application(
                        p.catalogs.current(),
                        &id,
                        "测试",
                        &["employment.sscard"],
                        &[("applicant.hukou_region", township.as_str())],
                    );
                    p.submit(&clerk(), req).await.unwrap().number
                }));
            }
            let mut seqs = Vec::new();
            for h in handles {
                let n = h.await.unwrap();
                assert_eq!(n.region.as_str(), unit);
                seqs.push(n.seq);
            }
            seqs.sort_unstable();
            assert_eq!(
                seqs,
                (1..=50).collect::<Vec<u32>>(),
                "{:?} {label}",
                t.engine
            );
        }
        t.drop_db().await;
    }
}

#[tokio::test]
async fn a_stale_copy_in_another_instance_is_caught_and_reloaded() {
    for t in support::engines().await {
        let clock = FakeClock::at("2026-11-30");
        let a = support::platform(t.open(true, 4).await, &clock);
        support::store_catalog(&a.store).await;
        let b = support::platform(t.open(true, 4).await, &clock);
        let id = testkit::id_number("321302", "19900101", 21);
        let req = testkit::application(
            a.catalogs.current(),
            &id,
            "赵六",
            &["employment.sscard"],
            &[],
        );
        let case = a.submit(&clerk(), req).await.unwrap().case_id;
        // B caches the case as submitted; A accepts it; B's accept must not double-accept.
        let _ = b.case(&case).await.unwrap();
        let intake = b.authorize_intake(&clerk(), &case).await.unwrap();
        b.request_supplement(&intake, &["照片".into()], "缺照片")
            .await
            .unwrap();
        let err = accept(&a, &case).await.unwrap_err();
        assert_eq!(
            err.code(),
            "case.not_awaiting_acceptance",
            "{:?}: A reloaded and saw B's request",
            t.engine
        );
        let view = a.case(&case).await.unwrap();
        assert_eq!(view.case.status, CaseStatus::AwaitingSupplement);
        assert_eq!(view.case.version, 2);
        t.drop_db().await;
    }
}

#[tokio::test]
async fn a_refused_commit_writes_nothing() {
    for t in support::engines().await {
        let db = t.open(false, 4).await;
        support::store_catalog(&db).await;
        let clock = FakeClock::at("2026-11-30");
        let p = support::platform(db.clone(), &clock);
        let id = testkit::id_number("321302", "19900101", 23);
        let req = testkit::application(
            p.catalogs.current(),
            &id,
            "钱七",
            &["employment.sscard"],
            &[],
        );
        let case = p.submit(&clerk(), req).await.unwrap().case_id;
        let stored = db.load_case(&case).await.unwrap().unwrap();
        // A commit claiming the wrong version (a lost race) is refused as a whole.
        let mut event = stored.events[0].clone();
        event.seq = 1;
        let commit = CaseCommit {
            case_id: case.clone(),
            case: Some(service::cases::case_row(
                &domain::workflow::Case::replay(case.clone(), &stored.events).unwrap(),
            )),
            expected_version: 0,
            events: vec![event],
            tasks: vec![],
            opened_tasks: 0,
            form: Some(service::ports::SealedForm {
                version: 9,
                sealed: vec![1, 2, 3],
            }),
            registry: vec![],
            allocate_number: true,
            idempotency: None,
            audit: vec![],
        };
        assert!(
            matches!(db.commit(commit).await, Err(StoreError::Conflict)),
            "{:?}",
            t.engine
        );
        assert_eq!(db.load_case(&case).await.unwrap().unwrap().events.len(), 1);
        assert_eq!(db.load_form(&case).await.unwrap().unwrap().version, 1);
        // The number counter did not move either: the next case gets 0002.
        let id2 = testkit::id_number("321302", "19900101", 25);
        let req = testkit::application(
            p.catalogs.current(),
            &id2,
            "孙八",
            &["employment.sscard"],
            &[],
        );
        assert_eq!(p.submit(&clerk(), req).await.unwrap().number.seq, 2);
        t.drop_db().await;
    }
}

#[tokio::test]
async fn a_case_is_decided_under_the_catalog_it_was_accepted_under() {
    for t in support::engines().await {
        let db = t.open(true, 4).await;
        support::store_catalog(&db).await;
        let clock = FakeClock::at("2026-11-30");
        let p = support::platform(db.clone(), &clock);
        let id = testkit::id_number("321302", "19900101", 27);
        let req = testkit::application(
            p.catalogs.current(),
            &id,
            "周九",
            &["employment.sscard"],
            &[],
        );
        let case = p.submit(&clerk(), req).await.unwrap().case_id;
        accept(&p, &case).await.unwrap();

        // The administrator edits the catalog; a restarted instance loads the new version.
        let mut sources = store::reference::catalog_sources(&testkit::catalog_dir()).unwrap();
        for f in &mut sources.files {
            if f.path == "items/employment.sscard.toml" {
                f.text = f
                    .text
                    .replace("name = \"制卡\"", "name = \"制卡（新流程）\"");
            }
        }
        sources.digest = service::catalogs::digest(&sources.files);
        let newer = domain::catalog::Catalog::load(&sources).unwrap();
        assert_ne!(newer.version, p.catalogs.current().version);
        let reference = store::reference::load(&testkit::catalog_dir()).unwrap();
        let restarted = Platform::new(
            db.clone(),
            Arc::new(clock.clone()),
            service::Catalogs::new(newer),
            reference.calendar,
            reference.regions,
            Arc::new(testkit::vault()),
        );
        decide_open(&restarted, &case, "employment.sscard", approve()).await;
        let view = restarted.case(&case).await.unwrap();
        assert_eq!(view.case.status, CaseStatus::Concluded, "{:?}", t.engine);
        assert_eq!(
            view.case.tasks[0].step_name, "制卡",
            "the old catalog's step"
        );
        t.drop_db().await;
    }
}

#[tokio::test]
async fn cancelling_a_certificate_stops_the_benefits_in_the_registry() {
    for t in support::engines().await {
        let db = t.open(true, 4).await;
        support::store_catalog(&db).await;
        let clock = FakeClock::at("2026-11-30");
        let p = support::platform(db.clone(), &clock);
        // A holder with a nursing subsidy, registered directly (as an import would).
        let id = testkit::id_number("321302", "19600301", 31);
        let mut record = domain::registry::Record {
            person: domain::registry::Person {
                id: domain::registry::PersonId("person-31".into()),
                sex: id.sex(),
                birth_date: id.birth_date(),
                id_number: id.clone(),
                name: "吴十".into(),
                hukou: domain::region::RegionCode::parse("321302001").unwrap(),
                phone: Some("13900001111".into()),
                address: Some("宿城区幸福街道".into()),
                bank_account: None,
                household: Default::default(),
                status: Default::default(),
                guardians: vec![],
            },
            certificate: None,
            benefits: vec![],
        };
        let grade = DisabilityGrade::new(1).unwrap();
        record.certificate = Some(domain::registry::Certificate {
            number: domain::ids::CertificateNumber::new(&id, DisabilityCategory::Visual, grade),
            category: DisabilityCategory::Visual,
            grade,
            lower_limb: false,
            status: domain::registry::CertificateStatus::Active,
            issued_on: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            valid_until: chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
            unit: domain::region::RegionCode::parse("321302").unwrap(),
            cancelled_on: None,
        });
        record.benefits.push(domain::registry::Benefit {
            id: "benefit-31".into(),
            item: domain::catalog::ItemCode::parse("subsidy.nursing").unwrap(),
            status: domain::registry::BenefitStatus::Active,
            amount_fen: 13000,
            period: domain::catalog::Period::Month,
            recurring: true,
            start: domain::time::YearMonth {
                year: 2024,
                month: 1,
            },
            end: None,
            paying_unit: domain::region::RegionCode::parse("321302").unwrap(),
            stop_reason: None,
            case_id: None,
        });
        db.insert_records(&[record]).await.unwrap();
        let req = testkit::application(
            p.catalogs.current(),
            &id,
            "吴十",
            &["cert.cancel"],
            &[("cert.cancel.reason", "death")],
        );
        let case = p.submit(&clerk(), req).await.unwrap().case_id;
        accept(&p, &case).await.unwrap();
        decide_open(&p, &case, "cert.cancel", approve()).await;
        let after = db
            .find_by_id_index(&p.vault.id_index(&id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            after.certificate.unwrap().status,
            domain::registry::CertificateStatus::Cancelled
        );
        let b = &after.benefits[0];
        assert_eq!(
            b.status,
            domain::registry::BenefitStatus::Stopped,
            "{:?}",
            t.engine
        );
        assert_eq!(
            b.end,
            Some(domain::time::YearMonth {
                year: 2026,
                month: 11
            })
        );
        let view = p.case(&case).await.unwrap();
        assert!(view.case.notice.is_some());
        let kinds: Vec<&str> = view
            .case
            .notice
            .iter()
            .flat_map(|n| n.items.iter().map(|i| i.item.as_str()))
            .collect();
        assert_eq!(kinds, ["cert.cancel"]);
        t.drop_db().await;
    }
}

#[tokio::test]
async fn the_raw_database_file_holds_no_id_number_or_name() {
    for t in support::engines().await {
        let Some(path) = t.sqlite_file() else {
            continue;
        };
        let db = t.open(false, 2).await;
        support::store_catalog(&db).await;
        let clock = FakeClock::at("2026-11-30");
        let p = support::platform(db.clone(), &clock);
        let id = testkit::id_number("321302", "19751212", 41);
        let req = testkit::application(
            p.catalogs.current(),
            &id,
            "欧阳娜娜",
            &["cert.new", "subsidy.living"],
            &[
                ("contact.phone", "13912345678"),
                ("payment.bank_account", "6222020012345678901"),
            ],
        );
        let case = p.submit(&clerk(), req).await.unwrap().case_id;
        accept(&p, &case).await.unwrap();
        // The timeline's rows are compressed (ADR 0007): search what they hold, too.
        let mut timeline = Vec::new();
        for row in sqlx::query("SELECT events FROM case_events")
            .fetch_all(db.pool())
            .await
            .unwrap()
        {
            use sqlx::Row;
            let stored: Vec<u8> = row.try_get("events").unwrap();
            timeline.extend_from_slice(&store::timeline::decode(&stored).unwrap());
        }
        db.close().await;
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
        bytes.extend(timeline);
        let haystack = String::from_utf8_lossy(&bytes);
        for needle in [
            id.as_str(),
            "欧阳娜娜",
            "13912345678",
            "6222020012345678901",
            &id.as_str()[6..14],
        ] {
            assert!(
                !haystack.contains(needle),
                "found {needle} in the raw database file"
            );
        }
        assert!(
            haystack.contains("subsidy.living") && haystack.contains("\"type\":\"accepted\""),
            "the search does look at the data and the timeline"
        );
    }
}

#[tokio::test]
async fn bad_input_is_refused_with_a_clear_reason_and_changes_nothing() {
    for t in support::engines().await {
        let db = t.open(true, 4).await;
        support::store_catalog(&db).await;
        let clock = FakeClock::at("2026-11-30");
        let p = support::platform(db.clone(), &clock);
        let catalog = p.catalogs.current().clone();
        let id = testkit::id_number("321302", "19900101", 51);

        // 户籍 outside Suqian (南京市鼓楼区): 属地管理.
        let req = testkit::application(
            &catalog,
            &id,
            "郑一",
            &["employment.sscard"],
            &[("applicant.hukou_region", "320106")],
        );
        let err = p.submit(&clerk(), req).await.unwrap_err();
        assert_eq!(err.code(), "region.outside_jurisdiction");
        assert!(err.to_string().contains("属地管理"), "{err}");

        // A wrong check character.
        let mut bad = id.as_str().to_owned();
        let last = if bad.ends_with('0') { "1" } else { "0" };
        bad.replace_range(17..18, last);
        let mut req = testkit::application(&catalog, &id, "郑一", &["employment.sscard"], &[]);
        req.id_number = bad;
        let err = p.submit(&clerk(), req).await.unwrap_err();
        assert_eq!(err.code(), "validation_failed");
        let ServiceError::Invalid(fields) = err else {
            panic!()
        };
        assert_eq!(fields[0].code, "id_number.bad_checksum");

        // Forbidden combination.
        let req = testkit::application(
            &catalog,
            &id,
            "郑一",
            &["cert.cancel", "subsidy.living"],
            &[],
        );
        assert_eq!(
            p.submit(&clerk(), req).await.unwrap_err().code(),
            "selection.exclusive"
        );

        assert_eq!(
            db.count_cases_by_status().await.unwrap(),
            vec![],
            "{:?}: nothing stored",
            t.engine
        );
        assert_eq!(db.count_persons().await.unwrap(), 0);
        t.drop_db().await;
    }
}

#[tokio::test]
async fn a_legacy_fifteen_digit_number_is_converted_and_the_conversion_recorded() {
    for t in support::engines().await {
        let db = t.open(true, 4).await;
        support::store_catalog(&db).await;
        let clock = FakeClock::at("2026-11-30");
        let p = support::platform(db.clone(), &clock);
        let legacy = "321302800501123";
        let converted = domain::ids::IdNumber::parse_allowing_legacy(legacy)
            .unwrap()
            .id;
        assert_eq!(&converted.as_str()[6..14], "19800501");
        let mut req = testkit::application(
            p.catalogs.current(),
            &converted,
            "冯二",
            &["employment.sscard"],
            &[],
        );
        req.id_number = legacy.to_owned();
        req.answers
            .insert("applicant.id_number".into(), legacy.into());
        let case = p.submit(&clerk(), req).await.unwrap().case_id;
        let form = p
            .form(&p.authorize_read(&clerk(), &case).await.unwrap())
            .await
            .unwrap();
        assert!(
            matches!(form.get("applicant.id_number"), Some(domain::application::Answer::IdNumber(id)) if *id == converted)
        );
        assert_eq!(
            form.conversions
                .get("applicant.id_number")
                .map(String::as_str),
            Some(legacy)
        );
        assert!(
            db.find_by_id_index(&p.vault.id_index(&converted))
                .await
                .unwrap()
                .is_some(),
            "{:?}",
            t.engine
        );
        t.drop_db().await;
    }
}

#[tokio::test]
async fn after_a_key_rotation_old_values_stay_readable_and_new_writes_use_the_new_key() {
    for t in support::engines().await {
        let db = t.open(true, 4).await;
        support::store_catalog(&db).await;
        let clock = FakeClock::at("2026-11-30");
        let p = support::platform(db.clone(), &clock);
        let first = testkit::id_number("321302", "19800501", 91);
        let req = testkit::application(p.catalogs.current(), &first, "韩一", &["cert.new"], &[]);
        let old_case = p.submit(&clerk(), req).await.unwrap().case_id;
        db.close().await;

        // Restarted with the new key current and the old one retired.
        let rotated = Arc::new(testkit::rotated_vault());
        let db = store::Db::open(&t.options(true, 4), rotated.clone())
            .await
            .unwrap();
        let reference = store::reference::load(&testkit::catalog_dir()).unwrap();
        let p = Platform::new(
            db.clone(),
            Arc::new(clock.clone()),
            service::Catalogs::new(reference.catalog),
            reference.calendar,
            reference.regions,
            rotated,
        );
        let form = p
            .form(&p.authorize_read(&clerk(), &old_case).await.unwrap())
            .await
            .unwrap();
        assert!(
            matches!(form.get("applicant.name"), Some(domain::application::Answer::Text(n)) if n == "韩一")
        );
        let record = db
            .find_by_id_index(&p.vault.id_index(&first))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.person.name, "韩一", "found by the same blind index");

        let second = testkit::id_number("321302", "19810601", 93);
        let req = testkit::application(p.catalogs.current(), &second, "韩二", &["cert.new"], &[]);
        p.submit(&clerk(), req).await.unwrap();
        let usage = db.sealed_key_use().await.unwrap();
        assert!(usage.get("test-1").is_some_and(|n| *n > 0), "{usage:?}");
        assert!(usage.get("test-2").is_some_and(|n| *n > 0), "{usage:?}");
        assert!(!usage.contains_key("(malformed)"), "{usage:?}");
        db.close().await;

        // Without the retired key the old values do not open: retiring is not deleting.
        let only_new = {
            let key = gm_crypto::DataKey::from_bytes(
                gm_crypto::KeyId::new("test-2").unwrap(),
                &[8u8; 16],
            )
            .unwrap();
            let blind = gm_crypto::BlindIndexKey::from_bytes(&[9u8; 32]).unwrap();
            Arc::new(service::Vault::new(gm_crypto::Keyring::new(key), blind))
        };
        let db = store::Db::open(&t.options(true, 4), only_new)
            .await
            .unwrap();
        assert!(
            db.find_by_id_index(&p.vault.id_index(&first))
                .await
                .is_err()
        );
        db.close().await;
        t.drop_db().await;
    }
}

/// Timeline rows are stored compressed (ADR 0007); rows written before, as JSON, still read — also
/// in a timeline that continues with compressed rows.
#[tokio::test]
async fn a_timeline_written_as_json_before_compression_still_reads() {
    use sqlx::Row;
    for t in support::engines().await {
        let clock = FakeClock::at("2026-11-30");
        let db = t.open(true, 4).await;
        support::store_catalog(&db).await;
        let a = support::platform(db.clone(), &clock);
        let id = testkit::id_number("321302", "19700303", 31);
        let req = testkit::application(
            a.catalogs.current(),
            &id,
            "钱七",
            &["cert.new", "subsidy.nursing"],
            &[],
        );
        let case = a.submit(&clerk(), req).await.unwrap().case_id;
        let before = a.case(&case).await.unwrap();

        // The submission's row is a frame, far smaller than its JSON; make it JSON again, as a
        // row written before the change (on PostgreSQL: its UTF-8 bytes, as the migration left them).
        let key = case_key_sql(t.engine, &case.0);
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT events FROM case_events WHERE case_id = {key} AND seq = 1"
        )))
        .fetch_one(db.pool())
        .await
        .unwrap();
        let stored: Vec<u8> = row.try_get("events").unwrap();
        let json = store::timeline::decode_str(&stored).unwrap().into_owned();
        assert!(json.starts_with('['), "{json}");
        assert!(
            stored.len() * 2 < json.len(),
            "{:?}: {} bytes stored for {} of JSON",
            t.engine,
            stored.len(),
            json.len()
        );
        let literal = format!("'{}'", json.replace('\'', "''"));
        let value = match t.engine {
            store::Engine::Sqlite => literal,
            store::Engine::Postgres => format!("convert_to({literal}, 'UTF8')"),
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE case_events SET events = {value} WHERE case_id = {key} AND seq = 1"
        )))
        .execute(db.pool())
        .await
        .unwrap();

        // Another instance (nothing cached) reads the JSON row, then adds a compressed one.
        let b = support::platform(t.open(true, 4).await, &clock);
        let reread = b.case(&case).await.unwrap();
        assert_eq!(reread.case, before.case, "{:?}", t.engine);
        let accepted = accept(&b, &case).await.unwrap();
        let c = support::platform(t.open(true, 4).await, &clock);
        let mixed = c.case(&case).await.unwrap();
        assert_eq!(mixed.case, *accepted, "{:?}", t.engine);
        assert_eq!(mixed.case.status, CaseStatus::InProgress);
        t.drop_db().await;
    }
}

/// A case's key in the hot tables (the 16 bytes of its UUID, ADR 0007) as an SQL literal.
fn case_key_sql(engine: store::Engine, case_id: &str) -> String {
    let hex = case_id.replace('-', "");
    match engine {
        store::Engine::Sqlite => format!("x'{hex}'"),
        store::Engine::Postgres => format!("decode('{hex}', 'hex')"),
    }
}

/// Migrations 0006 and 0007 rewrite rows written before them (ADR 0007): timeline and task keys
/// from the case id's text to its 16 bytes, and the tasks table without its id column. The rows
/// are put back in their earlier form, the migrations are run again, and the case reads the same
/// and goes on.
#[tokio::test]
async fn rows_written_before_the_compact_keys_are_rewritten_by_the_migration() {
    for t in support::engines().await {
        let clock = FakeClock::at("2026-11-30");
        let db = t.open(true, 4).await;
        support::store_catalog(&db).await;
        let a = support::platform(db.clone(), &clock);
        let id = testkit::id_number("321302", "19700404", 41);
        let req = testkit::application(
            a.catalogs.current(),
            &id,
            "孙八",
            &["cert.new", "subsidy.nursing"],
            &[],
        );
        let case = a.submit(&clerk(), req).await.unwrap().case_id;
        accept(&a, &case).await.unwrap();
        let before = a.case(&case).await.unwrap();
        let tasks_before = db.case_tasks(&case).await.unwrap();
        assert!(!tasks_before.is_empty());

        // One connection, one transaction: the pool's other connections see all of it or none.
        let mut tx = db.pool().begin().await.unwrap();
        for sql in back_to_text_keys(t.engine) {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        for table in ["case_events", "tasks"] {
            use sqlx::Row;
            let text_key: String = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT case_id FROM {table} LIMIT 1"
            )))
            .fetch_one(db.pool())
            .await
            .unwrap()
            .try_get("case_id")
            .unwrap();
            assert_eq!(text_key, case.0, "{:?}: {table} is back in text", t.engine);
        }
        db.close().await;

        // Opening runs the migrations: 0006 and 0007 again, over the rows in their earlier form.
        let db = t.open(true, 4).await;
        let b = support::platform(db.clone(), &clock);
        let after = b.case(&case).await.unwrap();
        assert_eq!(after.case, before.case, "{:?}", t.engine);
        assert_eq!(
            db.case_tasks(&case).await.unwrap(),
            tasks_before,
            "{:?}",
            t.engine
        );
        // And the case goes on: the assessment's task is found and decided in place.
        decide_open(
            &b,
            &case,
            "cert.new",
            Decision::Approve {
                assessment: Some(Assessment {
                    category: DisabilityCategory::Physical,
                    grade: DisabilityGrade::new(1).unwrap(),
                    lower_limb: false,
                }),
                note: None,
            },
        )
        .await;
        let tasks = db.case_tasks(&case).await.unwrap();
        assert_eq!(tasks.len(), tasks_before.len() + 1, "{:?}", t.engine);
        assert_eq!(tasks[0].status, "done", "{:?}", t.engine);
        db.close().await;
        t.drop_db().await;
    }
}

/// Statements that put `case_events` and `tasks` back as migration 0005 left them and forget
/// that 0006 and 0007 ran.
fn back_to_text_keys(engine: store::Engine) -> Vec<String> {
    let uuid = |h: &str| {
        format!(
            "lower(substr({h}, 1, 8) || '-' || substr({h}, 9, 4) || '-' || substr({h}, 13, 4) \
             || '-' || substr({h}, 17, 4) || '-' || substr({h}, 21, 12))"
        )
    };
    match engine {
        store::Engine::Sqlite => vec![
            "CREATE TABLE case_events_text (case_id TEXT NOT NULL, seq BIGINT NOT NULL, \
             last_seq BIGINT NOT NULL, at BIGINT NOT NULL, events TEXT NOT NULL, \
             PRIMARY KEY (case_id, seq))"
                .into(),
            format!(
                "INSERT INTO case_events_text SELECT {}, seq, last_seq, at, events FROM case_events",
                uuid("hex(case_id)")
            ),
            "DROP TABLE case_events".into(),
            "ALTER TABLE case_events_text RENAME TO case_events".into(),
            "CREATE TABLE tasks_text (id TEXT NOT NULL, case_id TEXT NOT NULL, n BIGINT NOT NULL, \
             item TEXT NOT NULL, step TEXT NOT NULL, step_name TEXT NOT NULL, \
             department TEXT NOT NULL, level TEXT NOT NULL, region TEXT NOT NULL, \
             region_path TEXT NOT NULL, status TEXT NOT NULL, due_on TEXT, \
             opened_at BIGINT NOT NULL, decided_at BIGINT, PRIMARY KEY (case_id, n))"
                .into(),
            format!(
                "INSERT INTO tasks_text SELECT {0} || '.' || n, {0}, n, item, step, step_name, \
                 department, level, region, region_path, status, due_on, opened_at, decided_at \
                 FROM tasks",
                uuid("hex(case_id)")
            ),
            "DROP TABLE tasks".into(),
            "ALTER TABLE tasks_text RENAME TO tasks".into(),
            "CREATE INDEX tasks_inbox ON tasks (department, region_path, due_on) \
             WHERE status = 'open'"
                .into(),
            "DELETE FROM _sqlx_migrations WHERE version IN (6, 7)".into(),
        ],
        store::Engine::Postgres => vec![
            format!(
                "ALTER TABLE case_events ALTER COLUMN case_id TYPE TEXT USING {}",
                uuid("encode(case_id, 'hex')")
            ),
            format!(
                "ALTER TABLE tasks ALTER COLUMN case_id TYPE TEXT USING {}",
                uuid("encode(case_id, 'hex')")
            ),
            "ALTER TABLE tasks ADD COLUMN id TEXT".into(),
            "UPDATE tasks SET id = case_id || '.' || n".into(),
            "DELETE FROM _sqlx_migrations WHERE version IN (6, 7)".into(),
        ],
    }
}
