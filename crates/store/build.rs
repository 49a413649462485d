//! `sqlx::migrate!` embeds the migration files when the crate compiles; this makes cargo
//! recompile it when a migration is added or changed (as sqlx's documentation recommends).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
