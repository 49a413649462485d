//! The fixed schema of facts that eligibility rules may test, and sets of known facts.
//!
//! Rules live in the catalog as data; the facts they can name are this closed list, so a rule can
//! be type-checked at load time and compiled to column tests. A new item needs no new Rust as long
//! as its rules use these facts and the existing operators.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::ItemCode;

/// The type of a fact, which decides the operators and operands a rule may use with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    Bool,
    /// An integer with a unit for explanations (岁, 个月, 级).
    Int {
        unit: &'static str,
    },
    /// One of a fixed list of values: (key, label).
    Enum(&'static [(&'static str, &'static str)]),
    /// A set of catalog items (e.g. items granted this calendar year).
    ItemSet,
}

macro_rules! facts {
    ($($variant:ident => $key:literal, $label:literal, $kind:expr;)*) => {
        /// A fact a rule can test. See [`Fact::ALL`] for the whole schema.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fact { $($variant),* }

        impl Fact {
            /// Every fact, in schema order (the order of columns in a fact table).
            pub const ALL: &'static [Fact] = &[$(Fact::$variant),*];

            /// The stable key used in catalog files and stored snapshots.
            pub fn key(self) -> &'static str {
                match self { $(Fact::$variant => $key),* }
            }

            /// The Chinese label used in explanations.
            pub fn label(self) -> &'static str {
                match self { $(Fact::$variant => $label),* }
            }

            pub fn kind(self) -> FactKind {
                match self { $(Fact::$variant => $kind),* }
            }

            pub fn from_key(key: &str) -> Option<Fact> {
                match key { $($key => Some(Fact::$variant),)* _ => None }
            }
        }
    };
}

/// Values of `household.assistance`.
pub const ASSISTANCE: &[(&str, &str)] = &[
    ("none", "无"),
    ("low_income", "低收入家庭"),
    ("dibao", "最低生活保障家庭（低保）"),
    ("tekun", "特困人员救助供养"),
];

/// Values of `certificate.status`.
pub const CERTIFICATE_STATUS: &[(&str, &str)] = &[
    ("none", "未持证"),
    ("active", "有效"),
    ("frozen", "冻结（户籍已迁出，证件未迁移）"),
    ("cancelled", "已注销"),
    ("lost", "已挂失"),
    ("expired", "已过有效期"),
];

/// Values of `certificate.category`, in digit order (视力 = 1 … 多重 = 7).
pub const CATEGORY: &[(&str, &str)] = &[
    ("visual", "视力残疾"),
    ("hearing", "听力残疾"),
    ("speech", "言语残疾"),
    ("physical", "肢体残疾"),
    ("intellectual", "智力残疾"),
    ("mental", "精神残疾"),
    ("multiple", "多重残疾"),
];

/// Values of `person.education_stage`.
pub const EDUCATION_STAGE: &[(&str, &str)] = &[
    ("none", "未在校"),
    ("compulsory", "义务教育阶段"),
    ("high_school", "普通高中"),
    ("secondary_vocational", "中等职业教育"),
    ("higher_vocational", "高等职业教育（专科）"),
    ("undergraduate", "本科"),
    ("postgraduate", "研究生"),
];

facts! {
    PersonAge => "person.age", "年龄", FactKind::Int { unit: "周岁" };
    PersonDeceased => "person.deceased", "已死亡", FactKind::Bool;
    PersonStudent => "person.student", "在校学生", FactKind::Bool;
    PersonEducationStage => "person.education_stage", "就读阶段", FactKind::Enum(EDUCATION_STAGE);
    PersonInEmployeePension => "person.in_employee_pension", "参加职工基本养老保险", FactKind::Bool;
    PersonEmployed => "person.employed", "已就业", FactKind::Bool;
    PersonAbleToWork => "person.able_to_work", "有劳动能力和就业意愿", FactKind::Bool;
    PersonRegisteredUnemployed => "person.registered_unemployed", "已办理失业登记", FactKind::Bool;
    PersonEmploymentDifficulty => "person.employment_difficulty", "已认定为就业困难人员", FactKind::Bool;
    PersonHasSscard => "person.has_sscard", "已有社会保障卡", FactKind::Bool;
    PersonOwnsMotorisedWheelchair => "person.owns_motorised_wheelchair", "拥有机动轮椅车", FactKind::Bool;
    PersonOrphanBasicLiving => "person.orphan_basic_living", "领取孤儿基本生活费", FactKind::Bool;
    HouseholdAssistance => "household.assistance", "家庭救助类别", FactKind::Enum(ASSISTANCE);
    HouseholdWorkInjuryNursing => "household.work_injury_nursing", "领取工伤保险生活护理费", FactKind::Bool;
    HouseholdUrban => "household.urban", "城镇居民", FactKind::Bool;
    CertificateStatus => "certificate.status", "残疾人证状态", FactKind::Enum(CERTIFICATE_STATUS);
    CertificateCategory => "certificate.category", "残疾类别", FactKind::Enum(CATEGORY);
    CertificateGrade => "certificate.grade", "残疾等级", FactKind::Int { unit: "级" };
    CertificateLowerLimb => "certificate.lower_limb", "下肢残疾", FactKind::Bool;
    CertificateMonthsToExpiry => "certificate.months_to_expiry", "距残疾人证有效期满", FactKind::Int { unit: "个月" };
    CertificateDamaged => "certificate.damaged", "残疾人证损毁", FactKind::Bool;
    CertificateInHukouUnit => "certificate.in_hukou_unit", "残疾人证在户籍所在县（区）", FactKind::Bool;
    CertificateMonthsSinceCancellation => "certificate.months_since_cancellation", "残疾人证注销后经过", FactKind::Int { unit: "个月" };
    GrantsThisYear => "grants.this_year", "本年度已享受的事项", FactKind::ItemSet;
    BenefitsReceiving => "benefits.receiving", "正在享受的待遇", FactKind::ItemSet;
}

impl Fact {
    /// The column of this fact in a fact table.
    pub fn index(self) -> usize {
        self as usize
    }

    /// An enum value of this fact as (key, label), if the fact is an enum and the key is known.
    fn enum_entry(self, key: &str) -> Option<&'static (&'static str, &'static str)> {
        match self.kind() {
            FactKind::Enum(values) => values.iter().find(|(k, _)| *k == key),
            _ => None,
        }
    }

    /// The label of an enum value of this fact, if the fact is an enum and the key is known.
    pub fn value_label(self, key: &str) -> Option<&'static str> {
        self.enum_entry(key).map(|(_, l)| *l)
    }

    /// The position of an enum value, used as its encoded integer.
    pub fn enum_index(self, key: &str) -> Option<usize> {
        match self.kind() {
            FactKind::Enum(values) => values.iter().position(|(k, _)| *k == key),
            _ => None,
        }
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A known value of a fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FactValue {
    Bool(bool),
    Int(i64),
    /// An enum value by key: borrowed from the fact's own list of keys when set in code (no
    /// allocation per copy of a case's facts), owned when read back from stored events.
    Enum(Cow<'static, str>),
    Items(BTreeSet<ItemCode>),
}

impl FactValue {
    /// The value as people read it, for explanations.
    pub fn describe(&self, fact: Fact) -> String {
        match (self, fact.kind()) {
            (FactValue::Bool(true), _) => "是".to_owned(),
            (FactValue::Bool(false), _) => "否".to_owned(),
            (FactValue::Int(n), FactKind::Int { unit: "级" }) => {
                crate::ids::DisabilityGrade::new(u8::try_from(*n).unwrap_or(0))
                    .map_or_else(|| format!("{n}级"), |g| g.label().to_owned())
            }
            (FactValue::Int(n), FactKind::Int { unit }) => format!("{n}{unit}"),
            (FactValue::Int(n), _) => n.to_string(),
            (FactValue::Enum(key), _) => fact.value_label(key).unwrap_or(key).to_owned(),
            (FactValue::Items(items), _) if items.is_empty() => "无".to_owned(),
            (FactValue::Items(items), _) => items
                .iter()
                .map(ItemCode::as_str)
                .collect::<Vec<_>>()
                .join("、"),
        }
    }

    /// Does the value fit the fact's type?
    pub fn fits(&self, fact: Fact) -> bool {
        match (self, fact.kind()) {
            (FactValue::Bool(_), FactKind::Bool)
            | (FactValue::Int(_), FactKind::Int { .. })
            | (FactValue::Items(_), FactKind::ItemSet) => true,
            (FactValue::Enum(key), FactKind::Enum(_)) => fact.enum_entry(key).is_some(),
            _ => false,
        }
    }
}

/// The facts known about one person for one evaluation. Missing facts are unknown, which makes a
/// rule that needs them answer "not yet" rather than "no".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    values: BTreeMap<Fact, FactValue>,
}

/// Why a fact could not be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactError {
    #[error("未知的事实项 {0}")]
    UnknownFact(String),
    #[error("事实项 {fact} 的值类型不符")]
    WrongType { fact: String },
}

impl Facts {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a fact; the value must fit the fact's type.
    pub fn set(&mut self, fact: Fact, value: FactValue) -> Result<(), FactError> {
        if !value.fits(fact) {
            return Err(FactError::WrongType {
                fact: fact.key().to_owned(),
            });
        }
        self.values.insert(fact, value);
        Ok(())
    }

    pub fn set_bool(&mut self, fact: Fact, value: bool) {
        if matches!(fact.kind(), FactKind::Bool) {
            self.values.insert(fact, FactValue::Bool(value));
        }
    }

    pub fn set_int(&mut self, fact: Fact, value: i64) {
        if matches!(fact.kind(), FactKind::Int { .. }) {
            self.values.insert(fact, FactValue::Int(value));
        }
    }

    /// Sets an enum fact by key; an unknown key leaves the fact unknown.
    pub fn set_enum(&mut self, fact: Fact, key: &str) {
        if let Some((k, _)) = fact.enum_entry(key) {
            self.values.insert(fact, FactValue::Enum(Cow::Borrowed(k)));
        }
    }

    pub fn set_items(&mut self, fact: Fact, items: BTreeSet<ItemCode>) {
        if matches!(fact.kind(), FactKind::ItemSet) {
            self.values.insert(fact, FactValue::Items(items));
        }
    }

    pub fn forget(&mut self, fact: Fact) {
        self.values.remove(&fact);
    }

    pub fn get(&self, fact: Fact) -> Option<&FactValue> {
        self.values.get(&fact)
    }

    pub fn iter(&self) -> impl Iterator<Item = (Fact, &FactValue)> {
        self.values.iter().map(|(f, v)| (*f, v))
    }

    /// Overlays other facts on these (the other side wins).
    pub fn overlay(&mut self, other: &Facts) {
        for (fact, value) in &other.values {
            self.values.insert(*fact, value.clone());
        }
    }
}

impl Serialize for Facts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.values.iter().map(|(f, v)| (f.key(), v)))
    }
}

impl<'de> Deserialize<'de> for Facts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = BTreeMap::<String, FactValue>::deserialize(deserializer)?;
        let mut facts = Facts::new();
        for (key, value) in raw {
            let fact = Fact::from_key(&key)
                .ok_or_else(|| serde::de::Error::custom(FactError::UnknownFact(key.clone())))?;
            facts.set(fact, value).map_err(serde::de::Error::custom)?;
        }
        Ok(facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fact_round_trips_by_key_and_index_matches_position() {
        for (i, fact) in Fact::ALL.iter().enumerate() {
            assert_eq!(Fact::from_key(fact.key()), Some(*fact));
            assert_eq!(fact.index(), i);
        }
        assert!(Fact::ALL.len() <= 64, "fact rows use a 64-bit known mask");
    }

    #[test]
    fn facts_serialize_by_key_and_reject_wrong_types() {
        let mut facts = Facts::new();
        facts.set_int(Fact::PersonAge, 60);
        facts.set_enum(Fact::CertificateCategory, "physical");
        let json = serde_json::to_string(&facts).unwrap();
        assert_eq!(
            json,
            r#"{"person.age":60,"certificate.category":"physical"}"#
        );
        let back: Facts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, facts);
        assert!(serde_json::from_str::<Facts>(r#"{"person.age":"old"}"#).is_err());
        assert!(serde_json::from_str::<Facts>(r#"{"person.shoe_size":42}"#).is_err());
    }
}
