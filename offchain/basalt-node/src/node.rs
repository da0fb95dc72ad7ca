//! The running node's parts, shared by the HTTP API and the background tasks (GC).
//!
//! Nothing here knows about HTTP: the API (`api/`) and GC (`gc.rs`) both build on this.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use basalt_core::wire::{CrankStats, ProofStats};
use basalt_core::{BlobId, Caller, LinkMonitor, Receipt, RequestKey, ShardHeader};
use tokio::sync::{Notify, Semaphore};

use crate::auth::Authenticator;
use crate::chain::Chain;
use crate::config::NodeConfig;
use crate::crank::CrankReport;
use crate::metrics::Metrics;
use crate::prover::ProveReport;
use crate::store::ShardStore;

/// Uploads buffered at once: bounds memory at this many times `max_shard_bytes`.
const UPLOAD_SLOTS: usize = 32;

/// A storage node: its store, its view of the chain, its provider's key and settings.
pub struct Node {
    pub store: Arc<ShardStore>,
    pub chain: Arc<dyn Chain>,
    /// How the chain RPC answers `chain`'s calls, for `/health`.
    pub chain_link: Arc<LinkMonitor>,
    pub auth: Authenticator,
    pub metrics: Metrics,
    /// The provider's key, of its chain's kind: signs the node's receipts and its requests
    /// to other nodes (a repair's reads, a crank's notices), so that clients and the other
    /// holders tie both to the provider their chain lists.
    // INV: key.caller() == chain.provider()
    pub key: RequestKey,
    pub config: NodeConfig,
    /// INV: a request body is buffered only while one of these permits is held.
    pub upload_slots: Arc<Semaphore>,
    /// Blobs that received a shard lately, with when: their registration (and so their
    /// placement) usually follows within seconds, and the acceptor watches them closely.
    pub recent_uploads: Mutex<HashMap<BlobId, Instant>>,
    /// Wakes the acceptor for the recent uploads (an uploader said a blob is registered).
    pub placement_registered: Notify,
    /// Blobs with an index offered to this node by a repair placement: the repair task
    /// rebuilds the column, then the acceptor accepts it. A crank tells the node again
    /// every pass until it accepts, so the set may be lost with a restart.
    pub repair_offers: Mutex<std::collections::HashSet<BlobId>>,
    /// Wakes the repair task (a repair offer arrived).
    pub repair_wanted: Notify,
    /// What the prover did since the node started, for the stats route.
    proving: Mutex<ProofStats>,
    /// What the crank did since the node started, for the stats route.
    cranking: Mutex<CrankStats>,
}

impl Node {
    /// Assembles a node from its parts; `key` is its provider's on `chain`.
    pub fn new(
        store: Arc<ShardStore>,
        chain: Arc<dyn Chain>,
        key: impl Into<RequestKey>,
        config: NodeConfig,
    ) -> Self {
        let metrics = Metrics::new();
        metrics.capacity_bytes.set(config.capacity as i64);
        Self {
            auth: Authenticator::new(
                config.signature_window_secs * 1_000,
                config.rate_limit_per_second,
            ),
            chain_link: Arc::new(LinkMonitor::new(config.rpc_url.clone())),
            store,
            chain,
            metrics,
            key: key.into(),
            config,
            upload_slots: Arc::new(Semaphore::new(UPLOAD_SLOTS)),
            recent_uploads: Mutex::new(HashMap::new()),
            placement_registered: Notify::new(),
            repair_offers: Mutex::new(std::collections::HashSet::new()),
            repair_wanted: Notify::new(),
            proving: Mutex::new(ProofStats::default()),
            cranking: Mutex::new(CrankStats::default()),
        }
    }

    /// The node with `link` as its chain's monitor (the one its [`crate::chain::WatchedChain`]
    /// reports to).
    #[must_use]
    pub fn with_chain_link(mut self, link: Arc<LinkMonitor>) -> Self {
        self.chain_link = link;
        self
    }

    /// Adds a prover pass to [`Node::proof_stats`].
    pub fn record_proving(&self, pass: &ProveReport) {
        let mut stats = self
            .proving
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        stats.epoch = pass.epoch.or(stats.epoch);
        stats.proved += pass.proved as u64;
        stats.already_proven += pass.already_proven as u64;
        stats.unprovable += pass.unprovable as u64;
        stats.failed += pass.failed as u64;
        stats.missed += pass.missed as u64;
    }

    /// What the prover did since the node started.
    pub fn proof_stats(&self) -> ProofStats {
        *self
            .proving
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a crank pass to [`Node::crank_stats`] and the metrics.
    pub fn record_cranking(&self, pass: &CrankReport) {
        let m = &self.metrics;
        m.crank_settled.inc_by(pass.settled_own);
        m.crank_settled_others.inc_by(pass.settled_others);
        m.crank_slashed.inc_by(pass.slashed);
        m.crank_evicted.inc_by(pass.evicted);
        m.crank_placed.inc_by(pass.placed);
        m.crank_failed.inc_by(pass.failed);
        // Counters of token units as floats: a u128 amount does not fit an integer counter.
        m.paid_tokens.inc_by(pass.paid as f64);
        m.bounty_tokens.inc_by(pass.bounty as f64);
        let mut stats = self
            .cranking
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        stats.settled_own += pass.settled_own;
        stats.paid += pass.paid;
        stats.settled_others += pass.settled_others;
        stats.slashed += pass.slashed;
        stats.bounty += pass.bounty;
        stats.evicted += pass.evicted;
        stats.placed += pass.placed;
        stats.failed += pass.failed;
    }

    /// What the crank did since the node started.
    pub fn crank_stats(&self) -> CrankStats {
        *self
            .cranking
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads the repair queue's length into its gauge, and returns it.
    ///
    /// # Errors
    ///
    /// Why the store could not be read.
    pub async fn refresh_repair_gauge(&self) -> Result<u64, String> {
        let store = Arc::clone(&self.store);
        let queued = tokio::task::spawn_blocking(move || store.repair_queue().map(|q| q.len()))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        self.metrics.repair_queue.set(queued as i64);
        Ok(queued as u64)
    }

    /// Notes that `blob` received a shard now (see [`Node::recent_uploads`]).
    pub fn note_upload(&self, blob: BlobId) {
        let mut recent = self
            .recent_uploads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        recent.insert(blob, Instant::now());
    }

    /// The node's provider, as the chain names it.
    pub fn address(&self) -> Caller {
        self.chain.provider()
    }

    /// Copies the store's usage into the gauges.
    pub fn refresh_usage_gauges(&self) {
        let u = self.store.usage();
        self.metrics.used_bytes.set(u.used_bytes as i64);
        self.metrics.shards.set(u.shards as i64);
    }

    /// The node's signed receipt for a stored shard.
    pub fn receipt(&self, header: &ShardHeader) -> Receipt {
        Receipt::sign(&self.key, header)
    }
}
