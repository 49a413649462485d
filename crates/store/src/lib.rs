//! Storage adapters: one set of repository ports ([`service::ports`]) served by SQLite (an
//! embedded file in WAL mode, the default) and PostgreSQL, through sqlx's `Any` driver with the
//! same SQL on both (see docs/adr/0001-one-store-two-engines.md). Migrations live in
//! `migrations/sqlite` and `migrations/postgres`.
//!
//! Writes of cases go through [`writer`]: either straight to a pool connection, one transaction
//! per commit, or through a single writer that group-commits many acknowledged commits in one
//! durable transaction (docs/adr/0002-group-commit.md).
//!
//! The audit log ([`service::ports::AuditStore`]) is appended by requests and inside case
//! commits, and chained by a background sealer started by [`Db::open`] (docs/adr/0005-audit-chain.md).

mod audit;
mod auth;
mod cases;
mod connect;
mod files;
pub mod keys;
mod prepare;
pub mod reference;
mod registry;
mod rows;
mod scope;
mod sql;
mod sqlite_multi;
mod sqlite_reader;
mod sqlite_writer;
pub mod timeline;
mod writer;

use std::sync::Arc;

use service::Vault;
use service::ports::StoreError;
use sqlx::AnyPool;
use tokio::sync::mpsc;

pub use connect::{AUDIT_CHECKPOINTS, DbOptions, Engine, Synchronous};

/// The store: a connection pool, the vault that seals personal data, and the case writer.
#[derive(Clone, Debug)]
pub struct Db {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: AnyPool,
    engine: Engine,
    vault: Arc<Vault>,
    writer: Option<mpsc::Sender<writer::Job>>,
    stats: Arc<writer::Stats>,
    /// Point reads on the hot path, on an SQLite file.
    reader: Option<sqlite_reader::Reader>,
    sealer: Arc<audit::Sealer>,
}

impl Db {
    /// Connects, runs the migrations, starts the group-commit writer if asked, and starts the
    /// audit sealer (on the current tokio runtime).
    pub async fn open(options: &DbOptions, vault: Arc<Vault>) -> Result<Db, StoreError> {
        let (pool, engine) = connect::pool(options).await?;
        connect::migrate(&pool, engine).await?;
        let stats = Arc::new(writer::Stats::default());
        let writer = match (options.group_commit, engine, options.sqlite_path()) {
            (false, _, _) => None,
            (true, Engine::Sqlite, Some(path)) => Some(sqlite_writer::spawn(
                path,
                options.synchronous,
                stats.clone(),
            )?),
            (true, _, _) => Some(writer::spawn(pool.clone(), engine, stats.clone())),
        };
        let reader = options.sqlite_path().map(sqlite_reader::Reader::new);
        let sealer = Arc::new(audit::Sealer::new(
            pool.clone(),
            engine,
            options.audit_checkpoints.clone(),
        ));
        audit::spawn_sealer(Arc::downgrade(&sealer));
        Ok(Db {
            inner: Arc::new(Inner {
                pool,
                engine,
                vault,
                writer,
                stats,
                reader,
                sealer,
            }),
        })
    }

    pub fn engine(&self) -> Engine {
        self.inner.engine
    }

    pub fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    /// Is the database reachable?
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1")
            .execute(&self.inner.pool)
            .await
            .is_ok()
    }

    /// Seals the audit entries written so far, then closes the pool (the writer finishes what
    /// it holds first).
    pub async fn close(&self) {
        if let Err(e) = self.inner.sealer.seal(audit::Pace::Now).await {
            tracing::warn!(error = %e, "audit entries left unsealed at close");
        }
        self.inner.pool.close().await;
    }
}

impl service::ports::Health for Db {
    async fn ping(&self) -> bool {
        sqlx::query("SELECT 1")
            .execute(&self.inner.pool)
            .await
            .is_ok()
    }

    fn engine_name(&self) -> &'static str {
        self.inner.engine.label()
    }

    async fn case_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.status_counts().await
    }

    fn writer_stats(&self) -> Option<service::ports::WriterStats> {
        self.inner
            .writer
            .as_ref()
            .map(|_| self.inner.stats.snapshot())
    }

    async fn overdue_tasks(&self, today: chrono::NaiveDate) -> Result<i64, StoreError> {
        use sqlx::Row;
        let row = sql::bind_all(
            sql::query(
                "SELECT COUNT(*) AS n FROM tasks WHERE status = 'open' AND due_on < $1".into(),
            ),
            [sql::Val::date(today)],
        )
        .fetch_one(&self.inner.pool)
        .await
        .map_err(db_error)?;
        row.try_get("n").map_err(db_error)
    }
}

pub(crate) fn db_error(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        let msg = db.message();
        let constraint = db.constraint().unwrap_or("");
        // A concurrent append to a case's timeline, or a concurrent first registration of the
        // same person: someone else got there first.
        if msg.contains("case_events")
            || constraint.starts_with("case_events")
            || msg.contains("persons.id_index")
            || constraint.starts_with("persons_id_index")
        {
            return StoreError::Conflict;
        }
        if msg.contains("idempotency_keys") || constraint.starts_with("idempotency_keys") {
            return StoreError::DuplicateKey;
        }
    }
    if matches!(e, sqlx::Error::PoolClosed) {
        return StoreError::Closed;
    }
    StoreError::Database(e.to_string())
}
