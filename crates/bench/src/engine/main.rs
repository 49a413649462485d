//! `engine-bench`: the case process "certificate → three department items in parallel → join →
//! notice", run on durable storage through the same service and store code that `serve` uses,
//! beside the same process in SpiffWorkflow (benches/peers/spiffworkflow) on the same machine in
//! the same run.
//!
//! ```sh
//! cargo run --release -p bench --bin engine-bench -- --cases 10000 --synchronous both --peer --repeat 3
//! cargo run --release -p bench --bin engine-bench -- --engine postgres --cases 10000 --repeat 3
//! cargo run --release -p bench --bin engine-bench -- --sweep
//! ```
//!
//! Figures go to stdout as a table (and one JSON line with `--json`); progress goes to stderr.
//! `BENCH_DEBUG=1` adds per-step latency percentiles to stderr; `BENCH_KEEP_DB=1` keeps the
//! SQLite files for inspection.

/// The same allocator as the server binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod case;
mod peer;
mod report;
mod run;

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, ValueEnum};

use crate::report::{Row, Table};
use crate::run::{Backend, RunConfig, RunResult};

/// Benchmark the case engine on durable storage, optionally beside SpiffWorkflow.
#[derive(Debug, Parser)]
#[command(name = "engine-bench", version)]
struct Args {
    /// Cases per run.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=200_000))]
    cases: u32,
    /// Cases in flight at once.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    concurrency: u32,
    /// Which database engine(s).
    #[arg(long, value_enum, default_value_t = EngineArg::Sqlite)]
    engine: EngineArg,
    /// PostgreSQL server (a fresh database is created on it for each run and dropped after).
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        hide_env_values = true,
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    pg_url: String,
    /// SQLite `synchronous` (the peer runs with the same setting).
    #[arg(long, value_enum, default_value_t = SyncArg::Full)]
    synchronous: SyncArg,
    /// Also run the SpiffWorkflow peer (benches/peers/spiffworkflow/run.sh), interleaved with
    /// each SQLite run and with the same `synchronous`, and print the ratio.
    #[arg(long)]
    peer: bool,
    /// Cases per peer run [default: min(--cases, 2000); SpiffWorkflow does ~60 cases/s].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    peer_cases: Option<u32>,
    /// Repeat each configuration this many times and report the median.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=50))]
    repeat: u32,
    /// Instead of the configurations above, run SQLite (synchronous=FULL, group commit) at each
    /// of the `--sweep-sizes`.
    #[arg(long)]
    sweep: bool,
    /// Case counts for `--sweep`.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000, 10_000, 100_000],
          value_parser = clap::value_parser!(u32).range(1..=200_000))]
    sweep_sizes: Vec<u32>,
    /// Cases for the SQLite reference line without group commit (each commit its own
    /// transaction), run once with the first `synchronous` setting; 0 skips it.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(0..=200_000))]
    direct_cases: u32,
    /// Also print the figures as one line of JSON.
    #[arg(long)]
    json: bool,
    /// Folder for the SQLite files, ours and the peer's [default: the system temp dir].
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EngineArg {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SyncArg {
    Full,
    Normal,
    Both,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(bench(args))
}

async fn bench(args: Args) -> anyhow::Result<()> {
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let machine = bench::machine::Machine::detect(&dir);
    eprintln!("{}", machine.describe());

    let syncs: Vec<store::Synchronous> = match args.synchronous {
        SyncArg::Full => vec![store::Synchronous::Full],
        SyncArg::Normal => vec![store::Synchronous::Normal],
        SyncArg::Both => vec![store::Synchronous::Full, store::Synchronous::Normal],
    };
    let mut table = Table::new(machine);

    if args.sweep {
        for &cases in &args.sweep_sizes {
            let config = RunConfig {
                backend: Backend::Sqlite { dir: dir.clone() },
                synchronous: store::Synchronous::Full,
                group_commit: true,
                cases,
                concurrency: args.concurrency,
            };
            let runs = repeat(&config, args.repeat).await?;
            table.push(Row::ours(&config, runs, None));
        }
    } else {
        let sqlite = matches!(args.engine, EngineArg::Sqlite | EngineArg::Both);
        let postgres = matches!(args.engine, EngineArg::Postgres | EngineArg::Both);
        if sqlite {
            for &synchronous in &syncs {
                let config = RunConfig {
                    backend: Backend::Sqlite { dir: dir.clone() },
                    synchronous,
                    group_commit: true,
                    cases: args.cases,
                    concurrency: args.concurrency,
                };
                let peer_cases = args.peer_cases.unwrap_or(args.cases.min(2_000));
                let mut ours = Vec::new();
                let mut theirs = Vec::new();
                // Interleave ours and the peer's so both see the same machine noise.
                for k in 0..args.repeat {
                    eprintln!("\n== repeat {}/{} ==", k + 1, args.repeat);
                    ours.push(run::run(&config).await?);
                    if args.peer {
                        theirs.push(peer::run(peer_cases, synchronous, &dir).await?);
                    }
                }
                let peer = (!theirs.is_empty()).then_some(theirs);
                table.push(Row::ours(&config, ours, peer));
            }
            if args.direct_cases > 0 {
                let config = RunConfig {
                    backend: Backend::Sqlite { dir: dir.clone() },
                    synchronous: syncs[0],
                    group_commit: false,
                    cases: args.direct_cases,
                    concurrency: args.concurrency,
                };
                let result = run::run(&config).await?;
                table.push(Row::ours(&config, vec![result], None));
            }
        }
        if postgres {
            let config = RunConfig {
                backend: Backend::Postgres {
                    admin_url: args.pg_url.clone(),
                },
                synchronous: store::Synchronous::Full,
                group_commit: true,
                cases: args.cases,
                concurrency: args.concurrency,
            };
            let runs = repeat(&config, args.repeat).await?;
            table.push(Row::ours(&config, runs, None));
        }
    }

    table.print(args.json)?;
    Ok(())
}

async fn repeat(config: &RunConfig, times: u32) -> anyhow::Result<Vec<RunResult>> {
    let mut out = Vec::new();
    for _ in 0..times {
        out.push(run::run(config).await?);
    }
    Ok(out)
}
