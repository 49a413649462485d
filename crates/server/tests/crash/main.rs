//! Crash safety (issue 3): the real `yijianshi serve` takes concurrent window submissions (and
//! acceptances of some of them) and is killed with SIGKILL while requests are in flight, three
//! times at different moments. After each kill the database must hold every case whose
//! submission was answered 201, whole, and nothing half-written; after each restart every such
//! case reads back whole through the API, a retry with its Idempotency-Key returns the same case,
//! and a retry of a submission that got no answer returns its case or creates exactly one.
//!
//! Runs on SQLite (the default `serve` configuration: WAL, `synchronous=FULL`, group commit),
//! and on PostgreSQL too when `TEST_DATABASE_URL` is set. A SIGKILL of the server process
//! leaves the operating system's page cache intact, so this proves the acknowledgement order
//! (nothing is answered before its transaction committed, nothing is committed in parts), not
//! durability against power loss.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod api;
mod db;
mod server;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use testkit::app::TestEngine;

use api::{Api, Entry, WINDOWS};
use server::Server;

/// Concurrent clients during the load.
const WORKERS: usize = 8;
/// Each cycle kills the server once this many of its submissions were answered 201: soon after
/// start, and later under way.
const KILL_AFTER: [usize; 3] = [3, 20, 45];
/// Safety valve for reaching a kill point on a loaded machine (not a timing assertion).
const LOAD_TIMEOUT: Duration = Duration::from_secs(180);

/// Progress of a load: (submissions answered 201, failures).
type Progress = tokio::sync::watch::Sender<(usize, usize)>;

#[derive(Debug, Default)]
struct Ledger {
    entries: BTreeMap<u32, Entry>,
    failures: Vec<String>,
}

#[derive(Debug)]
struct Load {
    api: Api,
    ledger: Arc<Mutex<Ledger>>,
    next: Arc<AtomicU32>,
    killed: AtomicBool,
    progress: Progress,
}

impl Load {
    fn fail(&self, problem: String) {
        self.ledger.lock().unwrap().failures.push(problem);
        self.progress.send_modify(|p| p.1 += 1);
    }

    fn update(&self, n: u32, f: impl FnOnce(&mut Entry)) {
        if let Some(e) = self.ledger.lock().unwrap().entries.get_mut(&n) {
            f(e);
        }
    }
}

/// Submits new applications one after another (accepting half of them) until the server
/// stops answering. An unanswered request is expected only once the kill was ordered.
async fn worker(load: Arc<Load>) {
    while !load.killed.load(Ordering::SeqCst) {
        let n = load.next.fetch_add(1, Ordering::SeqCst);
        let entry = load.api.entry(n);
        let submission = entry.submission.clone();
        load.ledger.lock().unwrap().entries.insert(n, entry);
        let case = match load.api.submit(&submission).await {
            Ok((StatusCode::CREATED, body)) => match api::submitted(&body) {
                Some(case) => case,
                None => return load.fail(format!("submission {n}: 201 with {body}")),
            },
            Ok((status, body)) => {
                return load.fail(format!("submission {n}: {status} {body}"));
            }
            Err(e) => {
                if !load.killed.load(Ordering::SeqCst) {
                    load.fail(format!("submission {n} failed before the kill: {e}"));
                }
                return;
            }
        };
        let case_id = case.0.clone();
        load.update(n, |e| e.case = Some(case));
        load.progress.send_modify(|p| p.0 += 1);
        // Every second pair: both windows accept some of their cases.
        if (n / 2) % 2 == 1 {
            continue;
        }
        load.update(n, |e| e.accept = Some(false));
        match load.api.accept(submission.window, &case_id).await {
            Ok((StatusCode::OK, _)) => load.update(n, |e| e.accept = Some(true)),
            Ok((status, body)) => {
                return load.fail(format!("acceptance of {case_id}: {status} {body}"));
            }
            Err(e) => {
                if !load.killed.load(Ordering::SeqCst) {
                    load.fail(format!(
                        "acceptance of {case_id} failed before the kill: {e}"
                    ));
                }
                return;
            }
        }
    }
}

/// What the database must hold: every acknowledged case.
fn acknowledged(ledger: &Ledger) -> Vec<db::Acknowledged> {
    ledger
        .entries
        .values()
        .filter_map(|e| {
            e.case.as_ref().map(|(id, number)| db::Acknowledged {
                case_id: id.clone(),
                number: number.clone(),
                accepted: e.accept == Some(true),
            })
        })
        .collect()
}

fn fail_with(what: &str, problems: &[String], server: &Server) -> ! {
    panic!(
        "{what}: {} problem(s):\n  {}\n\nthe server's last log lines:\n{}",
        problems.len(),
        problems.join("\n  "),
        server.log_tail()
    );
}

async fn crash_and_recover(engine: TestEngine) {
    let started = Instant::now();
    let catalog = Arc::new(
        store::reference::load(&testkit::catalog_dir())
            .unwrap_or_else(|e| panic!("catalog: {e}"))
            .catalog,
    );
    let database = server::database(engine).await;
    let mut server = server::start(&database).await;
    let tokens = api::log_in(&server.url).await;
    let ledger: Arc<Mutex<Ledger>> = Arc::default();
    let next = Arc::new(AtomicU32::new(0));
    let mut unanswered_at_kills = Vec::new();

    for (cycle, kill_after) in KILL_AFTER.into_iter().enumerate() {
        let load = Arc::new(Load {
            api: Api::new(&server.url, tokens.clone(), catalog.clone()),
            ledger: ledger.clone(),
            next: next.clone(),
            killed: AtomicBool::new(false),
            progress: tokio::sync::watch::channel((0, 0)).0,
        });
        let mut progress = load.progress.subscribe();
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| tokio::spawn(worker(load.clone())))
            .collect();
        let reached = tokio::time::timeout(
            LOAD_TIMEOUT,
            progress.wait_for(|(acked, failed)| *acked >= kill_after || *failed > 0),
        )
        .await
        .is_ok();
        // Requests are in flight: SIGKILL.
        load.killed.store(true, Ordering::SeqCst);
        server.kill();
        for w in workers {
            // Each request ends at the latest at the client's timeout.
            tokio::time::timeout(api::REQUEST_TIMEOUT * 2, w)
                .await
                .expect("a client did not stop after the kill")
                .expect("a client panicked");
        }
        let (failures, acks, unanswered) = {
            let l = ledger.lock().unwrap();
            let unanswered = l
                .entries
                .values()
                .filter(|e| e.case.is_none() || e.accept == Some(false))
                .count();
            (l.failures.clone(), acknowledged(&l), unanswered)
        };
        if !failures.is_empty() {
            fail_with(&format!("{engine:?}, load {cycle}"), &failures, &server);
        }
        assert!(
            reached,
            "{engine:?}: {kill_after} submissions were not answered within {LOAD_TIMEOUT:?}; \
             the server's log:\n{}",
            server.log_tail()
        );
        unanswered_at_kills.push(unanswered);

        // The database as the crash left it.
        let snapshot = match db::check(&database.url(), &acks, &api::ITEMS, false).await {
            Ok(s) => s,
            Err(problems) => fail_with(
                &format!("{engine:?}, database after kill {cycle}"),
                &problems,
                &server,
            ),
        };

        // Restart on the same database; the sessions survive; every case reads back whole.
        server = server::start(&database).await;
        let api = Api::new(&server.url, tokens.clone(), catalog.clone());
        for (window, (username, _, _)) in WINDOWS.iter().enumerate() {
            let me = api.me(window).await;
            assert!(
                matches!(me, Ok((StatusCode::OK, _))),
                "{engine:?}: the session of {username} did not survive the crash: {me:?}"
            );
        }
        let entries: Vec<Entry> = ledger.lock().unwrap().entries.values().cloned().collect();
        let checked: Vec<(Entry, Vec<String>)> = futures::stream::iter(entries)
            .map(|e| api.verify(e, &snapshot))
            .buffer_unordered(4)
            .collect()
            .await;
        let mut problems = Vec::new();
        {
            let mut l = ledger.lock().unwrap();
            for (entry, p) in checked {
                problems.extend(p);
                l.entries.insert(entry.submission.n, entry);
            }
        }
        if !problems.is_empty() {
            fail_with(
                &format!("{engine:?}, reading back after restart {cycle}"),
                &problems,
                &server,
            );
        }
    }

    // A last kill (idle), then the whole database against everything that was answered: every
    // case accounted for, exactly once.
    server.kill();
    let all = acknowledged(&ledger.lock().unwrap());
    if let Err(problems) = db::check(&database.url(), &all, &api::ITEMS, true).await {
        fail_with(&format!("{engine:?}, final database"), &problems, &server);
    }
    let accepted = all.iter().filter(|a| a.accepted).count();
    let (committed, created) = {
        let l = ledger.lock().unwrap();
        let count = |s| {
            l.entries
                .values()
                .filter(|e| e.recovered == Some(s))
                .count()
        };
        (count(StatusCode::OK), count(StatusCode::CREATED))
    };
    assert!(
        unanswered_at_kills.iter().sum::<usize>() > 0,
        "{engine:?}: no request was in flight at any kill, so the test proved nothing"
    );
    eprintln!(
        "crash safety on {engine:?}: {} kills with {unanswered_at_kills:?} requests unanswered \
         (retried: {committed} submissions had committed, {created} were created anew); \
         {} cases ({accepted} accepted) all whole; {:.1} s",
        KILL_AFTER.len(),
        all.len(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_submissions_survive_sigkill_whole_and_nothing_is_half_written() {
    for engine in testkit::app::engines() {
        crash_and_recover(engine).await;
    }
}
