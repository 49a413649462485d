//! Where and when the figures were taken: the machine, described the same way by every
//! benchmark.

use std::path::Path;

use serde::Serialize;
use service::Clock as _;

/// Where and when the figures were taken.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub date: String,
    pub cpus: usize,
    pub cpu_model: String,
    pub kernel: String,
    pub memory: String,
    /// The filesystem holding the SQLite files (ours and the peer's).
    pub data_dir: String,
    pub filesystem: String,
}

impl Machine {
    pub fn detect(dir: &Path) -> Self {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let field = |text: &str, key: &str| {
            text.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_else(|| "unknown".to_owned())
        };
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
        Self {
            date: service::SystemClock
                .now()
                .format("%Y-%m-%d %H:%M UTC")
                .to_string(),
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            cpu_model: field(&cpuinfo, "model name"),
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            memory: field(&read("/proc/meminfo"), "MemTotal"),
            filesystem: filesystem_of(&dir),
            data_dir: dir.display().to_string(),
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "date {}; {} CPUs ({}); kernel {}; memory {}; data in {} on {}",
            self.date,
            self.cpus,
            self.cpu_model,
            self.kernel,
            self.memory,
            self.data_dir,
            self.filesystem
        )
    }
}

/// The device and type of the filesystem mounted at the longest prefix of `dir`.
fn filesystem_of(dir: &Path) -> String {
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (dev, at, ty) = (f.next()?, f.next()?, f.next()?);
            dir.starts_with(at)
                .then(|| (at.len(), format!("{dev} ({ty})")))
        })
        .max_by_key(|(len, _)| *len)
        .map_or_else(|| "unknown".to_owned(), |(_, fs)| fs)
}
