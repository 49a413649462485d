//! Reads and decisions over HTTP land in the audit chain: who, what, when and why; a read that
//! cannot be audited shows nothing.

use domain::ids::DisabilityCategory;
use serde_json::json;
use service::ports::AuditStore;
use sqlx::Row;
use testkit::app::{engines, spawn_app};

use crate::support::*;

#[tokio::test]
async fn reads_and_decisions_are_in_the_audit_chain() {
    for engine in engines() {
        let app = spawn_app(engine, "2026-11-02").await;
        let window = staff(&app, "window.321302").await;
        let id = testkit::id_number("321302", "19800501", 131);
        let case_id = submit(
            &app,
            &window,
            &application(&app, &id, "蒋一", &["cert.new"], &[]),
        )
        .await;
        let supervisor = staff(&app, "supervisor.city").await;
        case(&app, &supervisor, &case_id).await;
        post(&app, &format!("/api/v1/cases/{case_id}/acceptance"))
            .token(Some(&window))
            .json(&json!({"action": "refuse", "reason": "非本人申请"}))
            .send()
            .await
            .expect(200);
        let holder = testkit::id_number("321302", "19600101", 133);
        seed_holder(
            &app,
            &holder,
            "蒋二",
            "321302001",
            DisabilityCategory::Visual,
            1,
            false,
        )
        .await;
        let hotline = staff(&app, "hotline.city").await;
        post(&app, "/api/v1/precheck")
            .token(Some(&hotline))
            .json(&json!({"id_number": holder.as_str(), "items": ["subsidy.nursing"]}))
            .send()
            .await
            .expect(200);

        app.platform.auditor.flush().await.unwrap();
        app.platform.store.seal_audit().await.unwrap();
        let rows = sqlx::query("SELECT actor, action, subject, reason FROM audit_log ORDER BY seq")
            .fetch_all(app.platform.store.pool())
            .await
            .unwrap();
        let got: Vec<(String, String, String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.get("actor"),
                    r.get("action"),
                    r.get("subject"),
                    r.get("reason"),
                )
            })
            .collect();
        let subject = format!("case:{case_id}");
        let has = |actor: &str, action: &str, subject: &str, reason: &str| {
            got.iter().any(|(a, x, s, r)| {
                a.starts_with(actor) && x == action && s.starts_with(subject) && r == reason
            })
        };
        assert!(
            has("staff:demo-window.321302", "case.submit", &subject, ""),
            "{got:#?}"
        );
        assert!(
            has(
                "staff:demo-supervisor.city",
                "case.read",
                &subject,
                "查看办件"
            ),
            "{got:#?}"
        );
        assert!(
            has(
                "staff:demo-window.321302",
                "case.refuse",
                &subject,
                "非本人申请"
            ),
            "{got:#?}"
        );
        assert!(
            has(
                "staff:demo-window.321302",
                "case.read",
                &subject,
                "受理后查看"
            ),
            "{got:#?}"
        );
        assert!(
            has("staff:demo-hotline.city", "person.read", "person:", "预审"),
            "{got:#?}"
        );
        for (_, _, s, r) in &got {
            assert!(
                !s.contains(id.as_str()) && !r.contains("蒋"),
                "no personal data: {s} {r}"
            );
        }
        let verification = service::audit::verify(&app.platform.store).await.unwrap();
        assert!(verification.is_ok(), "{verification}");

        // Once the audit log cannot take a read, the read shows nothing.
        app.platform.auditor.close().await;
        let r = get(&app, &format!("/api/v1/cases/{case_id}"))
            .token(Some(&supervisor))
            .send()
            .await
            .expect_error(500, "internal");
        assert!(
            r.json.get("items").is_none() && r.json.get("applicant").is_none(),
            "{}",
            r.json
        );
    }
}
