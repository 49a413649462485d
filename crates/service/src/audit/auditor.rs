//! The auditor: reads are recorded in batches, at least once a second, and never dropped.
//!
//! Callers hand entries to a bounded channel; a background task collects them and appends them
//! in one batch when a second has passed or the batch is full. When the store is slow or down,
//! the batch stops growing, the channel fills, and callers wait for room (backpressure) instead
//! of losing an entry. [`Auditor::close`] writes what is buffered before it returns.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::AuditEntry;
use crate::ports::AuditStore;

/// The longest an entry waits in memory before it is written (while the store answers).
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// The most entries one append carries; also the most held in memory besides the channel.
const MAX_BATCH: usize = 4_096;
/// Entries waiting in the channel before callers wait for room.
const CHANNEL: usize = 8_192;
/// Attempts to write what is left when closing, with doubling pauses from 200 ms.
const CLOSE_ATTEMPTS: u32 = 6;

/// The auditor is closed: nothing more can be recorded (and what was to be shown must not be).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("审计日志已关闭，无法记录访问")]
pub struct AuditClosed;

enum Msg {
    Entry(AuditEntry),
    /// Answered once everything received before it has been written.
    Flush(oneshot::Sender<()>),
}

/// Records entries in the background; see the module documentation.
pub struct Auditor {
    tx: mpsc::Sender<Msg>,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Auditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auditor")
            .field("waiting", &(CHANNEL - self.tx.capacity()))
            .finish_non_exhaustive()
    }
}

impl Auditor {
    /// Starts the background task on the current tokio runtime.
    pub fn spawn<A: AuditStore + Clone + 'static>(store: A) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(run(store, rx, stop_rx));
        Self {
            tx,
            stop: Mutex::new(Some(stop_tx)),
            task: Mutex::new(Some(task)),
        }
    }

    /// Queues an entry; waits for room rather than dropping it. It is durable within about a
    /// second while the store answers.
    pub async fn record(&self, entry: AuditEntry) -> Result<(), AuditClosed> {
        self.tx
            .send(Msg::Entry(entry))
            .await
            .map_err(|_| AuditClosed)
    }

    /// Waits until every entry recorded before this call is written.
    pub async fn flush(&self) -> Result<(), AuditClosed> {
        let (done, written) = oneshot::channel();
        self.tx
            .send(Msg::Flush(done))
            .await
            .map_err(|_| AuditClosed)?;
        written.await.map_err(|_| AuditClosed)
    }

    /// Stops accepting entries, writes what is buffered, and waits for the task to end.
    /// Later calls return at once.
    pub async fn close(&self) {
        let stop = self.stop.lock().ok().and_then(|mut s| s.take());
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "audit task failed");
        }
    }
}

async fn run<A: AuditStore>(
    store: A,
    mut rx: mpsc::Receiver<Msg>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut batch: Vec<AuditEntry> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            // While a full batch cannot be written, stop taking entries: callers then wait.
            msg = rx.recv(), if batch.len() < MAX_BATCH => match msg {
                Some(Msg::Entry(e)) => {
                    batch.push(e);
                    if batch.len() >= MAX_BATCH {
                        let _ = write(&store, &mut batch, &mut waiting).await;
                    }
                }
                Some(Msg::Flush(done)) => {
                    waiting.push(done);
                    let _ = write(&store, &mut batch, &mut waiting).await;
                }
                None => break,
            },
            _ = tick.tick() => {
                let _ = write(&store, &mut batch, &mut waiting).await;
            }
            _ = &mut stop => break,
        }
    }
    // Closing (or every sender gone): take what is queued, then write it all.
    rx.close();
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Entry(e) => batch.push(e),
            Msg::Flush(done) => waiting.push(done),
        }
    }
    let mut pause = Duration::from_millis(200);
    for attempt in 1..=CLOSE_ATTEMPTS {
        if write(&store, &mut batch, &mut waiting).await {
            return;
        }
        if attempt < CLOSE_ATTEMPTS {
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }
    tracing::error!(
        entries = batch.len(),
        "audit entries could not be written before shutdown"
    );
}

/// Writes the batch in one append. Returns whether nothing is left; on failure the batch is
/// kept for the next attempt (the next tick).
async fn write<A: AuditStore>(
    store: &A,
    batch: &mut Vec<AuditEntry>,
    waiting: &mut Vec<oneshot::Sender<()>>,
) -> bool {
    if !batch.is_empty() {
        if let Err(e) = store.append_audit(batch).await {
            tracing::warn!(error = %e, entries = batch.len(), "audit entries not yet written; retrying");
            return false;
        }
        batch.clear();
    }
    for done in waiting.drain(..) {
        let _ = done.send(());
    }
    true
}
