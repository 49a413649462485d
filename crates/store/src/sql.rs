//! Building multi-row statements with `$n` placeholders (accepted by both SQLite and PostgreSQL)
//! and binding values through the `Any` driver.

use std::fmt::Write;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyArguments;
use sqlx::{Any, AssertSqlSafe};

use crate::connect::Engine;

/// Runs a multi-row statement over `rows`, in chunks.
pub(crate) async fn run_rows(
    tx: &mut sqlx::Transaction<'_, Any>,
    engine: Engine,
    head: &str,
    tail: &str,
    cols: usize,
    rows: Vec<Vec<Val>>,
) -> Result<(), service::ports::StoreError> {
    let mut rows = rows.into_iter();
    for size in chunk_sizes(rows.len(), max_rows(cols)) {
        let sql = values_sql(head, cols, size, tail, engine);
        bind_all(query(sql), rows.by_ref().take(size).flatten())
            .execute(&mut **tx)
            .await
            .map_err(crate::db_error)?;
    }
    Ok(())
}

pub(crate) type Query<'q> = sqlx::query::Query<'q, Any, AnyArguments>;

/// A value to bind. The `Any` driver carries integers, text, blobs and booleans.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Blob(Vec<u8>),
    OptBlob(Option<Vec<u8>>),
}

impl Val {
    pub fn time(t: DateTime<Utc>) -> Val {
        Val::Int(t.timestamp_micros())
    }
    pub fn opt_time(t: Option<DateTime<Utc>>) -> Val {
        Val::OptInt(t.map(|t| t.timestamp_micros()))
    }
    /// `YYYY-MM-DD`, written digit by digit (chrono's formatter parses its pattern every time).
    pub fn date(d: NaiveDate) -> Val {
        Val::Text(domain::time::date_text::text(d))
    }
    pub fn opt_date(d: Option<NaiveDate>) -> Val {
        Val::OptText(d.map(domain::time::date_text::text))
    }
    pub fn text(s: impl Into<String>) -> Val {
        Val::Text(s.into())
    }
    /// A case's id as the 16 bytes of its UUID: the form the hot tables' keys store (ADR 0007,
    /// item 2). `None` for text that is not a UUID in its one canonical form (hyphenated, lower
    /// case — as `service::clock::new_id` makes every case id), so that no two texts share a key.
    pub fn case_key(id: &str) -> Option<Val> {
        let canonical = id.len() == 36 && !id.bytes().any(|b| b.is_ascii_uppercase());
        canonical
            .then(|| uuid::Uuid::try_parse(id).ok())
            .flatten()
            .map(|u| Val::Blob(u.as_bytes().to_vec()))
    }
}

/// SQL for the canonical text of a case key held in `column` (the inverse of
/// [`Val::case_key`]), for joining a table keyed by bytes to one keyed by text.
pub(crate) fn case_id_text(engine: Engine, column: &str) -> String {
    match engine {
        Engine::Sqlite => {
            let part = |from: usize, len: usize| format!("substr(hex({column}), {from}, {len})");
            format!(
                "lower({} || '-' || {} || '-' || {} || '-' || {} || '-' || {})",
                part(1, 8),
                part(9, 4),
                part(13, 4),
                part(17, 4),
                part(21, 12)
            )
        }
        Engine::Postgres => format!("CAST(CAST(encode({column}, 'hex') AS uuid) AS text)"),
    }
}

pub(crate) fn query(sql: String) -> Query<'static> {
    sqlx::query(AssertSqlSafe(sql))
}

pub(crate) fn bind(q: Query<'_>, v: Val) -> Query<'_> {
    match v {
        Val::Int(i) => q.bind(i),
        Val::OptInt(i) => q.bind(i),
        Val::Text(s) => q.bind(s),
        Val::OptText(s) => q.bind(s),
        Val::Blob(b) => q.bind(b),
        Val::OptBlob(b) => q.bind(b),
    }
}

pub(crate) fn bind_all(mut q: Query<'_>, values: impl IntoIterator<Item = Val>) -> Query<'_> {
    for v in values {
        q = bind(q, v);
    }
    q
}

/// A statement written with `?` placeholders, in the engine's placeholder syntax: `?` stays for
/// SQLite (whose driver binds numbered `$n` names by a linear search each, which is quadratic in
/// large statements), `$1, $2, …` for PostgreSQL.
pub(crate) fn for_engine(sql: &str, engine: Engine) -> String {
    match engine {
        Engine::Sqlite => sql.to_owned(),
        Engine::Postgres => {
            let mut out = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    let _ = write!(out, "${n}");
                } else {
                    out.push(c);
                }
            }
            out
        }
    }
}

/// `head` followed by `rows` tuples of `cols` placeholders, then `tail`, in the engine's syntax.
pub(crate) fn values_sql(
    head: &str,
    cols: usize,
    rows: usize,
    tail: &str,
    engine: Engine,
) -> String {
    let mut s = String::with_capacity(head.len() + tail.len() + rows * cols * 5);
    s.push_str(head);
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            match engine {
                Engine::Sqlite => s.push('?'),
                Engine::Postgres => {
                    let _ = write!(s, "${n}");
                }
            }
            n += 1;
        }
        s.push(')');
    }
    s.push_str(tail);
    s
}

/// Splits `total` rows into chunks whose sizes are powers of two no larger than `max`, so that a
/// handful of distinct statements serve every batch and stay in the prepared-statement cache.
pub(crate) fn chunk_sizes(total: usize, max: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut left = total;
    let mut size = 1;
    while size * 2 <= max {
        size *= 2;
    }
    while left > 0 {
        while size > left {
            size /= 2;
        }
        out.push(size);
        left -= size;
    }
    out
}

/// Rows per statement so that a statement stays under the engines' bind-parameter limits.
pub(crate) fn max_rows(cols: usize) -> usize {
    (30_000 / cols.max(1)).clamp(1, 256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_powers_of_two_and_add_up() {
        for total in 0..600 {
            let chunks = chunk_sizes(total, 256);
            assert_eq!(chunks.iter().sum::<usize>(), total);
            assert!(chunks.iter().all(|c| c.is_power_of_two() && *c <= 256));
        }
        assert_eq!(chunk_sizes(7, 256), vec![4, 2, 1]);
        assert_eq!(chunk_sizes(300, 256), vec![256, 32, 8, 4]);
    }

    #[test]
    fn placeholders_follow_the_engine() {
        let head = "INSERT INTO t (a,b) VALUES ";
        assert_eq!(
            values_sql(head, 2, 2, "", Engine::Postgres),
            "INSERT INTO t (a,b) VALUES ($1,$2),($3,$4)"
        );
        assert_eq!(
            values_sql(head, 2, 2, "", Engine::Sqlite),
            "INSERT INTO t (a,b) VALUES (?,?),(?,?)"
        );
        assert_eq!(
            for_engine("UPDATE t SET a = ? WHERE b = ?", Engine::Postgres),
            "UPDATE t SET a = $1 WHERE b = $2"
        );
    }

    #[test]
    fn a_case_key_is_made_only_from_the_canonical_text_of_a_uuid() {
        let id = "019acd2e-5c00-7000-8000-00000000000a";
        let Some(Val::Blob(key)) = Val::case_key(id) else {
            panic!("no key for {id}")
        };
        assert_eq!(uuid::Uuid::from_slice(&key).unwrap().to_string(), id);
        for other in [
            "019ACD2E-5C00-7000-8000-00000000000A",
            "019acd2e5c0070008000000000000000a",
            "{019acd2e-5c00-7000-8000-00000000000a}",
            "urn:uuid:019acd2e-5c00-7000-8000-00000000000a",
            "c-1",
            "",
        ] {
            assert!(Val::case_key(other).is_none(), "{other}");
        }
    }
}
