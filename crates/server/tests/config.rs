//! Configuration as an operator writes it: a TOML file, overridden by the environment and by
//! flags; unknown keys and values out of range are refused naming the key; key rotation and the
//! key check from the command line.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("yjs-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary with a clean environment (no inherited YJS_* or DATABASE_URL).
fn bin(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yijianshi"));
    c.current_dir(dir).env_remove("DATABASE_URL");
    for (k, _) in std::env::vars() {
        if k.starts_with("YJS_") {
            c.env_remove(k);
        }
    }
    c
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn write_config(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("yijianshi.toml");
    let catalog = testkit::catalog_dir().display().to_string();
    std::fs::write(&path, format!("catalog_dir = {catalog:?}\n{body}")).unwrap();
    path
}

#[test]
fn the_file_sets_options_the_environment_and_flags_override_it() {
    let dir = temp_dir("layers");
    let config = write_config(&dir, "data_dir = \"from-file\"\n");
    let seed = |cmd: &mut Command| {
        let out = cmd
            .args(["demo", "seed", "--persons", "5"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    };
    seed(bin(&dir).arg("--config").arg(&config));
    assert!(dir.join("from-file/yijianshi.db").exists());
    seed(
        bin(&dir)
            .env("YJS_CONFIG", &config)
            .env("YJS_DATA_DIR", "from-env"),
    );
    assert!(dir.join("from-env/yijianshi.db").exists());
    seed(
        bin(&dir)
            .env("YJS_CONFIG", &config)
            .env("YJS_DATA_DIR", "from-env")
            .args(["--data-dir", "from-flag"]),
    );
    assert!(dir.join("from-flag/yijianshi.db").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_keys_and_values_out_of_range_are_refused_naming_the_key() {
    let dir = temp_dir("bad");
    for (body, expect) in [
        ("sesion_idle_minutes = 30\n", "sesion_idle_minutes"),
        ("session_idle_minutes = 0\n", "session_idle_minutes"),
        ("login_max_failures = 1000\n", "login_max_failures"),
        ("mode = \"prod\"\n", "mode"),
        ("listen = \"localhost\"\n", "listen"),
        ("data_dir = 5\n", "data_dir"),
    ] {
        let config = write_config(&dir, body);
        let out = bin(&dir)
            .arg("--config")
            .arg(&config)
            .args(["catalog", "check"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{body}: {}", text(&out));
        assert!(text(&out).contains(expect), "{body}: {}", text(&out));
    }
    let out = bin(&dir)
        .args(["--config", "no-such-file.toml", "catalog", "check"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("no-such-file.toml"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn production_from_the_file_refuses_to_start_without_keys_and_an_administrator_password() {
    let dir = temp_dir("production");
    let config = write_config(&dir, "mode = \"production\"\n");
    let out = bin(&dir).arg("--config").arg(&config).output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("管理员密码"), "{}", text(&out));
    std::fs::write(dir.join("admin.txt"), "a-long-enough-password\n").unwrap();
    let config = write_config(
        &dir,
        "mode = \"production\"\nadmin_password_file = \"admin.txt\"\n",
    );
    let out = bin(&dir).arg("--config").arg(&config).output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("密钥文件"), "{}", text(&out));
    assert!(
        !dir.join("data/yijianshi.db").exists(),
        "nothing was created"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_rotate_keeps_old_values_readable_and_check_finds_a_missing_key() {
    let dir = temp_dir("keys");
    let config = write_config(&dir, "");
    let run = |args: &[&str]| {
        bin(&dir)
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["demo", "seed", "--persons", "10"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["keys", "rotate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("demo-2"), "{}", text(&out));
    assert!(dir.join("data/keys/retired/demo-1.txt").exists());
    let out = run(&["demo", "seed", "--persons", "10", "--seed", "7"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["keys", "check"]);
    assert!(out.status.success(), "{}", text(&out));
    let report = text(&out);
    assert!(report.contains("当前数据密钥：demo-2"), "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.contains("demo-1") && l.contains("可解密")),
        "{report}"
    );
    assert!(
        report
            .lines()
            .any(|l| l.contains("demo-2") && l.contains("可解密")),
        "{report}"
    );

    // Remove the retired key: the check names what can no longer be read.
    std::fs::rename(
        dir.join("data/keys/retired/demo-1.txt"),
        dir.join("demo-1.bak"),
    )
    .unwrap();
    let out = run(&["keys", "check"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("缺少密钥") && text(&out).contains("demo-1"),
        "{}",
        text(&out)
    );

    // Production-style: the old key given as a retired file.
    let out = bin(&dir)
        .arg("--config")
        .arg(&config)
        .env("YJS_RETIRED_DATA_KEY_FILES", dir.join("demo-1.bak"))
        .args(["keys", "check"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));

    let out = run(&[
        "keys",
        "generate",
        "--out",
        "new-key.txt",
        "--id",
        "prod-2027",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&[
        "keys",
        "generate",
        "--out",
        "new-key.txt",
        "--id",
        "prod-2028",
    ]);
    assert!(!out.status.success(), "never overwrites a key file");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_example_configuration_is_valid() {
    let dir = temp_dir("example");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../yijianshi.example.toml");
    let out = bin(&dir)
        .arg("--config")
        .arg(&example)
        .args([
            "--catalog-dir",
            &testkit::catalog_dir().display().to_string(),
        ])
        .args(["catalog", "check"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_mode_refuses_new_keys_for_an_existing_database() {
    let dir = temp_dir("lost-keys");
    let config = write_config(&dir, "");
    let run = |args: &[&str]| {
        bin(&dir)
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["demo", "seed", "--persons", "5"]).status.success());
    std::fs::remove_file(dir.join("data/keys/data-key.txt")).unwrap();
    let out = run(&["demo", "seed", "--persons", "5"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("密钥文件缺失"), "{}", text(&out));
    assert!(
        !dir.join("data/keys/data-key.txt").exists(),
        "no new key was made"
    );
    let _ = std::fs::remove_file(dir.join("data/yijianshi.db"));
    let _ = std::fs::remove_dir_all(&dir);
}
