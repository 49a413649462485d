//! Prometheus metrics at `/metrics`: request counts and latencies by route, cases by status,
//! overdue tasks and the group-commit writer's work. No personal data: routes are the matched
//! patterns (`/api/v1/cases/{id}`), never the ids themselves.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use service::ports::Health;

use crate::AppState;

const LATENCY: &str = "http_request_duration_seconds";
const BUCKETS: [f64; 12] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
];
/// How long the database figures are reused: scrapes must not load the database.
const GAUGE_TTL: Duration = Duration::from_secs(10);

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
static GAUGES_AT: Mutex<Option<Instant>> = Mutex::new(None);

/// The process-wide recorder (installed once; later calls get the same handle).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(LATENCY.to_owned()), &BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => {
                    describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder already set; /metrics disabled");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    metrics::describe_counter!(
        "http_requests_total",
        "HTTP requests by method, route and status"
    );
    metrics::describe_histogram!(
        LATENCY,
        metrics::Unit::Seconds,
        "HTTP request latency by method and route"
    );
    metrics::describe_gauge!("yjs_cases", "Cases by status");
    metrics::describe_gauge!("yjs_tasks_overdue", "Open review tasks past their deadline");
    metrics::describe_counter!(
        "yjs_writer_batches_total",
        "Transactions the group-commit writer has written"
    );
    metrics::describe_counter!(
        "yjs_writer_commits_total",
        "Case commits the group-commit writer has made durable"
    );
    metrics::describe_gauge!(
        "yjs_writer_busy_seconds",
        metrics::Unit::Seconds,
        "Time the group-commit writer has spent writing since start (a rate near 1 means it is the bottleneck)"
    );
    metrics::describe_gauge!(
        "yjs_writer_durable_seconds",
        metrics::Unit::Seconds,
        "Of the writer's time, the part in COMMIT: writing and syncing the log"
    );
}

/// The writer's figures live in memory: read at every scrape.
fn writer_figures(state: &AppState) {
    let Some(w) = state.platform.store.writer_stats() else {
        return;
    };
    metrics::counter!("yjs_writer_batches_total").absolute(w.batches);
    metrics::counter!("yjs_writer_commits_total").absolute(w.commits);
    metrics::gauge!("yjs_writer_busy_seconds").set(w.busy.as_secs_f64());
    metrics::gauge!("yjs_writer_durable_seconds").set(w.durable.as_secs_f64());
}

/// Counts and times every request by its route pattern.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(LATENCY, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

async fn refresh_gauges(state: &AppState) {
    let due = GAUGES_AT
        .lock()
        .map(|mut at| {
            let stale = at.is_none_or(|t| t.elapsed() >= GAUGE_TTL);
            if stale {
                *at = Some(Instant::now());
            }
            stale
        })
        .unwrap_or(false);
    if !due {
        return;
    }
    let p = &state.platform;
    match p.store.case_counts().await {
        Ok(counts) => {
            for status in [
                "submitted",
                "awaiting_supplement",
                "in_progress",
                "refused",
                "withdrawn",
                "concluded",
            ] {
                let n = counts
                    .iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n);
                #[allow(clippy::cast_precision_loss, reason = "a count far below 2^52")]
                metrics::gauge!("yjs_cases", "status" => status).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count cases"),
    }
    let today = domain::time::shanghai_date(p.clock.now());
    match p.store.overdue_tasks(today).await {
        #[allow(clippy::cast_precision_loss, reason = "a count far below 2^52")]
        Ok(n) => metrics::gauge!("yjs_tasks_overdue").set(n as f64),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count overdue tasks"),
    }
}

/// The Prometheus text exposition.
pub async fn render(State(state): State<Arc<AppState>>) -> Response {
    let Some(handle) = handle() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    refresh_gauges(&state).await;
    writer_figures(&state);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}
