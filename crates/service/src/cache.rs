//! Hot cases kept in memory so a decision costs one durable write and no read. Each slot has a
//! lock that serializes transitions of one case within this instance; across instances the
//! store's version check (a conflict on the timeline's sequence) catches a stale copy, which is
//! then reloaded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::workflow::{Case, CaseId};

pub type Slot = Arc<tokio::sync::Mutex<Option<Arc<Case>>>>;

#[derive(Debug)]
pub struct CaseCache {
    slots: Mutex<HashMap<CaseId, Slot>>,
    capacity: usize,
}

impl CaseCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The slot of a case (empty until loaded).
    pub fn slot(&self, id: &CaseId) -> Slot {
        let Ok(mut slots) = self.slots.lock() else {
            // A poisoned map only loses the cache: hand out a private slot.
            return Arc::new(tokio::sync::Mutex::new(None));
        };
        if slots.len() >= self.capacity {
            // Bounded: keep only the slots in use right now.
            slots.retain(|_, slot| Arc::strong_count(slot) > 1);
        }
        slots.entry(id.clone()).or_default().clone()
    }

    /// The case if this instance holds it (without creating a slot).
    pub async fn peek(&self, id: &CaseId) -> Option<Arc<Case>> {
        let slot = self.slots.lock().ok()?.get(id).cloned()?;
        let guard = slot.lock().await;
        guard.clone()
    }

    /// Forgets a case (it concluded, or its copy may be stale).
    pub fn forget(&self, id: &CaseId) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.remove(id);
        }
    }

    pub fn len(&self) -> usize {
        self.slots.lock().map(|s| s.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
