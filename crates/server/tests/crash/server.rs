//! The `yijianshi serve` process under test, and the database it runs on. Both are guards: the
//! child is killed and the temporary data (directory, PostgreSQL database) removed on every
//! path, a failing assertion included.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use testkit::app::TestEngine;

/// How long start-up may take before the test gives up (a safety valve for a loaded machine,
/// not a timing assertion).
const START_TIMEOUT: Duration = Duration::from_secs(180);
/// Lines of the server's log kept for failure messages.
const LOG_LINES: usize = 60;

fn random_name() -> String {
    gm_crypto::random_bytes::<6>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh database (and data directory for the generated demo keys), removed on drop.
#[derive(Debug)]
pub struct Database {
    pub data_dir: PathBuf,
    root: PathBuf,
    pg: Option<testkit::scratch::ScratchPostgres>,
}

impl Database {
    pub async fn create(engine: TestEngine) -> Database {
        let root = std::env::temp_dir().join(format!("yjs-crash-{}", random_name()));
        let data_dir = root.join("data");
        std::fs::create_dir_all(&data_dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", data_dir.display()));
        let pg = match engine {
            TestEngine::Sqlite => None,
            TestEngine::Postgres => {
                let admin = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
                Some(
                    testkit::scratch::ScratchPostgres::create(&admin, "yjs_crash")
                        .await
                        .unwrap_or_else(|e| panic!("PostgreSQL at TEST_DATABASE_URL: {e}")),
                )
            }
        };
        Database { data_dir, root, pg }
    }

    /// The URL the checks open (the server itself is told only the PostgreSQL one; on SQLite it
    /// uses its default file in the data directory).
    pub fn url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url().to_owned(),
            None => format!("sqlite://{}", self.data_dir.join("yijianshi.db").display()),
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
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
    pub async fn start(db: &Database) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_yijianshi"));
        command
            .arg("serve")
            .env_clear()
            .current_dir(&db.root)
            .env("YJS_DATA_DIR", &db.data_dir)
            .env("YJS_CATALOG_DIR", testkit::catalog_dir())
            .env("YJS_LISTEN", "127.0.0.1:0")
            .env("YJS_MODE", "demo")
            .env("YJS_DEMO_PERSONS", "0")
            .env("YJS_LOG_FORMAT", "json")
            .env("RUST_LOG", "info,sqlx=warn,tower_http=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(pg) = &db.pg {
            command.env("DATABASE_URL", pg.url());
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start yijianshi: {e}"));
        let log: Arc<Mutex<VecDeque<String>>> = Arc::default();
        let (address_tx, mut address_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let stderr = child.stderr.take();
        let lines = log.clone();
        // Reads the log until the process ends (EOF closes the channel: it died before serving).
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
                panic!(
                    "yijianshi exited before serving ({status:?}); its log:\n{}",
                    server.log_tail()
                );
            }
            Err(_) => panic!(
                "yijianshi did not start serving within {START_TIMEOUT:?}; its log:\n{}",
                server.log_tail()
            ),
        };
        server.url = format!("http://{address}");
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
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
        assert!(
            polled.is_ok(),
            "{ready} did not answer 200 within {START_TIMEOUT:?}; the server's log:\n{}",
            self.log_tail()
        );
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
