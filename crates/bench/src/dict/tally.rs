//! What became of the cases, per scenario, item applied for alone and the benchmark's process.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use crate::drive::{Driven, Outcome};
use crate::plan::Plan;

#[derive(Debug, Default)]
struct Group {
    planned: u32,
    not_submitted: u32,
    refused: u32,
    withdrawn: u32,
    all_approved: u32,
    some_approved: u32,
    none_approved: u32,
    stuck: u32,
    case_supplements: u32,
    returns: u32,
    /// The item sets submitted.
    sets: BTreeSet<String>,
}

/// Cases by group and by item set, and why submissions were refused.
#[derive(Debug, Default)]
pub struct Tally {
    groups: BTreeMap<String, Group>,
    sets: BTreeMap<String, u32>,
    refusals: BTreeMap<&'static str, u32>,
}

impl Tally {
    pub fn add(&mut self, plan: &Plan, d: &Driven) {
        let g = self.groups.entry(plan.group.clone()).or_default();
        g.planned += 1;
        g.case_supplements += d.case_supplements;
        g.returns += d.returns;
        let set = plan
            .items
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join("+");
        match &d.outcome {
            Outcome::NotSubmitted(code) => {
                g.not_submitted += 1;
                *self.refusals.entry(code).or_default() += 1;
                return;
            }
            Outcome::RefusedAtIntake => g.refused += 1,
            Outcome::Withdrawn => g.withdrawn += 1,
            Outcome::Concluded { approved, items } if approved == items => g.all_approved += 1,
            Outcome::Concluded { approved: 0, .. } => g.none_approved += 1,
            Outcome::Concluded { .. } => g.some_approved += 1,
            Outcome::Stuck(_) => g.stuck += 1,
        }
        g.sets.insert(set.clone());
        *self.sets.entry(set).or_default() += 1;
    }

    /// Cases stuck (not concluded, nothing to do).
    pub fn stuck(&self) -> u32 {
        self.groups.values().map(|g| g.stuck).sum()
    }

    pub fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{:<36} {:>5} {:>5} {:>5} | {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} | {:>5} {:>5}",
            "cases",
            "plan",
            "sets",
            "sub✗",
            "refus",
            "withd",
            "allOK",
            "some",
            "none",
            "stuck",
            "suppl",
            "retrn"
        )?;
        let mut total = Group::default();
        for (name, g) in &self.groups {
            writeln!(
                out,
                "{name:<36} {:>5} {:>5} {:>5} | {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} | {:>5} {:>5}",
                g.planned,
                g.sets.len(),
                g.not_submitted,
                g.refused,
                g.withdrawn,
                g.all_approved,
                g.some_approved,
                g.none_approved,
                g.stuck,
                g.case_supplements,
                g.returns
            )?;
            total.planned += g.planned;
            total.not_submitted += g.not_submitted;
            total.refused += g.refused;
            total.withdrawn += g.withdrawn;
            total.all_approved += g.all_approved;
            total.some_approved += g.some_approved;
            total.none_approved += g.none_approved;
            total.stuck += g.stuck;
            total.case_supplements += g.case_supplements;
            total.returns += g.returns;
        }
        let t = &total;
        writeln!(
            out,
            "{:<36} {:>5} {:>5} {:>5} | {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} | {:>5} {:>5}",
            "total",
            t.planned,
            self.sets.len(),
            t.not_submitted,
            t.refused,
            t.withdrawn,
            t.all_approved,
            t.some_approved,
            t.none_approved,
            t.stuck,
            t.case_supplements,
            t.returns
        )?;
        writeln!(
            out,
            "  plan: applications made; sets: distinct item sets submitted; sub✗: refused at \
             submission; refus: refused at intake (不予受理); withd: withdrawn; allOK/some/none: \
             concluded with all, some or none of the items approved; suppl: case-level \
             supplement requests; retrn: tasks returned for an item's supplement"
        )?;
        let refusals: Vec<String> = self
            .refusals
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        writeln!(out, "  refused at submission: {}", refusals.join(", "))?;
        let mut sets: Vec<(&String, &u32)> = self.sets.iter().collect();
        sets.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        writeln!(out, "  most frequent item sets submitted:")?;
        for (set, n) in sets.iter().take(15) {
            writeln!(out, "    {n:>5}  {set}")?;
        }
        Ok(())
    }
}
