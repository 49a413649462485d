//! The system under load: a real `yijianshi serve` child process on a fresh database
//! (`testkit::serve`: guards that kill the process and remove the data on every path).

use std::path::Path;

use anyhow::anyhow;
use testkit::app::TestEngine;
pub use testkit::serve::{Database, Server};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn label(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite (synchronous=FULL)",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

/// A fresh database under `dir` (on PostgreSQL on the server `pg_admin` names).
pub async fn database(engine: Engine, dir: &Path, pg_admin: &str) -> anyhow::Result<Database> {
    let engine = match engine {
        Engine::Sqlite => TestEngine::Sqlite,
        Engine::Postgres => TestEngine::Postgres,
    };
    Database::create(engine, dir, "yjs-load", pg_admin)
        .await
        .map_err(|e| anyhow!("{e} (--pg-url)"))
}

/// The release binary in demo mode on `db`, serving and ready (its log level left as shipped).
pub async fn start(binary: &Path, catalog: &Path, db: &Database) -> anyhow::Result<Server> {
    let launch = testkit::serve::Launch {
        binary,
        catalog,
        log_filter: None,
    };
    Server::start(launch, db).await.map_err(|e| anyhow!(e))
}

/// The case ids and numbers stored, read straight from the database.
pub async fn stored_cases(db: &Database) -> anyhow::Result<Vec<(String, String)>> {
    use sqlx::Connection as _;
    const SQL: &str = "SELECT id, number FROM cases";
    Ok(match db.postgres_url() {
        Some(url) => {
            let mut c = sqlx::PgConnection::connect(url).await?;
            sqlx::query_as(SQL).fetch_all(&mut c).await?
        }
        None => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(db.sqlite_file())
                .read_only(true);
            let mut c = sqlx::SqliteConnection::connect_with(&options).await?;
            sqlx::query_as(SQL).fetch_all(&mut c).await?
        }
    })
}
