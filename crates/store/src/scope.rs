//! Scope checks in SQL: a staff member's region scope (`321300/321302…`) covers a record whose
//! region path equals it or lies below it.

use domain::access::Scope;
use domain::workflow::CaseId;
use service::authority::{CaseScopeRow, ScopeStore};
use service::ports::StoreError;
use sqlx::Row;

use crate::sql::{Val, bind_all, query};
use crate::{Db, db_error};

fn below(scope: &Scope) -> Val {
    Val::Text(format!("{}/%", scope.0))
}

fn read(row: &sqlx::any::AnyRow) -> Result<CaseScopeRow, StoreError> {
    Ok(CaseScopeRow {
        status: row.try_get("status").map_err(db_error)?,
        region_path: row.try_get("region_path").map_err(db_error)?,
        applicant: row.try_get("applicant").map_err(db_error)?,
    })
}

impl ScopeStore for Db {
    async fn case_in_scope(
        &self,
        case: &CaseId,
        scope: &Scope,
    ) -> Result<Option<CaseScopeRow>, StoreError> {
        let row = bind_all(
            query(
                "SELECT status, region_path, applicant FROM cases \
                 WHERE id = $1 AND (region_path = $2 OR region_path LIKE $3)"
                    .into(),
            ),
            [
                Val::text(case.0.clone()),
                Val::text(scope.0.clone()),
                below(scope),
            ],
        )
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?;
        row.as_ref().map(read).transpose()
    }

    async fn case_of_citizen(
        &self,
        case: &CaseId,
        person: Option<&str>,
        id_index: &str,
    ) -> Result<Option<CaseScopeRow>, StoreError> {
        let row = bind_all(
            query(
                "SELECT c.status, c.region_path, c.applicant FROM cases c WHERE c.id = $1 AND (c.applicant = $2 \
                 OR EXISTS (SELECT 1 FROM agent_links a WHERE a.agent_index = $3 AND a.person_id = c.applicant))"
                    .into(),
            ),
            [Val::text(case.0.clone()), Val::text(person.unwrap_or("")), Val::text(id_index)],
        )
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?;
        row.as_ref().map(read).transpose()
    }

    async fn task_in_scope(
        &self,
        case: &CaseId,
        n: i64,
        department: &str,
        scope: &Scope,
    ) -> Result<Option<String>, StoreError> {
        // No stored case has an id that is not a UUID (`Val::case_key`).
        let Some(key) = Val::case_key(&case.0) else {
            return Ok(None);
        };
        let row = bind_all(
            query(
                "SELECT status FROM tasks WHERE case_id = $1 AND n = $2 AND department = $3 \
                 AND (region_path = $4 OR region_path LIKE $5)"
                    .into(),
            ),
            [
                key,
                Val::Int(n),
                Val::text(department),
                Val::text(scope.0.clone()),
                below(scope),
            ],
        )
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?;
        row.map(|r| r.try_get("status").map_err(db_error))
            .transpose()
    }

    async fn has_live_task(
        &self,
        case: &CaseId,
        department: &str,
        scope: &Scope,
    ) -> Result<bool, StoreError> {
        let Some(key) = Val::case_key(&case.0) else {
            return Ok(false);
        };
        let row = bind_all(
            query(
                "SELECT COUNT(*) AS n FROM tasks WHERE case_id = $1 AND department = $2 \
                 AND status IN ('open', 'paused') AND (region_path = $3 OR region_path LIKE $4)"
                    .into(),
            ),
            [
                key,
                Val::text(department),
                Val::text(scope.0.clone()),
                below(scope),
            ],
        )
        .fetch_one(self.pool())
        .await
        .map_err(db_error)?;
        Ok(row.try_get::<i64, _>("n").map_err(db_error)? > 0)
    }

    async fn put_agent_link(
        &self,
        link: &service::agents::AgentLink,
        at: chrono::DateTime<chrono::Utc>,
        audit: &service::audit::AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        crate::sql::bind_all(
            query(format!(
                "{}{}",
                crate::audit::AUDIT_INSERT_HEAD,
                "($1, $2, $3, $4, $5, $6)"
            )),
            crate::audit::audit_row(&crate::audit::clean(audit.clone())),
        )
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        bind_all(
            query(
                "INSERT INTO agent_links (agent_index, person_id, relationship, proof, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agent_index, person_id) DO NOTHING"
                    .into(),
            ),
            [
                Val::text(link.agent_index.clone()),
                Val::text(link.person.clone()),
                Val::text(link.relationship.key()),
                Val::text(link.proof_file.clone()),
                Val::text(link.recorded_by.clone()),
                Val::time(at),
            ],
        )
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    async fn is_agent_of(&self, agent_index: &str, person: &str) -> Result<bool, StoreError> {
        let row = bind_all(
            query(
                "SELECT COUNT(*) AS n FROM agent_links WHERE agent_index = $1 AND person_id = $2"
                    .into(),
            ),
            [Val::text(agent_index), Val::text(person)],
        )
        .fetch_one(self.pool())
        .await
        .map_err(db_error)?;
        Ok(row.try_get::<i64, _>("n").map_err(db_error)? > 0)
    }
}

impl service::inbox::InboxStore for Db {
    async fn inbox(
        &self,
        q: &service::inbox::InboxSelect<'_>,
    ) -> Result<Vec<service::inbox::InboxRow>, StoreError> {
        // The tasks' key holds the case id's 16 bytes, the cases' the text (ADR 0007).
        let mut sql = format!(
            "SELECT t.n, c.id AS case_id, c.number, t.item, t.step_name, t.region, t.due_on, t.opened_at \
             FROM tasks t JOIN cases c ON c.id = {} \
             WHERE t.status = 'open' AND t.department = $1 AND (t.region_path = $2 OR t.region_path LIKE $3)",
            crate::sql::case_id_text(self.inner.engine, "t.case_id")
        );
        let mut values = vec![
            Val::text(q.department),
            Val::text(q.scope.0.clone()),
            below(q.scope),
        ];
        if let Some(within) = q.within {
            values.push(Val::text(within.0.clone()));
            values.push(below(within));
            sql.push_str(&format!(
                " AND (c.region_path = ${} OR c.region_path LIKE ${})",
                values.len() - 1,
                values.len()
            ));
        }
        if let Some(item) = q.item {
            values.push(Val::text(item));
            sql.push_str(&format!(" AND t.item = ${}", values.len()));
        }
        if let Some(d) = q.due_by {
            values.push(Val::date(d));
            sql.push_str(&format!(" AND t.due_on <= ${}", values.len()));
        }
        if let Some(d) = q.overdue_before {
            values.push(Val::date(d));
            sql.push_str(&format!(" AND t.due_on < ${}", values.len()));
        }
        values.push(Val::Int(i64::from(q.limit)));
        sql.push_str(&format!(
            " ORDER BY t.due_on, t.opened_at LIMIT ${}",
            values.len()
        ));
        let rows = bind_all(query(sql), values)
            .fetch_all(self.pool())
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let s = |c: &str| r.try_get::<String, _>(c).map_err(db_error);
                let micros: i64 = r.try_get("opened_at").map_err(db_error)?;
                let case_id = CaseId(s("case_id")?);
                let n: i64 = r.try_get("n").map_err(db_error)?;
                Ok(service::inbox::InboxRow {
                    task_id: case_id.task_id(n),
                    case_id,
                    case_number: r.try_get("number").map_err(db_error)?,
                    item: s("item")?,
                    step_name: s("step_name")?,
                    region: s("region")?,
                    due_on: r
                        .try_get::<Option<String>, _>("due_on")
                        .map_err(db_error)?
                        .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                    opened_at: chrono::DateTime::from_timestamp_micros(micros)
                        .ok_or_else(|| StoreError::Corrupt(format!("instant {micros}")))?,
                })
            })
            .collect()
    }
}
