//! The SQLite group-commit writer: one OS thread owning one SQLite connection (rusqlite, the
//! same bundled SQLite library sqlx links), with prepared statements kept across batches.
//!
//! sqlx spends tens of microseconds per statement on SQLite; a dedicated connection binding
//! prepared statements costs a few. The writer takes every prepared commit that queued while the
//! previous transaction was being made durable, writes them in one `BEGIN IMMEDIATE`
//! transaction, and acknowledges each only after `COMMIT` returned (with `synchronous=FULL`
//! the WAL is synced by then). A failed batch is retried commit by commit, so one conflicting
//! commit never fails the others. Checkpoints run on a second connection so the writer does not
//! pay for them.
//!
//! The writer's transaction holds SQLite's write lock, which is also what sealing the audit chain
//! needs: so the writer links its commits' audit entries into the chain as it inserts them (the
//! entries' digests were computed by the callers), and the sealer only has the rows others
//! appended left to do (ADR 0005).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{
    CachedStatement, Connection, OptionalExtension, TransactionBehavior, params_from_iter,
};
use service::ports::{Committed, StoreError};
use tokio::sync::mpsc;

use crate::audit::{AUDIT_HEAD, AUDIT_SEALED_COLUMNS, AUDIT_SEALED_TARGET, PreparedAudit};
use crate::connect::Synchronous;
use crate::prepare::IDEMPOTENCY_INSERT;
use crate::prepare::{
    CASE_UPSERT, EVENT_TARGET, FORM_INSERT, NUMBER_BUMP, Prepared, RegistryStmt, TASK_UPDATE,
    TASK_UPSERT, set_flag, task_update_values,
};
use crate::sql::Val;
use crate::sqlite_multi::MultiInsert;
use crate::writer::{Job, MAX_BATCH, Stats, case_number, gather, settle};

/// Binds a value without copying it.
impl ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Val::Int(i) => ValueRef::Integer(*i),
            Val::OptInt(i) => i.map_or(ValueRef::Null, ValueRef::Integer),
            Val::Text(s) => ValueRef::Text(s.as_bytes()),
            Val::OptText(s) => s
                .as_ref()
                .map_or(ValueRef::Null, |s| ValueRef::Text(s.as_bytes())),
            Val::Blob(b) => ValueRef::Blob(b),
            Val::OptBlob(b) => b.as_ref().map_or(ValueRef::Null, |b| ValueRef::Blob(b)),
        }))
    }
}

pub(crate) fn error(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e
        && f.code == rusqlite::ErrorCode::ConstraintViolation
    {
        let msg = msg.as_deref().unwrap_or("");
        if msg.contains("case_events") || msg.contains("persons.id_index") {
            return StoreError::Conflict;
        }
        if msg.contains("idempotency_keys") {
            return StoreError::DuplicateKey;
        }
    }
    StoreError::Database(e.to_string())
}

fn open(path: &PathBuf, synchronous: Synchronous) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    let sync = match synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = 30000; PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY; \
         PRAGMA wal_autocheckpoint = 50000;"
    ))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Starts the writer thread and the checkpointer; the sender closes them when dropped.
pub(crate) fn spawn(
    path: PathBuf,
    synchronous: Synchronous,
    stats: Arc<Stats>,
) -> Result<mpsc::Sender<Job>, StoreError> {
    let mut conn = open(&path, synchronous).map_err(error)?;
    let (tx, mut rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("yjs-sqlite-writer".into())
        .spawn(move || {
            let inserts = Inserts::new();
            while let Some(first) = rx.blocking_recv() {
                let batch = gather(first, &mut rx);
                let commits: Vec<&Prepared> = batch.iter().map(|j| &j.commit).collect();
                let started = Instant::now();
                let written = write_batch(&mut conn, &inserts, &commits);
                for job in settle(batch, written, started, &stats) {
                    let alone = write_batch(&mut conn, &inserts, &[&job.commit]);
                    job.answer_alone(alone);
                }
            }
            let _ = stop_tx.send(());
        })
        .map_err(|e| StoreError::Database(format!("cannot start the writer thread: {e}")))?;
    let checkpointer = open(&path, synchronous).map_err(error)?;
    std::thread::Builder::new()
        .name("yjs-sqlite-checkpoint".into())
        .spawn(move || {
            // PASSIVE never blocks the writer; it copies what it can and tries again.
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stop_rx.recv_timeout(Duration::from_millis(200))
            {
                let _ = checkpointer.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            }
        })
        .map_err(|e| StoreError::Database(format!("cannot start the checkpoint thread: {e}")))?;
    Ok(tx)
}

/// The multi-row inserts of the tables every commit writes to.
struct Inserts {
    events: MultiInsert,
    audit: MultiInsert,
}

impl Inserts {
    fn new() -> Self {
        Self {
            events: MultiInsert::new(EVENT_TARGET, 5, ""),
            audit: MultiInsert::new(AUDIT_SEALED_TARGET, AUDIT_SEALED_COLUMNS, ""),
        }
    }
}

/// Writes the commits in one transaction; also says how long its `COMMIT` (the log written and,
/// with `synchronous=FULL`, synced) took. Each commit's number, case row, form, idempotency key
/// and registry changes are written in commit order; then the batch's tasks, one by one — a
/// changed task updated in place, an opened one inserted (an upsert, as a commit that loses the
/// optimistic lock may carry a task the winner opened; its batch is rolled back anyway); then
/// its timeline rows and its audit entries, linked into the chain, a few multi-row statements
/// each. A commit's conflict fails the batch, which is then retried commit by commit.
fn write_batch(
    conn: &mut Connection,
    inserts: &Inserts,
    commits: &[&Prepared],
) -> Result<(Vec<Committed>, Duration), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(error)?;
    let mut out = Vec::with_capacity(commits.len());
    {
        let mut stmts = Statements::new(&tx);
        for c in commits {
            out.push(write_one(&tx, &mut stmts, c)?);
        }
        // One row at a time: a multi-row upsert keeps a statement journal of the pages it
        // changes, which cost more than it saved (ADR 0002). A changed task binds the five
        // values its update needs instead of the fourteen of its row.
        for c in commits {
            let changed = c.tasks.len() - c.opened_tasks;
            for (i, t) in c.tasks.iter().enumerate() {
                if i < changed {
                    if stmts.exec(Hot::TaskUpdate, task_update_values(t))? != 1 {
                        return Err(StoreError::Corrupt(format!(
                            "a changed task of case {} is not in the database",
                            c.case_id
                        )));
                    }
                } else {
                    stmts.exec(Hot::Task, t)?;
                }
            }
        }
    }
    let events: Vec<&[Val]> = commits.iter().map(|c| c.events.as_slice()).collect();
    inserts.events.run(&tx, &events)?;
    let entries: Vec<&PreparedAudit> = commits.iter().flat_map(|c| &c.audit).collect();
    let links = chain_head(&tx)?.link(&entries);
    let audit: Vec<[ToSqlOutput<'_>; AUDIT_SEALED_COLUMNS]> = entries
        .iter()
        .zip(&links)
        .map(|(a, link)| audit_row(a, link))
        .collect();
    inserts.audit.run(&tx, &audit)?;
    let committing = Instant::now();
    tx.commit().map_err(error)?;
    Ok((out, committing.elapsed()))
}

/// An audit entry's row, borrowed from the entry and its link.
fn audit_row<'a>(a: &'a PreparedAudit, link: &'a Link) -> [ToSqlOutput<'a>; AUDIT_SEALED_COLUMNS] {
    let e = &a.entry;
    let text = |s: &'a str| ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()));
    [
        ToSqlOutput::Owned(rusqlite::types::Value::Integer(e.at.timestamp_micros())),
        text(&e.actor),
        text(&e.action),
        text(&e.subject),
        text(&e.reason),
        text(&e.detail),
        ToSqlOutput::Owned(rusqlite::types::Value::Integer(link.seq)),
        text(&link.prev_hash),
        text(&link.hash),
    ]
}

/// The hot statements, taken from the connection's cache once per transaction instead of once
/// per row: each take and give-back hashes the SQL text and resets the statement, which cost the
/// writer a tenth of its instructions when done per row.
struct Statements<'t> {
    tx: &'t rusqlite::Transaction<'t>,
    slots: [Option<CachedStatement<'t>>; Hot::ALL.len()],
}

/// The statements every batch runs.
#[derive(Debug, Clone, Copy)]
enum Hot {
    Number,
    Case,
    Task,
    TaskUpdate,
    Form,
    Idempotency,
}

impl Hot {
    const ALL: [Self; 6] = [
        Self::Number,
        Self::Case,
        Self::Task,
        Self::TaskUpdate,
        Self::Form,
        Self::Idempotency,
    ];

    fn sql(self) -> &'static str {
        match self {
            Self::Number => NUMBER_BUMP,
            Self::Case => CASE_UPSERT,
            Self::Task => TASK_UPSERT,
            Self::TaskUpdate => TASK_UPDATE,
            Self::Form => FORM_INSERT,
            Self::Idempotency => IDEMPOTENCY_INSERT,
        }
    }
}

impl<'t> Statements<'t> {
    fn new(tx: &'t rusqlite::Transaction<'t>) -> Self {
        Self {
            tx,
            slots: Default::default(),
        }
    }

    fn get(&mut self, hot: Hot) -> Result<&mut CachedStatement<'t>, StoreError> {
        match &mut self.slots[hot as usize] {
            Some(stmt) => Ok(stmt),
            empty => Ok(empty.insert(self.tx.prepare_cached(hot.sql()).map_err(error)?)),
        }
    }

    /// Runs a hot statement; says how many rows it changed.
    fn exec<V: ToSql>(
        &mut self,
        hot: Hot,
        values: impl IntoIterator<Item = V>,
    ) -> Result<usize, StoreError> {
        self.get(hot)?
            .execute(params_from_iter(values))
            .map_err(error)
    }
}

/// The head of the audit chain as this transaction sees it; it cannot move before the commit.
struct Chain {
    seq: i64,
    hash: String,
}

/// An entry's place in the chain.
struct Link {
    seq: i64,
    prev_hash: String,
    hash: String,
}

impl Chain {
    /// Links `entries` after the head, in order.
    fn link(mut self, entries: &[&PreparedAudit]) -> Vec<Link> {
        entries
            .iter()
            .map(|a| {
                let seq = self.seq + 1;
                let hash = service::audit::link_hash(&self.hash, seq, &a.digest);
                let prev_hash = std::mem::replace(&mut self.hash, hash.clone());
                self.seq = seq;
                Link {
                    seq,
                    prev_hash,
                    hash,
                }
            })
            .collect()
    }
}

fn chain_head(tx: &rusqlite::Transaction<'_>) -> Result<Chain, StoreError> {
    let head: Option<(i64, Option<String>)> = tx
        .prepare_cached(AUDIT_HEAD)
        .map_err(error)?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(error)?;
    Ok(match head {
        Some((seq, hash)) => Chain {
            seq,
            hash: hash.unwrap_or_default(),
        },
        None => Chain {
            seq: 0,
            hash: service::audit::GENESIS.to_owned(),
        },
    })
}

fn exec(tx: &rusqlite::Transaction<'_>, sql: &str, values: &[Val]) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(sql).map_err(error)?;
    stmt.execute(params_from_iter(values.iter()))
        .map_err(error)?;
    Ok(())
}

fn write_one(
    tx: &rusqlite::Transaction<'_>,
    stmts: &mut Statements<'_>,
    c: &Prepared,
) -> Result<Committed, StoreError> {
    let mut number = None;
    if let Some((unit, day)) = &c.new_number {
        let last: i64 = stmts
            .get(Hot::Number)?
            .query_row(
                params_from_iter([Val::text(unit.clone()), Val::date(*day), Val::Int(1)].iter()),
                |r| r.get(0),
            )
            .map_err(error)?;
        number = Some(case_number(unit, *day, last)?);
    }
    if let Some(row) = &c.case_row {
        match &number {
            // The number takes the row's second column, the rest bound as they are.
            Some(n) => {
                let number = Val::Text(n.to_string());
                let values = row
                    .iter()
                    .enumerate()
                    .map(|(i, v)| if i == 1 { &number } else { v });
                stmts.exec(Hot::Case, values)?;
            }
            None => {
                stmts.exec(Hot::Case, row)?;
            }
        }
    }
    if let Some(f) = &c.form {
        stmts.exec(Hot::Form, f)?;
    }
    if let Some(k) = &c.idempotency {
        stmts.exec(Hot::Idempotency, k)?;
    }
    for r in &c.registry {
        match r {
            RegistryStmt::Exec(s) => exec(tx, s.sql, &s.values)?,
            RegistryStmt::FlagSet { person, field } => {
                let status: Option<String> = tx
                    .prepare_cached("SELECT status FROM persons WHERE id = ?")
                    .map_err(error)?
                    .query_row([person], |r| r.get(0))
                    .optional()
                    .map_err(error)?;
                let status = status
                    .ok_or_else(|| StoreError::Corrupt(format!("person {person} not found")))?;
                exec(
                    tx,
                    "UPDATE persons SET status = ? WHERE id = ?",
                    &[
                        Val::Text(set_flag(&status, field)?),
                        Val::text(person.clone()),
                    ],
                )?;
            }
        }
    }
    Ok(Committed { number })
}
