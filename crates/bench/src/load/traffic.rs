//! The window clerks' traffic: 3-item applications for new applicants, prepared before the clock
//! starts, sent open-loop at a fixed rate or closed-loop as fast as the server answers.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use domain::catalog::Catalog;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use bench::stats::Latencies;

/// The items of every application: the certificate and two items that wait for it.
pub const ITEMS: [&str; 3] = ["cert.new", "subsidy.nursing", "pension.subsidy"];
/// The window clerks (demo accounts) who submit, and their applicants' county and township.
const WINDOWS: [(&str, &str, &str); 2] = [
    ("window.321302", "321302", "321302001"),
    ("window.321311", "321311", "321311001"),
];
/// A request that takes longer has hung (a safety valve; it counts as an error).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// One application, serialized before timing starts.
#[derive(Debug, Clone)]
pub struct Submission {
    window: usize,
    key: String,
    body: bytes::Bytes,
}

/// Makes application `n` (unique across the whole run: a new applicant each time).
pub fn submission(catalog: &Catalog, n: u32) -> Submission {
    let window = n as usize % WINDOWS.len();
    let (_, county, township) = WINDOWS[window];
    let birth = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap_or_default()
        + chrono::Duration::days(i64::from(n / 900));
    let id = testkit::id_number(county, &birth.format("%Y%m%d").to_string(), 100 + n % 900);
    let request = testkit::application(
        catalog,
        &id,
        "压力测试",
        &ITEMS,
        &[
            ("applicant.hukou_region", township),
            ("household.urban", "yes"),
            ("pension.subsidy.student", "no"),
            ("pension.subsidy.employee_pension", "no"),
        ],
    );
    let body = json!({
        "id_number": request.id_number,
        "items": request.selection.items,
        "answers": request.answers,
        "via_agent": false,
    });
    Submission {
        window,
        key: format!("load-{n}"),
        body: bytes::Bytes::from(body.to_string()),
    }
}

/// A logged-in HTTP client of one server.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    submit_url: String,
    /// "Bearer …" per window.
    tokens: Arc<[String; 2]>,
}

impl Client {
    /// Logs the window clerks in (before any timing).
    pub async fn log_in(url: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(usize::MAX)
            .tcp_nodelay(true)
            .build()?;
        let mut tokens = [String::new(), String::new()];
        for (token, (username, _, _)) in tokens.iter_mut().zip(WINDOWS) {
            let r = http
                .post(format!("{url}/api/v1/session"))
                .json(&json!({
                    "username": username,
                    "password": service::demo_accounts::DEMO_PASSWORD,
                }))
                .send()
                .await
                .with_context(|| format!("logging in {username}"))?;
            if r.status() != StatusCode::CREATED {
                bail!("logging in {username}: {}", r.status());
            }
            let body: Value = r.json().await?;
            let t = body["token"].as_str().context("no token in the session")?;
            *token = format!("Bearer {t}");
        }
        Ok(Self {
            http,
            submit_url: format!("{url}/api/v1/applications"),
            tokens: Arc::new(tokens),
        })
    }

    /// POST /api/v1/applications: the case id and number on 201, else a description.
    async fn submit(&self, s: &Submission) -> Result<(String, String), String> {
        let r = self
            .http
            .post(&self.submit_url)
            .header(reqwest::header::AUTHORIZATION, &self.tokens[s.window])
            .header("Idempotency-Key", &s.key)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(s.body.clone())
            .send()
            .await
            .map_err(|e| format!("transport: {e}"))?;
        let status = r.status();
        let text = r.text().await.map_err(|e| format!("body: {e}"))?;
        if status != StatusCode::CREATED {
            return Err(format!(
                "{status}: {}",
                text.chars().take(300).collect::<String>()
            ));
        }
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("201 body: {e}"))?;
        match (v["case_id"].as_str(), v["number"].as_str()) {
            (Some(id), Some(number)) => Ok((id.to_owned(), number.to_owned())),
            _ => Err(format!("201 without a case: {text}")),
        }
    }
}

/// What one step sent and got.
#[derive(Debug, Default)]
pub struct Outcome {
    pub sent: usize,
    /// Cases acknowledged with 201: (id, number).
    pub created: Vec<(String, String)>,
    pub errors: usize,
    pub first_error: Option<String>,
    /// Latency of each 201 in µs (open-loop: from its scheduled send time).
    pub latencies: Latencies,
    /// From the first scheduled send to the last answer.
    pub elapsed: Duration,
}

impl Outcome {
    pub fn throughput(&self) -> f64 {
        self.created.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

type Answer = (Result<(String, String), String>, u32);

fn collect(answers: Vec<Answer>, elapsed: Duration) -> Outcome {
    let mut out = Outcome {
        sent: answers.len(),
        elapsed,
        ..Outcome::default()
    };
    let mut micros = Vec::with_capacity(answers.len());
    for (answer, us) in answers {
        match answer {
            Ok(case) => {
                out.created.push(case);
                micros.push(us);
            }
            Err(e) => {
                out.errors += 1;
                out.first_error.get_or_insert(e);
            }
        }
    }
    out.latencies = Latencies::new(micros);
    out
}

fn micros_since(t: Instant) -> u32 {
    u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX)
}

/// Open loop: submission `i` is due at `start + i / rate` whatever happened to the ones before
/// it, and its latency counts from then, so a server that falls behind is charged for the
/// queue. At most `max_in_flight` requests are outstanding (the file descriptors are bounded);
/// waiting for a slot delays the send but not the due time.
pub async fn open_loop(
    client: &Client,
    submissions: Vec<Submission>,
    rate: f64,
    max_in_flight: usize,
) -> Outcome {
    let slots = Arc::new(Semaphore::new(max_in_flight));
    let start = Instant::now() + Duration::from_millis(20);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, s) in submissions.into_iter().enumerate() {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let client = client.clone();
        tasks.spawn(async move {
            let answer = client.submit(&s).await;
            drop(slot);
            let us = micros_since(due);
            if us > 30_000 && std::env::var_os("BENCH_DEBUG").is_some() {
                eprintln!(
                    "slow: due at {:.3} s, {:.1} ms",
                    (due - start).as_secs_f64(),
                    f64::from(us) / 1000.0
                );
            }
            (answer, us)
        });
    }
    let answers = tasks.join_all().await;
    collect(answers, start.elapsed())
}

/// Closed loop: `concurrency` clerks each send their next submission as soon as the last one
/// was answered, until the submissions run out or `limit` has passed. Latency is service time.
pub async fn closed_loop(
    client: &Client,
    submissions: Vec<Submission>,
    concurrency: usize,
    limit: Duration,
) -> Outcome {
    let queue = Arc::new(std::sync::Mutex::new(submissions.into_iter()));
    let start = Instant::now();
    let deadline = start + limit;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let queue = queue.clone();
        tasks.spawn(async move {
            let mut answers = Vec::new();
            while Instant::now() < deadline {
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some(s) = next else { break };
                let sent = Instant::now();
                let answer = client.submit(&s).await;
                answers.push((answer, micros_since(sent)));
            }
            answers
        });
    }
    let answers: Vec<Answer> = tasks.join_all().await.into_iter().flatten().collect();
    collect(answers, start.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_submission_is_a_new_applicant_with_three_items() {
        let catalog = store::reference::load(&testkit::catalog_dir())
            .unwrap_or_else(|e| panic!("catalog: {e}"))
            .catalog;
        let mut ids = std::collections::HashSet::new();
        let mut keys = std::collections::HashSet::new();
        for n in 0..2_000 {
            let s = submission(&catalog, n);
            let body: Value = serde_json::from_slice(&s.body).unwrap_or_default();
            let items: Vec<&str> = body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            assert_eq!(items, ITEMS, "submission {n}");
            let id = body["id_number"].as_str().unwrap_or_default().to_owned();
            assert!(domain::ids::IdNumber::parse(&id).is_ok(), "{id}");
            assert_eq!(&id[..6], WINDOWS[s.window].1, "the window's county");
            assert!(ids.insert(id), "submission {n} repeats an applicant");
            assert!(keys.insert(s.key), "submission {n} repeats a key");
        }
    }
}
