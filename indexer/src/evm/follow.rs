//! Follows an EVM deployment with `eth_getLogs` in block ranges up to the chain's head, and
//! writes each range with its cursor in one PostgreSQL transaction.
//!
//! A pass first checks that the cursor's block is still the chain's block at its height.
//! If it is, the pass reads the blocks after it (up to `batch`): the headers of the range's
//! first and last blocks and of every block above the chain's finalized block, which must
//! chain by their parent hashes onto the cursor's; then the range's logs, each of a block
//! above the finalized one carrying that header's hash. Anything else means the chain moved
//! under the pass, which then keeps nothing and is tried again. The range is written with
//! undo records for its blocks above the finalized one, and `finalized` marked on the rest.
//!
//! If the cursor's block is no longer the chain's, the chain reorganized: the pass walks
//! back over the hashes of the unfinalized blocks it read (kept in memory; after a restart
//! it falls back to the finalized block the index recorded) to the last block both chains
//! share, and writes the canonical blocks after it as one batch that first rolls back
//! everything above it (`Store::write_unfinalized_batch` with a `fork`). A reader sees the
//! index before the reorg or after it, never between.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256};
use alloy::providers::{Provider, RootProvider};
use alloy::rpc::types::{Filter, Log};
use basalt_core::LinkMonitor;
use basalt_evm_client::{alloy, BasaltConfig, BasaltJobs};
use futures::{StreamExt, TryStreamExt};
use tokio::sync::{watch, OnceCell};

use super::payload::account;
use super::{tx_records, Contracts, LogError};
use crate::db::{BlockCursor, Cursor, Store, UnfinalizedBatch};
use crate::metrics::Metrics;
use crate::record::TxRecord;
use crate::{follow_passes, Pacing, PassError};

/// How the EVM follower runs.
#[derive(Debug, Clone)]
pub struct EvmFollowOptions {
    pub rpc_url: String,
    /// The deployment's `BasaltConfig`: it names the other contracts, and its address keys
    /// the cursor.
    pub config: Address,
    /// The block to start at when the database has no cursor yet: the block the contracts
    /// were deployed in (earlier blocks hold none of their logs).
    pub start_block: Option<u64>,
    /// Blocks per `eth_getLogs` and per database transaction.
    pub batch: u64,
    /// Header requests in flight.
    pub fetch_concurrency: usize,
    /// Waits between passes, once caught up and after a failure.
    pub pacing: Pacing,
}

impl EvmFollowOptions {
    pub fn new(rpc_url: impl Into<String>, config: Address) -> Self {
        Self {
            rpc_url: rpc_url.into(),
            config,
            start_block: None,
            batch: 1_000,
            fetch_concurrency: 8,
            pacing: Pacing::new(Duration::from_millis(500)),
        }
    }
}

/// Why a pass stopped. Nothing of a failed pass is kept.
#[derive(Debug, thiserror::Error)]
pub enum EvmFollowError {
    #[error("EVM RPC: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    #[error("reading the deployment's contracts: {0}")]
    Call(#[from] alloy::contract::Error),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("the node's logs: {0}")]
    Logs(#[from] LogError),
    #[error("the chain moved while the pass read it ({0}); reading again")]
    Moved(String),
    #[error(
        "the database has no cursor for {0} yet: give the block the contracts were deployed \
         in (--evm-start-block) so their history is read from the start"
    )]
    NoStart(String),
    #[error("the configuration {0} names no contracts yet (BasaltConfig.bind was not called)")]
    NotBound(String),
}

impl PassError for EvmFollowError {
    fn is_chain(&self) -> bool {
        matches!(
            self,
            Self::Rpc(_) | Self::Call(_) | Self::Logs(_) | Self::Moved(_)
        )
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvmPass {
    /// Blocks read.
    pub blocks: u64,
    /// Transactions written (new or not).
    pub transactions: usize,
    /// Events newly stored.
    pub events: u64,
    /// Set when the chain had reorganized: the last block both chains share, everything
    /// the index held above it rolled back.
    pub fork: Option<u64>,
    /// Blocks still to read up to the head after this pass.
    pub behind: u64,
}

/// The part of a block header the follower checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    number: u64,
    hash: B256,
    parent: B256,
    timestamp: u64,
}

/// The chain side of the indexer for an EVM deployment.
pub struct EvmFollower {
    provider: RootProvider,
    store: Store,
    options: EvmFollowOptions,
    /// The cursor's key: the configuration's address.
    program_id: String,
    /// Read from the configuration at the first pass.
    contracts: OnceCell<Contracts>,
    /// Hashes of the blocks above the finalized one that the index holds, by number: where
    /// a reorg is walked back over. Lost on restart (the fallback is the finalized block).
    // INV: only blocks above the finalized block the index recorded, all committed
    recent: Mutex<BTreeMap<u64, B256>>,
    metrics: Arc<Metrics>,
    /// How the RPC answers, for `/health`.
    link: Arc<LinkMonitor>,
}

impl EvmFollower {
    /// # Errors
    ///
    /// When `options.rpc_url` is not a URL.
    pub fn new(
        store: Store,
        options: EvmFollowOptions,
        metrics: Arc<Metrics>,
    ) -> Result<Self, url::ParseError> {
        let provider = RootProvider::new_http(options.rpc_url.parse()?);
        Ok(Self {
            provider,
            link: Arc::new(LinkMonitor::new(&options.rpc_url)),
            program_id: account(options.config),
            store,
            options,
            contracts: OnceCell::new(),
            recent: Mutex::new(BTreeMap::new()),
            metrics,
        })
    }

    /// How the followed RPC answers: what the API's `/health` shows.
    pub fn link(&self) -> Arc<LinkMonitor> {
        Arc::clone(&self.link)
    }

    /// The cursor's key in `cursors`: the configuration's address, lower-case hex.
    pub fn program_id(&self) -> &str {
        &self.program_id
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

    /// The deployment's contracts, as its configuration names them.
    ///
    /// # Errors
    ///
    /// When the node does not answer, or the configuration is not bound yet.
    pub async fn contracts(&self) -> Result<Contracts, EvmFollowError> {
        self.contracts
            .get_or_try_init(|| async {
                let config = BasaltConfig::new(self.options.config, &self.provider);
                let (providers, blobs, jobs) = (
                    config.providers().call().await?,
                    config.blobs().call().await?,
                    config.jobs().call().await?,
                );
                if jobs.is_zero() {
                    return Err(EvmFollowError::NotBound(self.program_id.clone()));
                }
                let datasets = BasaltJobs::new(jobs, &self.provider)
                    .datasets()
                    .call()
                    .await?;
                Ok(Contracts {
                    config: self.options.config,
                    providers,
                    blobs,
                    datasets,
                    jobs,
                })
            })
            .await
            .copied()
    }

    /// Reads and writes the next range of blocks after the cursor, first rolling back what
    /// a reorg orphaned.
    ///
    /// # Errors
    ///
    /// When the RPC or the database fails or the chain moves under the pass (nothing of
    /// the pass is kept, so calling again is always safe), or [`EvmFollowError::NoStart`]
    /// on a new database without a start block.
    pub async fn pass(&self) -> Result<EvmPass, EvmFollowError> {
        let contracts = self.contracts().await?;
        let cursor = self.store.cursor(&self.program_id).await?;
        let head = self.provider.get_block_number().await?;
        let finalized = self.finalized_height().await?;

        // The range starts after the block it builds on: the cursor's while it is still
        // the chain's, else the last block both chains share.
        let (next, base_hash, fork) = match &cursor {
            None => {
                let start = self
                    .options
                    .start_block
                    .ok_or_else(|| EvmFollowError::NoStart(self.program_id.clone()))?;
                (start, None, None)
            }
            Some(c) => {
                let at_cursor = self.header(c.slot).await?;
                if at_cursor.is_some_and(|h| h.hash.to_string() == c.signature) {
                    (c.slot + 1, Some(c.signature.clone()), None)
                } else {
                    let fork = self.fork_point(c).await?;
                    (fork.height + 1, Some(fork.hash.clone()), Some(fork))
                }
            }
        };
        if next > head {
            // Nothing to read; a reorg to a chain no longer than the fork still takes back
            // what it orphaned.
            if let Some(fork) = fork {
                let finalized_read = finalized.min(fork.height);
                self.store
                    .write_unfinalized_batch(
                        &self.program_id,
                        &UnfinalizedBatch {
                            fork: Some(fork.clone()),
                            txs: &[],
                            cursor: fork.clone(),
                            finalized: finalized_read,
                        },
                    )
                    .await?;
                self.remember(&BTreeMap::new(), Some(fork.height), finalized_read);
                tracing::info!(
                    "the chain reorganized: rolled back above block {}",
                    fork.height
                );
                return Ok(EvmPass {
                    fork: Some(fork.height),
                    ..EvmPass::default()
                });
            }
            self.metrics.chain_behind.set(0);
            return Ok(EvmPass::default());
        }
        let last = head.min(next.saturating_add(self.options.batch.max(1) - 1));

        let headers = self.range_headers(next, last, finalized).await?;
        check_chain(&headers, base_hash.as_deref(), next)?;
        let logs = self.logs(&contracts, next, last).await?;
        let times = self.block_times(&headers, &logs).await?;
        check_logs(&logs, &headers, finalized)?;
        // The newest block must still be the one whose header the range was checked by.
        let newest = headers[&last];
        if last > finalized && self.header(last).await? != Some(newest) {
            return Err(EvmFollowError::Moved(format!("block {last} changed")));
        }

        let records: Vec<TxRecord> = tx_records(&contracts, &logs, |n| times.get(&n).copied())?;
        for record in &records {
            for u in &record.undecoded {
                tracing::warn!(
                    "transaction {} log {}: kept aside undecoded: {}",
                    record.signature,
                    u.inner_index,
                    u.reason
                );
            }
        }
        let finalized_read = finalized.min(last);
        let written = self
            .store
            .write_unfinalized_batch(
                &self.program_id,
                &UnfinalizedBatch {
                    fork: fork.clone(),
                    txs: &records,
                    cursor: BlockCursor {
                        hash: newest.hash.to_string(),
                        height: last,
                    },
                    finalized: finalized_read,
                },
            )
            .await?;
        self.remember(&headers, fork.as_ref().map(|f| f.height), finalized_read);

        self.metrics.record_batch(&records, &written);
        self.metrics
            .cursor_slot
            .set(i64::try_from(last).unwrap_or(i64::MAX));
        let behind = head - last;
        self.metrics
            .chain_behind
            .set(i64::try_from(behind).unwrap_or(i64::MAX));
        if let Some(f) = &fork {
            tracing::info!(
                "the chain reorganized: rolled back above block {}, read to {last}",
                f.height
            );
        }
        Ok(EvmPass {
            blocks: last - next + 1,
            transactions: records.len(),
            events: written.events,
            fork: fork.map(|f| f.height),
            behind,
        })
    }

    /// The chain's finalized block number (0 when the node names none yet).
    async fn finalized_height(&self) -> Result<u64, EvmFollowError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Finalized)
            .await?;
        Ok(block.map_or(0, |b| b.header.number))
    }

    /// The header of block `number`, `None` when the chain has none (yet, or any more).
    async fn header(&self, number: u64) -> Result<Option<Header>, EvmFollowError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await?;
        Ok(block.map(|b| Header {
            number: b.header.number,
            hash: b.header.hash,
            parent: b.header.parent_hash,
            timestamp: b.header.timestamp,
        }))
    }

    /// The headers of `first`, `last` and every block above `finalized` between them, by
    /// number.
    async fn range_headers(
        &self,
        first: u64,
        last: u64,
        finalized: u64,
    ) -> Result<BTreeMap<u64, Header>, EvmFollowError> {
        let mut numbers: Vec<u64> = (first.max(finalized + 1)..=last).collect();
        numbers.extend([first, last]);
        numbers.sort_unstable();
        numbers.dedup();
        self.headers(numbers).await
    }

    async fn headers(&self, numbers: Vec<u64>) -> Result<BTreeMap<u64, Header>, EvmFollowError> {
        futures::stream::iter(numbers)
            .map(|n| async move {
                match self.header(n).await? {
                    Some(h) if h.number == n => Ok((n, h)),
                    _ => Err(EvmFollowError::Moved(format!("block {n} is gone"))),
                }
            })
            .buffered(self.options.fetch_concurrency.max(1))
            .try_collect()
            .await
    }

    /// The deployment's logs in blocks `first..=last`.
    async fn logs(
        &self,
        contracts: &Contracts,
        first: u64,
        last: u64,
    ) -> Result<Vec<Log>, EvmFollowError> {
        let filter = Filter::new()
            .address(contracts.addresses().to_vec())
            .from_block(first)
            .to_block(last);
        Ok(self.provider.get_logs(&filter).await?)
    }

    /// The Unix time of every block with a log: from the headers read, else from the log
    /// (nodes that add `blockTimestamp`), else from the block's header.
    async fn block_times(
        &self,
        headers: &BTreeMap<u64, Header>,
        logs: &[Log],
    ) -> Result<BTreeMap<u64, i64>, EvmFollowError> {
        let mut times: BTreeMap<u64, i64> = BTreeMap::new();
        let mut unknown = Vec::new();
        for log in logs {
            let Some(n) = log.block_number else { continue };
            if let Some(t) = headers.get(&n).map(|h| h.timestamp).or(log.block_timestamp) {
                times.insert(n, i64::try_from(t).unwrap_or(i64::MAX));
            } else {
                unknown.push(n);
            }
        }
        unknown.sort_unstable();
        unknown.dedup();
        for (n, h) in self.headers(unknown).await? {
            times.insert(n, i64::try_from(h.timestamp).unwrap_or(i64::MAX));
        }
        Ok(times)
    }

    /// The last block both the index and the chain hold, the cursor's block being no
    /// longer the chain's: the newest block read above the finalized one whose hash the
    /// chain still has at its height, else the finalized block the index recorded (which
    /// no reorg reaches).
    async fn fork_point(&self, cursor: &Cursor) -> Result<BlockCursor, EvmFollowError> {
        let known: Vec<(u64, B256)> = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .range(cursor.finalized_slot..cursor.slot)
            .rev()
            .map(|(n, h)| (*n, *h))
            .collect();
        for (number, hash) in known {
            if self.header(number).await?.is_some_and(|h| h.hash == hash) {
                return Ok(BlockCursor {
                    hash: hash.to_string(),
                    height: number,
                });
            }
        }
        let number = cursor.finalized_slot;
        let header = self
            .header(number)
            .await?
            .ok_or_else(|| EvmFollowError::Moved(format!("finalized block {number} is gone")))?;
        Ok(BlockCursor {
            hash: header.hash.to_string(),
            height: number,
        })
    }

    /// Keeps the hashes of the blocks just written above the finalized block, forgets
    /// those a rollback removed and those now final.
    fn remember(&self, headers: &BTreeMap<u64, Header>, fork: Option<u64>, finalized: u64) {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(fork) = fork {
            recent.retain(|n, _| *n <= fork);
        }
        recent.retain(|n, _| *n > finalized);
        recent.extend(
            headers
                .iter()
                .filter(|(n, _)| **n > finalized)
                .map(|(n, h)| (*n, h.hash)),
        );
    }
}

/// Checks that `headers` (by number, from `first`) chain onto the block hashed `base` and
/// onto each other wherever consecutive numbers were read.
fn check_chain(
    headers: &BTreeMap<u64, Header>,
    base: Option<&str>,
    first: u64,
) -> Result<(), EvmFollowError> {
    if let (Some(base), Some(h)) = (base, headers.get(&first)) {
        if h.parent.to_string() != base {
            return Err(EvmFollowError::Moved(format!(
                "block {first} does not build on the cursor's block"
            )));
        }
    }
    for (a, b) in headers.values().zip(headers.values().skip(1)) {
        if b.number == a.number + 1 && b.parent != a.hash {
            return Err(EvmFollowError::Moved(format!(
                "block {} does not build on block {}",
                b.number, a.number
            )));
        }
    }
    Ok(())
}

/// Checks that every log of a block above `finalized` is of the block whose header was
/// read, and that the node removed none.
fn check_logs(
    logs: &[Log],
    headers: &BTreeMap<u64, Header>,
    finalized: u64,
) -> Result<(), EvmFollowError> {
    for log in logs {
        let number = log.block_number.ok_or(LogError::Missing("block number"))?;
        if log.removed {
            return Err(EvmFollowError::Moved(format!(
                "a log of block {number} was removed"
            )));
        }
        if number > finalized && headers.get(&number).map(|h| h.hash) != log.block_hash {
            return Err(EvmFollowError::Moved(format!(
                "a log of block {number} is of another block with that number"
            )));
        }
    }
    Ok(())
}
