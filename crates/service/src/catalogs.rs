//! The catalog in force and the older versions cases were accepted under.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use domain::catalog::{Catalog, CatalogSources, CatalogVersion, SourceFile};
use serde::{Deserialize, Serialize};

use crate::error::ServiceError;
use crate::ports::CatalogStore;

/// The files of a catalog version as stored.
#[derive(Debug, Serialize, Deserialize)]
struct StoredSources {
    digest: String,
    files: Vec<(String, String)>,
}

/// Serializes catalog sources for storage.
pub fn sources_to_json(sources: &CatalogSources) -> String {
    let stored = StoredSources {
        digest: sources.digest.clone(),
        files: sources
            .files
            .iter()
            .map(|f| (f.path.clone(), f.text.clone()))
            .collect(),
    };
    serde_json::to_string(&stored).unwrap_or_default()
}

fn sources_from_json(json: &str) -> Option<CatalogSources> {
    let stored: StoredSources = serde_json::from_str(json).ok()?;
    Some(CatalogSources {
        digest: stored.digest,
        files: stored
            .files
            .into_iter()
            .map(|(path, text)| SourceFile { path, text })
            .collect(),
    })
}

/// A digest of catalog files: SM3 over the sorted paths and texts, first 12 hex digits.
pub fn digest(files: &[SourceFile]) -> String {
    let mut sorted: Vec<&SourceFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut h = gm_crypto::Sm3Hasher::new();
    for f in sorted {
        h.update(f.path.as_bytes());
        h.update(&[0]);
        h.update(f.text.as_bytes());
        h.update(&[0]);
    }
    gm_crypto::to_hex(&h.finalize()[..6])
}

/// The current catalog and the older versions, loaded on demand from the store.
#[derive(Debug)]
pub struct Catalogs {
    current: Arc<Catalog>,
    older: RwLock<HashMap<CatalogVersion, Arc<Catalog>>>,
}

impl Catalogs {
    pub fn new(current: Catalog) -> Self {
        Self {
            current: Arc::new(current),
            older: RwLock::new(HashMap::new()),
        }
    }

    pub fn current(&self) -> &Arc<Catalog> {
        &self.current
    }

    /// The catalog of a version: the current one, a cached older one, or one loaded from the
    /// store.
    pub async fn get<S: CatalogStore>(
        &self,
        store: &S,
        version: &CatalogVersion,
    ) -> Result<Arc<Catalog>, ServiceError> {
        if &self.current.version == version {
            return Ok(self.current.clone());
        }
        if let Some(c) = self.older.read().ok().and_then(|m| m.get(version).cloned()) {
            return Ok(c);
        }
        let json = store
            .load_catalog_version(&version.0)
            .await?
            .ok_or_else(|| {
                ServiceError::Unexpected(format!("catalog version {version} is not stored"))
            })?;
        let sources = sources_from_json(&json).ok_or_else(|| {
            ServiceError::Unexpected(format!("catalog version {version} is unreadable"))
        })?;
        let catalog = Catalog::load(&sources)
            .map_err(|e| ServiceError::Unexpected(format!("catalog version {version}: {e}")))?;
        let catalog = Arc::new(catalog);
        if let Ok(mut m) = self.older.write() {
            m.insert(version.clone(), catalog.clone());
        }
        Ok(catalog)
    }
}
