//! A reviewer's inbox over HTTP: soonest due first; filters for due soon, overdue, item and
//! region.

use domain::ids::DisabilityCategory;
use serde_json::{Value, json};
use testkit::app::{TestApp, TestEngine, engines, spawn_app};

use crate::support::*;

async fn accepted_fuel_case(app: &TestApp, window: &str, seq: u32, township: &str) -> String {
    let id = testkit::id_number("321302", "19800501", seq);
    seed_holder(
        app,
        &id,
        "褚一",
        township,
        DisabilityCategory::Physical,
        1,
        true,
    )
    .await;
    let body = application(
        app,
        &id,
        "褚一",
        &["fuel.subsidy"],
        &[("applicant.hukou_region", township)],
    );
    let case_id = submit(app, window, &body).await;
    post(app, &format!("/api/v1/cases/{case_id}/acceptance"))
        .token(Some(window))
        .json(&json!({"action": "accept"}))
        .send()
        .await
        .expect(200);
    case_id
}

async fn inbox(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    get(app, &format!("/api/v1/tasks{query}"))
        .token(Some(token))
        .send()
        .await
        .expect(200)
        .json
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn cases(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l["case_id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_inbox_is_sorted_by_deadline_and_filters_by_due_overdue_item_and_region() {
    for engine in engines() {
        inbox_on(engine).await;
    }
}

async fn inbox_on(engine: TestEngine) {
    let app = spawn_app(engine, "2026-11-02").await;
    let window = staff(&app, "window.321302").await;
    let early = accepted_fuel_case(&app, &window, 121, "321302001").await;
    app.clock.set("2026-11-16");
    let window = staff(&app, "window.321302").await;
    let late = accepted_fuel_case(&app, &window, 123, "321302002").await;
    let reviewer = staff(&app, "canlian.321302").await;

    let all = inbox(&app, &reviewer, "").await;
    assert_eq!(
        cases(&all),
        vec![early.clone(), late.clone()],
        "soonest due first"
    );
    let due = |l: &Value| l["deadline"]["due"].as_str().unwrap_or_default().to_owned();
    assert!(due(&all[0]) < due(&all[1]));
    assert_eq!(
        cases(&inbox(&app, &reviewer, "?item=fuel.subsidy").await).len(),
        2
    );
    assert!(
        inbox(&app, &reviewer, "?item=subsidy.nursing")
            .await
            .is_empty()
    );
    assert_eq!(
        cases(&inbox(&app, &reviewer, "?region=321302002").await),
        vec![late.clone()]
    );
    assert!(
        inbox(&app, &reviewer, "?region=321311001").await.is_empty(),
        "another county's region gives nothing, not an error"
    );

    // The day after the early task's deadline: it is overdue, the late one is not.
    let first_due = chrono::NaiveDate::parse_from_str(&due(&all[0]), "%Y-%m-%d").unwrap();
    app.clock
        .set(&(first_due + chrono::Duration::days(1)).to_string());
    let reviewer = staff(&app, "canlian.321302").await;
    let overdue = inbox(&app, &reviewer, "?filter=overdue").await;
    assert_eq!(cases(&overdue), vec![early.clone()]);
    assert_eq!(overdue[0]["deadline"]["state"], "overdue");
    let soon = inbox(&app, &reviewer, "?filter=due_soon").await;
    assert!(!cases(&soon).contains(&early), "overdue is not 'due soon'");

    for bad in ["?filter=someday", "?item=subsidy.flying", "?region=99"] {
        let r = get(&app, &format!("/api/v1/tasks{bad}"))
            .token(Some(&reviewer))
            .send()
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.json);
    }
}
