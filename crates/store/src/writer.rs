//! Writing case commits through sqlx: the PostgreSQL group-commit writer, and every commit in
//! its own transaction when group commit is off (both engines). [`write`] writes any number of
//! prepared commits in one transaction with a handful of multi-row statements. The SQLite
//! group-commit writer is in [`crate::sqlite_writer`].
//!
//! A group-commit writer takes every commit that queued up while the previous batch was being
//! made durable and acknowledges each only after the transaction is committed. If a batch fails,
//! each of its commits is retried alone so that one bad commit (a conflict) never fails the
//! others.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use domain::region::RegionCode;
use domain::workflow::CaseNumber;
use service::ports::{Committed, StoreError, WriterStats};
use sqlx::{Any, AnyPool, Row, Transaction};
use tokio::sync::{mpsc, oneshot};

use crate::connect::Engine;
use crate::db_error;
use crate::prepare::{Prepared, RegistryStmt, set_flag};
use crate::sql::{Val, bind_all, for_engine, query, run_rows};

/// The most commits one transaction carries.
pub(crate) const MAX_BATCH: usize = 512;

/// The writer's running totals, shared with whoever reports them.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    batches: AtomicU64,
    commits: AtomicU64,
    busy_ns: AtomicU64,
    durable_ns: AtomicU64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Stats {
    /// One transaction of `commits` commits, `busy` long, `durable` of it in `COMMIT`.
    pub(crate) fn record(&self, commits: usize, busy: Duration, durable: Duration) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.commits
            .fetch_add(u64::try_from(commits).unwrap_or(0), Ordering::Relaxed);
        self.busy_ns.fetch_add(nanos(busy), Ordering::Relaxed);
        self.durable_ns.fetch_add(nanos(durable), Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> WriterStats {
        WriterStats {
            batches: self.batches.load(Ordering::Relaxed),
            commits: self.commits.load(Ordering::Relaxed),
            busy: Duration::from_nanos(self.busy_ns.load(Ordering::Relaxed)),
            durable: Duration::from_nanos(self.durable_ns.load(Ordering::Relaxed)),
        }
    }
}

pub(crate) struct Job {
    pub commit: Prepared,
    reply: oneshot::Sender<Answer>,
}

/// The outcome of a commit, with the commit itself handed back: its memory is then freed by the
/// caller's task instead of by the writer, which is the bottleneck of the write path and would
/// otherwise free a few dozen allocations per commit, each made on another thread.
type Answer = (Result<Committed, StoreError>, Prepared);

impl Job {
    /// Answers the caller.
    pub(crate) fn answer(self, result: Result<Committed, StoreError>) {
        let _ = self.reply.send((result, self.commit));
    }

    /// Answers the caller with the outcome of its commit written in a transaction of its own.
    pub(crate) fn answer_alone(self, written: Result<(Vec<Committed>, Duration), StoreError>) {
        self.answer(
            written.map(|(mut results, _)| results.pop().unwrap_or(Committed { number: None })),
        );
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("case", &self.commit.case_id)
            .finish_non_exhaustive()
    }
}

pub(crate) fn spawn(pool: AnyPool, engine: Engine, stats: Arc<Stats>) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let batch = gather(first, &mut rx);
            let commits: Vec<&Prepared> = batch.iter().map(|j| &j.commit).collect();
            let started = Instant::now();
            let written = write(&pool, engine, &commits).await;
            for job in settle(batch, written, started, &stats) {
                let alone = write(&pool, engine, &[&job.commit]).await;
                job.answer_alone(alone);
            }
        }
    });
    tx
}

/// The first commit and every other one already queued, up to [`MAX_BATCH`].
pub(crate) fn gather(first: Job, rx: &mut mpsc::Receiver<Job>) -> Vec<Job> {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    batch
}

/// Answers the callers of a batch written in one transaction (`written`: each commit's result
/// and the time spent in `COMMIT`) and records it. A failed batch of one gets its error; a
/// larger failed batch is handed back, to be retried commit by commit, so that one bad commit
/// (a conflict) never fails the others.
pub(crate) fn settle(
    batch: Vec<Job>,
    written: Result<(Vec<Committed>, Duration), StoreError>,
    started: Instant,
    stats: &Stats,
) -> Vec<Job> {
    match written {
        Ok((results, durable)) => {
            stats.record(batch.len(), started.elapsed(), durable);
            for (job, r) in batch.into_iter().zip(results) {
                job.answer(Ok(r));
            }
            Vec::new()
        }
        Err(e) if batch.len() == 1 => {
            if let Some(job) = batch.into_iter().next() {
                job.answer(Err(e));
            }
            Vec::new()
        }
        Err(_) => batch,
    }
}

/// Sends a commit to a writer and waits until it is durable.
pub(crate) async fn submit(
    tx: &mpsc::Sender<Job>,
    commit: Prepared,
) -> Result<Committed, StoreError> {
    let (reply, answer) = oneshot::channel();
    tx.send(Job { commit, reply })
        .await
        .map_err(|_| StoreError::Closed)?;
    let (result, commit) = answer.await.map_err(|_| StoreError::Closed)?;
    drop(commit);
    result
}

/// Writes commits in one transaction (begun IMMEDIATE on SQLite, so concurrent writers queue);
/// also says how long its `COMMIT` took.
pub(crate) async fn write(
    pool: &AnyPool,
    engine: Engine,
    commits: &[&Prepared],
) -> Result<(Vec<Committed>, Duration), StoreError> {
    let mut tx = match engine {
        Engine::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Engine::Postgres => pool.begin().await,
    }
    .map_err(db_error)?;
    let numbers = allocate_numbers(&mut tx, engine, commits).await?;
    // One row per case and per task (the last commit of the batch wins), as PostgreSQL will not
    // update one row twice in one statement.
    let mut cases: BTreeMap<&str, Vec<Val>> = BTreeMap::new();
    let mut tasks: BTreeMap<(&[u8], i64), Vec<Val>> = BTreeMap::new();
    let mut events = Vec::new();
    let mut forms = Vec::new();
    let mut keys = Vec::new();
    let mut audit = Vec::new();
    for c in commits {
        if let Some(row) = &c.case_row {
            let mut row = row.clone();
            if let Some(n) = numbers.get(c.case_id.as_str()) {
                row[1] = Val::Text(n.to_string());
            }
            cases.insert(c.case_id.as_str(), row);
        }
        for t in &c.tasks {
            // Keyed by the row's case and number (its first two columns).
            if let [Val::Blob(case), Val::Int(n), ..] = t.as_slice() {
                tasks.insert((case.as_slice(), *n), t.clone());
            }
        }
        events.push(c.events.clone());
        forms.extend(c.form.iter().cloned());
        keys.extend(c.idempotency.iter().cloned());
        audit.extend(c.audit.iter().map(|a| crate::audit::audit_row(&a.entry)));
    }
    let case_head = format!(
        "INSERT INTO cases ({}) VALUES ",
        crate::prepare::CASE_COLUMNS
    );
    run_rows(
        &mut tx,
        engine,
        &case_head,
        crate::prepare::CASE_UPSERT_TAIL,
        13,
        cases.into_values().collect(),
    )
    .await?;
    run_rows(
        &mut tx,
        engine,
        "INSERT INTO case_events (case_id, seq, last_seq, at, events) VALUES ",
        "",
        5,
        events,
    )
    .await?;
    let task_head = format!(
        "INSERT INTO tasks ({}) VALUES ",
        crate::prepare::TASK_COLUMNS
    );
    run_rows(
        &mut tx,
        engine,
        &task_head,
        crate::prepare::TASK_UPSERT_TAIL,
        13,
        tasks.into_values().collect(),
    )
    .await?;
    run_rows(
        &mut tx,
        engine,
        "INSERT INTO case_forms (case_id, version, sealed) VALUES ",
        "",
        3,
        forms,
    )
    .await?;
    run_rows(
        &mut tx,
        engine,
        "INSERT INTO idempotency_keys (caller, key, body_hash, case_id, created_at) VALUES ",
        "",
        5,
        keys,
    )
    .await?;
    run_rows(
        &mut tx,
        engine,
        crate::audit::AUDIT_INSERT_HEAD,
        "",
        crate::audit::AUDIT_COLUMNS,
        audit,
    )
    .await?;
    for c in commits {
        for stmt in &c.registry {
            run_registry(&mut tx, engine, stmt).await?;
        }
    }
    let committing = Instant::now();
    tx.commit().await.map_err(db_error)?;
    let durable = committing.elapsed();
    let results = commits
        .iter()
        .map(|c| Committed {
            number: numbers.get(c.case_id.as_str()).cloned(),
        })
        .collect();
    Ok((results, durable))
}

async fn run_registry(
    tx: &mut Transaction<'_, Any>,
    engine: Engine,
    stmt: &RegistryStmt,
) -> Result<(), StoreError> {
    match stmt {
        RegistryStmt::Exec(s) => {
            bind_all(query(for_engine(s.sql, engine)), s.values.iter().cloned())
                .execute(&mut **tx)
                .await
                .map_err(db_error)?;
        }
        RegistryStmt::FlagSet { person, field } => {
            let row = bind_all(
                query(for_engine(
                    "SELECT status FROM persons WHERE id = ?",
                    engine,
                )),
                [Val::text(person.clone())],
            )
            .fetch_one(&mut **tx)
            .await
            .map_err(db_error)?;
            let status: String = row.try_get("status").map_err(db_error)?;
            bind_all(
                query(for_engine(
                    "UPDATE persons SET status = ? WHERE id = ?",
                    engine,
                )),
                [
                    Val::Text(set_flag(&status, field)?),
                    Val::text(person.clone()),
                ],
            )
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        }
    }
    Ok(())
}

/// Allocates case numbers: one counter row per handling unit and day, bumped by the number of
/// new cases in the batch, inside the same transaction — so a number exists only if its case
/// does, and no two cases share one.
async fn allocate_numbers(
    tx: &mut Transaction<'_, Any>,
    engine: Engine,
    commits: &[&Prepared],
) -> Result<HashMap<String, CaseNumber>, StoreError> {
    let mut groups: BTreeMap<(String, chrono::NaiveDate), Vec<&str>> = BTreeMap::new();
    for c in commits {
        if let Some((unit, day)) = &c.new_number {
            groups
                .entry((unit.clone(), *day))
                .or_default()
                .push(c.case_id.as_str());
        }
    }
    let mut out = HashMap::new();
    for ((unit, day), ids) in groups {
        let k = i64::try_from(ids.len()).unwrap_or(i64::MAX);
        let row = bind_all(
            query(for_engine(crate::prepare::NUMBER_BUMP, engine)),
            [Val::text(unit.clone()), Val::date(day), Val::Int(k)],
        )
        .fetch_one(&mut **tx)
        .await
        .map_err(db_error)?;
        let last: i64 = row.try_get("last").map_err(db_error)?;
        for (i, id) in ids.into_iter().enumerate() {
            let seq = last - k + 1 + i64::try_from(i).unwrap_or(0);
            out.insert(id.to_owned(), case_number(&unit, day, seq)?);
        }
    }
    Ok(out)
}

pub(crate) fn case_number(
    unit: &str,
    day: chrono::NaiveDate,
    seq: i64,
) -> Result<CaseNumber, StoreError> {
    let region = RegionCode::parse(unit).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let seq = u32::try_from(seq).map_err(|_| StoreError::Corrupt("case number overflow".into()))?;
    Ok(CaseNumber {
        region,
        date: day,
        seq,
    })
}
