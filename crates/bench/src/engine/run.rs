//! One timed run: a fresh database, the platform `serve` would build on it, N cases driven C at a
//! time, then a check that every case is durably concluded.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, ensure};
use domain::workflow::CaseId;
use service::ports::{CaseStore, Health as _, WriterStats};
use sqlx::Row as _;
use store::{Db, DbOptions, Synchronous};
use tokio::task::JoinSet;

use crate::case::{self, Codes, STEP_NAMES, STEPS, Template};
use bench::setup::Setup;
use bench::stats::Latencies;

/// Where the database lives.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A fresh SQLite file in a new folder under `dir`, removed after the run.
    Sqlite { dir: PathBuf },
    /// A fresh database on this PostgreSQL server, dropped after the run.
    Postgres { admin_url: String },
}

#[derive(Debug, Clone)]
pub struct RunConfig {
    pub backend: Backend,
    /// SQLite only; PostgreSQL runs with the server's settings (reported).
    pub synchronous: Synchronous,
    pub group_commit: bool,
    pub cases: u32,
    pub concurrency: u32,
}

impl RunConfig {
    pub fn engine_label(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "SQLite",
            Backend::Postgres { .. } => "PostgreSQL",
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub cases: u32,
    pub steps: u64,
    pub seconds: f64,
    /// CPU seconds (user + system) of the whole process during the timed part: the engine, the
    /// writer, the readers and the benchmark's own driving of it.
    pub cpu_seconds: f64,
    /// Every use-case call.
    pub latencies: Latencies,
    /// The group-commit writer over the timed part, if there is one.
    pub writer: Option<WriterFigures>,
    /// The durability setting in force, as the engine reports it.
    pub durability: String,
    /// The engine's version.
    pub version: String,
}

/// What the group-commit writer did during the timed part: is it the bottleneck (busy nearly
/// all the time), and how many commits share one durable transaction?
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct WriterFigures {
    /// Share of the timed part the writer spent writing transactions.
    pub busy: f64,
    pub commits_per_batch: f64,
    /// Milliseconds per transaction in `COMMIT` (the log written and synced).
    pub commit_ms: f64,
}

impl WriterFigures {
    fn between(before: WriterStats, after: WriterStats, seconds: f64) -> Option<Self> {
        let batches = after.batches.checked_sub(before.batches)?;
        let commits = after.commits.checked_sub(before.commits)?;
        let busy = after.busy.checked_sub(before.busy)?.as_secs_f64();
        let durable = after.durable.checked_sub(before.durable)?.as_secs_f64();
        (batches > 0).then(|| Self {
            busy: busy / seconds,
            commits_per_batch: commits as f64 / batches as f64,
            commit_ms: durable * 1000.0 / batches as f64,
        })
    }
}

impl RunResult {
    pub fn cases_per_sec(&self) -> f64 {
        f64::from(self.cases) / self.seconds
    }
    pub fn steps_per_sec(&self) -> f64 {
        self.steps as f64 / self.seconds
    }
    pub fn cpu_ms_per_case(&self) -> f64 {
        self.cpu_seconds * 1000.0 / f64::from(self.cases.max(1))
    }
}

/// How many cases are read back from the database (not the cache) and checked after the run.
const REPLAYED: u32 = 200;

static RUNS: AtomicU32 = AtomicU32::new(0);

/// A database made for one run, and how to get rid of it.
#[derive(Debug)]
enum Scratch {
    Dir(PathBuf),
    Postgres(testkit::scratch::ScratchPostgres),
}

impl Scratch {
    async fn create(config: &RunConfig) -> anyhow::Result<(Scratch, DbOptions)> {
        let k = RUNS.fetch_add(1, Ordering::Relaxed);
        let tag = format!("{}_{k}", std::process::id());
        match &config.backend {
            Backend::Sqlite { dir } => {
                let folder = dir.join(format!("engine-bench-{tag}"));
                if folder.exists() {
                    std::fs::remove_dir_all(&folder)
                        .with_context(|| format!("clearing {}", folder.display()))?;
                }
                std::fs::create_dir_all(&folder)
                    .with_context(|| format!("creating {}", folder.display()))?;
                let mut options = DbOptions::sqlite_file(&folder.join("engine.db"));
                options.synchronous = config.synchronous;
                options.group_commit = config.group_commit;
                Ok((Scratch::Dir(folder), options))
            }
            Backend::Postgres { admin_url } => {
                sqlx::any::install_default_drivers();
                let pg = testkit::scratch::ScratchPostgres::create(admin_url, "engine_bench")
                    .await
                    .with_context(|| format!("creating a database on PostgreSQL at {admin_url}"))?;
                let mut options = DbOptions::postgres(pg.url());
                options.group_commit = config.group_commit;
                Ok((Scratch::Postgres(pg), options))
            }
        }
    }

    async fn remove(self) {
        match self {
            Scratch::Dir(folder) if std::env::var("BENCH_KEEP_DB").is_ok_and(|v| v == "1") => {
                eprintln!("BENCH_KEEP_DB=1: kept {}", folder.display());
            }
            Scratch::Dir(folder) => {
                if let Err(e) = std::fs::remove_dir_all(&folder) {
                    eprintln!("warning: could not remove {}: {e}", folder.display());
                }
            }
            Scratch::Postgres(pg) => {
                let name = pg.name().to_owned();
                if let Err(e) = pg.remove().await {
                    eprintln!("warning: could not drop database {name}: {e}");
                }
            }
        }
    }
}

/// Runs one configuration: set-up (untimed), the timed cases, then verification (untimed).
pub async fn run(config: &RunConfig) -> anyhow::Result<RunResult> {
    let (scratch, options) = Scratch::create(config).await?;
    let result = run_on(config, &options).await;
    scratch.remove().await;
    result
}

async fn run_on(config: &RunConfig, options: &DbOptions) -> anyhow::Result<RunResult> {
    let label = format!(
        "{} {} group_commit={} cases={} concurrency={}",
        config.engine_label(),
        match (&config.backend, config.synchronous) {
            (Backend::Postgres { .. }, _) => "",
            (_, Synchronous::Full) => "synchronous=FULL",
            (_, Synchronous::Normal) => "synchronous=NORMAL",
        },
        config.group_commit,
        config.cases,
        config.concurrency
    );
    eprintln!("{label}: setting up");

    // As start-up does: open (and migrate), store the catalog version, build the platform.
    let setup = Setup::open(options).await?;
    let db = setup.db.clone();
    let (version, durability) = engine_settings(&db).await?;
    let template = Template::new(&setup.reference.catalog);
    let codes = Codes::new()?;
    let platform = Arc::new(setup.platform(Arc::new(BenchClock::new(bench::process::DATE))));
    let shared = Arc::new((template, codes));

    // Timed: every case from submission to conclusion.
    let next = Arc::new(AtomicU32::new(0));
    let done = Arc::new(AtomicU32::new(0));
    let cpu_before = bench::cpu::own_seconds();
    let writer_before = platform.store.writer_stats();
    let started = Instant::now();
    let progress = tokio::spawn(progress(done.clone(), config.cases, started));
    let mut workers = JoinSet::new();
    for _ in 0..config.concurrency.min(config.cases) {
        let platform = platform.clone();
        let shared = shared.clone();
        let next = next.clone();
        let done = done.clone();
        let cases = config.cases;
        workers.spawn(async move {
            let (template, codes) = &*shared;
            let mut latencies: Vec<[u32; STEPS]> = Vec::new();
            let mut replay: Vec<(u32, CaseId)> = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= cases {
                    break;
                }
                let (id, lat) = case::run(&platform, template, codes, n).await?;
                latencies.push(lat);
                if n < REPLAYED {
                    replay.push((n, id));
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok((latencies, replay))
        });
    }
    let mut latencies: Vec<[u32; STEPS]> = Vec::with_capacity(config.cases as usize);
    let mut replay = Vec::new();
    while let Some(joined) = workers.join_next().await {
        let (l, r) = joined.context("a worker panicked")??;
        latencies.extend(l);
        replay.extend(r);
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = bench::cpu::own_seconds() - cpu_before;
    let writer = writer_before
        .zip(platform.store.writer_stats())
        .and_then(|(before, after)| WriterFigures::between(before, after, seconds));
    progress.abort();

    // Untimed: the database holds every case concluded, every decision done.
    let concluded = platform
        .store
        .count_cases_by_status()
        .await
        .map_err(|e| anyhow!("counting cases: {e}"))?;
    let total: i64 = concluded.iter().map(|(_, n)| n).sum();
    let concluded_n = concluded
        .iter()
        .find(|(s, _)| s == "concluded")
        .map_or(0, |(_, n)| *n);
    ensure!(
        total == i64::from(config.cases) && concluded_n == total,
        "the database holds {concluded:?}, expected {} concluded cases",
        config.cases
    );
    let done_tasks: i64 = sqlx::query("SELECT COUNT(*) AS n FROM tasks WHERE status = 'done'")
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    ensure!(
        done_tasks == 11 * i64::from(config.cases),
        "{done_tasks} tasks done, expected 11 per case"
    );
    // Every step wrote its audit entry in its transaction; the sealer chained them all.
    let audited: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log")
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    ensure!(
        audited == STEPS as i64 * i64::from(config.cases),
        "{audited} audit entries, expected {STEPS} per case"
    );
    let chain = service::audit::verify(&db)
        .await
        .map_err(|e| anyhow!("verifying the audit chain: {e}"))?;
    ensure!(
        chain.first_broken.is_none() && chain.entries == audited as u64,
        "the audit chain does not verify: {chain}"
    );
    for (n, id) in &replay {
        let view = platform
            .case(id)
            .await
            .map_err(|e| anyhow!("case {n}: reading back: {e}"))?;
        case::verify(&view.case, *n).context("read back from the database")?;
    }
    eprintln!(
        "{label}: verified {} cases concluded with 4 approved items ({} read back and replayed \
         from the database), {done_tasks} decisions stored, {audited} audit entries chained",
        config.cases,
        replay.len()
    );
    drop(platform);
    db.close().await;

    let steps = latencies.len() as u64 * STEPS as u64;
    let per_step: Vec<Latencies> = (0..STEPS)
        .map(|k| Latencies::new(latencies.iter().map(|l| l[k]).collect()))
        .collect();
    let all = Latencies::new(latencies.iter().flatten().copied().collect());
    let result = RunResult {
        cases: config.cases,
        steps,
        seconds,
        cpu_seconds,
        writer,
        latencies: all,
        durability,
        version,
    };
    eprintln!(
        "{label}: {:.3} s, {:.0} cases/s, {:.2} CPU ms per case, {:.0} steps/s, step latency p50 {:.2} ms p99 {:.2} ms",
        result.seconds,
        result.cases_per_sec(),
        result.cpu_ms_per_case(),
        result.steps_per_sec(),
        result.latencies.percentile_ms(50.0),
        result.latencies.percentile_ms(99.0),
    );
    if let Some(w) = &result.writer {
        eprintln!(
            "  writer: busy {:.0} % of the time, {:.1} commits per transaction, COMMIT {:.2} ms per transaction",
            w.busy * 100.0,
            w.commits_per_batch,
            w.commit_ms
        );
    }
    if std::env::var("BENCH_DEBUG").is_ok_and(|v| v == "1") {
        eprintln!("  per step (ms):          p50      p99     mean");
        for (name, l) in STEP_NAMES.iter().zip(&per_step) {
            eprintln!(
                "  {name:<22} {:>8.2} {:>8.2} {:>8.2}",
                l.percentile_ms(50.0),
                l.percentile_ms(99.0),
                l.mean_ms()
            );
        }
    }
    Ok(result)
}

/// A clock that starts at 09:00 Asia/Shanghai on a fixed working day and then runs in real time:
/// the dates (and so ages, deadlines and case numbers) do not depend on when the benchmark runs,
/// while ids minted from the clock (UUIDv7) are time-ordered as under `serve`'s system clock.
#[derive(Debug, Clone, Copy)]
struct BenchClock {
    anchor: chrono::DateTime<chrono::Utc>,
    started: Instant,
}

impl BenchClock {
    fn new(date: &str) -> Self {
        Self {
            anchor: testkit::morning(date),
            started: Instant::now(),
        }
    }
}

impl service::Clock for BenchClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let elapsed = chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default();
        self.anchor + elapsed
    }
}

/// The engine's version and durability settings, as it reports them.
async fn engine_settings(db: &Db) -> anyhow::Result<(String, String)> {
    let get = |sql: &'static str| async move {
        let row = sqlx::query(sql).fetch_one(db.pool()).await?;
        anyhow::Ok(row.try_get::<String, _>(0)?)
    };
    match db.engine() {
        store::Engine::Sqlite => {
            let version = get("SELECT sqlite_version()").await?;
            let mode = get("PRAGMA journal_mode").await?;
            let sync: i64 = sqlx::query("PRAGMA synchronous")
                .fetch_one(db.pool())
                .await?
                .try_get(0)?;
            let sync = match sync {
                0 => "OFF",
                1 => "NORMAL",
                2 => "FULL",
                3 => "EXTRA",
                _ => "?",
            };
            Ok((
                format!("SQLite {version}"),
                format!("journal_mode={mode} synchronous={sync}"),
            ))
        }
        store::Engine::Postgres => {
            let version = get("SHOW server_version").await?;
            let sc = get("SHOW synchronous_commit").await?;
            let fsync = get("SHOW fsync").await?;
            let method = get("SHOW wal_sync_method").await?;
            Ok((
                format!("PostgreSQL {version}"),
                format!("synchronous_commit={sc} fsync={fsync} wal_sync_method={method}"),
            ))
        }
    }
}

async fn progress(done: Arc<AtomicU32>, cases: u32, started: Instant) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    tick.tick().await;
    loop {
        tick.tick().await;
        let n = done.load(Ordering::Relaxed);
        eprintln!(
            "  {n}/{cases} cases, {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
}
