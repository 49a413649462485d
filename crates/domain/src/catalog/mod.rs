//! The service catalog (事项目录) as validated data: items with their departments, steps, time
//! limits, materials, form fields, prerequisites, exclusions, eligibility rules and amounts; the
//! scenarios; shared form fields; material types; policy sources and parameters.
//!
//! The files live in `catalog/` (see `catalog/README.md`); [`Catalog::load`] validates them and
//! stops with an error that names the file and the entry.

mod load;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use load::{CatalogErrors, CatalogSources, SourceFile};

use crate::rules::expr::Expr;
use crate::rules::facts::Fact;
use crate::rules::params::{Citation, Parameters};
use crate::rules::program::ItemBits;

/// A stable item code such as `cert.new` or `subsidy.nursing`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct ItemCode(String);

/// Written as its text, borrowed (`into = "String"` would copy it for every event).
impl Serialize for ItemCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Why an item code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("事项代码「{0}」格式错误（应为小写字母、数字和下划线，以点分段，如 cert.new）")]
pub struct ItemCodeError(pub String);

impl ItemCode {
    pub fn parse(input: &str) -> Result<Self, ItemCodeError> {
        let ok = !input.is_empty()
            && input.len() <= 64
            && input.split('.').all(|seg| {
                !seg.is_empty()
                    && seg.starts_with(|c: char| c.is_ascii_lowercase())
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            });
        if ok {
            Ok(Self(input.to_owned()))
        } else {
            Err(ItemCodeError(input.to_owned()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ItemCode {
    type Error = ItemCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl fmt::Debug for ItemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for ItemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The handling level of an item or a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    City,
    County,
    Township,
}

impl Level {
    /// The stored key: the serde name.
    pub fn key(self) -> &'static str {
        match self {
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::City => "市级",
            Level::County => "县（区）级",
            Level::Township => "乡镇（街道）级",
        }
    }
}

/// A department that handles steps: 残联, 民政, 人社, the assessment institution, the township.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub short_name: String,
}

/// One of the seven services the fourteen items belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub code: String,
    pub name: String,
}

/// What kind of work a step is; an assessment records category and grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Review,
    Assessment,
    Approval,
    Issue,
    Publicity,
    Payment,
}

impl StepKind {
    pub fn label(self) -> &'static str {
        match self {
            StepKind::Review => "审核",
            StepKind::Assessment => "评定",
            StepKind::Approval => "审批",
            StepKind::Issue => "发证",
            StepKind::Publicity => "公示",
            StepKind::Payment => "发放",
        }
    }
}

/// A step of an item, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub code: String,
    pub name: String,
    pub kind: StepKind,
    pub department: String,
    pub level: Level,
    /// 承诺时限 of the step, working days.
    pub time_limit: u32,
    /// 公示 days, for publicity steps.
    pub publicity_days: Option<u32>,
}

/// A prerequisite: a condition on the registry that must hold, or an item of the same application
/// that establishes it — the dependent item then waits for that item and follows its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prerequisite {
    pub label: String,
    pub test: Expr,
    pub satisfied_by: Vec<ItemCode>,
}

/// An eligibility rule of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub label: String,
    /// A blocking rule that fails refuses the application at submission (e.g. 新办 with an
    /// active certificate); other rules inform the reviewer.
    pub blocking: bool,
    pub test: Expr,
    /// Plain words shown when the rule fails, before the generated detail.
    pub explain_fail: Option<String>,
    pub citation: Citation,
}

/// How often an amount is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Month,
    Year,
    Once,
}

impl Period {
    pub fn label(self) -> &'static str {
        match self {
            Period::Month => "每月",
            Period::Year => "每年",
            Period::Once => "一次性",
        }
    }
}

/// An amount rule: the first whose condition holds gives the amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountRule {
    pub label: String,
    pub when: Option<Expr>,
    pub param: String,
    pub period: Period,
}

/// What approval of an item does to the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    CertificateNew,
    CertificateRenew,
    CertificateTransfer,
    CertificateReissue,
    CertificateCancel,
    CertificateChange,
    /// A recurring benefit, paid from the month of application.
    Benefit,
    /// A grant paid once per calendar year.
    AnnualGrant,
    /// Sets a boolean fact of the person, e.g. `person.registered_unemployed`.
    PersonFlag {
        fact: String,
    },
    None,
}

impl Effect {
    pub fn is_certificate(&self) -> bool {
        matches!(
            self,
            Effect::CertificateNew
                | Effect::CertificateRenew
                | Effect::CertificateTransfer
                | Effect::CertificateReissue
                | Effect::CertificateCancel
                | Effect::CertificateChange
        )
    }
}

/// What the combined notice says happens next, per outcome.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NextSteps {
    pub approved: String,
    pub rejected: String,
}

/// A material an item needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialNeed {
    pub code: String,
    pub required: bool,
    pub note: Option<String>,
}

/// A form field of an item's section: an own field, or a shared field it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemField {
    Shared { key: String, required: bool },
    Own(Arc<FieldDef>),
}

/// A catalog item (事项).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub code: ItemCode,
    pub name: String,
    pub short_name: String,
    pub service: String,
    pub department: String,
    pub level: Level,
    pub order: u32,
    pub file: String,
    /// 承诺时限 overall, working days.
    pub time_limit: u32,
    /// The time limits are sample configuration.
    pub time_limits_sample: bool,
    /// A note saying which parts are our best reading of the plan.
    pub reading_note: Option<String>,
    pub steps: Vec<Step>,
    pub prerequisites: Vec<Prerequisite>,
    /// Must be the only item of an application (e.g. `cert.cancel`).
    pub exclusive: bool,
    /// At most one item of a group per application (e.g. certificate operations).
    pub exclusive_group: Option<String>,
    pub excludes: Vec<ItemCode>,
    pub rules: Vec<Rule>,
    pub amounts: Vec<AmountRule>,
    pub effect: Effect,
    pub next_steps: NextSteps,
    pub materials: Vec<MaterialNeed>,
    pub fields: Vec<ItemField>,
}

impl Item {
    /// Does any rule or prerequisite of this item read this fact? (Used by cascades: a change of
    /// grade re-checks the items whose rules read the grade.)
    pub fn reads(&self, fact: Fact) -> bool {
        let mut facts = BTreeSet::new();
        for rule in &self.rules {
            rule.test.facts(&mut facts);
        }
        for prerequisite in &self.prerequisites {
            prerequisite.test.facts(&mut facts);
        }
        facts.contains(&fact)
    }

    pub fn step(&self, index: usize) -> Option<&Step> {
        self.steps.get(index)
    }
}

/// A scenario (场景) grouping items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub code: String,
    pub name: String,
    pub description: String,
    pub required: Vec<ItemCode>,
    pub optional: Vec<ItemCode>,
}

/// Type of a form field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    Text { max_length: u32 },
    LongText { max_length: u32 },
    IdNumber,
    Phone,
    Date,
    Integer { min: Option<i64>, max: Option<i64> },
    Boolean,
    Choice { options: Vec<(String, String)> },
    Region,
    BankAccount,
    CertificateNumber,
}

impl FieldType {
    pub fn label(&self) -> &'static str {
        match self {
            FieldType::Text { .. } => "文本",
            FieldType::LongText { .. } => "长文本",
            FieldType::IdNumber => "身份证号码",
            FieldType::Phone => "电话号码",
            FieldType::Date => "日期",
            FieldType::Integer { .. } => "整数",
            FieldType::Boolean => "是/否",
            FieldType::Choice { .. } => "单选",
            FieldType::Region => "区划",
            FieldType::BankAccount => "银行账号",
            FieldType::CertificateNumber => "残疾人证号",
        }
    }

    /// Values of this type are personal data and are encrypted at rest and masked on screen.
    pub fn is_personal(&self) -> bool {
        matches!(
            self,
            FieldType::IdNumber
                | FieldType::Phone
                | FieldType::BankAccount
                | FieldType::CertificateNumber
        )
    }
}

/// The group a shared field belongs to on the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldGroup {
    Identity,
    Hukou,
    Contact,
    Agent,
    Payment,
    Item,
}

impl FieldGroup {
    pub fn label(self) -> &'static str {
        match self {
            FieldGroup::Identity => "申请人身份信息",
            FieldGroup::Hukou => "户籍信息",
            FieldGroup::Contact => "联系方式",
            FieldGroup::Agent => "监护人或代办人",
            FieldGroup::Payment => "补贴发放账户",
            FieldGroup::Item => "事项信息",
        }
    }
}

/// A form field definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    pub key: String,
    pub label: String,
    pub hint: Option<String>,
    pub ty: FieldType,
    pub group: FieldGroup,
    /// Required for every item that uses it, unless the item says otherwise.
    pub required: bool,
    /// The fact this answer supplies to the rules, if any.
    pub fact: Option<Fact>,
    /// Where the registry prefills it from.
    pub prefill: Option<String>,
    /// Only asked when the applicant applies through a guardian or agent.
    pub agent_only: bool,
}

/// A material type (材料).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialType {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    /// An electronic licence (电子证照) that stands in for it.
    pub e_licence: Option<String>,
    /// Shared data (共享数据) that stands in for it.
    pub shared_data: Option<String>,
    /// Only needed when applying through a guardian or agent.
    pub agent_only: bool,
}

/// Settings of the case engine (sample configuration where marked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// 即将超期: this many working days left or fewer.
    pub due_soon_working_days: u32,
    /// 受理时限 of the window, working days.
    pub acceptance_time_limit: u32,
    /// Validity of a disability certificate, years.
    pub certificate_validity_years: u32,
}

/// Identifies the catalog a case was accepted under: the manifest version and a digest of the
/// files.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CatalogVersion(pub String);

impl fmt::Display for CatalogVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A policy source (appendix C of the product specification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySource {
    pub id: String,
    pub title: String,
    pub number: Option<String>,
    pub confirmed: bool,
}

/// The validated catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub name: String,
    pub version: CatalogVersion,
    pub settings: Settings,
    pub departments: BTreeMap<String, Department>,
    pub services: Vec<Service>,
    /// Shared by every merged form that asks for them (a form holds them, it does not copy them).
    pub fields: BTreeMap<String, Arc<FieldDef>>,
    pub materials: BTreeMap<String, MaterialType>,
    pub sources: BTreeMap<String, PolicySource>,
    pub params: Parameters,
    items: Vec<Item>,
    /// Items by code. foldhash, not SipHash: the catalog is our own data, not an attacker's,
    /// and a case's transitions look items up a hundred times.
    index: HashMap<ItemCode, usize, foldhash::fast::RandomState>,
    pub scenarios: Vec<Scenario>,
}

impl Catalog {
    /// The items in display order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    pub fn item(&self, code: &ItemCode) -> Option<&Item> {
        self.index.get(code).map(|&i| &self.items[i])
    }

    /// Looks an item up by its code text.
    pub fn item_by_str(&self, code: &str) -> Option<&Item> {
        ItemCode::parse(code).ok().and_then(|c| self.item(&c))
    }

    pub fn scenario(&self, code: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.code == code)
    }

    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.get(code)
    }

    pub fn department_name(&self, code: &str) -> String {
        self.departments
            .get(code)
            .map_or_else(|| code.to_owned(), |d| d.name.clone())
    }

    /// The item's name, or its code when unknown (for explanations of old cases).
    pub fn item_name(&self, code: &ItemCode) -> String {
        self.item(code)
            .map_or_else(|| code.to_string(), |i| i.name.clone())
    }
}

impl ItemBits for Catalog {
    fn bit(&self, item: &ItemCode) -> Option<u32> {
        self.index.get(item).and_then(|&i| u32::try_from(i).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::Level;

    #[test]
    fn a_level_key_is_its_serde_name() {
        for level in [Level::City, Level::County, Level::Township] {
            let json = serde_json::to_string(&level).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", level.key()));
        }
    }
}
