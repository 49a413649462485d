//! Command line and environment: every option has an environment equivalent.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "yijianshi",
    version,
    about = "宿迁市残疾人服务「一件事」联办平台"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// `serve` options, also accepted without the subcommand (serve is the default).
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct Global {
    /// A TOML configuration file (see README); environment variables and flags override it.
    #[arg(long, env = "YJS_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Where the embedded database, key files and uploaded files live.
    #[arg(long, env = "YJS_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// The folder with the catalog, the working-day calendar and the region tree.
    #[arg(
        long,
        env = "YJS_CATALOG_DIR",
        default_value = "./catalog",
        global = true
    )]
    pub catalog_dir: PathBuf,
    /// A database URL: postgres://… for PostgreSQL, sqlite://… for another SQLite file.
    /// Without it, the embedded SQLite file `<data-dir>/yijianshi.db` is used.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// demo: synthetic data and generated keys, said on every page. production: no demo data;
    /// key files must be given.
    #[arg(long, env = "YJS_MODE", value_enum, default_value_t = Mode::Demo, global = true)]
    pub mode: Mode,
    /// SM4 data-key file (production). Demo mode generates `<data-dir>/keys/data-key.txt`.
    #[arg(long, env = "YJS_DATA_KEY_FILE", global = true)]
    pub data_key_file: Option<PathBuf>,
    /// Former data-key files, kept so that values sealed before a rotation stay readable
    /// (comma-separated). Demo mode also reads `<data-dir>/keys/retired/*.txt`.
    #[arg(
        long,
        env = "YJS_RETIRED_DATA_KEY_FILES",
        value_delimiter = ',',
        global = true
    )]
    pub retired_data_key_files: Vec<PathBuf>,
    /// Blind-index key file (production). Demo mode generates `<data-dir>/keys/blind-index-key.txt`.
    #[arg(long, env = "YJS_BLIND_INDEX_KEY_FILE", global = true)]
    pub blind_index_key_file: Option<PathBuf>,
    /// The administrator's password (production: required; the `admin` account gets it at
    /// start-up). Prefer the environment or a file over the command line.
    #[arg(
        long,
        env = "YJS_ADMIN_PASSWORD",
        global = true,
        hide_env_values = true
    )]
    pub admin_password: Option<String>,
    /// A file holding the administrator's password (its first line).
    #[arg(long, env = "YJS_ADMIN_PASSWORD_FILE", global = true)]
    pub admin_password_file: Option<PathBuf>,
    /// Mark the session cookie `Secure` (serve behind HTTPS). On by default in production.
    #[arg(long, env = "YJS_SECURE_COOKIES", global = true)]
    pub secure_cookies: bool,
    /// Session idle timeout, minutes.
    #[arg(
        long,
        env = "YJS_SESSION_IDLE_MINUTES",
        value_parser = clap::value_parser!(u64).range(1..=1440),
        default_value_t = 30,
        global = true
    )]
    pub session_idle_minutes: u64,
    /// Session absolute lifetime, hours.
    #[arg(
        long,
        env = "YJS_SESSION_ABSOLUTE_HOURS",
        value_parser = clap::value_parser!(u64).range(1..=168),
        default_value_t = 12,
        global = true
    )]
    pub session_absolute_hours: u64,
    /// Failed logins that lock a username …
    #[arg(
        long,
        env = "YJS_LOGIN_MAX_FAILURES",
        value_parser = clap::value_parser!(u32).range(1..=100),
        default_value_t = 5,
        global = true
    )]
    pub login_max_failures: u32,
    /// … within this many minutes.
    #[arg(
        long,
        env = "YJS_LOGIN_FAILURE_WINDOW_MINUTES",
        value_parser = clap::value_parser!(u64).range(1..=1440),
        default_value_t = 15,
        global = true
    )]
    pub login_failure_window_minutes: u64,
    /// The file the audit chain's head is appended to, outside the database. Default:
    /// `<data-dir>/audit-checkpoints.log` (with PostgreSQL, one per instance, on its own disk).
    #[arg(long, env = "YJS_AUDIT_CHECKPOINT_FILE", global = true)]
    pub audit_checkpoint_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Demo,
    Production,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the platform (the default command).
    Serve(ServeArgs),
    /// Runs the database migrations and exits.
    Migrate,
    /// Catalog tools.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Demo data tools.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Encryption keys: generate, rotate (demo layout), check what the database was sealed with.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Case tools for operators.
    Case {
        #[command(subcommand)]
        command: CaseCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Prints a case's timeline (its events, as stored: compressed rows decoded) as JSON, one
    /// event per line. Events hold no personal data (ADR 0003).
    Timeline {
        /// The case number, e.g. YJS-321302-20261130-0001.
        number: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Writes a new SM4 data-key file (mode 0600). To rotate in production: configure it as
    /// `data_key_file` and move the old file to `retired_data_key_files`.
    Generate {
        /// Where to write it (must not exist).
        #[arg(long)]
        out: PathBuf,
        /// The key id recorded with every value sealed under it.
        #[arg(long)]
        id: String,
    },
    /// Demo layout: retires `<data-dir>/keys/data-key.txt` to `keys/retired/` and generates the
    /// next one. New writes use the new key; old values stay readable.
    Rotate,
    /// Counts the sealed values in the database by key id and fails if any needs a key that is
    /// not configured.
    Check,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "YJS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// In demo mode, how many synthetic persons to put in an empty registry.
    #[arg(long, env = "YJS_DEMO_PERSONS", default_value_t = 2000)]
    pub demo_persons: usize,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Validates the catalog, calendar and regions exactly as start-up does.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Seals pending entries, recomputes the SM3 chain from the start and compares it with the
    /// checkpoint file; names the first broken entry. Exit status 1 on any problem.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Prints the demo staff accounts (username, role, region) and the demo password.
    Accounts {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Adds a realistic synthetic registry (seeded and reproducible).
    Seed {
        #[arg(long, default_value_t = 10_000)]
        persons: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}
