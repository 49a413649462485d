//! The audit log on both engines (ADR 0005): appending unsealed rows (also inside case commits,
//! by the writers), sealing them into the SM3 chain, the checkpoint file outside the database,
//! and reading the chain back for verification.
//!
//! Appending takes no lock of ours: requests only insert. The [`Sealer`] chains pending rows
//! under the engine's exclusive write lock (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a
//! transaction-scoped advisory lock), so one sealer in one instance extends the chain at a time,
//! in short transactions that never wait for a request. The SQLite group-commit writer holds
//! that lock anyway, so it links its commits' entries into the chain as it inserts them
//! ([`crate::sqlite_writer`]); what others append is left to the sealer.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Weak;
use std::time::Duration;

use chrono::SecondsFormat;
use service::Clock as _;
use service::audit::{AuditEntry, ChainHead, Checkpoint, SealedEntry, chain_hash, entry_digest};
use service::ports::{AuditStore, StoreError};
use sqlx::{Any, Row};

use crate::connect::Engine;
use crate::sql::{Val, bind_all, query, run_rows};
use crate::{Db, db_error};

/// The head of a multi-row insert of unsealed rows ([`audit_row`], 6 columns).
pub(crate) const AUDIT_INSERT_HEAD: &str =
    "INSERT INTO audit_log (at, actor, action, subject, reason, detail) VALUES ";
pub(crate) const AUDIT_COLUMNS: usize = 6;
/// The table and columns of rows inserted already linked into the chain (by a writer holding the
/// write lock; 9 columns).
pub(crate) const AUDIT_SEALED_TARGET: &str =
    "audit_log (at, actor, action, subject, reason, detail, seq, prev_hash, hash)";
pub(crate) const AUDIT_SEALED_COLUMNS: usize = 9;
/// The newest entry of the chain.
pub(crate) const AUDIT_HEAD: &str =
    "SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1";

/// How often the background sealer looks for pending entries.
const SEAL_EVERY: Duration = Duration::from_millis(200);
/// How often, at most, the background sealer appends the head to the checkpoint file (each
/// append is a sync; on a busy disk syncs delay one another, so fewer keep commits prompt).
/// Sealing on demand and at close always records the head.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// Entries chained per transaction: the write lock is held only this long.
const SEAL_ROUND: usize = 1_024;
/// The PostgreSQL advisory lock key that makes sealing one-at-a-time across instances.
const SEAL_LOCK: i64 = 0x594A_5341_5544_4954; // "YJSAUDIT"

/// An entry of a case commit, ready to write: cleaned, with its digest computed in the
/// caller's task.
#[derive(Debug, Clone)]
pub(crate) struct PreparedAudit {
    pub entry: AuditEntry,
    pub digest: [u8; 32],
}

pub(crate) fn prepare_entry(entry: AuditEntry) -> PreparedAudit {
    let entry = clean(entry);
    PreparedAudit {
        digest: entry_digest(&entry),
        entry,
    }
}

/// PostgreSQL text cannot hold NUL, so a NUL becomes U+FFFD before the row is written (and is
/// hashed as stored).
pub(crate) fn clean(e: AuditEntry) -> AuditEntry {
    let clean = |s: String| {
        if s.contains('\0') {
            s.replace('\0', "\u{FFFD}")
        } else {
            s
        }
    };
    AuditEntry {
        at: e.at,
        actor: clean(e.actor),
        action: clean(e.action),
        subject: clean(e.subject),
        reason: clean(e.reason),
        detail: clean(e.detail),
    }
}

/// A cleaned entry as the values of an unsealed row.
pub(crate) fn audit_row(e: &AuditEntry) -> Vec<Val> {
    vec![
        Val::time(e.at),
        Val::text(e.actor.clone()),
        Val::text(e.action.clone()),
        Val::text(e.subject.clone()),
        Val::text(e.reason.clone()),
        Val::text(e.detail.clone()),
    ]
}

/// Whether a seal must record the head now or may leave it to a later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pace {
    /// On demand and at close.
    Now,
    /// The background sealer's ticks.
    Background,
}

/// Chains pending entries; one seal at a time in this process.
#[derive(Debug)]
pub(crate) struct Sealer {
    pool: sqlx::AnyPool,
    engine: Engine,
    checkpoints: Option<PathBuf>,
    /// Held for a whole seal; the last head written to the checkpoint file (its seq and when).
    state: tokio::sync::Mutex<Option<(i64, tokio::time::Instant)>>,
}

impl Sealer {
    pub(crate) fn new(pool: sqlx::AnyPool, engine: Engine, checkpoints: Option<PathBuf>) -> Self {
        Self {
            pool,
            engine,
            checkpoints,
            state: tokio::sync::Mutex::new(None),
        }
    }

    /// Seals everything pending, then records the head in the checkpoint file if it is past the
    /// last head recorded by this process (whoever sealed it) — unless `Pace::Background` and the
    /// last record is younger than [`CHECKPOINT_EVERY`].
    pub(crate) async fn seal(&self, pace: Pace) -> Result<Option<ChainHead>, StoreError> {
        let mut recorded = self.state.lock().await;
        let head = loop {
            let (head, sealed) = self.round().await?;
            if sealed < SEAL_ROUND {
                break head;
            }
        };
        let due = |at: tokio::time::Instant| pace == Pace::Now || at.elapsed() >= CHECKPOINT_EVERY;
        if let (Some(h), Some(path)) = (&head, &self.checkpoints)
            && recorded.is_none_or(|(seq, at)| h.seq > seq && due(at))
        {
            append_checkpoint(path.clone(), h.clone()).await?;
            *recorded = Some((h.seq, tokio::time::Instant::now()));
        }
        Ok(head)
    }

    /// Chains up to [`SEAL_ROUND`] pending entries in one transaction; returns the head after it
    /// and how many were chained.
    async fn round(&self) -> Result<(Option<ChainHead>, usize), StoreError> {
        // A look without the write lock first: when nothing is pending, nobody waits for us.
        let pending =
            query("SELECT id FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT 1".into())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        if pending.is_none() {
            return Ok((read_head(&self.pool).await?, 0));
        }
        let mut tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => self.pool.begin().await,
        }
        .map_err(db_error)?;
        if self.engine == Engine::Postgres {
            bind_all(
                query("SELECT pg_advisory_xact_lock($1)".into()),
                [Val::Int(SEAL_LOCK)],
            )
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        // Read under the lock: the head cannot move until we commit.
        let head = read_head(&mut *tx).await?;
        let rows = bind_all(
            query(
                "SELECT id, at, actor, action, subject, reason, detail FROM audit_log \
                 WHERE seq IS NULL ORDER BY id LIMIT $1"
                    .into(),
            ),
            [Val::Int(SEAL_ROUND as i64)],
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error)?;
        let (mut seq, mut prev) =
            head.map_or((0, service::audit::GENESIS.to_owned()), |h| (h.seq, h.hash));
        let mut updates = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id").map_err(db_error)?;
            let entry = entry_of(row)?;
            seq += 1;
            let hash = chain_hash(&prev, seq, &entry);
            updates.push(vec![
                Val::Int(id),
                Val::Int(seq),
                Val::Text(std::mem::replace(&mut prev, hash.clone())),
                Val::Text(hash),
            ]);
        }
        let sealed = updates.len();
        run_rows(
            &mut tx,
            self.engine,
            "UPDATE audit_log SET seq = v.column2, prev_hash = v.column3, hash = v.column4 \
             FROM (VALUES ",
            ") AS v WHERE audit_log.id = v.column1",
            4,
            updates,
        )
        .await?;
        tx.commit().await.map_err(db_error)?;
        let head = (seq > 0).then_some(ChainHead { seq, hash: prev });
        Ok((head, sealed))
    }
}

/// Seals every [`SEAL_EVERY`] while the store is open.
pub(crate) fn spawn_sealer(sealer: Weak<Sealer>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SEAL_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tick.tick().await;
            let Some(sealer) = sealer.upgrade() else {
                break;
            };
            match sealer.seal(Pace::Background).await {
                Ok(_) if failing => {
                    failing = false;
                    tracing::info!("audit sealing works again");
                }
                Ok(_) => {}
                Err(StoreError::Closed) => break,
                Err(e) if !failing => {
                    failing = true;
                    tracing::error!(error = %e, "audit sealing failed; retrying");
                }
                Err(_) => {}
            }
        }
    });
}

async fn read_head<'e, E>(executor: E) -> Result<Option<ChainHead>, StoreError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let row = query(AUDIT_HEAD.into())
        .fetch_optional(executor)
        .await
        .map_err(db_error)?;
    row.map(|r| {
        Ok(ChainHead {
            seq: r.try_get("seq").map_err(db_error)?,
            hash: r
                .try_get::<Option<String>, _>("hash")
                .map_err(db_error)?
                .unwrap_or_default(),
        })
    })
    .transpose()
}

fn entry_of(row: &sqlx::any::AnyRow) -> Result<AuditEntry, StoreError> {
    let s = |c: &str| row.try_get::<String, _>(c).map_err(db_error);
    let micros: i64 = row.try_get("at").map_err(db_error)?;
    Ok(AuditEntry {
        at: chrono::DateTime::from_timestamp_micros(micros)
            .ok_or_else(|| StoreError::Corrupt(format!("audit instant {micros}")))?,
        actor: s("actor")?,
        action: s("action")?,
        subject: s("subject")?,
        reason: s("reason")?,
        detail: s("detail")?,
    })
}

/// Appends `<seq> <hash> <RFC 3339 time>` to the checkpoint file and syncs it.
async fn append_checkpoint(path: PathBuf, head: ChainHead) -> Result<(), StoreError> {
    let at = service::SystemClock
        .now()
        .to_rfc3339_opts(SecondsFormat::Micros, true);
    let line = format!("{} {} {at}\n", head.seq, head.hash);
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let created = !path.exists();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        file.write_all(line.as_bytes())?;
        file.sync_data()?;
        if created {
            // The new file's name must survive a crash too.
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    })
    .await
    .map_err(|e| StoreError::Database(format!("audit checkpoint task: {e}")))?
    .map_err(|e| StoreError::Database(format!("audit checkpoint file {shown}: {e}")))
}

/// Every line of the checkpoint file; a missing file has none. A last line without its newline
/// (a write cut short by a crash) is ignored.
async fn read_checkpoints(path: PathBuf) -> Result<Vec<Checkpoint>, StoreError> {
    let shown = path.display().to_string();
    let text = match tokio::fs::read_to_string(&path).await {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(StoreError::Database(format!(
                "audit checkpoint file {shown}: {e}"
            )));
        }
    };
    let complete = text.rsplit_once('\n').map_or("", |(done, _)| done);
    complete
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            let mut parts = line.split_whitespace();
            let parsed = match (parts.next(), parts.next(), parts.next()) {
                (Some(seq), Some(hash), Some(at)) => seq.parse().ok().map(|seq| Checkpoint {
                    seq,
                    hash: hash.to_owned(),
                    at: at.to_owned(),
                }),
                _ => None,
            };
            parsed.ok_or_else(|| {
                StoreError::Corrupt(format!("audit checkpoint file {shown}, line {}", i + 1))
            })
        })
        .collect()
}

impl AuditStore for Db {
    async fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let rows = entries
            .iter()
            .map(|e| audit_row(&clean(e.clone())))
            .collect();
        let mut tx = self.begin_write().await?;
        run_rows(
            &mut tx,
            self.inner.engine,
            AUDIT_INSERT_HEAD,
            "",
            AUDIT_COLUMNS,
            rows,
        )
        .await?;
        tx.commit().await.map_err(db_error)
    }

    async fn seal_audit(&self) -> Result<Option<ChainHead>, StoreError> {
        self.inner.sealer.seal(Pace::Now).await
    }

    async fn audit_head(&self) -> Result<Option<ChainHead>, StoreError> {
        read_head(&self.inner.pool).await
    }

    async fn audit_entries(&self, after: i64, limit: u32) -> Result<Vec<SealedEntry>, StoreError> {
        let rows = bind_all(
            query(
                "SELECT id, at, actor, action, subject, reason, detail, seq, prev_hash, hash \
                 FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
                    .into(),
            ),
            [Val::Int(after), Val::Int(i64::from(limit))],
        )
        .fetch_all(&self.inner.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let text = |c: &str| {
                    r.try_get::<Option<String>, _>(c)
                        .map(Option::unwrap_or_default)
                        .map_err(db_error)
                };
                Ok(SealedEntry {
                    id: r.try_get("id").map_err(db_error)?,
                    seq: r.try_get("seq").map_err(db_error)?,
                    prev_hash: text("prev_hash")?,
                    hash: text("hash")?,
                    entry: entry_of(r)?,
                })
            })
            .collect()
    }

    async fn audit_checkpoints(&self) -> Result<Option<Vec<Checkpoint>>, StoreError> {
        match &self.inner.sealer.checkpoints {
            None => Ok(None),
            Some(path) => read_checkpoints(path.clone()).await.map(Some),
        }
    }
}
