//! Guardian and agent relationships, recorded at the window with proof.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use service::agents::AgentLinkRequest;
use utoipa::ToSchema;

use super::json::ApiJson;
use crate::AppState;
use crate::error::{ErrorEnvelope, WebError};
use crate::session::Caller;

/// A relationship to record.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AgentLinkBody {
    /// The ID number of the person acted for (already in the registry, within the clerk's scope).
    pub person_id_number: String,
    /// The ID number of the guardian or agent.
    pub agent_id_number: String,
    /// `guardian` (监护人) or `agent` (委托代办人).
    pub relationship: String,
    /// The id of the uploaded proof (`POST /api/v1/files`).
    pub proof_file: String,
}

/// The recorded relationship.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentLinkDto {
    pub relationship: String,
    pub relationship_label: String,
    pub proof_file: String,
}

/// Records that a guardian or agent may act for a person (window clerks, with proof). From then
/// on the agent, logged in with their own ID number, may apply for the person (`via_agent`),
/// read, supplement and withdraw the person's cases.
#[utoipa::path(post, path = "/api/v1/agent-links", tag = "cases", request_body = AgentLinkBody,
    responses(
        (status = 201, body = AgentLinkDto),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, description = "No such person within the caller's scope", body = ErrorEnvelope),
        (status = 422, body = ErrorEnvelope),
    ))]
pub async fn record(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<AgentLinkBody>,
) -> Result<(StatusCode, axum::Json<AgentLinkDto>), WebError> {
    let link = state
        .platform
        .record_agent_link(
            caller.principal(),
            &AgentLinkRequest {
                person_id_number: body.person_id_number,
                agent_id_number: body.agent_id_number,
                relationship: body.relationship,
                proof_file: body.proof_file,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(AgentLinkDto {
            relationship: link.relationship.key().to_owned(),
            relationship_label: link.relationship.label().to_owned(),
            proof_file: link.proof_file,
        }),
    ))
}
