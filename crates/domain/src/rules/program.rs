//! Rules compiled for fast evaluation: a postfix program of column tests over encoded facts,
//! evaluated with Kleene three-valued logic, 64 persons at a time as bitmasks.
//!
//! The same program answers for one person (pre-check, reviewer) and for a whole registry
//! (proactive discovery), so the two can never disagree. Compilation resolves parameters for one
//! date and item codes to bit positions; evaluation does no look-ups and no allocation per person.

use chrono::NaiveDate;

use super::expr::{Expr, Literal, Op, Operand, Test};
use super::facts::{Fact, FactValue, Facts};
use super::params::{ParamValue, Parameters};
use crate::catalog::ItemCode;

/// A column test compiled from a [`Test`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Check {
    Eq(i64),
    Ne(i64),
    Lt(i64),
    Le(i64),
    Gt(i64),
    Ge(i64),
    /// Value in a set of small integers (0..64), as a bitmask.
    InMask(u64),
    NotInMask(u64),
    InList(Box<[i64]>),
    NotInList(Box<[i64]>),
    IsTrue,
    IsFalse,
    Known,
    Unknown,
    HasBit(u32),
    LacksBit(u32),
}

impl Check {
    #[inline]
    fn holds(&self, v: i64) -> bool {
        match self {
            Check::Eq(x) => v == *x,
            Check::Ne(x) => v != *x,
            Check::Lt(x) => v < *x,
            Check::Le(x) => v <= *x,
            Check::Gt(x) => v > *x,
            Check::Ge(x) => v >= *x,
            Check::InMask(m) => (0..64).contains(&v) && (m >> v) & 1 == 1,
            Check::NotInMask(m) => !((0..64).contains(&v) && (m >> v) & 1 == 1),
            Check::InList(l) => l.contains(&v),
            Check::NotInList(l) => !l.contains(&v),
            Check::IsTrue => v != 0,
            Check::IsFalse => v == 0,
            Check::HasBit(b) => (v >> b) & 1 == 1,
            Check::LacksBit(b) => (v >> b) & 1 == 0,
            Check::Known | Check::Unknown => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Instr {
    Leaf { column: usize, check: Check },
    And(usize),
    Or(usize),
    Not,
}

/// Why an expression could not be compiled for a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error("政策参数「{key}」在 {date} 尚未生效")]
    ParamNotInForce { key: String, date: NaiveDate },
    #[error("事项「{0}」不在目录中")]
    UnknownItem(String),
}

/// Maps item codes to bit positions for item-set facts.
pub trait ItemBits {
    fn bit(&self, item: &ItemCode) -> Option<u32>;
}

/// A compiled rule expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    instrs: Vec<Instr>,
}

impl Program {
    /// Compiles `expr` with the parameters in force on `as_of`.
    pub fn compile(
        expr: &Expr,
        params: &Parameters,
        as_of: NaiveDate,
        items: &dyn ItemBits,
    ) -> Result<Program, CompileError> {
        let mut instrs = Vec::new();
        emit(expr, params, as_of, items, &mut instrs)?;
        Ok(Program { instrs })
    }

    /// The conjunction of several programs (e.g. every rule of an item).
    pub fn all(programs: &[Program]) -> Program {
        let mut instrs: Vec<Instr> = programs
            .iter()
            .flat_map(|p| p.instrs.iter().cloned())
            .collect();
        if programs.len() != 1 {
            instrs.push(Instr::And(programs.len()));
        }
        Program { instrs }
    }

    /// Evaluates for one person.
    pub fn eval_row(&self, row: &FactRow) -> Tri {
        let mut stack: Vec<Tri> = Vec::with_capacity(8);
        for instr in &self.instrs {
            match instr {
                Instr::Leaf { column, check } => {
                    let known = (row.known >> column) & 1 == 1;
                    stack.push(match check {
                        Check::Known => Tri::from(known),
                        Check::Unknown => Tri::from(!known),
                        _ if !known => Tri::Unknown,
                        _ => Tri::from(check.holds(row.values[*column])),
                    });
                }
                Instr::And(n) => {
                    let at = stack.len().saturating_sub(*n);
                    let v = stack.drain(at..).fold(Tri::True, Tri::and);
                    stack.push(v);
                }
                Instr::Or(n) => {
                    let at = stack.len().saturating_sub(*n);
                    let v = stack.drain(at..).fold(Tri::False, Tri::or);
                    stack.push(v);
                }
                Instr::Not => {
                    let v = stack.pop().unwrap_or(Tri::Unknown);
                    stack.push(v.not());
                }
            }
        }
        stack.pop().unwrap_or(Tri::Unknown)
    }

    /// Evaluates for every row of a table. Returns, per 64-row word, the rows for which the
    /// program is true and those for which it is false; the rest are unknown.
    pub fn eval_table(&self, table: &FactTable) -> (Vec<u64>, Vec<u64>) {
        let words = table.len.div_ceil(64);
        let mut yes = Vec::with_capacity(words);
        let mut no = Vec::with_capacity(words);
        let mut stack: Vec<(u64, u64)> = Vec::with_capacity(8);
        for w in 0..words {
            let base = w * 64;
            let n = (table.len - base).min(64);
            let valid = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
            stack.clear();
            for instr in &self.instrs {
                match instr {
                    Instr::Leaf { column, check } => {
                        let known = table.known[*column][w] & valid;
                        let (t, f) = match check {
                            Check::Known => (known, valid & !known),
                            Check::Unknown => (valid & !known, known),
                            _ => {
                                let values = &table.columns[*column][base..base + n];
                                let mut t = 0u64;
                                for (i, v) in values.iter().enumerate() {
                                    t |= u64::from(check.holds(*v)) << i;
                                }
                                (t & known, known & !t)
                            }
                        };
                        stack.push((t, f));
                    }
                    Instr::And(k) => {
                        let at = stack.len().saturating_sub(*k);
                        let v = stack
                            .drain(at..)
                            .fold((valid, 0), |(t, f), (t2, f2)| (t & t2, f | f2));
                        stack.push(v);
                    }
                    Instr::Or(k) => {
                        let at = stack.len().saturating_sub(*k);
                        let v = stack
                            .drain(at..)
                            .fold((0, valid), |(t, f), (t2, f2)| (t | t2, f & f2));
                        stack.push(v);
                    }
                    Instr::Not => {
                        let (t, f) = stack.pop().unwrap_or((0, 0));
                        stack.push((f, t));
                    }
                }
            }
            let (t, f) = stack.pop().unwrap_or((0, 0));
            yes.push(t);
            no.push(f);
        }
        (yes, no)
    }
}

fn emit(
    expr: &Expr,
    params: &Parameters,
    as_of: NaiveDate,
    items: &dyn ItemBits,
    out: &mut Vec<Instr>,
) -> Result<(), CompileError> {
    match expr {
        Expr::All(parts) => {
            for p in parts {
                emit(p, params, as_of, items, out)?;
            }
            out.push(Instr::And(parts.len()));
        }
        Expr::Any(parts) => {
            for p in parts {
                emit(p, params, as_of, items, out)?;
            }
            out.push(Instr::Or(parts.len()));
        }
        Expr::Not(inner) => {
            emit(inner, params, as_of, items, out)?;
            out.push(Instr::Not);
        }
        Expr::Test(test) => out.push(Instr::Leaf {
            column: test.fact.index(),
            check: compile_test(test, params, as_of, items)?,
        }),
    }
    Ok(())
}

/// The operand of a test resolved on a date: a literal, or the parameter's value then.
pub(crate) fn resolve(
    test: &Test,
    params: &Parameters,
    as_of: NaiveDate,
) -> Result<Option<Literal>, CompileError> {
    Ok(match &test.operand {
        Operand::None => None,
        Operand::Value(lit) => Some(lit.clone()),
        Operand::Param(key) => {
            let value =
                params
                    .value_on(key, as_of)
                    .ok_or_else(|| CompileError::ParamNotInForce {
                        key: key.clone(),
                        date: as_of,
                    })?;
            Some(match value {
                ParamValue::Bool(b) => Literal::Bool(*b),
                ParamValue::Int(n) => Literal::Int(*n),
                ParamValue::IntList(l) => Literal::IntList(l.clone()),
                ParamValue::Text(s) => Literal::Enum(s.clone()),
                ParamValue::TextList(l) => Literal::EnumList(l.clone()),
                ParamValue::Money { fen } => Literal::Int(*fen),
            })
        }
    })
}

fn compile_test(
    test: &Test,
    params: &Parameters,
    as_of: NaiveDate,
    items: &dyn ItemBits,
) -> Result<Check, CompileError> {
    let operand = resolve(test, params, as_of)?;
    let fact = test.fact;
    let enum_code = |key: &str| fact.enum_index(key).map_or(-1, |i| i as i64);
    let scalar = |lit: &Literal| -> Result<i64, CompileError> {
        Ok(match lit {
            Literal::Bool(b) => i64::from(*b),
            Literal::Int(n) => *n,
            Literal::Enum(key) => enum_code(key),
            Literal::Item(code) => i64::from(
                items
                    .bit(code)
                    .ok_or_else(|| CompileError::UnknownItem(code.to_string()))?,
            ),
            Literal::IntList(_) | Literal::EnumList(_) => -1,
        })
    };
    let list = |lit: &Literal| -> Vec<i64> {
        match lit {
            Literal::IntList(l) => l.clone(),
            Literal::EnumList(l) => l.iter().map(|k| enum_code(k)).collect(),
            other => scalar(other).into_iter().collect(),
        }
    };
    let op_value =
        |lit: Option<&Literal>| -> Result<i64, CompileError> { lit.map_or(Ok(0), scalar) };
    Ok(match test.op {
        Op::IsTrue => Check::IsTrue,
        Op::IsFalse => Check::IsFalse,
        Op::Known => Check::Known,
        Op::Unknown => Check::Unknown,
        Op::Eq => Check::Eq(op_value(operand.as_ref())?),
        Op::Ne => Check::Ne(op_value(operand.as_ref())?),
        Op::Lt => Check::Lt(op_value(operand.as_ref())?),
        Op::Le => Check::Le(op_value(operand.as_ref())?),
        Op::Gt => Check::Gt(op_value(operand.as_ref())?),
        Op::Ge => Check::Ge(op_value(operand.as_ref())?),
        Op::Contains => Check::HasBit(u32::try_from(op_value(operand.as_ref())?).unwrap_or(63)),
        Op::NotContains => {
            Check::LacksBit(u32::try_from(op_value(operand.as_ref())?).unwrap_or(63))
        }
        Op::In | Op::NotIn => {
            let values = operand.as_ref().map(list).unwrap_or_default();
            let small = values.iter().all(|v| (0..64).contains(v));
            let negate = test.op == Op::NotIn;
            if small {
                let mask = values.iter().fold(0u64, |m, v| m | (1u64 << v));
                if negate {
                    Check::NotInMask(mask)
                } else {
                    Check::InMask(mask)
                }
            } else if negate {
                Check::NotInList(values.into())
            } else {
                Check::InList(values.into())
            }
        }
    })
}

/// Three-valued truth: a rule over an unknown fact is neither met nor failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }
    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }
    #[expect(
        clippy::should_implement_trait,
        reason = "three-valued not, not std::ops::Not on bool"
    )]
    pub fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

impl From<bool> for Tri {
    fn from(b: bool) -> Self {
        if b { Tri::True } else { Tri::False }
    }
}

/// One person's facts encoded for a program: one integer per fact and a known-mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactRow {
    values: Vec<i64>,
    known: u64,
}

impl FactRow {
    /// Encodes facts: booleans as 0/1, enums by position, item sets as bitmasks.
    pub fn encode(facts: &Facts, items: &dyn ItemBits) -> FactRow {
        let mut values = vec![0i64; Fact::ALL.len()];
        let mut known = 0u64;
        for (fact, value) in facts.iter() {
            let encoded = match value {
                FactValue::Bool(b) => Some(i64::from(*b)),
                FactValue::Int(n) => Some(*n),
                FactValue::Enum(key) => fact.enum_index(key).map(|i| i as i64),
                FactValue::Items(set) => Some(
                    set.iter()
                        .filter_map(|c| items.bit(c))
                        .fold(0i64, |m, b| m | (1i64 << b)),
                ),
            };
            if let Some(v) = encoded {
                values[fact.index()] = v;
                known |= 1 << fact.index();
            }
        }
        FactRow { values, known }
    }
}

/// Facts of many persons, column by column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactTable {
    len: usize,
    columns: Vec<Vec<i64>>,
    known: Vec<Vec<u64>>,
}

impl Default for FactTable {
    fn default() -> Self {
        Self::new()
    }
}

impl FactTable {
    pub fn new() -> Self {
        Self {
            len: 0,
            columns: vec![Vec::new(); Fact::ALL.len()],
            known: vec![Vec::new(); Fact::ALL.len()],
        }
    }

    pub fn with_capacity(rows: usize) -> Self {
        let words = rows.div_ceil(64);
        Self {
            len: 0,
            columns: (0..Fact::ALL.len())
                .map(|_| Vec::with_capacity(rows))
                .collect(),
            known: (0..Fact::ALL.len())
                .map(|_| Vec::with_capacity(words))
                .collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, row: &FactRow) {
        let bit = self.len % 64;
        for (i, column) in self.columns.iter_mut().enumerate() {
            column.push(row.values[i]);
            let words = &mut self.known[i];
            if bit == 0 {
                words.push(0);
            }
            if (row.known >> i) & 1 == 1
                && let Some(last) = words.last_mut()
            {
                *last |= 1 << bit;
            }
        }
        self.len += 1;
    }
}

/// Iterates the row numbers set in a bitmask vector.
pub fn rows_in(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words.iter().enumerate().flat_map(|(w, &word)| {
        let mut bits = word;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let b = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            Some(w * 64 + b)
        })
    })
}
