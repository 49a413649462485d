//! Logs never contain personal data: the stories run (at debug level, SQL included), then the
//! logs are searched for every ID number, name, phone, address and account number sent.

use testkit::app::TestEngine;

use crate::support::personal_data_sent;

#[tokio::test]
async fn the_logs_of_the_stories_hold_no_personal_data() {
    crate::stories::all_on(TestEngine::Sqlite).await;
    let logs = testkit::app::logs();
    assert!(
        logs.contains("/api/v1/applications") && logs.contains("request_id"),
        "the logs were captured, with request ids"
    );
    let sent = personal_data_sent();
    assert!(sent.len() >= 10, "{sent:?}");
    let leaked: Vec<&String> = sent.iter().filter(|v| logs.contains(v.as_str())).collect();
    assert!(leaked.is_empty(), "personal data in the logs: {leaked:?}");
}
