//! Bad input gets a 4xx with the error envelope and changes nothing.

use serde_json::json;
use testkit::app::{engines, spawn_app};

use crate::support::*;

fn file(bytes: Vec<u8>, name: &str, media_type: &str) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(media_type)
        .expect("a media type");
    reqwest::multipart::Form::new().part("file", part)
}

#[tokio::test]
async fn bad_input_gets_the_envelope_and_stores_nothing() {
    for engine in engines() {
        let app = spawn_app(engine, "2026-11-02").await;
        let window = staff(&app, "window.321302").await;
        let id = testkit::id_number("321302", "19800501", 71);
        let good = application(&app, &id, "林一", &["cert.new", "subsidy.nursing"], &[]);
        let before = stored_counts(&app).await;
        let submit = |body: serde_json::Value| {
            let app = &app;
            let window = window.clone();
            async move {
                post(app, "/api/v1/applications")
                    .token(Some(&window))
                    .json(&body)
                    .send()
                    .await
            }
        };

        // A bad ID number (wrong check digit): the field and why.
        let mut bad_id = good.clone();
        let wrong = format!(
            "{}{}",
            &id.as_str()[..17],
            if id.as_str().ends_with('1') { '2' } else { '1' }
        );
        bad_id["id_number"] = json!(wrong);
        let r = submit(bad_id).await.expect_error(422, "validation_failed");
        let field = &r.json["error"]["fields"][0];
        assert_eq!(field["field"], "applicant.id_number", "{}", r.json);
        assert!(
            field["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("id_number."))
        );

        // An unknown item code.
        let mut unknown = good.clone();
        unknown["items"] = json!(["cert.new", "subsidy.flying"]);
        submit(unknown)
            .await
            .expect_error(422, "selection.unknown_item");

        // A forbidden combination: 注销 with anything else.
        let mut forbidden = good.clone();
        forbidden["items"] = json!(["cert.cancel", "subsidy.nursing"]);
        let r = submit(forbidden).await;
        assert_eq!(r.status, 422, "{}", r.json);
        assert!(r.code().starts_with("selection."), "{}", r.json);

        // A missing required answer names the field.
        let mut missing = good.clone();
        missing["answers"]
            .as_object_mut()
            .expect("answers")
            .remove("applicant.name");
        let r = submit(missing).await.expect_error(422, "validation_failed");
        assert!(
            r.json["error"]["fields"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f["field"] == "applicant.name")),
            "{}",
            r.json
        );

        // Malformed JSON, a wrong type, and not JSON at all.
        post(&app, "/api/v1/applications")
            .token(Some(&window))
            .raw("application/json", "{\"id_number\": ")
            .send()
            .await
            .expect_error(400, "bad_json");
        post(&app, "/api/v1/applications")
            .token(Some(&window))
            .raw(
                "application/json",
                r#"{"id_number": 5, "items": "cert.new"}"#,
            )
            .send()
            .await
            .expect_error(422, "bad_request_body");
        post(&app, "/api/v1/applications")
            .token(Some(&window))
            .raw("text/plain", "id_number=1")
            .send()
            .await
            .expect_error(415, "bad_content_type");

        // Uploads: too large, disguised, not a material type, empty.
        let upload = |form: reqwest::multipart::Form| {
            let app = &app;
            let window = window.clone();
            async move {
                post(app, "/api/v1/files")
                    .token(Some(&window))
                    .multipart(form)
                    .send()
                    .await
            }
        };
        let mut big = b"%PDF-1.7\n".to_vec();
        big.resize(10 * 1024 * 1024 + 1, b'0');
        let r = upload(file(big, "big.pdf", "application/pdf")).await;
        assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.bytes));
        assert_eq!(r.code(), "file.too_large");
        upload(file(
            b"MZ\x90\x00 not really a picture".to_vec(),
            "photo.jpg",
            "image/jpeg",
        ))
        .await
        .expect_error(415, "file.disguised");
        upload(file(b"%PDF-1.7\n%%EOF".to_vec(), "photo.png", "image/png"))
            .await
            .expect_error(415, "file.disguised");
        upload(file(b"GIF89a....".to_vec(), "anim.gif", "image/gif"))
            .await
            .expect_error(415, "file.unsupported_type");
        upload(file(Vec::new(), "empty.pdf", "application/pdf"))
            .await
            .expect_error(422, "file.empty");

        assert_eq!(
            stored_counts(&app).await,
            before,
            "nothing stored ({:?})",
            app.engine
        );
        // And the good application still goes through.
        submit(good).await.expect(201);
    }
}

#[tokio::test]
async fn every_error_has_the_envelope_and_the_request_id_sent() {
    let app = spawn_app(testkit::app::TestEngine::Sqlite, "2026-11-02").await;
    let r = get(&app, "/api/v1/cases/nope")
        .header("X-Request-Id", "trace-42")
        .send()
        .await
        .expect_error(401, "auth.required");
    assert_eq!(r.json["error"]["request_id"], "trace-42");
    assert_eq!(
        r.headers.get("x-request-id").and_then(|v| v.to_str().ok()),
        Some("trace-42")
    );
    let window = staff(&app, "window.321302").await;
    get(&app, "/api/v1/cases/nope")
        .token(Some(&window))
        .send()
        .await
        .expect_error(404, "not_found");
    get(&app, "/api/v1/tasks")
        .token(Some(&window))
        .send()
        .await
        .expect_error(403, "forbidden");
    get(&app, "/api/v1/cases?number=nonsense")
        .token(Some(&window))
        .send()
        .await
        .expect_error(422, "case_number.invalid");
}
