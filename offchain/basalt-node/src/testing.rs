//! Test doubles and fixtures for the unit tests of the node's background tasks.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use basalt_core::encoder::BlobManifest;
use basalt_core::{encode_blob, BlobId, Caller};
use basalt_rules::ReadDecision;
use ed25519_dalek::SigningKey;

use crate::chain::{
    BlobState, Chain, ChainError, CrankAction, CrankOutcome, CrankView, Offer, Placement,
    ProofClock, ProofDuty, ProofOutcome, ProofSubmission, Terms,
};
use crate::config::NodeConfig;
use crate::node::Node;
use crate::store::{ShardStore, ShardUpload};

/// A chain answered from tables. A blob missing from the table a question reads makes the
/// chain "unreachable" for that question, as a failing RPC would.
#[derive(Default)]
pub struct TableChain {
    pub states: HashMap<BlobId, BlobState>,
    /// Live blobs that no longer name this node (every other one does).
    pub not_held: std::collections::HashSet<BlobId>,
    pub placements: Mutex<HashMap<BlobId, Placement>>,
    /// Every acceptance sent, in order.
    pub accepted: Mutex<Vec<(BlobId, Offer)>>,
    /// Where the chain is in its epochs; `None`: unreachable.
    pub clock: Mutex<Option<ProofClock>>,
    /// Proofs owed; a counted proof removes its duty, as the chain records it.
    pub duties: Mutex<Vec<ProofDuty>>,
    /// Every proof counted, in order.
    pub proofs: Mutex<Vec<ProofSubmission>>,
    /// What the crank reads; `None`: unreachable. A settle clears the slot's unpaid
    /// epochs and a slash marks it for repair, as the program does.
    pub crank_view: Mutex<Option<CrankView>>,
    /// Every crank transaction that landed, in order.
    pub cranked: Mutex<Vec<CrankAction>>,
    /// Heartbeats sent.
    pub heartbeats: std::sync::atomic::AtomicU64,
    /// Each blob's holder endpoints, by index; a blob missing here is unregistered.
    pub endpoints: HashMap<BlobId, Vec<Option<String>>>,
    /// Every read decision; `None`: deny.
    pub read: Mutex<Option<ReadDecision>>,
    /// While set, no question is answered (a hung RPC): every call waits until it is
    /// cleared.
    pub hung: std::sync::atomic::AtomicBool,
}

impl TableChain {
    /// Returns once the chain is not hung.
    async fn answer(&self) {
        while self.hung.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

/// The secret key of the test node's identity, which is also its chain's provider.
const TEST_IDENTITY: [u8; 32] = [7; 32];

/// A node with its identity [`TEST_IDENTITY`] and default settings over `store` and
/// `chain`.
pub fn test_node(store: std::sync::Arc<ShardStore>, chain: std::sync::Arc<TableChain>) -> Node {
    Node::new(
        store,
        chain,
        SigningKey::from_bytes(&TEST_IDENTITY),
        NodeConfig::default(),
    )
}

fn unreachable() -> ChainError {
    ChainError {
        url: "table".into(),
        why: "unreachable".into(),
    }
}

#[async_trait]
impl Chain for TableChain {
    fn provider(&self) -> Caller {
        Caller::Ed25519(
            SigningKey::from_bytes(&TEST_IDENTITY)
                .verifying_key()
                .to_bytes(),
        )
    }

    async fn read_access(&self, _: &BlobId, _: &Caller) -> Result<ReadDecision, ChainError> {
        self.answer().await;
        Ok(self
            .read
            .lock()
            .expect("not poisoned")
            .unwrap_or(ReadDecision::Deny))
    }

    async fn may_delete(&self, _: &BlobId, _: &Caller) -> Result<Option<bool>, ChainError> {
        self.answer().await;
        Ok(Some(false))
    }

    async fn blob_state(&self, blob: &BlobId) -> Result<BlobState, ChainError> {
        self.answer().await;
        self.states.get(blob).copied().ok_or_else(unreachable)
    }

    async fn holds(&self, blob: &BlobId, _: &Caller) -> Result<bool, ChainError> {
        self.answer().await;
        Ok(!self.not_held.contains(blob))
    }

    async fn placement(&self, blob: &BlobId, _: &Caller) -> Result<Placement, ChainError> {
        self.answer().await;
        let placements = self.placements.lock().expect("not poisoned");
        placements.get(blob).copied().ok_or_else(unreachable)
    }

    async fn proof_clock(&self) -> Result<ProofClock, ChainError> {
        self.answer().await;
        self.clock
            .lock()
            .expect("not poisoned")
            .ok_or_else(unreachable)
    }

    async fn proof_duties(
        &self,
        blobs: &[BlobId],
        epoch: u64,
    ) -> Result<Vec<ProofDuty>, ChainError> {
        self.answer().await;
        let duties = self.duties.lock().expect("not poisoned");
        Ok(duties
            .iter()
            .filter(|d| d.epoch == epoch && blobs.contains(&d.blob))
            .copied()
            .collect())
    }

    /// Counts each proof of a duty still owed (and removes the duty); a proof of a duty
    /// already counted is `AlreadyProven`, any other is refused.
    async fn submit_proofs(&self, proofs: &[ProofSubmission]) -> Vec<ProofOutcome> {
        self.answer().await;
        let mut duties = self.duties.lock().expect("not poisoned");
        let mut counted = self.proofs.lock().expect("not poisoned");
        proofs
            .iter()
            .map(|p| {
                if let Some(at) = duties.iter().position(|d| *d == p.duty) {
                    duties.remove(at);
                    counted.push(p.clone());
                    ProofOutcome::Accepted
                } else if counted.iter().any(|c| c.duty == p.duty) {
                    ProofOutcome::AlreadyProven
                } else {
                    ProofOutcome::Failed("NotShardHolder".into())
                }
            })
            .collect()
    }

    async fn crank_view(&self, blobs: &[BlobId]) -> Result<CrankView, ChainError> {
        self.answer().await;
        let view = self.crank_view.lock().expect("not poisoned");
        let mut view = view.clone().ok_or_else(unreachable)?;
        view.blobs.retain(|b| blobs.contains(&b.id));
        Ok(view)
    }

    /// Applies each action to the view as the program would, paying the deal's price per
    /// unpaid epoch and a bounty of 1.
    async fn crank(&self, actions: &[CrankAction]) -> Vec<CrankOutcome> {
        self.answer().await;
        let mut view = self.crank_view.lock().expect("not poisoned");
        let Some(CrankView { blobs, .. }) = view.as_mut() else {
            return actions
                .iter()
                .map(|_| CrankOutcome::Failed("unreachable".into()))
                .collect();
        };
        let mut outcomes = Vec::with_capacity(actions.len());
        for action in actions {
            let (CrankAction::Settle { blob, index, .. }
            | CrankAction::Slash { blob, index, .. }
            | CrankAction::Evict { blob, index, .. }
            | CrankAction::Place { blob, index, .. }) = action;
            let Some(b) = blobs.iter_mut().find(|b| b.id == *blob) else {
                outcomes.push(CrankOutcome::Failed("BlobNotFound".into()));
                continue;
            };
            let price = b.cover.map_or(0, |c| c.price_per_shard_epoch);
            let slot = &mut b.slots[usize::from(*index)].state;
            outcomes.push(match action {
                CrankAction::Settle { .. } => {
                    let amount = u128::from(std::mem::take(&mut slot.unpaid_epochs)) * price;
                    CrankOutcome::Settled { amount }
                }
                CrankAction::Slash { .. } => {
                    slot.needs_repair = true;
                    slot.accepted = false;
                    CrankOutcome::Slashed { bounty: 1 }
                }
                CrankAction::Evict { .. } => {
                    slot.needs_repair = true;
                    slot.accepted = false;
                    CrankOutcome::Evicted
                }
                CrankAction::Place { .. } => {
                    slot.needs_repair = false;
                    CrankOutcome::Placed
                }
            });
            self.cranked
                .lock()
                .expect("not poisoned")
                .push(action.clone());
        }
        outcomes
    }

    async fn holder_endpoints(&self, blob: &BlobId) -> Result<Vec<Option<String>>, ChainError> {
        self.answer().await;
        Ok(self.endpoints.get(blob).cloned().unwrap_or_default())
    }

    async fn heartbeat(&self) -> Result<(), ChainError> {
        self.answer().await;
        self.heartbeats
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Records the acceptance; the offer is then settled, as on chain.
    async fn accept(&self, blob: &BlobId, index: u16, terms: &Terms) -> Result<(), ChainError> {
        self.answer().await;
        let mut placements = self.placements.lock().expect("not poisoned");
        let offer = match placements.get(blob) {
            Some(Placement::Offered(offer)) if offer.index == index => *offer,
            _ => {
                return Err(ChainError {
                    url: "table".into(),
                    why: "NotShardHolder".into(),
                })
            }
        };
        if offer.terms().as_ref() != Some(terms) {
            return Err(ChainError {
                url: "table".into(),
                why: "TermsChanged".into(),
            });
        }
        placements.insert(*blob, Placement::Settled);
        self.accepted
            .lock()
            .expect("not poisoned")
            .push((*blob, offer));
        Ok(())
    }
}

/// A blob [`put_blob`] stored: its id and what its encoding committed to.
pub struct StoredBlob {
    pub id: BlobId,
    pub manifest: BlobManifest,
}

impl std::ops::Deref for StoredBlob {
    type Target = BlobManifest;

    fn deref(&self) -> &BlobManifest {
        &self.manifest
    }
}

/// Encodes 150,000 bytes of `seed` as RS(2, 1) in 64 KiB chunks (three chunks) and stores
/// the shards `keep(chunk, shard)` selects, uploaded by `[seed; 32]` at `first_seen_ms`, as
/// the blob of owner `[seed; 32]` (its id as NEAR derives it: the node keys by id only).
pub fn put_blob(
    store: &ShardStore,
    seed: u8,
    first_seen_ms: u64,
    keep: impl Fn(u32, u16) -> bool,
) -> StoredBlob {
    let data = vec![seed; 150_000];
    let mut chunks = Vec::new();
    let manifest = encode_blob(&data, 64 << 10, 2, 1, None, |c| chunks.push(c)).expect("encode");
    let id = BlobId::from_bytes(basalt_core::proof::blob_id(
        &[seed; 32],
        manifest.cid.digest(),
    ));
    for c in &chunks {
        for (j, s) in (0u16..).zip(c.shards()) {
            if !keep(c.index, j) {
                continue;
            }
            let header = manifest
                .shard_header(id, c.index, j)
                .expect("indices from the encoder");
            store
                .put(&ShardUpload::new(&header, s), [seed; 32], first_seen_ms)
                .expect("put");
        }
    }
    StoredBlob { id, manifest }
}
