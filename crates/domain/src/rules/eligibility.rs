//! An item's eligibility for one person, with the explanation, and the compiled program that
//! scans a whole registry with the same rules.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::expr::{Expr, Literal, Op, Test};
use super::facts::{Fact, FactKind, Facts};
use super::params::Parameters;
use super::program::{CompileError, FactRow, Program, Tri, resolve};
use crate::catalog::{Catalog, Item, ItemCode};

/// The answer for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Eligible,
    /// Missing data, or waiting for a prerequisite item of the same application.
    NotYet,
    NotEligible,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Eligible => "符合条件",
            Verdict::NotYet => "暂不能判断",
            Verdict::NotEligible => "不符合条件",
        }
    }
}

/// The result of one rule or prerequisite, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleOutcome {
    pub rule: String,
    pub label: String,
    pub result: Tri,
    /// A prerequisite (持证, 已失业登记 …) rather than an eligibility rule.
    pub prerequisite: bool,
    /// A prerequisite that waits for an item of the same application.
    #[serde(default)]
    pub waiting: bool,
    pub blocking: bool,
    /// What the rule found, e.g. "残疾等级：三级（要求：属于 一级、二级）".
    pub detail: String,
    /// "依据：…" or the sample-configuration note.
    pub citation: String,
    /// The policy parameters the rule used, with their values on the date and sources.
    #[serde(default)]
    pub params: Vec<String>,
}

/// An item's eligibility: the verdict, a one-paragraph summary and every rule's outcome. It
/// informs the reviewer; it never decides for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    pub item: ItemCode,
    pub verdict: Verdict,
    pub summary: String,
    pub waiting_for: Vec<ItemCode>,
    pub outcomes: Vec<RuleOutcome>,
    /// The date whose parameter versions were applied (the case's submission date).
    pub as_of: NaiveDate,
}

impl Eligibility {
    /// The failed blocking rules: these refuse an application at submission.
    pub fn blocking_failures(&self) -> impl Iterator<Item = &RuleOutcome> {
        self.outcomes
            .iter()
            .filter(|o| o.blocking && o.result == Tri::False)
    }

    /// The failed prerequisites: the item cannot be applied for unless an item of the same
    /// application establishes them.
    pub fn failed_prerequisites(&self) -> impl Iterator<Item = &RuleOutcome> {
        self.outcomes
            .iter()
            .filter(|o| o.prerequisite && o.result == Tri::False)
    }
}

/// What a quick check found: the verdict, and whether a blocking rule or a prerequisite failed
/// (then [`evaluate`] gives the explanation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuickCheck {
    pub verdict: Verdict,
    pub blocked: bool,
    pub prerequisite_failed: bool,
}

/// The verdict alone, from the compiled rules, without building explanations: the same logic
/// as [`evaluate`] (which a test checks), for the hot paths of submission and item start.
pub fn quick_check(
    catalog: &Catalog,
    item: &Item,
    facts: &Facts,
    as_of: NaiveDate,
    pending: &[ItemCode],
) -> QuickCheck {
    let row = FactRow::encode(facts, catalog);
    let run = |expr: &Expr| {
        Program::compile(expr, &catalog.params, as_of, catalog)
            .map_or(Tri::Unknown, |p| p.eval_row(&row))
    };
    let mut any_false = false;
    let mut any_unknown = false;
    let mut prerequisite_failed = false;
    let mut blocked = false;
    for p in &item.prerequisites {
        if p.satisfied_by.iter().any(|c| pending.contains(c)) {
            any_unknown = true;
            continue;
        }
        match run(&p.test) {
            Tri::False => {
                any_false = true;
                prerequisite_failed = true;
            }
            Tri::Unknown => any_unknown = true,
            Tri::True => {}
        }
    }
    for rule in &item.rules {
        match run(&rule.test) {
            Tri::False => {
                any_false = true;
                blocked |= rule.blocking;
            }
            Tri::Unknown => any_unknown = true,
            Tri::True => {}
        }
    }
    let verdict = if any_false {
        Verdict::NotEligible
    } else if any_unknown {
        Verdict::NotYet
    } else {
        Verdict::Eligible
    };
    QuickCheck {
        verdict,
        blocked,
        prerequisite_failed,
    }
}

/// Evaluates an item for a person. `pending` are the items of the same application that have not
/// concluded yet: a prerequisite they can satisfy makes this item wait for them.
pub fn evaluate(
    catalog: &Catalog,
    item: &Item,
    facts: &Facts,
    as_of: NaiveDate,
    pending: &[ItemCode],
) -> Eligibility {
    let row = FactRow::encode(facts, catalog);
    let mut outcomes = Vec::new();
    let mut waiting_for = Vec::new();
    for p in &item.prerequisites {
        let waits: Vec<ItemCode> = p
            .satisfied_by
            .iter()
            .filter(|c| pending.contains(c))
            .cloned()
            .collect();
        if !waits.is_empty() {
            let names: Vec<String> = waits
                .iter()
                .map(|c| format!("「{}」", catalog.item_name(c)))
                .collect();
            outcomes.push(RuleOutcome {
                rule: format!("prerequisite:{}", p.label),
                label: p.label.clone(),
                result: Tri::Unknown,
                prerequisite: true,
                waiting: true,
                blocking: false,
                detail: format!("本次申请中的{}办结后，按其结果判断", names.join("、")),
                citation: String::new(),
                params: Vec::new(),
            });
            waiting_for.extend(waits);
            continue;
        }
        let (result, detail) = explain(&p.test, catalog, &catalog.params, facts, as_of, &row);
        outcomes.push(RuleOutcome {
            rule: format!("prerequisite:{}", p.label),
            label: p.label.clone(),
            result,
            prerequisite: true,
            waiting: false,
            blocking: false,
            detail,
            citation: String::new(),
            params: Vec::new(),
        });
    }
    for rule in &item.rules {
        let (result, mut detail) =
            explain(&rule.test, catalog, &catalog.params, facts, as_of, &row);
        if result == Tri::False
            && let Some(text) = &rule.explain_fail
        {
            detail = format!("{text}（{detail}）");
        }
        outcomes.push(RuleOutcome {
            rule: rule.id.clone(),
            label: rule.label.clone(),
            result,
            prerequisite: false,
            waiting: false,
            blocking: rule.blocking,
            detail,
            citation: rule.citation.text(),
            params: describe_params(&rule.test, &catalog.params, as_of),
        });
    }
    let verdict = if outcomes.iter().any(|o| o.result == Tri::False) {
        Verdict::NotEligible
    } else if outcomes.iter().any(|o| o.result == Tri::Unknown) {
        Verdict::NotYet
    } else {
        Verdict::Eligible
    };
    let summary = summarize(catalog, item, verdict, &outcomes, &waiting_for);
    waiting_for.sort();
    waiting_for.dedup();
    Eligibility {
        item: item.code.clone(),
        verdict,
        summary,
        waiting_for,
        outcomes,
        as_of,
    }
}

fn summarize(
    catalog: &Catalog,
    item: &Item,
    verdict: Verdict,
    outcomes: &[RuleOutcome],
    waiting_for: &[ItemCode],
) -> String {
    let line = |o: &RuleOutcome| {
        if o.citation.is_empty() {
            format!("「{}」：{}", o.label, o.detail)
        } else {
            format!("「{}」：{}（{}）", o.label, o.detail, o.citation)
        }
    };
    match verdict {
        Verdict::Eligible => {
            let met: Vec<String> = outcomes.iter().map(line).collect();
            format!("看起来符合「{}」的条件：{}。", item.name, met.join("；"))
        }
        Verdict::NotEligible => {
            let failed: Vec<String> = outcomes
                .iter()
                .filter(|o| o.result == Tri::False)
                .map(line)
                .collect();
            format!("不符合「{}」的条件：{}。", item.name, failed.join("；"))
        }
        Verdict::NotYet => {
            let mut parts = Vec::new();
            if !waiting_for.is_empty() {
                let mut names: Vec<String> = waiting_for
                    .iter()
                    .map(|c| format!("「{}」", catalog.item_name(c)))
                    .collect();
                names.dedup();
                parts.push(format!(
                    "需等待本次申请中的{}办结，再按其结果判断",
                    names.join("、")
                ));
            }
            let missing: Vec<String> = outcomes
                .iter()
                .filter(|o| o.result == Tri::Unknown && !o.waiting)
                .map(line)
                .collect();
            if !missing.is_empty() {
                parts.push(format!("还缺少判断所需的信息：{}", missing.join("；")));
            }
            format!(
                "暂不能判断是否符合「{}」的条件：{}。",
                item.name,
                parts.join("；")
            )
        }
    }
}

/// Evaluates an expression for one row and says in words what decided it: for a failed `all`,
/// the parts that failed; for a met `any`, the part that was met.
fn explain(
    expr: &Expr,
    catalog: &Catalog,
    params: &Parameters,
    facts: &Facts,
    as_of: NaiveDate,
    row: &FactRow,
) -> (Tri, String) {
    let (result, parts) = walk(expr, catalog, params, facts, as_of, row);
    (result, parts.join("；"))
}

fn walk(
    expr: &Expr,
    catalog: &Catalog,
    params: &Parameters,
    facts: &Facts,
    as_of: NaiveDate,
    row: &FactRow,
) -> (Tri, Vec<String>) {
    match expr {
        Expr::All(parts) | Expr::Any(parts) => {
            let all = matches!(expr, Expr::All(_));
            let children: Vec<(Tri, Vec<String>)> = parts
                .iter()
                .map(|p| walk(p, catalog, params, facts, as_of, row))
                .collect();
            let result =
                children
                    .iter()
                    .fold(if all { Tri::True } else { Tri::False }, |acc, (t, _)| {
                        if all { acc.and(*t) } else { acc.or(*t) }
                    });
            // Say what decided it: the failures of an `all`, the success of an `any`.
            let decisive = match (all, result) {
                (true, Tri::True) | (false, Tri::False) => None,
                (_, r) => Some(r),
            };
            let texts: Vec<String> = children
                .into_iter()
                .filter(|(t, _)| decisive.is_none_or(|d| *t == d))
                .flat_map(|(_, texts)| texts)
                .collect();
            if all || texts.len() <= 1 {
                (result, texts)
            } else {
                (result, vec![format!("以下均不满足：{}", texts.join("；"))])
            }
        }
        Expr::Not(inner) => {
            let (t, texts) = walk(inner, catalog, params, facts, as_of, row);
            (t.not(), vec![format!("不应满足：{}", texts.join("；"))])
        }
        Expr::Test(test) => {
            let (t, text) = leaf(test, catalog, params, facts, as_of, row);
            (t, vec![text])
        }
    }
}

fn leaf(
    test: &Test,
    catalog: &Catalog,
    params: &Parameters,
    facts: &Facts,
    as_of: NaiveDate,
    row: &FactRow,
) -> (Tri, String) {
    let fact = test.fact;
    let actual = facts
        .get(fact)
        .map_or_else(|| "尚无记录".to_owned(), |v| v.describe(fact));
    let operand = match resolve(test, params, as_of) {
        Ok(op) => op,
        Err(e) => return (Tri::Unknown, format!("{}：{actual}（{e}）", fact.label())),
    };
    let single = Expr::Test(test.clone());
    let result =
        Program::compile(&single, params, as_of, catalog).map_or(Tri::Unknown, |p| p.eval_row(row));
    let requirement = match (&test.op, &operand) {
        (Op::IsTrue | Op::IsFalse | Op::Known | Op::Unknown, _) => test.op.phrase().to_owned(),
        (op, Some(lit)) => format!("{}{}", op.phrase(), describe_literal(fact, lit, catalog)),
        (op, None) => op.phrase().to_owned(),
    };
    (
        result,
        format!("{}：{actual}（要求：{requirement}）", fact.label()),
    )
}

fn describe_literal(fact: Fact, lit: &Literal, catalog: &Catalog) -> String {
    let int = |n: i64| match fact.kind() {
        FactKind::Int { unit: "级" } => {
            crate::ids::DisabilityGrade::new(u8::try_from(n).unwrap_or(0))
                .map_or_else(|| format!("{n}级"), |g| g.label().to_owned())
        }
        FactKind::Int { unit } => format!("{n}{unit}"),
        _ => n.to_string(),
    };
    let label = |k: &str| fact.value_label(k).unwrap_or(k).to_owned();
    match lit {
        Literal::Bool(true) => "是".to_owned(),
        Literal::Bool(false) => "否".to_owned(),
        Literal::Int(n) => int(*n),
        Literal::IntList(l) => l.iter().map(|n| int(*n)).collect::<Vec<_>>().join("、"),
        Literal::Enum(k) => label(k),
        Literal::EnumList(l) => l.iter().map(|k| label(k)).collect::<Vec<_>>().join("、"),
        Literal::Item(code) => format!("「{}」", catalog.item_name(code)),
    }
}

/// The parameters an expression reads, as "label：value（citation）" on the date.
fn describe_params(expr: &Expr, params: &Parameters, as_of: NaiveDate) -> Vec<String> {
    let mut keys = std::collections::BTreeSet::new();
    expr.params(&mut keys);
    keys.iter()
        .filter_map(|k| params.get(k))
        .map(|p| {
            let value = p.on(as_of).map_or_else(
                || "尚未生效".to_owned(),
                |v| describe_param_value(&v.value, p.unit.as_deref()),
            );
            format!("{}：{value}（{}）", p.label, p.citation.text())
        })
        .collect()
}

fn describe_param_value(value: &super::params::ParamValue, unit: Option<&str>) -> String {
    use super::params::ParamValue;
    let unit = unit.unwrap_or("");
    match value {
        ParamValue::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        ParamValue::Int(n) => format!("{n}{unit}"),
        ParamValue::IntList(l) => l
            .iter()
            .map(|n| format!("{n}{unit}"))
            .collect::<Vec<_>>()
            .join("、"),
        ParamValue::Text(t) => t.clone(),
        ParamValue::TextList(l) => l.join("、"),
        ParamValue::Money { fen } => super::params::yuan(*fen),
    }
}

/// The program deciding an item for a whole registry: every prerequisite (as a registry fact) and
/// every rule, in force on `as_of`. True rows are eligible; false rows are not; the rest lack data.
pub fn scan_program(
    catalog: &Catalog,
    item: &Item,
    as_of: NaiveDate,
) -> Result<Program, CompileError> {
    let mut programs = Vec::new();
    for p in &item.prerequisites {
        programs.push(Program::compile(&p.test, &catalog.params, as_of, catalog)?);
    }
    for r in &item.rules {
        programs.push(Program::compile(&r.test, &catalog.params, as_of, catalog)?);
    }
    Ok(Program::all(&programs))
}
