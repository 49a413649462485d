//! Reading the reference data files (catalog, calendar, regions) from a folder. Every problem
//! names the file and the entry, and stops start-up.

use std::path::{Path, PathBuf};

use domain::DataError;
use domain::calendar::WorkingCalendar;
use domain::catalog::{Catalog, CatalogSources, SourceFile};
use domain::region::RegionTree;

/// The validated reference data.
#[derive(Debug)]
pub struct Reference {
    pub sources: CatalogSources,
    pub catalog: Catalog,
    pub calendar: WorkingCalendar,
    pub regions: RegionTree,
}

/// Why the reference data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("无法读取 {path}：{source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Catalog(#[from] domain::catalog::CatalogErrors),
    #[error("{0}")]
    Data(#[from] DataError),
    #[error("{0}")]
    Calendar(String),
}

const CATALOG_FILES: [&str; 6] = [
    "catalog.toml",
    "fields.toml",
    "materials.toml",
    "sources.toml",
    "parameters.toml",
    "scenarios.toml",
];

fn read(path: &Path) -> Result<String, ReferenceError> {
    std::fs::read_to_string(path).map_err(|source| ReferenceError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Reads the catalog files of a folder (`catalog.toml` … and `items/*.toml`).
pub fn catalog_sources(dir: &Path) -> Result<CatalogSources, ReferenceError> {
    let mut files = Vec::new();
    for name in CATALOG_FILES {
        files.push(SourceFile {
            path: name.to_owned(),
            text: read(&dir.join(name))?,
        });
    }
    let items = dir.join("items");
    let entries = std::fs::read_dir(&items).map_err(|source| ReferenceError::Io {
        path: items.clone(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push(SourceFile {
            path: format!("items/{name}"),
            text: read(&path)?,
        });
    }
    let digest = service::catalogs::digest(&files);
    Ok(CatalogSources { files, digest })
}

/// Loads and validates everything.
pub fn load(dir: &Path) -> Result<Reference, ReferenceError> {
    let sources = catalog_sources(dir)?;
    let catalog = Catalog::load(&sources)?;
    let calendar = WorkingCalendar::from_toml("calendar.toml", &read(&dir.join("calendar.toml"))?)
        .map_err(|e| ReferenceError::Calendar(e.to_string()))?;
    let regions = RegionTree::from_toml("regions.toml", &read(&dir.join("regions.toml"))?)?;
    Ok(Reference {
        sources,
        catalog,
        calendar,
        regions,
    })
}
