//! The HTTP face of the platform: health endpoints, the status page and static assets. The full
//! JSON API and the citizen and staff pages are built on this router.

mod api;
mod error;
mod health;
mod layout;
mod login;
pub mod metrics;
mod origin;
mod session;
mod status;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

pub use error::WebError;

/// The platform on the store `serve` uses.
pub type Platform = service::Platform<store::Db>;

/// What every handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub platform: Arc<Platform>,
    /// Demo mode: synthetic data, generated keys; said on every page.
    pub demo: bool,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub version: &'static str,
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
}

/// The application's routes: pages, the JSON API and its OpenAPI document.
pub fn router(state: Arc<AppState>) -> Router {
    // Install the metrics recorder before the first request is counted.
    let _ = metrics::handle();
    let (api, doc) = api::router().split_for_parts();
    let json_doc = doc.clone();
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .route("/", get(status::page))
        .merge(forms())
        .route("/account", get(login::account))
        .route("/static/site.css", get(layout::stylesheet))
        .route(
            "/api/openapi.json",
            get(move || async move { axum::Json(json_doc) }),
        )
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/docs/openapi.json", doc))
        .merge(api)
        .fallback(layout::not_found)
        .route_layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
        .layer(axum::middleware::from_fn(error::envelope))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// The pages' form posts, refused when a browser says they come from another site.
fn forms() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/login",
            get(login::citizen_page).post(login::citizen_login),
        )
        .route("/login/code", axum::routing::post(login::request_code))
        .route(
            "/staff/login",
            get(login::staff_login_page).post(login::staff_login),
        )
        .route("/logout", axum::routing::post(login::logout))
        .route_layer(axum::middleware::from_fn(origin::same_origin))
}

/// The OpenAPI document of the API (for tests and tools).
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::router().split_for_parts().1
}
