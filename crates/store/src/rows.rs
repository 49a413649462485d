//! Reading a column by name from a row of either source: sqlx's `AnyRow` or a row the SQLite
//! point reader returned ([`crate::sqlite_reader`]), so one mapping serves both.

use service::ports::StoreError;
use sqlx::Row;
use sqlx::any::AnyRow;

pub(crate) trait RowGet {
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError>;
    fn opt_blob(&self, column: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError>;

    fn text(&self, column: &str) -> Result<String, StoreError> {
        self.opt_text(column)?.ok_or_else(|| null(column))
    }
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        self.opt_int(column)?.ok_or_else(|| null(column))
    }
}

fn null(column: &str) -> StoreError {
    StoreError::Corrupt(format!("column {column} is NULL"))
}

fn corrupt(e: sqlx::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl RowGet for AnyRow {
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.try_get(column).map_err(corrupt)
    }
    fn opt_blob(&self, column: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.try_get(column).map_err(corrupt)
    }
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.try_get(column).map_err(corrupt)
    }
}
