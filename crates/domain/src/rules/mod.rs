//! Eligibility rules: facts, parameters with effective dates, expressions from the catalog, their
//! compiled form, and per-item results with plain-Chinese explanations.

pub mod eligibility;
pub mod expr;
pub mod facts;
pub mod params;
pub mod program;

pub use eligibility::{
    Eligibility, QuickCheck, RuleOutcome, Verdict, evaluate, quick_check, scan_program,
};
pub use facts::{Fact, FactValue, Facts};
pub use program::{FactRow, FactTable, Program, Tri};
