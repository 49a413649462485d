//! Material files on both engines: `files` holds each uploaded file once (sealed by the service
//! before it gets here), `case_materials` the cases' references to them. Not on the hot path:
//! each write is its own transaction on the pool.

use chrono::{DateTime, Utc};
use domain::workflow::CaseId;
use service::ports::{FileMeta, FileStore, MaterialRow, SealedFile, StoreError};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sql::{Val, bind_all, query};
use crate::{Db, db_error};

fn time(micros: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Corrupt(format!("instant {micros}")))
}

fn size(row: &AnyRow) -> Result<u64, StoreError> {
    let size: i64 = row.try_get("size").map_err(db_error)?;
    u64::try_from(size).map_err(|_| StoreError::Corrupt(format!("file size {size}")))
}

/// The file's columns of a row (`id, media_type, size, created_at, created_by`).
fn read_meta(row: &AnyRow) -> Result<FileMeta, StoreError> {
    Ok(FileMeta {
        id: row.try_get("id").map_err(db_error)?,
        media_type: row.try_get("media_type").map_err(db_error)?,
        size: size(row)?,
        created_at: time(row.try_get("created_at").map_err(db_error)?)?,
        created_by: row.try_get("created_by").map_err(db_error)?,
    })
}

impl FileStore for Db {
    async fn put_file(&self, file: SealedFile) -> Result<bool, StoreError> {
        let SealedFile { meta, sealed } = file;
        let size = i64::try_from(meta.size)
            .map_err(|_| StoreError::Database(format!("file size {}", meta.size)))?;
        let mut tx = self.begin_write().await?;
        let done = bind_all(
            query(
                "INSERT INTO files (id, media_type, size, sealed, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING"
                    .into(),
            ),
            [
                Val::Text(meta.id),
                Val::Text(meta.media_type),
                Val::Int(size),
                Val::Blob(sealed),
                Val::time(meta.created_at),
                Val::Text(meta.created_by),
            ],
        )
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn file_meta(&self, id: &str) -> Result<Option<FileMeta>, StoreError> {
        let row = bind_all(
            query(
                "SELECT id, media_type, size, created_at, created_by FROM files WHERE id = $1"
                    .into(),
            ),
            [Val::text(id)],
        )
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(read_meta).transpose()
    }

    async fn get_file(&self, id: &str) -> Result<Option<SealedFile>, StoreError> {
        let row = bind_all(
            query(
                "SELECT id, media_type, size, created_at, created_by, sealed FROM files \
                 WHERE id = $1"
                    .into(),
            ),
            [Val::text(id)],
        )
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(db_error)?;
        row.map(|r| {
            Ok(SealedFile {
                meta: read_meta(&r)?,
                sealed: r.try_get("sealed").map_err(db_error)?,
            })
        })
        .transpose()
    }

    async fn attach(&self, row: MaterialRow) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = bind_all(
            query(
                "INSERT INTO case_materials (case_id, material, file_id, item, added_by, added_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (case_id, material, file_id) DO NOTHING"
                    .into(),
            ),
            [
                Val::Text(row.case_id.0),
                Val::Text(row.material),
                Val::Text(row.file_id),
                Val::OptText(row.item),
                Val::Text(row.added_by),
                Val::time(row.added_at),
            ],
        )
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn list_for_case(
        &self,
        case: &CaseId,
    ) -> Result<Vec<(MaterialRow, FileMeta)>, StoreError> {
        let rows = bind_all(
            query(
                "SELECT m.material, m.file_id, m.item, m.added_by, m.added_at, \
                 f.id, f.media_type, f.size, f.created_at, f.created_by \
                 FROM case_materials m JOIN files f ON f.id = m.file_id \
                 WHERE m.case_id = $1 ORDER BY m.added_at, m.material, m.file_id"
                    .into(),
            ),
            [Val::text(case.0.clone())],
        )
        .fetch_all(&self.inner.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let material = MaterialRow {
                    case_id: case.clone(),
                    material: r.try_get("material").map_err(db_error)?,
                    file_id: r.try_get("file_id").map_err(db_error)?,
                    item: r.try_get("item").map_err(db_error)?,
                    added_by: r.try_get("added_by").map_err(db_error)?,
                    added_at: time(r.try_get("added_at").map_err(db_error)?)?,
                };
                Ok((material, read_meta(r)?))
            })
            .collect()
    }
}
