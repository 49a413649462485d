//! The API over HTTP: a real server on a random port (`testkit::app::spawn_app`), on SQLite and —
//! when `TEST_DATABASE_URL` is set — PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod audit;
mod bad_input;
mod idempotency;
mod inbox;
mod materials;
mod matrix;
mod operations;
mod pages;
mod privacy;
mod stories;
mod support;
