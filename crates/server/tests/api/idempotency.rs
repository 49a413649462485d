//! `Idempotency-Key`: a retried submit returns the same case, never a second one; the same key
//! with a different body is refused; keys belong to their caller and last 24 hours.

use serde_json::json;
use testkit::app::{engines, spawn_app};

use crate::support::*;

#[tokio::test]
async fn a_retried_submit_returns_the_same_case_and_a_changed_body_is_refused() {
    for engine in engines() {
        let app = spawn_app(engine, "2026-11-02").await;
        let window = staff(&app, "window.321302").await;
        let id = testkit::id_number("321302", "19800501", 61);
        let body = application(&app, &id, "陈一", &["cert.new", "subsidy.nursing"], &[]);
        let send = |key: &'static str, body: serde_json::Value, token: String| {
            let app = &app;
            async move {
                post(app, "/api/v1/applications")
                    .token(Some(&token))
                    .header("Idempotency-Key", key)
                    .json(&body)
                    .send()
                    .await
            }
        };
        let first = send("k-1", body.clone(), window.clone()).await.expect(201);
        let again = send("k-1", body.clone(), window.clone()).await.expect(200);
        assert_eq!(first.json, again.json, "the same case and number");
        let before = stored_counts(&app).await;
        assert_eq!(before[0], 1, "one case");

        // The same key with a different body: a clear error, nothing stored.
        let mut changed = body.clone();
        changed["answers"]["applicant.name"] = json!("陈二");
        let r = send("k-1", changed, window.clone())
            .await
            .expect_error(422, "idempotency_key.reused");
        assert!(
            r.json["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("Idempotency-Key"))
        );
        assert_eq!(stored_counts(&app).await, before);

        // Concurrent retries of a new key still make one case.
        let other = testkit::id_number("321302", "19810101", 63);
        let body2 = application(&app, &other, "陈三", &["cert.new"], &[]);
        let tries =
            futures::future::join_all((0..6).map(|_| send("k-2", body2.clone(), window.clone())))
                .await;
        let ids: std::collections::BTreeSet<String> = tries
            .iter()
            .filter(|r| r.status == 200 || r.status == 201)
            .map(|r| r.json["case_id"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(ids.len(), 1, "{tries:?}");
        assert!(
            tries.iter().all(|r| matches!(r.status, 200 | 201)
                || (r.status == 409 && r.code() == "idempotency_key.in_use")),
            "{tries:?}"
        );
        assert_eq!(stored_counts(&app).await[0], 2, "{:?}", app.engine);

        // Keys are the caller's own: another clerk's k-1 is a new submission.
        let city = staff(&app, "window.city").await;
        let third = testkit::id_number("321302", "19820202", 65);
        let body3 = application(&app, &third, "陈四", &["cert.new"], &[]);
        let r = send("k-1", body3.clone(), city.clone()).await.expect(201);
        assert_ne!(r.json["case_id"], first.json["case_id"]);

        // After 24 hours the key is forgotten: reused with another body, it is a new submission.
        app.clock.advance(chrono::Duration::hours(25));
        let window = staff(&app, "window.321302").await;
        let fourth = testkit::id_number("321302", "19830303", 69);
        let body4 = application(&app, &fourth, "陈六", &["cert.new"], &[]);
        send("k-1", body4, window).await.expect(201);
    }
}

#[tokio::test]
async fn a_bad_idempotency_key_is_refused() {
    let app = spawn_app(testkit::app::TestEngine::Sqlite, "2026-11-02").await;
    let window = staff(&app, "window.321302").await;
    let id = testkit::id_number("321302", "19800501", 67);
    let body = application(&app, &id, "陈五", &["cert.new"], &[]);
    let long = "k".repeat(129);
    post(&app, "/api/v1/applications")
        .token(Some(&window))
        .header("Idempotency-Key", &long)
        .json(&body)
        .send()
        .await
        .expect_error(400, "idempotency_key.invalid");
    assert_eq!(stored_counts(&app).await[0], 0);
}
