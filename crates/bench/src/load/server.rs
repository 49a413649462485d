//! The system under load: a real `yijianshi serve` child process on a fresh database, with
//! guards that kill the process and remove the data on every path.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};

/// How long start-up may take (a safety valve for a loaded machine).
const START_TIMEOUT: Duration = Duration::from_secs(120);

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

fn random_name() -> String {
    use service::Clock as _;
    let nanos = service::SystemClock.now().timestamp_subsec_nanos();
    format!("{:x}_{nanos:x}", std::process::id())
}

/// A fresh database and data directory, removed on drop.
#[derive(Debug)]
pub struct Database {
    root: PathBuf,
    data_dir: PathBuf,
    pg: Option<testkit::scratch::ScratchPostgres>,
}

impl Database {
    pub async fn create(engine: Engine, dir: &Path, pg_admin: &str) -> anyhow::Result<Self> {
        let root = dir.join(format!("yjs-load-{}", random_name()));
        let data_dir = root.join("data");
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let pg = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => Some(
                testkit::scratch::ScratchPostgres::create(pg_admin, "yjs_load")
                    .await
                    .context("creating a database on PostgreSQL (--pg-url)")?,
            ),
        };
        Ok(Self { root, data_dir, pg })
    }

    /// The case ids and numbers stored, read straight from the database.
    pub async fn stored_cases(&self) -> anyhow::Result<Vec<(String, String)>> {
        use sqlx::Connection as _;
        const SQL: &str = "SELECT id, number FROM cases";
        Ok(match &self.pg {
            Some(pg) => {
                let mut c = sqlx::PgConnection::connect(pg.url()).await?;
                sqlx::query_as(SQL).fetch_all(&mut c).await?
            }
            None => {
                let path = self.data_dir.join("yijianshi.db");
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(&path)
                    .read_only(true);
                let mut c = sqlx::SqliteConnection::connect_with(&options).await?;
                sqlx::query_as(SQL).fetch_all(&mut c).await?
            }
        })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A running `yijianshi serve` in demo mode (demo staff accounts, no synthetic registry),
/// killed when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    pub async fn start(binary: &Path, catalog: &Path, db: &Database) -> anyhow::Result<Self> {
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env_clear()
            .current_dir(&db.root)
            .env("YJS_DATA_DIR", &db.data_dir)
            .env("YJS_CATALOG_DIR", catalog)
            .env("YJS_LISTEN", "127.0.0.1:0")
            .env("YJS_MODE", "demo")
            .env("YJS_DEMO_PERSONS", "0")
            .env("YJS_LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(pg) = &db.pg {
            command.env("DATABASE_URL", pg.url());
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stderr = child.stderr.take();
        let (address_tx, address_rx) = std::sync::mpsc::channel::<String>();
        // Reads the log to its end (the server keeps logging; an unread pipe would block it).
        std::thread::spawn(move || {
            let Some(stderr) = stderr else { return };
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                    && v["fields"]["message"] == "serving"
                    && let Some(address) = v["fields"]["address"].as_str()
                {
                    let _ = address_tx.send(address.to_owned());
                }
            }
        });
        let mut server = Self {
            child,
            url: String::new(),
        };
        let address = tokio::task::spawn_blocking(move || address_rx.recv_timeout(START_TIMEOUT))
            .await?
            .context("the server did not say where it listens (it exited, or start-up hung)")?;
        server.url = format!("http://{address}");
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let ready = format!("{}/readyz", self.url);
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(r) = client.get(&ready).send().await
                && r.status() == reqwest::StatusCode::OK
            {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!("{ready} did not answer 200 within {START_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: every acknowledged submission must already be on disk.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
