//! An application (申请): a selection of items, the merged form (一张表) and the merged material
//! list (一套材料), and the validation of the answers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, FieldDef, FieldGroup, FieldType, ItemCode, ItemField};
use crate::ids::{CertificateNumber, IdNumber};
use crate::region::RegionCode;
use crate::rules::facts::{FactKind, Facts};

/// What the applicant chose: single items, or a scenario and some of its items.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Selection {
    pub scenario: Option<String>,
    pub items: Vec<String>,
}

/// Why a selection cannot be applied for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    #[error("请至少选择一个事项")]
    Empty,
    #[error("事项「{0}」不存在")]
    UnknownItem(String),
    #[error("场景「{0}」不存在")]
    UnknownScenario(String),
    #[error("事项「{0}」重复选择")]
    Duplicate(String),
    #[error("场景「{scenario}」必须包含「{item}」")]
    MissingRequired { scenario: String, item: String },
    #[error("「{item}」不属于场景「{scenario}」，请单独申请或改选场景")]
    NotInScenario { scenario: String, item: String },
    #[error("「{0}」须单独申请，不能与其他事项一并办理")]
    Exclusive(String),
    #[error("「{a}」与「{b}」都是{group}，一次只能办理其中一项")]
    SameGroup { a: String, b: String, group: String },
    #[error("「{a}」与「{b}」不能同时申请")]
    Excluded { a: String, b: String },
}

impl SelectionError {
    pub fn code(&self) -> &'static str {
        match self {
            SelectionError::Empty => "selection.empty",
            SelectionError::UnknownItem(_) => "selection.unknown_item",
            SelectionError::UnknownScenario(_) => "selection.unknown_scenario",
            SelectionError::Duplicate(_) => "selection.duplicate",
            SelectionError::MissingRequired { .. } => "selection.missing_required",
            SelectionError::NotInScenario { .. } => "selection.not_in_scenario",
            SelectionError::Exclusive(_) => "selection.exclusive",
            SelectionError::SameGroup { .. } => "selection.same_group",
            SelectionError::Excluded { .. } => "selection.excluded",
        }
    }
}

fn group_label(group: &str) -> String {
    match group {
        "certificate" => "残疾人证业务".to_owned(),
        other => format!("「{other}」类业务"),
    }
}

impl Catalog {
    /// Checks that these items may be applied for together: exclusive items alone, at most one
    /// per exclusive group, no excluded pair.
    pub fn check_combination(&self, items: &[ItemCode]) -> Result<(), SelectionError> {
        for code in items {
            let item = self
                .item(code)
                .ok_or_else(|| SelectionError::UnknownItem(code.to_string()))?;
            if item.exclusive && items.len() > 1 {
                return Err(SelectionError::Exclusive(item.name.clone()));
            }
        }
        for (i, a) in items.iter().enumerate() {
            for b in &items[i + 1..] {
                let (Some(ia), Some(ib)) = (self.item(a), self.item(b)) else {
                    continue;
                };
                if let (Some(ga), Some(gb)) = (&ia.exclusive_group, &ib.exclusive_group)
                    && ga == gb
                {
                    return Err(SelectionError::SameGroup {
                        a: ia.name.clone(),
                        b: ib.name.clone(),
                        group: group_label(ga),
                    });
                }
                if ia.excludes.contains(b) || ib.excludes.contains(a) {
                    return Err(SelectionError::Excluded {
                        a: ia.name.clone(),
                        b: ib.name.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Validates a selection and returns its items in catalog order.
    pub fn check_selection(&self, selection: &Selection) -> Result<Vec<ItemCode>, SelectionError> {
        let mut codes = Vec::new();
        for raw in &selection.items {
            let code = ItemCode::parse(raw.trim())
                .map_err(|_| SelectionError::UnknownItem(raw.clone()))?;
            if self.item(&code).is_none() {
                return Err(SelectionError::UnknownItem(raw.clone()));
            }
            if codes.contains(&code) {
                return Err(SelectionError::Duplicate(raw.clone()));
            }
            codes.push(code);
        }
        if let Some(sc) = &selection.scenario {
            let scenario = self
                .scenario(sc)
                .ok_or_else(|| SelectionError::UnknownScenario(sc.clone()))?;
            for req in &scenario.required {
                if !codes.contains(req) {
                    return Err(SelectionError::MissingRequired {
                        scenario: scenario.name.clone(),
                        item: self.item_name(req),
                    });
                }
            }
            for c in &codes {
                if !scenario.required.contains(c) && !scenario.optional.contains(c) {
                    return Err(SelectionError::NotInScenario {
                        scenario: scenario.name.clone(),
                        item: self.item_name(c),
                    });
                }
            }
        }
        if codes.is_empty() {
            return Err(SelectionError::Empty);
        }
        self.check_combination(&codes)?;
        codes.sort_by_key(|c| self.item(c).map_or(u32::MAX, |i| i.order));
        Ok(codes)
    }
}

/// A field of the merged form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    /// The catalog's definition, shared with it.
    pub def: Arc<FieldDef>,
    pub required: bool,
    /// The items whose sections ask for it (a shared field appears once for all of them).
    pub used_by: Vec<ItemCode>,
}

/// A section of the merged form: a shared group, or one item's own questions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormSection {
    pub title: String,
    pub group: FieldGroup,
    pub item: Option<ItemCode>,
    pub fields: Vec<FormField>,
}

/// The one form (一张表) for a selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedForm {
    pub sections: Vec<FormSection>,
}

impl MergedForm {
    pub fn fields(&self) -> impl Iterator<Item = &FormField> {
        self.sections.iter().flat_map(|s| s.fields.iter())
    }
    pub fn field(&self, key: &str) -> Option<&FormField> {
        self.fields().find(|f| f.def.key == key)
    }
}

/// Builds the merged form: the shared fields the chosen items use, once each (required if any
/// item requires it), then each item's own section. Guardian/agent fields appear only when the
/// application is made through one.
pub fn merged_form(catalog: &Catalog, items: &[ItemCode], via_agent: bool) -> MergedForm {
    let mut shared: BTreeMap<String, FormField> = BTreeMap::new();
    let mut sections = Vec::new();
    // Identity and 户籍 are always on the form: every application needs to know who and where.
    for def in catalog.fields.values() {
        if matches!(
            def.group,
            FieldGroup::Identity | FieldGroup::Hukou | FieldGroup::Contact
        ) || (def.group == FieldGroup::Agent && via_agent)
        {
            shared.insert(
                def.key.clone(),
                FormField {
                    def: def.clone(),
                    required: def.required,
                    used_by: items.to_vec(),
                },
            );
        }
    }
    for code in items {
        let Some(item) = catalog.item(code) else {
            continue;
        };
        let mut own = Vec::new();
        for f in &item.fields {
            match f {
                ItemField::Shared { key, required } => {
                    let Some(def) = catalog.fields.get(key) else {
                        continue;
                    };
                    if def.agent_only && !via_agent {
                        continue;
                    }
                    let entry = shared.entry(key.clone()).or_insert_with(|| FormField {
                        def: def.clone(),
                        required: false,
                        used_by: Vec::new(),
                    });
                    entry.required |= *required;
                    if !entry.used_by.contains(code) {
                        entry.used_by.push(code.clone());
                    }
                }
                ItemField::Own(def) => own.push(FormField {
                    def: def.clone(),
                    required: def.required,
                    used_by: vec![code.clone()],
                }),
            }
        }
        if !own.is_empty() {
            sections.push(FormSection {
                title: item.name.clone(),
                group: FieldGroup::Item,
                item: Some(code.clone()),
                fields: own,
            });
        }
    }
    let mut groups: BTreeMap<FieldGroup, Vec<FormField>> = BTreeMap::new();
    // Keep the catalog's field order within a group.
    let order: Vec<&String> = catalog.fields.keys().collect();
    let mut shared: Vec<FormField> = shared.into_values().collect();
    shared.sort_by_key(|f| order.iter().position(|k| **k == f.def.key));
    for f in shared {
        groups.entry(f.def.group).or_default().push(f);
    }
    let mut out: Vec<FormSection> = groups
        .into_iter()
        .map(|(group, fields)| FormSection {
            title: group.label().to_owned(),
            group,
            item: None,
            fields,
        })
        .collect();
    out.extend(sections);
    MergedForm { sections: out }
}

/// A line of the merged material list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialLine {
    pub code: String,
    pub name: String,
    pub required: bool,
    pub needed_by: Vec<ItemCode>,
    /// The electronic licence or shared data that proves it: the applicant need not submit it.
    pub waived_by: Option<String>,
    pub notes: Vec<String>,
}

/// The merged material list (一套材料): deduplicated by material type, required if any chosen item
/// requires it, and waived (免提交) where an available e-licence or shared data proves it.
pub fn merged_materials(
    catalog: &Catalog,
    items: &[ItemCode],
    via_agent: bool,
    available_proofs: &BTreeSet<String>,
) -> Vec<MaterialLine> {
    let mut lines: Vec<MaterialLine> = Vec::new();
    for code in items {
        let Some(item) = catalog.item(code) else {
            continue;
        };
        for need in &item.materials {
            let Some(material) = catalog.materials.get(&need.code) else {
                continue;
            };
            if material.agent_only && !via_agent {
                continue;
            }
            let idx = match lines.iter().position(|l| l.code == need.code) {
                Some(i) => i,
                None => {
                    let waived_by = [&material.e_licence, &material.shared_data]
                        .into_iter()
                        .flatten()
                        .find(|p| available_proofs.contains(*p))
                        .cloned();
                    lines.push(MaterialLine {
                        code: need.code.clone(),
                        name: material.name.clone(),
                        required: false,
                        needed_by: Vec::new(),
                        waived_by,
                        notes: Vec::new(),
                    });
                    lines.len() - 1
                }
            };
            let line = &mut lines[idx];
            line.required |= need.required;
            line.needed_by.push(code.clone());
            if let Some(note) = &need.note
                && !line.notes.contains(note)
            {
                line.notes.push(note.clone());
            }
        }
    }
    lines
}

/// A validated answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Answer {
    Text(String),
    IdNumber(IdNumber),
    Phone(String),
    Date(NaiveDate),
    Integer(i64),
    Boolean(bool),
    Choice(String),
    Region(RegionCode),
    BankAccount(String),
    CertificateNumber(CertificateNumber),
}

impl Answer {
    /// The answer as plain text (for prefilling a form again).
    pub fn text(&self) -> String {
        match self {
            Answer::Text(s) | Answer::Phone(s) | Answer::Choice(s) | Answer::BankAccount(s) => {
                s.clone()
            }
            Answer::IdNumber(id) => id.as_str().to_owned(),
            Answer::Date(d) => d.to_string(),
            Answer::Integer(n) => n.to_string(),
            Answer::Boolean(true) => "yes".to_owned(),
            Answer::Boolean(false) => "no".to_owned(),
            Answer::Region(r) => r.to_string(),
            Answer::CertificateNumber(c) => c.as_string(),
        }
    }
}

/// A problem with one field of the form, for the error summary and the inline message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// The validated answers of a form. Personal data: encrypted at rest as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FormAnswers {
    pub answers: BTreeMap<String, Answer>,
    /// Legacy 15-digit ID numbers converted to 18 digits, by field: the number as entered.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub conversions: BTreeMap<String, String>,
}

impl FormAnswers {
    pub fn get(&self, key: &str) -> Option<&Answer> {
        self.answers.get(key)
    }

    /// Facts the answers supply to the rules (fields bound to a fact).
    pub fn facts(&self, form: &MergedForm) -> Facts {
        let mut facts = Facts::new();
        for field in form.fields() {
            let (Some(fact), Some(answer)) = (field.def.fact, self.answers.get(&field.def.key))
            else {
                continue;
            };
            match (answer, fact.kind()) {
                (Answer::Boolean(b), FactKind::Bool) => facts.set_bool(fact, *b),
                (Answer::Integer(n), FactKind::Int { .. }) => facts.set_int(fact, *n),
                (Answer::Choice(c), FactKind::Enum(_)) => facts.set_enum(fact, c),
                _ => {}
            }
        }
        facts
    }

    /// Merges a supplement: new answers replace old ones.
    pub fn merge(&mut self, other: FormAnswers) {
        self.answers.extend(other.answers);
        self.conversions.extend(other.conversions);
    }
}

fn strip(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '－')
        .collect()
}

fn validate_one(def: &FieldDef, raw: &str) -> Result<Answer, (&'static str, String)> {
    let label = &def.label;
    match &def.ty {
        FieldType::Text { max_length } | FieldType::LongText { max_length } => {
            let text = raw.trim();
            if text.chars().count() > *max_length as usize {
                return Err((
                    "form.too_long",
                    format!("{label}不能超过 {max_length} 个字"),
                ));
            }
            Ok(Answer::Text(text.to_owned()))
        }
        FieldType::IdNumber => IdNumber::parse_allowing_legacy(raw)
            .map(|parsed| Answer::IdNumber(parsed.id))
            .map_err(|e| (e.code(), format!("{label}：{e}"))),
        FieldType::CertificateNumber => CertificateNumber::parse(raw)
            .map(Answer::CertificateNumber)
            .map_err(|e| (e.code(), format!("{label}：{e}"))),
        FieldType::Phone => {
            let digits = strip(raw);
            let mobile = digits.len() == 11
                && digits.starts_with('1')
                && digits
                    .as_bytes()
                    .get(1)
                    .is_some_and(|b| (b'3'..=b'9').contains(b))
                && digits.bytes().all(|b| b.is_ascii_digit());
            let landline = digits.starts_with('0')
                && (10..=12).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit());
            if mobile || landline {
                Ok(Answer::Phone(digits))
            } else {
                Err((
                    "form.phone",
                    format!("{label}应为 11 位手机号码或带区号的固定电话，如 13812345678"),
                ))
            }
        }
        FieldType::Date => NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map(Answer::Date)
            .map_err(|_| {
                (
                    "form.date",
                    format!("{label}应为真实存在的日期，格式如 2026-06-12"),
                )
            }),
        FieldType::Integer { min, max } => {
            let n: i64 = raw
                .trim()
                .parse()
                .map_err(|_| ("form.integer", format!("{label}应为整数")))?;
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                let range = format!(
                    "{}～{}",
                    min.map_or("不限".to_owned(), |m| m.to_string()),
                    max.map_or("不限".to_owned(), |m| m.to_string())
                );
                return Err(("form.range", format!("{label}应在 {range} 之间")));
            }
            Ok(Answer::Integer(n))
        }
        FieldType::Boolean => match raw.trim() {
            "yes" | "true" | "是" | "1" => Ok(Answer::Boolean(true)),
            "no" | "false" | "否" | "0" => Ok(Answer::Boolean(false)),
            _ => Err(("form.boolean", format!("请选择{label}：是或否"))),
        },
        FieldType::Choice { options } => {
            let v = raw.trim();
            if options.iter().any(|(value, _)| value == v) {
                Ok(Answer::Choice(v.to_owned()))
            } else {
                Err(("form.choice", format!("请从列出的选项中选择{label}")))
            }
        }
        FieldType::Region => RegionCode::parse(raw)
            .map(Answer::Region)
            .map_err(|_| ("form.region", format!("请选择{label}"))),
        FieldType::BankAccount => {
            let digits = strip(raw);
            if (12..=30).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(Answer::BankAccount(digits))
            } else {
                Err(("form.bank_account", format!("{label}应为 12 至 30 位数字")))
            }
        }
    }
}

/// Validates raw answers (text per field key) against the merged form. Every problem is
/// reported at once; unknown keys are refused.
pub fn validate_answers(
    form: &MergedForm,
    raw: &BTreeMap<String, String>,
) -> Result<FormAnswers, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut answers = BTreeMap::new();
    let mut conversions = BTreeMap::new();
    for key in raw.keys() {
        if form.field(key).is_none() {
            errors.push(FieldError {
                field: key.clone(),
                code: "form.unknown_field".to_owned(),
                message: format!("表单中没有「{key}」这一项"),
            });
        }
    }
    for field in form.fields() {
        let value = raw
            .get(&field.def.key)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty());
        match value {
            None if field.required => errors.push(FieldError {
                field: field.def.key.clone(),
                code: "form.required".to_owned(),
                message: format!("请填写{}", field.def.label),
            }),
            None => {}
            Some(v) => match validate_one(&field.def, v) {
                Ok(a) => {
                    if let FieldType::IdNumber = field.def.ty
                        && let Ok(parsed) = IdNumber::parse_allowing_legacy(v)
                        && let Some(legacy) = parsed.converted_from
                    {
                        conversions.insert(field.def.key.clone(), legacy.as_str().to_owned());
                    }
                    answers.insert(field.def.key.clone(), a);
                }
                Err((code, message)) => errors.push(FieldError {
                    field: field.def.key.clone(),
                    code: code.to_owned(),
                    message,
                }),
            },
        }
    }
    if errors.is_empty() {
        Ok(FormAnswers {
            answers,
            conversions,
        })
    } else {
        Err(errors)
    }
}
