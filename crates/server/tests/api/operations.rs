//! Operations: health, readiness and Prometheus metrics.

use testkit::app::{TestEngine, spawn_app};

use crate::support::*;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app(TestEngine::Sqlite, "2026-11-02").await;
    get(&app, "/healthz").send().await.expect(200);
    let ready = get(&app, "/readyz").send().await.expect(200);
    assert_eq!(ready.json["status"], "ready");
    assert_eq!(ready.json["database"], "ok");

    // A case, and a request to a route with an id in it.
    let window = staff(&app, "window.321302").await;
    let id = testkit::id_number("321302", "19800501", 81);
    let case_id = submit(
        &app,
        &window,
        &application(&app, &id, "冯一", &["cert.new"], &[]),
    )
    .await;
    case(&app, &window, &case_id).await;

    let m = get(&app, "/metrics").send().await.expect(200);
    let text = String::from_utf8_lossy(&m.bytes).into_owned();
    assert!(
        text.lines().any(|l| l.starts_with("http_requests_total{")
            && l.contains("route=\"/api/v1/cases/{id}\"")
            && l.contains("status=\"200\"")),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("yjs_cases{status=\"submitted\"}")),
        "{text}"
    );
    assert!(text.contains("yjs_tasks_overdue"), "{text}");
    // The submission went through the group-commit writer.
    let commits: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("yjs_writer_commits_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(commits >= 1, "{text}");
    assert!(text.contains("yjs_writer_busy_seconds "), "{text}");
    assert!(!text.contains(&case_id), "ids stay out of metrics");
    assert!(!text.contains(id.as_str()));
}
