//! What the sealed values of the database were sealed with: counts by key id, read from the
//! envelopes' headers without decrypting anything — to know when a retired key is no longer
//! needed, and that no value needs a key that is missing.

use std::collections::BTreeMap;

use service::ports::StoreError;
use sqlx::Row;

use crate::{Db, db_error};

/// Every sealed column.
const SEALED: [(&str, &str); 9] = [
    ("persons", "id_number"),
    ("persons", "name"),
    ("persons", "phone"),
    ("persons", "address"),
    ("persons", "bank_account"),
    ("persons", "guardians"),
    ("certificates", "number"),
    ("case_forms", "sealed"),
    ("files", "sealed"),
];

/// Sealed values by key id (`"(malformed)"` for a value whose header does not parse).
pub type KeyUse = BTreeMap<String, u64>;

impl Db {
    /// Counts the sealed values of every sealed column by the key id in their envelopes.
    pub async fn sealed_key_use(&self) -> Result<KeyUse, StoreError> {
        let mut out = KeyUse::new();
        for (table, column) in SEALED {
            let sql = format!("SELECT {column} AS v FROM {table} WHERE {column} IS NOT NULL");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(self.pool())
                .await
                .map_err(db_error)?;
            for row in rows {
                let bytes: Vec<u8> = row.try_get("v").map_err(db_error)?;
                let id =
                    service::Vault::key_id_of(&bytes).unwrap_or_else(|| "(malformed)".to_owned());
                *out.entry(id).or_default() += 1;
            }
        }
        Ok(out)
    }
}
