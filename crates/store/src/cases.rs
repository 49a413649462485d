//! Cases on both engines: commits (through the writer), timelines, forms, tasks.

use domain::workflow::{CaseId, CaseNumber, Event};
use service::ports::{
    CaseCommit, CaseStore, CatalogStore, Committed, SealedForm, StoreError, TaskRow,
};
use sqlx::{Any, Row, Transaction};

use crate::connect::Engine;
use crate::prepare::prepare;
use crate::sql::{Val, bind_all, query};
use crate::{Db, db_error, writer};

impl Db {
    /// A write transaction: IMMEDIATE on SQLite, so that concurrent writers queue instead of
    /// failing halfway.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        match self.inner.engine {
            Engine::Sqlite => self.inner.pool.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => self.inner.pool.begin().await,
        }
        .map_err(db_error)
    }
}

fn time(micros: i64) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
    chrono::DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Corrupt(format!("instant {micros}")))
}

impl CaseStore for Db {
    async fn commit(&self, commit: CaseCommit) -> Result<Committed, StoreError> {
        // Serializing and sealing happen here, in the caller's task, not in the single writer.
        let prepared = prepare(&self.inner.vault, commit)?;
        match &self.inner.writer {
            Some(tx) => writer::submit(tx, prepared).await,
            None => {
                let (mut done, _) =
                    writer::write(&self.inner.pool, self.inner.engine, &[&prepared]).await?;
                done.pop()
                    .ok_or_else(|| StoreError::Corrupt("no commit result".into()))
            }
        }
    }

    async fn load_case(&self, id: &CaseId) -> Result<Option<StoredCase>, StoreError> {
        let pool = &self.inner.pool;
        let Some(row) = bind_all(
            query("SELECT number FROM cases WHERE id = $1".into()),
            [Val::text(id.0.clone())],
        )
        .fetch_optional(pool)
        .await
        .map_err(db_error)?
        else {
            return Ok(None);
        };
        let number: Option<String> = row.try_get("number").map_err(db_error)?;
        let number = number
            .map(|n| CaseNumber::parse(&n).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()?;
        // SQLite keeps the JSON rows written before compression as text (ADR 0007): read every
        // row as bytes. PostgreSQL's column is `bytea`.
        let sql = match self.inner.engine {
            Engine::Sqlite => {
                "SELECT CAST(events AS BLOB) AS events FROM case_events WHERE case_id = $1 ORDER BY seq"
            }
            Engine::Postgres => "SELECT events FROM case_events WHERE case_id = $1 ORDER BY seq",
        };
        let key = Val::case_key(&id.0)
            .ok_or_else(|| StoreError::Corrupt(format!("case id {} is not a UUID", id.0)))?;
        let rows = bind_all(query(sql.into()), [key])
            .fetch_all(pool)
            .await
            .map_err(db_error)?;
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            let stored: Vec<u8> = row.try_get("events").map_err(db_error)?;
            let json = crate::timeline::decode(&stored)?;
            let commit: Vec<Event> =
                serde_json::from_slice(&json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            events.extend(commit);
        }
        Ok(Some(StoredCase { number, events }))
    }

    async fn case_id_by_number(&self, number: &CaseNumber) -> Result<Option<CaseId>, StoreError> {
        let row = bind_all(
            query("SELECT id FROM cases WHERE number = $1".into()),
            [Val::text(number.to_string())],
        )
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(db_error)?;
        row.map(|r| r.try_get::<String, _>("id").map(CaseId).map_err(db_error))
            .transpose()
    }

    async fn load_form(&self, id: &CaseId) -> Result<Option<SealedForm>, StoreError> {
        let row = bind_all(
            query("SELECT version, sealed FROM case_forms WHERE case_id = $1 ORDER BY version DESC LIMIT 1".into()),
            [Val::text(id.0.clone())],
        )
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(db_error)?;
        row.map(|r| {
            let version: i64 = r.try_get("version").map_err(db_error)?;
            Ok(SealedForm {
                version: u32::try_from(version)
                    .map_err(|_| StoreError::Corrupt("form version".into()))?,
                sealed: r.try_get("sealed").map_err(db_error)?,
            })
        })
        .transpose()
    }

    async fn case_tasks(&self, id: &CaseId) -> Result<Vec<TaskRow>, StoreError> {
        // No stored case has an id that is not a UUID (`Val::case_key`).
        let Some(key) = Val::case_key(&id.0) else {
            return Ok(Vec::new());
        };
        let rows = bind_all(
            query("SELECT * FROM tasks WHERE case_id = $1 ORDER BY n".into()),
            [key],
        )
        .fetch_all(&self.inner.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let s = |c: &str| r.try_get::<String, _>(c).map_err(db_error);
                let n: i64 = r.try_get("n").map_err(db_error)?;
                Ok(TaskRow {
                    id: id.task_id(n),
                    case_id: id.clone(),
                    item: s("item")?,
                    step: s("step")?,
                    step_name: s("step_name")?,
                    department: s("department")?,
                    level: s("level")?,
                    region: s("region")?,
                    region_path: s("region_path")?,
                    status: s("status")?,
                    due_on: r
                        .try_get::<Option<String>, _>("due_on")
                        .map_err(db_error)?
                        .map(|d| {
                            chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                                .map_err(|_| StoreError::Corrupt(format!("date {d}")))
                        })
                        .transpose()?,
                    opened_at: time(r.try_get("opened_at").map_err(db_error)?)?,
                    decided_at: r
                        .try_get::<Option<i64>, _>("decided_at")
                        .map_err(db_error)?
                        .map(time)
                        .transpose()?,
                })
            })
            .collect()
    }

    async fn idempotency(
        &self,
        caller: &str,
        key: &str,
    ) -> Result<Option<(String, CaseId, chrono::DateTime<chrono::Utc>)>, StoreError> {
        let row = bind_all(
            query("SELECT body_hash, case_id, created_at FROM idempotency_keys WHERE caller = $1 AND key = $2".into()),
            [Val::text(caller), Val::text(key)],
        )
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(db_error)?;
        row.map(|r| {
            Ok((
                r.try_get("body_hash").map_err(db_error)?,
                CaseId(r.try_get("case_id").map_err(db_error)?),
                time(r.try_get("created_at").map_err(db_error)?)?,
            ))
        })
        .transpose()
    }

    async fn forget_idempotency(&self, caller: &str, key: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        bind_all(
            query("DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2".into()),
            [Val::text(caller), Val::text(key)],
        )
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    async fn count_cases_by_status(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.status_counts().await
    }
}

impl Db {
    /// How many cases are in each status, by status.
    pub(crate) async fn status_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            query("SELECT status, COUNT(*) AS n FROM cases GROUP BY status ORDER BY status".into())
                .fetch_all(&self.inner.pool)
                .await
                .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("status").map_err(db_error)?,
                    r.try_get("n").map_err(db_error)?,
                ))
            })
            .collect()
    }
}

use service::ports::StoredCase;

impl CatalogStore for Db {
    async fn save_catalog_version(
        &self,
        version: &str,
        files_json: &str,
    ) -> Result<(), StoreError> {
        bind_all(
            query(
                "INSERT INTO catalog_versions (version, files, stored_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (version) DO NOTHING"
                    .into(),
            ),
            [Val::text(version), Val::text(files_json), Val::Int(0)],
        )
        .execute(&self.inner.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn load_catalog_version(&self, version: &str) -> Result<Option<String>, StoreError> {
        let row = bind_all(
            query("SELECT files FROM catalog_versions WHERE version = $1".into()),
            [Val::text(version)],
        )
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(db_error)?;
        row.map(|r| r.try_get("files").map_err(db_error))
            .transpose()
    }
}
