//! Material files: uploaded once (checked by content, size-limited, stored once, sealed), then
//! referred to from any item of a case.

use std::sync::Arc;

use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::catalog::ItemCode;
use domain::workflow::CaseId;
use serde::{Deserialize, Serialize};
use service::auth::Principal;
use utoipa::ToSchema;

use super::json::ApiJson;
use crate::AppState;
use crate::error::{ErrorEnvelope, WebError};
use crate::session::Caller;

/// A stored file.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileDto {
    /// Refer to the file by this id when attaching it.
    pub id: String,
    /// `application/pdf`, `image/jpeg` or `image/png`, as read from the content.
    pub media_type: String,
    pub size: u64,
}

/// The upload form: one part named `file`.
#[derive(Debug, ToSchema)]
#[allow(
    dead_code,
    reason = "describes the multipart body for the OpenAPI document"
)]
pub struct UploadForm {
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    pub file: String,
}

/// Uploads a material file (JPG, PNG or PDF, smaller than 10 MB). The type is read from the
/// content; a file whose content does not match its declared type is refused.
#[utoipa::path(post, path = "/api/v1/files", tag = "cases", request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = FileDto),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 413, description = "Too large", body = ErrorEnvelope),
        (status = 415, description = "Not JPG/PNG/PDF, or disguised", body = ErrorEnvelope),
        (status = 422, description = "Empty, or no file part", body = ErrorEnvelope),
    ))]
pub async fn upload(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    mut form: Multipart,
) -> Result<(StatusCode, axum::Json<FileDto>), WebError> {
    if !caller
        .principal()
        .role()
        .may(domain::access::Permission::UploadFiles)
    {
        return Err(service::ServiceError::Forbidden.into());
    }
    let bad = || {
        WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "file.missing",
            "请选择要上传的文件",
        )
    };
    let mut stored = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| WebError::bad_request("file.unreadable", "所选文件无法上传，请重试"))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let declared = field.content_type().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                WebError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "file.too_large",
                    "所选文件必须小于 10MB",
                )
            } else {
                WebError::bad_request("file.unreadable", "所选文件无法上传，请重试")
            }
        })?;
        let actor = caller.principal().actor();
        stored = Some(
            state
                .platform
                .upload_file(&actor, declared.as_deref(), &bytes)
                .await?,
        );
        break;
    }
    let f = stored.ok_or_else(bad)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(FileDto {
            id: f.id,
            media_type: f.media_type.as_str().to_owned(),
            size: f.size,
        }),
    ))
}

/// A material of a case.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Attach {
    /// A material code of the catalog, e.g. `id_card`.
    pub material: String,
    pub file: String,
    /// The item it is for; absent for the whole application.
    pub item: Option<String>,
}

/// Refers to an uploaded file as a material of the case (for one item or all of them).
#[utoipa::path(post, path = "/api/v1/cases/{id}/materials", tag = "cases", request_body = Attach, params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn attach(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Attach>,
) -> Result<StatusCode, WebError> {
    let case = CaseId(id);
    let p = &state.platform;
    match caller.principal() {
        Principal::Citizen { .. } => {
            p.authorize_own_case(caller.principal(), &case).await?;
        }
        Principal::Staff { .. } => {
            p.authorize_intake(caller.principal(), &case).await?;
        }
    }
    let item = match &body.item {
        Some(code) => Some(ItemCode::parse(code).map_err(|e| {
            WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "selection.unknown_item",
                e.to_string(),
            )
        })?),
        None => None,
    };
    p.attach_material(
        &caller.principal().actor(),
        &case,
        &body.material,
        &body.file,
        item.as_ref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Downloads a material file of a case, for whoever may read the case (the same answer as the
/// case itself outside the reader's region: not found). The read is audited before anything
/// is sent; the file is served as an attachment with its content-checked type.
#[utoipa::path(get, path = "/api/v1/cases/{id}/materials/{file}", tag = "cases",
    params(("id" = String, Path, description = "case id"), ("file" = String, Path, description = "file id")),
    responses(
        (status = 200, description = "The file (PDF, JPEG or PNG)", content_type = "application/octet-stream"),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, description = "No such case for this reader, or the file is not a material of it", body = ErrorEnvelope),
    ))]
pub async fn download(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let case = CaseId(id);
    let p = &state.platform;
    let read = p.authorize_read(caller.principal(), &case).await?;
    let given = p.case_materials(&case).await?;
    let Some(material) = given.iter().find(|m| m.file_id == file) else {
        return Err(WebError::not_found());
    };
    p.audit_read(
        &read.actor,
        &service::audit::file_subject(&file),
        &format!("查看办件 {} 的材料", case.0),
    )
    .await?;
    let (media_type, content) = p.file(&file).await?;
    let name = format!("{}.{}", material.material, media_type.extension());
    Ok((
        [
            (header::CONTENT_TYPE, media_type.as_str().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        content,
    )
        .into_response())
}
