//! What the API returns: plain, documented shapes built from the domain's types. Personal data
//! appears only here, masked unless the reader may see it whole.

use domain::application::{Answer, FormAnswers};
use domain::calendar::{DeadlineState, DeadlineStatus};
use domain::catalog::Catalog;
use domain::ids;
use domain::rules::{Eligibility, Tri, Verdict};
use domain::workflow::{Case, EventKind, ItemStatus, Notice, TaskStatus};
use serde::Serialize;
use service::authority::Visibility;
use utoipa::ToSchema;

/// A deadline on the working-day calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineDto {
    /// The due date (Asia/Shanghai), `YYYY-MM-DD`.
    pub due: String,
    /// `normal` | `due_soon` | `overdue`.
    pub state: &'static str,
    /// 正常 / 即将超期 / 已超期.
    pub state_label: &'static str,
    pub working_days_left: u32,
    pub working_days_overdue: u32,
    pub paused: bool,
    /// In words, e.g. "剩余 5 个工作日（截至 2026年6月12日）".
    pub description: String,
    /// Years without holiday data the deadline reaches into (counted weekends-only).
    pub years_without_calendar: Vec<i32>,
}

pub fn deadline(status: &DeadlineStatus, years: Vec<i32>) -> DeadlineDto {
    DeadlineDto {
        due: status.due.to_string(),
        state: match status.state {
            DeadlineState::Normal => "normal",
            DeadlineState::DueSoon => "due_soon",
            DeadlineState::Overdue => "overdue",
        },
        state_label: status.state.label(),
        working_days_left: status.working_days_left,
        working_days_overdue: status.working_days_overdue,
        paused: status.paused,
        description: status.describe(),
        years_without_calendar: years,
    }
}

/// One rule's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDto {
    pub label: String,
    /// `met` | `not_met` | `unknown`.
    pub result: &'static str,
    pub detail: String,
    pub citation: String,
    pub blocking: bool,
}

/// An item's eligibility, with the explanation.
#[derive(Debug, Serialize, ToSchema)]
pub struct EligibilityDto {
    pub item: String,
    /// `eligible` | `not_yet` | `not_eligible`.
    pub verdict: &'static str,
    pub verdict_label: &'static str,
    pub summary: String,
    pub waiting_for: Vec<String>,
    pub rules: Vec<RuleDto>,
    /// The date whose policy parameters were applied.
    pub as_of: String,
}

pub fn eligibility(e: &Eligibility) -> EligibilityDto {
    EligibilityDto {
        item: e.item.to_string(),
        verdict: match e.verdict {
            Verdict::Eligible => "eligible",
            Verdict::NotYet => "not_yet",
            Verdict::NotEligible => "not_eligible",
        },
        verdict_label: e.verdict.label(),
        summary: e.summary.clone(),
        waiting_for: e.waiting_for.iter().map(ToString::to_string).collect(),
        rules: e
            .outcomes
            .iter()
            .map(|o| RuleDto {
                label: o.label.clone(),
                result: match o.result {
                    Tri::True => "met",
                    Tri::False => "not_met",
                    Tri::Unknown => "unknown",
                },
                detail: o.detail.clone(),
                citation: o.citation.clone(),
                blocking: o.blocking,
            })
            .collect(),
        as_of: e.as_of.to_string(),
    }
}

/// The applicant as the reader may see them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicantDto {
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// `full` or `masked`.
    pub visibility: &'static str,
}

fn text(form: &FormAnswers, key: &str) -> Option<String> {
    form.get(key).map(Answer::text)
}

pub fn applicant(form: &FormAnswers, visibility: Visibility) -> ApplicantDto {
    let full = visibility == Visibility::Full;
    let pick = |key: &str, masker: fn(&str) -> String| {
        text(form, key).map(|v| if full { v } else { masker(&v) })
    };
    ApplicantDto {
        name: pick("applicant.name", ids::mask_name),
        id_number: pick("applicant.id_number", ids::mask_id_like),
        phone: pick("contact.phone", ids::mask_phone),
        address: pick("applicant.address", ids::mask_address),
        visibility: if full { "full" } else { "masked" },
    }
}

/// An item of a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemDto {
    pub code: String,
    pub name: String,
    pub status: String,
    pub status_label: &'static str,
    pub waiting_for: Vec<String>,
    pub deadline: Option<DeadlineDto>,
    pub eligibility: Option<EligibilityDto>,
    /// How it ended: result, reason, amount.
    pub outcome: Option<OutcomeDto>,
    /// What the applicant was asked to supplement for this item.
    pub supplement: Option<Vec<String>>,
}

/// How an item ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeDto {
    pub result: String,
    pub result_label: &'static str,
    pub reason: String,
    pub on: String,
    pub amount: Option<String>,
}

/// A task of a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDto {
    pub id: String,
    pub item: String,
    pub step: String,
    pub step_name: String,
    /// The deciding department's code: `canlian`, `minzheng`, `renshe`, `township`, `assessment`.
    pub department: String,
    pub department_name: String,
    /// The region code the task is decided in (county, zone or township).
    pub region: String,
    pub region_name: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub deadline: Option<DeadlineDto>,
}

/// A line of the timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    pub seq: u64,
    pub at: String,
    pub actor: String,
    /// The event type, e.g. `task_decided`.
    pub kind: String,
    pub label: &'static str,
    pub detail: String,
}

/// The combined notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeDto {
    pub on: String,
    pub summary: String,
    pub items: Vec<NoticeItemDto>,
}

/// One item's line of the notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeItemDto {
    pub item: String,
    pub name: String,
    pub result: String,
    pub result_label: &'static str,
    pub reason: String,
    pub amount: Option<String>,
    pub next_steps: String,
}

/// A case (办件).
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDto {
    pub id: String,
    pub number: Option<String>,
    pub status: &'static str,
    pub status_label: &'static str,
    pub channel: &'static str,
    pub submitted_at: String,
    pub handling_unit: String,
    pub handling_unit_name: String,
    pub applicant: Option<ApplicantDto>,
    /// The open case-level request for a supplement (一次性告知).
    pub supplement: Option<Vec<String>>,
    pub items: Vec<ItemDto>,
    pub tasks: Vec<TaskDto>,
    pub timeline: Vec<EventDto>,
    pub notice: Option<NoticeDto>,
    /// The material files given for the case (download each from
    /// `/api/v1/cases/{id}/materials/{file_id}`).
    pub materials: Vec<MaterialDto>,
}

/// A material file given for a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaterialDto {
    /// The material code of the catalog, e.g. `id_card`.
    pub material: String,
    pub material_name: String,
    pub file_id: String,
    pub media_type: &'static str,
    pub size: u64,
    /// The item it was given for; absent for the whole application.
    pub item: Option<String>,
    pub added_at: String,
}

/// The case's materials, named from its catalog.
pub fn materials(list: Vec<service::files::MaterialRef>, catalog: &Catalog) -> Vec<MaterialDto> {
    list.into_iter()
        .map(|m| MaterialDto {
            material_name: catalog
                .materials
                .get(&m.material)
                .map_or_else(|| m.material.clone(), |t| t.name.clone()),
            material: m.material,
            file_id: m.file_id,
            media_type: m.media_type.as_str(),
            size: m.size,
            item: m.item.map(|i| i.to_string()),
            added_at: m.added_at.to_rfc3339(),
        })
        .collect()
}

fn snake<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn notice(n: &Notice) -> NoticeDto {
    NoticeDto {
        on: n.on.to_string(),
        summary: n.summary.clone(),
        items: n
            .items
            .iter()
            .map(|i| NoticeItemDto {
                item: i.item.to_string(),
                name: i.name.clone(),
                result: snake(&i.result),
                result_label: i.result.label(),
                reason: i.reason.clone(),
                amount: i.amount.as_ref().map(|a| a.describe()),
                next_steps: i.next_steps.clone(),
            })
            .collect(),
    }
}

fn event_detail(kind: &EventKind, catalog: &Catalog) -> String {
    match kind {
        EventKind::Submitted { items, .. } => {
            format!(
                "申请事项：{}",
                items
                    .iter()
                    .map(|c| catalog.item_name(c))
                    .collect::<Vec<_>>()
                    .join("、")
            )
        }
        EventKind::SupplementRequested {
            missing, reason, ..
        } => format!("{reason}；需补正：{}", missing.join("、")),
        EventKind::AcceptanceRefused { reason, .. } | EventKind::Withdrawn { reason, .. } => {
            reason.clone()
        }
        EventKind::ItemWaiting { item, waiting_for } => format!(
            "「{}」等待{}",
            catalog.item_name(item),
            waiting_for
                .iter()
                .map(|c| format!("「{}」", catalog.item_name(c)))
                .collect::<Vec<_>>()
                .join("、")
        ),
        EventKind::ItemStarted { item, verdict, .. } => format!(
            "「{}」开始办理（资格预判：{}）",
            catalog.item_name(item),
            verdict.label()
        ),
        EventKind::TaskOpened {
            item,
            step_name,
            region,
            ..
        } => format!(
            "「{}」{}，分派至 {region}",
            catalog.item_name(item),
            step_name
        ),
        EventKind::TaskDecided { decision, .. } => match decision {
            domain::workflow::Decision::Approve {
                assessment: Some(a),
                ..
            } => {
                format!("通过；评定为{}残疾{}", a.category.label(), a.grade.label())
            }
            domain::workflow::Decision::Approve { note, .. } => note
                .clone()
                .map_or_else(|| "通过".to_owned(), |n| format!("通过：{n}")),
            domain::workflow::Decision::Reject { reason } => format!("不予办理：{reason}"),
            domain::workflow::Decision::Return { reason, missing } => {
                format!("退回补正：{reason}（{}）", missing.join("、"))
            }
        },
        EventKind::TaskCancelled { reason, .. } => reason.clone(),
        EventKind::ItemConcluded {
            item,
            result,
            reason,
            ..
        } => format!(
            "「{}」{}：{reason}",
            catalog.item_name(item),
            result.label()
        ),
        EventKind::RegistryUpdated { description, .. } => description.clone(),
        EventKind::BenefitsAdjusted { changes, .. } => changes.join("；"),
        EventKind::Concluded { notice, .. } => notice.summary.clone(),
        EventKind::Accepted { .. } | EventKind::Supplemented { .. } => String::new(),
    }
}

/// A case as the reader may see it, with deadlines as of `today`.
pub fn case(
    case: &Case,
    catalog: &Catalog,
    calendar: &domain::calendar::WorkingCalendar,
    regions: &domain::region::RegionTree,
    today: chrono::NaiveDate,
    applicant: Option<ApplicantDto>,
    timeline: &[domain::workflow::Event],
) -> CaseDto {
    let threshold = catalog.settings.due_soon_working_days;
    let live = |status: ItemStatus| matches!(status, ItemStatus::InProgress | ItemStatus::Returned);
    CaseDto {
        id: case.id.0.clone(),
        number: case.number.as_ref().map(ToString::to_string),
        status: case.status.key(),
        status_label: case.status.label(),
        channel: case.channel.label(),
        submitted_at: case
            .submitted_at
            .with_timezone(&domain::time::shanghai())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        handling_unit: case.place.unit.to_string(),
        handling_unit_name: regions.name(&case.place.unit),
        applicant,
        supplement: case.supplement.as_ref().map(|s| s.missing.clone()),
        items: case
            .items
            .iter()
            .map(|i| ItemDto {
                code: i.code.to_string(),
                name: catalog.item_name(&i.code),
                status: snake(&i.status),
                status_label: i.status.label(),
                waiting_for: i.waiting_for.iter().map(ToString::to_string).collect(),
                deadline: i.clock.as_ref().filter(|_| live(i.status)).map(|c| {
                    let r = c.status(calendar, today, threshold);
                    deadline(&r.value, r.years_without_data.into_iter().collect())
                }),
                eligibility: domain::workflow::eligibility_of(case, catalog, &i.code)
                    .as_ref()
                    .map(eligibility),
                outcome: i.outcome.as_ref().map(|o| OutcomeDto {
                    result: snake(&o.result),
                    result_label: o.result.label(),
                    reason: o.reason.clone(),
                    on: o.on.to_string(),
                    amount: o.amount.as_ref().map(|a| a.describe()),
                }),
                supplement: i.supplement.as_ref().map(|s| s.missing.clone()),
            })
            .collect(),
        tasks: case
            .tasks
            .iter()
            .map(|t| TaskDto {
                id: t.id.clone(),
                item: t.item.to_string(),
                step: t.step.clone(),
                step_name: t.step_name.clone(),
                department: t.department.clone(),
                department_name: catalog
                    .department(&t.department)
                    .map_or_else(|| t.department.clone(), |d| d.short_name.clone()),
                region: t.region.to_string(),
                region_name: regions.name(&t.region),
                status: t.status.key(),
                status_label: t.status.label(),
                deadline: matches!(t.status, TaskStatus::Open | TaskStatus::Paused).then(|| {
                    let r = t.deadline(calendar, today, threshold);
                    deadline(&r.value, r.years_without_data.into_iter().collect())
                }),
            })
            .collect(),
        timeline: timeline
            .iter()
            .map(|e| EventDto {
                seq: e.seq,
                at: e
                    .at
                    .with_timezone(&domain::time::shanghai())
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                actor: e.actor.label(),
                kind: serde_json::to_value(&e.kind)
                    .ok()
                    .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
                    .unwrap_or_default(),
                label: e.kind.label(),
                detail: event_detail(&e.kind, catalog),
            })
            .collect(),
        notice: case.notice.as_ref().map(notice),
        materials: Vec::new(),
    }
}
