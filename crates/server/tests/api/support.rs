//! Helpers for driving the service over HTTP: requests, logins, applications and decisions.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use domain::ids::{DisabilityCategory, DisabilityGrade, IdNumber};
use reqwest::Method;
use serde_json::{Value, json};
use testkit::app::TestApp;

/// Every ID number, name, phone and account number the tests sent, to look for in the logs.
static PERSONAL: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

pub fn remember(value: &str) {
    if let Ok(mut set) = PERSONAL.lock() {
        set.insert(value.to_owned());
    }
}

pub fn personal_data_sent() -> BTreeSet<String> {
    PERSONAL.lock().map(|s| s.clone()).unwrap_or_default()
}

/// A response: status, headers, raw body and the body as JSON (`Null` when it is not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
    pub json: Value,
}

impl Resp {
    /// The error code of an error envelope.
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }

    /// Asserts the status (and shows the body when it differs).
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            String::from_utf8_lossy(&self.bytes)
        );
        self
    }

    /// Asserts an error envelope with the status and code, and a request id.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Self {
        let s = self.expect(status);
        assert_eq!(s.code(), code, "{}", s.json);
        assert!(
            s.json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            s.json
        );
        assert!(
            s.json["error"]["request_id"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            s.json
        );
        s
    }
}

/// A request under construction.
pub struct Req<'a> {
    app: &'a TestApp,
    inner: reqwest::RequestBuilder,
}

impl<'a> Req<'a> {
    pub fn new(app: &'a TestApp, method: Method, path: &str) -> Self {
        Self {
            app,
            inner: app.client.request(method, format!("{}{path}", app.url)),
        }
    }

    pub fn token(mut self, token: Option<&str>) -> Self {
        if let Some(t) = token {
            self.inner = self.inner.bearer_auth(t);
        }
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.inner = self.inner.json(body);
        self
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<reqwest::Body>) -> Self {
        self.inner = self
            .inner
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner = self.inner.header(name, value);
        self
    }

    pub fn multipart(mut self, form: reqwest::multipart::Form) -> Self {
        self.inner = self.inner.multipart(form);
        self
    }

    pub async fn send(self) -> Resp {
        let _ = self.app;
        let r = self.inner.send().await.expect("the server answers");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.expect("a body").to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            bytes,
            json,
        }
    }
}

pub fn get<'a>(app: &'a TestApp, path: &str) -> Req<'a> {
    Req::new(app, Method::GET, path)
}

pub fn post<'a>(app: &'a TestApp, path: &str) -> Req<'a> {
    Req::new(app, Method::POST, path)
}

/// Logs a demo staff account in; the bearer token.
pub async fn staff(app: &TestApp, username: &str) -> String {
    let r = post(app, "/api/v1/session")
        .json(&json!({"username": username, "password": service::demo_accounts::DEMO_PASSWORD}))
        .send()
        .await;
    assert_eq!(r.status, 201, "login {username}: {}", r.json);
    r.json["token"].as_str().expect("a token").to_owned()
}

/// Logs a citizen in with the one-time code shown in demo mode; the bearer token.
pub async fn citizen(app: &TestApp, id: &IdNumber) -> String {
    remember(id.as_str());
    let code = post(app, "/api/v1/citizen/login-code")
        .json(&json!({"id_number": id.as_str()}))
        .send()
        .await
        .expect(200);
    let code = code.json["demo_code"]
        .as_str()
        .expect("demo mode shows the code")
        .to_owned();
    let r = post(app, "/api/v1/citizen/session")
        .json(&json!({"id_number": id.as_str(), "code": code}))
        .send()
        .await
        .expect(201);
    assert_eq!(r.json["role"], "applicant");
    r.json["token"].as_str().expect("a token").to_owned()
}

/// The body of a complete application (see `testkit::application`).
pub fn application(
    app: &TestApp,
    id: &IdNumber,
    name: &str,
    items: &[&str],
    answers: &[(&str, &str)],
) -> Value {
    let r = testkit::application(app.platform.catalogs.current(), id, name, items, answers);
    remember(id.as_str());
    remember(name);
    for key in [
        "contact.phone",
        "contact.residence_address",
        "applicant.address",
        "payment.bank_account",
    ] {
        if let Some(v) = r.answers.get(key) {
            remember(v);
        }
    }
    json!({
        "id_number": r.id_number,
        "items": r.selection.items,
        "answers": r.answers,
        "via_agent": r.via_agent,
    })
}

/// Submits; the case id.
pub async fn submit(app: &TestApp, token: &str, body: &Value) -> String {
    let r = post(app, "/api/v1/applications")
        .token(Some(token))
        .json(body)
        .send()
        .await
        .expect(201);
    r.json["case_id"].as_str().expect("a case id").to_owned()
}

pub async fn case(app: &TestApp, token: &str, id: &str) -> Value {
    get(app, &format!("/api/v1/cases/{id}"))
        .token(Some(token))
        .send()
        .await
        .expect(200)
        .json
}

pub fn item<'v>(case: &'v Value, code: &str) -> &'v Value {
    case["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["code"] == code))
        .unwrap_or_else(|| panic!("no item {code} in {case}"))
}

/// The reviewers' tokens, logged in once per account.
#[derive(Default)]
pub struct Desk {
    tokens: HashMap<String, String>,
}

impl Desk {
    pub async fn token(&mut self, app: &TestApp, username: &str) -> String {
        if let Some(t) = self.tokens.get(username) {
            return t.clone();
        }
        let t = staff(app, username).await;
        self.tokens.insert(username.to_owned(), t.clone());
        t
    }

    /// The demo account that decides a task: its department within the task's region.
    pub fn decider(task: &Value) -> String {
        let department = task["department"].as_str().unwrap_or_default();
        let region = task["region"].as_str().unwrap_or_default();
        let county = &region[..region.len().min(6)];
        match department {
            "township" => format!("township.{region}"),
            "assessment" => format!("assessor.{county}"),
            other => format!("{other}.{county}"),
        }
    }

    /// Decides the open task of an item, as the reviewer whose task it is; the case afterwards.
    pub async fn decide(&mut self, app: &TestApp, case_id: &str, code: &str, body: Value) -> Value {
        let supervisor = self.token(app, "supervisor.city").await;
        let c = case(app, &supervisor, case_id).await;
        let task = c["tasks"]
            .as_array()
            .and_then(|t| {
                t.iter()
                    .find(|t| t["item"] == code && t["status"] == "open")
            })
            .unwrap_or_else(|| panic!("no open task for {code}: {c}"))
            .clone();
        let who = Self::decider(&task);
        let token = self.token(app, &who).await;
        let task_id = task["id"].as_str().unwrap_or_default();
        // The reviewer finds it in their inbox before deciding.
        let inbox = get(app, "/api/v1/tasks")
            .token(Some(&token))
            .send()
            .await
            .expect(200);
        assert!(
            inbox
                .json
                .as_array()
                .is_some_and(|l| l.iter().any(|line| line["task_id"] == task_id)),
            "{who} does not see {task_id} in the inbox: {}",
            inbox.json
        );
        post(app, &format!("/api/v1/tasks/{task_id}/decision"))
            .token(Some(&token))
            .json(&body)
            .send()
            .await
            .expect(200)
            .json
    }

    pub async fn approve(&mut self, app: &TestApp, case_id: &str, code: &str) -> Value {
        self.decide(app, case_id, code, json!({"decision": "approve"}))
            .await
    }
}

pub fn assessment(category: &str, grade: u8, lower_limb: bool) -> Value {
    json!({"decision": "approve", "assessment": {"category": category, "grade": grade, "lower_limb": lower_limb}})
}

/// Registers a certificate holder directly, as an import from the provincial system would.
pub async fn seed_holder(
    app: &TestApp,
    id: &IdNumber,
    name: &str,
    hukou: &str,
    category: DisabilityCategory,
    grade: u8,
    lower_limb: bool,
) {
    use service::ports::RegistryStore;
    remember(id.as_str());
    remember(name);
    let grade = DisabilityGrade::new(grade).expect("a grade");
    let hukou = domain::region::RegionCode::parse(hukou).expect("a region");
    let unit = app
        .platform
        .regions
        .handling_place(&hukou)
        .expect("in Suqian")
        .unit;
    let record = domain::registry::Record {
        person: domain::registry::Person {
            id: domain::registry::PersonId(format!("person-{}", &id.as_str()[14..])),
            sex: id.sex(),
            birth_date: id.birth_date(),
            id_number: id.clone(),
            name: name.to_owned(),
            hukou,
            phone: Some("13900001111".into()),
            address: Some("宿城区幸福街道洪泽湖路 8 号".into()),
            bank_account: None,
            household: domain::registry::Household::default(),
            status: domain::registry::PersonStatus::default(),
            guardians: vec![],
        },
        certificate: Some(domain::registry::Certificate {
            number: domain::ids::CertificateNumber::new(id, category, grade),
            category,
            grade,
            lower_limb,
            status: domain::registry::CertificateStatus::Active,
            issued_on: chrono::NaiveDate::from_ymd_opt(2022, 1, 10).expect("a date"),
            valid_until: chrono::NaiveDate::from_ymd_opt(2032, 1, 10).expect("a date"),
            unit,
            cancelled_on: None,
        }),
        benefits: vec![],
    };
    app.platform
        .store
        .insert_records(&[record])
        .await
        .expect("seeded");
}

/// Counts of what is stored, to show that a refused request changed nothing.
pub async fn stored_counts(app: &TestApp) -> Vec<i64> {
    use sqlx::Row;
    let mut out = Vec::new();
    for table in [
        "cases",
        "case_events",
        "tasks",
        "case_forms",
        "persons",
        "files",
        "case_materials",
        "idempotency_keys",
        "agent_links",
    ] {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table}"
        )))
        .fetch_one(app.platform.store.pool())
        .await
        .unwrap_or_else(|e| panic!("count {table}: {e}"));
        out.push(row.try_get::<i64, _>("n").expect("a count"));
    }
    out
}
