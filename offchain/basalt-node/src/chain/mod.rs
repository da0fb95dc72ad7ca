//! What the node asks the chain: may this caller read (or delete) this blob, is the blob
//! still alive, and which placements await this node's acceptance; and the transactions its
//! provider sends (acceptances, proofs, heartbeats, the crank's), signed by the provider's
//! key, which each implementation holds. [`Chain`] is the small trait the API, GC and the acceptor
//! use. Its implementations:
//!
//! - [`SolanaChain`]: reads the Solana program's accounts over JSON-RPC and applies the
//!   program crate's own read rule ([`basalt::client::access::may_read`]);
//! - [`NearChain`]: asks the NEAR contract's views (`read_access`, `may_act`,
//!   `blob_state`), which run the contract's own rules, over NEAR JSON-RPC;
//! - [`EvmChain`]: asks the EVM contracts' views (`readDecision`, `mayAct`, `blob`, `slot`)
//!   over Ethereum JSON-RPC.
//!
//! The node uses either through [`WatchedChain`], which bounds every call by a deadline,
//! reports each outcome to the node's health, and caches read decisions for a short time
//! ([`DecisionCache`]), serving a recent one while the chain does not answer; deletions and
//! GC always read the chain.

use async_trait::async_trait;
use basalt_core::{BlobId, Caller};

pub use basalt_rules::{ReadDecision, Terms};
pub use crank::{
    Candidate, CrankAction, CrankBlob, CrankClock, CrankOutcome, CrankSlot, CrankView, RepairNotice,
};
pub use decisions::{Cached, DecisionCache};
pub use evm::EvmChain;
pub use near::NearChain;
pub use solana::SolanaChain;
pub use watched::{Deadlines, WatchedChain};

pub mod crank;
mod decisions;
mod evm;
mod near;
mod solana;
mod watched;

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

/// Where the chain is in its epochs, for the prover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofClock {
    /// The current epoch.
    pub epoch: u64,
    /// Proofs of the current epoch are accepted now.
    pub window_open: bool,
}

impl ProofClock {
    /// The clock at chain tick `tick` (a Solana slot, a NEAR block) under epochs of
    /// `epoch_ticks` whose proofs are due in the `window_ticks` ticks after the first: the
    /// window the program checks (`proof_submit`), ticks `start + 1 ..= start + window`.
    pub fn at(tick: u64, epoch_ticks: u64, window_ticks: u64) -> Self {
        let epoch = tick / epoch_ticks.max(1);
        let since_start = tick - epoch * epoch_ticks.max(1);
        Self {
            epoch,
            window_open: since_start > 0 && since_start <= window_ticks,
        }
    }
}

/// A shard this node owes a proof of, with the leaf the chain challenges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofDuty {
    pub blob: BlobId,
    pub index: u16,
    pub epoch: u64,
    /// The challenged chunk and leaf (`basalt_proof::derive_challenge`).
    pub chunk: u32,
    pub leaf: u32,
    /// The column root the chain checks the proof against.
    pub column_root: [u8; 32],
}

/// A proof built for a [`ProofDuty`]: the leaf and its path to the column root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofSubmission {
    pub duty: ProofDuty,
    pub leaf: Vec<u8>,
    pub path: Vec<[u8; 32]>,
}

/// How the chain answered one proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofOutcome {
    /// Counted: the epoch is proven.
    Accepted,
    /// The chain had counted this epoch already (a proof sent before a restart).
    AlreadyProven,
    /// Refused or not landed, with why: sent again on the next pass while the window is
    /// open.
    Failed(String),
}

/// The duties of `holder` in `epoch` among the indices of one blob, each given as
/// `(names_holder, provable, proven, column_root)`: the indices that name it, are an
/// obligation for that epoch (`basalt_rules::check_provable`) and are not proven yet, with
/// the leaf `challenge(index)` picks. `None` from `challenge` (an empty blob) owes nothing.
pub fn duties_of(
    blob: BlobId,
    epoch: u64,
    slots: impl IntoIterator<Item = (bool, bool, bool, [u8; 32])>,
    challenge: impl Fn(u16) -> Option<(u32, u32)>,
) -> Vec<ProofDuty> {
    (0u16..)
        .zip(slots)
        .filter(|(_, (names_holder, provable, proven, _))| *names_holder && *provable && !*proven)
        .filter_map(|(index, (_, _, _, column_root))| {
            let (chunk, leaf) = challenge(index)?;
            Some(ProofDuty {
                blob,
                index,
                epoch,
                chunk,
                leaf,
                column_root,
            })
        })
        .collect()
}

/// The chain questions a storage node asks, and the transactions its provider sends.
#[async_trait]
pub trait Chain: Send + Sync + 'static {
    /// The provider this node acts as, as the chain names it: the key that signs its
    /// transactions.
    fn provider(&self) -> Caller;
    /// Whether `requester` may read `blob`, and by which rule.
    async fn read_access(
        &self,
        blob: &BlobId,
        requester: &Caller,
    ) -> Result<ReadDecision, ChainError>;
    /// Whether `requester` may delete `blob`'s shards (owner or DELETE grant). `None` when
    /// the blob is not registered.
    async fn may_delete(
        &self,
        blob: &BlobId,
        requester: &Caller,
    ) -> Result<Option<bool>, ChainError>;
    /// The blob's state, for garbage collection.
    async fn blob_state(&self, blob: &BlobId) -> Result<BlobState, ChainError>;
    /// Whether `blob` still names `holder` for an index it accepted or may still accept;
    /// `false` once that placement lapsed, was released or slashed and moved, or when the
    /// blob never named it (an upload whose column went to a spare). GC asks it of live
    /// blobs.
    async fn holds(&self, blob: &BlobId, holder: &Caller) -> Result<bool, ChainError>;
    /// Whether `holder` has a placement in `blob` to accept.
    async fn placement(&self, blob: &BlobId, holder: &Caller) -> Result<Placement, ChainError>;
    /// Where the chain is in its epochs.
    async fn proof_clock(&self) -> Result<ProofClock, ChainError>;
    /// The shards of `blobs` that the provider owes a proof of in `epoch` (the current
    /// one) and has not proven yet, with the chain's challenges. On NEAR it draws the
    /// epoch's seed when nobody has yet.
    async fn proof_duties(
        &self,
        blobs: &[BlobId],
        epoch: u64,
    ) -> Result<Vec<ProofDuty>, ChainError>;
    /// Submits `proofs` from the provider, many at once; one outcome per proof, in order.
    async fn submit_proofs(&self, proofs: &[ProofSubmission]) -> Vec<ProofOutcome>;
    /// The slots of `blobs` (those registered) and the deals that pay them, read at one
    /// chain tick, and the providers a lost index may move to, for the crank (the
    /// provider's).
    async fn crank_view(&self, blobs: &[BlobId]) -> Result<CrankView, ChainError>;
    /// Sends `actions` from the provider (which pays the fees and earns the bounties); one
    /// outcome per action, in order.
    async fn crank(&self, actions: &[CrankAction]) -> Vec<CrankOutcome>;
    /// The endpoint of each index's holder of `blob`, in index order (`None` for an
    /// unplaced index or a holder without a registered provider): where a repair fetches
    /// the shards it rebuilds from. Empty when the blob is not registered.
    async fn holder_endpoints(&self, blob: &BlobId) -> Result<Vec<Option<String>>, ChainError>;
    /// Records on chain that the provider is up (`provider_heartbeat`), and waits until it
    /// is confirmed.
    async fn heartbeat(&self) -> Result<(), ChainError>;
    /// Accepts shard `index` of `blob` on `terms` (an [`Offer`]'s) as the provider, and
    /// waits until the acceptance is confirmed.
    async fn accept(&self, blob: &BlobId, index: u16, terms: &Terms) -> Result<(), ChainError>;
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

    #[test]
    fn the_proof_window_is_the_programs() {
        // Epochs of 100 ticks, proofs due in ticks start + 1 ..= start + 40.
        let at = |tick| ProofClock::at(tick, 100, 40);
        assert_eq!(
            at(200),
            ProofClock {
                epoch: 2,
                window_open: false
            },
            "the epoch's first tick"
        );
        assert!(at(201).window_open);
        assert!(at(240).window_open);
        assert_eq!(
            at(241),
            ProofClock {
                epoch: 2,
                window_open: false
            }
        );
        assert_eq!(at(299).epoch, 2);
    }

    #[test]
    fn a_holder_owes_proofs_of_its_provable_unproven_indices() {
        let blob = BlobId::from_bytes([1; 32]);
        let slots = [
            (false, true, false, [0; 32]), // another provider's
            (true, true, false, [1; 32]),  // owed
            (true, true, true, [2; 32]),   // proven already
            (true, false, false, [3; 32]), // not an obligation (offer, repair, expiry)
            (true, true, false, [4; 32]),  // owed
        ];
        let duties = duties_of(blob, 7, slots, |index| Some((u32::from(index), 9)));
        assert_eq!(
            duties,
            vec![
                ProofDuty {
                    blob,
                    index: 1,
                    epoch: 7,
                    chunk: 1,
                    leaf: 9,
                    column_root: [1; 32]
                },
                ProofDuty {
                    blob,
                    index: 4,
                    epoch: 7,
                    chunk: 4,
                    leaf: 9,
                    column_root: [4; 32]
                },
            ]
        );
        assert!(
            duties_of(blob, 7, slots, |_| None).is_empty(),
            "an empty blob owes nothing"
        );
    }
}
