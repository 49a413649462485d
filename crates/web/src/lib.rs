//! The HTTP face of the platform: health endpoints, the status page and static assets. The full
//! JSON API and the citizen and staff pages are built on this router.

mod error;
mod health;
mod layout;
mod status;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use service::{Platform, Store};

pub use error::WebError;

/// What every handler can reach.
#[derive(Debug)]
pub struct AppState<S> {
    pub platform: Arc<Platform<S>>,
    /// Demo mode: synthetic data, generated keys; said on every page.
    pub demo: bool,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub version: &'static str,
}

/// The application's routes.
pub fn router<S: Store>(state: Arc<AppState<S>>) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz::<S>))
        .route("/", get(status::page::<S>))
        .route("/static/site.css", get(layout::stylesheet))
        .fallback(layout::not_found::<S>)
        .with_state(state)
        .layer(tower_http::trace::TraceLayer::new_for_http())
}
