//! Logging in and out.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use serde::{Deserialize, Serialize};
use service::auth::{Principal, Session};
use utoipa::ToSchema;

use super::json::ApiJson;
use crate::AppState;
use crate::error::{ErrorEnvelope, WebError};
use crate::session::{COOKIE, Caller};

/// Staff login.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StaffLogin {
    pub username: String,
    pub password: String,
}

/// A new session. API clients send `token` as a bearer token; pages use the cookie set with it
/// and echo `csrf_token` in `X-CSRF-Token` on writes.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    pub token: String,
    pub csrf_token: String,
    pub role: String,
    pub role_label: String,
    /// The region scope of staff (`321300/321302…`).
    pub scope: Option<String>,
    /// Idle timeout, minutes.
    pub idle_minutes: u64,
}

fn session_dto(state: &AppState, token: String, s: &Session) -> SessionDto {
    let (role, scope) = match &s.principal {
        Principal::Staff { role, scope, .. } => (*role, Some(scope.0.clone())),
        Principal::Citizen { .. } => (domain::access::Role::Applicant, None),
    };
    SessionDto {
        token,
        csrf_token: s.csrf.clone(),
        role: role.key().to_owned(),
        role_label: role.label().to_owned(),
        scope,
        idle_minutes: state.platform.auth.idle.as_secs() / 60,
    }
}

fn with_cookie(
    state: &AppState,
    jar: CookieJar,
    token: &str,
    status: StatusCode,
    body: SessionDto,
) -> Response {
    let cookie = crate::session::cookie(state, token);
    (status, jar.add(cookie), axum::Json(body)).into_response()
}

/// Staff login with a password. Five failures within fifteen minutes lock the username.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = StaffLogin,
    responses(
        (status = 201, description = "Logged in", body = SessionDto),
        (status = 401, description = "Wrong username or password", body = ErrorEnvelope),
        (status = 429, description = "Locked after repeated failures", body = ErrorEnvelope),
    ))]
pub async fn login(
    State(state): State<Arc<AppState>>,
    jar: CookieJar,
    ApiJson(body): ApiJson<StaffLogin>,
) -> Result<Response, WebError> {
    let (token, session) = state
        .platform
        .login_staff(body.username.trim(), &body.password)
        .await?;
    let dto = session_dto(&state, token.clone(), &session);
    Ok(with_cookie(&state, jar, &token, StatusCode::CREATED, dto))
}

/// Logs out: the session ends at once.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Logged out"), (status = 401, body = ErrorEnvelope)))]
pub async fn logout(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    jar: CookieJar,
) -> Result<Response, WebError> {
    state.platform.logout(&caller.token).await?;
    Ok((
        StatusCode::NO_CONTENT,
        jar.remove(Cookie::build(COOKIE).path("/").build()),
    )
        .into_response())
}

/// A request for a one-time login code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeRequest {
    /// 居民身份证号码.
    pub id_number: String,
}

/// Where the code went.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeSent {
    /// In demo mode only: the code itself (standing in for the provincial unified identity
    /// login and the SMS it sends).
    pub demo_code: Option<String>,
    pub notice: String,
}

/// Sends a one-time login code for an ID number (valid 5 minutes).
#[utoipa::path(post, path = "/api/v1/citizen/login-code", tag = "session", request_body = CodeRequest,
    responses((status = 200, body = CodeSent), (status = 422, body = ErrorEnvelope)))]
pub async fn request_code(
    State(state): State<Arc<AppState>>,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<axum::Json<CodeSent>, WebError> {
    let code = state.platform.request_login_code(&body.id_number).await?;
    let notice = if code.is_some() {
        "演示模式：此处代替江苏省统一身份认证登录，验证码直接显示，不发送短信。".to_owned()
    } else {
        "验证码已发送到您登记的手机，5 分钟内有效。".to_owned()
    };
    Ok(axum::Json(CodeSent {
        demo_code: code,
        notice,
    }))
}

/// Citizen login.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CitizenLogin {
    pub id_number: String,
    pub code: String,
}

/// Citizen login with the ID number and the one-time code.
#[utoipa::path(post, path = "/api/v1/citizen/session", tag = "session", request_body = CitizenLogin,
    responses((status = 201, body = SessionDto), (status = 401, body = ErrorEnvelope)))]
pub async fn citizen_login(
    State(state): State<Arc<AppState>>,
    jar: CookieJar,
    ApiJson(body): ApiJson<CitizenLogin>,
) -> Result<Response, WebError> {
    let (token, session) = state
        .platform
        .login_citizen(&body.id_number, &body.code)
        .await?;
    let dto = session_dto(&state, token.clone(), &session);
    Ok(with_cookie(&state, jar, &token, StatusCode::CREATED, dto))
}

/// Who am I.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    pub role: String,
    pub role_label: String,
    pub scope: Option<String>,
    pub csrf_token: String,
}

/// The caller's session.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = MeDto), (status = 401, body = ErrorEnvelope)))]
pub async fn me(caller: Caller) -> axum::Json<MeDto> {
    let role = caller.principal().role();
    let scope = match caller.principal() {
        Principal::Staff { scope, .. } => Some(scope.0.clone()),
        Principal::Citizen { .. } => None,
    };
    axum::Json(MeDto {
        role: role.key().to_owned(),
        role_label: role.label().to_owned(),
        scope,
        csrf_token: caller.session.csrf.clone(),
    })
}
