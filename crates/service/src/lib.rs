//! Use cases of the 残疾人服务「一件事」 platform and the ports they need.
//!
//! [`Platform`] holds the catalog, calendar, region tree, clock, personal-data vault and a store;
//! its methods are the use cases (submit, accept, decide, …, upload and attach material files).
//! Transaction boundaries live here: every case transition is one [`ports::CaseCommit`], carrying
//! its audit entry ([`audit`]).

pub mod agents;
pub mod audit;
pub mod auth;
pub mod authority;
pub mod cache;
pub mod cases;
pub mod catalogs;
pub mod clock;
pub mod demo;
pub mod demo_accounts;
pub mod error;
pub mod files;
pub mod inbox;
pub mod pii;
pub mod ports;
pub mod precheck;

use std::sync::Arc;

use domain::calendar::WorkingCalendar;
use domain::region::RegionTree;
use domain::workflow::Actor;

pub use cases::{CaseView, SubmitRequest, Submitted};
pub use catalogs::Catalogs;
pub use clock::{Clock, SystemClock};
pub use error::ServiceError;
pub use files::{FileError, MaterialRef, MediaType, StoredFile, UploadLimits};
pub use pii::Vault;
pub use ports::{Store, StoreError};

/// The platform: reference data, the clock, the vault, the store and the auditor of reads.
#[derive(Debug)]
pub struct Platform<S> {
    pub store: S,
    pub clock: Arc<dyn Clock>,
    pub catalogs: Catalogs,
    pub calendar: WorkingCalendar,
    pub regions: RegionTree,
    pub vault: Arc<Vault>,
    pub auth: auth::AuthSettings,
    /// Limits on uploaded files (default: 10 MiB).
    pub upload_limits: UploadLimits,
    /// Writes read entries in the background; close it at shutdown.
    pub auditor: audit::Auditor,
    cache: cache::CaseCache,
}

impl<S: Store> Platform<S> {
    /// Builds the platform and starts its auditor: call inside a tokio runtime.
    pub fn new(
        store: S,
        clock: Arc<dyn Clock>,
        catalogs: Catalogs,
        calendar: WorkingCalendar,
        regions: RegionTree,
        vault: Arc<Vault>,
    ) -> Self {
        Self {
            auditor: audit::Auditor::spawn(store.clone()),
            store,
            clock,
            catalogs,
            calendar,
            regions,
            vault,
            auth: auth::AuthSettings::default(),
            upload_limits: UploadLimits::default(),
            cache: cache::CaseCache::new(20_000),
        }
    }

    /// With login and session rules other than the defaults.
    pub fn with_auth(mut self, auth: auth::AuthSettings) -> Self {
        self.auth = auth;
        self
    }

    /// Records that `actor` read `subject` (`case:<id>`, `person:<id>` — see
    /// [`audit::case_subject`]; record ids only) and why. Waits for room in the auditor rather
    /// than dropping the entry; fails only once the auditor is closed, and then the caller must
    /// not show what was read.
    pub async fn audit_read(
        &self,
        actor: &Actor,
        subject: &str,
        why: &str,
    ) -> Result<(), ServiceError> {
        let entry = audit::AuditEntry::read(actor, subject, why, self.clock.now());
        self.auditor
            .record(entry)
            .await
            .map_err(|e| ServiceError::Unexpected(e.to_string()))
    }
}

impl<S> Platform<S> {
    /// How many cases are held in memory.
    pub fn cached_cases(&self) -> usize {
        self.cache.len()
    }
}
