//! The binary as an operator meets it: start-up validates the catalog and names what is wrong;
//! `serve` with no configuration runs in demo mode and says so.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_yijianshi"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("yjs-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn catalog_check_passes_on_the_shipped_catalog() {
    let out = bin()
        .args([
            "--catalog-dir",
            &testkit::catalog_dir().display().to_string(),
            "catalog",
            "check",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("14 个事项"), "{stdout}");
}

#[test]
fn a_dependency_cycle_stops_catalog_check_and_start_up_naming_the_file_and_entry() {
    let dir = temp_dir("cycle");
    let catalog = dir.join("catalog");
    copy_dir(&testkit::catalog_dir(), &catalog);
    let item = catalog.join("items/employment.unemployment.toml");
    let mut text = std::fs::read_to_string(&item).unwrap();
    text.push_str(
        "\n[[prerequisite]]\nlabel = \"循环\"\ntest = { fact = \"person.employment_difficulty\", op = \"is_true\" }\nsatisfied_by = [\"employment.difficulty\"]\n",
    );
    std::fs::write(&item, text).unwrap();
    for args in [
        vec!["catalog", "check"],
        vec!["serve", "--listen", "127.0.0.1:0"],
    ] {
        let out = bin()
            .args([
                "--catalog-dir",
                &catalog.display().to_string(),
                "--data-dir",
                &dir.join("data").display().to_string(),
            ])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr.contains("依赖循环"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("items/employment.difficulty.toml")
                || stderr.contains("items/employment.unemployment.toml"),
            "{stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn get(addr: &str, path: &str) -> Option<String> {
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

#[test]
fn serve_without_configuration_runs_in_demo_mode_and_says_so() {
    let dir = temp_dir("serve");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = bin()
        .current_dir(&dir)
        .env("YJS_CATALOG_DIR", testkit::catalog_dir())
        .env("YJS_LISTEN", &addr)
        .env("YJS_DEMO_PERSONS", "50")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let health = loop {
        if let Some(r) = get(&addr, "/healthz") {
            break r;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server did not come up"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let page = get(&addr, "/").unwrap();
    assert!(page.contains("演示模式"), "demo mode is said on the page");
    assert!(page.contains("lang=\"zh-CN\""));
    let missing = get(&addr, "/no-such-page").unwrap();
    assert!(
        missing.starts_with("HTTP/1.1 404") && missing.contains("演示模式"),
        "and on every page"
    );
    let ready = get(&addr, "/readyz").unwrap();
    assert!(
        ready.starts_with("HTTP/1.1 200") && ready.contains("\"database\":\"ok\""),
        "{ready}"
    );
    let _ = child.kill();
    let _ = child.wait();
    // The embedded database and generated keys live under ./data.
    assert!(dir.join("data/yijianshi.db").exists());
    assert!(dir.join("data/keys/data-key.txt").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn audit_verify_reports_the_chain_and_fails_when_the_checkpoint_is_ahead_of_the_database() {
    let data = temp_dir("audit");
    let verify = || {
        bin()
            .args(["--data-dir", &data.display().to_string(), "audit", "verify"])
            .output()
            .unwrap()
    };
    let out = verify();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("审计链为空"), "{stdout}");

    // The checkpoint outside the database says the chain reached seq 3: entries were cut off.
    let hash = "ab".repeat(32);
    std::fs::write(
        data.join("audit-checkpoints.log"),
        format!("3 {hash} 2026-11-30T01:00:00.000000Z\n"),
    )
    .unwrap();
    let out = verify();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("最新的审计条目被截掉") && stdout.contains("数据库只到序号 0"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn case_timeline_prints_the_stored_events_and_names_an_unknown_case() {
    let data = temp_dir("timeline");
    let dir = data.display().to_string();
    let migrate = bin()
        .args(["--data-dir", &dir, "migrate"])
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    // A case whose timeline holds a compressed row, as the writer stores it (ADR 0007).
    let event = r#"[{"seq":1,"at":"2026-11-30T01:00:00.000001Z","actor":{"kind":"staff","account":"assessor-1","role":"assessor"},"kind":{"type":"withdrawn","on":"2026-11-30","reason":"申请人撤回"}}]"#;
    let frame = store::timeline::encode(event.as_bytes());
    let url = format!("sqlite://{}", data.join("yijianshi.db").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query(
            "INSERT INTO cases (id, number, unit, region_path, applicant, channel, status, \
             catalog_version, submitted_on, submitted_at, status_at, items) VALUES \
             ('019acd2e-5c00-7000-8000-000000000001', 'YJS-321302-20261130-0001', '321302', '321300/321302', 'p-1', 'online', \
             'withdrawn', 'v', '2026-11-30', 0, 0, 'cert.new')",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            // The key is the case id's 16 bytes (ADR 0007).
            "INSERT INTO case_events (case_id, seq, last_seq, at, events) \
             VALUES (x'019acd2e5c0070008000000000000001', 1, 1, 0, ?)",
        )
        .bind(frame)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    });

    let timeline = |number: &str| {
        bin()
            .args(["--data-dir", &dir, "case", "timeline", number])
            .output()
            .unwrap()
    };
    let out = timeline("YJS-321302-20261130-0001");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains(r#""type":"withdrawn""#) && stdout.contains("申请人撤回"),
        "{stdout}"
    );

    let out = timeline("YJS-321302-20261130-0002");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("未找到办件 YJS-321302-20261130-0002"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = timeline("not-a-number");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("办件编号格式不正确"));
    let _ = std::fs::remove_dir_all(&data);
}
