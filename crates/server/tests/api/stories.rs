//! The spine's stories, driven over HTTP by the people who do them.

use domain::ids::DisabilityCategory;
use serde_json::{Value, json};
use testkit::app::{TestApp, TestEngine, engines, spawn_app};

use crate::support::*;

const ITEMS: [&str; 3] = ["cert.new", "subsidy.nursing", "pension.subsidy"];

/// Approves the item's open tasks one after another until it concludes.
async fn approve_through(desk: &mut Desk, app: &TestApp, case_id: &str, code: &str) -> Value {
    for _ in 0..8 {
        let c = desk.approve(app, case_id, code).await;
        if item(&c, code)["status"] == "concluded" {
            return c;
        }
    }
    panic!("{code} did not conclude after eight approvals");
}

/// Applies online as the citizen: pre-check, then submission; the case id.
async fn apply_online(app: &TestApp, token: &str, body: &Value) -> String {
    let pre = post(app, "/api/v1/precheck")
        .token(Some(token))
        .json(&json!({"id_number": body["id_number"], "items": body["items"]}))
        .send()
        .await
        .expect(200);
    assert!(
        pre.json["form"].as_array().is_some_and(|s| !s.is_empty()),
        "{}",
        pre.json
    );
    assert!(
        pre.json["materials"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        pre.json
    );
    let r = post(app, "/api/v1/applications")
        .token(Some(token))
        .header("Idempotency-Key", "story-1")
        .json(body)
        .send()
        .await
        .expect(201);
    assert!(
        r.json["number"]
            .as_str()
            .is_some_and(|n| n.starts_with("YJS-321302-")),
        "{}",
        r.json
    );
    r.json["case_id"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_new_certificate_with_two_benefits_ends_in_one_notice_with_three_results() {
    for engine in engines() {
        a_new_certificate_with_two_benefits_ends_in_one_notice_with_three_results_on(engine).await;
    }
}

async fn a_new_certificate_with_two_benefits_ends_in_one_notice_with_three_results_on(
    engine: TestEngine,
) {
    let app = spawn_app(engine, "2026-11-02").await;
    let mut desk = Desk::default();
    let id = testkit::id_number("321302", "19800501", 13);
    let me = citizen(&app, &id).await;

    // The pre-check says the benefits wait for the certificate.
    let pre = post(&app, "/api/v1/precheck")
        .token(Some(&me))
        .json(&json!({"id_number": id.as_str(), "items": ITEMS}))
        .send()
        .await
        .expect(200);
    let verdict = |code: &str| {
        pre.json["eligibility"]
            .as_array()
            .and_then(|e| e.iter().find(|v| v["item"] == code))
            .map(|v| v["verdict"].clone())
    };
    assert_eq!(verdict("cert.new"), Some(json!("eligible")), "{}", pre.json);
    assert_eq!(verdict("subsidy.nursing"), Some(json!("not_yet")));

    let body = application(&app, &id, "李华", &ITEMS, &[("household.urban", "yes")]);
    let case_id = apply_online(&app, &me, &body).await;
    let mine = case(&app, &me, &case_id).await;
    assert_eq!(mine["status"], "submitted");
    assert_eq!(
        mine["applicant"]["id_number"],
        id.as_str(),
        "the applicant sees their own number"
    );

    let window = desk.token(&app, "window.321302").await;
    let accepted = post(&app, &format!("/api/v1/cases/{case_id}/acceptance"))
        .token(Some(&window))
        .json(&json!({"action": "accept"}))
        .send()
        .await
        .expect(200)
        .json;
    assert_eq!(accepted["status"], "in_progress");
    for code in ["subsidy.nursing", "pension.subsidy"] {
        assert_eq!(item(&accepted, code)["status"], "waiting", "{code}");
        assert_eq!(item(&accepted, code)["waiting_for"], json!(["cert.new"]));
    }

    // Days later: yesterday's sessions have expired; everyone logs in again.
    app.clock.set("2026-11-05");
    let mut desk = Desk::default();
    let me = citizen(&app, &id).await;
    desk.decide(&app, &case_id, "cert.new", assessment("physical", 1, true))
        .await;
    let c = approve_through(&mut desk, &app, &case_id, "cert.new").await;
    for code in ["subsidy.nursing", "pension.subsidy"] {
        assert_eq!(item(&c, code)["status"], "in_progress", "{code}");
    }
    approve_through(&mut desk, &app, &case_id, "pension.subsidy").await;
    approve_through(&mut desk, &app, &case_id, "subsidy.nursing").await;

    let done = case(&app, &me, &case_id).await;
    assert_eq!(done["status"], "concluded", "{:?}", app.engine);
    let notice = &done["notice"]["items"];
    assert_eq!(notice.as_array().map(Vec::len), Some(3), "{done}");
    assert!(
        notice
            .as_array()
            .is_some_and(|n| n.iter().all(|i| i["result"] == "approved")),
        "{notice}"
    );
    assert!(done["timeline"].as_array().is_some_and(|t| t.len() >= 10));

    // A supervisor reads it with the ID number masked: first 6 and last 4.
    let supervisor = desk.token(&app, "supervisor.city").await;
    let seen = case(&app, &supervisor, &case_id).await;
    assert_eq!(seen["applicant"]["visibility"], "masked");
    let masked = seen["applicant"]["id_number"].as_str().unwrap_or_default();
    assert!(
        masked.starts_with(&id.as_str()[..6])
            && masked.ends_with(&id.as_str()[14..])
            && !masked.contains(&id.as_str()[6..14]),
        "{masked}"
    );

    // Now holding a certificate, a second 新办 is refused with the reason.
    let again = application(&app, &id, "李华", &["cert.new"], &[]);
    let r = post(&app, "/api/v1/applications")
        .token(Some(&me))
        .json(&again)
        .send()
        .await
        .expect_error(422, "application.blocked");
    assert!(
        r.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("残疾人证"))
    );
}

#[tokio::test]
async fn a_refused_certificate_concludes_the_benefits_as_not_eligible() {
    for engine in engines() {
        a_refused_certificate_concludes_the_benefits_as_not_eligible_on(engine).await;
    }
}

async fn a_refused_certificate_concludes_the_benefits_as_not_eligible_on(engine: TestEngine) {
    let app = spawn_app(engine, "2026-11-02").await;
    let mut desk = Desk::default();
    let id = testkit::id_number("321302", "19750310", 21);
    let window = desk.token(&app, "window.321302").await;
    let body = application(&app, &id, "赵敏", &ITEMS, &[("household.urban", "yes")]);
    let case_id = submit(&app, &window, &body).await;
    post(&app, &format!("/api/v1/cases/{case_id}/acceptance"))
        .token(Some(&window))
        .json(&json!({"action": "accept"}))
        .send()
        .await
        .expect(200);
    let c = desk
        .decide(
            &app,
            &case_id,
            "cert.new",
            json!({"decision": "reject", "reason": "经评定未达到残疾标准"}),
        )
        .await;
    assert_eq!(c["status"], "concluded", "{c}");
    assert_eq!(item(&c, "cert.new")["outcome"]["result"], "rejected");
    for code in ["subsidy.nursing", "pension.subsidy"] {
        let outcome = &item(&c, code)["outcome"];
        assert_eq!(outcome["result"], "not_eligible", "{code}");
        assert!(
            outcome["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{outcome}"
        );
    }
}

#[tokio::test]
async fn employment_difficulty_waits_for_the_unemployment_registration() {
    for engine in engines() {
        employment_difficulty_waits_for_the_unemployment_registration_on(engine).await;
    }
}

async fn employment_difficulty_waits_for_the_unemployment_registration_on(engine: TestEngine) {
    let app = spawn_app(engine, "2026-11-02").await;
    let mut desk = Desk::default();
    let id = testkit::id_number("321311", "19900715", 33);
    seed_holder(
        &app,
        &id,
        "钱进",
        "321311001",
        DisabilityCategory::Physical,
        3,
        false,
    )
    .await;
    let window = desk.token(&app, "window.321311").await;
    let items = ["employment.unemployment", "employment.difficulty"];
    let body = application(
        &app,
        &id,
        "钱进",
        &items,
        &[("applicant.hukou_region", "321311001")],
    );
    let case_id = submit(&app, &window, &body).await;
    let c = post(&app, &format!("/api/v1/cases/{case_id}/acceptance"))
        .token(Some(&window))
        .json(&json!({"action": "accept"}))
        .send()
        .await
        .expect(200)
        .json;
    assert_eq!(item(&c, "employment.difficulty")["status"], "waiting");
    assert_eq!(
        item(&c, "employment.difficulty")["waiting_for"],
        json!(["employment.unemployment"])
    );
    let c = approve_through(&mut desk, &app, &case_id, "employment.unemployment").await;
    assert_eq!(item(&c, "employment.difficulty")["status"], "in_progress");
    let c = approve_through(&mut desk, &app, &case_id, "employment.difficulty").await;
    assert_eq!(c["status"], "concluded");
}

#[tokio::test]
async fn cancellation_with_another_item_and_a_second_certificate_are_refused_at_submission() {
    for engine in engines() {
        cancellation_with_another_item_and_a_second_certificate_are_refused_at_submission_on(
            engine,
        )
        .await;
    }
}

async fn cancellation_with_another_item_and_a_second_certificate_are_refused_at_submission_on(
    engine: TestEngine,
) {
    let app = spawn_app(engine, "2026-11-02").await;
    let id = testkit::id_number("321302", "19600301", 31);
    seed_holder(
        &app,
        &id,
        "吴十",
        "321302001",
        DisabilityCategory::Visual,
        1,
        false,
    )
    .await;
    let window = staff(&app, "window.321302").await;
    let before = stored_counts(&app).await;
    let cancel = application(&app, &id, "吴十", &["cert.cancel", "subsidy.nursing"], &[]);
    let r = post(&app, "/api/v1/applications")
        .token(Some(&window))
        .json(&cancel)
        .send()
        .await;
    assert_eq!(r.status, 422, "{}", r.json);
    assert!(r.code().starts_with("selection."), "{}", r.json);
    let new = application(&app, &id, "吴十", &["cert.new"], &[]);
    post(&app, "/api/v1/applications")
        .token(Some(&window))
        .json(&new)
        .send()
        .await
        .expect_error(422, "application.blocked");
    assert_eq!(
        stored_counts(&app).await,
        before,
        "a refusal stores nothing"
    );
}

#[tokio::test]
async fn a_returned_item_pauses_its_clock_across_the_national_day_holiday() {
    for engine in engines() {
        a_returned_item_pauses_its_clock_across_the_national_day_holiday_on(engine).await;
    }
}

async fn a_returned_item_pauses_its_clock_across_the_national_day_holiday_on(engine: TestEngine) {
    let app = spawn_app(engine, "2026-09-18").await;
    let mut desk = Desk::default();
    let id = testkit::id_number("321302", "19800501", 41);
    seed_holder(
        &app,
        &id,
        "孙立",
        "321302001",
        DisabilityCategory::Physical,
        1,
        true,
    )
    .await;
    let me = citizen(&app, &id).await;
    let body = application(&app, &id, "孙立", &["fuel.subsidy"], &[]);
    let case_id = submit(&app, &me, &body).await;
    let window = desk.token(&app, "window.321302").await;
    let c = post(&app, &format!("/api/v1/cases/{case_id}/acceptance"))
        .token(Some(&window))
        .json(&json!({"action": "accept"}))
        .send()
        .await
        .expect(200)
        .json;
    let due = |c: &Value| -> chrono::NaiveDate {
        let text = item(c, "fuel.subsidy")["deadline"]["due"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .unwrap_or_else(|e| panic!("due {text:?}: {e}"))
    };
    let before = due(&c);

    app.clock.set("2026-09-24");
    let mut desk = Desk::default();
    let c = desk
        .decide(
            &app,
            &case_id,
            "fuel.subsidy",
            json!({"decision": "return", "reason": "行驶证照片不清晰", "missing": ["机动轮椅车行驶证"]}),
        )
        .await;
    assert_eq!(item(&c, "fuel.subsidy")["status"], "returned");
    assert_eq!(item(&c, "fuel.subsidy")["deadline"]["paused"], true);

    app.clock.set("2026-10-09");
    let me = citizen(&app, &id).await;
    let c = post(&app, &format!("/api/v1/cases/{case_id}/supplement"))
        .token(Some(&me))
        .json(&json!({"item": "fuel.subsidy", "answers": {}}))
        .send()
        .await
        .expect(200)
        .json;
    assert_eq!(item(&c, "fuel.subsidy")["status"], "in_progress");
    // Paused working days in (09-24, 10-09]: Sep 28, 29, 30, Oct 8, 9.
    let expected = app.platform.calendar.add_working_days(before, 5).value;
    assert_eq!(due(&c), expected, "{:?}", app.engine);
}

#[tokio::test]
async fn an_agent_with_a_recorded_relationship_applies_and_withdraws_for_the_person() {
    for engine in engines() {
        an_agent_with_a_recorded_relationship_applies_and_withdraws_for_the_person_on(engine).await;
    }
}

async fn an_agent_with_a_recorded_relationship_applies_and_withdraws_for_the_person_on(
    engine: TestEngine,
) {
    let app = spawn_app(engine, "2026-11-02").await;
    let person = testkit::id_number("321302", "19500101", 51);
    let agent = testkit::id_number("321302", "19780202", 52);
    seed_holder(
        &app,
        &person,
        "周老",
        "321302001",
        DisabilityCategory::Intellectual,
        2,
        false,
    )
    .await;
    let agent_token = citizen(&app, &agent).await;
    let mut body = application(&app, &person, "周老", &["subsidy.nursing"], &[]);
    body["via_agent"] = json!(true);
    body["answers"]["agent.id_number"] = json!(agent.as_str());
    body["answers"]["agent.name"] = json!("周小军");
    body["answers"]["agent.phone"] = json!("13700002222");
    body["answers"]["agent.relationship"] = json!("child");

    // Without a recorded relationship the agent may not apply.
    post(&app, "/api/v1/applications")
        .token(Some(&agent_token))
        .json(&body)
        .send()
        .await
        .expect_error(422, "validation_failed");

    let window = staff(&app, "window.321302").await;
    let proof = upload(
        &app,
        &window,
        b"%PDF-1.7\n% guardianship\n",
        "application/pdf",
    )
    .await;
    post(&app, "/api/v1/agent-links")
        .token(Some(&window))
        .json(&json!({
            "person_id_number": person.as_str(),
            "agent_id_number": agent.as_str(),
            "relationship": "guardian",
            "proof_file": proof,
        }))
        .send()
        .await
        .expect(201);
    let case_id = submit(&app, &agent_token, &body).await;
    let c = case(&app, &agent_token, &case_id).await;
    assert_eq!(c["status"], "submitted");
    let c = post(&app, &format!("/api/v1/cases/{case_id}/withdrawal"))
        .token(Some(&agent_token))
        .json(&json!({"reason": "老人已住院，暂不申请"}))
        .send()
        .await
        .expect(200)
        .json;
    assert_eq!(c["status"], "withdrawn");
}

/// Uploads a file; its id.
pub async fn upload(app: &TestApp, token: &str, bytes: &[u8], media_type: &str) -> String {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec())
        .file_name("proof.pdf")
        .mime_str(media_type)
        .expect("a media type");
    let r = post(app, "/api/v1/files")
        .token(Some(token))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect(201);
    r.json["id"].as_str().unwrap_or_default().to_owned()
}

/// Every story, one after another on one engine.
pub async fn all_on(engine: TestEngine) {
    a_new_certificate_with_two_benefits_ends_in_one_notice_with_three_results_on(engine).await;
    a_refused_certificate_concludes_the_benefits_as_not_eligible_on(engine).await;
    employment_difficulty_waits_for_the_unemployment_registration_on(engine).await;
    cancellation_with_another_item_and_a_second_certificate_are_refused_at_submission_on(engine)
        .await;
    a_returned_item_pauses_its_clock_across_the_national_day_holiday_on(engine).await;
    an_agent_with_a_recorded_relationship_applies_and_withdraws_for_the_person_on(engine).await;
}
