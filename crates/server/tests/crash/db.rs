//! The database as the crash left it, read directly (the server is not running): nothing
//! half-written, every acknowledged submission there.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlx::{AnyPool, Row};

/// What the submission's caller was told, as the checks need it.
#[derive(Debug, Clone)]
pub struct Acknowledged {
    pub case_id: String,
    pub number: String,
    /// The acceptance was acknowledged too.
    pub accepted: bool,
}

/// One case as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCase {
    pub number: String,
    pub status: String,
    /// Task id → status.
    pub tasks: BTreeMap<String, String>,
    pub events: usize,
}

/// Every case as stored, by id.
pub type Snapshot = HashMap<String, StoredCase>;

async fn rows(pool: &AnyPool, sql: &'static str) -> Vec<sqlx::any::AnyRow> {
    sqlx::query(sql)
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn text(row: &sqlx::any::AnyRow, column: &str) -> String {
    row.try_get::<String, _>(column)
        .unwrap_or_else(|e| panic!("column {column}: {e}"))
}

fn int(row: &sqlx::any::AnyRow, column: &str) -> i64 {
    row.try_get::<i64, _>(column)
        .unwrap_or_else(|e| panic!("column {column}: {e}"))
}

/// `YJS-<unit>-<YYYYMMDD>-<seq>` → (unit, YYYY-MM-DD, seq).
fn parse_number(number: &str) -> Option<(String, String, i64)> {
    let mut parts = number.split('-');
    let (yjs, unit, day, seq) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if yjs != "YJS" || day.len() != 8 || parts.next().is_some() {
        return None;
    }
    let day = format!("{}-{}-{}", &day[..4], &day[4..6], &day[6..]);
    Some((unit.to_owned(), day, seq.parse().ok()?))
}

/// Checks every structural invariant and that each acknowledged case is there as acknowledged.
/// With `exact`, the cases must be exactly the acknowledged ones (no submission unaccounted
/// for). Returns the cases as stored, or every problem found.
pub async fn check(
    url: &str,
    acknowledged: &[Acknowledged],
    items: &[&str],
    exact: bool,
) -> Result<Snapshot, Vec<String>> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot open the database after the crash ({url}): {e}"));
    let mut problems = Vec::new();
    let mut p = |s: String| problems.push(s);

    // Cases: numbered, and numbered by their own unit and day.
    let mut cases: BTreeMap<String, (String, String, String, String, String)> = BTreeMap::new();
    let mut seqs: BTreeMap<(String, String), BTreeSet<i64>> = BTreeMap::new();
    let want_items: BTreeSet<&str> = items.iter().copied().collect();
    for r in rows(
        &pool,
        "SELECT id, number, unit, status, submitted_on, items, applicant FROM cases",
    )
    .await
    {
        let id = text(&r, "id");
        let number = r
            .try_get::<Option<String>, _>("number")
            .unwrap_or_default()
            .unwrap_or_default();
        let (unit, day, status) = (
            text(&r, "unit"),
            text(&r, "submitted_on"),
            text(&r, "status"),
        );
        match parse_number(&number) {
            Some((u, d, seq)) if u == unit && d == day => {
                if !seqs.entry((u, d)).or_default().insert(seq) {
                    p(format!("case {id}: number {number} is used twice"));
                }
            }
            _ => p(format!(
                "case {id}: number {number:?} does not name its unit {unit} and day {day}"
            )),
        }
        let stored_items = text(&r, "items");
        if stored_items.split(',').collect::<BTreeSet<_>>() != want_items {
            p(format!(
                "case {id}: items {stored_items}, expected {items:?}"
            ));
        }
        cases.insert(id, (number, status, unit, day, text(&r, "applicant")));
    }

    // Number counters: for each unit and day, the cases hold exactly 1..=last.
    let mut counters = BTreeMap::new();
    for r in rows(&pool, "SELECT unit, day, last FROM case_number_seq").await {
        counters.insert((text(&r, "unit"), text(&r, "day")), int(&r, "last"));
    }
    for (key, last) in &counters {
        let used = seqs.get(key).cloned().unwrap_or_default();
        if used != (1..=*last).collect::<BTreeSet<_>>() {
            let missing: Vec<i64> = (1..=*last).filter(|s| !used.contains(s)).collect();
            let extra: Vec<&i64> = used.iter().filter(|s| **s < 1 || **s > *last).collect();
            p(format!(
                "numbers of {key:?}: counter at {last}, missing {missing:?}, beyond it {extra:?}"
            ));
        }
    }
    for key in seqs.keys() {
        if !counters.contains_key(key) {
            p(format!("numbers of {key:?} have no counter row"));
        }
    }

    // Timelines: contiguous from 1, each commit's events whole; what they say about acceptance.
    let mut timelines: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for r in rows(
        &pool,
        "SELECT case_id, seq, last_seq, events FROM case_events ORDER BY case_id, seq",
    )
    .await
    {
        // The key holds the case id's 16 bytes (ADR 0007).
        let key = r
            .try_get::<Vec<u8>, _>("case_id")
            .unwrap_or_else(|e| panic!("column case_id: {e}"));
        let case = match uuid::Uuid::from_slice(&key) {
            Ok(id) => id.to_string(),
            Err(e) => {
                p(format!("a timeline row's case key is not a UUID: {e}"));
                continue;
            }
        };
        let (seq, last) = (int(&r, "seq"), int(&r, "last_seq"));
        let timeline = timelines.entry(case.clone()).or_default();
        let expected = i64::try_from(timeline.len()).unwrap_or(0) + 1;
        if seq != expected {
            p(format!(
                "case {case}: a commit starts at seq {seq}, expected {expected}"
            ));
        }
        // Written by this build: a compressed frame (a BLOB, or bytea on PostgreSQL).
        let stored = r
            .try_get::<Vec<u8>, _>("events")
            .unwrap_or_else(|e| panic!("column events: {e}"));
        let json = store::timeline::decode(&stored)
            .map_err(|e| e.to_string())
            .and_then(|j| {
                serde_json::from_slice::<Vec<serde_json::Value>>(&j).map_err(|e| e.to_string())
            });
        match json {
            Ok(events) => {
                if i64::try_from(events.len()).unwrap_or(0) != last - seq + 1 {
                    p(format!(
                        "case {case}: the commit {seq}..={last} holds {} events",
                        events.len()
                    ));
                }
                for (i, e) in events.into_iter().enumerate() {
                    let n = seq + i64::try_from(i).unwrap_or(0);
                    if e["seq"].as_i64() != Some(n) {
                        p(format!("case {case}: event {n} says seq {}", e["seq"]));
                    }
                    timeline.push(e);
                }
            }
            Err(e) => p(format!(
                "case {case}: the commit at seq {seq} does not read: {e}"
            )),
        }
    }

    let mut tasks: BTreeMap<String, BTreeMap<String, (i64, String)>> = BTreeMap::new();
    for r in rows(&pool, "SELECT case_id, n, status FROM tasks").await {
        // The key holds the case id's 16 bytes (ADR 0007).
        let key = r
            .try_get::<Vec<u8>, _>("case_id")
            .unwrap_or_else(|e| panic!("column case_id: {e}"));
        let Ok(case) = uuid::Uuid::from_slice(&key).map(|id| id.to_string()) else {
            p("a task row's case key is not a UUID".to_owned());
            continue;
        };
        let n = int(&r, "n");
        tasks
            .entry(case.clone())
            .or_default()
            .insert(format!("{case}.{n}"), (n, text(&r, "status")));
    }
    let mut forms: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for r in rows(
        &pool,
        "SELECT case_id, version, CAST(LENGTH(sealed) AS BIGINT) AS size FROM case_forms",
    )
    .await
    {
        forms
            .entry(text(&r, "case_id"))
            .or_default()
            .push((int(&r, "version"), int(&r, "size")));
    }
    let mut keys: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows(&pool, "SELECT case_id FROM idempotency_keys").await {
        *keys.entry(text(&r, "case_id")).or_default() += 1;
    }
    let persons: BTreeSet<String> = rows(&pool, "SELECT id FROM persons")
        .await
        .iter()
        .map(|r| text(r, "id"))
        .collect();

    // Nothing refers to a case that is not there.
    for (what, ids) in [
        ("events", timelines.keys().collect::<Vec<_>>()),
        ("tasks", tasks.keys().collect()),
        ("a form", forms.keys().collect()),
        ("an idempotency key", keys.keys().collect()),
    ] {
        for id in ids {
            if !cases.contains_key(id) {
                p(format!("{what} of case {id}, which does not exist"));
            }
        }
    }

    // Each case whole: its submission, its form, its key, its applicant; tasks if and only if
    // it was accepted, exactly the tasks its timeline opened.
    let mut applicants: HashMap<&str, usize> = HashMap::new();
    let mut snapshot = Snapshot::new();
    for (id, (number, status, _, _, applicant)) in &cases {
        *applicants.entry(applicant.as_str()).or_default() += 1;
        if !persons.contains(applicant) {
            p(format!(
                "case {id}: its applicant {applicant} is not in the registry"
            ));
        }
        let timeline = timelines.get(id).cloned().unwrap_or_default();
        let kinds: Vec<&str> = timeline
            .iter()
            .map(|e| e["kind"]["type"].as_str().unwrap_or("?"))
            .collect();
        if kinds.first() != Some(&"submitted") {
            p(format!("case {id}: its timeline begins {kinds:?}"));
        }
        let accepted = kinds.contains(&"accepted");
        let expected_status = if accepted { "in_progress" } else { "submitted" };
        if status != expected_status {
            p(format!(
                "case {id}: status {status} but its timeline is {kinds:?}"
            ));
        }
        let opened: BTreeSet<String> = timeline
            .iter()
            .filter(|e| e["kind"]["type"] == "task_opened")
            .filter_map(|e| e["kind"]["task"].as_str().map(str::to_owned))
            .collect();
        let rows = tasks.get(id).cloned().unwrap_or_default();
        let stored: BTreeSet<String> = rows.keys().cloned().collect();
        if opened != stored {
            p(format!(
                "case {id}: the timeline opened tasks {opened:?}, the tasks table holds {stored:?}"
            ));
        }
        if accepted && stored.is_empty() {
            p(format!("case {id}: accepted without a task"));
        }
        let ns: BTreeSet<i64> = rows.values().map(|(n, _)| *n).collect();
        let count = i64::try_from(ns.len()).unwrap_or(0);
        if ns != (1..=count).collect() {
            p(format!("case {id}: task numbers {ns:?}"));
        }
        for (task, (n, _)) in &rows {
            if *task != format!("{id}.{n}") {
                p(format!("case {id}: task {task} stored as number {n}"));
            }
        }
        match forms.get(id).map(Vec::as_slice) {
            Some([(1, size)]) if *size > 0 => {}
            other => p(format!(
                "case {id}: forms (version, bytes) {other:?}, expected one version 1"
            )),
        }
        if keys.get(id) != Some(&1) {
            p(format!(
                "case {id}: {} idempotency keys, expected 1",
                keys.get(id).unwrap_or(&0)
            ));
        }
        snapshot.insert(
            id.clone(),
            StoredCase {
                number: number.clone(),
                status: status.clone(),
                tasks: rows.into_iter().map(|(t, (_, s))| (t, s)).collect(),
                events: timeline.len(),
            },
        );
    }
    // Every application was for a new person: one person, one case.
    for (applicant, n) in &applicants {
        if *n > 1 {
            p(format!("person {applicant} has {n} cases"));
        }
    }
    for person in &persons {
        if !applicants.contains_key(person.as_str()) {
            p(format!("person {person} was registered without a case"));
        }
    }

    // What was acknowledged is there, as acknowledged.
    for a in acknowledged {
        match snapshot.get(&a.case_id) {
            None => p(format!(
                "case {} ({}) was acknowledged with 201 but is not in the database",
                a.case_id, a.number
            )),
            Some(c) => {
                if c.number != a.number {
                    p(format!(
                        "case {}: acknowledged as {}, stored as {}",
                        a.case_id, a.number, c.number
                    ));
                }
                if a.accepted && c.status != "in_progress" {
                    p(format!(
                        "case {}: its acceptance was acknowledged but it is {}",
                        a.case_id, c.status
                    ));
                }
            }
        }
    }
    if exact {
        let known: BTreeSet<&str> = acknowledged.iter().map(|a| a.case_id.as_str()).collect();
        for id in cases.keys() {
            if !known.contains(id.as_str()) {
                p(format!(
                    "case {id} exists but no submission (or its retry) was answered with it"
                ));
            }
        }
    }
    pool.close().await;
    if problems.is_empty() {
        Ok(snapshot)
    } else {
        Err(problems)
    }
}
