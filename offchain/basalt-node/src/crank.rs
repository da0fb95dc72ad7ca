//! The crank: what keeps the storage economy moving once proofs are on chain. Each pass
//! it reads the blobs this node holds shards of, with their deals, and sends what
//! [`plan`](crate::chain::crank::plan) finds due: a settle of its own proven epochs (so
//! the node is paid), a settle of another holder's after a few epochs, a slash of every
//! missed proof of another holder, whose bounty the node earns, the eviction of every
//! holder silent past the chain's `offline_ticks` (its indices go to repair before the
//! proof it would miss), and the repair of every lost index: placed on an online provider outside the blob, whose node is then told to
//! rebuild the column from the other holders (`repair.rs`) and accepts it.
//!
//! Every holder of a blob cranks it, so a blob is cranked while any of its holders is up;
//! nothing is remembered between passes, since each starts from what the chain says is
//! still due. Anyone may crank any blob (the program checks everything); a node cranks
//! the blobs it holds because it reads them anyway and has a stake in them.

use std::sync::Arc;
use std::time::Duration;

use crate::chain::crank::{plan, repair_notices};
use crate::chain::{CrankAction, CrankOutcome, RepairNotice};
use crate::node::Node;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CrankReport {
    /// Settlements of this node's shards that landed, and what they paid it.
    pub settled_own: u64,
    pub paid: u128,
    /// Settlements of other holders' shards that landed.
    pub settled_others: u64,
    /// Slashes that landed, and the bounties they earned.
    pub slashed: u64,
    pub bounty: u128,
    /// Indices of silent holders sent to repair.
    pub evicted: u64,
    /// Lost indices placed on a new holder.
    pub placed: u64,
    /// Transactions refused or not landed (another crank was first, or the chain
    /// changed since the read): nothing is sent again until a later read shows it due.
    pub failed: u64,
    /// The chain could not be read: the pass sent nothing.
    pub chain_errors: u64,
}

/// Runs a pass every `interval` until `stop` says so.
pub async fn run(
    node: Arc<Node>,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let report = pass(&node).await;
        if report != CrankReport::default() {
            tracing::info!(?report, "crank pass");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One pass over the blobs in this node's store.
pub async fn pass(node: &Node) -> CrankReport {
    let mut report = CrankReport::default();
    let store = Arc::clone(&node.store);
    let blobs = match tokio::task::spawn_blocking(move || store.blobs()).await {
        Ok(Ok(b)) => b.into_iter().map(|e| e.blob).collect::<Vec<_>>(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "crank: cannot list blobs");
            return report;
        }
        Err(e) => {
            tracing::error!(error = %e, "crank: list task failed");
            return report;
        }
    };
    if blobs.is_empty() {
        return report;
    }
    let view = match node.chain.crank_view(&blobs).await {
        Ok(v) => v,
        Err(e) => {
            report.chain_errors += 1;
            tracing::warn!(error = %e, "crank: chain unavailable");
            return report;
        }
    };
    let actions: Vec<CrankAction> = view
        .blobs
        .iter()
        .flat_map(|b| plan(b, &view.clock, &view.candidates))
        .collect();
    if !actions.is_empty() {
        let outcomes = node.chain.crank(&actions).await;
        for (action, outcome) in actions.iter().zip(outcomes) {
            record(&mut report, action, &outcome);
        }
        node.record_cranking(&report);
    }
    // Offers of repaired indices (placed by this crank or another) are told to their new
    // holders until they accept: their nodes rebuild the column first.
    let notices: Vec<RepairNotice> = view
        .blobs
        .iter()
        .flat_map(|b| repair_notices(b, &view.clock, &view.candidates))
        .collect();
    for notice in notices {
        notify(node, &notice).await;
    }
    report
}

/// Tells the node at `notice.endpoint` that it was offered a repaired index of
/// `notice.blob` (`POST /v1/placements/{blob}`); it checks that on chain itself.
async fn notify(node: &Node, notice: &RepairNotice) {
    let client =
        basalt_sdk::NodeClient::new(reqwest::Client::new(), &notice.endpoint, node.key.clone());
    if let Err(e) = client
        .placement_registered(&notice.blob, Duration::from_secs(10))
        .await
    {
        tracing::warn!(blob = %notice.blob, endpoint = %notice.endpoint, error = %e, "crank: the new holder was not told of its repair");
    }
}

/// Adds one outcome to `report`.
fn record(report: &mut CrankReport, action: &CrankAction, outcome: &CrankOutcome) {
    match (action, outcome) {
        (_, CrankOutcome::Failed(why)) => {
            report.failed += 1;
            tracing::warn!(?action, %why, "crank: not applied");
        }
        (CrankAction::Settle { mine: true, .. }, CrankOutcome::Settled { amount }) => {
            report.settled_own += 1;
            report.paid += amount;
        }
        (CrankAction::Settle { mine: true, .. }, _) => report.settled_own += 1,
        (CrankAction::Settle { mine: false, .. }, _) => report.settled_others += 1,
        (CrankAction::Slash { .. }, CrankOutcome::Slashed { bounty }) => {
            report.slashed += 1;
            report.bounty += bounty;
        }
        (CrankAction::Slash { .. }, _) => report.slashed += 1,
        (CrankAction::Evict { .. }, _) => report.evicted += 1,
        (CrankAction::Place { .. }, _) => report.placed += 1,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use basalt_rules::{DealCover, SlotState};

    use super::*;
    use crate::chain::{CrankBlob, CrankClock, CrankSlot, CrankView};
    use crate::store::{ShardStore, SyncPolicy};
    use crate::testing::{put_blob, test_node, TableChain};

    fn slot(holder: &str, mine: bool, unpaid_epochs: u64) -> CrankSlot {
        CrankSlot {
            holder: Some(holder.into()),
            mine,
            state: SlotState {
                column_root: [1; 32],
                assigned_epoch: 0,
                last_proven_epoch: 4,
                proven_mask: 0b11111,
                unpaid_epochs,
                needs_repair: false,
                accepted: true,
                accept_by: 0,
                accepted_price: 10,
            },
            silence: None,
        }
    }

    #[tokio::test]
    async fn a_pass_settles_what_is_due_and_counts_what_it_was_paid(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Arc::new(ShardStore::open(dir.path(), u64::MAX, SyncPolicy::Wal)?);
        let held = put_blob(&store, 1, 0, |_, shard| shard == 0);
        let view = CrankBlob {
            id: held.id,
            active: true,
            expiry_epoch: 100,
            cover: Some(DealCover {
                balance: 1_000,
                price_per_shard_epoch: 10,
                owed_epochs: 6,
            }),
            slots: vec![
                slot("me", true, 2),
                slot("lazy", false, 3),
                CrankSlot {
                    // Silent since tick 400: offline at 520.
                    silence: Some(basalt_rules::HolderSilence {
                        last_heartbeat: 400,
                        registered: 0,
                    }),
                    ..slot("b", false, 0)
                },
            ],
        };
        let clock = CrankClock {
            now: 520,
            epoch_ticks: 100,
            window_ticks: 40,
            offline_ticks: 80,
        };
        let chain = Arc::new(TableChain {
            crank_view: Mutex::new(Some(CrankView {
                clock,
                blobs: vec![view],
                candidates: Vec::new(),
            })),
            ..TableChain::default()
        });
        let node = test_node(store, chain.clone());

        let report = pass(&node).await;
        assert_eq!(
            report,
            CrankReport {
                settled_own: 1,
                paid: 20,
                settled_others: 1,
                evicted: 1,
                ..CrankReport::default()
            }
        );
        let sent: Vec<(u16, &str)> = chain
            .cranked
            .lock()
            .expect("not poisoned")
            .iter()
            .map(|a| match a {
                CrankAction::Settle { index, .. } => (*index, "settle"),
                CrankAction::Evict { index, .. } => (*index, "evict"),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            sent,
            vec![(0, "settle"), (1, "settle"), (2, "evict")],
            "its own at once, a lazy holder's too, and the silent holder's index to repair"
        );
        assert_eq!(node.crank_stats().paid, 20);
        assert_eq!(node.crank_stats().evicted, 1);
        assert_eq!(node.metrics.crank_settled.get(), 1);
        assert_eq!(node.metrics.crank_evicted.get(), 1);

        // A second pass reads the settled slots: nothing is sent again.
        assert_eq!(pass(&node).await, CrankReport::default());
        assert_eq!(chain.cranked.lock().expect("not poisoned").len(), 3);

        // An unreadable chain: nothing sent, the error counted.
        chain.crank_view.lock().expect("not poisoned").take();
        assert_eq!(pass(&node).await.chain_errors, 1);
        Ok(())
    }
}
