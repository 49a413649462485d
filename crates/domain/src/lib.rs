//! The pure business rules of the 残疾人服务「一件事」联办平台.
//!
//! No I/O, no async, no clock: data files arrive as text, `now` and `today` are passed in. The
//! modules are the nouns of the product glossary (docs/product.md):
//!
//! - [`access`]: roles, permissions and regional scopes;
//! - [`ids`]: 居民身份证号码, 残疾人证号, disability category and grade, masking;
//! - [`region`]: the Suqian region tree, 属地管理 and routing paths;
//! - [`calendar`]: the working-day calendar and SLA clocks (承诺时限);
//! - [`catalog`]: the service catalog (事项目录) as validated data;
//! - [`rules`]: facts, eligibility rules and policy parameters, compiled for fast evaluation;
//! - [`application`]: a selection of items, the merged form and the merged material list;
//! - [`workflow`]: cases, items, tasks and their transitions (the case engine);
//! - [`registry`]: the 残疾人基础信息库 — persons, certificates, benefits — and certificate cascades.

pub mod access;
pub mod application;
pub mod calendar;
pub mod catalog;
pub mod ids;
pub mod region;
pub mod registry;
pub mod rules;
pub mod time;
pub mod workflow;

use std::fmt;

/// An error in a data file (catalog, regions, calendar): names the file and, where there is one,
/// the entry, so an administrator can find and fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    pub file: String,
    pub entry: Option<String>,
    pub message: String,
}

impl DataError {
    pub fn parse(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            entry: None,
            message: message.into(),
        }
    }
    pub fn entry(file: &str, entry: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            entry: Some(entry.to_owned()),
            message: message.into(),
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.entry {
            Some(entry) => write!(f, "{}：条目「{}」：{}", self.file, entry, self.message),
            None => write!(f, "{}：{}", self.file, self.message),
        }
    }
}

impl std::error::Error for DataError {}
