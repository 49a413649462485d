//! Where the CPU went during a step: the server process, the load generator (this process) and
//! the whole machine (which includes PostgreSQL's processes), in cores, and what the server
//! wrote to storage, from `/proc`.

use std::time::Duration;

use serde::Serialize;

use bench::cpu::{TICKS_PER_SECOND, process_ticks};

/// Busy ticks of all CPUs together (everything but idle and iowait).
fn machine_busy_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let (idle, iowait) = (*v.get(3)?, *v.get(4)?);
    // user nice system idle iowait irq softirq steal (guest times are inside user).
    Some(v.iter().take(8).sum::<u64>() - idle - iowait)
}

/// Bytes a process caused to be written to storage (`write_bytes` of `/proc/<pid>/io`).
fn written_bytes(pid: &str) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes:"))
        .and_then(|v| v.trim().parse().ok())
}

/// CPU and write counters at the start of a step.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    server: Option<u64>,
    server_written: Option<u64>,
    generator: Option<u64>,
    machine: Option<u64>,
}

/// Cores used on average during a step.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Cores {
    pub server: f64,
    pub generator: f64,
    pub machine: f64,
    /// Bytes the server wrote to storage during the step (0 where `/proc` did not say).
    pub server_written: u64,
}

impl Sample {
    pub fn take(server_pid: u32) -> Self {
        Self {
            server: process_ticks(&server_pid.to_string()),
            server_written: written_bytes(&server_pid.to_string()),
            generator: process_ticks("self"),
            machine: machine_busy_ticks(),
        }
    }

    /// The cores used from this sample until now, over `elapsed`; 0 where `/proc` said nothing.
    pub fn since(self, server_pid: u32, elapsed: Duration) -> Cores {
        let now = Self::take(server_pid);
        let secs = elapsed.as_secs_f64().max(1e-9);
        let cores = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => b.saturating_sub(a) as f64 / TICKS_PER_SECOND / secs,
            _ => 0.0,
        };
        Cores {
            server: cores(self.server, now.server),
            generator: cores(self.generator, now.generator),
            machine: cores(self.machine, now.machine),
            server_written: match (self.server_written, now.server_written) {
                (Some(a), Some(b)) => b.saturating_sub(a),
                _ => 0,
            },
        }
    }
}
