//! Who is calling: the session behind a bearer token (API clients) or the session cookie
//! (pages). Cookie-authenticated writes must carry the session's CSRF token.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use service::auth::{AuthError, Principal, Session};

use crate::AppState;
use crate::error::WebError;

/// The session cookie's name.
pub const COOKIE: &str = "yjs_session";

/// The session cookie: HttpOnly, SameSite=Strict, `Secure` when configured (always in
/// production), for the whole site.
pub fn cookie(state: &AppState, token: &str) -> axum_extra::extract::cookie::Cookie<'static> {
    axum_extra::extract::cookie::Cookie::build((COOKIE, token.to_owned()))
        .http_only(true)
        .secure(state.secure_cookies)
        .same_site(axum_extra::extract::cookie::SameSite::Strict)
        .path("/")
        .build()
}

/// A logged-in caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub session: Session,
    pub token: String,
}

impl Caller {
    pub fn principal(&self) -> &Principal {
        &self.session.principal
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        let (token, cookie) = match bearer {
            Some(t) => (t, false),
            None => {
                let jar = CookieJar::from_headers(&parts.headers);
                let t = jar
                    .get(COOKIE)
                    .map(|c| c.value().to_owned())
                    .ok_or(AuthError::NotLoggedIn)?;
                (t, true)
            }
        };
        let session = state.platform.session(&token).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if cookie && !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if sent.is_empty() || sent != session.csrf {
                return Err(AuthError::Csrf.into());
            }
        }
        Ok(Caller { session, token })
    }
}
