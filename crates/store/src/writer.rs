//! Writing case commits. [`write_batch`] writes any number of commits in one transaction with a
//! handful of multi-row statements; the group-commit writer feeds it everything that queued up
//! while the previous batch was being made durable, and acknowledges each commit only after the
//! transaction is committed. If a batch fails, each of its commits is retried alone so that one
//! bad commit (a conflict) never fails the others.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use domain::region::RegionCode;
use domain::workflow::CaseNumber;
use service::Vault;
use service::ports::{CaseCommit, Committed, StoreError};
use sqlx::{Any, AnyPool, Row, Transaction};
use tokio::sync::{mpsc, oneshot};

use crate::connect::Engine;
use crate::sql::{Val, bind_all, query, run_rows};
use crate::{db_error, registry};

/// The most commits one transaction carries.
const MAX_BATCH: usize = 512;

pub(crate) struct Job {
    pub commit: CaseCommit,
    pub reply: oneshot::Sender<Result<Committed, StoreError>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("case", &self.commit.case.id.0)
            .finish_non_exhaustive()
    }
}

pub(crate) fn spawn(pool: AnyPool, engine: Engine, vault: Arc<Vault>) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
    tokio::spawn(async move {
        let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
        while let Some(first) = rx.recv().await {
            jobs.push(first);
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            let batch: Vec<Job> = std::mem::take(&mut jobs);
            let commits: Vec<&CaseCommit> = batch.iter().map(|j| &j.commit).collect();
            match write(&pool, engine, &vault, &commits).await {
                Ok(results) => {
                    for (job, result) in batch.into_iter().zip(results) {
                        let _ = job.reply.send(Ok(result));
                    }
                }
                Err(e) if batch.len() == 1 => {
                    if let Some(job) = batch.into_iter().next() {
                        let _ = job.reply.send(Err(e));
                    }
                }
                Err(_) => {
                    // Find the bad one(s): each commit alone.
                    for job in batch {
                        let result = write(&pool, engine, &vault, &[&job.commit]).await;
                        let _ = job.reply.send(
                            result.map(|mut r| r.pop().unwrap_or(Committed { number: None })),
                        );
                    }
                }
            }
        }
    });
    tx
}

/// Sends a commit to the writer and waits until it is durable.
pub(crate) async fn submit(
    tx: &mpsc::Sender<Job>,
    commit: CaseCommit,
) -> Result<Committed, StoreError> {
    let (reply, answer) = oneshot::channel();
    tx.send(Job { commit, reply })
        .await
        .map_err(|_| StoreError::Closed)?;
    answer.await.map_err(|_| StoreError::Closed)?
}

/// Writes commits in one transaction (begun IMMEDIATE on SQLite, so concurrent writers queue).
pub(crate) async fn write(
    pool: &AnyPool,
    engine: Engine,
    vault: &Vault,
    commits: &[&CaseCommit],
) -> Result<Vec<Committed>, StoreError> {
    let mut tx = match engine {
        Engine::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Engine::Postgres => pool.begin().await,
    }
    .map_err(db_error)?;
    let numbers = allocate_numbers(&mut tx, commits).await?;
    write_cases(&mut tx, commits, &numbers).await?;
    write_events(&mut tx, commits).await?;
    write_tasks(&mut tx, commits).await?;
    write_forms(&mut tx, commits).await?;
    for c in commits {
        for w in &c.registry {
            registry::write(&mut tx, vault, w).await?;
        }
    }
    tx.commit().await.map_err(db_error)?;
    Ok(commits
        .iter()
        .map(|c| Committed {
            number: numbers.get(c.case.id.0.as_str()).cloned(),
        })
        .collect())
}

/// Allocates case numbers: one counter row per handling unit and day, bumped by the number of
/// new cases in the batch, inside the same transaction — so a number exists only if its case
/// does, and no two cases share one.
async fn allocate_numbers(
    tx: &mut Transaction<'_, Any>,
    commits: &[&CaseCommit],
) -> Result<HashMap<String, CaseNumber>, StoreError> {
    let mut groups: BTreeMap<(String, chrono::NaiveDate), Vec<&str>> = BTreeMap::new();
    for c in commits.iter().filter(|c| c.allocate_number) {
        groups
            .entry((c.case.unit.clone(), c.case.submitted_on))
            .or_default()
            .push(c.case.id.0.as_str());
    }
    let mut out = HashMap::new();
    for ((unit, day), ids) in groups {
        let k = i64::try_from(ids.len()).unwrap_or(i64::MAX);
        let row = bind_all(
            query(
                "INSERT INTO case_number_seq (unit, day, last) VALUES ($1, $2, $3) \
                 ON CONFLICT (unit, day) DO UPDATE SET last = case_number_seq.last + excluded.last \
                 RETURNING last"
                    .to_owned(),
            ),
            [Val::text(unit.clone()), Val::date(day), Val::Int(k)],
        )
        .fetch_one(&mut **tx)
        .await
        .map_err(db_error)?;
        let last: i64 = row.try_get("last").map_err(db_error)?;
        let region = RegionCode::parse(&unit).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        for (i, id) in ids.into_iter().enumerate() {
            let seq = last - k + 1 + i64::try_from(i).unwrap_or(0);
            let seq = u32::try_from(seq)
                .map_err(|_| StoreError::Corrupt("case number overflow".into()))?;
            out.insert(
                id.to_owned(),
                CaseNumber {
                    region: region.clone(),
                    date: day,
                    seq,
                },
            );
        }
    }
    Ok(out)
}

async fn write_cases(
    tx: &mut Transaction<'_, Any>,
    commits: &[&CaseCommit],
    numbers: &HashMap<String, CaseNumber>,
) -> Result<(), StoreError> {
    // One row per case (the last commit of a case in the batch wins).
    let mut latest: BTreeMap<&str, &CaseCommit> = BTreeMap::new();
    for c in commits {
        latest.insert(c.case.id.0.as_str(), c);
    }
    let rows = latest
        .into_values()
        .map(|c| {
            let r = &c.case;
            vec![
                Val::text(r.id.0.clone()),
                Val::OptText(numbers.get(r.id.0.as_str()).map(ToString::to_string)),
                Val::text(r.unit.clone()),
                Val::OptText(r.township.clone()),
                Val::text(r.region_path.clone()),
                Val::text(r.applicant.0.clone()),
                Val::text(r.channel.clone()),
                Val::text(r.status.clone()),
                Val::Int(i64::try_from(r.version).unwrap_or(i64::MAX)),
                Val::text(r.catalog_version.clone()),
                Val::date(r.submitted_on),
                Val::time(r.submitted_at),
                Val::time(r.updated_at),
                Val::text(r.items.clone()),
            ]
        })
        .collect();
    run_rows(
        tx,
        "INSERT INTO cases (id, number, unit, township, region_path, applicant, channel, status, version, \
         catalog_version, submitted_on, submitted_at, updated_at, items) VALUES ",
        " ON CONFLICT (id) DO UPDATE SET status = excluded.status, version = excluded.version, \
         updated_at = excluded.updated_at",
        14,
        rows,
    )
    .await
}

async fn write_events(
    tx: &mut Transaction<'_, Any>,
    commits: &[&CaseCommit],
) -> Result<(), StoreError> {
    let mut rows = Vec::new();
    for c in commits {
        for (i, e) in c.events.iter().enumerate() {
            // The timeline continues exactly where the writer last saw it: a concurrent append
            // of the same sequence number is refused by the primary key (a conflict).
            let expected = c.expected_version + 1 + i as u64;
            if e.seq != expected {
                return Err(StoreError::Conflict);
            }
            let json = serde_json::to_string(e).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let kind = serde_json::to_value(&e.kind)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str().map(str::to_owned)))
                .unwrap_or_default();
            rows.push(vec![
                Val::text(c.case.id.0.clone()),
                Val::Int(i64::try_from(e.seq).unwrap_or(i64::MAX)),
                Val::time(e.at),
                Val::Text(kind),
                Val::Text(json),
            ]);
        }
    }
    run_rows(
        tx,
        "INSERT INTO case_events (case_id, seq, at, kind, event) VALUES ",
        "",
        5,
        rows,
    )
    .await
}

async fn write_tasks(
    tx: &mut Transaction<'_, Any>,
    commits: &[&CaseCommit],
) -> Result<(), StoreError> {
    let mut latest: BTreeMap<&str, Vec<Val>> = BTreeMap::new();
    for c in commits {
        for t in &c.tasks {
            latest.insert(
                t.id.as_str(),
                vec![
                    Val::text(t.id.clone()),
                    Val::text(t.case_id.0.clone()),
                    Val::text(t.item.clone()),
                    Val::text(t.step.clone()),
                    Val::text(t.step_name.clone()),
                    Val::text(t.department.clone()),
                    Val::text(t.level.clone()),
                    Val::text(t.region.clone()),
                    Val::text(t.region_path.clone()),
                    Val::text(t.status.clone()),
                    Val::opt_date(t.due_on),
                    Val::time(t.opened_at),
                    Val::opt_time(t.decided_at),
                ],
            );
        }
    }
    run_rows(
        tx,
        "INSERT INTO tasks (id, case_id, item, step, step_name, department, level, region, region_path, status, \
         due_on, opened_at, decided_at) VALUES ",
        " ON CONFLICT (id) DO UPDATE SET status = excluded.status, due_on = excluded.due_on, \
         decided_at = excluded.decided_at",
        13,
        latest.into_values().collect(),
    )
    .await
}

async fn write_forms(
    tx: &mut Transaction<'_, Any>,
    commits: &[&CaseCommit],
) -> Result<(), StoreError> {
    let rows = commits
        .iter()
        .filter_map(|c| {
            c.form.as_ref().map(|f| {
                vec![
                    Val::text(c.case.id.0.clone()),
                    Val::Int(i64::from(f.version)),
                    Val::Blob(f.sealed.clone()),
                ]
            })
        })
        .collect();
    run_rows(
        tx,
        "INSERT INTO case_forms (case_id, version, sealed) VALUES ",
        "",
        3,
        rows,
    )
    .await
}
