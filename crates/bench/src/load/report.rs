//! One step's figures, the medians over repeated runs, and the table and JSON line.

use std::io::Write as _;

use serde::Serialize;

use bench::machine::Machine;
use bench::stats::median_index;

use crate::cpu::Cores;
use crate::disk::Probe;
use crate::server::Engine;
use crate::traffic::Outcome;

/// How a step sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Mode {
    /// Open loop at this many submissions per second.
    Open(u32),
    /// Closed loop with this many clerks submitting back-to-back.
    Closed(u32),
}

impl Mode {
    fn describe(self) -> String {
        match self {
            Mode::Open(rate) => format!("open loop {rate}/s"),
            Mode::Closed(n) => format!("saturation ({n} clerks, closed loop)"),
        }
    }
}

/// One step of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub mode: Mode,
    pub sent: usize,
    pub created: usize,
    pub errors: usize,
    pub first_error: Option<String>,
    pub seconds: f64,
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub cores: Cores,
    /// Storage writes by the server per created case, KB (SQLite: the WAL and the checkpoints
    /// into the database file; PostgreSQL's own writes are not in it).
    pub written_kb_per_case: f64,
}

impl Measured {
    pub fn new(mode: Mode, out: &Outcome, cores: Cores) -> Self {
        Self {
            mode,
            sent: out.sent,
            created: out.created.len(),
            errors: out.errors,
            first_error: out.first_error.clone(),
            seconds: out.elapsed.as_secs_f64(),
            per_sec: out.throughput(),
            p50_ms: out.latencies.percentile_ms(50.0),
            p99_ms: out.latencies.percentile_ms(99.0),
            max_ms: out.latencies.percentile_ms(100.0),
            written_kb_per_case: cores.server_written as f64
                / 1024.0
                / (out.created.len().max(1)) as f64,
            cores,
        }
    }

    /// A progress line for stderr.
    pub fn line(&self) -> String {
        let mut s = format!(
            "{}: {} sent, {} created, {} errors in {:.1} s = {:.0}/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; cores: server {:.2}, generator {:.2}, machine {:.2}; server wrote {:.1} KB per case",
            self.mode.describe(),
            self.sent,
            self.created,
            self.errors,
            self.seconds,
            self.per_sec,
            self.p50_ms,
            self.p99_ms,
            self.max_ms,
            self.cores.server,
            self.cores.generator,
            self.cores.machine,
            self.written_kb_per_case,
        );
        if let Some(e) = &self.first_error {
            s.push_str(&format!("\n  first error: {e}"));
        }
        s
    }
}

/// A step's median over the runs: for a fixed rate the run with the median p99, at saturation
/// the run with the median throughput; every run's value of that figure is kept.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub engine: &'static str,
    pub median: Measured,
    pub runs: usize,
    /// p99 (ms) of each run at a fixed rate, throughput (/s) of each run at saturation.
    pub all: Vec<f64>,
}

impl Step {
    /// `runs[k][i]` is step `i` of run `k`; every run has the same steps.
    pub fn medians(engine: Engine, runs: Vec<Vec<Measured>>) -> Vec<Step> {
        let steps = runs.first().map_or(0, Vec::len);
        (0..steps)
            .map(|i| {
                let column: Vec<Measured> = runs.iter().filter_map(|r| r.get(i).cloned()).collect();
                let key = |m: &Measured| match m.mode {
                    Mode::Open(_) => m.p99_ms,
                    Mode::Closed(_) => m.per_sec,
                };
                let all: Vec<f64> = column.iter().map(key).collect();
                let median = column[median_index(&column, key)].clone();
                Step {
                    engine: engine.label(),
                    median,
                    runs: column.len(),
                    all,
                }
            })
            .collect()
    }
}

#[derive(Serialize)]
struct Json<'a> {
    machine: &'a Machine,
    steps: &'a [Step],
    disk_probes: &'a [Probe],
}

pub fn print(
    machine: &Machine,
    steps: &[Step],
    probes: &[Probe],
    json: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\nmachine: {} CPUs, {}, kernel {}, {} RAM; data in {} on {}; {}",
        machine.cpus,
        machine.cpu_model,
        machine.kernel,
        machine.memory,
        machine.data_dir,
        machine.filesystem,
        machine.date
    )?;
    writeln!(
        out,
        "| engine | step | runs | sent | created | errors | submissions/s | p50 ms | p99 ms | max ms | cores server / generator / machine | KB written per case | per run |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")?;
    for s in steps {
        let m = &s.median;
        let all: Vec<String> = s
            .all
            .iter()
            .map(|v| match m.mode {
                Mode::Open(_) => format!("{v:.1}"),
                Mode::Closed(_) => format!("{v:.0}"),
            })
            .collect();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.2} / {:.2} / {:.2} | {} | {} |",
            s.engine,
            m.mode.describe(),
            s.runs,
            m.sent,
            m.created,
            m.errors,
            m.per_sec,
            m.p50_ms,
            m.p99_ms,
            m.max_ms,
            m.cores.server,
            m.cores.generator,
            m.cores.machine,
            // PostgreSQL's writes are its own processes', not the server's.
            if m.written_kb_per_case >= 0.5 {
                format!("{:.0}", m.written_kb_per_case)
            } else {
                "–".to_owned()
            },
            all.join(" · ")
        )?;
    }
    if !probes.is_empty() {
        let each =
            |f: &dyn Fn(&Probe) -> String| probes.iter().map(f).collect::<Vec<_>>().join(" · ");
        writeln!(
            out,
            "\ndisk probe before each run (fdatasync of 80 KB at 200/s, no server): p99 ms {}; max ms {}; syncs over 20 ms {}",
            each(&|p| format!("{:.2}", p.p99_ms)),
            each(&|p| format!("{:.1}", p.max_ms)),
            each(&|p| p.over_20ms.to_string()),
        )?;
    }
    if json {
        let all = Json {
            machine,
            steps,
            disk_probes: probes,
        };
        writeln!(out, "{}", serde_json::to_string(&all)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(mode: Mode, p99_ms: f64, per_sec: f64) -> Measured {
        Measured {
            mode,
            sent: 1,
            created: 1,
            errors: 0,
            first_error: None,
            seconds: 1.0,
            per_sec,
            p50_ms: 1.0,
            p99_ms,
            max_ms: p99_ms,
            cores: Cores::default(),
            written_kb_per_case: 0.0,
        }
    }

    #[test]
    fn a_rate_takes_the_median_p99_and_saturation_the_median_throughput() {
        let run = |p99: f64, per_sec: f64| {
            vec![
                measured(Mode::Open(200), p99, 200.0),
                measured(Mode::Closed(64), 50.0, per_sec),
            ]
        };
        let steps = Step::medians(
            Engine::Sqlite,
            vec![run(137.0, 2_900.0), run(5.0, 3_200.0), run(8.0, 2_500.0)],
        );
        assert_eq!(steps.len(), 2);
        assert!((steps[0].median.p99_ms - 8.0).abs() < 1e-9);
        assert_eq!(steps[0].all, vec![137.0, 5.0, 8.0]);
        assert!((steps[1].median.per_sec - 2_900.0).abs() < 1e-9);
    }
}
