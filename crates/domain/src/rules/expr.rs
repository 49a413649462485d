//! Rule expressions as declared in the catalog: tests of facts combined with all / any / not.
//!
//! In TOML a test reads `{ fact = "certificate.grade", op = "in", param = "nursing.grades" }` or
//! `{ fact = "person.age", op = "lt", value = 60 }`; combinations read `{ all = [ … ] }`,
//! `{ any = [ … ] }` and `{ not = { … } }`. Expressions are type-checked against the fact schema
//! and the parameters when the catalog loads.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::facts::{Fact, FactKind};
use super::params::{ParamType, ParamValue, Parameters};
use crate::catalog::ItemCode;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    In,
    NotIn,
    Lt,
    Le,
    Gt,
    Ge,
    IsTrue,
    IsFalse,
    Known,
    Unknown,
    Contains,
    NotContains,
}

impl Op {
    pub const ALL: &'static [(&'static str, Op)] = &[
        ("eq", Op::Eq),
        ("ne", Op::Ne),
        ("in", Op::In),
        ("not_in", Op::NotIn),
        ("lt", Op::Lt),
        ("le", Op::Le),
        ("gt", Op::Gt),
        ("ge", Op::Ge),
        ("is_true", Op::IsTrue),
        ("is_false", Op::IsFalse),
        ("known", Op::Known),
        ("unknown", Op::Unknown),
        ("contains", Op::Contains),
        ("not_contains", Op::NotContains),
    ];

    fn from_key(key: &str) -> Option<Op> {
        Self::ALL.iter().find(|(k, _)| *k == key).map(|(_, op)| *op)
    }

    /// Does this operator take an operand (a value or a parameter)?
    pub fn takes_operand(self) -> bool {
        !matches!(self, Op::IsTrue | Op::IsFalse | Op::Known | Op::Unknown)
    }

    /// The requirement in words, before the operand: "属于", "小于" …
    pub fn phrase(self) -> &'static str {
        match self {
            Op::Eq => "为",
            Op::Ne => "不为",
            Op::In => "属于",
            Op::NotIn => "不属于",
            Op::Lt => "小于",
            Op::Le => "不超过",
            Op::Gt => "大于",
            Op::Ge => "不低于",
            Op::IsTrue => "是",
            Op::IsFalse => "否",
            Op::Known => "有记录",
            Op::Unknown => "无记录",
            Op::Contains => "包含",
            Op::NotContains => "不包含",
        }
    }
}

/// A literal operand written in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    IntList(Vec<i64>),
    Enum(String),
    EnumList(Vec<String>),
    Item(ItemCode),
}

/// What a test compares the fact with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    None,
    Value(Literal),
    /// A policy parameter, resolved on the case's `rules_as_of` date.
    Param(String),
}

/// A test of one fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Test {
    pub fact: Fact,
    pub op: Op,
    pub operand: Operand,
}

/// A rule expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    All(Vec<Expr>),
    Any(Vec<Expr>),
    Not(Box<Expr>),
    Test(Test),
}

/// What an expression may refer to while it is checked.
#[derive(Debug, Clone, Copy)]
pub struct ExprContext<'a> {
    pub params: &'a Parameters,
    pub items: &'a BTreeSet<ItemCode>,
}

impl Expr {
    /// Parses and type-checks an expression; the error is a Chinese sentence for the data file's
    /// author.
    pub fn parse(value: &toml::Value, ctx: ExprContext<'_>) -> Result<Expr, String> {
        let table = value
            .as_table()
            .ok_or("条件应为表（例如 { fact = …, op = … }）")?;
        let has = |k: &str| table.contains_key(k);
        if has("all") || has("any") {
            let (key, list) = if has("all") {
                ("all", &table["all"])
            } else {
                ("any", &table["any"])
            };
            if table.len() != 1 {
                return Err(format!("「{key}」条件中不能有其他键"));
            }
            let list = list
                .as_array()
                .ok_or(format!("「{key}」的值应为条件数组"))?;
            if list.is_empty() {
                return Err(format!("「{key}」不能为空"));
            }
            let parts = list
                .iter()
                .map(|v| Expr::parse(v, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(if key == "all" {
                Expr::All(parts)
            } else {
                Expr::Any(parts)
            });
        }
        if has("not") {
            if table.len() != 1 {
                return Err("「not」条件中不能有其他键".to_owned());
            }
            return Ok(Expr::Not(Box::new(Expr::parse(&table["not"], ctx)?)));
        }
        for key in table.keys() {
            if !matches!(key.as_str(), "fact" | "op" | "value" | "param") {
                return Err(format!("条件中有未知的键「{key}」"));
            }
        }
        let fact_key = table
            .get("fact")
            .and_then(|v| v.as_str())
            .ok_or("条件缺少「fact」")?;
        let fact = Fact::from_key(fact_key).ok_or_else(|| format!("未知的事实项「{fact_key}」"))?;
        let op_key = table
            .get("op")
            .and_then(|v| v.as_str())
            .ok_or("条件缺少「op」")?;
        let op = Op::from_key(op_key).ok_or_else(|| {
            let known: Vec<&str> = Op::ALL.iter().map(|(k, _)| *k).collect();
            format!("未知的运算符「{op_key}」（可用：{}）", known.join("、"))
        })?;
        let operand = match (table.get("value"), table.get("param")) {
            (Some(_), Some(_)) => return Err("条件不能同时有「value」和「param」".to_owned()),
            (None, None) => Operand::None,
            (Some(v), None) => Operand::Value(literal(fact, op, v, ctx)?),
            (None, Some(p)) => {
                let key = p.as_str().ok_or("「param」应为参数名")?;
                check_param(fact, op, key, ctx.params)?;
                Operand::Param(key.to_owned())
            }
        };
        check_shape(fact, op, &operand)?;
        Ok(Expr::Test(Test { fact, op, operand }))
    }

    /// Every fact the expression reads.
    pub fn facts(&self, out: &mut BTreeSet<Fact>) {
        match self {
            Expr::All(parts) | Expr::Any(parts) => parts.iter().for_each(|p| p.facts(out)),
            Expr::Not(inner) => inner.facts(out),
            Expr::Test(t) => {
                out.insert(t.fact);
            }
        }
    }

    /// Every parameter the expression reads.
    pub fn params(&self, out: &mut BTreeSet<String>) {
        match self {
            Expr::All(parts) | Expr::Any(parts) => parts.iter().for_each(|p| p.params(out)),
            Expr::Not(inner) => inner.params(out),
            Expr::Test(Test {
                operand: Operand::Param(key),
                ..
            }) => {
                out.insert(key.clone());
            }
            Expr::Test(_) => {}
        }
    }
}

fn check_shape(fact: Fact, op: Op, operand: &Operand) -> Result<(), String> {
    let kind = fact.kind();
    let allowed = match kind {
        FactKind::Bool => matches!(
            op,
            Op::IsTrue | Op::IsFalse | Op::Eq | Op::Ne | Op::Known | Op::Unknown
        ),
        FactKind::Int { .. } => !matches!(
            op,
            Op::IsTrue | Op::IsFalse | Op::Contains | Op::NotContains
        ),
        FactKind::Enum(_) => matches!(
            op,
            Op::Eq | Op::Ne | Op::In | Op::NotIn | Op::Known | Op::Unknown
        ),
        FactKind::ItemSet => matches!(op, Op::Contains | Op::NotContains | Op::Known | Op::Unknown),
    };
    if !allowed {
        return Err(format!(
            "事实项「{}」不能使用运算符「{:?}」",
            fact.key(),
            op
        ));
    }
    match (op.takes_operand(), operand) {
        (true, Operand::None) => Err(format!("运算符「{op:?}」需要「value」或「param」")),
        (false, Operand::Value(_) | Operand::Param(_)) => {
            Err(format!("运算符「{op:?}」不需要「value」或「param」"))
        }
        _ => Ok(()),
    }
}

fn literal(fact: Fact, op: Op, v: &toml::Value, ctx: ExprContext<'_>) -> Result<Literal, String> {
    let list = matches!(op, Op::In | Op::NotIn);
    let bad = || format!("事实项「{}」与运算符「{op:?}」的取值类型不符", fact.key());
    match fact.kind() {
        FactKind::Bool => v.as_bool().map(Literal::Bool).ok_or_else(bad),
        FactKind::Int { .. } if list => {
            let arr = v.as_array().ok_or_else(bad)?;
            arr.iter()
                .map(|x| x.as_integer().ok_or_else(bad))
                .collect::<Result<_, _>>()
                .map(Literal::IntList)
        }
        FactKind::Int { .. } => v.as_integer().map(Literal::Int).ok_or_else(bad),
        FactKind::Enum(values) => {
            let check = |s: &str| -> Result<String, String> {
                if values.iter().any(|(k, _)| *k == s) {
                    Ok(s.to_owned())
                } else {
                    let keys: Vec<&str> = values.iter().map(|(k, _)| *k).collect();
                    Err(format!(
                        "「{s}」不是「{}」的取值（可用：{}）",
                        fact.key(),
                        keys.join("、")
                    ))
                }
            };
            if list {
                let arr = v.as_array().ok_or_else(bad)?;
                arr.iter()
                    .map(|x| x.as_str().ok_or_else(bad).and_then(check))
                    .collect::<Result<_, _>>()
                    .map(Literal::EnumList)
            } else {
                v.as_str()
                    .ok_or_else(bad)
                    .and_then(check)
                    .map(Literal::Enum)
            }
        }
        FactKind::ItemSet => {
            let code = v.as_str().ok_or_else(bad)?;
            let item = ItemCode::parse(code).map_err(|e| e.to_string())?;
            if !ctx.items.contains(&item) {
                return Err(format!("事项「{code}」不在目录中"));
            }
            Ok(Literal::Item(item))
        }
    }
}

fn check_param(fact: Fact, op: Op, key: &str, params: &Parameters) -> Result<(), String> {
    let param = params
        .get(key)
        .ok_or_else(|| format!("未知的参数「{key}」"))?;
    let list = matches!(op, Op::In | Op::NotIn);
    let expected = match (fact.kind(), list) {
        (FactKind::Bool, _) => ParamType::Bool,
        (FactKind::Int { .. }, true) => ParamType::IntList,
        (FactKind::Int { .. }, false) => ParamType::Int,
        (FactKind::Enum(_), true) => ParamType::TextList,
        (FactKind::Enum(_), false) => ParamType::Text,
        (FactKind::ItemSet, _) => return Err("「包含」条件只能写明事项代码（value）".to_owned()),
    };
    if param.ty != expected {
        return Err(format!(
            "参数「{key}」的类型为{}，此处需要{}",
            param.ty.label(),
            expected.label()
        ));
    }
    if let FactKind::Enum(values) = fact.kind() {
        for version in &param.versions {
            let keys: Vec<&str> = match &version.value {
                ParamValue::Text(s) => vec![s.as_str()],
                ParamValue::TextList(list) => list.iter().map(String::as_str).collect(),
                _ => vec![],
            };
            for k in keys {
                if !values.iter().any(|(v, _)| *v == k) {
                    return Err(format!(
                        "参数「{key}」自 {} 起的取值「{k}」不是「{}」的取值",
                        version.from,
                        fact.key()
                    ));
                }
            }
        }
    }
    Ok(())
}
