//! Every role in two regions (and the city, and citizens) against every endpoint, with the exact
//! status and error code expected; outside a caller's region a record answers byte for byte as
//! one that does not exist. The same run shows that every route served is in the OpenAPI
//! document and every documented route was exercised.

use std::collections::{BTreeSet, HashMap};

use domain::ids::{DisabilityCategory, IdNumber};
use reqwest::Method;
use serde_json::{Value, json};
use testkit::app::{TestApp, engines, spawn_app};

use crate::support::*;

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    Anonymous,
    Staff(&'static str),
    /// The applicant of the target case (宿城区).
    Applicant,
    /// The applicant's recorded guardian.
    Agent,
    /// A citizen of 宿豫区 with nothing to do with the case.
    Stranger,
}

/// Where a staff account works, relative to the target case (宿城区).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Inside,
    Outside,
    City,
}

const STAFF: [&str; 16] = [
    "window.321302",
    "canlian.321302",
    "minzheng.321302",
    "renshe.321302",
    "assessor.321302",
    "township.321302001",
    "window.321311",
    "canlian.321311",
    "minzheng.321311",
    "renshe.321311",
    "assessor.321311",
    "township.321311001",
    "window.city",
    "hotline.city",
    "supervisor.city",
    "admin",
];

fn place(username: &str) -> Place {
    if username.contains("321302") {
        Place::Inside
    } else if username.contains("321311") {
        Place::Outside
    } else {
        Place::City
    }
}

fn department(username: &str) -> Option<&'static str> {
    match username.split('.').next() {
        Some("canlian") => Some("canlian"),
        Some("minzheng") => Some("minzheng"),
        Some("renshe") => Some("renshe"),
        Some("assessor") => Some("assessment"),
        Some("township") => Some("township"),
        _ => None,
    }
}

fn is_window(username: &str) -> bool {
    username.starts_with("window.")
}

/// The endpoints, as documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ep {
    Me,
    Items,
    Scenarios,
    Precheck,
    Submit,
    GetCase,
    FindCase,
    Acceptance,
    Supplement,
    Withdrawal,
    Inbox,
    Decision,
    Upload,
    Attach,
    Material,
    AgentLink,
}

const ENDPOINTS: [Ep; 16] = [
    Ep::Me,
    Ep::Items,
    Ep::Scenarios,
    Ep::Precheck,
    Ep::Submit,
    Ep::GetCase,
    Ep::FindCase,
    Ep::Acceptance,
    Ep::Supplement,
    Ep::Withdrawal,
    Ep::Inbox,
    Ep::Decision,
    Ep::Upload,
    Ep::Attach,
    Ep::Material,
    Ep::AgentLink,
];

const OK: (u16, &str) = (200, "");
const CREATED: (u16, &str) = (201, "");
const NO_CONTENT: (u16, &str) = (204, "");
const UNAUTHORIZED: (u16, &str) = (401, "auth.required");
const FORBIDDEN: (u16, &str) = (403, "forbidden");
const NOT_FOUND: (u16, &str) = (404, "not_found");
const INVALID: (u16, &str) = (422, "validation_failed");

/// The expected status and error code of each cell.
fn expected(ep: Ep, who: Who) -> (u16, &'static str) {
    use Ep::*;
    if who == Who::Anonymous {
        return match ep {
            Items | Scenarios => OK,
            _ => UNAUTHORIZED,
        };
    }
    if let Who::Staff(u) = who {
        let p = place(u);
        let dept = department(u);
        let window = is_window(u);
        let reads = u != "admin";
        let in_scope = p != Place::Outside;
        return match ep {
            Me | Items | Scenarios => OK,
            // Outside the scope the person is judged as unknown: no registry data, no error.
            Precheck if window || u == "hotline.city" => OK,
            Precheck => FORBIDDEN,
            Submit if window && in_scope => CREATED,
            Submit if window => INVALID,
            Submit => FORBIDDEN,
            GetCase | FindCase | Material if !reads => FORBIDDEN,
            GetCase | FindCase | Material if in_scope => OK,
            GetCase | FindCase | Material => NOT_FOUND,
            Acceptance if window && in_scope => (409, "case.not_awaiting_acceptance"),
            Supplement if window && in_scope => (409, "case.not_awaiting_supplement"),
            Acceptance | Supplement | Attach | AgentLink if window && !in_scope => NOT_FOUND,
            Acceptance | Supplement => FORBIDDEN,
            Withdrawal => FORBIDDEN,
            Inbox if dept.is_some() => OK,
            Inbox => FORBIDDEN,
            Decision if dept.is_some() && in_scope => (422, "case.reason_required"),
            Decision if dept.is_some() => NOT_FOUND,
            Decision => FORBIDDEN,
            Upload if window => CREATED,
            Upload => FORBIDDEN,
            Attach if window => NO_CONTENT,
            AgentLink if window => CREATED,
            Attach | AgentLink => FORBIDDEN,
        };
    }
    let related = matches!(who, Who::Applicant | Who::Agent);
    match ep {
        Me | Items | Scenarios => OK,
        Precheck if related => OK,
        Precheck => INVALID,
        // A citizen applies only for themselves (or, with via_agent, as a recorded agent).
        Submit => INVALID,
        GetCase | FindCase | Material if related => OK,
        GetCase | FindCase | Material => NOT_FOUND,
        Acceptance => FORBIDDEN,
        Supplement if related => (409, "case.not_awaiting_supplement"),
        Withdrawal if related => (422, "case.reason_required"),
        Supplement | Withdrawal => NOT_FOUND,
        Inbox | Decision => FORBIDDEN,
        Upload => CREATED,
        Attach if related => NO_CONTENT,
        Attach => NOT_FOUND,
        AgentLink => FORBIDDEN,
    }
}

/// What the cells act on.
struct World {
    app: TestApp,
    tokens: HashMap<Who, String>,
    case: String,
    number: String,
    /// An open task of the case (or of another case in 宿城区) for each department.
    tasks: HashMap<&'static str, String>,
    file: String,
    applicant: IdNumber,
    next: u32,
}

impl World {
    async fn build(engine: testkit::app::TestEngine) -> World {
        let app = spawn_app(engine, "2026-11-02").await;
        let mut desk = Desk::default();
        let window = desk.token(&app, "window.321302").await;
        let accept = |id: String| {
            let app = &app;
            let window = window.clone();
            async move {
                post(app, &format!("/api/v1/cases/{id}/acceptance"))
                    .token(Some(&window))
                    .json(&json!({"action": "accept"}))
                    .send()
                    .await
                    .expect(200)
                    .json
            }
        };
        // The target: a holder's application for three benefits, the nursing subsidy advanced
        // to 民政, so 残联, 民政 and 人社 each hold an open task.
        let applicant = testkit::id_number("321302", "19800501", 101);
        seed_holder(
            &app,
            &applicant,
            "郑一",
            "321302001",
            DisabilityCategory::Physical,
            1,
            true,
        )
        .await;
        let body = application(
            &app,
            &applicant,
            "郑一",
            &["subsidy.nursing", "pension.subsidy", "fuel.subsidy"],
            &[],
        );
        let case = submit(&app, &window, &body).await;
        accept(case.clone()).await;
        desk.approve(&app, &case, "subsidy.nursing").await;
        let c = desk.approve(&app, &case, "subsidy.nursing").await;
        let number = c["number"].as_str().unwrap_or_default().to_owned();
        // 评定 and 乡镇 tasks on two more cases in 宿城区.
        let newcomer = testkit::id_number("321302", "19900101", 103);
        let c2 = submit(
            &app,
            &window,
            &application(&app, &newcomer, "郑二", &["cert.new"], &[]),
        )
        .await;
        let c2 = accept(c2).await;
        let holder = testkit::id_number("321302", "19700101", 105);
        seed_holder(
            &app,
            &holder,
            "郑三",
            "321302001",
            DisabilityCategory::Visual,
            2,
            false,
        )
        .await;
        let c3 = submit(
            &app,
            &window,
            &application(&app, &holder, "郑三", &["subsidy.nursing"], &[]),
        )
        .await;
        let c3 = accept(c3).await;
        let c1 = case_json(&app, &mut desk, &case).await;
        let mut tasks = HashMap::new();
        for c in [&c1, &c2, &c3] {
            for t in c["tasks"].as_array().into_iter().flatten() {
                if t["status"] == "open" {
                    let dept = match t["department"].as_str().unwrap_or_default() {
                        "canlian" => "canlian",
                        "minzheng" => "minzheng",
                        "renshe" => "renshe",
                        "assessment" => "assessment",
                        "township" => "township",
                        other => panic!("department {other}"),
                    };
                    tasks
                        .entry(dept)
                        .or_insert_with(|| t["id"].as_str().unwrap_or_default().to_owned());
                }
            }
        }
        assert_eq!(
            tasks.len(),
            5,
            "an open task for every department: {tasks:?}"
        );

        // The guardian, recorded with proof.
        let agent = testkit::id_number("321302", "19750505", 107);
        let file = crate::stories::upload(
            &app,
            &window,
            b"%PDF-1.7\n% proof of guardianship\n",
            "application/pdf",
        )
        .await;
        post(&app, "/api/v1/agent-links")
            .token(Some(&window))
            .json(
                &json!({"person_id_number": applicant.as_str(), "agent_id_number": agent.as_str(),
                          "relationship": "guardian", "proof_file": file}),
            )
            .send()
            .await
            .expect(201);
        // The same file given as a material of the case, for the download cells.
        post(&app, &format!("/api/v1/cases/{case}/materials"))
            .token(Some(&window))
            .json(&json!({"material": "id_card", "file": file}))
            .send()
            .await
            .expect(204);

        let stranger = testkit::id_number("321311", "19850808", 109);
        let mut tokens = HashMap::new();
        for u in STAFF {
            tokens.insert(Who::Staff(u), desk.token(&app, u).await);
        }
        tokens.insert(Who::Applicant, citizen(&app, &applicant).await);
        tokens.insert(Who::Agent, citizen(&app, &agent).await);
        tokens.insert(Who::Stranger, citizen(&app, &stranger).await);
        World {
            app,
            tokens,
            case,
            number,
            tasks,
            file,
            applicant,
            next: 200,
        }
    }

    fn token(&self, who: Who) -> Option<&str> {
        self.tokens.get(&who).map(String::as_str)
    }

    /// The request of a cell; `missing` swaps the record for one that does not exist.
    fn request(&mut self, ep: Ep, who: Who, missing: bool) -> Req<'_> {
        let app = &self.app;
        let ghost = "01a1a1a1-0000-7000-8000-000000000000";
        let case = if missing { ghost } else { self.case.as_str() };
        let number = if missing {
            "YJS-321302-20261102-9999"
        } else {
            self.number.as_str()
        };
        let department = match who {
            Who::Staff(u) => department(u).unwrap_or("canlian"),
            _ => "canlian",
        };
        let task = if missing {
            format!("{ghost}.1")
        } else {
            self.tasks[department].clone()
        };
        self.next += 1;
        let fresh = testkit::id_number("321302", "19950101", self.next);
        let token = self.tokens.get(&who).map(String::as_str);
        let r =
            match ep {
                Ep::Me => get(app, "/api/v1/me"),
                Ep::Items => get(app, "/api/v1/catalog/items"),
                Ep::Scenarios => get(app, "/api/v1/catalog/scenarios"),
                Ep::Precheck => post(app, "/api/v1/precheck").json(&json!({
                    "id_number": self.applicant.as_str(),
                    "items": ["subsidy.living"],
                    "via_agent": who == Who::Agent,
                })),
                Ep::Submit => post(app, "/api/v1/applications").json(&application(
                    app,
                    &fresh,
                    "新人",
                    &["cert.new"],
                    &[],
                )),
                Ep::GetCase => get(app, &format!("/api/v1/cases/{case}")),
                Ep::FindCase => get(app, &format!("/api/v1/cases?number={number}")),
                Ep::Acceptance => post(app, &format!("/api/v1/cases/{case}/acceptance"))
                    .json(&json!({"action": "refuse", "reason": "矩阵测试"})),
                Ep::Supplement => post(app, &format!("/api/v1/cases/{case}/supplement"))
                    .json(&json!({"answers": {}})),
                Ep::Withdrawal => post(app, &format!("/api/v1/cases/{case}/withdrawal"))
                    .json(&json!({"reason": ""})),
                Ep::Inbox => get(app, "/api/v1/tasks"),
                Ep::Decision => post(app, &format!("/api/v1/tasks/{task}/decision"))
                    .json(&json!({"decision": "reject", "reason": ""})),
                Ep::Upload => {
                    let part = reqwest::multipart::Part::bytes(b"%PDF-1.7\n% matrix\n".to_vec())
                        .file_name("m.pdf")
                        .mime_str("application/pdf")
                        .expect("a media type");
                    post(app, "/api/v1/files")
                        .multipart(reqwest::multipart::Form::new().part("file", part))
                }
                Ep::Attach => post(app, &format!("/api/v1/cases/{case}/materials"))
                    .json(&json!({"material": "id_card", "file": self.file})),
                Ep::Material => get(
                    app,
                    &format!("/api/v1/cases/{case}/materials/{}", self.file),
                ),
                Ep::AgentLink => {
                    let person = if missing {
                        fresh.clone()
                    } else {
                        self.applicant.clone()
                    };
                    post(app, "/api/v1/agent-links").json(&json!({
                    "person_id_number": person.as_str(),
                    "agent_id_number": testkit::id_number("321302", "19600606", self.next).as_str(),
                    "relationship": "agent",
                    "proof_file": self.file,
                }))
                }
            };
        r.token(token)
    }
}

async fn case_json(app: &TestApp, desk: &mut Desk, id: &str) -> Value {
    let supervisor = desk.token(app, "supervisor.city").await;
    case(app, &supervisor, id).await
}

fn callers() -> Vec<Who> {
    let mut out = vec![Who::Anonymous, Who::Applicant, Who::Agent, Who::Stranger];
    out.extend(STAFF.iter().map(|u| Who::Staff(u)));
    out
}

#[tokio::test]
async fn every_role_in_two_regions_against_every_endpoint() {
    for engine in engines() {
        let mut w = World::build(engine).await;
        let mut failures = Vec::new();
        let mut n = 0;
        for ep in ENDPOINTS {
            for who in callers() {
                n += 1;
                let (status, code) = expected(ep, who);
                let rid = format!("matrix-{n}");
                let r = w
                    .request(ep, who, false)
                    .header("X-Request-Id", &rid)
                    .send()
                    .await;
                if r.status != status || (!code.is_empty() && r.code() != code) {
                    failures.push(format!(
                        "{ep:?} as {who:?}: expected {status} {code}, got {} {}",
                        r.status,
                        String::from_utf8_lossy(&r.bytes)
                    ));
                    continue;
                }
                if status == 404 {
                    let ghost = w
                        .request(ep, who, true)
                        .header("X-Request-Id", &rid)
                        .send()
                        .await;
                    if ghost.bytes != r.bytes || ghost.status != r.status {
                        failures.push(format!(
                            "{ep:?} as {who:?}: outside the region answers {} {:?}, a missing record {} {:?}",
                            r.status,
                            String::from_utf8_lossy(&r.bytes),
                            ghost.status,
                            String::from_utf8_lossy(&ghost.bytes)
                        ));
                    }
                }
                check_body(&w, ep, who, &r, &mut failures);
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {n} cells wrong on {:?}:\n{}",
            failures.len(),
            w.app.engine,
            failures.join("\n")
        );
        sessions_end(&w).await;
        documented_routes_are_the_served_routes(&w.app).await;
    }
}

/// Who sees personal data whole: the applicant and agent, and reviewers holding a task of the
/// case; everyone else in scope sees it masked. Inboxes stay within the region.
fn check_body(w: &World, ep: Ep, who: Who, r: &Resp, failures: &mut Vec<String>) {
    if r.status != 200 {
        return;
    }
    match ep {
        Ep::GetCase | Ep::FindCase => {
            let full = match who {
                Who::Applicant | Who::Agent => true,
                Who::Staff(u) => {
                    place(u) == Place::Inside
                        && matches!(department(u), Some("canlian" | "minzheng" | "renshe"))
                }
                _ => false,
            };
            let shown = r.json["applicant"]["id_number"]
                .as_str()
                .unwrap_or_default();
            let whole = shown == w.applicant.as_str();
            let visibility = r.json["applicant"]["visibility"]
                .as_str()
                .unwrap_or_default();
            if whole != full || visibility != if full { "full" } else { "masked" } {
                failures.push(format!(
                    "{ep:?} as {who:?}: shows {shown:?} ({visibility}), full expected: {full}"
                ));
            }
        }
        Ep::Inbox => {
            let lines = r.json.as_array().cloned().unwrap_or_default();
            let outside = lines.iter().any(|l| {
                !l["region"].as_str().is_some_and(|r| match who {
                    Who::Staff(u) if place(u) == Place::Inside => r.starts_with("321302"),
                    Who::Staff(_) => r.starts_with("321311"),
                    _ => false,
                })
            });
            let Who::Staff(u) = who else { return };
            let mine = department(u)
                .map(|d| w.tasks[d].clone())
                .unwrap_or_default();
            let sees_mine = lines.iter().any(|l| l["task_id"] == mine);
            if outside || sees_mine != (place(u) == Place::Inside) {
                failures.push(format!("inbox of {u}: {}", r.json));
            }
        }
        Ep::Precheck => {
            // Registry facts only within scope: the person is known to the window of 宿城区 and
            // the city, unknown to 宿豫区's.
            let known = r.json["known_person"].as_bool().unwrap_or(false);
            let expect_known = !matches!(who, Who::Staff(u) if place(u) == Place::Outside);
            if known != expect_known {
                failures.push(format!("precheck as {who:?}: known_person {known}"));
            }
            let prefilled = r.json["form"].to_string().contains(w.applicant.as_str());
            let may_prefill = matches!(who, Who::Applicant | Who::Agent)
                || matches!(who, Who::Staff(u) if is_window(u) && place(u) != Place::Outside);
            if prefilled && !may_prefill {
                failures.push(format!("precheck as {who:?} shows the ID number"));
            }
        }
        _ => {}
    }
}

/// Logging out ends exactly that session.
async fn sessions_end(w: &World) {
    let app = &w.app;
    for who in callers() {
        let Some(token) = w.token(who) else {
            Req::new(app, Method::DELETE, "/api/v1/session")
                .send()
                .await
                .expect_error(401, "auth.required");
            continue;
        };
        Req::new(app, Method::DELETE, "/api/v1/session")
            .token(Some(token))
            .send()
            .await
            .expect(204);
        get(app, "/api/v1/me")
            .token(Some(token))
            .send()
            .await
            .expect(401);
    }
    // Wrong password and wrong code.
    post(app, "/api/v1/session")
        .json(&json!({"username": "window.321302", "password": "guess"}))
        .send()
        .await
        .expect_error(401, "auth.invalid_credentials");
    post(app, "/api/v1/citizen/session")
        .json(&json!({"id_number": w.applicant.as_str(), "code": "000000"}))
        .send()
        .await
        .expect_error(401, "auth.code_invalid");
}

/// The OpenAPI document lists exactly the API routes the matrix exercised.
async fn documented_routes_are_the_served_routes(app: &TestApp) {
    let doc = get(app, "/api/openapi.json").send().await.expect(200).json;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().into_iter().flatten() {
        for method in ops
            .as_object()
            .into_iter()
            .flatten()
            .map(|(m, _)| m.to_uppercase())
        {
            documented.insert((method, path.clone()));
        }
    }
    let served: BTreeSet<(String, String)> = app
        .served
        .lock()
        .map(|s| {
            s.iter()
                .filter(|(_, p)| p.starts_with("/api/v1"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unexercised: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in the OpenAPI document: {undocumented:?}"
    );
    assert!(
        unexercised.is_empty(),
        "documented but never exercised: {unexercised:?}"
    );
}
