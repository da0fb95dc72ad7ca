//! Writing blocks a reorg may still orphan (EVM chains), and taking them back.
//!
//! While a batch of unfinalized blocks is written, every change its events' triggers make
//! to a derived table is recorded with the row before and after (`undo_log`, see
//! migrations/*_reorg_undo.sql). When the chain reorganizes below the indexed head, the
//! follower writes the canonical blocks as one batch that first rolls back everything above
//! the fork (`rollback_to`: the recorded changes replayed in reverse, then the orphaned
//! events, transactions and undecoded records removed), all in ONE PostgreSQL transaction:
//! a reader sees the index before the reorg or after it, never between. The removed events
//! leave one [`REORG_NOTICE`] event in their place (migrations/*_reorg_notice.sql), so a
//! reader that already had them learns they are gone. Records at or below the chain's
//! finalized block are pruned, since no reorg reaches them.

use super::write::{insert_records, move_cursor, Commitment};
use super::{to_sql, Store};
use crate::db::{BlockCursor, InsertMethod, Written};
use crate::record::TxRecord;

/// The kind of the event a rollback leaves where it removed events: its payload names the
/// range of ids removed (`first_removed_id`, `last_removed_id`), their count and slots,
/// and its accounts every account they named. The indexer's own kind, no chain's.
pub const REORG_NOTICE: &str = "ChainReorganized";

/// A batch of blocks read above the chain's finalized block.
#[derive(Debug, Clone)]
pub struct UnfinalizedBatch<'a> {
    /// Set when the chain reorganized: the last block both chains share. Every block the
    /// index holds above it is orphaned and rolled back before `txs` are written.
    pub fork: Option<BlockCursor>,
    /// The batch's transactions, in chain order (possibly none).
    pub txs: &'a [TxRecord],
    /// The newest block read.
    pub cursor: BlockCursor,
    /// The chain's finalized block: events at or below it are stored `finalized`, and their
    /// undo records pruned.
    pub finalized: u64,
}

impl Store {
    /// Writes `batch` for `program_id` in one transaction: the rollback of the orphaned
    /// blocks when `batch.fork` is set, the new events with their undo records, the
    /// finality of everything at or below `batch.finalized`, and the cursor.
    ///
    /// # Errors
    ///
    /// When the fork is below the finalized block the index recorded (the chain broke its
    /// finality: its undo records are gone), when PostgreSQL refuses, or the connection
    /// drops: nothing of the batch, rollback included, is kept.
    pub async fn write_unfinalized_batch(
        &self,
        program_id: &str,
        batch: &UnfinalizedBatch<'_>,
    ) -> Result<Written, sqlx::Error> {
        let mut db = self.pool.begin().await?;
        if let Some(fork) = &batch.fork {
            // Transaction-local: the slot the rollback's notice names (the events_removed
            // trigger reads it).
            sqlx::query("SELECT set_config('basalt.fork', $1, true)")
                .bind(fork.height.to_string())
                .execute(&mut *db)
                .await?;
            sqlx::query("SELECT rollback_to($1, $2, $3)")
                .bind(program_id)
                .bind(&fork.hash)
                .bind(to_sql(fork.height))
                .execute(&mut *db)
                .await?;
        }
        // Transaction-local: the triggers record undo for this batch's events only, and
        // only when some of its blocks are above the finalized one (no reorg reaches the
        // others, so a batch of a follower catching up records nothing).
        if batch.cursor.height > batch.finalized {
            sqlx::query("SELECT set_config('basalt.undo', 'on', true)")
                .execute(&mut *db)
                .await?;
        }
        let written = insert_records(
            &mut db,
            batch.txs,
            InsertMethod::FASTEST,
            Commitment::Confirmed,
        )
        .await?;
        let finalized = to_sql(batch.finalized);
        sqlx::query(
            "UPDATE events SET commitment = 'finalized' \
             WHERE commitment = 'confirmed' AND slot <= $1",
        )
        .bind(finalized)
        .execute(&mut *db)
        .await?;
        sqlx::query("DELETE FROM undo_log WHERE slot <= $1")
            .bind(finalized)
            .execute(&mut *db)
            .await?;
        move_cursor(
            &mut db,
            program_id,
            &batch.cursor.hash,
            batch.cursor.height,
            Some(batch.finalized),
        )
        .await?;
        db.commit().await?;
        Ok(written)
    }
}
