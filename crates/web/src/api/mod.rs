//! The JSON API under `/api/v1`, described by an OpenAPI 3 document generated from the handlers
//! themselves (utoipa): a route cannot exist without its description.

mod agents;
mod applications;
mod auth;
mod cases;
mod catalog;
mod dto;
mod files;
mod json;
mod tasks;

use std::sync::Arc;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "残疾人服务「一件事」联办平台 API",
        version = "1",
        description = "One application for many services for disabled people in Suqian: catalog, pre-check, \
                       submission, intake, review tasks, decisions and the combined notice. Errors share one \
                       envelope: `{\"error\": {\"code\", \"message\", \"fields\", \"request_id\"}}`. Staff log in \
                       with a password (`POST /api/v1/session`), citizens with their ID number and a one-time \
                       code; send the token as `Authorization: Bearer …`, or use the session cookie and echo \
                       the CSRF token in `X-CSRF-Token` for writes."
    ),
    components(schemas(crate::error::ErrorEnvelope, crate::error::ErrorBody, crate::error::FieldProblem)),
    tags(
        (name = "session", description = "登录与会话"),
        (name = "catalog", description = "事项目录"),
        (name = "applications", description = "预审与申请"),
        (name = "cases", description = "办件：受理、补正、撤回、查询"),
        (name = "tasks", description = "审核任务与决定"),
    )
)]
struct ApiDoc;

/// The API routes and their document.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login, auth::logout))
        .routes(routes!(auth::request_code))
        .routes(routes!(auth::citizen_login))
        .routes(routes!(auth::me))
        .routes(routes!(catalog::items))
        .routes(routes!(catalog::scenarios))
        .routes(routes!(applications::precheck))
        .routes(routes!(applications::submit))
        .routes(routes!(cases::find))
        .routes(routes!(cases::get_case))
        .routes(routes!(cases::acceptance))
        .routes(routes!(cases::supplement))
        .routes(routes!(cases::withdrawal))
        .routes(routes!(tasks::inbox))
        .routes(routes!(tasks::decide))
        .routes(routes!(files::attach))
        .routes(routes!(files::download))
        .routes(routes!(agents::record))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(files::upload))
                // Room for the 10 MB file and the multipart framing; the service checks the size.
                .layer(axum::extract::DefaultBodyLimit::max(
                    10 * 1024 * 1024 + 64 * 1024,
                )),
        )
}
