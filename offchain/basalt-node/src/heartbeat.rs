//! Heartbeats: the node tells the chain it is up (`provider_heartbeat`) every
//! `heartbeat_interval_secs`. The indexer, the CLI and the SDK's placement read the last
//! one: a provider silent for a minute gets no new shards, one silent for five minutes has
//! its shards repaired (`basalt_core::LivenessThresholds`).
//!
//! On chain rather than over a side channel: whoever judges liveness (a repairer, a
//! client placing shards, the indexer) reads one public record that no node can forge for
//! another, and the cost is one small transaction per interval.

use std::sync::Arc;
use std::time::Duration;

use crate::node::Node;

/// After a heartbeat that did not land, the next comes this soon (or at the interval, if
/// shorter): a node started before its registration is online a second after it.
const RETRY: Duration = Duration::from_secs(1);

/// Sends a heartbeat every `interval` until `stop` says so; the first at once.
pub async fn run(
    node: Arc<Node>,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let wait = if beat(&node).await {
            interval
        } else {
            interval.min(RETRY)
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Sends one heartbeat and counts it; returns whether it landed. A failure is logged.
pub async fn beat(node: &Node) -> bool {
    match node.chain.heartbeat().await {
        Ok(()) => {
            node.metrics.heartbeats.inc();
            true
        }
        Err(e) => {
            node.metrics.heartbeats_failed.inc();
            tracing::warn!(error = %e, "heartbeat not recorded");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::store::{ShardStore, SyncPolicy};
    use crate::testing::{test_node, TableChain};

    #[tokio::test]
    async fn a_heartbeat_is_sent_and_counted() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Arc::new(ShardStore::open(dir.path(), u64::MAX, SyncPolicy::Wal)?);
        let chain = Arc::new(TableChain::default());
        let node = test_node(store, chain.clone());
        assert!(beat(&node).await);
        assert!(beat(&node).await);
        assert_eq!(chain.heartbeats.load(Ordering::Relaxed), 2);
        assert_eq!(node.metrics.heartbeats.get(), 2);
        Ok(())
    }
}
