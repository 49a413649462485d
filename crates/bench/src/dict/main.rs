//! `timeline-dict`: trains the zstd dictionary the stored timelines (`case_events.events`) are
//! compressed against (`store::timeline`, ADR 0007), on a corpus of realistic timelines.
//!
//! On a fresh SQLite platform, set up as `engine-bench` sets one up, with the synthetic registry
//! of `serve --mode demo`, it drives some 2,500 seeded cases through the use cases: every
//! scenario of the catalog with the items its applicants pick, every item applied for alone,
//! and 300 cases of `engine-bench`'s process — approved, rejected, returned for a supplement and
//! resubmitted, refused at intake, withdrawn, over a simulated year. It reads every stored row
//! back, decodes it, trains a 16 KiB dictionary on four cases of five and measures it on the
//! fifth, beside no dictionary and the dictionary the store uses now.
//!
//! ```sh
//! cargo run -p bench --bin timeline-dict -- --out /tmp/timeline.zdict
//! ```
//!
//! It never writes over an existing file: a dictionary rows were compressed against must not
//! change (a new one is added beside it, `crates/store/dict/README.md`). The same seed gives the
//! same dictionary, byte for byte. Figures go to stdout, progress to
//! stderr; `BENCH_KEEP_DB=1` keeps the SQLite database for inspection.

mod choices;
mod clock;
mod corpus;
mod drive;
mod form;
mod people;
mod plan;
mod tally;
mod turn;

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use bench::setup::Setup;
use clap::Parser;
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use service::ports::RegistryStore as _;
use store::DbOptions;

use crate::clock::SimClock;
use crate::corpus::{CaseTag, Measured, Sample};
use crate::drive::Ctx;
use crate::people::People;
use crate::tally::Tally;

/// Train the timeline dictionary on a corpus of realistic cases.
#[derive(Debug, Parser)]
#[command(name = "timeline-dict", version)]
struct Args {
    /// Where to write the dictionary (a new file: an existing one is never overwritten).
    #[arg(long)]
    out: PathBuf,
    /// A dictionary to compare with [default: crates/store/dict/timeline-1.zdict of this
    /// workspace, the one the store uses now].
    #[arg(long)]
    compare: Option<PathBuf>,
    /// The seed of every choice: the same seed gives the same corpus and dictionary.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Cases as a percentage of the full corpus (for a quick trial).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=400))]
    scale: u32,
    /// Folder for the scratch SQLite database, removed after [default: the system temp dir].
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Persons of the registry before the first case.
const HOLDERS: usize = 3_000;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent();
    let dict_dir = crates.unwrap_or(Path::new("crates")).join("store/dict");
    let out_path = args.out.clone();
    if out_path.exists() {
        return Err(anyhow!(
            "{} exists: a dictionary is never overwritten (rows name it by id); choose a new file",
            out_path.display()
        ));
    }
    let compare_path = args
        .compare
        .clone()
        .unwrap_or_else(|| dict_dir.join("timeline-1.zdict"));
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let folder = dir.join(format!("timeline-dict-{}", std::process::id()));
    if folder.exists() {
        std::fs::remove_dir_all(&folder)
            .with_context(|| format!("clearing {}", folder.display()))?;
    }
    std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    let started = Instant::now();
    let result = corpus_in(&folder, &args).await;
    if std::env::var("BENCH_KEEP_DB").is_ok_and(|v| v == "1") {
        eprintln!("BENCH_KEEP_DB=1: kept {}", folder.display());
    } else if let Err(e) = std::fs::remove_dir_all(&folder) {
        eprintln!("warning: could not remove {}: {e}", folder.display());
    }
    let (tally, mut samples) = result?;
    eprintln!(
        "corpus driven in {:.0} s; training",
        started.elapsed().as_secs_f64()
    );

    corpus::reseed_ids(&mut samples, args.seed);
    let dictionary = corpus::train(&samples)?;
    if let Some(parent) = out_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&out_path)
        .and_then(|mut f| f.write_all(&dictionary))
        .with_context(|| format!("writing {}", out_path.display()))?;
    let compared = std::fs::read(&compare_path).ok();

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "timeline-dict — seed {}, scale {} %\n",
        args.seed, args.scale
    )?;
    tally.print(&mut out)?;
    let all = corpus::measure(samples.iter(), None)?;
    let train = samples.iter().filter(|s| !s.held_out).count();
    writeln!(
        out,
        "\nrows: {} ({} trained on: every case but each fifth; {} held out), JSON {} bytes in \
         all, mean {:.0} bytes per row",
        all.rows,
        train,
        all.rows - train,
        all.json,
        all.mean_json()
    )?;
    let engine = corpus::measure(samples.iter().filter(|s| s.engine), None)?;
    writeln!(
        out,
        "  of which engine-bench's process: {} rows, JSON {} bytes, mean {:.0} bytes per row",
        engine.rows,
        engine.json,
        engine.mean_json()
    )?;
    writeln!(
        out,
        "dictionary: {} bytes, id {}, written to {}",
        dictionary.len(),
        dict_id(&dictionary),
        out_path.display()
    )?;
    let dictionaries = [
        (
            format!("new (id {})", dict_id(&dictionary)),
            Some(dictionary.as_slice()),
        ),
        ("none".to_owned(), None),
    ]
    .into_iter()
    .chain(
        compared
            .as_deref()
            .map(|b| (format!("compared (id {})", dict_id(b)), Some(b))),
    );
    let dictionaries: Vec<(String, Option<&[u8]>)> = dictionaries.collect();
    for (title, engine) in [
        ("held-out rows", None),
        ("held-out rows of engine-bench's process", Some(true)),
    ] {
        let rows = || {
            samples
                .iter()
                .filter(move |s| s.held_out && engine.is_none_or(|e| s.engine == e))
        };
        let base = corpus::measure(rows(), None)?;
        writeln!(
            out,
            "\n{title}: {} rows, mean JSON {:.0} bytes; zstd level 3, as stored:",
            base.rows,
            base.mean_json()
        )?;
        writeln!(
            out,
            "  {:<24} {:>12} {:>7}",
            "dictionary", "mean bytes", "ratio"
        )?;
        for (name, d) in &dictionaries {
            let m: Measured = corpus::measure(rows(), *d)?;
            writeln!(
                out,
                "  {name:<24} {:>12.1} {:>6.2}×",
                m.mean_compressed(),
                m.ratio()
            )?;
        }
    }
    if tally.stuck() > 0 {
        eprintln!(
            "warning: {} cases could not proceed (see \"stuck\")",
            tally.stuck()
        );
    }
    Ok(())
}

fn dict_id(dictionary: &[u8]) -> u32 {
    zstd::zstd_safe::get_dict_id_from_dict(dictionary).map_or(0, |id| id.get())
}

/// Sets up the platform in `folder`, drives every planned case and reads the rows back.
async fn corpus_in(folder: &Path, args: &Args) -> anyhow::Result<(Tally, Vec<Sample>)> {
    let options = DbOptions::sqlite_file(&folder.join("engine.db"));
    let setup = Setup::open(&options).await?;
    let db = setup.db.clone();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let newcomers = (1_000 * args.scale as usize).div_ceil(100) + 50;
    let mut people = People::generate(&setup.reference.regions, args.seed, HOLDERS, newcomers);
    for chunk in people.holders.chunks(5_000) {
        db.insert_records(chunk)
            .await
            .map_err(|e| anyhow!("storing the registry: {e}"))?;
    }
    let plans = plan::plans(
        &setup.reference.catalog,
        &setup.reference.calendar,
        &mut people,
        &mut rng,
        args.scale,
    )?;
    eprintln!(
        "registry of {} persons stored; driving {} cases",
        people.holders.len(),
        plans.len()
    );
    let clock = Arc::new(SimClock::default());
    let platform = setup.platform(clock.clone());
    let catalog = platform.catalogs.current().clone();
    let cx = Ctx {
        platform: &platform,
        clock: &clock,
    };
    let mut tally = Tally::default();
    let mut cases = HashMap::new();
    let started = Instant::now();
    for (order, plan) in plans.iter().enumerate() {
        let (id, request) = form::request(&catalog, &people, plan, &mut rng)?;
        let driven = drive::drive(cx, &mut rng, plan, &id, request)
            .await
            .with_context(|| format!("case {order} ({}, {:?})", plan.group, plan.items))?;
        if let Some(case) = &driven.case {
            let engine = plan.is_engine();
            cases.insert(case.0.clone(), CaseTag { order, engine });
        }
        tally.add(plan, &driven);
        if (order + 1) % 250 == 0 {
            eprintln!(
                "  {}/{} cases, {:.0} s",
                order + 1,
                plans.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    let samples = corpus::read(&db, &cases).await?;
    drop(platform);
    db.close().await;
    Ok((tally, samples))
}
