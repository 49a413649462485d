//! A fresh platform as start-up builds it: the database opened (and migrated) with the test
//! vault, the shipped reference data loaded and the catalog version stored, then the platform on
//! top. Shared by `engine-bench` and `timeline-dict`, so both run on the same set-up.

use std::sync::Arc;

use anyhow::anyhow;
use service::ports::CatalogStore as _;
use service::{Catalogs, Clock, Platform, Vault};
use store::reference::Reference;
use store::{Db, DbOptions};

/// An opened database and the reference data, before the platform is built on them.
#[derive(Debug)]
pub struct Setup {
    pub db: Db,
    pub reference: Reference,
    pub vault: Arc<Vault>,
}

impl Setup {
    /// As start-up does: opens (and migrates) the database, loads the reference data
    /// (`catalog/`) and stores the catalog version.
    pub async fn open(options: &DbOptions) -> anyhow::Result<Self> {
        let vault = Arc::new(testkit::vault());
        let db = Db::open(options, vault.clone())
            .await
            .map_err(|e| anyhow!("opening the database: {e}"))?;
        let reference = store::reference::load(&testkit::catalog_dir())
            .map_err(|e| anyhow!("loading the reference data: {e}"))?;
        db.save_catalog_version(
            &reference.catalog.version.0,
            &service::catalogs::sources_to_json(&reference.sources),
        )
        .await
        .map_err(|e| anyhow!("storing the catalog version: {e}"))?;
        Ok(Self {
            db,
            reference,
            vault,
        })
    }

    /// The platform `serve` would build on the database, telling the time by `clock`.
    pub fn platform(self, clock: Arc<dyn Clock>) -> Platform<Db> {
        Platform::new(
            self.db,
            clock,
            Catalogs::new(self.reference.catalog),
            self.reference.calendar,
            self.reference.regions,
            self.vault,
        )
    }
}
