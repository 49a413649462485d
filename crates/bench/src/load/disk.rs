//! The disk's own behaviour, measured beside the figures it explains: the pattern of a WAL
//! commit under light load — 80 KB written and `fdatasync`ed 200 times a second into a file
//! reused every 4 MB — with no database and no server, in the folder the database uses.
//!
//! With `synchronous=FULL` no commit is acknowledged before its sync returns, so a sync that
//! stalls for 200 ms holds every request that arrives meanwhile: the tail of the open-loop
//! latencies cannot be shorter than the tail of these syncs.

use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;

use bench::stats::Latencies;

const WRITE: usize = 80 * 1024;
const REUSE_AFTER: u64 = 4 * 1024 * 1024;
const PER_SECOND: u32 = 200;

/// Sync latencies over the probe.
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    pub syncs: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Syncs that took longer than 20 ms (the latency target of the open loop at 200/s).
    pub over_20ms: usize,
}

/// Runs the probe for `seconds` in `dir` (a blocking call: run it off the async workers).
pub fn probe(dir: &Path, seconds: u32) -> anyhow::Result<Probe> {
    let path = dir.join(format!("yjs-disk-probe-{}", std::process::id()));
    let result = run(&path, seconds);
    let _ = std::fs::remove_file(&path);
    result
}

fn run(path: &Path, seconds: u32) -> anyhow::Result<Probe> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    // Allocated and synced before timing, like a WAL that has reached its size.
    let block: Vec<u8> = (0..WRITE).map(|i| (i * 131 % 251) as u8).collect();
    for _ in 0..REUSE_AFTER / WRITE as u64 {
        file.write_all(&block)?;
    }
    file.sync_all()?;
    let interval = Duration::from_secs(1) / PER_SECOND;
    let count = (PER_SECOND * seconds) as usize;
    let mut micros = Vec::with_capacity(count);
    let mut offset = 0u64;
    let mut due = Instant::now();
    for _ in 0..count {
        file.write_all_at(&block, offset)?;
        offset = (offset + WRITE as u64) % REUSE_AFTER;
        let started = Instant::now();
        file.sync_data()?;
        micros.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        due += interval;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    let over_20ms = micros.iter().filter(|&&us| us > 20_000).count();
    let latencies = Latencies::new(micros);
    Ok(Probe {
        syncs: count,
        p50_ms: latencies.percentile_ms(50.0),
        p99_ms: latencies.percentile_ms(99.0),
        max_ms: latencies.percentile_ms(100.0),
        over_20ms,
    })
}

impl Probe {
    pub fn line(&self) -> String {
        format!(
            "disk: {} syncs of 80 KB at 200/s: p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms; {} over 20 ms",
            self.syncs, self.p50_ms, self.p99_ms, self.max_ms, self.over_20ms
        )
    }
}
