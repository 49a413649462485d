//! `spawn_app`: the whole service on a random local port, on a fresh database (SQLite always,
//! PostgreSQL when `TEST_DATABASE_URL` is set — a skipped engine is reported loudly, and with
//! `REQUIRE_POSTGRES=1` a skip fails), with demo staff accounts and a fake clock.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::MatchedPath;
use service::{Catalogs, Platform};
use store::{Db, DbOptions, Synchronous};

use crate::FakeClock;

/// Which engine to run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestEngine {
    Sqlite,
    Postgres,
}

/// A running test instance.
#[derive(Debug)]
pub struct TestApp {
    pub url: String,
    pub engine: TestEngine,
    pub platform: Arc<web::Platform>,
    pub clock: FakeClock,
    pub client: reqwest::Client,
    /// Every (method, matched route) the router served.
    pub served: Arc<Mutex<BTreeSet<(String, String)>>>,
    dir: Option<std::path::PathBuf>,
    checkpoints: std::path::PathBuf,
    /// Dropped (with its database) after the server is stopped.
    _pg: Option<crate::scratch::ScratchPostgres>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_file(&self.checkpoints);
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything every test instance of this process logged (debug level and up).
pub fn logs() -> String {
    LOGS.get()
        .and_then(|l| {
            l.lock()
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        })
        .unwrap_or_default()
}

fn capture_logs() {
    let buffer = LOGS
        .get_or_init(|| Arc::new(Mutex::new(Vec::new())))
        .clone();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "debug,sqlx=debug,hyper=info,h2=info,reqwest=info",
        ))
        .with_writer(move || LogWriter(buffer.clone()))
        .with_ansi(false)
        .try_init();
}

fn random_name() -> String {
    gm_crypto::to_hex(&gm_crypto::random_bytes::<6>())
}

/// The engines to test on: SQLite, and PostgreSQL when `TEST_DATABASE_URL` is set.
pub fn engines() -> Vec<TestEngine> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => vec![TestEngine::Sqlite, TestEngine::Postgres],
        _ => {
            eprintln!(
                "\n!!!!!!!! PostgreSQL API tests SKIPPED: TEST_DATABASE_URL is not set. Only SQLite was tested. !!!!!!!!\n"
            );
            assert!(
                !std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1"),
                "REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set"
            );
            vec![TestEngine::Sqlite]
        }
    }
}

/// Starts the service on a fresh database of the engine, at 09:00 Shanghai on `today`.
pub async fn spawn_app(engine: TestEngine, today: &str) -> TestApp {
    capture_logs();
    sqlx::any::install_default_drivers();
    let (url, dir, pg) = match engine {
        TestEngine::Sqlite => {
            let dir = std::env::temp_dir().join(format!("yjs-app-{}", random_name()));
            std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("temp dir: {e}"));
            (
                format!("sqlite://{}?mode=rwc", dir.join("app.db").display()),
                Some(dir),
                None,
            )
        }
        TestEngine::Postgres => {
            let admin = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
            let pg = crate::scratch::ScratchPostgres::create(&admin, "yjs_app")
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at TEST_DATABASE_URL: {e}"));
            (pg.url().to_owned(), None, Some(pg))
        }
    };
    let checkpoints = std::env::temp_dir().join(format!("yjs-app-{}.checkpoints", random_name()));
    let options = DbOptions {
        url,
        max_connections: 8,
        group_commit: true,
        synchronous: Synchronous::Full,
        audit_checkpoints: Some(checkpoints.clone()),
    };
    let db = Db::open(&options, Arc::new(crate::vault()))
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    let reference = store::reference::load(&crate::catalog_dir()).unwrap_or_else(|e| panic!("{e}"));
    {
        use service::ports::CatalogStore;
        db.save_catalog_version(
            &reference.catalog.version.0,
            &service::catalogs::sources_to_json(&reference.sources),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let clock = FakeClock::at(today);
    let platform = Arc::new(Platform::new(
        db,
        Arc::new(clock.clone()),
        Catalogs::new(reference.catalog),
        reference.calendar,
        reference.regions,
        Arc::new(crate::vault()),
    ));
    let hash = gm_crypto::hash_password(service::demo_accounts::DEMO_PASSWORD).unwrap_or_default();
    for account in service::demo_accounts::demo_accounts(&platform.regions) {
        use service::auth::AuthStore;
        platform
            .store
            .put_account(&account, &hash, clock_now(&clock))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let state = Arc::new(web::AppState {
        platform: platform.clone(),
        demo: true,
        started_at: clock_now(&clock),
        version: "test",
        secure_cookies: false,
    });
    let served: Arc<Mutex<BTreeSet<(String, String)>>> = Arc::default();
    let record = served.clone();
    let app = web::router(state).layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let record = record.clone();
            async move {
                if let Some(path) = req.extensions().get::<MatchedPath>()
                    && let Ok(mut set) = record.lock()
                {
                    set.insert((req.method().to_string(), path.as_str().to_owned()));
                }
                next.run(req).await
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    TestApp {
        url: format!("http://{addr}"),
        engine,
        platform,
        clock,
        client: reqwest::Client::new(),
        served,
        dir,
        checkpoints,
        _pg: pg,
        server,
    }
}

fn clock_now(clock: &FakeClock) -> chrono::DateTime<chrono::Utc> {
    use service::Clock;
    clock.now()
}
