//! Test databases for the storage contract suite: SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` is set. A skipped engine is reported loudly; with `REQUIRE_POSTGRES=1`
//! (as `.ci/run` sets) a skip fails the test.
#![allow(dead_code, reason = "each test binary uses part of the support module")]

use std::sync::Arc;

use service::{Catalogs, Platform};
use store::{Db, DbOptions, Engine, Synchronous};
use testkit::FakeClock;

/// A fresh, empty, migrated database on one engine, with a temporary directory for its files
/// (the SQLite database, the audit checkpoint file).
pub struct TestDb {
    pub engine: Engine,
    pub url: String,
    pub dir: tempdir::TempDir,
    /// The PostgreSQL database, dropped with the guard (or by `drop_db`).
    pg: Option<testkit::scratch::ScratchPostgres>,
}

mod tempdir {
    /// A temporary directory removed on drop.
    #[derive(Debug)]
    pub struct TempDir(pub std::path::PathBuf);
    impl TempDir {
        pub fn new() -> Self {
            let p = std::env::temp_dir().join(format!("yjs-test-{}", uuid_like()));
            std::fs::create_dir_all(&p).unwrap();
            Self(p)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    pub fn uuid_like() -> String {
        hex(&gm_crypto::random_bytes::<8>())
    }
    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}

impl TestDb {
    pub fn options(&self, group_commit: bool, max_connections: u32) -> DbOptions {
        DbOptions {
            url: self.url.clone(),
            max_connections,
            group_commit,
            synchronous: Synchronous::Full,
            audit_checkpoints: Some(self.checkpoint_file()),
        }
    }

    /// The audit checkpoint file every instance of this database writes to.
    pub fn checkpoint_file(&self) -> std::path::PathBuf {
        self.dir.0.join(store::AUDIT_CHECKPOINTS)
    }

    pub async fn open(&self, group_commit: bool, max_connections: u32) -> Db {
        Db::open(
            &self.options(group_commit, max_connections),
            Arc::new(testkit::vault()),
        )
        .await
        .unwrap()
    }

    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        (self.engine == Engine::Sqlite).then(|| self.dir.0.join("test.db"))
    }

    pub async fn drop_db(self) {
        if let Some(pg) = self.pg {
            let _ = pg.remove().await;
        }
    }
}

fn sqlite() -> TestDb {
    let dir = tempdir::TempDir::new();
    let url = format!("sqlite://{}?mode=rwc", dir.0.join("test.db").display());
    TestDb {
        engine: Engine::Sqlite,
        url,
        dir,
        pg: None,
    }
}

async fn postgres(admin: &str) -> TestDb {
    sqlx::any::install_default_drivers();
    let pg = testkit::scratch::ScratchPostgres::create(admin, "yjs_t")
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
    TestDb {
        engine: Engine::Postgres,
        url: pg.url().to_owned(),
        dir: tempdir::TempDir::new(),
        pg: Some(pg),
    }
}

/// One fresh database per available engine.
pub async fn engines() -> Vec<TestDb> {
    let mut out = vec![sqlite()];
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => out.push(postgres(&url).await),
        _ => {
            eprintln!(
                "\n!!!!!!!! PostgreSQL contract tests SKIPPED: TEST_DATABASE_URL is not set. \
                 Only SQLite was tested. !!!!!!!!\n"
            );
            if std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!(
                    "REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: the PostgreSQL suite may not be skipped"
                );
            }
        }
    }
    out
}

/// A platform on a store, with the shipped reference data and a fake clock.
pub fn platform(db: Db, clock: &FakeClock) -> Platform<Db> {
    let reference = store::reference::load(&testkit::catalog_dir()).unwrap();
    Platform::new(
        db,
        Arc::new(clock.clone()),
        Catalogs::new(reference.catalog),
        reference.calendar,
        reference.regions,
        Arc::new(testkit::vault()),
    )
}

/// Stores the current catalog version, as start-up does.
pub async fn store_catalog(db: &Db) {
    use service::ports::CatalogStore;
    let sources = store::reference::catalog_sources(&testkit::catalog_dir()).unwrap();
    let catalog = domain::catalog::Catalog::load(&sources).unwrap();
    db.save_catalog_version(
        &catalog.version.0,
        &service::catalogs::sources_to_json(&sources),
    )
    .await
    .unwrap();
}
