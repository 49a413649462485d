//! Multi-row `INSERT`s for the SQLite writer: the rows of a whole batch that go to one table —
//! timeline rows, tasks, audit entries — are written by a few statements of up to
//! [`CHUNKS`]`[0]` rows each instead of one statement per row. Each statement execution opens and
//! closes a cursor on the table and on every index and resets the program.
//!
//! The statements are `INSERT OR FAIL`: a plain (`ABORT`) multi-row insert keeps a statement
//! journal — a copy of every page it changes — so that a failing row can undo the rows before it,
//! which costs more than the statements saved. The writer needs no such undo: a failed statement
//! fails the whole batch, whose transaction is rolled back and retried commit by commit.

use rusqlite::{ToSql, Transaction, params_from_iter};
use service::ports::StoreError;

use crate::sqlite_writer::error;

/// The row counts a statement is prepared for; a batch's rows go in the largest that fit, so a
/// table needs at most four prepared statements in the connection's cache.
const CHUNKS: [usize; 4] = [64, 16, 4, 1];

/// The multi-row forms of one `INSERT`.
#[derive(Debug)]
pub(crate) struct MultiInsert {
    sql: [String; CHUNKS.len()],
    width: usize,
}

impl MultiInsert {
    /// `target` is the table with its columns, `t (a, b)`; `tail` what follows the rows (an
    /// `ON CONFLICT` clause, or nothing); `width` the number of columns.
    pub(crate) fn new(target: &str, width: usize, tail: &str) -> Self {
        let row = format!("({})", vec!["?"; width].join(","));
        Self {
            sql: CHUNKS.map(|n| {
                let rows = vec![row.as_str(); n].join(",");
                format!("INSERT OR FAIL INTO {target} VALUES {rows}{tail}")
            }),
            width,
        }
    }

    /// Inserts `rows`, in order; each must have `width` values.
    pub(crate) fn run<R, P>(&self, tx: &Transaction<'_>, rows: &[R]) -> Result<(), StoreError>
    where
        R: AsRef<[P]>,
        P: ToSql,
    {
        if let Some(bad) = rows.iter().find(|r| r.as_ref().len() != self.width) {
            return Err(StoreError::Corrupt(format!(
                "a row of {} values for {} columns",
                bad.as_ref().len(),
                self.width
            )));
        }
        let mut rest = rows;
        for (sql, &n) in self.sql.iter().zip(CHUNKS.iter()) {
            while rest.len() >= n {
                let (chunk, tail) = rest.split_at(n);
                tx.prepare_cached(sql)
                    .map_err(error)?
                    .execute(params_from_iter(chunk.iter().flat_map(|r| r.as_ref())))
                    .map_err(error)?;
                rest = tail;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// An in-memory database with one table `t` made by `columns`.
    fn table(columns: &str) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("CREATE TABLE t ({columns})"))
            .unwrap();
        conn
    }

    #[test]
    fn rows_of_any_count_are_inserted_in_order_through_the_chunk_sizes() {
        let mut conn = table("id INTEGER PRIMARY KEY, v TEXT, n INTEGER");
        let insert = MultiInsert::new("t (v, n)", 2, "");
        for count in [0usize, 1, 3, 4, 5, 21, 64, 85, 150] {
            let tx = conn.transaction().unwrap();
            tx.execute("DELETE FROM t", []).unwrap();
            let rows: Vec<[Box<dyn ToSql>; 2]> = (0..count)
                .map(|i| -> [Box<dyn ToSql>; 2] { [Box::new(format!("v{i}")), Box::new(i as i64)] })
                .collect();
            insert.run(&tx, &rows).unwrap();
            let got: Vec<(String, i64)> = tx
                .prepare("SELECT v, n FROM t ORDER BY id")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let want: Vec<(String, i64)> =
                (0..count).map(|i| (format!("v{i}"), i as i64)).collect();
            assert_eq!(got, want, "{count} rows");
            tx.commit().unwrap();
        }
    }

    #[test]
    fn a_row_of_the_wrong_width_is_refused_before_anything_is_written() {
        let mut conn = table("v TEXT, n INTEGER");
        let insert = MultiInsert::new("t (v, n)", 2, "");
        let tx = conn.transaction().unwrap();
        let rows: Vec<Vec<i64>> = vec![vec![1, 2], vec![3]];
        assert!(matches!(
            insert.run(&tx, &rows),
            Err(StoreError::Corrupt(_))
        ));
        let n: i64 = tx
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn a_conflict_in_any_row_fails_the_statement() {
        let mut conn = table("k INTEGER PRIMARY KEY");
        let insert = MultiInsert::new("t (k)", 1, "");
        let tx = conn.transaction().unwrap();
        let rows: Vec<[i64; 1]> = vec![[1], [2], [1]];
        assert!(insert.run(&tx, &rows).is_err());
    }
}
