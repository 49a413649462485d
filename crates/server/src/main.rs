//! `yijianshi`: the server binary. `serve` (the default) runs the platform; `migrate`,
//! `catalog check` and `demo seed` are the operator's tools.

#![allow(clippy::print_stdout, reason = "a command-line tool reports on stdout")]

/// mimalloc: the case engine allocates many small objects per step; glibc malloc cost a fifth of
/// the CPU in the engine benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;
mod keys;
mod run;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
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
