//! Follows the program over standard Solana JSON-RPC at `confirmed` and writes what it finds
//! in batches.
//!
//! One loop serves backfill and live following: list the program's signatures newer than
//! the cursor (`getSignaturesForAddress` with `until`, paging back with `before`), fetch
//! each transaction (`getTransaction`, encoding json), and write them oldest first, one
//! PostgreSQL transaction per batch together with the cursor. Polling is short (a few
//! hundred ms), which every RPC provider supports; a websocket would only save the wait.
//!
//! Gaps: a listed transaction the RPC cannot return yet (listed at `processed`, or a
//! lagging node behind a load balancer) ends the batch just before it; the next pass
//! lists again from the cursor, so it is re-fetched, never skipped. Since the cursor only
//! advances over transactions actually written, a kill at any moment resumes exactly where
//! the last committed batch ended.

use std::collections::VecDeque;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use basalt::anchor_lang::prelude::Pubkey;
use futures::{StreamExt, TryStreamExt};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_rpc_client_api::client_error::Error as RpcError;
use solana_rpc_client_api::config::RpcTransactionConfig;
use solana_rpc_client_api::request::RpcRequest;
use solana_rpc_client_api::response::RpcConfirmedTransactionStatusWithSignature;
use solana_signature::Signature;
use solana_transaction_status_client_types::{
    EncodedConfirmedTransactionWithStatusMeta, TransactionConfirmationStatus, UiTransactionEncoding,
};
use tokio::sync::{watch, Mutex};

use basalt_core::{Backoff, LinkMonitor};

use crate::db::Store;
use crate::metrics::Metrics;
use crate::record::TxRecord;
use crate::sleep_or_stop;
use crate::solana::extract::{self, ExtractError};

/// Mainnet-beta's genesis (2020-03-16): no Solana block is older.
const SOLANA_GENESIS_TIME: i64 = 1_584_368_940;

/// How the follower runs.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    pub rpc_url: String,
    pub program: Pubkey,
    /// Transactions per database transaction.
    pub batch: usize,
    /// `getTransaction` calls in flight.
    pub fetch_concurrency: usize,
    /// Wait between passes once caught up.
    pub poll: Duration,
    /// Wait after an RPC or database error before trying again, doubling with each
    /// failure in a row up to `retry_max`.
    pub retry: Duration,
    pub retry_max: Duration,
    /// The longest one RPC call may take: a hung RPC costs a pass this much, not forever.
    pub rpc_timeout: Duration,
}

impl FollowOptions {
    pub fn new(rpc_url: impl Into<String>, program: Pubkey) -> Self {
        Self {
            rpc_url: rpc_url.into(),
            program,
            batch: 200,
            fetch_concurrency: 8,
            poll: Duration::from_millis(300),
            retry: Duration::from_secs(1),
            retry_max: Duration::from_secs(10),
            rpc_timeout: Duration::from_secs(10),
        }
    }
}

/// Why a pass stopped early.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("RPC: {0}")]
    Rpc(#[from] Box<RpcError>),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// The cursor or the RPC named something that is not a transaction signature.
    #[error("{0:?} is not a transaction signature")]
    BadSignature(String),
}

impl FollowError {
    /// Whether the chain's RPC failed (or answered what cannot be read), rather than the
    /// database.
    pub fn is_chain(&self) -> bool {
        !matches!(self, Self::Db(_))
    }
}

impl From<RpcError> for FollowError {
    fn from(e: RpcError) -> Self {
        Self::Rpc(Box::new(e))
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Transactions written (new or not).
    pub transactions: usize,
    /// Events newly stored.
    pub events: u64,
    /// The pass stopped at a listed transaction the RPC could not return yet.
    pub gap: bool,
}

/// The chain side of the indexer.
pub struct Follower {
    rpc: RpcClient,
    store: Store,
    options: FollowOptions,
    metrics: Arc<Metrics>,
    /// How the RPC answers, for `/health`.
    link: Arc<LinkMonitor>,
    /// Signatures listed after the cursor and not yet written, oldest first: a long
    /// backfill lists the history once instead of once per batch.
    // INV: empty, or starts right after the stored cursor (only this follower moves it).
    listed: Mutex<VecDeque<RpcConfirmedTransactionStatusWithSignature>>,
    /// The last slot whose own block time [`Follower::block_time`] asked for, and that time:
    /// a slot's transactions come one after another.
    slot_time: std::sync::Mutex<Option<(u64, i64)>>,
}

impl Follower {
    pub fn new(store: Store, options: FollowOptions, metrics: Arc<Metrics>) -> Self {
        let rpc = RpcClient::new_with_timeout_and_commitment(
            options.rpc_url.clone(),
            options.rpc_timeout,
            CommitmentConfig::confirmed(),
        );
        Self {
            rpc,
            link: Arc::new(LinkMonitor::new(&options.rpc_url)),
            store,
            options,
            metrics,
            listed: Mutex::new(VecDeque::new()),
            slot_time: std::sync::Mutex::new(None),
        }
    }

    /// How the followed RPC answers: what the API's `/health` shows.
    pub fn link(&self) -> Arc<LinkMonitor> {
        Arc::clone(&self.link)
    }

    fn program_id(&self) -> String {
        self.options.program.to_string()
    }

    /// Follows until `stop` turns true: passes back to back while behind, every
    /// `poll` once caught up, and a finalization pass in between; after a failure, again
    /// after a wait that doubles with each failure in a row.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        let mut last_finalize: Option<std::time::Instant> = None;
        let mut backoff = Backoff::new(self.options.retry, self.options.retry_max);
        loop {
            let pass = self.pass().await;
            let wait = match &pass {
                // Behind: go on at once. Caught up (an empty pass) or at a gap: wait.
                Ok(pass) if pass.transactions > 0 && !pass.gap => Duration::ZERO,
                Ok(_) => self.options.poll,
                Err(e) => {
                    let wait = backoff.failed();
                    tracing::warn!(
                        "following {}: {e}; retrying in {wait:?}",
                        self.options.rpc_url
                    );
                    self.metrics.errors.inc();
                    if e.is_chain() {
                        self.link.failed(e);
                    }
                    wait
                }
            };
            if pass.is_ok() {
                backoff.succeeded();
                self.link.answered();
            }
            // Finalization lags confirmation by ~13 s on mainnet: once a second is plenty
            // (and not at all while the pass fails: it would wait on the same RPC).
            let due = last_finalize.is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
            if pass.is_ok() && due {
                last_finalize = Some(std::time::Instant::now());
                if let Err(e) = self.finalize().await {
                    tracing::warn!("finalization pass: {e}");
                }
            }
            if sleep_or_stop(wait, &mut stop).await {
                return;
            }
        }
    }

    /// Writes the next batch of transactions after the cursor (at most `batch`).
    ///
    /// # Errors
    ///
    /// When the RPC or the database fails; nothing after the last committed batch is
    /// kept, so calling again is always safe.
    pub async fn pass(&self) -> Result<Pass, FollowError> {
        let mut listed = self.listed.lock().await;
        let result = self.pass_with(&mut listed).await;
        if !matches!(result, Ok(Pass { gap: false, .. })) {
            // After a gap or an error, list again from the stored cursor.
            listed.clear();
        }
        result
    }

    async fn pass_with(
        &self,
        listed: &mut VecDeque<RpcConfirmedTransactionStatusWithSignature>,
    ) -> Result<Pass, FollowError> {
        let program_id = self.program_id();
        if listed.is_empty() {
            let cursor = self.store.cursor(&program_id).await?;
            let until = cursor
                .as_ref()
                .map(|c| {
                    Signature::from_str(&c.signature)
                        .map_err(|_| FollowError::BadSignature(c.signature.clone()))
                })
                .transpose()?;
            listed.extend(self.signatures_after(until).await?);
        }
        let take = listed.len().min(self.options.batch);

        // Fetch in order with a few calls in flight; stop at the first gap.
        let batch: Vec<_> = listed.iter().take(take).cloned().collect();
        let fetched: Vec<Option<TxRecord>> = futures::stream::iter(batch)
            .map(|s| async move { self.record(&s).await })
            .buffered(self.options.fetch_concurrency)
            .take_while(|r| futures::future::ready(!matches!(r, Ok(None))))
            .try_collect()
            .await?;
        let gap = fetched.len() < take;
        if gap {
            let missing = &listed[fetched.len()];
            tracing::info!(
                "gap: {} (slot {}) is listed but not yet returned; it is fetched again next pass",
                missing.signature,
                missing.slot
            );
            self.metrics.gaps.inc();
        }
        let records: Vec<TxRecord> = fetched.into_iter().flatten().collect();
        for record in &records {
            if record.truncated_logs {
                tracing::warn!(
                    "{}: the transaction's logs were truncated",
                    record.signature
                );
                self.metrics.truncated_logs.inc();
            }
            for u in &record.undecoded {
                tracing::warn!(
                    "{} inner instruction {}: skipped an undecodable event: {}",
                    record.signature,
                    u.inner_index,
                    u.reason
                );
            }
        }
        let written = self.store.write_batch(&program_id, &records).await?;
        listed.drain(..records.len());
        self.metrics.record_batch(&records, &written);
        self.metrics
            .chain_behind
            .set(i64::try_from(listed.len()).unwrap_or(i64::MAX));
        Ok(Pass {
            transactions: records.len(),
            events: written.events,
            gap,
        })
    }

    /// The program's transactions newer than `until`, oldest first.
    async fn signatures_after(
        &self,
        until: Option<Signature>,
    ) -> Result<Vec<RpcConfirmedTransactionStatusWithSignature>, FollowError> {
        const PAGE: usize = 1000;
        let mut newest_first = Vec::new();
        let mut before = None;
        loop {
            let page = self
                .rpc
                .get_signatures_for_address_with_config(
                    &self.options.program,
                    GetConfirmedSignaturesForAddress2Config {
                        before,
                        until,
                        limit: Some(PAGE),
                        commitment: Some(CommitmentConfig::confirmed()),
                    },
                )
                .await?;
            let full = page.len() == PAGE;
            before = match page.last() {
                Some(last) => Some(
                    Signature::from_str(&last.signature)
                        .map_err(|_| FollowError::BadSignature(last.signature.clone()))?,
                ),
                None => None,
            };
            newest_first.extend(page);
            if !full {
                break;
            }
        }
        newest_first.reverse();
        Ok(newest_first)
    }

    /// The record of one listed transaction; `None` when the RPC does not return it yet.
    /// Its block time is the slot's when the transaction's is not a plausible one.
    async fn record(
        &self,
        listed: &RpcConfirmedTransactionStatusWithSignature,
    ) -> Result<Option<TxRecord>, FollowError> {
        if let Some(err) = &listed.err {
            // Failed transactions change nothing and emit nothing: no need to fetch them.
            let block_time = self.block_time(listed.slot, listed.block_time).await?;
            return Ok(Some(extract::failed(
                &listed.signature,
                listed.slot,
                block_time,
                format!("{err:?}"),
            )));
        }
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Json),
            commitment: Some(CommitmentConfig::confirmed()),
            max_supported_transaction_version: Some(0),
        };
        let tx: Option<EncodedConfirmedTransactionWithStatusMeta> = self
            .rpc
            .send(
                RpcRequest::GetTransaction,
                serde_json::json!([listed.signature, config]),
            )
            .await?;
        match tx {
            None => Ok(None),
            Some(tx) => {
                let mut record = extract::extract(&listed.signature, &tx, &self.options.program)?;
                record.block_time = self.block_time(record.slot, record.block_time).await?;
                Ok(Some(record))
            }
        }
    }

    /// `reported` (a transaction's block time as listed or fetched), or the slot's own
    /// (`getBlockTime`) when `reported` cannot be a Solana block time: surfpool 1.3.1, the
    /// embedded local chain, divides its blocks' times (already seconds) by 1000 again in
    /// `getTransaction` and `getSignaturesForAddress`, and liveness is read from these times.
    async fn block_time(
        &self,
        slot: u64,
        reported: Option<i64>,
    ) -> Result<Option<i64>, FollowError> {
        match reported {
            Some(t) if t < SOLANA_GENESIS_TIME => {
                let known = *self.slot_time.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((_, time)) = known.filter(|(s, _)| *s == slot) {
                    return Ok(Some(time));
                }
                let time: Option<i64> = self
                    .rpc
                    .send(RpcRequest::GetBlockTime, serde_json::json!([slot]))
                    .await?;
                match time.filter(|&t| t >= SOLANA_GENESIS_TIME) {
                    Some(time) => {
                        *self.slot_time.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some((slot, time));
                        Ok(Some(time))
                    }
                    None => Ok(reported),
                }
            }
            _ => Ok(reported),
        }
    }

    /// Marks events finalized once the chain has finalized their transactions, and raises
    /// the finalized watermark.
    ///
    /// # Errors
    ///
    /// When the RPC or the database fails.
    pub async fn finalize(&self) -> Result<u64, FollowError> {
        let program_id = self.program_id();
        let finalized_slot = self
            .rpc
            .get_slot_with_commitment(CommitmentConfig::finalized())
            .await?;
        let mut marked = 0;
        loop {
            let pending = self.store.unfinalized(finalized_slot, 256).await?;
            let signatures: Vec<Signature> = pending
                .iter()
                .map(|(s, _)| {
                    Signature::from_str(s).map_err(|_| FollowError::BadSignature(s.clone()))
                })
                .collect::<Result<_, _>>()?;
            let statuses = if signatures.is_empty() {
                Vec::new()
            } else {
                self.rpc
                    .get_signature_statuses_with_history(&signatures)
                    .await?
                    .value
            };
            let mut done = Vec::new();
            // The watermark stops below the first transaction not yet finalized.
            let mut watermark = finalized_slot;
            for ((signature, slot), status) in pending.iter().zip(&statuses) {
                let is_final = status.as_ref().is_some_and(|s| {
                    matches!(
                        s.confirmation_status,
                        Some(TransactionConfirmationStatus::Finalized)
                    )
                });
                if is_final {
                    done.push(signature.clone());
                } else {
                    if status.is_none() {
                        // Optimistic confirmation makes this all but impossible; if it
                        // happens, the rows stay `confirmed` and an operator must look.
                        tracing::error!(
                            "{signature} (slot {slot}) was confirmed but is not on the \
                             finalized chain"
                        );
                        self.metrics.not_finalized.inc();
                    }
                    watermark = watermark.min(slot.saturating_sub(1));
                }
            }
            marked += self
                .store
                .mark_finalized(&program_id, &done, watermark)
                .await?;
            if pending.len() < 256 || watermark < finalized_slot {
                return Ok(marked);
            }
        }
    }
}
