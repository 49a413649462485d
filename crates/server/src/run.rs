//! Wiring: reference data, keys, database, platform, HTTP.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use service::ports::{CatalogStore, RegistryStore};
use service::{Catalogs, Clock, Platform, SystemClock};
use store::reference::{self, Reference};
use store::{Db, DbOptions};

use crate::cli::{
    AuditCommand, CatalogCommand, Cli, Command, DemoCommand, Global, Mode, ServeArgs,
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
            command: DemoCommand::Seed { persons, seed },
        }) => demo_seed(&cli.global, persons, seed).await,
        Some(Command::Audit {
            command: AuditCommand::Verify,
        }) => audit_verify(&cli.global).await,
    }
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

async fn serve(global: &Global, args: ServeArgs) -> anyhow::Result<()> {
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
    let platform = Arc::new(Platform::new(
        db.clone(),
        clock,
        Catalogs::new(reference.catalog),
        reference.calendar,
        reference.regions,
        vault,
    ));
    let state = Arc::new(web::AppState {
        platform: platform.clone(),
        demo,
        started_at,
        version: env!("CARGO_PKG_VERSION"),
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
