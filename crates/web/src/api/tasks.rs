//! Reviewers' inboxes and decisions.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use domain::ids::{DisabilityCategory, DisabilityGrade};
use domain::workflow::{Assessment, CaseId, Decision};
use serde::{Deserialize, Serialize};
use service::inbox::{InboxFilter, InboxQuery};
use utoipa::{IntoParams, ToSchema};

use super::dto::{CaseDto, DeadlineDto, deadline};
use super::json::ApiJson;
use crate::AppState;
use crate::error::{ErrorEnvelope, WebError};
use crate::session::Caller;

/// Inbox filters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InboxParams {
    /// `open` (default), `due_soon` or `overdue`.
    pub filter: Option<String>,
    /// An item code.
    pub item: Option<String>,
    /// A region code below the caller's own.
    pub region: Option<String>,
}

/// A line of the inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxLineDto {
    pub task_id: String,
    pub case_id: String,
    pub case_number: Option<String>,
    pub item: String,
    pub item_name: String,
    pub step_name: String,
    pub region: String,
    pub region_name: String,
    pub opened_at: String,
    pub deadline: Option<DeadlineDto>,
}

/// The caller's open tasks, soonest due first.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(InboxParams),
    responses((status = 200, body = Vec<InboxLineDto>), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn inbox(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<InboxParams>,
) -> Result<axum::Json<Vec<InboxLineDto>>, WebError> {
    let filter = match q.filter.as_deref() {
        None | Some("open") => InboxFilter::Open,
        Some("due_soon") => InboxFilter::DueSoon,
        Some("overdue") => InboxFilter::Overdue,
        Some(_) => {
            return Err(WebError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "inbox.filter",
                "filter 须为 open、due_soon 或 overdue",
            ));
        }
    };
    let p = &state.platform;
    let lines = p
        .inbox(
            caller.principal(),
            &InboxQuery {
                filter,
                item: q.item,
                region: q.region,
            },
        )
        .await?;
    let catalog = p.catalogs.current();
    Ok(axum::Json(
        lines
            .into_iter()
            .map(|l| {
                let region = domain::region::RegionCode::parse(&l.row.region).ok();
                InboxLineDto {
                    task_id: l.row.task_id,
                    case_id: l.row.case_id.0,
                    case_number: l.row.case_number,
                    item_name: catalog
                        .item_by_str(&l.row.item)
                        .map_or_else(|| l.row.item.clone(), |i| i.name.clone()),
                    item: l.row.item,
                    step_name: l.row.step_name,
                    region_name: region
                        .map_or_else(|| l.row.region.clone(), |r| p.regions.name(&r)),
                    region: l.row.region,
                    opened_at: l
                        .row
                        .opened_at
                        .with_timezone(&domain::time::shanghai())
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    deadline: l.deadline.as_ref().map(|d| deadline(d, Vec::new())),
                }
            })
            .collect(),
    ))
}

/// What the assessment found (评定 steps only).
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssessmentDto {
    /// visual, hearing, speech, physical, intellectual, mental, multiple (or the Chinese label).
    pub category: String,
    /// 1 (most severe) to 4.
    pub grade: u8,
    #[serde(default)]
    pub lower_limb: bool,
}

/// A decision on a task.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionRequest {
    /// `approve`, `reject` or `return`.
    pub decision: String,
    /// Required to reject or return.
    #[serde(default)]
    pub reason: String,
    /// Required to return: everything the applicant must supplement.
    #[serde(default)]
    pub missing: Vec<String>,
    /// Required to approve an assessment step.
    pub assessment: Option<AssessmentDto>,
    /// An optional note with an approval.
    pub note: Option<String>,
}

fn unprocessable(code: &str, msg: &str) -> WebError {
    WebError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, code, msg)
}

/// Approves, rejects (reason required) or returns for a supplement. Only a reviewer of the
/// task's department within its region may decide it.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/decision", tag = "tasks", request_body = DecisionRequest, params(("id" = String, Path, description = "task id")),
    responses((status = 200, body = CaseDto), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 409, description = "The task is not open", body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn decide(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecisionRequest>,
) -> Result<axum::Json<CaseDto>, WebError> {
    let assessment = match body.assessment {
        None => None,
        Some(a) => Some(Assessment {
            category: DisabilityCategory::from_key(&a.category)
                .ok_or_else(|| unprocessable("assessment.category", "残疾类别不正确"))?,
            grade: DisabilityGrade::new(a.grade)
                .ok_or_else(|| unprocessable("assessment.grade", "残疾等级应为 1 至 4"))?,
            lower_limb: a.lower_limb,
        }),
    };
    let decision = match body.decision.as_str() {
        "approve" => Decision::Approve {
            assessment,
            note: body.note,
        },
        "reject" => Decision::Reject {
            reason: body.reason,
        },
        "return" => Decision::Return {
            reason: body.reason,
            missing: body.missing,
        },
        _ => {
            return Err(unprocessable(
                "decision.kind",
                "decision 须为 approve、reject 或 return",
            ));
        }
    };
    let p = &state.platform;
    let a = p.authorize_task(caller.principal(), &id).await?;
    let case: CaseId = a.case().clone();
    p.decide(&a, decision).await?;
    Ok(axum::Json(
        super::cases::view(&state, &caller, &case, "审核决定后查看").await?,
    ))
}
