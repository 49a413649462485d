//! The real `yijianshi serve` as a child process on a fresh database, for what needs the whole
//! binary: the crash test and the HTTP load benchmark. Both are guards: the child is killed
//! (SIGKILL) and the temporary data (directory, PostgreSQL database) removed on every path, a
//! failing assertion included. Errors are plain text carrying the server's last log lines.

use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::app::TestEngine;
use crate::scratch::ScratchPostgres;

/// How long start-up may take (a safety valve for a loaded machine, not a timing assertion).
const START_TIMEOUT: Duration = Duration::from_secs(180);
/// Lines of the server's log kept for error messages.
const LOG_LINES: usize = 60;

/// A fresh data directory (for the generated demo keys and, on SQLite, the database file) and,
/// on PostgreSQL, a fresh database; removed on drop.
#[derive(Debug)]
pub struct Database {
    pub data_dir: PathBuf,
    root: PathBuf,
    pg: Option<ScratchPostgres>,
}

impl Database {
    /// Under `dir`, named `<label>-<random>`; on PostgreSQL a database `<label>_<random>` on the
    /// server `pg_admin` names.
    pub async fn create(
        engine: TestEngine,
        dir: &Path,
        label: &str,
        pg_admin: &str,
    ) -> Result<Database, String> {
        let random: String = gm_crypto::to_hex(&gm_crypto::random_bytes::<6>());
        let root = dir.join(format!("{label}-{random}"));
        let data_dir = root.join("data");
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let pg = match engine {
            TestEngine::Sqlite => None,
            TestEngine::Postgres => Some(
                ScratchPostgres::create(pg_admin, &label.replace('-', "_"))
                    .await
                    .map_err(|e| format!("cannot create a database on PostgreSQL: {e}"))?,
            ),
        };
        Ok(Database { data_dir, root, pg })
    }

    /// The PostgreSQL database's URL, if the server runs on one.
    pub fn postgres_url(&self) -> Option<&str> {
        self.pg.as_ref().map(ScratchPostgres::url)
    }

    /// The SQLite file the server uses when not told a PostgreSQL URL.
    pub fn sqlite_file(&self) -> PathBuf {
        self.data_dir.join("yijianshi.db")
    }

    /// The database's URL for checks that open it themselves.
    pub fn url(&self) -> String {
        match self.postgres_url() {
            Some(url) => url.to_owned(),
            None => format!("sqlite://{}", self.sqlite_file().display()),
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// How to start the binary.
#[derive(Debug, Clone, Copy)]
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub catalog: &'a Path,
    /// `RUST_LOG` for the server; `None` keeps its default.
    pub log_filter: Option<&'a str>,
}

/// A running `yijianshi serve`, killed with SIGKILL when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    pub url: String,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl Server {
    /// Starts the binary in demo mode (demo staff accounts, no synthetic registry) on a port the
    /// OS picks, and waits until it says where it listens and `/readyz` answers 200.
    pub async fn start(launch: Launch<'_>, db: &Database) -> Result<Server, String> {
        let mut command = Command::new(launch.binary);
        command
            .arg("serve")
            .env_clear()
            .current_dir(&db.root)
            .env("YJS_DATA_DIR", &db.data_dir)
            .env("YJS_CATALOG_DIR", launch.catalog)
            .env("YJS_LISTEN", "127.0.0.1:0")
            .env("YJS_MODE", "demo")
            .env("YJS_DEMO_PERSONS", "0")
            .env("YJS_LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(filter) = launch.log_filter {
            command.env("RUST_LOG", filter);
        }
        if let Some(url) = db.postgres_url() {
            command.env("DATABASE_URL", url);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", launch.binary.display()))?;
        let log: Arc<Mutex<VecDeque<String>>> = Arc::default();
        let (address_tx, mut address_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let stderr = child.stderr.take();
        let lines = log.clone();
        // Reads the log until the process ends (the server keeps logging: an unread pipe would
        // block it; EOF closes the channel: it died before serving).
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
                if let Ok(mut l) = lines.lock() {
                    if l.len() == LOG_LINES {
                        l.pop_front();
                    }
                    l.push_back(line);
                }
            }
        });
        let mut server = Server {
            child,
            url: String::new(),
            log,
        };
        let address = match tokio::time::timeout(START_TIMEOUT, address_rx.recv()).await {
            Ok(Some(address)) => address,
            Ok(None) => {
                let status = server.child.wait().map(|s| s.to_string());
                return Err(format!(
                    "yijianshi exited before serving ({status:?}); its log:\n{}",
                    server.log_tail()
                ));
            }
            Err(_) => {
                return Err(format!(
                    "yijianshi did not start serving within {START_TIMEOUT:?}; its log:\n{}",
                    server.log_tail()
                ));
            }
        };
        server.url = format!("http://{address}");
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&self) -> Result<(), String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let ready = format!("{}/readyz", self.url);
        let polled = tokio::time::timeout(START_TIMEOUT, async {
            loop {
                if let Ok(r) = client.get(&ready).send().await
                    && r.status() == reqwest::StatusCode::OK
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        polled.map_err(|_| {
            format!(
                "{ready} did not answer 200 within {START_TIMEOUT:?}; the server's log:\n{}",
                self.log_tail()
            )
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL (what `Child::kill` sends on Unix), and reaps the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The last lines the server logged.
    pub fn log_tail(&self) -> String {
        self.log
            .lock()
            .map(|l| l.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
