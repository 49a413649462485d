//! Cases: reading one (with deadlines, timeline and notice), intake at the window, the
//! applicant's supplement and withdrawal.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use domain::catalog::ItemCode;
use domain::time::shanghai_date;
use domain::workflow::{CaseId, CaseNumber, SupplementScope};
use serde::Deserialize;
use service::auth::Principal;
use utoipa::{IntoParams, ToSchema};

use super::dto::{CaseDto, applicant, case, materials};
use super::json::ApiJson;
use crate::AppState;
use crate::error::{ErrorEnvelope, WebError};
use crate::session::Caller;

/// A case as the caller may see it. Every read is audited (who, which case, why) before anything
/// is shown; if the audit log cannot take the entry, nothing is shown.
pub(super) async fn view(
    state: &AppState,
    caller: &Caller,
    id: &CaseId,
    why: &str,
) -> Result<CaseDto, WebError> {
    let p = &state.platform;
    let read = p.authorize_read(caller.principal(), id).await?;
    p.audit_read(&read.actor, &service::audit::case_subject(id), why)
        .await?;
    let v = p.case(id).await?;
    let form = p.form(&read).await.ok();
    let catalog = p.catalogs.get(&p.store, &v.case.catalog_version).await?;
    let today = shanghai_date(p.clock.now());
    let mut dto = case(
        &v.case,
        &catalog,
        &p.calendar,
        &p.regions,
        today,
        form.as_ref().map(|f| applicant(f, read.visibility)),
        &v.timeline,
    );
    dto.materials = materials(p.case_materials(id).await?, &catalog);
    Ok(dto)
}

/// A case: items with deadlines and eligibility, tasks, the timeline and the combined notice.
/// Personal data is masked unless the reader is the applicant, the window at intake or a
/// reviewer holding one of its tasks. Outside the reader's region a case does not exist.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = String, Path, description = "case id")),
    responses((status = 200, body = CaseDto), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn get_case(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<CaseDto>, WebError> {
    Ok(axum::Json(
        view(&state, &caller, &CaseId(id), "查看办件").await?,
    ))
}

/// Looking a case up by its number.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FindQuery {
    /// 办件编号, e.g. `YJS-321302-20261129-0001`.
    pub number: String,
}

/// Finds a case by its number.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(FindQuery),
    responses((status = 200, body = CaseDto), (status = 401, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn find(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<FindQuery>,
) -> Result<axum::Json<CaseDto>, WebError> {
    let number = CaseNumber::parse(&q.number).map_err(|e| {
        WebError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "case_number.invalid",
            e.to_string(),
        )
    })?;
    let id = state
        .platform
        .store_case_id(&number)
        .await?
        .ok_or_else(WebError::not_found)?;
    Ok(axum::Json(
        view(&state, &caller, &id, "按编号查询办件").await?,
    ))
}

/// The window's decision at intake.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntakeAction {
    /// 受理.
    Accept,
    /// 不予受理 (reason required).
    Refuse,
    /// 一次性告知补正 (reason and the full list of what is missing required).
    RequestSupplement,
}

/// Intake at the window.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Intake {
    pub action: IntakeAction,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub missing: Vec<String>,
}

/// Accepts, refuses, or asks once for everything missing.
#[utoipa::path(post, path = "/api/v1/cases/{id}/acceptance", tag = "cases", request_body = Intake, params(("id" = String, Path)),
    responses((status = 200, body = CaseDto), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 409, description = "Not awaiting acceptance", body = ErrorEnvelope),
        (status = 422, description = "A reason or the list of what is missing is required", body = ErrorEnvelope)))]
pub async fn acceptance(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Intake>,
) -> Result<axum::Json<CaseDto>, WebError> {
    let id = CaseId(id);
    let p = &state.platform;
    let a = p.authorize_intake(caller.principal(), &id).await?;
    match body.action {
        IntakeAction::Accept => p.accept(&a).await?,
        IntakeAction::Refuse => p.refuse(&a, &body.reason).await?,
        IntakeAction::RequestSupplement => {
            p.request_supplement(&a, &body.missing, &body.reason)
                .await?
        }
    };
    Ok(axum::Json(view(&state, &caller, &id, "受理后查看").await?))
}

/// A supplement: what it answers (the whole case, or one returned item) and corrected or added
/// answers.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Supplement {
    /// Absent for the case-level request; an item code for an item returned by a reviewer.
    pub item: Option<String>,
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
}

/// The applicant's supplement (or the window's, entering it for them).
#[utoipa::path(post, path = "/api/v1/cases/{id}/supplement", tag = "cases", request_body = Supplement, params(("id" = String, Path)),
    responses((status = 200, body = CaseDto), (status = 401, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 409, description = "Nothing awaits a supplement", body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn supplement(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Supplement>,
) -> Result<axum::Json<CaseDto>, WebError> {
    let id = CaseId(id);
    let p = &state.platform;
    let scope = match &body.item {
        None => SupplementScope::Case,
        Some(code) => SupplementScope::Item(ItemCode::parse(code).map_err(|e| {
            WebError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "selection.unknown_item",
                e.to_string(),
            )
        })?),
    };
    match caller.principal() {
        Principal::Citizen { .. } => {
            let a = p.authorize_own_case(caller.principal(), &id).await?;
            p.supplement(&a, scope, body.answers).await?
        }
        Principal::Staff { .. } => {
            let a = p.authorize_intake(caller.principal(), &id).await?;
            p.supplement_at_window(&a, scope, body.answers).await?
        }
    };
    Ok(axum::Json(view(&state, &caller, &id, "补正后查看").await?))
}

/// Withdrawal.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Withdrawal {
    pub reason: String,
}

/// The applicant withdraws before conclusion; concluded items keep their result.
#[utoipa::path(post, path = "/api/v1/cases/{id}/withdrawal", tag = "cases", request_body = Withdrawal, params(("id" = String, Path)),
    responses((status = 200, body = CaseDto), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 409, description = "Already concluded", body = ErrorEnvelope),
        (status = 422, description = "A reason is required", body = ErrorEnvelope)))]
pub async fn withdrawal(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Withdrawal>,
) -> Result<axum::Json<CaseDto>, WebError> {
    let id = CaseId(id);
    let a = state
        .platform
        .authorize_own_case(caller.principal(), &id)
        .await?;
    state.platform.withdraw(&a, &body.reason).await?;
    Ok(axum::Json(view(&state, &caller, &id, "撤回后查看").await?))
}
