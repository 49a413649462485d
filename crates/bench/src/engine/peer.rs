//! The SpiffWorkflow peer: benches/peers/spiffworkflow/run.sh, which prints one line of JSON.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context as _, anyhow, ensure};
use serde::Deserialize;
use store::Synchronous;

/// The peer's figures, as its harness prints them.
#[derive(Debug, Clone, Deserialize)]
pub struct PeerResult {
    pub engine: String,
    pub version: String,
    pub cases: u32,
    pub steps: u64,
    pub seconds: f64,
    pub cases_per_sec: f64,
    pub steps_per_sec: f64,
    pub synchronous: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/peers/spiffworkflow/run.sh")
}

/// Runs the peer harness on a fresh SQLite file in `dir` (the same disk as ours).
pub async fn run(cases: u32, synchronous: Synchronous, dir: &Path) -> anyhow::Result<PeerResult> {
    let sync = match synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    let db = dir.join(format!("spiff-bench-{}.db", std::process::id()));
    eprintln!("SpiffWorkflow synchronous={sync} cases={cases}: running the peer harness");
    let output = tokio::process::Command::new("bash")
        .arg(script())
        .arg("--cases")
        .arg(cases.to_string())
        .arg("--db")
        .arg(&db)
        .arg("--synchronous")
        .arg(sync)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .await
        .with_context(|| format!("starting {}", script().display()))?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut path = db.clone().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
    ensure!(
        output.status.success(),
        "the SpiffWorkflow harness failed ({})",
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| anyhow!("the SpiffWorkflow harness printed nothing"))?;
    let result: PeerResult = serde_json::from_str(line)
        .with_context(|| format!("reading the harness's figures: {line}"))?;
    ensure!(
        result.cases == cases
            && result.steps == 13 * u64::from(cases)
            && result.synchronous == sync,
        "the harness reports {result:?}, expected {cases} cases, 13 steps each, synchronous={sync}"
    );
    eprintln!(
        "SpiffWorkflow {} synchronous={sync}: {:.3} s, {:.1} cases/s, {:.0} steps/s",
        result.version, result.seconds, result.cases_per_sec, result.steps_per_sec
    );
    Ok(result)
}
