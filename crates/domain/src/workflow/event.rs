//! The case timeline: every transition, with actor, time and reason. A case's state is the fold
//! of its events ([`super::Case::apply`]).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::case::{Assessment, Channel, Notice, SupplementScope};
use crate::catalog::{CatalogVersion, ItemCode, Level, StepKind};
use crate::region::{HandlingPlace, RegionCode};
use crate::registry::{PersonId, RegistryEffect};
use crate::rules::{Facts, Verdict};

/// Who did something. Holds account or record ids, never names or ID numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// The applicant, or a guardian/agent acting for them (the account id).
    Applicant { account: String },
    /// A member of staff: account id and role key.
    Staff { account: String, role: String },
    /// The platform itself (automatic transitions).
    System,
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Actor::Applicant { .. } => "申请人".to_owned(),
            Actor::Staff { account, .. } => format!("工作人员 {account}"),
            Actor::System => "系统".to_owned(),
        }
    }
}

/// A recorded transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// 1-based position in the case's timeline.
    pub seq: u64,
    #[serde(with = "crate::time::instant_text")]
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub kind: EventKind,
}

/// A decision on a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Approve {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assessment: Option<Assessment>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Reject {
        reason: String,
    },
    Return {
        reason: String,
        missing: Vec<String>,
    },
}

/// How an item concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemResult {
    Approved,
    Rejected,
    /// Concluded automatically: a prerequisite was refused.
    NotEligible,
    Withdrawn,
    NotAccepted,
}

impl ItemResult {
    pub fn label(self) -> &'static str {
        match self {
            ItemResult::Approved => "准予办理",
            ItemResult::Rejected => "不予办理",
            ItemResult::NotEligible => "不符合条件",
            ItemResult::Withdrawn => "已撤回",
            ItemResult::NotAccepted => "不予受理",
        }
    }
}

/// An amount granted: fen per period from a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    pub fen: i64,
    pub period: crate::catalog::Period,
    pub label: String,
    pub start: crate::time::YearMonth,
}

impl Amount {
    pub fn describe(&self) -> String {
        format!(
            "{}{}（{}，自{}起）",
            self.period.label(),
            crate::rules::params::yuan(self.fen),
            self.label,
            self.start.label()
        )
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Submitted {
        applicant: PersonId,
        via_agent: bool,
        channel: Channel,
        place: HandlingPlace,
        place_path: String,
        catalog_version: CatalogVersion,
        #[serde(with = "crate::time::date_text")]
        rules_as_of: NaiveDate,
        items: Vec<ItemCode>,
        facts: Facts,
        acceptance_limit: u32,
    },
    /// A case-level request: at intake (once), or after acceptance (pauses every item).
    SupplementRequested {
        missing: Vec<String>,
        reason: String,
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
    },
    Supplemented {
        scope: SupplementScope,
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
    },
    Accepted {
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
    },
    AcceptanceRefused {
        reason: String,
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
    },
    ItemWaiting {
        item: ItemCode,
        waiting_for: Vec<ItemCode>,
    },
    /// The item starts: its clock runs and its first task opens. `verdict` records what the
    /// eligibility rules said at that moment (the explanation is recomputed when shown).
    ItemStarted {
        item: ItemCode,
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
        time_limit: u32,
        verdict: Verdict,
    },
    TaskOpened {
        task: String,
        item: ItemCode,
        step_index: usize,
        step: String,
        step_name: String,
        kind: StepKind,
        department: String,
        level: Level,
        region: RegionCode,
        region_path: String,
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
        time_limit: u32,
    },
    TaskDecided {
        task: String,
        decision: Decision,
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
    },
    TaskCancelled {
        task: String,
        reason: String,
    },
    ItemConcluded {
        item: ItemCode,
        result: ItemResult,
        reason: String,
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        amount: Option<Amount>,
    },
    RegistryUpdated {
        item: ItemCode,
        effect: RegistryEffect,
        description: String,
    },
    /// Other benefits of the person changed because of a certificate event (cascade).
    BenefitsAdjusted {
        item: ItemCode,
        changes: Vec<String>,
    },
    Withdrawn {
        reason: String,
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
    },
    Concluded {
        #[serde(with = "crate::time::date_text")]
        on: NaiveDate,
        notice: Notice,
    },
}

impl EventKind {
    /// A short Chinese label for the timeline.
    pub fn label(&self) -> &'static str {
        match self {
            EventKind::Submitted { .. } => "提交申请",
            EventKind::SupplementRequested { .. } => "一次性告知补正",
            EventKind::Supplemented { .. } => "补正材料",
            EventKind::Accepted { .. } => "受理",
            EventKind::AcceptanceRefused { .. } => "不予受理",
            EventKind::ItemWaiting { .. } => "等待前置事项",
            EventKind::ItemStarted { .. } => "事项开始办理",
            EventKind::TaskOpened { .. } => "任务分派",
            EventKind::TaskDecided { .. } => "审批决定",
            EventKind::TaskCancelled { .. } => "任务取消",
            EventKind::ItemConcluded { .. } => "事项办结",
            EventKind::RegistryUpdated { .. } => "更新基础信息库",
            EventKind::BenefitsAdjusted { .. } => "相关待遇联动调整",
            EventKind::Withdrawn { .. } => "撤回申请",
            EventKind::Concluded { .. } => "办结并反馈",
        }
    }
}
