//! Garbage collection: drops the shards of blobs the chain no longer pays for.
//!
//! A blob's shards are collected when its Blob account is expired, or when there is no
//! Blob account `pending_grace` after the first shard arrived (the upload was abandoned,
//! or the blob was deleted on chain), or when the live blob has not named this node for an
//! index it accepted or may still accept for `pending_grace` (its offer lapsed, it released
//! the index, or a slash moved it: the holder is free of it and keeps it that long in case
//! it is placed there again). A blob the chain cannot be asked about is kept: GC never
//! deletes on an RPC failure.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use basalt_core::BlobId;

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

/// Live blobs that no longer name this node, with when that was first seen (the grace
/// runs from there; a restart starts it again, erring on keeping data).
#[derive(Debug, Default)]
pub struct NotHeld(HashMap<BlobId, Instant>);

impl NotHeld {
    /// Whether `blob`, seen not held now, has been for at least `grace`.
    fn for_at_least(&mut self, blob: BlobId, grace: Duration) -> bool {
        self.0.entry(blob).or_insert_with(Instant::now).elapsed() >= grace
    }
}

/// One pass over every blob this node holds.
pub async fn run_once(node: &Node, not_held: &mut NotHeld) -> GcReport {
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
    let grace = Duration::from_secs(node.config.pending_grace_secs);
    // Forget what the store no longer holds, so the map stays as small as the store.
    let held: std::collections::HashSet<BlobId> = blobs.iter().map(|b| b.blob).collect();
    not_held.0.retain(|blob, _| held.contains(blob));
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
            BlobState::Live => match node.chain.holds(&entry.blob, &node.address()).await {
                Ok(true) => {
                    not_held.0.remove(&entry.blob);
                    false
                }
                Ok(false) => not_held.for_at_least(entry.blob, grace),
                Err(e) => {
                    report.chain_errors += 1;
                    tracing::warn!(blob = %entry.blob, error = %e, "gc: chain unavailable, keeping blob");
                    continue;
                }
            },
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
    let mut not_held = NotHeld::default();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let report = run_once(&node, &mut not_held).await;
                tracing::debug!(?report, "gc pass");
            }
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use basalt_core::BlobId;

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
        let live = put_blob(&store, 1, now - 2 * hour, all).id;
        let expired = put_blob(&store, 2, now, all).id;
        let abandoned = put_blob(&store, 3, now - 2 * hour, all).id;
        let uploading = put_blob(&store, 4, now - 60_000, all).id;
        let unknown = put_blob(&store, 5, now - 2 * hour, all).id;
        // Live, but its placement here lapsed or was released: long ago, and just now.
        let released = put_blob(&store, 6, now - 2 * hour, all).id;
        let just_released = put_blob(&store, 7, now - 2 * hour, all).id;
        let chain = TableChain {
            states: HashMap::from([
                (live, BlobState::Live),
                (expired, BlobState::Expired),
                (abandoned, BlobState::Unregistered),
                (uploading, BlobState::Unregistered),
                (released, BlobState::Live),
                (just_released, BlobState::Live),
            ]),
            not_held: [released, just_released].into(),
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
        let mut not_held = NotHeld::default();
        let long_ago = Instant::now()
            .checked_sub(Duration::from_secs(2 * 3_600))
            .ok_or("the clock is too young for this test")?;
        not_held.0.insert(released, long_ago);
        let report = run_once(&node, &mut not_held).await;
        assert_eq!(
            report,
            GcReport {
                blobs_checked: 7,
                blobs_collected: 3,
                // Three chunks of three shards each.
                shards_deleted: 27,
                chain_errors: 1,
            }
        );
        let mut left: Vec<BlobId> = store.blobs()?.into_iter().map(|b| b.blob).collect();
        left.sort();
        let mut expected = vec![live, uploading, unknown, just_released];
        expected.sort();
        assert_eq!(
            left, expected,
            "kept: live, within grace (of upload or of release), and what the chain could not answer"
        );
        assert!(
            not_held.0.contains_key(&just_released),
            "its grace has started"
        );
        assert!(store.shards_of(&expired)?.is_empty());
        Ok(())
    }
}
