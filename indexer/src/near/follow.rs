//! Follows a NEAR deployment block by block up to the latest final block, and writes each
//! batch of blocks with its cursor in one PostgreSQL transaction.
//!
//! A pass reads the heights after the cursor (a few `block_events` calls in flight, in
//! order), up to `batch` heights or the final height, and writes the transactions that
//! reached the contract together with the cursor: the last height read. Heights NEAR
//! skipped have no block and move the cursor all the same. An RPC failure at any height
//! fails the whole pass and nothing of it is written, so the next pass reads the same
//! heights again: a height is never skipped, and a kill at any moment resumes exactly after
//! the last committed batch.

use std::sync::Arc;
use std::time::Duration;

use basalt_core::LinkMonitor;
use basalt_near_client::{AccountId, BlockEvents, NearClient, NearError};
use futures::{StreamExt, TryStreamExt};
use tokio::sync::watch;

use crate::db::{BlockCursor, Store};
use crate::metrics::Metrics;
use crate::near::tx_record;
use crate::record::TxRecord;
use crate::{follow_passes, Pacing, PassError};

/// How the NEAR follower runs.
#[derive(Debug, Clone)]
pub struct NearFollowOptions {
    pub rpc_url: String,
    /// The Basalt contract's account.
    pub contract: AccountId,
    /// The stake token (NEP-141) whose `ft_transfer_call`s to the contract are followed.
    pub token: AccountId,
    /// The height to start at when the database has no cursor yet: the block the contract
    /// was deployed in (earlier heights hold none of its events).
    pub start_height: Option<u64>,
    /// Heights per database transaction.
    pub batch: u64,
    /// `block_events` calls in flight.
    pub fetch_concurrency: usize,
    /// Waits between passes, once caught up and after a failure.
    pub pacing: Pacing,
}

impl NearFollowOptions {
    pub fn new(rpc_url: impl Into<String>, contract: AccountId, token: AccountId) -> Self {
        Self {
            rpc_url: rpc_url.into(),
            contract,
            token,
            start_height: None,
            batch: 100,
            fetch_concurrency: 4,
            pacing: Pacing::new(Duration::from_millis(500)),
        }
    }
}

/// Why a pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum NearFollowError {
    #[error("NEAR RPC: {0}")]
    Rpc(#[from] NearError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error(
        "the database has no cursor for {0} yet: give the height the contract was deployed at \
         (--near-start-block) so its history is read from the start"
    )]
    NoStart(AccountId),
}

impl PassError for NearFollowError {
    fn is_chain(&self) -> bool {
        matches!(self, Self::Rpc(_))
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NearPass {
    /// Heights read (blocks and skipped heights).
    pub heights: u64,
    /// Transactions written (new or not).
    pub transactions: usize,
    /// Events newly stored.
    pub events: u64,
    /// Final heights still to read after this pass.
    pub behind: u64,
}

/// The chain side of the indexer for a NEAR deployment.
pub struct NearFollower {
    client: NearClient,
    store: Store,
    options: NearFollowOptions,
    metrics: Arc<Metrics>,
    /// How the RPC answers, for `/health`.
    link: Arc<LinkMonitor>,
}

impl NearFollower {
    pub fn new(store: Store, options: NearFollowOptions, metrics: Arc<Metrics>) -> Self {
        let client = NearClient::new(&options.rpc_url, options.contract.clone());
        Self {
            client,
            link: Arc::new(LinkMonitor::new(&options.rpc_url)),
            store,
            options,
            metrics,
        }
    }

    /// How the followed RPC answers: what the API's `/health` shows.
    pub fn link(&self) -> Arc<LinkMonitor> {
        Arc::clone(&self.link)
    }

    /// The cursor's key in `cursors`: the contract's account.
    pub fn program_id(&self) -> &str {
        self.options.contract.as_str()
    }

    /// Follows until `stop` turns true: passes back to back while behind, every `poll`
    /// once caught up; after a failure, again after a wait that doubles with each failure
    /// in a row.
    pub async fn run(&self, stop: watch::Receiver<bool>) {
        follow_passes(
            &self.options.rpc_url,
            self.options.pacing,
            &self.metrics,
            &self.link,
            stop,
            || async { self.pass().await.map(|pass| pass.behind > 0) },
        )
        .await;
    }

    /// Reads and writes the next batch of final heights after the cursor.
    ///
    /// # Errors
    ///
    /// When the RPC or the database fails (nothing of the pass is kept, so calling again
    /// is always safe), or [`NearFollowError::NoStart`] on a new database without a
    /// start height.
    pub async fn pass(&self) -> Result<NearPass, NearFollowError> {
        let cursor = self.store.cursor(self.program_id()).await?;
        let next = match (&cursor, self.options.start_height) {
            (Some(c), _) => c.slot + 1,
            (None, Some(start)) => start,
            (None, None) => return Err(NearFollowError::NoStart(self.options.contract.clone())),
        };
        let final_height = self.client.final_height().await?;
        if next > final_height {
            self.metrics.chain_behind.set(0);
            return Ok(NearPass::default());
        }
        let last = final_height.min(next.saturating_add(self.options.batch.max(1) - 1));

        let blocks: Vec<Option<BlockEvents>> = futures::stream::iter(next..=last)
            .map(|height| self.client.block_events(height, &self.options.token))
            .buffered(self.options.fetch_concurrency.max(1))
            .try_collect()
            .await?;
        let blocks: Vec<BlockEvents> = blocks.into_iter().flatten().collect();
        let records: Vec<TxRecord> = blocks
            .iter()
            .flat_map(|b| b.transactions.iter().map(move |tx| tx_record(b, tx)))
            .collect();
        for record in &records {
            for u in &record.undecoded {
                tracing::warn!(
                    "transaction {} event {}: kept aside undecoded: {}",
                    record.signature,
                    u.inner_index,
                    u.reason
                );
            }
        }
        // The cursor names the newest block read; a batch of skipped heights only keeps
        // the hash it had.
        let hash = blocks.last().map_or_else(
            || cursor.map(|c| c.signature).unwrap_or_default(),
            |b| b.hash.to_string(),
        );
        let written = self
            .store
            .write_final_batch(
                self.program_id(),
                &records,
                &BlockCursor { hash, height: last },
            )
            .await?;
        self.metrics.record_batch(&records, &written);
        self.metrics
            .cursor_slot
            .set(i64::try_from(last).unwrap_or(i64::MAX));
        let behind = final_height - last;
        self.metrics
            .chain_behind
            .set(i64::try_from(behind).unwrap_or(i64::MAX));
        Ok(NearPass {
            heights: last - next + 1,
            transactions: records.len(),
            events: written.events,
            behind,
        })
    }
}
