//! The page frame: display modes, the demo banner, the stylesheet and the not-found page.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;

/// What the frame of every page needs.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Classes on `<html>`: `care`, `hc`, `font-200`.
    pub modes: String,
    pub mode: String,
    pub demo: bool,
}

/// `?a11y_mode=` — a display mode chosen for this page.
#[derive(Debug, Deserialize, Default)]
pub struct ModeQuery {
    pub a11y_mode: Option<String>,
}

impl Layout {
    pub fn new(query: &ModeQuery, demo: bool) -> Self {
        let mode = match query.a11y_mode.as_deref() {
            Some(m @ ("care" | "hc" | "font-200")) => m.to_owned(),
            _ => "normal".to_owned(),
        };
        let modes = if mode == "normal" {
            String::new()
        } else {
            mode.clone()
        };
        Self { modes, mode, demo }
    }
}

/// Renders a template as an HTML response; a rendering failure is logged and answered 500.
pub fn render(template: &impl Template, status: StatusCode) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "页面生成失败，请稍后重试",
            )
                .into_response()
        }
    }
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/site.css"),
    )
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFound {
    layout: Layout,
}

pub async fn not_found(State(state): State<Arc<AppState>>, Query(q): Query<ModeQuery>) -> Response {
    render(
        &NotFound {
            layout: Layout::new(&q, state.demo),
        },
        StatusCode::NOT_FOUND,
    )
}
