//! Garbage collection: drops the shards of blobs the chain no longer pays for.
//!
//! A blob's shards are collected when its Blob account is expired, or when there is no
//! Blob account `pending_grace` after the first shard arrived (the upload was abandoned,
//! or the blob was deleted on chain). A blob the chain cannot be asked about is kept:
//! GC never deletes on an RPC failure.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::now_ms;
use crate::chain::BlobState;
use crate::node::Node;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GcReport {
    pub blobs_checked: usize,
    pub blobs_collected: usize,
    pub shards_deleted: usize,
    pub chain_errors: usize,
}

/// One pass over every blob this node holds.
pub async fn run_once(node: &Node) -> GcReport {
    let mut report = GcReport::default();
    let store = Arc::clone(&node.store);
    let blobs = match tokio::task::spawn_blocking(move || store.blobs()).await {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "gc: cannot list blobs");
            return report;
        }
        Err(e) => {
            tracing::error!(error = %e, "gc: list task failed");
            return report;
        }
    };
    let grace_ms = node.config.pending_grace_secs.saturating_mul(1_000);
    for entry in blobs {
        report.blobs_checked += 1;
        let state = match node.chain.blob_state(&entry.blob).await {
            Ok(s) => s,
            Err(e) => {
                report.chain_errors += 1;
                tracing::warn!(blob = %entry.blob, error = %e, "gc: chain unavailable, keeping blob");
                continue;
            }
        };
        let collect = match state {
            BlobState::Live => false,
            BlobState::Expired => true,
            BlobState::Unregistered => now_ms().saturating_sub(entry.first_seen_ms) >= grace_ms,
        };
        if !collect {
            continue;
        }
        let store = Arc::clone(&node.store);
        let blob = entry.blob;
        match tokio::task::spawn_blocking(move || store.delete_blob(&blob)).await {
            Ok(Ok(n)) => {
                tracing::info!(blob = %blob, shards = n, ?state, "gc: collected");
                report.blobs_collected += 1;
                report.shards_deleted += n;
                node.metrics.gc_deleted_shards.inc_by(n as u64);
            }
            Ok(Err(e)) => tracing::error!(blob = %blob, error = %e, "gc: delete failed"),
            Err(e) => tracing::error!(blob = %blob, error = %e, "gc: delete task failed"),
        }
    }
    report
}

/// Runs a pass every `interval` until `shutdown` resolves.
pub async fn run(
    node: Arc<Node>,
    interval: Duration,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut shutdown = shutdown;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let report = run_once(&node).await;
                tracing::debug!(?report, "gc pass");
            }
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use async_trait::async_trait;
    use basalt_core::{encode_blob, Cid};
    use basalt_rules::ReadDecision;

    use super::*;
    use crate::chain::{Chain, ChainError};
    use crate::config::NodeConfig;
    use crate::store::{ShardStore, ShardUpload, SyncPolicy};

    /// Answers GC's question from a table; a blob not in it makes the chain "unreachable".
    struct Table(HashMap<Cid, BlobState>);

    #[async_trait]
    impl Chain for Table {
        async fn read_access(&self, _: &Cid, _: &[u8; 32]) -> Result<ReadDecision, ChainError> {
            Ok(ReadDecision::Deny)
        }
        async fn may_delete(&self, _: &Cid, _: &[u8; 32]) -> Result<Option<bool>, ChainError> {
            Ok(Some(false))
        }
        async fn blob_state(&self, blob: &Cid) -> Result<BlobState, ChainError> {
            self.0.get(blob).copied().ok_or_else(|| ChainError {
                url: "table".into(),
                why: "unreachable".into(),
            })
        }
    }

    fn put_blob(store: &ShardStore, seed: u8, first_seen_ms: u64) -> Cid {
        let data = vec![seed; 10_000];
        let mut chunks = Vec::new();
        let manifest =
            encode_blob(&data, 64 << 10, 2, 1, None, |c| chunks.push(c)).expect("encode");
        for c in &chunks {
            for (j, s) in c.shards().enumerate() {
                let header = manifest
                    .shard_header(c.index, j as u16)
                    .expect("indices from the encoder");
                store
                    .put(&ShardUpload::new(&header, s), [seed; 32], first_seen_ms)
                    .expect("put");
            }
        }
        manifest.cid
    }

    #[tokio::test]
    async fn collects_expired_and_abandoned_blobs_and_nothing_else(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Arc::new(ShardStore::open(dir.path(), u64::MAX, SyncPolicy::Wal)?);
        let now = now_ms();
        let hour = 3_600_000;
        let live = put_blob(&store, 1, now - 2 * hour);
        let expired = put_blob(&store, 2, now);
        let abandoned = put_blob(&store, 3, now - 2 * hour);
        let uploading = put_blob(&store, 4, now - 60_000);
        let unknown = put_blob(&store, 5, now - 2 * hour);
        let chain = Table(HashMap::from([
            (live, BlobState::Live),
            (expired, BlobState::Expired),
            (abandoned, BlobState::Unregistered),
            (uploading, BlobState::Unregistered),
        ]));
        let config = NodeConfig {
            pending_grace_secs: 3_600,
            ..NodeConfig::default()
        };
        let node = Node::new(
            Arc::clone(&store),
            Arc::new(chain),
            ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
            config,
        );
        let report = run_once(&node).await;
        assert_eq!(
            report,
            GcReport {
                blobs_checked: 5,
                blobs_collected: 2,
                shards_deleted: 6,
                chain_errors: 1,
            }
        );
        let mut left: Vec<Cid> = store.blobs()?.into_iter().map(|b| b.blob).collect();
        left.sort();
        let mut expected = vec![live, uploading, unknown];
        expected.sort();
        assert_eq!(
            left, expected,
            "kept: live, within grace, and what the chain could not answer"
        );
        assert!(store.shards_of(&expired)?.is_empty());
        Ok(())
    }
}
