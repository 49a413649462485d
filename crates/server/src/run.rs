//! Wiring: reference data, keys, database, platform, HTTP.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use service::ports::{CatalogStore, RegistryStore};
use service::{Catalogs, Clock, Platform, SystemClock};
use store::reference::{self, Reference};
use store::{Db, DbOptions};

use crate::cli::{
    AuditCommand, CaseCommand, CatalogCommand, Cli, Command, DemoCommand, Global, KeysCommand,
    Mode, ServeArgs,
};
use crate::keys;

pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("YJS_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(&cli.global, cli.serve).await,
        Some(Command::Serve(args)) => serve(&cli.global, args).await,
        Some(Command::Migrate) => {
            let db = open_db(&cli.global, Arc::new(keys::vault(&cli.global)?)).await?;
            println!("数据库迁移已完成（{}）", db.engine().label());
            Ok(())
        }
        Some(Command::Catalog {
            command: CatalogCommand::Check,
        }) => catalog_check(&cli.global),
        Some(Command::Demo {
            command: DemoCommand::Accounts { json },
        }) => demo_accounts(&cli.global, json),
        Some(Command::Demo {
            command: DemoCommand::Seed { persons, seed },
        }) => demo_seed(&cli.global, persons, seed).await,
        Some(Command::Keys { command }) => keys_command(&cli.global, command).await,
        Some(Command::Audit {
            command: AuditCommand::Verify,
        }) => audit_verify(&cli.global).await,
        Some(Command::Case {
            command: CaseCommand::Timeline { number },
        }) => case_timeline(&cli.global, &number).await,
    }
}

/// `case timeline`: the case's events as stored, one JSON object per line (the rows are
/// compressed, ADR 0007, so plain SQL tools cannot read them).
async fn case_timeline(global: &Global, number: &str) -> anyhow::Result<()> {
    use service::ports::CaseStore;
    let number = domain::workflow::CaseNumber::parse(number)
        .map_err(|e| anyhow::anyhow!("办件编号格式不正确：{e}"))?;
    let db = open_db(global, Arc::new(keys::vault(global)?)).await?;
    let found = match db.case_id_by_number(&number).await {
        Ok(Some(id)) => db.load_case(&id).await,
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    };
    db.close().await;
    let stored = found
        .context("无法读取办件")?
        .ok_or_else(|| anyhow::anyhow!("未找到办件 {number}"))?;
    for event in &stored.events {
        println!("{}", serde_json::to_string(event)?);
    }
    Ok(())
}

/// `audit verify`: the report on stdout; a problem makes the command fail (exit status 1).
async fn audit_verify(global: &Global) -> anyhow::Result<()> {
    let db = open_db(global, Arc::new(keys::vault(global)?)).await?;
    let verification = service::audit::verify(&db)
        .await
        .context("无法读取审计日志")?;
    println!("{verification}");
    db.close().await;
    if verification.is_ok() {
        Ok(())
    } else {
        if let Some(b) = &verification.first_broken {
            tracing::error!(seq = b.seq, id = b.id, "audit chain broken");
        }
        Err(anyhow::anyhow!("审计日志校验未通过"))
    }
}

async fn keys_command(global: &Global, command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Generate { out, id } => {
            keys::generate(&out, &id)?;
            println!("已生成数据密钥 {id}：{}（权限 0600）", out.display());
        }
        KeysCommand::Rotate => {
            let id = keys::rotate(global)?;
            println!(
                "已轮换演示数据密钥：新写入使用 {id}，旧密钥移入 keys/retired/，旧数据仍可读取。"
            );
        }
        KeysCommand::Check => {
            let vault = Arc::new(keys::vault(global)?);
            let db = open_db(global, vault.clone()).await?;
            let usage = db.sealed_key_use().await.context("无法读取密文")?;
            println!("当前数据密钥：{}", vault.current_key_id());
            let mut missing = Vec::new();
            for (id, n) in &usage {
                let ok = vault.has_key(id);
                println!(
                    "  {id:<24} {n:>10} 个密文  {}",
                    if ok { "可解密" } else { "缺少密钥" }
                );
                if !ok {
                    missing.push(id.clone());
                }
            }
            db.close().await;
            if !missing.is_empty() {
                anyhow::bail!("以下密钥未配置，相应数据无法读取：{}", missing.join("、"));
            }
        }
    }
    Ok(())
}

/// The administrator's password: given directly, or the first line of a file.
fn admin_password(global: &Global) -> anyhow::Result<Option<String>> {
    if let Some(p) = &global.admin_password {
        return Ok(Some(p.clone()));
    }
    let Some(path) = &global.admin_password_file else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("无法读取管理员密码文件 {}", path.display()))?;
    Ok(text
        .lines()
        .next()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty()))
}

fn load_reference(global: &Global) -> anyhow::Result<Reference> {
    reference::load(&global.catalog_dir)
        .map_err(|e| anyhow::anyhow!("参考数据校验未通过，无法启动：\n{e}"))
}

fn catalog_check(global: &Global) -> anyhow::Result<()> {
    let r = load_reference(global)?;
    println!(
        "事项目录校验通过：{}，版本 {}，{} 个事项、{} 个场景；工作日历覆盖 {} 年；区划 {} 个。",
        r.catalog.name,
        r.catalog.version,
        r.catalog.items().len(),
        r.catalog.scenarios.len(),
        r.calendar
            .years()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join("、"),
        r.regions.iter().count(),
    );
    Ok(())
}

fn db_options(global: &Global) -> anyhow::Result<DbOptions> {
    std::fs::create_dir_all(&global.data_dir)
        .with_context(|| format!("无法创建数据目录 {}", global.data_dir.display()))?;
    let mut options = match &global.database_url {
        Some(url) if url.starts_with("postgres") => DbOptions::postgres(url),
        Some(url) => DbOptions {
            url: url.clone(),
            ..DbOptions::sqlite_file(std::path::Path::new("unused"))
        },
        None => DbOptions::sqlite_file(&global.data_dir.join("yijianshi.db")),
    };
    // Outside the database: the data directory, or a file the operator names.
    options.audit_checkpoints = Some(
        global
            .audit_checkpoint_file
            .clone()
            .unwrap_or_else(|| global.data_dir.join(store::AUDIT_CHECKPOINTS)),
    );
    Ok(options)
}

async fn open_db(global: &Global, vault: Arc<service::Vault>) -> anyhow::Result<Db> {
    Db::open(&db_options(global)?, vault)
        .await
        .context("无法打开数据库")
}

async fn demo_seed(global: &Global, persons: usize, seed: u64) -> anyhow::Result<()> {
    let reference = load_reference(global)?;
    let db = open_db(global, Arc::new(keys::vault(global)?)).await?;
    let started = Instant::now();
    let today = domain::time::shanghai_date(SystemClock.now());
    let records = service::demo::generate(
        &reference.regions,
        &service::demo::DemoSpec {
            persons,
            seed,
            today,
        },
    );
    for chunk in records.chunks(5000) {
        db.insert_records(chunk)
            .await
            .context("写入基础信息库失败")?;
    }
    println!(
        "已生成 {} 名合成人员（种子 {seed}），用时 {:.1} 秒；基础信息库现有 {} 人。",
        records.len(),
        started.elapsed().as_secs_f64(),
        db.count_persons().await.unwrap_or(0)
    );
    Ok(())
}

fn demo_accounts(global: &Global, json: bool) -> anyhow::Result<()> {
    let reference = load_reference(global)?;
    let accounts = service::demo_accounts::demo_accounts(&reference.regions);
    if json {
        let list: Vec<serde_json::Value> = accounts
            .iter()
            .map(|a| {
                serde_json::json!({
                    "username": a.username,
                    "role": a.role.key(),
                    "role_label": a.role.label(),
                    "region": a.region.to_string(),
                    "region_name": reference.regions.name(&a.region),
                    "display_name": a.display_name,
                })
            })
            .collect();
        let out = serde_json::json!({ "password": service::demo_accounts::DEMO_PASSWORD, "accounts": list });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "演示账号（仅演示模式存在），密码均为：{}",
            service::demo_accounts::DEMO_PASSWORD
        );
        for a in &accounts {
            println!(
                "  {:<22} {:<18} {}",
                a.username,
                a.role.label(),
                reference.regions.name(&a.region)
            );
        }
    }
    Ok(())
}

fn auth_settings(global: &Global) -> service::auth::AuthSettings {
    let min = |m: u64| std::time::Duration::from_secs(m * 60);
    service::auth::AuthSettings {
        idle: min(global.session_idle_minutes),
        absolute: min(global.session_absolute_hours * 60),
        max_failures: global.login_max_failures,
        failure_window: min(global.login_failure_window_minutes),
        demo: global.mode == Mode::Demo,
        ..service::auth::AuthSettings::default()
    }
}

async fn serve(global: &Global, args: ServeArgs) -> anyhow::Result<()> {
    let admin_password = admin_password(global)?;
    if global.mode == Mode::Production
        && admin_password
            .as_deref()
            .is_none_or(|p| p.chars().count() < 12)
    {
        anyhow::bail!(
            "生产模式必须提供至少 12 位的管理员密码（--admin-password、YJS_ADMIN_PASSWORD 或 admin_password_file）"
        );
    }
    let listen = args.listen;
    let reference = load_reference(global)?;
    let vault = Arc::new(keys::vault(global)?);
    let db = open_db(global, vault.clone()).await?;
    db.save_catalog_version(
        &reference.catalog.version.0,
        &service::catalogs::sources_to_json(&reference.sources),
    )
    .await
    .context("无法记录事项目录版本")?;
    let demo = global.mode == Mode::Demo;
    if demo && db.count_persons().await.unwrap_or(0) == 0 && args.demo_persons > 0 {
        let today = domain::time::shanghai_date(SystemClock.now());
        let spec = service::demo::DemoSpec {
            persons: args.demo_persons,
            seed: 2026,
            today,
        };
        let records = service::demo::generate(&reference.regions, &spec);
        db.insert_records(&records)
            .await
            .context("写入演示数据失败")?;
        tracing::info!(persons = records.len(), "demo registry seeded");
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let started_at = clock.now();
    let platform = Arc::new(
        Platform::new(
            db.clone(),
            clock,
            Catalogs::new(reference.catalog),
            reference.calendar,
            reference.regions,
            vault,
        )
        .with_auth(auth_settings(global)),
    );
    if demo {
        for account in service::demo_accounts::demo_accounts(&platform.regions) {
            platform
                .put_account(&account, service::demo_accounts::DEMO_PASSWORD)
                .await
                .context("无法创建演示账号")?;
        }
        tracing::info!("demo staff accounts ready (yijianshi demo accounts)");
    }
    if let Some(password) = &admin_password {
        let city = platform.regions.city().clone();
        let admin = service::auth::Account {
            id: "admin".to_owned(),
            username: "admin".to_owned(),
            display_name: "系统管理员".to_owned(),
            role: domain::access::Role::Administrator,
            scope: domain::access::Scope(city.to_string()),
            region: city,
            active: true,
        };
        platform
            .put_account(&admin, password)
            .await
            .context("无法设置管理员账号")?;
    }
    let state = Arc::new(web::AppState {
        platform: platform.clone(),
        demo,
        started_at,
        version: env!("CARGO_PKG_VERSION"),
        secure_cookies: global.secure_cookies || global.mode == Mode::Production,
    });
    let app = web::router(state);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("无法监听 {listen}"))?;
    let local = listener.local_addr().unwrap_or(listen);
    tracing::info!(address = %local, engine = db.engine().label(), demo, "serving");
    if demo {
        tracing::info!("demo mode: synthetic data, generated keys; open http://{local}/");
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("HTTP 服务异常退出")?;
    // The reads audited so far are written, then sealed by the store's last seal.
    platform.auditor.close().await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
