//! Connection pools and migrations for both engines.

use std::str::FromStr;
use std::time::Duration;

use service::ports::StoreError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::db_error;

/// Which engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn from_url(url: &str) -> Option<Engine> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

/// SQLite's `synchronous` setting: FULL syncs the WAL at every commit (durable against power
/// loss); NORMAL only at checkpoints (durable against a process crash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    Full,
    Normal,
}

/// The audit checkpoint file's name in the data directory.
pub const AUDIT_CHECKPOINTS: &str = "audit-checkpoints.log";

/// How to connect.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub url: String,
    pub max_connections: u32,
    /// Route case commits through one writer that group-commits them.
    pub group_commit: bool,
    pub synchronous: Synchronous,
    /// The file the audit sealer appends the chain's head to, outside the database (ADR 0005);
    /// `None`: no checkpoints, so cutting off the newest entries cannot be caught.
    pub audit_checkpoints: Option<std::path::PathBuf>,
}

impl DbOptions {
    /// An embedded SQLite file (created if missing), with the audit checkpoints beside it.
    pub fn sqlite_file(path: &std::path::Path) -> Self {
        Self {
            url: format!("sqlite://{}?mode=rwc", path.display()),
            max_connections: 8,
            group_commit: true,
            synchronous: Synchronous::Full,
            audit_checkpoints: Some(path.with_file_name(AUDIT_CHECKPOINTS)),
        }
    }

    /// The file of an SQLite URL (`sqlite://path?…`), if it names one.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        let rest = self
            .url
            .strip_prefix("sqlite://")
            .or_else(|| self.url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && !path.contains(":memory:")).then(|| std::path::PathBuf::from(path))
    }

    /// A PostgreSQL database; set `audit_checkpoints` to a file on this instance's disk.
    pub fn postgres(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            max_connections: 8,
            group_commit: true,
            synchronous: Synchronous::Full,
            audit_checkpoints: None,
        }
    }
}

pub(crate) async fn pool(options: &DbOptions) -> Result<(AnyPool, Engine), StoreError> {
    sqlx::any::install_default_drivers();
    let engine = Engine::from_url(&options.url).ok_or_else(|| {
        StoreError::Database("DATABASE_URL must start with sqlite: or postgres:".into())
    })?;
    let connect = AnyConnectOptions::from_str(&options.url).map_err(db_error)?;
    let synchronous = match options.synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    let pool = AnyPoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if engine == Engine::Sqlite {
                    let pragmas = format!(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000; \
                         PRAGMA temp_store = MEMORY;"
                    );
                    conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(pragmas)))
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(connect)
        .await
        .map_err(db_error)?;
    Ok((pool, engine))
}

pub(crate) async fn migrate(pool: &AnyPool, engine: Engine) -> Result<(), StoreError> {
    let result = match engine {
        Engine::Sqlite => sqlx::migrate!("./migrations/sqlite").run(pool).await,
        Engine::Postgres => sqlx::migrate!("./migrations/postgres").run(pool).await,
    };
    result.map_err(|e| StoreError::Database(format!("migration failed: {e}")))
}
