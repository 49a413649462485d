//! The `yijianshi serve` process under test, and the database it runs on
//! (`testkit::serve`: guards that kill the child and remove the data on every path).

use testkit::app::TestEngine;
pub use testkit::serve::{Database, Server};

/// A fresh database (and data directory for the generated demo keys) under the system's
/// temporary directory; on PostgreSQL on the server `TEST_DATABASE_URL` names.
pub async fn database(engine: TestEngine) -> Database {
    let admin = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
    Database::create(engine, &std::env::temp_dir(), "yjs-crash", &admin)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// This build's binary in demo mode on `db`, serving and ready.
pub async fn start(db: &Database) -> Server {
    let catalog = testkit::catalog_dir();
    let launch = testkit::serve::Launch {
        binary: std::path::Path::new(env!("CARGO_BIN_EXE_yijianshi")),
        catalog: &catalog,
        log_filter: Some("info,sqlx=warn,tower_http=warn"),
    };
    Server::start(launch, db)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}
