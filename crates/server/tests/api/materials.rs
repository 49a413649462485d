//! Material files read back: the case lists what was given, and whoever may read the case
//! downloads the very bytes, audited; outside the region, or for a file that is not a material
//! of that case, there is nothing.

use serde_json::json;
use sqlx::Row;
use testkit::app::{engines, spawn_app};

use crate::stories::upload;
use crate::support::*;

#[tokio::test]
async fn a_reviewer_downloads_the_material_the_window_gave_and_nobody_else_finds_it() {
    for engine in engines() {
        let app = spawn_app(engine, "2026-11-02").await;
        let window = staff(&app, "window.321302").await;
        let id = testkit::id_number("321302", "19800501", 81);
        let body = application(&app, &id, "钱晓梅", &["cert.new"], &[]);
        let case = submit(&app, &window, &body).await;
        let pdf = b"%PDF-1.7\n% the applicant's ID card, scanned\n".to_vec();
        let file = upload(&app, &window, &pdf, "application/pdf").await;
        let other = upload(&app, &window, b"%PDF-1.7\n% another\n", "application/pdf").await;
        post(&app, &format!("/api/v1/cases/{case}/materials"))
            .token(Some(&window))
            .json(&json!({"material": "id_card", "file": file}))
            .send()
            .await
            .expect(204);

        let reviewer = staff(&app, "canlian.321302").await;
        let c = get(&app, &format!("/api/v1/cases/{case}"))
            .token(Some(&reviewer))
            .send()
            .await
            .expect(200);
        let listed = c.json["materials"].as_array().cloned().unwrap_or_default();
        assert_eq!(listed.len(), 1, "{}", c.json["materials"]);
        assert_eq!(listed[0]["file_id"], file.as_str());
        assert_eq!(listed[0]["material"], "id_card");
        assert_eq!(listed[0]["media_type"], "application/pdf");
        assert!(
            listed[0]["material_name"]
                .as_str()
                .is_some_and(|n| !n.is_empty() && n != "id_card"),
            "{}",
            listed[0]
        );

        let url = format!("/api/v1/cases/{case}/materials/{file}");
        let r = get(&app, &url)
            .token(Some(&reviewer))
            .send()
            .await
            .expect(200);
        assert_eq!(
            r.bytes, pdf,
            "the very bytes, opened from their sealed form"
        );
        let header = |name: &str| {
            r.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("content-type"), "application/pdf");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert!(
            header("content-disposition").starts_with("attachment;"),
            "{}",
            header("content-disposition")
        );

        // Another county's reviewer: the same answer as for a case that does not exist.
        let outsider = staff(&app, "canlian.321311").await;
        let outside = get(&app, &url)
            .token(Some(&outsider))
            .send()
            .await
            .expect_error(404, "not_found");
        let ghost = get(
            &app,
            &format!("/api/v1/cases/01a1a1a1-0000-7000-8000-000000000000/materials/{file}"),
        )
        .token(Some(&outsider))
        .send()
        .await
        .expect_error(404, "not_found");
        assert_eq!(
            outside.json["error"]["message"],
            ghost.json["error"]["message"]
        );
        // A stored file that is not a material of this case.
        get(&app, &format!("/api/v1/cases/{case}/materials/{other}"))
            .token(Some(&reviewer))
            .send()
            .await
            .expect_error(404, "not_found");

        // The download is in the audit log, as a read of the file with its purpose.
        app.platform.auditor.flush().await.unwrap();
        let audited: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'file.read' AND subject = $1",
        )
        .bind(format!("file:{file}"))
        .fetch_one(app.platform.store.pool())
        .await
        .unwrap()
        .get("n");
        assert_eq!(audited, 1, "one download, one audited read");
    }
}
