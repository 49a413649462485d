//! Use cases of the 残疾人服务「一件事」 platform and the ports they need.
//!
//! [`Platform`] holds the catalog, calendar, region tree, clock, personal-data vault and a store;
//! its methods are the use cases (submit, accept, decide, …, upload and attach material files).
//! Transaction boundaries live here: every case transition is one [`ports::CaseCommit`].

pub mod agents;
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

pub use cases::{CaseView, SubmitRequest, Submitted};
pub use catalogs::Catalogs;
pub use clock::{Clock, SystemClock};
pub use error::ServiceError;
pub use files::{FileError, MaterialRef, MediaType, StoredFile, UploadLimits};
pub use pii::Vault;
pub use ports::{Store, StoreError};

/// The platform: reference data, the clock, the vault and the store.
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
    cache: cache::CaseCache,
}

impl<S> Platform<S> {
    pub fn new(
        store: S,
        clock: Arc<dyn Clock>,
        catalogs: Catalogs,
        calendar: WorkingCalendar,
        regions: RegionTree,
        vault: Arc<Vault>,
    ) -> Self {
        Self {
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

    /// How many cases are held in memory.
    pub fn cached_cases(&self) -> usize {
        self.cache.len()
    }
}
