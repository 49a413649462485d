//! What the benchmarks share: the machine they ran on and latency statistics.
//!
//! Two binaries: `engine-bench` (the case engine on durable storage, beside SpiffWorkflow) and
//! `load-bench` (submissions over HTTP against the real `yijianshi serve`).

pub mod cpu;
pub mod machine;
pub mod stats;
