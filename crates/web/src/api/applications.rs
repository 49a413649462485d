//! Pre-check and submission of an application.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use domain::application::Selection;
use domain::catalog::FieldType;
use serde::{Deserialize, Serialize};
use service::SubmitRequest;
use utoipa::ToSchema;

use super::dto::{EligibilityDto, eligibility};
use super::json::ApiJson;
use crate::AppState;
use crate::error::{ErrorEnvelope, WebError};
use crate::session::Caller;

/// A selection of items for a person.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PrecheckRequest {
    /// The person's 居民身份证号码.
    pub id_number: String,
    /// A scenario code, if the items were chosen through one.
    pub scenario: Option<String>,
    pub items: Vec<String>,
    /// Applying through a guardian or agent.
    #[serde(default)]
    pub via_agent: bool,
}

/// A field of the merged form.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDto {
    pub key: String,
    pub label: String,
    pub hint: Option<String>,
    /// text, long_text, id_number, phone, date, integer, boolean, choice, region, bank_account, certificate_number
    pub r#type: &'static str,
    pub required: bool,
    pub options: Vec<(String, String)>,
    /// The items that ask for it (a shared field appears once for all of them).
    pub used_by: Vec<String>,
    /// The value known from the registry (only for the person themself or the window clerk).
    pub prefill: Option<String>,
}

/// A section of the merged form.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionDto {
    pub title: String,
    pub item: Option<String>,
    pub fields: Vec<FieldDto>,
}

/// A material of the merged list.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaterialDto {
    pub code: String,
    pub name: String,
    pub required: bool,
    pub needed_by: Vec<String>,
    /// An e-licence or shared data proves it: the applicant need not submit it (免提交).
    pub waived_by: Option<String>,
    pub notes: Vec<String>,
}

/// The pre-check.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrecheckDto {
    pub items: Vec<String>,
    pub eligibility: Vec<EligibilityDto>,
    /// Items the submission would refuse, and why.
    pub refusals: Vec<(String, String)>,
    pub form: Vec<SectionDto>,
    pub materials: Vec<MaterialDto>,
    /// The person is in the registry.
    pub known_person: bool,
}

fn type_key(t: &FieldType) -> &'static str {
    match t {
        FieldType::Text { .. } => "text",
        FieldType::LongText { .. } => "long_text",
        FieldType::IdNumber => "id_number",
        FieldType::Phone => "phone",
        FieldType::Date => "date",
        FieldType::Integer { .. } => "integer",
        FieldType::Boolean => "boolean",
        FieldType::Choice { .. } => "choice",
        FieldType::Region => "region",
        FieldType::BankAccount => "bank_account",
        FieldType::CertificateNumber => "certificate_number",
    }
}

/// Per item: eligible / not yet / not eligible with the reason; what would be refused; the
/// merged form (prefilled where allowed) and the merged material list.
#[utoipa::path(post, path = "/api/v1/precheck", tag = "applications", request_body = PrecheckRequest,
    responses(
        (status = 200, body = PrecheckDto),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 422, description = "Bad ID number, unknown item, forbidden combination", body = ErrorEnvelope),
    ))]
pub async fn precheck(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<PrecheckRequest>,
) -> Result<axum::Json<PrecheckDto>, WebError> {
    let selection = Selection {
        scenario: body.scenario,
        items: body.items,
    };
    let p = state
        .platform
        .precheck(
            caller.principal(),
            &body.id_number,
            &selection,
            body.via_agent,
        )
        .await?;
    let form = p
        .form
        .sections
        .iter()
        .map(|s| SectionDto {
            title: s.title.clone(),
            item: s.item.as_ref().map(ToString::to_string),
            fields: s
                .fields
                .iter()
                .map(|f| FieldDto {
                    key: f.def.key.clone(),
                    label: f.def.label.clone(),
                    hint: f.def.hint.clone(),
                    r#type: type_key(&f.def.ty),
                    required: f.required,
                    options: match &f.def.ty {
                        FieldType::Choice { options } => options.clone(),
                        _ => Vec::new(),
                    },
                    used_by: f.used_by.iter().map(ToString::to_string).collect(),
                    prefill: p.prefill.get(&f.def.key).cloned(),
                })
                .collect(),
        })
        .collect();
    Ok(axum::Json(PrecheckDto {
        items: p.items.iter().map(ToString::to_string).collect(),
        eligibility: p.eligibility.iter().map(eligibility).collect(),
        refusals: p
            .refusals
            .iter()
            .map(|(c, r)| (c.to_string(), r.clone()))
            .collect(),
        form,
        materials: p
            .materials
            .into_iter()
            .map(|m| MaterialDto {
                code: m.code,
                name: m.name,
                required: m.required,
                needed_by: m.needed_by.iter().map(ToString::to_string).collect(),
                waived_by: m.waived_by,
                notes: m.notes,
            })
            .collect(),
        known_person: p.known,
    }))
}

/// An application.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplicationRequest {
    /// The applicant's 居民身份证号码.
    pub id_number: String,
    pub scenario: Option<String>,
    pub items: Vec<String>,
    /// The answers of the merged form, by field key.
    pub answers: BTreeMap<String, String>,
    /// Made by a recorded guardian or agent.
    #[serde(default)]
    pub via_agent: bool,
}

/// A submitted application: the case and its number.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmittedDto {
    pub case_id: String,
    pub number: String,
}

/// Submits an application. With an `Idempotency-Key` header a retry returns the same case.
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications", request_body = ApplicationRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key (kept 24 hours, per caller) return the same case")),
    responses(
        (status = 201, description = "Submitted", body = SubmittedDto),
        (status = 200, description = "A retry: the case of the first request", body = SubmittedDto),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 422, description = "Invalid form, refused combination, unmet prerequisite, outside Suqian", body = ErrorEnvelope),
    ))]
pub async fn submit(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ApplicationRequest>,
) -> Result<(StatusCode, axum::Json<SubmittedDto>), WebError> {
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_owned));
    let key = match key {
        None => None,
        Some(Ok(k)) if !k.is_empty() && k.len() <= 128 => Some(k),
        Some(_) => {
            return Err(WebError::bad_request(
                "idempotency_key.invalid",
                "Idempotency-Key 须为 1 至 128 个字符",
            ));
        }
    };
    let request = SubmitRequest {
        id_number: body.id_number,
        selection: Selection {
            scenario: body.scenario,
            items: body.items,
        },
        answers: body.answers,
        via_agent: body.via_agent,
    };
    let (submitted, replay) = state
        .platform
        .submit_once(caller.principal(), key.as_deref(), request)
        .await?;
    let status = if replay {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        axum::Json(SubmittedDto {
            case_id: submitted.case_id.0,
            number: submitted.number.to_string(),
        }),
    ))
}
