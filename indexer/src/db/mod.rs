//! The indexer's PostgreSQL database: schema (migrations/ at the workspace root, embedded
//! in the binary), the batch writer the follower uses, and the reads the API serves.
//!
//! Store code only: nothing here talks to the chain.

mod datasets;
mod read;
mod reorg;
mod rows;
mod write;

pub use datasets::{DatasetRow, Direction, Lineage, LineageEdge, VersionRow};
pub use read::{Listed, PageRequest, ProviderFilter, MAX_PAGE};
pub use reorg::{UnfinalizedBatch, REORG_NOTICE};
pub use rows::{
    BlobDetail, BlobRow, BlobTotals, CursorRow, DealRow, DealTotals, EpochProofs, EventRow,
    GrantRow, History, HistoryPoint, JobDetail, JobResultRow, JobRow, JobTotals, PayoutRow,
    PlacementRow, ProofRow, ProofTotals, ProviderRow, ProviderTotals, SearchHits, SlashRow, Stats,
    Uint, UINT_PATTERN,
};
pub use write::{BlockCursor, InsertMethod, Written};

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// The migrations in `migrations/`, applied at start-up.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Where a follower stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The newest processed transaction of the program.
    pub signature: String,
    pub slot: u64,
    /// Every event at or below this slot is known finalized.
    pub finalized_slot: u64,
}

/// A connection pool to the indexer's database.
#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    /// Connects to `url` and applies the migrations the database does not have yet.
    ///
    /// # Errors
    ///
    /// When the server cannot be reached, refuses the login, or a migration fails (a
    /// database written by a newer indexer is refused rather than downgraded).
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let options: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool, for listeners and the API.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Where the follower of `program_id` stopped, if it ever wrote a batch.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn cursor(&self, program_id: &str) -> Result<Option<Cursor>, sqlx::Error> {
        let row: Option<(String, i64, i64)> = sqlx::query_as(
            "SELECT signature, slot, finalized_slot FROM cursors WHERE program_id = $1",
        )
        .bind(program_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(signature, slot, finalized_slot)| Cursor {
            signature,
            slot: from_sql(slot),
            finalized_slot: from_sql(finalized_slot),
        }))
    }

    /// Signatures of events still at `confirmed` whose slot is at most `slot`, oldest
    /// first, at most `limit`.
    ///
    /// # Errors
    ///
    /// When the query fails.
    pub async fn unfinalized(
        &self,
        slot: u64,
        limit: i64,
    ) -> Result<Vec<(String, u64)>, sqlx::Error> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT signature, min(slot) FROM events \
             WHERE commitment = 'confirmed' AND slot <= $1 \
             GROUP BY signature ORDER BY min(slot) LIMIT $2",
        )
        .bind(to_sql(slot))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(s, slot)| (s, from_sql(slot)))
            .collect())
    }

    /// Marks the events of `signatures` finalized and raises the cursor's finalized
    /// watermark of `program_id` to `watermark` (never lowers it).
    ///
    /// # Errors
    ///
    /// When the update fails; nothing changes then.
    pub async fn mark_finalized(
        &self,
        program_id: &str,
        signatures: &[String],
        watermark: u64,
    ) -> Result<u64, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let marked = sqlx::query(
            "UPDATE events SET commitment = 'finalized' \
             WHERE signature = ANY($1) AND commitment = 'confirmed'",
        )
        .bind(signatures)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE cursors SET finalized_slot = GREATEST(finalized_slot, $2) \
             WHERE program_id = $1",
        )
        .bind(program_id)
        .bind(to_sql(watermark))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(marked)
    }
}

/// Slots, epochs and counts are u64 on chain and BIGINT here: every real value is far
/// below 2^63 (2^63 slots of 400 ms is 10^11 years), so saturating is never reached.
pub(crate) fn to_sql(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn from_sql(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}
