//! Point reads on the hot path of a case, on SQLite, without sqlx (ADR 0002).
//!
//! sqlx runs each SQLite statement on a worker thread of its own and hands rows back through a
//! channel: tens of microseconds and two thread wake-ups per query, where the query itself is a
//! few microseconds of B-tree lookups in the page cache. The reads every case makes (the
//! applicant's registry record at submission and when a certificate is issued) run here instead:
//! on a pooled `rusqlite` connection to the same file — the same bundled SQLite library sqlx
//! links —, inline on the calling task, with cached prepared statements. In WAL mode a reader
//! never waits for the writer; it sees every transaction committed before the statement began.
//!
//! Only short indexed lookups belong here: a long query would hold a tokio worker thread.
//! Everything else stays on sqlx (ADR 0001).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, params_from_iter};
use service::ports::StoreError;

use crate::rows::RowGet;
use crate::sql::Val;

/// Idle connections kept for reuse; more are opened when many tasks read at once.
const KEEP_IDLE: usize = 8;

/// A pool of read-only connections to one SQLite file.
#[derive(Debug)]
pub(crate) struct Reader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Each statement's column names, made once and shared by all its rows and runs (the
    /// registry record has some 40 columns and is read twice per case). Only for statements
    /// whose columns are fixed by their text: every query here is a constant text with `$n`
    /// parameters naming its columns, so the map holds one entry per query in the code.
    columns: Mutex<HashMap<String, Arc<[String]>, foldhash::fast::RandomState>>,
}

/// A row read into owned values, its columns named by the statement.
#[derive(Debug)]
pub(crate) struct OwnedRow {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

fn error(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

impl Reader {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
            columns: Mutex::new(HashMap::default()),
        }
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(error)?;
        // No large page cache: in WAL mode a connection drops its cached pages whenever another
        // transaction has committed since its last read, which on this path is nearly always.
        conn.execute_batch("PRAGMA busy_timeout = 30000;")
            .map_err(error)?;
        conn.set_prepared_statement_cache_capacity(16);
        Ok(conn)
    }

    /// Runs one query (positional `$n` or `?` parameters) and returns its rows.
    pub(crate) fn rows(&self, sql: &str, params: &[Val]) -> Result<Vec<OwnedRow>, StoreError> {
        let taken = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match taken {
            Some(c) => c,
            None => self.connect()?,
        };
        let result = self.query(&conn, sql, params);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < KEEP_IDLE
        {
            idle.push(conn);
        }
        result
    }

    fn query(
        &self,
        conn: &Connection,
        sql: &str,
        params: &[Val],
    ) -> Result<Vec<OwnedRow>, StoreError> {
        let mut stmt = conn.prepare_cached(sql).map_err(error)?;
        let known = self.columns.lock().ok().and_then(|c| c.get(sql).cloned());
        let columns = match known {
            Some(c) => c,
            None => {
                let made: Arc<[String]> = stmt
                    .column_names()
                    .iter()
                    .map(|c| (*c).to_owned())
                    .collect();
                if let Ok(mut c) = self.columns.lock() {
                    c.insert(sql.to_owned(), made.clone());
                }
                made
            }
        };
        read_rows(&mut stmt, columns, params)
    }
}

fn read_rows(
    stmt: &mut rusqlite::CachedStatement<'_>,
    columns: Arc<[String]>,
    params: &[Val],
) -> Result<Vec<OwnedRow>, StoreError> {
    let n = columns.len();
    let mut rows = stmt.query(params_from_iter(params.iter())).map_err(error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(error)? {
        let values = (0..n)
            .map(|i| row.get::<_, Value>(i))
            .collect::<Result<Vec<_>, _>>()
            .map_err(error)?;
        out.push(OwnedRow {
            columns: columns.clone(),
            values,
        });
    }
    Ok(out)
}

impl OwnedRow {
    fn value(&self, column: &str) -> Result<&Value, StoreError> {
        self.columns
            .iter()
            .position(|c| c == column)
            .map(|i| &self.values[i])
            .ok_or_else(|| StoreError::Corrupt(format!("no column {column}")))
    }
}

fn mismatch(column: &str, v: &Value) -> StoreError {
    StoreError::Corrupt(format!("column {column}: unexpected {:?}", v.data_type()))
}

impl RowGet for OwnedRow {
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            v => Err(mismatch(column, v)),
        }
    }

    fn opt_blob(&self, column: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Blob(b) => Ok(Some(b.clone())),
            v => Err(mismatch(column, v)),
        }
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Integer(i) => Ok(Some(*i)),
            v => Err(mismatch(column, v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database file in a fresh folder under the system's temporary directory.
    fn database() -> (PathBuf, Connection) {
        let dir = std::env::temp_dir().join(format!("yjs-reader-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT, b BLOB, o TEXT);
             INSERT INTO t VALUES ('a', 7, x'0102', NULL), ('b', 8, NULL, 'x');",
        )
        .unwrap();
        (path, conn)
    }

    #[test]
    fn reads_rows_by_column_name_with_positional_parameters() {
        let (path, writer) = database();
        let reader = Reader::new(path.clone());
        let rows = reader
            .rows(
                "SELECT id, n, b, o FROM t WHERE n >= $1 ORDER BY id",
                &[Val::Int(7)],
            )
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text("id").unwrap(), "a");
        assert_eq!(rows[0].int("n").unwrap(), 7);
        assert_eq!(rows[0].opt_blob("b").unwrap(), Some(vec![1, 2]));
        assert_eq!(rows[0].opt_text("o").unwrap(), None);
        assert_eq!(rows[1].opt_text("o").unwrap().as_deref(), Some("x"));
        // A wrong type or an unknown column is corrupt data, not a panic.
        assert!(matches!(rows[0].int("id"), Err(StoreError::Corrupt(_))));
        assert!(matches!(rows[0].text("nope"), Err(StoreError::Corrupt(_))));
        assert!(matches!(rows[0].text("o"), Err(StoreError::Corrupt(_))));

        // A pooled connection sees what another connection committed after its last read.
        writer
            .execute("INSERT INTO t VALUES ('c', 9, NULL, NULL)", [])
            .unwrap();
        let rows = reader
            .rows("SELECT id FROM t WHERE n = $1", &[Val::Int(9)])
            .unwrap();
        assert_eq!(rows.len(), 1);
        // It is read-only.
        assert!(reader.rows("DELETE FROM t", &[]).is_err());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
