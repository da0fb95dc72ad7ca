//! The contracts' records as `basalt_rules` reads them, so that off-chain code (a storage
//! node, a crank) decides with the rules the contracts apply, as the Solana program's
//! accounts and the NEAR contract's state convert for the other chains.

use alloy::primitives::{Address, B256};
use basalt_core::BlobManifest;
use basalt_rules::{DealCover, ReadDecision, SlotState};

use crate::BasaltBlobs;

impl BasaltBlobs::BlobArgs {
    /// What registers the blob `manifest` describes until `expiry_epoch`.
    pub fn of(manifest: &BlobManifest, expiry_epoch: u64, is_public: bool) -> Self {
        let layout = manifest.commitment.layout();
        Self {
            cidDigest: B256::from(*manifest.cid.digest()),
            size: layout.size(),
            chunkSize: layout.chunk_size(),
            leafSize: layout.leaf_size(),
            k: layout.k(),
            m: layout.m(),
            commitmentRoot: manifest.commitment.commitment_root().into(),
            expiryEpoch: expiry_epoch,
            isPublic: is_public,
            encrypted: manifest.encrypted,
        }
    }
}

/// The column roots of the blob `manifest` describes, in index order: what `place` names.
pub fn column_roots(manifest: &BlobManifest) -> Vec<B256> {
    manifest
        .commitment
        .column_roots()
        .iter()
        .map(|root| B256::from(*root))
        .collect()
}

impl BasaltBlobs::Slot {
    /// The index's state, holder aside.
    pub fn state(&self) -> SlotState {
        SlotState {
            column_root: self.columnRoot.0,
            assigned_epoch: self.assignedEpoch,
            last_proven_epoch: self.lastProvenEpoch,
            proven_mask: self.provenMask,
            unpaid_epochs: self.unpaidEpochs,
            needs_repair: self.needsRepair,
            accepted: self.accepted,
            accept_by: self.acceptBy,
            accepted_price: self.acceptedPrice,
        }
    }

    /// The holder; `None` while the index is unplaced.
    pub fn holder(&self) -> Option<Address> {
        (self.provider != Address::ZERO).then_some(self.provider)
    }
}

impl BasaltBlobs::Deal {
    /// What the deal of `blob` holds; `None` when the blob has none.
    pub fn cover(&self, blob: &BasaltBlobs::Blob) -> Option<DealCover> {
        (self.payer != Address::ZERO).then(|| DealCover {
            balance: self.balance,
            price_per_shard_epoch: self.pricePerShardEpoch,
            owed_epochs: u128::from(blob.owedEpochs),
        })
    }

    /// The price per shard and epoch it pays; `None` when there is no deal.
    pub fn price(&self) -> Option<u128> {
        (self.payer != Address::ZERO).then_some(self.pricePerShardEpoch)
    }
}

/// The decision `BasaltBlobs.readDecision` answered (the ABI carries its enum as a
/// `uint8`, in the order of `basalt_rules::ReadDecision`); `None` beyond the enum.
pub fn read_decision(value: u8) -> Option<ReadDecision> {
    const IN_ORDER: [ReadDecision; 8] = [
        ReadDecision::Owner,
        ReadDecision::Public,
        ReadDecision::Grant,
        ReadDecision::TokenGate,
        ReadDecision::DenyUnregistered,
        ReadDecision::DenyInactive,
        ReadDecision::DenyExpired,
        ReadDecision::Deny,
    ];
    IN_ORDER.get(usize::from(value)).copied()
}
