//! Throwaway databases on the real PostgreSQL server (127.0.0.1:5432 unless
//! `BASALT_TEST_DATABASE_URL` names another server's maintenance database).

use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result};
use sqlx::{Connection, PgConnection};

/// A database created for one test and dropped (with its connections) when dropped.
pub struct TempDb {
    pub url: String,
    admin: String,
    name: String,
}

fn admin_url() -> String {
    std::env::var("BASALT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TempDb {
    /// Creates an empty database.
    ///
    /// # Errors
    ///
    /// When the server cannot be reached (`.ci/run` starts it) or refuses.
    pub async fn create() -> Result<Self> {
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        let admin = admin_url();
        let name = format!(
            "basalt_test_{}_{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = PgConnection::connect(&admin)
            .await
            .with_context(|| format!("connecting to PostgreSQL at {admin}"))?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Ok(Self {
            url: format!("{base}/{name}"),
            admin,
            name,
        })
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs inside the test's runtime: use a runtime of our own on another thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut conn = PgConnection::connect(&admin).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
                Ok::<_, anyhow::Error>(())
            })
        })
        .join();
    }
}
