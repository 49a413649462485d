//! `yijianshi`: the server binary. `serve` (the default) runs the platform; `migrate`,
//! `catalog check` and `demo seed` are the operator's tools.

#![allow(clippy::print_stdout, reason = "a command-line tool reports on stdout")]

/// mimalloc: the case engine allocates many small objects per step; glibc malloc cost a fifth of
/// the CPU in the engine benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;
mod config;
mod keys;
mod run;

use clap::{CommandFactory, FromArgMatches};

fn main() -> std::process::ExitCode {
    let matches = cli::Cli::command().get_matches();
    let mut cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    if let Some(path) = cli.global.config.clone()
        && let Err(e) = config::load(&path).and_then(|f| config::apply(f, &mut cli, &matches))
    {
        eprintln!("错误：{e:#}");
        return std::process::ExitCode::from(2);
    }
    run::init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("无法启动运行时：{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
