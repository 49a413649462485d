//! Login pages: citizens with their ID number and a one-time code (in demo mode standing in for
//! the provincial unified identity login, and saying so), staff with a password; the account page
//! and logout. The session lives in the HttpOnly cookie; the logout form carries the session's
//! CSRF token. Forms validate on the server and re-render with an error summary (GOV.UK pattern).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use serde::Deserialize;
use service::ServiceError;
use service::auth::{AuthError, Principal};

use crate::AppState;
use crate::layout::{Layout, ModeQuery, render};
use crate::session::{COOKIE, cookie};

/// One entry of an error summary: the field it links to and the message.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "login_citizen.html")]
struct CitizenPage {
    layout: Layout,
    errors: Vec<FieldError>,
    id_number: String,
    id_error: Option<String>,
    logged_out: bool,
}

#[derive(Template)]
#[template(path = "login_code.html")]
struct CodePage {
    layout: Layout,
    errors: Vec<FieldError>,
    id_number: String,
    masked_id: String,
    demo_code: Option<String>,
    code_error: Option<String>,
}

#[derive(Template)]
#[template(path = "login_staff.html")]
struct StaffPage {
    layout: Layout,
    errors: Vec<FieldError>,
    username: String,
    failed: bool,
    message: String,
    max_failures: u32,
    window_minutes: u64,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    role_label: &'static str,
    scope_name: Option<String>,
    idle_minutes: u64,
    absolute_hours: u64,
    csrf_token: String,
}

/// Pages that show a code or a session are never cached.
fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `?logged_out=1` after logging out.
#[derive(Debug, Deserialize, Default)]
pub struct LoginQuery {
    pub a11y_mode: Option<String>,
    pub logged_out: Option<String>,
}

/// Keeps the chosen display mode across a redirect (only the known modes).
fn with_mode(path: &str, mode: Option<&str>) -> String {
    match mode {
        Some(m @ ("care" | "hc" | "font-200")) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}a11y_mode={m}")
        }
        _ => path.to_owned(),
    }
}

fn layout(state: &AppState, a11y_mode: Option<String>) -> Layout {
    Layout::new(&ModeQuery { a11y_mode }, state.demo)
}

/// 群众登录: the ID number.
pub async fn citizen_page(
    State(state): State<Arc<AppState>>,
    Query(q): Query<LoginQuery>,
) -> Response {
    let page = CitizenPage {
        layout: layout(&state, q.a11y_mode),
        errors: Vec::new(),
        id_number: String::new(),
        id_error: None,
        logged_out: q.logged_out.is_some(),
    };
    render(&page, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    pub a11y_mode: Option<String>,
    #[serde(default)]
    pub id_number: String,
}

/// Spaces and hyphens people type into long numbers are ignored; `x` is read as `X`.
fn normalize_id(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_uppercase()
}

/// Sends (in demo mode: shows) the one-time code, then asks for it.
pub async fn request_code(
    State(state): State<Arc<AppState>>,
    Form(form): Form<CodeForm>,
) -> Response {
    let id_number = normalize_id(&form.id_number);
    let fail = |message: String| {
        let page = CitizenPage {
            layout: layout(&state, form.a11y_mode.clone()),
            errors: vec![FieldError {
                field: "id_number",
                message: message.clone(),
            }],
            id_number: form.id_number.clone(),
            id_error: Some(message),
            logged_out: false,
        };
        render(&page, StatusCode::UNPROCESSABLE_ENTITY)
    };
    if id_number.is_empty() {
        return fail("请输入居民身份证号码".to_owned());
    }
    match state.platform.request_login_code(&id_number).await {
        Ok(demo_code) => {
            let page = CodePage {
                layout: layout(&state, form.a11y_mode.clone()),
                errors: Vec::new(),
                masked_id: domain::ids::mask_id_like(&id_number),
                id_number,
                demo_code,
                code_error: None,
            };
            no_store(render(&page, StatusCode::OK))
        }
        Err(ServiceError::Invalid(fields)) => fail(
            fields
                .first()
                .map_or_else(|| "居民身份证号码不正确".to_owned(), |f| f.message.clone()),
        ),
        Err(e) => {
            tracing::error!(error = %e, "login code could not be issued");
            fail("暂时无法发送验证码，请稍后重试".to_owned())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CitizenForm {
    pub a11y_mode: Option<String>,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub code: String,
}

/// Logs a citizen in with the code; on to the account page.
pub async fn citizen_login(
    State(state): State<Arc<AppState>>,
    jar: CookieJar,
    Form(form): Form<CitizenForm>,
) -> Response {
    let id_number = normalize_id(&form.id_number);
    let code: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    let message = if code.is_empty() {
        "请输入验证码".to_owned()
    } else {
        match state.platform.login_citizen(&id_number, &code).await {
            Ok((token, _)) => {
                return (jar.add(cookie(&state, &token)), Redirect::to("/account")).into_response();
            }
            Err(e) => e.to_string(),
        }
    };
    let page = CodePage {
        layout: layout(&state, form.a11y_mode.clone()),
        errors: vec![FieldError {
            field: "code",
            message: message.clone(),
        }],
        masked_id: domain::ids::mask_id_like(&id_number),
        id_number,
        demo_code: None,
        code_error: Some(message),
    };
    no_store(render(&page, StatusCode::UNAUTHORIZED))
}

fn staff_page(
    state: &AppState,
    mode: Option<String>,
    username: String,
    failure: Option<String>,
) -> StaffPage {
    let auth = &state.platform.auth;
    StaffPage {
        layout: layout(state, mode),
        errors: failure
            .iter()
            .map(|m| FieldError {
                field: "username",
                message: m.clone(),
            })
            .collect(),
        username,
        failed: failure.is_some(),
        message: failure.unwrap_or_default(),
        max_failures: auth.max_failures,
        window_minutes: auth.failure_window.as_secs() / 60,
    }
}

/// 工作人员登录.
pub async fn staff_login_page(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ModeQuery>,
) -> Response {
    render(
        &staff_page(&state, q.a11y_mode, String::new(), None),
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub struct StaffForm {
    pub a11y_mode: Option<String>,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
}

pub async fn staff_login(
    State(state): State<Arc<AppState>>,
    jar: CookieJar,
    Form(form): Form<StaffForm>,
) -> Response {
    let username = form.username.trim().to_owned();
    let (status, message) = if username.is_empty() || form.password.is_empty() {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "请输入用户名和密码".to_owned(),
        )
    } else {
        match state.platform.login_staff(&username, &form.password).await {
            Ok((token, _)) => {
                return (jar.add(cookie(&state, &token)), Redirect::to("/account")).into_response();
            }
            Err(e @ AuthError::Locked { .. }) => (StatusCode::TOO_MANY_REQUESTS, e.to_string()),
            Err(e) => (StatusCode::UNAUTHORIZED, e.to_string()),
        }
    };
    render(
        &staff_page(&state, form.a11y_mode, username, Some(message)),
        status,
    )
}

/// The logged-in account; without a session, the login page.
pub async fn account(
    State(state): State<Arc<AppState>>,
    jar: CookieJar,
    Query(q): Query<ModeQuery>,
) -> Response {
    let Some(token) = jar.get(COOKIE).map(|c| c.value().to_owned()) else {
        return Redirect::to("/login").into_response();
    };
    let Ok(session) = state.platform.session(&token).await else {
        return Redirect::to("/login").into_response();
    };
    let p = &state.platform;
    let scope_name = match &session.principal {
        Principal::Staff { scope, .. } => scope
            .0
            .rsplit('/')
            .next()
            .and_then(|c| domain::region::RegionCode::parse(c).ok())
            .map(|c| p.regions.name(&c)),
        Principal::Citizen { .. } => None,
    };
    let page = AccountPage {
        layout: Layout::new(&q, state.demo),
        role_label: session.principal.role().label(),
        scope_name,
        idle_minutes: p.auth.idle.as_secs() / 60,
        absolute_hours: p.auth.absolute.as_secs() / 3600,
        csrf_token: session.csrf.clone(),
    };
    no_store(render(&page, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    pub a11y_mode: Option<String>,
    #[serde(default)]
    pub csrf_token: String,
}

/// Ends the session named by the cookie, if the form carries its CSRF token.
pub async fn logout(
    State(state): State<Arc<AppState>>,
    jar: CookieJar,
    Form(form): Form<LogoutForm>,
) -> Response {
    let token = jar.get(COOKIE).map(|c| c.value().to_owned());
    if let Some(token) = token
        && let Ok(session) = state.platform.session(&token).await
    {
        if form.csrf_token.is_empty() || form.csrf_token != session.csrf {
            return (StatusCode::FORBIDDEN, "页面已过期，请刷新后重试").into_response();
        }
        if let Err(e) = state.platform.logout(&token).await {
            tracing::error!(error = %e, "logout failed");
        }
    }
    (
        jar.remove(Cookie::build(COOKIE).path("/").build()),
        Redirect::to(&with_mode("/login?logged_out=1", form.a11y_mode.as_deref())),
    )
        .into_response()
}
