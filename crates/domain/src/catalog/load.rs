//! Loading and validating the catalog files. Every error names the file and the entry.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Deserialize;

use super::{
    AmountRule, Catalog, CatalogVersion, Department, Effect, FieldDef, FieldGroup, FieldType, Item,
    ItemCode, ItemField, Level, MaterialNeed, MaterialType, NextSteps, Period, PolicySource,
    Prerequisite, Rule, Scenario, Service, Settings, Step, StepKind,
};
use crate::DataError;
use crate::rules::expr::{Expr, ExprContext};
use crate::rules::facts::{Fact, FactKind};
use crate::rules::params::{
    Citation, ParamType, ParamValue, ParamVersion, Parameter, Parameters, parse_yuan,
};

/// One catalog file: its path relative to the catalog folder (e.g. `items/cert.new.toml`) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// The catalog files as read from disk (or from a fixture), plus a digest of them that becomes
/// part of the catalog version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogSources {
    pub files: Vec<SourceFile>,
    pub digest: String,
}

impl CatalogSources {
    fn file(&self, path: &str) -> Result<&SourceFile, DataError> {
        self.files
            .iter()
            .find(|f| f.path == path)
            .ok_or_else(|| DataError::parse(path, "缺少目录文件"))
    }
}

fn parse<T: for<'de> Deserialize<'de>>(file: &SourceFile) -> Result<T, DataError> {
    toml::from_str(&file.text)
        .map_err(|e| DataError::parse(&file.path, e.to_string().trim_end().to_owned()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestRaw {
    schema: u32,
    name: String,
    version: String,
    #[serde(rename = "note")]
    _note: Option<String>,
    settings: SettingsRaw,
    department: Vec<DepartmentRaw>,
    service: Vec<ServiceRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsRaw {
    due_soon_working_days: u32,
    acceptance_time_limit: u32,
    certificate_validity_years: u32,
    #[serde(rename = "sample")]
    _sample: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepartmentRaw {
    code: String,
    name: String,
    short_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceRaw {
    code: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldsRaw {
    field: Vec<FieldRaw>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct OptionRaw {
    value: String,
    label: String,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct FieldRaw {
    key: Option<String>,
    /// In an item file: use a shared field instead of defining one.
    shared: Option<String>,
    label: Option<String>,
    hint: Option<String>,
    #[serde(rename = "type")]
    ty: Option<String>,
    group: Option<FieldGroup>,
    required: Option<bool>,
    max_length: Option<u32>,
    min: Option<i64>,
    max: Option<i64>,
    options: Option<Vec<OptionRaw>>,
    fact: Option<String>,
    prefill: Option<String>,
    #[serde(default)]
    agent_only: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaterialsRaw {
    material: Vec<MaterialRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaterialRaw {
    code: String,
    name: String,
    description: Option<String>,
    e_licence: Option<String>,
    shared_data: Option<String>,
    #[serde(default)]
    agent_only: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesRaw {
    source: Vec<SourceRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceRaw {
    id: String,
    title: String,
    number: Option<String>,
    confirmed: bool,
    #[serde(rename = "note")]
    _note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParametersRaw {
    parameter: Vec<ParameterRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParameterRaw {
    key: String,
    label: String,
    #[serde(rename = "type")]
    ty: ParamType,
    unit: Option<String>,
    source: Option<String>,
    clause: Option<String>,
    #[serde(default)]
    sample: bool,
    version: Vec<VersionRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionRaw {
    from: String,
    value: Option<toml::Value>,
    /// Money, in yuan: "130.00".
    amount: Option<String>,
    #[serde(rename = "note")]
    _note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenariosRaw {
    scenario: Vec<ScenarioRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioRaw {
    code: String,
    name: String,
    description: String,
    required: Vec<String>,
    #[serde(default)]
    optional: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemRaw {
    code: String,
    name: String,
    short_name: String,
    service: String,
    department: String,
    level: Level,
    order: u32,
    time_limit: u32,
    #[serde(default)]
    time_limits_sample: bool,
    reading_note: Option<String>,
    #[serde(default)]
    exclusive: bool,
    exclusive_group: Option<String>,
    #[serde(default)]
    excludes: Vec<String>,
    effect: Effect,
    next_steps: NextStepsRaw,
    step: Vec<StepRaw>,
    #[serde(default)]
    prerequisite: Vec<PrerequisiteRaw>,
    #[serde(default)]
    rule: Vec<RuleRaw>,
    #[serde(default)]
    amount: Vec<AmountRaw>,
    #[serde(default)]
    material: Vec<MaterialNeedRaw>,
    #[serde(default)]
    field: Vec<FieldRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NextStepsRaw {
    approved: String,
    rejected: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepRaw {
    code: String,
    name: String,
    kind: StepKind,
    department: String,
    level: Level,
    time_limit: u32,
    publicity_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrerequisiteRaw {
    label: String,
    test: toml::Value,
    #[serde(default)]
    satisfied_by: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleRaw {
    id: String,
    label: String,
    #[serde(default)]
    blocking: bool,
    test: toml::Value,
    explain_fail: Option<String>,
    source: Option<String>,
    clause: Option<String>,
    #[serde(default)]
    sample: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AmountRaw {
    label: String,
    when: Option<toml::Value>,
    param: String,
    period: Period,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaterialNeedRaw {
    code: String,
    #[serde(default = "yes")]
    required: bool,
    note: Option<String>,
}

fn yes() -> bool {
    true
}

/// Errors found while loading, all reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogErrors(pub Vec<DataError>);

impl std::fmt::Display for CatalogErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "事项目录校验未通过（{} 处错误）：", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CatalogErrors {}

impl From<DataError> for CatalogErrors {
    fn from(e: DataError) -> Self {
        Self(vec![e])
    }
}

fn citation(
    file: &str,
    entry: &str,
    source: Option<&str>,
    clause: Option<&str>,
    sample: bool,
    sources: &BTreeMap<String, PolicySource>,
) -> Result<Citation, DataError> {
    match source {
        Some(id) => {
            let s = sources
                .get(id)
                .ok_or_else(|| DataError::entry(file, entry, format!("未知的政策依据「{id}」")))?;
            Ok(Citation {
                document: Some(s.number.clone().unwrap_or_else(|| s.title.clone())),
                clause: clause.map(str::to_owned),
                sample: sample || !s.confirmed,
            })
        }
        None if sample => Ok(Citation {
            document: None,
            clause: None,
            sample: true,
        }),
        None => Err(DataError::entry(
            file,
            entry,
            "须注明政策依据（source），或标明为样例配置（sample = true）",
        )),
    }
}

fn field_def(file: &str, raw: &FieldRaw, default_group: FieldGroup) -> Result<FieldDef, DataError> {
    let key = raw
        .key
        .clone()
        .ok_or_else(|| DataError::parse(file, "字段缺少 key"))?;
    let err = |m: String| DataError::entry(file, &key, m);
    let label = raw
        .label
        .clone()
        .ok_or_else(|| err("字段缺少 label".into()))?;
    let ty_name = raw
        .ty
        .as_deref()
        .ok_or_else(|| err("字段缺少 type".into()))?;
    let ty = match ty_name {
        "text" => FieldType::Text {
            max_length: raw.max_length.unwrap_or(100),
        },
        "long_text" => FieldType::LongText {
            max_length: raw.max_length.unwrap_or(1000),
        },
        "id_number" => FieldType::IdNumber,
        "phone" => FieldType::Phone,
        "date" => FieldType::Date,
        "integer" => FieldType::Integer {
            min: raw.min,
            max: raw.max,
        },
        "boolean" => FieldType::Boolean,
        "choice" => {
            let options = raw.options.clone().unwrap_or_default();
            if options.is_empty() {
                return Err(err("单选字段须列出 options".into()));
            }
            FieldType::Choice {
                options: options.into_iter().map(|o| (o.value, o.label)).collect(),
            }
        }
        "region" => FieldType::Region,
        "bank_account" => FieldType::BankAccount,
        "certificate_number" => FieldType::CertificateNumber,
        other => return Err(err(format!("未知的字段类型「{other}」"))),
    };
    let fact = match &raw.fact {
        Some(k) => {
            let fact = Fact::from_key(k).ok_or_else(|| err(format!("未知的事实项「{k}」")))?;
            let fits = match (&ty, fact.kind()) {
                (FieldType::Boolean, FactKind::Bool) => true,
                (FieldType::Integer { .. }, FactKind::Int { .. }) => true,
                (FieldType::Choice { options }, FactKind::Enum(values)) => options
                    .iter()
                    .all(|(v, _)| values.iter().any(|(k, _)| k == v)),
                _ => false,
            };
            if !fits {
                return Err(err(format!("字段类型与事实项「{k}」的类型不符")));
            }
            Some(fact)
        }
        None => None,
    };
    Ok(FieldDef {
        key: key.clone(),
        label,
        hint: raw.hint.clone(),
        ty,
        group: raw.group.unwrap_or(default_group),
        required: raw.required.unwrap_or(true),
        fact,
        prefill: raw.prefill.clone(),
        agent_only: raw.agent_only,
    })
}

fn param_value(ty: ParamType, v: &VersionRaw) -> Result<ParamValue, String> {
    if ty == ParamType::Money {
        let text = v
            .amount
            .as_deref()
            .ok_or("金额参数须用 amount = \"130.00\"（元）")?;
        return parse_yuan(text)
            .map(|fen| ParamValue::Money { fen })
            .ok_or_else(|| format!("金额「{text}」格式错误"));
    }
    let value = v.value.as_ref().ok_or("缺少 value")?;
    let bad = || format!("取值与参数类型（{}）不符", ty.label());
    Ok(match ty {
        ParamType::Bool => ParamValue::Bool(value.as_bool().ok_or_else(bad)?),
        ParamType::Int => ParamValue::Int(value.as_integer().ok_or_else(bad)?),
        ParamType::Text => ParamValue::Text(value.as_str().ok_or_else(bad)?.to_owned()),
        ParamType::IntList => ParamValue::IntList(
            value
                .as_array()
                .ok_or_else(bad)?
                .iter()
                .map(|x| x.as_integer().ok_or_else(bad))
                .collect::<Result<_, _>>()?,
        ),
        ParamType::TextList => ParamValue::TextList(
            value
                .as_array()
                .ok_or_else(bad)?
                .iter()
                .map(|x| x.as_str().map(str::to_owned).ok_or_else(bad))
                .collect::<Result<_, _>>()?,
        ),
        ParamType::Money => return Err(bad()),
    })
}

impl Catalog {
    /// Loads and validates the catalog. Stops with every error found, each naming its file and
    /// entry: unknown references, dependency cycles, missing fields, ill-typed rules.
    pub fn load(sources: &CatalogSources) -> Result<Catalog, CatalogErrors> {
        let mut errors = Vec::new();
        let manifest_file = sources.file("catalog.toml")?;
        let manifest: ManifestRaw = parse(manifest_file)?;
        if manifest.schema != 1 {
            return Err(DataError::parse(
                "catalog.toml",
                format!("不支持的 schema {}", manifest.schema),
            )
            .into());
        }
        let departments: BTreeMap<String, Department> = manifest
            .department
            .into_iter()
            .map(|d| {
                (
                    d.code.clone(),
                    Department {
                        code: d.code,
                        name: d.name,
                        short_name: d.short_name,
                    },
                )
            })
            .collect();
        let services: Vec<Service> = manifest
            .service
            .into_iter()
            .map(|s| Service {
                code: s.code,
                name: s.name,
            })
            .collect();
        let settings = Settings {
            due_soon_working_days: manifest.settings.due_soon_working_days,
            acceptance_time_limit: manifest.settings.acceptance_time_limit,
            certificate_validity_years: manifest.settings.certificate_validity_years,
        };

        let sources_file = sources.file("sources.toml")?;
        let policy_sources: BTreeMap<String, PolicySource> = parse::<SourcesRaw>(sources_file)?
            .source
            .into_iter()
            .map(|s| {
                (
                    s.id.clone(),
                    PolicySource {
                        id: s.id,
                        title: s.title,
                        number: s.number,
                        confirmed: s.confirmed,
                    },
                )
            })
            .collect();

        let params_file = sources.file("parameters.toml")?;
        let mut params = Vec::new();
        for raw in parse::<ParametersRaw>(params_file)?.parameter {
            let file = params_file.path.as_str();
            let result = (|| -> Result<Parameter, DataError> {
                let citation = citation(
                    file,
                    &raw.key,
                    raw.source.as_deref(),
                    raw.clause.as_deref(),
                    raw.sample,
                    &policy_sources,
                )?;
                if raw.version.is_empty() {
                    return Err(DataError::entry(
                        file,
                        &raw.key,
                        "参数至少要有一个版本（[[parameter.version]]）",
                    ));
                }
                let mut versions = Vec::new();
                for v in &raw.version {
                    let from = NaiveDate::parse_from_str(&v.from, "%Y-%m-%d").map_err(|_| {
                        DataError::entry(
                            file,
                            &raw.key,
                            format!("生效日期「{}」应为 YYYY-MM-DD", v.from),
                        )
                    })?;
                    let value = param_value(raw.ty, v).map_err(|m| {
                        DataError::entry(file, &raw.key, format!("{} 起的版本：{m}", v.from))
                    })?;
                    versions.push(ParamVersion { from, value });
                }
                if versions.windows(2).any(|w| w[0].from >= w[1].from) {
                    return Err(DataError::entry(
                        file,
                        &raw.key,
                        "版本应按生效日期从早到晚排列且日期不重复",
                    ));
                }
                Ok(Parameter {
                    key: raw.key.clone(),
                    label: raw.label.clone(),
                    ty: raw.ty,
                    unit: raw.unit.clone(),
                    citation,
                    versions,
                })
            })();
            match result {
                Ok(p) => params.push(p),
                Err(e) => errors.push(e),
            }
        }
        let params = Parameters::new(params);

        let fields_file = sources.file("fields.toml")?;
        let mut fields = BTreeMap::new();
        for raw in parse::<FieldsRaw>(fields_file)?.field {
            match field_def(&fields_file.path, &raw, FieldGroup::Identity) {
                Ok(f) => {
                    if raw.group.is_none() {
                        errors.push(DataError::entry(
                            &fields_file.path,
                            &f.key,
                            "共用字段须注明分组 group",
                        ));
                    }
                    if fields.insert(f.key.clone(), Arc::new(f.clone())).is_some() {
                        errors.push(DataError::entry(&fields_file.path, &f.key, "字段 key 重复"));
                    }
                }
                Err(e) => errors.push(e),
            }
        }

        let materials_file = sources.file("materials.toml")?;
        let mut materials = BTreeMap::new();
        for m in parse::<MaterialsRaw>(materials_file)?.material {
            let code = m.code.clone();
            let material = MaterialType {
                code: m.code,
                name: m.name,
                description: m.description,
                e_licence: m.e_licence,
                shared_data: m.shared_data,
                agent_only: m.agent_only,
            };
            if materials.insert(code.clone(), material).is_some() {
                errors.push(DataError::entry(
                    &materials_file.path,
                    &code,
                    "材料代码重复",
                ));
            }
        }

        // Items: first their codes (rules may name other items), then everything else.
        let mut raw_items = Vec::new();
        let mut codes = BTreeSet::new();
        let mut item_files: Vec<&SourceFile> = sources
            .files
            .iter()
            .filter(|f| f.path.starts_with("items/") && f.path.ends_with(".toml"))
            .collect();
        item_files.sort_by(|a, b| a.path.cmp(&b.path));
        for file in item_files {
            match parse::<ItemRaw>(file) {
                Ok(raw) => match ItemCode::parse(&raw.code) {
                    Ok(code) => {
                        if !codes.insert(code.clone()) {
                            errors.push(DataError::entry(&file.path, &raw.code, "事项代码重复"));
                        }
                        raw_items.push((file.path.clone(), code, raw));
                    }
                    Err(e) => errors.push(DataError::entry(&file.path, &raw.code, e.to_string())),
                },
                Err(e) => errors.push(e),
            }
        }
        if codes.len() > 63 {
            errors.push(DataError::parse(
                "items/",
                "事项不能超过 63 个（规则按位编码事项集合）",
            ));
        }
        let ctx = ExprContext {
            params: &params,
            items: &codes,
        };
        let mut items = Vec::new();
        for (file, code, raw) in raw_items {
            match build_item(
                &file,
                code,
                raw,
                ctx,
                &departments,
                &services,
                &materials,
                &fields,
                &policy_sources,
            ) {
                Ok(item) => items.push(item),
                Err(mut es) => errors.append(&mut es),
            }
        }
        items.sort_by(|a, b| (a.order, &a.code).cmp(&(b.order, &b.code)));
        if let Some(cycle) = find_cycle(&items) {
            let first = items
                .iter()
                .find(|i| i.code == cycle[0])
                .map_or("items/", |i| i.file.as_str());
            let path: Vec<&str> = cycle.iter().map(ItemCode::as_str).collect();
            errors.push(DataError::entry(
                first,
                cycle[0].as_str(),
                format!("前置事项形成依赖循环：{}", path.join(" → ")),
            ));
        }

        let scenarios_file = sources.file("scenarios.toml")?;
        let mut scenarios = Vec::new();
        for raw in parse::<ScenariosRaw>(scenarios_file)?.scenario {
            let file = scenarios_file.path.as_str();
            let mut resolve = |list: &[String]| -> Vec<ItemCode> {
                let mut out = Vec::new();
                for c in list {
                    match ItemCode::parse(c) {
                        Ok(code) if codes.contains(&code) => out.push(code),
                        _ => errors.push(DataError::entry(
                            file,
                            &raw.code,
                            format!("未知的事项「{c}」"),
                        )),
                    }
                }
                out
            };
            let required = resolve(&raw.required);
            let optional = resolve(&raw.optional);
            if required.is_empty() && optional.is_empty() {
                errors.push(DataError::entry(file, &raw.code, "场景须包含至少一个事项"));
            }
            if let Some(dup) = required.iter().find(|c| optional.contains(c)) {
                errors.push(DataError::entry(
                    file,
                    &raw.code,
                    format!("事项「{dup}」不能既必选又可选"),
                ));
            }
            scenarios.push(Scenario {
                code: raw.code,
                name: raw.name,
                description: raw.description,
                required,
                optional,
            });
        }

        if !errors.is_empty() {
            return Err(CatalogErrors(errors));
        }
        let index: HashMap<ItemCode, usize, foldhash::fast::RandomState> = items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.code.clone(), i))
            .collect();
        let catalog = Catalog {
            name: manifest.name,
            version: CatalogVersion(format!("{}+{}", manifest.version, sources.digest)),
            settings,
            departments,
            services,
            fields,
            materials,
            sources: policy_sources,
            params,
            items,
            index,
            scenarios,
        };
        // Scenarios must be selectable as they stand: their required items together are valid.
        let mut errors = Vec::new();
        for s in &catalog.scenarios {
            if let Err(e) = catalog.check_combination(&s.required) {
                errors.push(DataError::entry(
                    &scenarios_file.path,
                    &s.code,
                    format!("必选事项不能同时办理：{e}"),
                ));
            }
        }
        if errors.is_empty() {
            Ok(catalog)
        } else {
            Err(CatalogErrors(errors))
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the lookup tables an item is checked against"
)]
fn build_item(
    file: &str,
    code: ItemCode,
    raw: ItemRaw,
    ctx: ExprContext<'_>,
    departments: &BTreeMap<String, Department>,
    services: &[Service],
    materials: &BTreeMap<String, MaterialType>,
    fields: &BTreeMap<String, Arc<FieldDef>>,
    sources: &BTreeMap<String, PolicySource>,
) -> Result<Item, Vec<DataError>> {
    let mut errors = Vec::new();
    let entry = code.to_string();
    let err = |m: String| DataError::entry(file, &entry, m);
    if !file.ends_with(&format!("{entry}.toml")) {
        errors.push(err(format!("文件名应为 items/{entry}.toml")));
    }
    if !services.iter().any(|s| s.code == raw.service) {
        errors.push(err(format!("未知的服务「{}」", raw.service)));
    }
    if !departments.contains_key(&raw.department) {
        errors.push(err(format!("未知的部门「{}」", raw.department)));
    }
    if raw.step.is_empty() {
        errors.push(err("事项至少要有一个办理环节（[[step]]）".into()));
    }
    let mut steps = Vec::new();
    let mut step_codes = BTreeSet::new();
    for s in raw.step {
        if !departments.contains_key(&s.department) {
            errors.push(err(format!(
                "环节「{}」的部门「{}」未定义",
                s.code, s.department
            )));
        }
        if !step_codes.insert(s.code.clone()) {
            errors.push(err(format!("环节代码「{}」重复", s.code)));
        }
        if s.time_limit == 0 {
            errors.push(err(format!("环节「{}」的时限须大于 0 个工作日", s.code)));
        }
        if s.kind == StepKind::Publicity && s.publicity_days.is_none() {
            errors.push(err(format!(
                "公示环节「{}」须注明公示天数 publicity_days",
                s.code
            )));
        }
        steps.push(Step {
            code: s.code,
            name: s.name,
            kind: s.kind,
            department: s.department,
            level: s.level,
            time_limit: s.time_limit,
            publicity_days: s.publicity_days,
        });
    }
    let step_total: u32 = steps.iter().map(|s| s.time_limit).sum();
    if step_total > raw.time_limit {
        errors.push(err(format!(
            "各环节时限之和（{step_total} 个工作日）超过事项总时限（{} 个工作日）",
            raw.time_limit
        )));
    }
    let item_ref = |c: &str, what: &str| -> Result<ItemCode, DataError> {
        match ItemCode::parse(c) {
            Ok(code) if ctx.items.contains(&code) => Ok(code),
            _ => Err(DataError::entry(
                file,
                &entry,
                format!("{what}中的事项「{c}」不存在"),
            )),
        }
    };
    let mut prerequisites = Vec::new();
    for p in raw.prerequisite {
        let test =
            Expr::parse(&p.test, ctx).map_err(|m| err(format!("前置条件「{}」：{m}", p.label)));
        let mut satisfied_by = Vec::new();
        for c in &p.satisfied_by {
            match item_ref(c, "前置条件") {
                Ok(c) => satisfied_by.push(c),
                Err(e) => errors.push(e),
            }
        }
        match test {
            Ok(test) => prerequisites.push(Prerequisite {
                label: p.label,
                test,
                satisfied_by,
            }),
            Err(e) => errors.push(e),
        }
    }
    let mut excludes = Vec::new();
    for c in &raw.excludes {
        match item_ref(c, "互斥事项") {
            Ok(c) => excludes.push(c),
            Err(e) => errors.push(e),
        }
    }
    let mut rules = Vec::new();
    let mut rule_ids = BTreeSet::new();
    for r in raw.rule {
        if !rule_ids.insert(r.id.clone()) {
            errors.push(err(format!("规则「{}」重复", r.id)));
        }
        let citation = citation(
            file,
            &entry,
            r.source.as_deref(),
            r.clause.as_deref(),
            r.sample,
            sources,
        )
        .map_err(|e| err(format!("规则「{}」：{}", r.id, e.message)));
        let test = Expr::parse(&r.test, ctx).map_err(|m| err(format!("规则「{}」：{m}", r.id)));
        match (test, citation) {
            (Ok(test), Ok(citation)) => rules.push(Rule {
                id: r.id,
                label: r.label,
                blocking: r.blocking,
                test,
                explain_fail: r.explain_fail,
                citation,
            }),
            (t, c) => {
                errors.extend(t.err());
                errors.extend(c.err());
            }
        }
    }
    let mut amounts = Vec::new();
    for a in raw.amount {
        match ctx.params.get(&a.param) {
            Some(p) if p.ty == ParamType::Money => {}
            Some(_) => errors.push(err(format!(
                "金额「{}」引用的参数「{}」不是金额类型",
                a.label, a.param
            ))),
            None => errors.push(err(format!(
                "金额「{}」引用的参数「{}」不存在",
                a.label, a.param
            ))),
        }
        let when = match &a.when {
            Some(v) => match Expr::parse(v, ctx) {
                Ok(e) => Some(e),
                Err(m) => {
                    errors.push(err(format!("金额「{}」的条件：{m}", a.label)));
                    None
                }
            },
            None => None,
        };
        amounts.push(AmountRule {
            label: a.label,
            when,
            param: a.param,
            period: a.period,
        });
    }
    if let Effect::PersonFlag { fact } = &raw.effect {
        match Fact::from_key(fact) {
            Some(f) if matches!(f.kind(), FactKind::Bool) => {}
            _ => errors.push(err(format!(
                "办结效果中的事实项「{fact}」不存在或不是是/否类型"
            ))),
        }
    }
    if matches!(raw.effect, Effect::Benefit | Effect::AnnualGrant) && amounts.is_empty() {
        errors.push(err("待遇类事项须配置发放金额（[[amount]]）".into()));
    }
    let mut need = Vec::new();
    for m in raw.material {
        if !materials.contains_key(&m.code) {
            errors.push(err(format!("未知的材料「{}」", m.code)));
        }
        need.push(MaterialNeed {
            code: m.code,
            required: m.required,
            note: m.note,
        });
    }
    let mut item_fields = Vec::new();
    let mut own_keys = BTreeSet::new();
    for f in raw.field {
        if let Some(key) = &f.shared {
            if !fields.contains_key(key) {
                errors.push(err(format!("共用字段「{key}」不存在")));
            }
            let required = f
                .required
                .unwrap_or_else(|| fields.get(key).is_some_and(|d| d.required));
            item_fields.push(ItemField::Shared {
                key: key.clone(),
                required,
            });
        } else {
            match field_def(file, &f, FieldGroup::Item) {
                Ok(def) => {
                    if fields.contains_key(&def.key) {
                        errors.push(err(format!(
                            "字段「{}」与共用字段重名，请用 shared = \"{}\"",
                            def.key, def.key
                        )));
                    }
                    if !own_keys.insert(def.key.clone()) {
                        errors.push(err(format!("字段「{}」重复", def.key)));
                    }
                    if !def.key.starts_with(&format!("{entry}.")) {
                        errors.push(err(format!(
                            "本事项字段「{}」的 key 应以「{entry}.」开头",
                            def.key
                        )));
                    }
                    item_fields.push(ItemField::Own(Arc::new(def)));
                }
                Err(e) => errors.push(e),
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Item {
        code,
        name: raw.name,
        short_name: raw.short_name,
        service: raw.service,
        department: raw.department,
        level: raw.level,
        order: raw.order,
        file: file.to_owned(),
        time_limit: raw.time_limit,
        time_limits_sample: raw.time_limits_sample,
        reading_note: raw.reading_note,
        steps,
        prerequisites,
        exclusive: raw.exclusive,
        exclusive_group: raw.exclusive_group,
        excludes,
        rules,
        amounts,
        effect: raw.effect,
        next_steps: NextSteps {
            approved: raw.next_steps.approved,
            rejected: raw.next_steps.rejected,
        },
        materials: need,
        fields: item_fields,
    })
}

/// A cycle in "waits for" edges (an item → the items that can satisfy its prerequisites), as the
/// list of codes along it, first code repeated at the end.
fn find_cycle(items: &[Item]) -> Option<Vec<ItemCode>> {
    let edges: BTreeMap<&ItemCode, Vec<&ItemCode>> = items
        .iter()
        .map(|i| {
            (
                &i.code,
                i.prerequisites
                    .iter()
                    .flat_map(|p| p.satisfied_by.iter())
                    .collect(),
            )
        })
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks: BTreeMap<&ItemCode, Mark> = edges.keys().map(|k| (*k, Mark::New)).collect();
    fn visit<'a>(
        node: &'a ItemCode,
        edges: &BTreeMap<&'a ItemCode, Vec<&'a ItemCode>>,
        marks: &mut BTreeMap<&'a ItemCode, Mark>,
        path: &mut Vec<&'a ItemCode>,
    ) -> Option<Vec<ItemCode>> {
        marks.insert(node, Mark::Active);
        path.push(node);
        for next in edges.get(node).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::Done) {
                Mark::Active => {
                    let start = path.iter().position(|p| p == next).unwrap_or(0);
                    let mut cycle: Vec<ItemCode> =
                        path[start..].iter().map(|c| (*c).clone()).collect();
                    cycle.push((*next).clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(next, edges, marks, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node, Mark::Done);
        None
    }
    let keys: Vec<&ItemCode> = edges.keys().copied().collect();
    for k in keys {
        if marks.get(k) == Some(&Mark::New) {
            let mut path = Vec::new();
            if let Some(c) = visit(k, &edges, &mut marks, &mut path) {
                return Some(c);
            }
        }
    }
    None
}
