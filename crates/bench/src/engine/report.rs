//! The machine, the table of figures and the JSON line.

use std::io::Write as _;

use serde::Serialize;
use store::Synchronous;

use crate::case::STEPS;
use crate::peer::PeerResult;
use crate::run::{Backend, RunConfig, RunResult};
use bench::machine::Machine;
use bench::stats::median_index;

/// The peer's median over its runs.
#[derive(Debug, Clone, Serialize)]
pub struct PeerRow {
    pub engine: String,
    pub version: String,
    pub runs: usize,
    pub cases: u32,
    pub seconds: f64,
    pub cases_per_sec: f64,
    pub steps_per_sec: f64,
    pub cases_per_sec_all: Vec<f64>,
}

/// One configuration's median over its runs.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub engine: &'static str,
    pub version: String,
    pub synchronous: &'static str,
    pub durability: String,
    pub group_commit: bool,
    pub concurrency: u32,
    pub cases: u32,
    pub steps_per_case: usize,
    pub runs: usize,
    pub seconds: f64,
    pub cases_per_sec: f64,
    pub steps_per_sec: f64,
    pub step_p50_ms: f64,
    pub step_p99_ms: f64,
    pub cases_per_sec_all: Vec<f64>,
    /// CPU milliseconds (whole process, user + system) per case of each run, timed part only:
    /// steadier than cases/s when neighbours slow the machine.
    pub cpu_ms_per_case_all: Vec<f64>,
    /// The group-commit writer in each run.
    pub writer_all: Vec<Option<crate::run::WriterFigures>>,
    pub peer: Option<PeerRow>,
    /// Ours over the peer's cases per second, same synchronous setting.
    pub ratio: Option<f64>,
}

impl Row {
    pub fn ours(config: &RunConfig, runs: Vec<RunResult>, peer: Option<Vec<PeerResult>>) -> Self {
        let m = median_index(&runs, RunResult::cases_per_sec);
        let all: Vec<f64> = runs.iter().map(RunResult::cases_per_sec).collect();
        let median = &runs[m];
        let peer = peer.filter(|p| !p.is_empty()).map(|p| {
            let k = median_index(&p, |r| r.cases_per_sec);
            PeerRow {
                engine: p[k].engine.clone(),
                version: p[k].version.clone(),
                runs: p.len(),
                cases: p[k].cases,
                seconds: p[k].seconds,
                cases_per_sec: p[k].cases_per_sec,
                steps_per_sec: p[k].steps_per_sec,
                cases_per_sec_all: p.iter().map(|r| r.cases_per_sec).collect(),
            }
        });
        let ratio = peer
            .as_ref()
            .map(|p| median.cases_per_sec() / p.cases_per_sec);
        Self {
            engine: config.engine_label(),
            version: median.version.clone(),
            synchronous: match (&config.backend, config.synchronous) {
                (Backend::Postgres { .. }, _) => "server",
                (_, Synchronous::Full) => "FULL",
                (_, Synchronous::Normal) => "NORMAL",
            },
            durability: median.durability.clone(),
            group_commit: config.group_commit,
            concurrency: config.concurrency,
            cases: config.cases,
            steps_per_case: STEPS,
            runs: runs.len(),
            seconds: median.seconds,
            cases_per_sec: median.cases_per_sec(),
            steps_per_sec: median.steps_per_sec(),
            step_p50_ms: median.latencies.percentile_ms(50.0),
            step_p99_ms: median.latencies.percentile_ms(99.0),
            cases_per_sec_all: all,
            cpu_ms_per_case_all: runs.iter().map(RunResult::cpu_ms_per_case).collect(),
            writer_all: runs.iter().map(|r| r.writer).collect(),
            peer,
            ratio,
        }
    }
}

/// All rows of a run of the benchmark.
#[derive(Debug, Serialize)]
pub struct Table {
    pub machine: Machine,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn new(machine: Machine) -> Self {
        Self {
            machine,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    pub fn print(&self, json: bool) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        let m = &self.machine;
        writeln!(out)?;
        writeln!(out, "engine-bench — {}", m.date)?;
        writeln!(
            out,
            "machine: {} CPUs, {}, kernel {}, {} RAM; data in {} on {}",
            m.cpus, m.cpu_model, m.kernel, m.memory, m.data_dir, m.filesystem
        )?;
        writeln!(
            out,
            "process: submit → accept → cert.new ×3 → {{nursing ×4 | pension ×2 | fuel ×2}} → notice; \
             {STEPS} durable steps per case; figures are medians of the runs\n"
        )?;
        writeln!(
            out,
            "{:<10} {:<6} {:<5} {:>7} {:>4} {:>5} {:>8} {:>8} {:>8} {:>7} {:>7} | {:>6} {:>7} {:>7} {:>6}",
            "engine",
            "sync",
            "group",
            "cases",
            "runs",
            "conc",
            "seconds",
            "cases/s",
            "steps/s",
            "p50 ms",
            "p99 ms",
            "spiff",
            "cases/s",
            "steps/s",
            "ratio"
        )?;
        writeln!(out, "{}", "-".repeat(129))?;
        for r in &self.rows {
            let peer = match (&r.peer, r.ratio) {
                (Some(p), Some(ratio)) => format!(
                    "{:>6} {:>7.1} {:>7.0} {:>5.1}×",
                    p.cases, p.cases_per_sec, p.steps_per_sec, ratio
                ),
                _ => format!("{:>6} {:>7} {:>7} {:>6}", "-", "-", "-", "-"),
            };
            writeln!(
                out,
                "{:<10} {:<6} {:<5} {:>7} {:>4} {:>5} {:>8.3} {:>8.0} {:>8.0} {:>7.2} {:>7.2} | {peer}",
                r.engine,
                r.synchronous,
                if r.group_commit { "on" } else { "off" },
                r.cases,
                r.runs,
                r.concurrency,
                r.seconds,
                r.cases_per_sec,
                r.steps_per_sec,
                r.step_p50_ms,
                r.step_p99_ms,
            )?;
        }
        writeln!(out)?;
        for r in &self.rows {
            let all: Vec<String> = r
                .cases_per_sec_all
                .iter()
                .map(|c| format!("{c:.0}"))
                .collect();
            let cpu: Vec<String> = r
                .cpu_ms_per_case_all
                .iter()
                .map(|c| format!("{c:.2}"))
                .collect();
            write!(
                out,
                "{} {} group_commit={} cases={}: {}, {}; cases/s of each run: {}; CPU ms per case: {}",
                r.engine,
                r.synchronous,
                r.group_commit,
                r.cases,
                r.version,
                r.durability,
                all.join(", "),
                cpu.join(", ")
            )?;
            let busy: Vec<String> = r
                .writer_all
                .iter()
                .flatten()
                .map(|w| {
                    format!(
                        "{:.0} % ({:.0} per transaction)",
                        w.busy * 100.0,
                        w.commits_per_batch
                    )
                })
                .collect();
            if !busy.is_empty() {
                write!(out, "; writer busy: {}", busy.join(", "))?;
            }
            if let Some(p) = &r.peer {
                let all: Vec<String> = p
                    .cases_per_sec_all
                    .iter()
                    .map(|c| format!("{c:.1}"))
                    .collect();
                write!(
                    out,
                    "; peer {} {} cases/s of each run: {}",
                    p.engine,
                    p.version,
                    all.join(", ")
                )?;
            }
            writeln!(out)?;
        }
        if json {
            writeln!(out, "{}", serde_json::to_string(self)?)?;
        }
        out.flush()?;
        Ok(())
    }
}
