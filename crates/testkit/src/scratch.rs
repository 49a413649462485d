//! A throw-away PostgreSQL database: created on a server given by its admin URL, dropped when
//! the guard goes (on every path, a failing assertion included) or, to see the error, with
//! [`ScratchPostgres::remove`].

use sqlx::Connection as _;

/// A fresh database `<prefix>_<random>`; its URL is the admin URL with the database replaced.
#[derive(Debug)]
pub struct ScratchPostgres {
    admin: String,
    name: String,
    url: String,
    removed: bool,
}

impl ScratchPostgres {
    pub async fn create(admin: &str, prefix: &str) -> Result<Self, sqlx::Error> {
        let random: String = gm_crypto::to_hex(&gm_crypto::random_bytes::<6>());
        let name = format!("{prefix}_{random}");
        let mut c = sqlx::PgConnection::connect(admin).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await?;
        let _ = c.close().await;
        let base = admin.split_once('?').map_or(admin, |(b, _)| b);
        let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
        Ok(Self {
            url: format!("{base}/{name}"),
            admin: admin.to_owned(),
            name,
            removed: false,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database now, saying why if it cannot.
    pub async fn remove(mut self) -> Result<(), sqlx::Error> {
        self.removed = true;
        drop_database(&self.admin, &self.name).await
    }
}

async fn drop_database(admin: &str, name: &str) -> Result<(), sqlx::Error> {
    let mut c = sqlx::PgConnection::connect(admin).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut c)
    .await?;
    c.close().await
}

impl Drop for ScratchPostgres {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop cannot await: a short-lived runtime on its own thread.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                let _ = rt.block_on(drop_database(&admin, &name));
            }
        })
        .join();
    }
}
