//! The window clerks' side: logging in, submitting, accepting, and reading a case back to check
//! that it is whole.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use domain::catalog::Catalog;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::db::Snapshot;

/// The items of every application: the certificate and two items that wait for it.
pub const ITEMS: [&str; 3] = ["cert.new", "subsidy.nursing", "pension.subsidy"];
/// The window clerks (demo accounts) and the county and township of their applicants.
pub const WINDOWS: [(&str, &str, &str); 2] = [
    ("window.321302", "321302", "321302001"),
    ("window.321311", "321311", "321311001"),
];
const NAME: &str = "崩溃测试";
/// A request that takes longer has hung (a safety valve, not a timing assertion).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// One application as sent.
#[derive(Debug, Clone)]
pub struct Submission {
    pub n: u32,
    /// Which of [`WINDOWS`] submits it.
    pub window: usize,
    pub key: String,
    pub id_number: String,
    pub body: Value,
}

/// An application and what its caller was told.
#[derive(Debug, Clone)]
pub struct Entry {
    pub submission: Submission,
    /// Case id and number, once a submission (or its retry) was answered with them.
    pub case: Option<(String, String)>,
    /// None: acceptance never asked; Some(false): asked, no answer; Some(true): answered 200.
    pub accept: Option<bool>,
    /// For a submission the crash left unanswered: whether its retry found it committed (200)
    /// or created it (201).
    pub recovered: Option<StatusCode>,
}

/// Logs the window clerks in; returns their bearer tokens.
pub async fn log_in(url: &str) -> [String; 2] {
    let client = reqwest::Client::new();
    let mut tokens = [String::new(), String::new()];
    for (token, (username, _, _)) in tokens.iter_mut().zip(WINDOWS) {
        let r = client
            .post(format!("{url}/api/v1/session"))
            .json(
                &json!({ "username": username, "password": service::demo_accounts::DEMO_PASSWORD }),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("login {username}: {e}"));
        assert_eq!(r.status(), StatusCode::CREATED, "login {username}");
        let body: Value = r.json().await.unwrap();
        *token = body["token"].as_str().unwrap().to_owned();
    }
    tokens
}

/// (case id, number) of a `SubmittedDto`.
pub fn submitted(body: &Value) -> Option<(String, String)> {
    Some((
        body["case_id"].as_str()?.to_owned(),
        body["number"].as_str()?.to_owned(),
    ))
}

/// A client of one running server.
#[derive(Debug, Clone)]
pub struct Api {
    client: reqwest::Client,
    url: String,
    tokens: [String; 2],
    catalog: Arc<Catalog>,
}

impl Api {
    pub fn new(url: &str, tokens: [String; 2], catalog: Arc<Catalog>) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()
                .unwrap(),
            url: url.to_owned(),
            tokens,
            catalog,
        }
    }

    /// Application `n`: a new person (a valid ID number of the window's county, unique per n,
    /// born in 1970), three items, every required answer.
    pub fn entry(&self, n: u32) -> Entry {
        let window = n as usize % WINDOWS.len();
        let (_, county, township) = WINDOWS[window];
        let birth = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
            + chrono::Duration::days(i64::from(n / 900));
        let id = testkit::id_number(county, &birth.format("%Y%m%d").to_string(), 100 + n % 900);
        let request = testkit::application(
            &self.catalog,
            &id,
            NAME,
            &ITEMS,
            &[
                ("applicant.hukou_region", township),
                ("household.urban", "yes"),
                ("pension.subsidy.student", "no"),
                ("pension.subsidy.employee_pension", "no"),
            ],
        );
        Entry {
            submission: Submission {
                n,
                window,
                key: format!("crash-{n}"),
                id_number: id.as_str().to_owned(),
                body: json!({
                    "id_number": request.id_number,
                    "items": request.selection.items,
                    "answers": request.answers,
                    "via_agent": false,
                }),
            },
            case: None,
            accept: None,
            recovered: None,
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> reqwest::Result<(StatusCode, Value)> {
        let r = request.send().await?;
        let status = r.status();
        let text = r.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    /// POST /api/v1/applications with the submission's Idempotency-Key.
    pub async fn submit(&self, s: &Submission) -> reqwest::Result<(StatusCode, Value)> {
        self.send(
            self.client
                .post(format!("{}/api/v1/applications", self.url))
                .bearer_auth(&self.tokens[s.window])
                .header("Idempotency-Key", &s.key)
                .json(&s.body),
        )
        .await
    }

    /// 受理 at the window.
    pub async fn accept(&self, window: usize, case: &str) -> reqwest::Result<(StatusCode, Value)> {
        self.send(
            self.client
                .post(format!("{}/api/v1/cases/{case}/acceptance", self.url))
                .bearer_auth(&self.tokens[window])
                .json(&json!({ "action": "accept" })),
        )
        .await
    }

    async fn case(&self, window: usize, case: &str) -> reqwest::Result<(StatusCode, Value)> {
        self.send(
            self.client
                .get(format!("{}/api/v1/cases/{case}", self.url))
                .bearer_auth(&self.tokens[window]),
        )
        .await
    }

    /// GET /api/v1/me with the window's token: the status and body.
    pub async fn me(&self, window: usize) -> reqwest::Result<(StatusCode, Value)> {
        self.send(
            self.client
                .get(format!("{}/api/v1/me", self.url))
                .bearer_auth(&self.tokens[window]),
        )
        .await
    }

    /// After a restart: retries the submission (the same case, or exactly one new one for a
    /// submission that got no answer), reads the case back and checks it whole and as stored
    /// before the restart; an acceptance that got no answer is found done or done again.
    pub async fn verify(&self, mut e: Entry, before: &Snapshot) -> (Entry, Vec<String>) {
        let mut problems = Vec::new();
        let s = e.submission.clone();
        let n = s.n;
        match (self.submit(&s).await, &e.case) {
            (Ok((StatusCode::OK, body)), Some(case)) if submitted(&body).as_ref() == Some(case) => {
            }
            (Ok((status, body)), Some((id, number))) => problems.push(format!(
                "submission {n}, answered {id} ({number}) before the crash: its retry got {status} {body}"
            )),
            (Ok((status @ (StatusCode::OK | StatusCode::CREATED), body)), None) => {
                match submitted(&body) {
                    Some(case) => {
                        e.case = Some(case);
                        e.recovered = Some(status);
                    }
                    None => problems.push(format!("submission {n}: its retry got {body}")),
                }
            }
            (Ok((status, body)), None) => problems.push(format!(
                "submission {n}, unanswered at the crash: its retry got {status} {body}"
            )),
            (Err(err), _) => problems.push(format!("submission {n}: its retry failed: {err}")),
        }
        let Some((id, number)) = e.case.clone() else {
            return (e, problems);
        };
        let view = match self.case(s.window, &id).await {
            Ok((StatusCode::OK, v)) => v,
            other => {
                problems.push(format!(
                    "case {id} ({number}) does not read back: {other:?}"
                ));
                return (e, problems);
            }
        };
        if let Some(stored) = before.get(&id) {
            let tasks: BTreeSet<(String, String)> = view["tasks"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| (str_of(&t["id"]), str_of(&t["status"])))
                .collect();
            let stored_tasks: BTreeSet<(String, String)> =
                stored.tasks.clone().into_iter().collect();
            let events = view["timeline"].as_array().map_or(0, Vec::len);
            if view["status"] != stored.status.as_str()
                || tasks != stored_tasks
                || events != stored.events
            {
                problems.push(format!(
                    "case {id}: reads back as {} with tasks {tasks:?} and {events} events; stored: {stored:?}",
                    view["status"]
                ));
            }
        }
        let expected = match e.accept {
            None => Some("submitted"),
            Some(true) => Some("in_progress"),
            Some(false) => None,
        };
        problems.extend(self.whole(&s, &id, &number, &view, expected));
        if e.accept == Some(false) {
            if view["status"] == "submitted" {
                // The acceptance was lost with the crash: the case still awaits it.
                match self.accept(s.window, &id).await {
                    Ok((StatusCode::OK, _)) => {}
                    other => problems.push(format!("case {id}: accepting again: {other:?}")),
                }
                match self.case(s.window, &id).await {
                    Ok((StatusCode::OK, v)) => {
                        problems.extend(self.whole(&s, &id, &number, &v, Some("in_progress")));
                    }
                    other => problems.push(format!("case {id} after acceptance: {other:?}")),
                }
            }
            e.accept = Some(true);
        }
        (e, problems)
    }

    /// The case as a just-submitted (or just-accepted) case must be: its number, its applicant
    /// (the form opens), its three items, its tasks and a contiguous timeline that explains them.
    fn whole(
        &self,
        s: &Submission,
        id: &str,
        number: &str,
        v: &Value,
        expected: Option<&str>,
    ) -> Vec<String> {
        let mut p = Vec::new();
        let status = v["status"].as_str().unwrap_or("?");
        let accepted = match (status, expected) {
            (_, Some(want)) if status != want => {
                p.push(format!("case {id}: status {status}, expected {want}"));
                return p;
            }
            ("submitted", _) => false,
            ("in_progress", _) => true,
            _ => {
                p.push(format!("case {id}: status {status}"));
                return p;
            }
        };
        if v["id"] != id || v["number"] != number {
            p.push(format!(
                "case {id} ({number}) reads back as {} ({})",
                v["id"], v["number"]
            ));
        }
        let (_, county, _) = WINDOWS[s.window];
        if v["handling_unit"] != county {
            p.push(format!("case {id}: handled by {}", v["handling_unit"]));
        }
        // The window sees the applicant in full at intake, masked afterwards.
        let full = v["applicant"]["visibility"] == "full";
        let (want_id, want_name) = if full {
            (s.id_number.clone(), NAME.to_owned())
        } else {
            (
                domain::ids::mask_id_like(&s.id_number),
                domain::ids::mask_name(NAME),
            )
        };
        if full == accepted
            || v["applicant"]["id_number"] != want_id.as_str()
            || v["applicant"]["name"] != want_name.as_str()
        {
            p.push(format!(
                "case {id}: the applicant reads back as {} (the form did not open whole)",
                v["applicant"]
            ));
        }
        let items: Vec<(String, String)> = v["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| (str_of(&i["code"]), str_of(&i["status"])))
            .collect();
        let want_items: Vec<(String, String)> = ITEMS
            .iter()
            .map(|code| {
                let status = match (accepted, *code) {
                    (false, _) => "pending",
                    (true, "cert.new") => "in_progress",
                    (true, _) => "waiting",
                };
                ((*code).to_owned(), status.to_owned())
            })
            .collect();
        let mut sorted = items.clone();
        sorted.sort();
        let mut want_sorted = want_items;
        want_sorted.sort();
        if sorted != want_sorted {
            p.push(format!(
                "case {id}: items {items:?}, expected {want_sorted:?}"
            ));
        }
        let tasks: Vec<(String, String)> = v["tasks"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| (str_of(&t["item"]), str_of(&t["status"])))
            .collect();
        let tasks_ok = if accepted {
            !tasks.is_empty()
                && tasks.iter().all(|(item, _)| item == "cert.new")
                && tasks.last().is_some_and(|(_, s)| s == "open")
        } else {
            tasks.is_empty()
        };
        if !tasks_ok {
            p.push(format!("case {id} ({status}): tasks {tasks:?}"));
        }
        let timeline: Vec<(u64, String)> = v["timeline"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| (e["seq"].as_u64().unwrap_or(0), str_of(&e["kind"])))
            .collect();
        let contiguous = timeline
            .iter()
            .enumerate()
            .all(|(i, (seq, _))| *seq == i as u64 + 1);
        let kinds: Vec<&str> = timeline.iter().map(|(_, k)| k.as_str()).collect();
        let opened = kinds.iter().filter(|k| **k == "task_opened").count();
        if !contiguous
            || kinds.first() != Some(&"submitted")
            || kinds.contains(&"accepted") != accepted
            || opened != tasks.len()
        {
            p.push(format!("case {id} ({status}): timeline {timeline:?}"));
        }
        p
    }
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}
