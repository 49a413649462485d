//! `load-bench`: window clerks submit 3-item applications (残疾人证新办 + 护理补贴 + 养老保险补助)
//! for new applicants over HTTP, with bearer tokens, to the real `yijianshi serve` started as a
//! child process on a fresh database — SQLite (`synchronous=FULL`) or PostgreSQL — on loopback.
//!
//! Open loop at each fixed rate (latency from each request's scheduled send time, so queueing
//! counts), then closed loop at saturation. Logins and request bodies are done before any clock
//! starts. Every step is bounded in count and time. After the run the server is killed with
//! SIGKILL and the database is read: every 201 must be there under its number, and nothing else.
//!
//! ```sh
//! cargo build --release -p yijianshi -p bench
//! target/release/load-bench --engine both --repeat 3
//! ```
//!
//! Figures go to stdout as a table (and one JSON line with `--json`); progress to stderr.
//! `BENCH_DEBUG=1` also prints every open-loop submission slower than 30 ms with its due time.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cpu;
mod disk;
mod report;
mod server;
mod traffic;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Parser, ValueEnum};

use crate::report::{Measured, Step};
use crate::server::{Database, Engine};
use crate::traffic::Client;

/// Load the real server over HTTP and report throughput and latency.
#[derive(Debug, Parser)]
#[command(name = "load-bench", version)]
struct Args {
    /// Which database engine(s) the server runs on.
    #[arg(long, value_enum, default_value_t = EngineArg::Sqlite)]
    engine: EngineArg,
    /// Open-loop rates, submissions per second.
    #[arg(long, value_delimiter = ',', default_values_t = [100, 200, 500, 1000],
          value_parser = clap::value_parser!(u32).range(1..=20_000))]
    rates: Vec<u32>,
    /// Seconds each open-loop rate runs.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=60))]
    seconds: u32,
    /// Seconds of unrecorded traffic at the first rate before the first step.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=30))]
    warmup: u32,
    /// Requests outstanding at most in the open loop (a later send waits for a slot; its
    /// latency still counts from its scheduled time).
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=4096))]
    max_in_flight: u32,
    /// Clerks submitting back-to-back in the closed-loop saturation step; 0 skips it.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(0..=1024))]
    concurrency: u32,
    /// Seconds the saturation step runs at most.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=60))]
    saturation_seconds: u32,
    /// Submissions the saturation step may send at most.
    #[arg(long, default_value_t = 60_000, value_parser = clap::value_parser!(u32).range(1..=200_000))]
    saturation_max: u32,
    /// Seconds of the disk probe before each run (fdatasync of 80 KB at 200/s in the database's
    /// folder, no server: what the disk alone does to commit latency); 0 skips it.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=60))]
    disk_probe: u32,
    /// Repeat the whole run (a fresh server and database each time) and report medians.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10))]
    repeat: u32,
    /// Worker threads of the load generator's runtime (it shares the machine with the server).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=16))]
    client_threads: u32,
    /// The server binary [default: `yijianshi` beside this one].
    #[arg(long)]
    server: Option<PathBuf>,
    /// Reference data (catalog, calendar, regions) [default: the repository's `catalog/`].
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// PostgreSQL server (a fresh database is created on it for each run and dropped after).
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        hide_env_values = true,
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    pg_url: String,
    /// Folder for the SQLite database [default: the system temp dir].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Also print the figures as one line of JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EngineArg {
    Sqlite,
    Postgres,
    Both,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads as usize)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(bench(args))
}

async fn bench(args: Args) -> anyhow::Result<()> {
    let server_bin = match &args.server {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("yijianshi"),
    };
    if !server_bin.is_file() {
        bail!(
            "no server binary at {}: build it first (cargo build --release -p yijianshi) or pass --server",
            server_bin.display()
        );
    }
    let catalog_dir = args.catalog.clone().unwrap_or_else(testkit::catalog_dir);
    let catalog = store::reference::load(&catalog_dir)
        .with_context(|| format!("loading the catalog from {}", catalog_dir.display()))?
        .catalog;
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let machine = bench::machine::Machine::detect(&dir);
    eprintln!("{}", machine.describe());

    let engines = match args.engine {
        EngineArg::Sqlite => vec![Engine::Sqlite],
        EngineArg::Postgres => vec![Engine::Postgres],
        EngineArg::Both => vec![Engine::Sqlite, Engine::Postgres],
    };
    let mut steps: Vec<Step> = Vec::new();
    let mut probes: Vec<disk::Probe> = Vec::new();
    for engine in engines {
        let mut runs: Vec<Vec<Measured>> = Vec::new();
        for k in 0..args.repeat {
            eprintln!("\n== {} — run {}/{} ==", engine.label(), k + 1, args.repeat);
            if args.disk_probe > 0 {
                let (d, seconds) = (dir.clone(), args.disk_probe);
                let probe = tokio::task::spawn_blocking(move || disk::probe(&d, seconds)).await??;
                eprintln!("{}", probe.line());
                probes.push(probe);
            }
            let db = server::database(engine, &dir, &args.pg_url).await?;
            runs.push(run_once(&args, &server_bin, &catalog_dir, &catalog, &db).await?);
        }
        steps.extend(Step::medians(engine, runs));
    }
    report::print(&machine, &steps, &probes, args.json)
}

/// One run: a fresh server, the warm-up, each rate, saturation, then the check of every 201.
async fn run_once(
    args: &Args,
    server_bin: &std::path::Path,
    catalog_dir: &std::path::Path,
    catalog: &domain::catalog::Catalog,
    db: &Database,
) -> anyhow::Result<Vec<Measured>> {
    let mut server = server::start(server_bin, catalog_dir, db).await?;
    let client = Client::log_in(&server.url).await?;
    let mut next: u32 = 0;
    let mut prepare = |count: u32| {
        let batch: Vec<_> = (next..next + count)
            .map(|n| traffic::submission(catalog, n))
            .collect();
        next += count;
        batch
    };
    let mut acknowledged: Vec<(String, String)> = Vec::new();
    // Requests that got no 201 (a timeout may still have committed).
    let mut unanswered = 0;
    let mut measured = Vec::new();
    let pid = server.pid();

    let first = args.rates.first().copied().unwrap_or(100);
    if args.warmup > 0 {
        let batch = prepare(first * args.warmup);
        let out = traffic::open_loop(
            &client,
            batch,
            f64::from(first),
            args.max_in_flight as usize,
        )
        .await;
        eprintln!("warm-up: {} sent, {} errors", out.sent, out.errors);
        unanswered += out.errors;
        acknowledged.extend(out.created);
    }
    for &rate in &args.rates {
        let batch = prepare(rate * args.seconds);
        let cpu = cpu::Sample::take(pid);
        let out =
            traffic::open_loop(&client, batch, f64::from(rate), args.max_in_flight as usize).await;
        let m = Measured::new(report::Mode::Open(rate), &out, cpu.since(pid, out.elapsed));
        eprintln!("{}", m.line());
        unanswered += out.errors;
        acknowledged.extend(out.created);
        measured.push(m);
    }
    if args.concurrency > 0 {
        let batch = prepare(args.saturation_max);
        let cpu = cpu::Sample::take(pid);
        let out = traffic::closed_loop(
            &client,
            batch,
            args.concurrency as usize,
            Duration::from_secs(u64::from(args.saturation_seconds)),
        )
        .await;
        let m = Measured::new(
            report::Mode::Closed(args.concurrency),
            &out,
            cpu.since(pid, out.elapsed),
        );
        eprintln!("{}", m.line());
        unanswered += out.errors;
        acknowledged.extend(out.created);
        measured.push(m);
    }
    server.kill();
    check(db, &acknowledged, unanswered).await?;
    Ok(measured)
}

/// After SIGKILL: every acknowledged case is stored under the number it was given, and the
/// database holds no other case beyond (at most) one for each request that got no 201.
async fn check(
    db: &Database,
    acknowledged: &[(String, String)],
    unanswered: usize,
) -> anyhow::Result<()> {
    let stored: HashSet<(String, String)> = server::stored_cases(db).await?.into_iter().collect();
    let missing = acknowledged.iter().filter(|c| !stored.contains(c)).count();
    let acked: HashSet<&(String, String)> = acknowledged.iter().collect();
    let extra = stored.iter().filter(|c| !acked.contains(c)).count();
    if missing > 0 || extra > unanswered || acked.len() != acknowledged.len() {
        bail!(
            "{} acknowledged, {} stored: {missing} acknowledged cases missing, {extra} stored cases never acknowledged ({unanswered} requests got no 201)",
            acknowledged.len(),
            stored.len()
        );
    }
    eprintln!(
        "checked after SIGKILL: all {} acknowledged cases stored under their numbers; {extra} other cases ({unanswered} requests got no 201)",
        acknowledged.len()
    );
    Ok(())
}
