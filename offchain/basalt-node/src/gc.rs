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

    use basalt_core::Cid;

    use super::*;
    use crate::config::NodeConfig;
    use crate::store::{ShardStore, SyncPolicy};
    use crate::testing::{put_blob, TableChain};

    #[tokio::test]
    async fn collects_expired_and_abandoned_blobs_and_nothing_else(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Arc::new(ShardStore::open(dir.path(), u64::MAX, SyncPolicy::Wal)?);
        let now = now_ms();
        let hour = 3_600_000;
        let all = |_, _| true;
        let live = put_blob(&store, 1, now - 2 * hour, all).cid;
        let expired = put_blob(&store, 2, now, all).cid;
        let abandoned = put_blob(&store, 3, now - 2 * hour, all).cid;
        let uploading = put_blob(&store, 4, now - 60_000, all).cid;
        let unknown = put_blob(&store, 5, now - 2 * hour, all).cid;
        let chain = TableChain {
            states: HashMap::from([
                (live, BlobState::Live),
                (expired, BlobState::Expired),
                (abandoned, BlobState::Unregistered),
                (uploading, BlobState::Unregistered),
            ]),
            ..TableChain::default()
        };
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
                // Three chunks of three shards each.
                shards_deleted: 18,
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
