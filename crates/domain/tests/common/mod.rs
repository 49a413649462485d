//! Loads the shipped data files for domain tests.
#![expect(dead_code, reason = "each test binary uses part of the support module")]

use std::path::{Path, PathBuf};

use domain::calendar::WorkingCalendar;
use domain::catalog::{Catalog, CatalogSources, SourceFile};
use domain::region::RegionTree;

pub fn catalog_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog")
}

/// Reads every catalog file (not regions or calendar) as the server does.
pub fn sources_from(dir: &Path) -> CatalogSources {
    let mut files = Vec::new();
    for name in [
        "catalog.toml",
        "fields.toml",
        "materials.toml",
        "sources.toml",
        "parameters.toml",
        "scenarios.toml",
    ] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        files.push(SourceFile {
            path: name.to_owned(),
            text,
        });
    }
    for entry in std::fs::read_dir(dir.join("items")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        files.push(SourceFile {
            path: format!("items/{name}"),
            text: std::fs::read_to_string(&path).unwrap(),
        });
    }
    CatalogSources {
        files,
        digest: "test".to_owned(),
    }
}

pub fn sources() -> CatalogSources {
    sources_from(&catalog_dir())
}

pub fn catalog() -> Catalog {
    match Catalog::load(&sources()) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

pub fn calendar() -> WorkingCalendar {
    let text = std::fs::read_to_string(catalog_dir().join("calendar.toml")).unwrap();
    WorkingCalendar::from_toml("calendar.toml", &text).unwrap()
}

pub fn regions() -> RegionTree {
    let text = std::fs::read_to_string(catalog_dir().join("regions.toml")).unwrap();
    RegionTree::from_toml("regions.toml", &text).unwrap()
}
