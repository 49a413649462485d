//! What the benchmarks share: the machine they ran on, latency statistics, the platform's
//! set-up and the benchmark process's application.
//!
//! Three binaries: `engine-bench` (the case engine on durable storage, beside SpiffWorkflow),
//! `load-bench` (submissions over HTTP against the real `yijianshi serve`) and `timeline-dict`
//! (trains the dictionary the stored timelines are compressed against).

pub mod cpu;
pub mod machine;
pub mod process;
pub mod setup;
pub mod stats;
