//! The configuration file (TOML). Precedence, lowest first: built-in defaults, the file
//! (`--config` or `YJS_CONFIG`), environment variables, command-line flags. Every key of the file
//! has the name of its command-line option with `_` for `-`; unknown keys and values out of range
//! are refused with the key named.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::ArgMatches;
use clap::parser::ValueSource;
use serde::Deserialize;

use crate::cli::{Cli, Mode};

/// The file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub mode: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub catalog_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub data_key_file: Option<PathBuf>,
    pub retired_data_key_files: Option<Vec<PathBuf>>,
    pub blind_index_key_file: Option<PathBuf>,
    pub admin_password_file: Option<PathBuf>,
    pub session_idle_minutes: Option<u64>,
    pub session_absolute_hours: Option<u64>,
    pub login_max_failures: Option<u32>,
    pub login_failure_window_minutes: Option<u64>,
    pub secure_cookies: Option<bool>,
    pub audit_checkpoint_file: Option<PathBuf>,
    pub listen: Option<String>,
    pub demo_persons: Option<usize>,
}

/// Reads and checks a configuration file.
pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("无法读取配置文件 {}", path.display()))?;
    let config: FileConfig = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("配置文件 {} 有误：\n{e}", path.display()))?;
    Ok(config)
}

/// Was the option left at its default (neither environment nor command line set it), at every
/// level of subcommands?
fn unset(matches: &ArgMatches, id: &str) -> bool {
    let here = matches.try_get_raw(id).is_err()
        || matches!(
            matches.value_source(id),
            None | Some(ValueSource::DefaultValue)
        );
    here && matches.subcommand().is_none_or(|(_, sub)| unset(sub, id))
}

fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
    key: &str,
    v: T,
    lo: T,
    hi: T,
) -> anyhow::Result<T> {
    if v < lo || v > hi {
        bail!("配置项 {key} 须在 {lo} 至 {hi} 之间（现为 {v}）");
    }
    Ok(v)
}

/// Fills every option the environment and command line left at its default from the file.
pub fn apply(file: FileConfig, cli: &mut Cli, matches: &ArgMatches) -> anyhow::Result<()> {
    let g = &mut cli.global;
    if let Some(v) = file.mode
        && unset(matches, "mode")
    {
        g.mode = match v.as_str() {
            "demo" => Mode::Demo,
            "production" => Mode::Production,
            other => bail!("配置项 mode 须为 \"demo\" 或 \"production\"（现为 \"{other}\"）"),
        };
    }
    macro_rules! take {
        ($field:ident) => {
            if let Some(v) = file.$field
                && unset(matches, stringify!($field))
            {
                g.$field = v;
            }
        };
        (opt $field:ident) => {
            if let Some(v) = file.$field
                && unset(matches, stringify!($field))
            {
                g.$field = Some(v);
            }
        };
        (range $field:ident, $lo:expr, $hi:expr) => {
            if let Some(v) = file.$field
                && unset(matches, stringify!($field))
            {
                g.$field = in_range(stringify!($field), v, $lo, $hi)?;
            }
        };
    }
    take!(data_dir);
    take!(catalog_dir);
    take!(opt database_url);
    take!(opt data_key_file);
    take!(retired_data_key_files);
    take!(opt blind_index_key_file);
    take!(opt admin_password_file);
    take!(secure_cookies);
    take!(opt audit_checkpoint_file);
    take!(range session_idle_minutes, 1, 24 * 60);
    take!(range session_absolute_hours, 1, 7 * 24);
    take!(range login_max_failures, 1, 100);
    take!(range login_failure_window_minutes, 1, 24 * 60);
    let serve = match &mut cli.command {
        Some(crate::cli::Command::Serve(args)) => args,
        _ => &mut cli.serve,
    };
    if let Some(v) = file.listen
        && unset(matches, "listen")
    {
        serve.listen = v.parse::<SocketAddr>().map_err(|_| {
            anyhow::anyhow!("配置项 listen 须为 地址:端口，如 127.0.0.1:8080（现为 \"{v}\"）")
        })?;
    }
    if let Some(v) = file.demo_persons
        && unset(matches, "demo_persons")
    {
        serve.demo_persons = in_range("demo_persons", v, 0, 1_000_000)?;
    }
    Ok(())
}
