//! Regions (行政区划) and handling units: the Suqian tree as data, 属地管理, and routing paths.
//!
//! The tree comes from `catalog/regions.toml`. Counties/districts issue ID-card address codes; the
//! four zones (经开区, 湖滨新区, 洋河新区, 苏宿工业园区) are handling units under the city that
//! administer (托管) some townships of the counties. A township handled by a zone is served by the
//! zone, not by its statistical county.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DataError;

/// A region code: 6 digits for the city, counties and zones, 9 digits for townships.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct RegionCode(String);

/// Written as its text, borrowed (`into = "String"` would copy it for every event).
impl Serialize for RegionCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Why a region code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("区划代码应为 6 位或 9 位数字")]
    Malformed,
}

impl RegionCodeError {
    pub fn code(&self) -> &'static str {
        "region.malformed"
    }
}

impl RegionCode {
    pub fn parse(input: &str) -> Result<Self, RegionCodeError> {
        let s = input.trim();
        if (s.len() == 6 || s.len() == 9) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(RegionCodeError::Malformed)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The level of a region in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    City,
    County,
    Zone,
    Township,
}

impl RegionLevel {
    pub fn label(self) -> &'static str {
        match self {
            Self::City => "市",
            Self::County => "县（区）",
            Self::Zone => "功能区",
            Self::Township => "乡镇（街道）",
        }
    }
}

/// One region of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub short_name: Option<String>,
    pub level: RegionLevel,
    pub parent: Option<RegionCode>,
    /// An internal code (not a statistical code, never an ID-card prefix).
    pub internal: bool,
}

/// Where a case is handled: the applicant's township (if known), the handling unit (a county or a
/// zone) and the city.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HandlingPlace {
    pub city: RegionCode,
    pub unit: RegionCode,
    pub township: Option<RegionCode>,
}

impl HandlingPlace {
    /// The region a task of the given level is routed to. A township-level step needs a township;
    /// without one it goes to the handling unit.
    pub fn route(&self, level: crate::catalog::Level) -> &RegionCode {
        use crate::catalog::Level;
        match level {
            Level::City => &self.city,
            Level::County => &self.unit,
            Level::Township => self.township.as_ref().unwrap_or(&self.unit),
        }
    }

    /// The access path of a region reached from this place, `city/unit[/township]`: a member of
    /// staff sees a record when the record's path starts with the staff member's own path.
    pub fn path_to(&self, target: &RegionCode) -> String {
        if target == &self.city {
            return self.city.to_string();
        }
        if target == &self.unit {
            return [self.city.as_str(), "/", self.unit.as_str()].concat();
        }
        [
            self.city.as_str(),
            "/",
            self.unit.as_str(),
            "/",
            target.as_str(),
        ]
        .concat()
    }

    /// The path of the place itself: down to the township when known.
    pub fn path(&self) -> String {
        match &self.township {
            Some(t) => self.path_to(t),
            None => self.path_to(&self.unit),
        }
    }
}

/// Why an applicant cannot be served here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JurisdictionError {
    #[error(
        "户籍不在宿迁市，按属地管理原则，请向户籍所在地的残联或政务服务中心申请（户籍区划 {code}）"
    )]
    OutsideJurisdiction { code: RegionCode },
    #[error("区划代码 {code} 不在宿迁市区划数据中，请核对户籍所在乡镇（街道）")]
    UnknownRegion { code: RegionCode },
    #[error("户籍所在地须为县（区）或乡镇（街道），不能是 {code}")]
    NotAResidence { code: RegionCode },
}

impl JurisdictionError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::OutsideJurisdiction { .. } => "region.outside_jurisdiction",
            Self::UnknownRegion { .. } => "region.unknown",
            Self::NotAResidence { .. } => "region.not_a_residence",
        }
    }
}

/// The Suqian region tree.
#[derive(Debug, Clone)]
pub struct RegionTree {
    city: RegionCode,
    regions: BTreeMap<RegionCode, Region>,
    /// township → zone that administers it.
    handled_by: HashMap<RegionCode, RegionCode>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionFile {
    #[serde(rename = "schema")]
    _schema: u32,
    #[serde(rename = "source")]
    _source: Option<String>,
    region: Vec<RegionEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionEntry {
    code: String,
    name: String,
    short_name: Option<String>,
    level: RegionLevel,
    parent: Option<String>,
    #[serde(default)]
    internal: bool,
    #[serde(default)]
    handles: Vec<String>,
}

impl RegionTree {
    /// Loads and validates the tree; errors name the file and the entry.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, DataError> {
        let raw: RegionFile =
            toml::from_str(text).map_err(|e| DataError::parse(file, e.to_string()))?;
        let mut regions = BTreeMap::new();
        let mut handles: Vec<(RegionCode, Vec<String>)> = Vec::new();
        let mut city = None;
        for entry in raw.region {
            let code = RegionCode::parse(&entry.code)
                .map_err(|_| DataError::entry(file, &entry.code, "区划代码应为 6 位或 9 位数字"))?;
            let parent = match &entry.parent {
                Some(p) => Some(RegionCode::parse(p).map_err(|_| {
                    DataError::entry(file, &entry.code, format!("上级区划代码 {p} 格式错误"))
                })?),
                None => None,
            };
            let expected_len = if entry.level == RegionLevel::Township {
                9
            } else {
                6
            };
            if code.as_str().len() != expected_len {
                return Err(DataError::entry(
                    file,
                    code.as_str(),
                    format!("{}的区划代码应为 {expected_len} 位", entry.level.label()),
                ));
            }
            match (entry.level, &parent) {
                (RegionLevel::City, None) => {
                    let previous = city.replace(code.clone());
                    if previous.is_some() {
                        return Err(DataError::entry(file, code.as_str(), "只能有一个市级区划"));
                    }
                }
                (RegionLevel::City, Some(_)) => {
                    return Err(DataError::entry(file, code.as_str(), "市级区划不应有上级"));
                }
                (_, None) => {
                    return Err(DataError::entry(file, code.as_str(), "缺少上级区划 parent"));
                }
                _ => {}
            }
            if !entry.handles.is_empty() && entry.level != RegionLevel::Zone {
                return Err(DataError::entry(
                    file,
                    code.as_str(),
                    "只有功能区可以托管乡镇（handles）",
                ));
            }
            if entry.level == RegionLevel::Zone {
                if entry.handles.is_empty() {
                    return Err(DataError::entry(
                        file,
                        code.as_str(),
                        "功能区须列出托管的乡镇（handles）",
                    ));
                }
                handles.push((code.clone(), entry.handles));
            }
            let region = Region {
                code: code.clone(),
                name: entry.name,
                short_name: entry.short_name,
                level: entry.level,
                parent,
                internal: entry.internal,
            };
            if regions.insert(code.clone(), region).is_some() {
                return Err(DataError::entry(file, code.as_str(), "区划代码重复"));
            }
        }
        let city =
            city.ok_or_else(|| DataError::parse(file, "缺少市级区划（level = \"city\"）"))?;
        for region in regions.values() {
            let Some(parent) = &region.parent else {
                continue;
            };
            let Some(p) = regions.get(parent) else {
                return Err(DataError::entry(
                    file,
                    region.code.as_str(),
                    format!("上级区划 {parent} 不存在"),
                ));
            };
            let ok = match region.level {
                RegionLevel::County | RegionLevel::Zone => p.level == RegionLevel::City,
                RegionLevel::Township => p.level == RegionLevel::County,
                RegionLevel::City => false,
            };
            if !ok {
                return Err(DataError::entry(
                    file,
                    region.code.as_str(),
                    format!("上级区划 {parent} 的层级不对"),
                ));
            }
        }
        let mut handled_by = HashMap::new();
        for (zone, list) in handles {
            for t in list {
                let tc = RegionCode::parse(&t).map_err(|_| {
                    DataError::entry(file, zone.as_str(), format!("托管乡镇代码 {t} 格式错误"))
                })?;
                match regions.get(&tc) {
                    Some(r) if r.level == RegionLevel::Township => {}
                    _ => {
                        return Err(DataError::entry(
                            file,
                            zone.as_str(),
                            format!("托管的乡镇 {t} 不存在"),
                        ));
                    }
                }
                if let Some(other) = handled_by.insert(tc, zone.clone()) {
                    return Err(DataError::entry(
                        file,
                        zone.as_str(),
                        format!("乡镇 {t} 已由 {other} 托管"),
                    ));
                }
            }
        }
        Ok(Self {
            city,
            regions,
            handled_by,
        })
    }

    pub fn city(&self) -> &RegionCode {
        &self.city
    }

    pub fn get(&self, code: &RegionCode) -> Option<&Region> {
        self.regions.get(code)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    /// The handling units (counties and zones).
    pub fn units(&self) -> impl Iterator<Item = &Region> {
        self.regions
            .values()
            .filter(|r| matches!(r.level, RegionLevel::County | RegionLevel::Zone))
    }

    /// Townships of a county (statistical parent), or handled by a zone.
    pub fn townships_of(&self, unit: &RegionCode) -> Vec<&Region> {
        self.regions
            .values()
            .filter(|r| r.level == RegionLevel::Township && self.unit_of_township(r) == Some(unit))
            .collect()
    }

    fn unit_of_township<'a>(&'a self, township: &'a Region) -> Option<&'a RegionCode> {
        self.handled_by
            .get(&township.code)
            .or(township.parent.as_ref())
    }

    /// Is this 6-digit address code (an ID-card prefix or 户籍 code) inside the city?
    pub fn is_inside(&self, code: &RegionCode) -> bool {
        self.regions.contains_key(code)
    }

    /// 属地管理: the handling place for an applicant whose 户籍 is the given township or county.
    pub fn handling_place(&self, hukou: &RegionCode) -> Result<HandlingPlace, JurisdictionError> {
        let Some(region) = self.regions.get(hukou) else {
            if hukou.as_str().starts_with(&self.city.as_str()[..4]) {
                return Err(JurisdictionError::UnknownRegion {
                    code: hukou.clone(),
                });
            }
            return Err(JurisdictionError::OutsideJurisdiction {
                code: hukou.clone(),
            });
        };
        match region.level {
            RegionLevel::Township => {
                let unit = self.unit_of_township(region).cloned().ok_or_else(|| {
                    JurisdictionError::UnknownRegion {
                        code: hukou.clone(),
                    }
                })?;
                Ok(HandlingPlace {
                    city: self.city.clone(),
                    unit,
                    township: Some(region.code.clone()),
                })
            }
            RegionLevel::County | RegionLevel::Zone => Ok(HandlingPlace {
                city: self.city.clone(),
                unit: region.code.clone(),
                township: None,
            }),
            RegionLevel::City => Err(JurisdictionError::NotAResidence {
                code: hukou.clone(),
            }),
        }
    }

    /// The display name of a region, or the code when unknown.
    pub fn name(&self, code: &RegionCode) -> String {
        self.regions
            .get(code)
            .map_or_else(|| code.to_string(), |r| r.name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
schema = 1
[[region]]
code = "321300"
name = "宿迁市"
level = "city"
[[region]]
code = "321302"
name = "宿城区"
level = "county"
parent = "321300"
[[region]]
code = "321390"
name = "湖滨新区"
level = "zone"
parent = "321300"
internal = true
handles = ["321302102"]
[[region]]
code = "321302001"
name = "幸福街道"
level = "township"
parent = "321302"
[[region]]
code = "321302102"
name = "某镇"
level = "township"
parent = "321302"
"#;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn township_in_a_zone_is_handled_by_the_zone() {
        let tree = RegionTree::from_toml("regions.toml", SAMPLE).unwrap();
        let place = tree.handling_place(&code("321302102")).unwrap();
        assert_eq!(place.unit, code("321390"));
        assert_eq!(place.path(), "321300/321390/321302102");
        let place = tree.handling_place(&code("321302001")).unwrap();
        assert_eq!(place.unit, code("321302"));
        assert_eq!(tree.townships_of(&code("321390")).len(), 1);
    }

    #[test]
    fn outside_suqian_is_refused_with_the_reason() {
        let tree = RegionTree::from_toml("regions.toml", SAMPLE).unwrap();
        let err = tree.handling_place(&code("320102")).unwrap_err();
        assert_eq!(err.code(), "region.outside_jurisdiction");
        assert!(err.to_string().contains("属地管理"));
        let err = tree.handling_place(&code("321399001")).unwrap_err();
        assert_eq!(err.code(), "region.unknown");
        assert_eq!(
            tree.handling_place(&code("321300")).unwrap_err().code(),
            "region.not_a_residence"
        );
    }

    #[test]
    fn a_zone_handling_an_unknown_township_names_the_entry() {
        let bad = SAMPLE.replace("handles = [\"321302102\"]", "handles = [\"321302999\"]");
        let err = RegionTree::from_toml("catalog/regions.toml", &bad).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("catalog/regions.toml"), "{text}");
        assert!(text.contains("321390"), "{text}");
    }
}
