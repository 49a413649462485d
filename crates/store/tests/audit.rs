//! The audit chain on both engines (ADR 0005): decisions audited in their own transaction on
//! every write path, reads never dropped, one gap-free chain from concurrent instances, and
//! tampering — an edited entry, a removed entry, the newest entries cut off — caught by verify.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod support;

use std::sync::Arc;

use domain::workflow::{Actor, CaseId, Decision};
use service::Clock as _;
use service::audit::{AuditEntry, CheckpointFinding, Problem, Verification, verify};
use service::ports::{AuditStore, CaseCommit, CaseStore, StoreError};
use sqlx::Row;
use store::Db;
use testkit::FakeClock;

/// A staff member of the given role with the whole city as scope (account `<role>-1`).
fn principal(role: domain::access::Role) -> service::auth::Principal {
    service::auth::Principal::Staff {
        account: format!("{}-1", role.key()),
        role,
        scope: domain::access::Scope("321300".into()),
    }
}

fn staff(role: &str) -> Actor {
    Actor::Staff {
        account: format!("{role}-1"),
        role: role.into(),
    }
}

fn read(i: usize) -> AuditEntry {
    let at = chrono::DateTime::from_timestamp_micros(1_796_000_000_000_000 + i as i64).unwrap();
    AuditEntry::read(&staff("reviewer"), &format!("case:c-{i}"), "审核", at)
}

async fn count(db: &Db, filter: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM audit_log WHERE {filter}"
    )))
    .fetch_one(db.pool())
    .await
    .unwrap()
    .try_get("n")
    .unwrap()
}

async fn exec(db: &Db, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(db.pool())
        .await
        .unwrap();
}

/// `n` entries appended and sealed into the chain.
async fn chain_of(db: &Db, n: usize) {
    let entries: Vec<AuditEntry> = (0..n).map(read).collect();
    db.append_audit(&entries).await.unwrap();
    let head = db.seal_audit().await.unwrap().unwrap();
    assert_eq!(head.seq, n as i64);
}

#[tokio::test]
async fn every_decision_is_audited_in_its_transaction_and_a_refused_one_leaves_no_entry() {
    for t in support::engines().await {
        // Group commit on (SQLite: the rusqlite writer; PostgreSQL: the sqlx batch writer) and
        // off (a sqlx transaction per commit).
        for group in [true, false] {
            let db = t.open(group, 4).await;
            support::store_catalog(&db).await;
            let clock = FakeClock::at("2026-11-30");
            let p = support::platform(db.clone(), &clock);
            let id = testkit::id_number("321302", "19900101", if group { 61 } else { 63 });
            let req = testkit::application(
                p.catalogs.current(),
                &id,
                "审计",
                &["employment.sscard"],
                &[],
            );
            let clerk = principal(domain::access::Role::WindowClerk);
            let case = p.submit(&clerk, req).await.unwrap().case_id;
            p.accept(&p.authorize_intake(&clerk, &case).await.unwrap())
                .await
                .unwrap();
            let view = p.case(&case).await.unwrap();
            let task = view.case.tasks[0].id.clone();
            p.decide(
                &p.authorize_task(&principal(domain::access::Role::RensheReviewer), &task)
                    .await
                    .unwrap(),
                Decision::Approve {
                    assessment: None,
                    note: Some("材料齐全".into()),
                },
            )
            .await
            .unwrap();

            let subject = format!("subject = 'case:{}'", case.0);
            let label = format!("{:?} group_commit={group}", t.engine);
            assert_eq!(count(&db, &subject).await, 3, "{label}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT actor, action, reason, detail FROM audit_log WHERE {subject} ORDER BY id"
            )))
            .fetch_all(db.pool())
            .await
            .unwrap();
            let got: Vec<(String, String, String)> = rows
                .iter()
                .map(|r| {
                    (
                        r.get::<String, _>("actor"),
                        r.get::<String, _>("action"),
                        r.get::<String, _>("reason"),
                    )
                })
                .collect();
            assert_eq!(
                got,
                [
                    (
                        "staff:window_clerk-1:window_clerk".into(),
                        "case.submit".into(),
                        String::new()
                    ),
                    (
                        "staff:window_clerk-1:window_clerk".into(),
                        "case.accept".into(),
                        String::new()
                    ),
                    (
                        "staff:renshe_reviewer-1:renshe_reviewer".into(),
                        "task.decide".into(),
                        "材料齐全".into()
                    ),
                ],
                "{label}"
            );
            let detail: String = rows[2].get("detail");
            assert!(
                detail.contains(&task) && detail.contains("approve"),
                "{detail}"
            );
            for r in &rows {
                let detail: String = r.get("detail");
                assert!(
                    !detail.contains(id.as_str()) && !detail.contains("审计"),
                    "{detail}"
                );
            }

            // A commit that lost the race is refused whole: its audit entry is not written.
            let stored = db.load_case(&case).await.unwrap().unwrap();
            let mut stale = stored.events[1].clone();
            stale.seq = 2;
            let refused = CaseCommit {
                case_id: case.clone(),
                case: None,
                expected_version: 1,
                events: vec![stale],
                tasks: vec![],
                opened_tasks: 0,
                form: None,
                registry: vec![],
                allocate_number: false,
                idempotency: None,
                audit: vec![AuditEntry::case_change(
                    &staff("window_clerk"),
                    "case.accept",
                    &case,
                    "lost-race-marker",
                    serde_json::json!({}),
                    clock.now(),
                )],
            };
            assert!(
                matches!(db.commit(refused).await, Err(StoreError::Conflict)),
                "{label}"
            );
            assert_eq!(
                count(&db, "reason = 'lost-race-marker'").await,
                0,
                "{label}"
            );
            assert!(verify(&db).await.unwrap().is_ok(), "{label}");
            p.auditor.close().await;
        }
        t.drop_db().await;
    }
}

#[tokio::test]
async fn appends_commits_and_seals_from_two_instances_make_one_gap_free_chain() {
    for t in support::engines().await {
        let clock = FakeClock::at("2026-11-30");
        let a = t.open(true, 8).await;
        support::store_catalog(&a).await;
        let b = t.open(true, 8).await;
        let platforms = [
            Arc::new(support::platform(a.clone(), &clock)),
            Arc::new(support::platform(b.clone(), &clock)),
        ];
        let mut handles = Vec::new();
        for task in 0..16usize {
            let db = if task % 2 == 0 { a.clone() } else { b.clone() };
            handles.push(tokio::spawn(async move {
                for round in 0..25usize {
                    let n = 1 + (task + round) % 3;
                    let entries: Vec<AuditEntry> =
                        (0..n).map(|k| read(task * 1000 + round * 10 + k)).collect();
                    db.append_audit(&entries).await.unwrap();
                    if round % 5 == task % 5 {
                        db.seal_audit().await.unwrap();
                    }
                }
            }));
        }
        // Submissions and acceptances on both instances: audited inside their commits (on
        // SQLite, linked into the chain by the writer as it inserts them).
        for i in 0..20u32 {
            let p = platforms[i as usize % 2].clone();
            handles.push(tokio::spawn(async move {
                let id = testkit::id_number("321302", "19800101", 300 + i);
                let req = testkit::application(
                    p.catalogs.current(),
                    &id,
                    "并发",
                    &["employment.sscard"],
                    &[],
                );
                let clerk = principal(domain::access::Role::WindowClerk);
                let case = p.submit(&clerk, req).await.unwrap().case_id;
                p.accept(&p.authorize_intake(&clerk, &case).await.unwrap())
                    .await
                    .unwrap();
            }));
        }
        // Both instances seal while the appends go on.
        for db in [a.clone(), b.clone()] {
            handles.push(tokio::spawn(async move {
                for _ in 0..20 {
                    db.seal_audit().await.unwrap();
                    tokio::task::yield_now().await;
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        let appended: i64 = (0..16usize)
            .flat_map(|task| (0..25usize).map(move |round| 1 + (task + round) % 3))
            .sum::<usize>() as i64;
        let expected = appended + 2 * 20;
        let head = b.seal_audit().await.unwrap().unwrap();
        assert_eq!(head.seq, expected, "{:?}", t.engine);
        assert_eq!(a.audit_head().await.unwrap(), Some(head.clone()));
        assert_eq!(count(&a, "seq IS NULL").await, 0);
        let v = verify(&a).await.unwrap();
        assert!(v.is_ok(), "{:?}: {v}", t.engine);
        assert_eq!(v.entries, expected as u64);
        assert!(
            matches!(&v.checkpoints, CheckpointFinding::Consistent { last, .. } if last.seq == expected),
            "{:?}: {v}",
            t.engine
        );
        a.close().await;
        b.close().await;
        t.drop_db().await;
    }
}

#[tokio::test]
async fn an_edited_entry_is_named_by_verify() {
    for t in support::engines().await {
        let db = t.open(true, 4).await;
        chain_of(&db, 20).await;
        let id: i64 = sqlx::query("SELECT id FROM audit_log WHERE seq = 7")
            .fetch_one(db.pool())
            .await
            .unwrap()
            .get("id");
        exec(&db, "UPDATE audit_log SET reason = '无' WHERE seq = 7").await;
        let v = verify(&db).await.unwrap();
        assert!(!v.is_ok(), "{:?}: {v}", t.engine);
        let broken = v.first_broken.clone().unwrap();
        assert_eq!((broken.seq, broken.id), (7, id), "{:?}", t.engine);
        assert!(matches!(broken.problem, Problem::HashMismatch { .. }));
        assert_eq!(v.broken, 1, "the entries after it still link to it");
        let report = v.to_string();
        assert!(
            report.contains("序号 7") && report.contains(&format!("id {id}")),
            "{report}"
        );

        // An editor who also recomputes the entry's hash moves the break to the next link.
        let prev = db.audit_entries(5, 1).await.unwrap().remove(0).hash;
        let mut edited = db.audit_entries(6, 1).await.unwrap().remove(0);
        assert_eq!(edited.entry.reason, "无");
        edited.entry.reason = "已改".into();
        let forged = service::audit::chain_hash(&prev, 7, &edited.entry);
        exec(
            &db,
            &format!("UPDATE audit_log SET reason = '已改', hash = '{forged}' WHERE seq = 7"),
        )
        .await;
        let v = verify(&db).await.unwrap();
        let broken = v.first_broken.clone().unwrap();
        assert_eq!(broken.seq, 8, "{:?}: {v}", t.engine);
        assert!(
            matches!(broken.problem, Problem::PrevMismatch { .. }),
            "{v}"
        );
        assert_eq!(v.broken, 1, "{v}");
        db.close().await;
        t.drop_db().await;
    }
}

#[tokio::test]
async fn a_removed_entry_is_named_by_verify() {
    for t in support::engines().await {
        let db = t.open(false, 4).await;
        chain_of(&db, 10).await;
        exec(&db, "DELETE FROM audit_log WHERE seq = 4").await;
        let v = verify(&db).await.unwrap();
        let broken = v.first_broken.clone().unwrap();
        assert_eq!(broken.seq, 5, "{:?}: {v}", t.engine);
        assert_eq!(broken.problem, Problem::Gap { expected: 4 });
        assert!(v.to_string().contains("应为 4"), "{v}");
        db.close().await;
        t.drop_db().await;
    }
}

#[tokio::test]
async fn cutting_off_the_newest_entries_is_caught_by_the_checkpoint() {
    for t in support::engines().await {
        let db = t.open(true, 4).await;
        chain_of(&db, 20).await;
        let before = verify(&db).await.unwrap();
        assert!(before.is_ok(), "{before}");
        assert!(
            std::fs::read_to_string(t.checkpoint_file())
                .unwrap()
                .lines()
                .last()
                .unwrap()
                .starts_with(&format!("20 {} ", before.head.as_ref().unwrap().hash)),
            "the head is recorded outside the database"
        );

        // The chain alone still verifies: only the checkpoint can tell.
        exec(&db, "DELETE FROM audit_log WHERE seq > 17").await;
        let v: Verification = verify(&db).await.unwrap();
        assert!(v.first_broken.is_none(), "{v}");
        assert!(!v.is_ok(), "{:?}: {v}", t.engine);
        match &v.checkpoints {
            CheckpointFinding::CutOff {
                checkpoint,
                database_ends_at,
            } => {
                assert_eq!((checkpoint.seq, *database_ends_at), (20, 17));
                assert_eq!(checkpoint.hash, before.head.as_ref().unwrap().hash);
            }
            other => panic!("{:?}: expected a cut-off, got {other:?}", t.engine),
        }
        assert!(v.to_string().contains("数据库只到序号 17"), "{v}");

        // New entries sealed over the cut do not hide it: seq 20 now has another hash.
        chain_of_more(&db, 5).await;
        let v = verify(&db).await.unwrap();
        assert!(v.first_broken.is_none(), "{v}");
        assert!(
            matches!(&v.checkpoints, CheckpointFinding::Rewritten { checkpoint, found: Some(_) } if checkpoint.seq == 20),
            "{:?}: {v}",
            t.engine
        );
        assert!(!v.is_ok());
        db.close().await;
        t.drop_db().await;
    }
}

async fn chain_of_more(db: &Db, n: usize) {
    let entries: Vec<AuditEntry> = (100..100 + n).map(read).collect();
    db.append_audit(&entries).await.unwrap();
    db.seal_audit().await.unwrap();
}

#[tokio::test]
async fn reads_are_written_by_the_auditor_and_never_dropped() {
    for t in support::engines().await {
        let db = t.open(true, 4).await;
        let clock = FakeClock::at("2026-11-30");
        let p = Arc::new(support::platform(db.clone(), &clock));
        let case = CaseId("case-read-1".into());

        // One read, flushed: it is in the table.
        p.audit_read(
            &staff("reviewer"),
            &service::audit::case_subject(&case),
            "审核",
        )
        .await
        .unwrap();
        p.auditor.flush().await.unwrap();
        assert_eq!(
            count(&db, "action = 'case.read'").await,
            1,
            "{:?}",
            t.engine
        );

        // 10,000 reads from 20 tasks at once: more than the channel holds, so callers wait.
        let mut handles = Vec::new();
        for task in 0..20 {
            let p = p.clone();
            handles.push(tokio::spawn(async move {
                for i in 0..500 {
                    p.audit_read(
                        &staff("reviewer"),
                        &format!("person:p-{task}-{i}"),
                        "核对基础信息",
                    )
                    .await
                    .unwrap();
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        p.auditor.close().await;
        assert_eq!(
            count(&db, "action = 'person.read'").await,
            10_000,
            "{:?}",
            t.engine
        );
        // Closed: a further read cannot be recorded, so it must not happen.
        assert!(
            p.audit_read(&staff("reviewer"), "case:x", "")
                .await
                .is_err()
        );
        let v = verify(&db).await.unwrap();
        assert!(v.is_ok() && v.entries == 10_001, "{v}");
        db.close().await;
        t.drop_db().await;
    }
}
