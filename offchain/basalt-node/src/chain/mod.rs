//! What the node asks the chain: may this key read (or delete) this blob, is the blob still
//! alive, and which placements await this node's acceptance; and the one transaction it
//! sends, the acceptance itself. [`Chain`] is the small trait the API, GC and the acceptor
//! use. Its implementations:
//!
//! - [`SolanaChain`]: reads the Solana program's accounts over JSON-RPC and applies the
//!   program crate's own read rule ([`basalt::client::access::may_read`]);
//! - [`NearChain`]: asks the NEAR contract's views (`read_access`, `may_act`,
//!   `blob_state`), which run the contract's own rules, over NEAR JSON-RPC.
//!
//! Both cache read decisions for a short time ([`DecisionCache`]); deletions and GC always
//! read the chain.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use basalt_core::Cid;
use ed25519_dalek::SigningKey;

pub use basalt_rules::{ReadDecision, Terms};
pub use near::NearChain;
pub use solana::SolanaChain;

mod near;
mod solana;

/// The chain could not answer.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot read the chain at {url}: {why}")]
pub struct ChainError {
    pub url: String,
    pub why: String,
}

/// A blob's life as the chain sees it, for garbage collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobState {
    /// Not registered yet, or deleted.
    Unregistered,
    /// Registered (placement may still be in progress) and not expired.
    Live,
    /// Its paid storage ended.
    Expired,
}

/// A shard index of a blob placed on this node that it has not accepted yet and still may
/// (`basalt_rules::Acceptance`): the column root it must hold, and the terms it is offered
/// on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    pub index: u16,
    pub column_root: [u8; 32],
    /// The blob's plain size in bytes.
    pub blob_size: u64,
    /// The blob's expiry epoch.
    pub expiry_epoch: u64,
    /// What the blob's deal pays per shard and epoch; `None` without a deal.
    pub price_per_shard_epoch: Option<u128>,
}

impl Offer {
    /// The terms accepting this offer signs for; `None` while no deal pays for it.
    pub fn terms(&self) -> Option<Terms> {
        self.price_per_shard_epoch.map(|price| Terms {
            column_root: self.column_root,
            expiry_epoch: self.expiry_epoch,
            price_per_shard_epoch: price,
        })
    }
}

/// A blob as the acceptor sees it: its size, its deal's price and its expiry.
pub struct BlobTerms {
    pub size: u64,
    pub price_per_shard_epoch: Option<u128>,
    pub expiry_epoch: u64,
}

/// What the chain says about a node's placement in one blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The blob is not registered (not yet, or no more).
    Unregistered,
    /// An index awaits this node's acceptance (a provider holds at most one index of a
    /// blob).
    Offered(Offer),
    /// Nothing to accept: accepted already, lapsed, expired, or not placed on this node.
    Settled,
}

/// A slot of a blob as the acceptor sees it, whichever chain it was read from.
pub struct SlotView {
    /// The slot names the node's provider.
    pub names_holder: bool,
    pub acceptance: basalt_rules::Acceptance,
    pub column_root: [u8; 32],
}

/// What `slots` (a blob's, in index order) offer their holder at chain tick `now`, in
/// `epoch`: the first index that awaits its acceptance, unless the blob expired by `epoch`.
pub fn placement_of(
    slots: impl IntoIterator<Item = SlotView>,
    now: u64,
    epoch: u64,
    blob: &BlobTerms,
) -> Placement {
    if blob.expiry_epoch <= epoch {
        return Placement::Settled;
    }
    (0u16..)
        .zip(slots)
        .find(|(_, s)| s.names_holder && s.acceptance.awaits_acceptance(now))
        .map_or(Placement::Settled, |(index, s)| {
            Placement::Offered(Offer {
                index,
                column_root: s.column_root,
                blob_size: blob.size,
                expiry_epoch: blob.expiry_epoch,
                price_per_shard_epoch: blob.price_per_shard_epoch,
            })
        })
}

/// Whether any of `slots` is the holder's at chain tick `now`: accepted, or an offer it may
/// still accept.
pub fn holds_any(slots: impl IntoIterator<Item = SlotView>, now: u64) -> bool {
    slots
        .into_iter()
        .any(|s| s.names_holder && (s.acceptance.accepted || s.acceptance.awaits_acceptance(now)))
}

/// The chain questions a storage node asks.
#[async_trait]
pub trait Chain: Send + Sync + 'static {
    /// Whether `requester` may read `blob`, and by which rule.
    async fn read_access(
        &self,
        blob: &Cid,
        requester: &[u8; 32],
    ) -> Result<ReadDecision, ChainError>;
    /// Whether `requester` may delete `blob`'s shards (owner or DELETE grant). `None` when
    /// the blob is not registered.
    async fn may_delete(
        &self,
        blob: &Cid,
        requester: &[u8; 32],
    ) -> Result<Option<bool>, ChainError>;
    /// The blob's state, for garbage collection.
    async fn blob_state(&self, blob: &Cid) -> Result<BlobState, ChainError>;
    /// Whether `blob` still names `holder` for an index it accepted or may still accept;
    /// `false` once that placement lapsed, was released or slashed and moved, or when the
    /// blob never named it (an upload whose column went to a spare). GC asks it of live
    /// blobs.
    async fn holds(&self, blob: &Cid, holder: &[u8; 32]) -> Result<bool, ChainError>;
    /// Whether `holder` has a placement in `blob` to accept.
    async fn placement(&self, blob: &Cid, holder: &[u8; 32]) -> Result<Placement, ChainError>;
    /// Accepts shard `index` of `blob` on `terms` (an [`Offer`]'s), signed by `identity`
    /// (the provider's authority key), and waits until the acceptance is confirmed.
    async fn accept(
        &self,
        blob: &Cid,
        index: u16,
        terms: &Terms,
        identity: &SigningKey,
    ) -> Result<(), ChainError>;
}

/// Recent read decisions, so a client fetching many shards of one blob costs one chain
/// read, not one per shard.
pub struct DecisionCache {
    ttl: Duration,
    // INV: entries older than `ttl` are never returned; the map is cleared when it grows
    // past CACHE_LIMIT, so memory stays bounded whatever callers ask.
    reads: Mutex<HashMap<ReadKey, (Instant, ReadDecision)>>,
}

const CACHE_LIMIT: usize = 100_000;

/// (blob, requester): what a cached read decision is about.
type ReadKey = (Cid, [u8; 32]);

impl DecisionCache {
    /// A cache keeping decisions for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            reads: Mutex::new(HashMap::new()),
        }
    }

    /// The decision about `requester` reading `blob`, if one younger than the TTL is kept.
    fn get(&self, blob: &Cid, requester: &[u8; 32]) -> Option<ReadDecision> {
        let cache = self.reads.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(&(*blob, *requester))
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, d)| *d)
    }

    /// The kept decision, or else `decide`'s, which is then kept.
    ///
    /// # Errors
    ///
    /// `decide`'s error; nothing is kept then.
    pub async fn get_or_decide<F>(
        &self,
        blob: &Cid,
        requester: &[u8; 32],
        decide: F,
    ) -> Result<ReadDecision, ChainError>
    where
        F: Future<Output = Result<ReadDecision, ChainError>>,
    {
        if let Some(decision) = self.get(blob, requester) {
            return Ok(decision);
        }
        let decision = decide.await?;
        self.put(blob, requester, decision);
        Ok(decision)
    }

    /// Keeps `decision` for the TTL.
    fn put(&self, blob: &Cid, requester: &[u8; 32], decision: ReadDecision) {
        let mut cache = self.reads.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert((*blob, *requester), (Instant::now(), decision));
    }
}

#[cfg(test)]
mod tests {
    use basalt_rules::Acceptance;

    use super::*;

    fn slot(names_holder: bool, accepted: bool, needs_repair: bool, root: u8) -> SlotView {
        SlotView {
            names_holder,
            acceptance: Acceptance {
                accepted,
                needs_repair,
                accept_by: 450,
            },
            column_root: [root; 32],
        }
    }

    const TERMS: BlobTerms = BlobTerms {
        size: 5,
        price_per_shard_epoch: Some(10),
        expiry_epoch: 10,
    };

    #[test]
    fn a_holder_holds_what_it_accepted_or_may_still_accept() {
        assert!(holds_any([slot(true, true, false, 0)], 10_000), "accepted");
        assert!(
            holds_any([slot(true, false, false, 0)], 450),
            "an open offer"
        );
        assert!(!holds_any([slot(true, false, false, 0)], 451), "lapsed");
        assert!(
            !holds_any([slot(true, false, true, 0)], 400),
            "released or slashed"
        );
        assert!(!holds_any([slot(false, true, false, 0)], 400), "another's");
    }

    #[test]
    fn only_the_holders_own_pending_index_is_offered() {
        // Epoch 4 at tick 400; the offers may be accepted until tick 450.
        let offered = |slots: Vec<SlotView>, now| placement_of(slots, now, 4, &TERMS);
        // Index 1 names another provider; index 2 is this node's, pending.
        let blob = || {
            vec![
                slot(false, false, false, 0),
                slot(false, false, false, 1),
                slot(true, false, false, 2),
            ]
        };
        assert_eq!(
            offered(blob(), 400),
            Placement::Offered(Offer {
                index: 2,
                column_root: [2; 32],
                blob_size: 5,
                expiry_epoch: 10,
                price_per_shard_epoch: Some(10),
            })
        );
        assert_eq!(
            offered(blob(), 450),
            offered(blob(), 400),
            "at the deadline"
        );
        assert_eq!(offered(blob(), 451), Placement::Settled, "lapsed");
        let expired = BlobTerms {
            expiry_epoch: 4,
            ..TERMS
        };
        assert_eq!(
            placement_of(blob(), 400, 4, &expired),
            Placement::Settled,
            "expired"
        );
        assert_eq!(
            offered(vec![slot(true, true, false, 0)], 400),
            Placement::Settled,
            "accepted already"
        );
        assert_eq!(
            offered(vec![slot(true, false, true, 0)], 400),
            Placement::Settled,
            "slashed or released: awaits repair, not this node"
        );
    }
}
