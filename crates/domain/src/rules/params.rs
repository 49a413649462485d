//! Policy parameters (amounts, grade sets, ages, limits) with effective dates and sources.
//!
//! A case is judged under the parameter versions in force on the day it was submitted
//! (`rules_as_of`), so a version that takes effect later never changes an earlier case.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Where a rule or a parameter comes from (product.md appendix C), or that it is sample
/// configuration nobody has confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// Document number or title, e.g. "国发〔2015〕52号".
    pub document: Option<String>,
    pub clause: Option<String>,
    /// Sample configuration: not confirmed from an official text; an administrator changes it.
    pub sample: bool,
}

impl Citation {
    /// The citation as shown to people: "依据：国发〔2015〕52号 二（一）".
    pub fn text(&self) -> String {
        let mut s = String::from("依据：");
        match &self.document {
            Some(doc) => {
                s.push_str(doc);
                if let Some(clause) = &self.clause {
                    s.push(' ');
                    s.push_str(clause);
                }
                if self.sample {
                    s.push_str("（样例配置，具体口径待官方文件确认）");
                }
            }
            None => s.push_str("样例配置（未经官方文件确认，由管理员按本地政策调整）"),
        }
        s
    }
}

/// The type of a parameter's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    Int,
    IntList,
    Text,
    TextList,
    /// An amount of money, written in yuan with up to two decimals, kept in fen.
    Money,
    Bool,
}

impl ParamType {
    pub fn label(self) -> &'static str {
        match self {
            Self::Int => "整数",
            Self::IntList => "整数列表",
            Self::Text => "文本",
            Self::TextList => "文本列表",
            Self::Money => "金额",
            Self::Bool => "是/否",
        }
    }
}

/// A value of a parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Int(i64),
    IntList(Vec<i64>),
    Text(String),
    TextList(Vec<String>),
    /// Fen (分).
    Money {
        fen: i64,
    },
}

impl ParamValue {
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Self::Int(n) => Some(*n),
            _ => None,
        }
    }
    pub fn as_money(&self) -> Option<i64> {
        match self {
            Self::Money { fen } => Some(*fen),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// Formats fen as yuan: 13000 → "130.00 元".
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02} 元", abs / 100, abs % 100)
}

/// Parses "130", "130.5" or "130.50" (yuan) into fen.
pub fn parse_yuan(text: &str) -> Option<i64> {
    let text = text.trim();
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(frac)
}

/// One version of a parameter, in force from `from` until the next version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamVersion {
    pub from: NaiveDate,
    pub value: ParamValue,
}

/// A policy parameter with its versions (sorted by date) and citation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub key: String,
    pub label: String,
    pub ty: ParamType,
    pub unit: Option<String>,
    pub citation: Citation,
    pub versions: Vec<ParamVersion>,
}

impl Parameter {
    /// The version in force on `date`, if any version has taken effect by then.
    pub fn on(&self, date: NaiveDate) -> Option<&ParamVersion> {
        self.versions.iter().rev().find(|v| v.from <= date)
    }
}

/// All parameters, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parameters {
    by_key: BTreeMap<String, Parameter>,
}

impl Parameters {
    pub fn new(params: impl IntoIterator<Item = Parameter>) -> Self {
        Self {
            by_key: params.into_iter().map(|p| (p.key.clone(), p)).collect(),
        }
    }
    pub fn get(&self, key: &str) -> Option<&Parameter> {
        self.by_key.get(key)
    }
    pub fn iter(&self) -> impl Iterator<Item = &Parameter> {
        self.by_key.values()
    }
    /// The value of a parameter on a date.
    pub fn value_on(&self, key: &str, date: NaiveDate) -> Option<&ParamValue> {
        self.get(key).and_then(|p| p.on(date)).map(|v| &v.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_parses_and_formats() {
        assert_eq!(parse_yuan("130"), Some(13000));
        assert_eq!(parse_yuan("130.5"), Some(13050));
        assert_eq!(parse_yuan("0.07"), Some(7));
        assert_eq!(parse_yuan("1.234"), None);
        assert_eq!(parse_yuan("-1"), None);
        assert_eq!(parse_yuan("abc"), None);
        assert_eq!(yuan(26000), "260.00 元");
        assert_eq!(yuan(5), "0.05 元");
    }

    #[test]
    fn the_version_in_force_is_the_latest_that_has_started() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let p = Parameter {
            key: "k".into(),
            label: "k".into(),
            ty: ParamType::Int,
            unit: None,
            citation: Citation {
                document: None,
                clause: None,
                sample: true,
            },
            versions: vec![
                ParamVersion {
                    from: d("2020-01-01"),
                    value: ParamValue::Int(1),
                },
                ParamVersion {
                    from: d("2027-01-01"),
                    value: ParamValue::Int(2),
                },
            ],
        };
        assert!(p.on(d("2019-12-31")).is_none());
        assert_eq!(p.on(d("2026-12-31")).unwrap().value, ParamValue::Int(1));
        assert_eq!(p.on(d("2027-01-01")).unwrap().value, ParamValue::Int(2));
    }
}
