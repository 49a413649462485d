//! Accounts, sessions and one-time login codes on both engines.

use chrono::{DateTime, Utc};
use domain::access::{Role, Scope};
use domain::region::RegionCode;
use service::auth::{Account, AuthStore, SessionRow};
use service::ports::StoreError;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sql::{Val, bind_all, query};
use crate::{Db, db_error};

fn time(micros: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Corrupt(format!("instant {micros}")))
}

fn read_account(row: &AnyRow) -> Result<(Account, String), StoreError> {
    let s = |c: &str| row.try_get::<String, _>(c).map_err(db_error);
    let role = s("role")?;
    let region = s("region")?;
    Ok((
        Account {
            id: s("id")?,
            username: s("username")?,
            display_name: s("display_name")?,
            role: Role::from_key(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
            region: RegionCode::parse(&region).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            scope: Scope(s("scope")?),
            active: row.try_get::<i64, _>("active").map_err(db_error)? != 0,
        },
        s("password_hash")?,
    ))
}

impl Db {
    async fn exec(&self, sql: &'static str, values: Vec<Val>) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = bind_all(query(sql.into()), values)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(done.rows_affected())
    }
}

impl AuthStore for Db {
    async fn put_account(
        &self,
        a: &Account,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO accounts (id, username, display_name, role, region, scope, password_hash, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (username) DO UPDATE SET \
             display_name = excluded.display_name, role = excluded.role, region = excluded.region, \
             scope = excluded.scope, password_hash = excluded.password_hash, active = excluded.active",
            vec![
                Val::text(a.id.clone()),
                Val::text(a.username.clone()),
                Val::text(a.display_name.clone()),
                Val::text(a.role.key()),
                Val::text(a.region.to_string()),
                Val::text(a.scope.0.clone()),
                Val::text(password_hash),
                Val::Int(i64::from(a.active)),
                Val::time(now),
            ],
        )
        .await
        .map(|_| ())
    }

    async fn account_by_username(
        &self,
        username: &str,
    ) -> Result<Option<(Account, String)>, StoreError> {
        let row = bind_all(
            query("SELECT * FROM accounts WHERE username = $1".into()),
            [Val::text(username)],
        )
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?;
        row.as_ref().map(read_account).transpose()
    }

    async fn count_accounts(&self) -> Result<i64, StoreError> {
        let row = query("SELECT COUNT(*) AS n FROM accounts".into())
            .fetch_one(self.pool())
            .await
            .map_err(db_error)?;
        row.try_get("n").map_err(db_error)
    }

    async fn record_login_failure(
        &self,
        username: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO login_failures (username, at) VALUES ($1, $2)",
            vec![Val::text(username), Val::time(at)],
        )
        .await
        .map(|_| ())
    }

    async fn count_login_failures(
        &self,
        username: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let row = bind_all(
            query(
                "SELECT COUNT(*) AS n FROM login_failures WHERE username = $1 AND at >= $2".into(),
            ),
            [Val::text(username), Val::time(since)],
        )
        .fetch_one(self.pool())
        .await
        .map_err(db_error)?;
        let n: i64 = row.try_get("n").map_err(db_error)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn clear_login_failures(&self, username: &str) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM login_failures WHERE username = $1",
            vec![Val::text(username)],
        )
        .await
        .map(|_| ())
    }

    async fn insert_session(&self, r: &SessionRow) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO sessions (token_hash, kind, subject, role, scope, csrf_token, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![
                Val::text(r.token_hash.clone()),
                Val::text(r.kind.clone()),
                Val::text(r.subject.clone()),
                Val::text(r.role.clone()),
                Val::OptText(r.scope.clone()),
                Val::text(r.csrf.clone()),
                Val::time(r.created_at),
                Val::time(r.last_seen_at),
            ],
        )
        .await
        .map(|_| ())
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        let row = bind_all(
            query("SELECT * FROM sessions WHERE token_hash = $1".into()),
            [Val::text(token_hash)],
        )
        .fetch_optional(self.pool())
        .await
        .map_err(db_error)?;
        row.map(|r| {
            let s = |c: &str| r.try_get::<String, _>(c).map_err(db_error);
            Ok(SessionRow {
                token_hash: s("token_hash")?,
                kind: s("kind")?,
                subject: s("subject")?,
                role: s("role")?,
                scope: r.try_get("scope").map_err(db_error)?,
                csrf: s("csrf_token")?,
                created_at: time(r.try_get("created_at").map_err(db_error)?)?,
                last_seen_at: time(r.try_get("last_seen_at").map_err(db_error)?)?,
            })
        })
        .transpose()
    }

    async fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.exec(
            "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1",
            vec![Val::text(token_hash), Val::time(at)],
        )
        .await
        .map(|_| ())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM sessions WHERE token_hash = $1",
            vec![Val::text(token_hash)],
        )
        .await
        .map(|_| ())
    }

    async fn put_login_code(
        &self,
        id_index: &str,
        code_hash: &str,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO login_codes (id_index, code_hash, expires_at, attempts) VALUES ($1, $2, $3, 0) \
             ON CONFLICT (id_index) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, \
             attempts = 0",
            vec![Val::text(id_index), Val::text(code_hash), Val::time(expires)],
        )
        .await
        .map(|_| ())
    }

    async fn take_login_code(
        &self,
        id_index: &str,
        code_hash: &str,
        now: DateTime<Utc>,
        max_attempts: u32,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = bind_all(
            query("SELECT * FROM login_codes WHERE id_index = $1".into()),
            [Val::text(id_index)],
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some(row) = row else { return Ok(false) };
        let stored: String = row.try_get("code_hash").map_err(db_error)?;
        let expires = time(row.try_get("expires_at").map_err(db_error)?)?;
        let attempts: i64 = row.try_get("attempts").map_err(db_error)?;
        let live = expires >= now && attempts < i64::from(max_attempts);
        let right = live && constant_time_eq(stored.as_bytes(), code_hash.as_bytes());
        let sql = if right {
            "DELETE FROM login_codes WHERE id_index = $1"
        } else {
            "UPDATE login_codes SET attempts = attempts + 1 WHERE id_index = $1"
        };
        bind_all(query(sql.into()), [Val::text(id_index)])
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(right)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
