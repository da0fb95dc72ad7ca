//! Accepting placements. A placement on chain is only an offer: this node owes proofs for a
//! shard index (and can be slashed for it) once it accepts, with its own key. It accepts
//! only on its terms (`NodeConfig::terms`: a deal paying at least its minimum price, a blob
//! within its size limit) a column it holds in full (every chunk's shard, each checked
//! against its root when it was written) whose shard roots hash to the column root the
//! placement names; anything else it leaves to lapse, deleting nothing.
//!
//! Each full pass looks at every blob the node holds shards of and asks the chain whether
//! an index awaits its acceptance. Blobs with nothing (left) to accept are not asked again
//! for [`RECHECK`]: a repair may place an index here later, and a restart asks about every
//! blob once, so nothing depends on memory surviving. Between full passes, blobs that
//! received a shard in the last [`RECENT`] are asked every [`RECENT_INTERVAL`]: their owner
//! registers them right after the upload and waits for the acceptances, so this node's
//! acceptance follows the registration by about one confirmation.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use basalt_core::BlobId;

use crate::chain::{Offer, Placement};
use crate::node::Node;
use crate::store::ShardKey;

/// How long a blob with nothing to accept is left alone.
pub const RECHECK: Duration = Duration::from_secs(600);
/// How long after its latest shard arrived a blob is watched closely.
pub const RECENT: Duration = Duration::from_secs(120);
/// How often the blobs uploaded in the last [`RECENT`] are asked about, besides at once when
/// their uploader says it registered them: a fallback for an uploader that does not.
pub const RECENT_INTERVAL: Duration = Duration::from_secs(1);

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AcceptReport {
    /// Blobs whose placement was asked of the chain.
    pub blobs_checked: usize,
    /// Placements accepted on chain.
    pub accepted: usize,
    /// Offers for a column not (yet) complete here: asked again next pass.
    pub incomplete: usize,
    /// Offers naming a column root this node's data does not match: never accepted.
    pub mismatched: usize,
    /// Offers outside this node's terms (price, blob size): never accepted.
    pub refused_terms: usize,
    /// Chain reads or acceptances that failed: retried next pass.
    pub chain_errors: usize,
}

/// Blobs known to need nothing, with when that was learned and whether for good.
#[derive(Debug, Default)]
pub struct Settled(HashMap<BlobId, (Instant, Settlement)>);

/// Why a blob needs nothing from this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settlement {
    /// Accepted here, or refused (a mismatched root, terms not met): final.
    Decided,
    /// No index awaits this node. Maybe not final: a registration split over two
    /// transactions places this node's index in the second one.
    NothingHere,
}

impl Settled {
    /// Whether `blob` is known to need nothing; a pass over recent uploads (`recent`) asks
    /// again about a blob that only had nothing here.
    fn is_fresh(&self, blob: &BlobId, recent: bool) -> bool {
        self.0.get(blob).is_some_and(|(at, why)| {
            at.elapsed() < RECHECK && (!recent || *why == Settlement::Decided)
        })
    }

    fn mark(&mut self, blob: BlobId, why: Settlement) {
        self.0.insert(blob, (Instant::now(), why));
    }
}

/// One pass over every blob this node holds.
pub async fn run_once(node: &Node, settled: &mut Settled) -> AcceptReport {
    let mut report = AcceptReport::default();
    let store = Arc::clone(&node.store);
    let blobs = match tokio::task::spawn_blocking(move || store.blobs()).await {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "accept: cannot list blobs");
            return report;
        }
        Err(e) => {
            tracing::error!(error = %e, "accept: list task failed");
            return report;
        }
    };
    // Forget what the store no longer holds, so the map stays as small as the store.
    let held: std::collections::HashSet<BlobId> = blobs.iter().map(|b| b.blob).collect();
    settled.0.retain(|blob, _| held.contains(blob));
    for entry in blobs {
        check_blob(node, &entry.blob, settled, false, &mut report).await;
    }
    report
}

/// One pass over the blobs that received a shard in the last [`RECENT`] (forgetting older
/// ones), skipping those known to need nothing.
pub async fn run_recent(node: &Node, settled: &mut Settled) -> AcceptReport {
    let recent: Vec<BlobId> = {
        let mut recent = node
            .recent_uploads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        recent.retain(|_, at| at.elapsed() < RECENT);
        recent.keys().copied().collect()
    };
    let mut report = AcceptReport::default();
    for blob in recent {
        check_blob(node, &blob, settled, true, &mut report).await;
    }
    report
}

/// Asks the chain about `blob` unless it is known to need nothing, and accepts its offer.
async fn check_blob(
    node: &Node,
    blob: &BlobId,
    settled: &mut Settled,
    recent: bool,
    report: &mut AcceptReport,
) {
    if settled.is_fresh(blob, recent) {
        return;
    }
    report.blobs_checked += 1;
    let placement = match node.chain.placement(blob, &node.address()).await {
        Ok(p) => p,
        Err(e) => {
            report.chain_errors += 1;
            tracing::warn!(blob = %blob, error = %e, "accept: chain unavailable");
            return;
        }
    };
    match placement {
        // Not registered yet (the owner's transaction follows the uploads), or deleted (GC
        // collects it): ask again next pass.
        Placement::Unregistered => {}
        Placement::Settled => settled.mark(*blob, Settlement::NothingHere),
        Placement::Offered(offer) => {
            if accept_offer(node, blob, &offer, report).await {
                settled.mark(*blob, Settlement::Decided);
            }
        }
    }
}

/// Checks `offer` against the column stored here and accepts it when they match. Returns
/// whether the blob needs nothing more.
async fn accept_offer(
    node: &Node,
    blob: &BlobId,
    offer: &Offer,
    report: &mut AcceptReport,
) -> bool {
    // The deal is funded in the registration's last transaction: until then, ask again.
    let Some(terms) = offer.terms() else {
        report.incomplete += 1;
        return false;
    };
    if let Some(why) = node
        .config
        .terms()
        .refusal(offer.blob_size, terms.price_per_shard_epoch)
    {
        report.refused_terms += 1;
        node.metrics.placements_refused.inc();
        tracing::warn!(blob = %blob, index = offer.index, "accept: {why}; leaving the placement to lapse");
        return true;
    }
    let store = Arc::clone(&node.store);
    let key = ShardKey {
        blob: *blob,
        chunk: 0,
        shard: offer.index,
    };
    let stored = match tokio::task::spawn_blocking(move || store.column_root(&key)).await {
        Ok(Ok(root)) => root,
        Ok(Err(e)) => {
            tracing::error!(blob = %blob, error = %e, "accept: cannot read the column");
            return false;
        }
        Err(e) => {
            tracing::error!(blob = %blob, error = %e, "accept: column task failed");
            return false;
        }
    };
    match stored {
        None => {
            report.incomplete += 1;
            false
        }
        Some(root) if root != offer.column_root => {
            report.mismatched += 1;
            node.metrics.placements_refused.inc();
            tracing::warn!(
                blob = %blob,
                index = offer.index,
                "accept: the placement names a column root this node's data does not hash to; leaving it to lapse"
            );
            true
        }
        Some(_) => match node.chain.accept(blob, offer.index, &terms).await {
            Ok(()) => {
                report.accepted += 1;
                node.metrics.placements_accepted.inc();
                tracing::info!(blob = %blob, index = offer.index, "accepted placement");
                true
            }
            Err(e) => {
                report.chain_errors += 1;
                tracing::warn!(blob = %blob, index = offer.index, error = %e, "accept: transaction failed");
                false
            }
        },
    }
}

/// Runs a full pass every `interval`, and a pass over recent uploads every
/// [`RECENT_INTERVAL`] and whenever an uploader says it registered a blob, until
/// `shutdown` resolves.
pub async fn run(
    node: Arc<Node>,
    interval: Duration,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut shutdown = shutdown;
    let mut settled = Settled::default();
    let mut full = tokio::time::interval(interval);
    full.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut recent = tokio::time::interval(RECENT_INTERVAL.min(interval));
    recent.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = full.tick() => {
                let report = run_once(&node, &mut settled).await;
                tracing::debug!(?report, "accept pass");
            }
            _ = node.placement_registered.notified() => {
                let report = run_recent(&node, &mut settled).await;
                tracing::debug!(?report, "accept pass after a registration");
            }
            _ = recent.tick() => {
                let report = run_recent(&node, &mut settled).await;
                if report != AcceptReport::default() {
                    tracing::debug!(?report, "accept pass over recent uploads");
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;
    use crate::auth::now_ms;
    use crate::chain::Placement;
    use crate::config::NodeConfig;
    use crate::store::{ShardStore, SyncPolicy};
    use crate::testing::{put_blob, TableChain};

    #[tokio::test]
    async fn accepts_only_complete_columns_that_match_the_placed_root_on_its_terms(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Arc::new(ShardStore::open(dir.path(), u64::MAX, SyncPolicy::Wal)?);
        let now = now_ms();
        // Column 1 of each blob is what this node was sent.
        let column = |_, shard| shard == 1;
        let good = put_blob(&store, 1, now, column);
        let forged = put_blob(&store, 2, now, column);
        // The last chunk's shard has not arrived yet.
        let partial = put_blob(&store, 3, now, |chunk, shard| shard == 1 && chunk < 2);
        let unregistered = put_blob(&store, 4, now, column).id;
        let done = put_blob(&store, 5, now, column).id;
        let cheap = put_blob(&store, 6, now, column);
        let unfunded = put_blob(&store, 7, now, column);
        let priced = |root: [u8; 32], price| Offer {
            index: 1,
            column_root: root,
            blob_size: 150_000,
            expiry_epoch: 20,
            price_per_shard_epoch: price,
        };
        let offer = |root| priced(root, Some(10));
        let root_of = |m: &basalt_core::BlobManifest| m.commitment.column_roots()[1];
        let chain = Arc::new(TableChain {
            placements: Mutex::new(HashMap::from([
                (good.id, Placement::Offered(offer(root_of(&good)))),
                // A root no data here hashes to: an owner's forged placement.
                (forged.id, Placement::Offered(offer([9; 32]))),
                (partial.id, Placement::Offered(offer(root_of(&partial)))),
                (unregistered, Placement::Unregistered),
                (done, Placement::Settled),
                // Under this node's minimum price.
                (
                    cheap.id,
                    Placement::Offered(priced(root_of(&cheap), Some(4))),
                ),
                // Registered and placed, its deal not funded yet (a two-transaction
                // registration between its transactions).
                (
                    unfunded.id,
                    Placement::Offered(priced(root_of(&unfunded), None)),
                ),
            ])),
            ..TableChain::default()
        });
        let node = Node::new(
            Arc::clone(&store),
            chain.clone(),
            ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
            NodeConfig {
                min_price_per_shard_epoch: 5,
                ..NodeConfig::default()
            },
        );

        let mut settled = Settled::default();
        let first = run_once(&node, &mut settled).await;
        assert_eq!(
            first,
            AcceptReport {
                blobs_checked: 7,
                accepted: 1,
                incomplete: 2,
                mismatched: 1,
                refused_terms: 1,
                chain_errors: 0,
            }
        );
        assert_eq!(
            *chain.accepted.lock().expect("not poisoned"),
            vec![(good.id, offer(root_of(&good)))]
        );
        assert_eq!(node.metrics.placements_accepted.get(), 1);
        assert_eq!(node.metrics.placements_refused.get(), 2);
        // Nothing refused was deleted.
        assert!(store
            .column_root(&ShardKey {
                blob: cheap.id,
                chunk: 0,
                shard: 1
            })?
            .is_some());

        // Only the blobs that may still need an acceptance are asked again; the missing
        // shard arrives and the column is accepted; the deal is funded and that one too.
        put_blob(&store, 3, now, |chunk, shard| shard == 1 && chunk == 2);
        chain
            .placements
            .lock()
            .expect("not poisoned")
            .insert(unfunded.id, Placement::Offered(offer(root_of(&unfunded))));
        let second = run_once(&node, &mut settled).await;
        assert_eq!(
            second,
            AcceptReport {
                blobs_checked: 3,
                accepted: 2,
                ..AcceptReport::default()
            }
        );
        assert_eq!(chain.accepted.lock().expect("not poisoned").len(), 3);
        Ok(())
    }

    #[tokio::test]
    async fn recent_uploads_are_checked_between_full_passes(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Arc::new(ShardStore::open(dir.path(), u64::MAX, SyncPolicy::Wal)?);
        let column = |_, shard| shard == 1;
        let old = put_blob(&store, 1, now_ms(), column);
        let fresh = put_blob(&store, 2, now_ms(), column);
        let offer = |m: &basalt_core::BlobManifest| Placement::Offered(offer_of(m));
        let chain = Arc::new(TableChain {
            placements: Mutex::new(HashMap::from([
                (old.id, offer(&old)),
                (fresh.id, Placement::Unregistered),
            ])),
            ..TableChain::default()
        });
        let node = Node::new(
            Arc::clone(&store),
            chain.clone(),
            ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
            NodeConfig::default(),
        );
        node.note_upload(fresh.id);
        let mut settled = Settled::default();

        // Registration has not landed yet: asked, nothing to do, asked again next time.
        let before = run_recent(&node, &mut settled).await;
        assert_eq!(
            (before.blobs_checked, before.accepted),
            (1, 0),
            "only the recent upload"
        );
        chain
            .placements
            .lock()
            .expect("not poisoned")
            .insert(fresh.id, offer(&fresh));
        let after = run_recent(&node, &mut settled).await;
        assert_eq!((after.blobs_checked, after.accepted), (1, 1));
        assert_eq!(
            run_recent(&node, &mut settled).await.blobs_checked,
            0,
            "settled"
        );
        assert_eq!(
            *chain.accepted.lock().expect("not poisoned"),
            vec![(fresh.id, offer_of(&fresh))]
        );

        // A registration split over two transactions: a full pass between them finds
        // nothing here yet; the pass after the uploader's word finds the index and accepts.
        let split = put_blob(&store, 3, now_ms(), column);
        node.note_upload(split.id);
        chain
            .placements
            .lock()
            .expect("not poisoned")
            .insert(split.id, Placement::Settled);
        run_once(&node, &mut settled).await;
        chain
            .placements
            .lock()
            .expect("not poisoned")
            .insert(split.id, offer(&split));
        assert_eq!(
            run_once(&node, &mut settled).await.accepted,
            0,
            "a full pass waits"
        );
        assert_eq!(run_recent(&node, &mut settled).await.accepted, 1);
        Ok(())
    }

    fn offer_of(m: &basalt_core::BlobManifest) -> Offer {
        Offer {
            index: 1,
            column_root: m.commitment.column_roots()[1],
            blob_size: 150_000,
            expiry_epoch: 20,
            price_per_shard_epoch: Some(10),
        }
    }
}
