use basalt_proof::BlobLayout;
use basalt_rules::{Acceptance, ProofRecord, SlotState};
use near_sdk::json_types::Base58CryptoHash;
use near_sdk::{near, AccountId};

use crate::errors::{BasaltError, Result};

/// Widest code (k + m) this contract places; the same limit as the Solana program, so a
/// blob valid on one chain is valid on the other.
pub const MAX_BLOB_SHARDS: usize = basalt_rules::MAX_BLOB_SHARDS;

/// A 32-byte digest (CID digest, Merkle root); base58 in JSON, as NEAR writes hashes.
pub type Digest = Base58CryptoHash;

/// Optional token gate: holders of at least `min_balance` of the NEP-141 `token` may read.
/// (Solana: an SPL mint; the node checks `ft_balance_of` instead of token accounts.)
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenGate {
    pub token: AccountId,
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub min_balance: u128,
}

/// A blob's life as the `blob_state` view reports it, for a node's garbage collection.
#[near(serializers = [json])]
#[serde(rename_all = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobState {
    /// No such blob: not registered yet, or deleted.
    Unregistered,
    /// Registered (placement may still be in progress) and not expired.
    Live,
    /// Its paid storage ended.
    Expired,
}

/// One shard index of a blob: who holds it and its proof state.
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShardSlot {
    /// The provider holding this shard index; `None` while unplaced.
    pub provider: Option<AccountId>,
    /// Merkle root over this index's shard roots of every chunk (the proof's anchor).
    pub column_root: Digest,
    /// First epoch the holder must prove.
    pub assigned_epoch: u64,
    /// Latest proven epoch; meaningful only when `proven_mask != 0`.
    pub last_proven_epoch: u64,
    /// Bit i set: epoch `last_proven_epoch - i` was proven. Zero: never proven.
    pub proven_mask: u64,
    /// Proven epochs not yet paid by the deal.
    pub unpaid_epochs: u64,
    /// Set when the holder missed a proof: no more proofs or slashes until re-placed.
    pub needs_repair: bool,
    /// The holder accepted the placement with its own signature (`shard_accept`): only
    /// then does it owe proofs, get paid or risk a slash for this index.
    pub accepted: bool,
    /// Last chain tick (slot, block) the holder of the latest placement may accept it at
    /// (`basalt_rules::accept_by`); afterwards the placement lapses.
    pub accept_by: u64,
    /// The price per shard-epoch the holder accepted (`basalt_rules::Terms`); 0 until it
    /// did. It answers for the index only while the deal pays at least this.
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub accepted_price: u128,
}

impl ShardSlot {
    /// The slot's acceptance state, for the rules in `basalt_rules`.
    pub fn acceptance(&self) -> Acceptance {
        self.state().acceptance()
    }

    /// Everything but the holder, as `basalt_rules` changes it.
    pub fn state(&self) -> SlotState {
        SlotState {
            column_root: self.column_root.into(),
            assigned_epoch: self.assigned_epoch,
            last_proven_epoch: self.last_proven_epoch,
            proven_mask: self.proven_mask,
            unpaid_epochs: self.unpaid_epochs,
            needs_repair: self.needs_repair,
            accepted: self.accepted,
            accept_by: self.accept_by,
            accepted_price: self.accepted_price,
        }
    }

    /// Stores a state `basalt_rules` computed (see [`ShardSlot::state`]).
    pub fn set_state(&mut self, s: SlotState) {
        self.column_root = s.column_root.into();
        self.assigned_epoch = s.assigned_epoch;
        self.last_proven_epoch = s.last_proven_epoch;
        self.proven_mask = s.proven_mask;
        self.unpaid_epochs = s.unpaid_epochs;
        self.needs_repair = s.needs_repair;
        self.accepted = s.accepted;
        self.accept_by = s.accept_by;
        self.accepted_price = s.accepted_price;
    }

    /// Whether `epoch` is recorded as proven; `None` when it is too far behind the latest
    /// proof for the 64-epoch mask to tell.
    pub fn is_proven(&self, epoch: u64) -> Option<bool> {
        self.proofs().is_proven(epoch)
    }

    /// Records a proof of `epoch`, which must be later than every earlier proof.
    ///
    /// # Errors
    ///
    /// [`BasaltError::AlreadyProven`] or [`BasaltError::Overflow`].
    pub fn record_proof(&mut self, epoch: u64) -> Result<()> {
        let mut proofs = self.proofs();
        proofs.record(epoch)?;
        self.unpaid_epochs = self
            .unpaid_epochs
            .checked_add(1)
            .ok_or(BasaltError::Overflow)?;
        self.last_proven_epoch = proofs.last_proven_epoch;
        self.proven_mask = proofs.proven_mask;
        Ok(())
    }

    fn proofs(&self) -> ProofRecord {
        ProofRecord {
            last_proven_epoch: self.last_proven_epoch,
            proven_mask: self.proven_mask,
        }
    }
}

/// A stored blob, keyed by its id: `basalt_proof::blob_id(owner, cid_digest)`, so a blob is
/// one owner's registration of some content (the Solana program's `["blob", owner,
/// cid_digest]`) and registering a digest first blocks nobody else from storing it.
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub owner: AccountId,
    /// BLAKE3 digest of the stored bytes; the CID is CIDv1(raw, blake3, this digest).
    pub cid_digest: Digest,
    /// Stored size in bytes (after encryption, before erasure coding).
    pub size: u64,
    pub chunk_size: u32,
    pub leaf_size: u32,
    pub k: u16,
    pub m: u16,
    pub chunk_count: u32,
    /// Merkle root over the column roots (see `basalt_proof::commitment_root`).
    pub commitment_root: Digest,
    /// First epoch in which the blob is no longer stored or paid for.
    pub expiry_epoch: u64,
    pub created_block: u64,
    /// Anyone may read.
    pub public: bool,
    /// The stored bytes are ciphertext.
    pub encrypted: bool,
    pub token_gate: Option<TokenGate>,
    /// Every slot is placed (on column roots that match the commitment root) and every
    /// holder accepted its slot: from then on the holders owe proofs and the deal pays
    /// (`basalt_rules::activates`). Stays set once set.
    pub active: bool,
    /// Grants of this blob that exist (`grant_create` adds one, `grant_revoke` removes
    /// one). The blob is deleted only once none is left, so no grant outlives it
    /// (`basalt_rules::check_no_grants`).
    // INV: == the number of grants keyed (this blob, *)
    pub grant_count: u32,
    /// Who paid the blob's storage; gets it back when the blob is deleted.
    /// Who else may place the shards until the blob is active: the worker that registered
    /// a job's output for its requester (`job_output_register`). `None` for a blob its
    /// owner registered.
    pub writer: Option<AccountId>,
    pub storage_payer: AccountId,
    /// One slot per shard index.
    // INV: shards.len() == k + m <= MAX_BLOB_SHARDS
    pub shards: Vec<ShardSlot>,
}

impl Blob {
    /// The id of `owner`'s blob of content `cid_digest`: the key it is stored under.
    pub fn id_of(owner: &AccountId, cid_digest: Digest) -> Digest {
        Digest::from(basalt_proof::blob_id(owner.as_bytes(), &cid_digest.into()))
    }

    /// This blob's id ([`Blob::id_of`] its owner and content).
    pub fn id(&self) -> Digest {
        Self::id_of(&self.owner, self.cid_digest)
    }

    /// The layout that proofs of this blob are checked against.
    ///
    /// # Errors
    ///
    /// [`BasaltError::InvalidLayout`] (cannot happen for a registered blob).
    pub fn layout(&self) -> Result<BlobLayout> {
        BlobLayout::with_leaf_size(self.size, self.chunk_size, self.k, self.m, self.leaf_size)
            .map_err(|_| BasaltError::InvalidLayout)
    }

    /// The slot of shard `index` when it is an obligation of `holder` for `epoch`
    /// (`basalt_rules::check_provable`, which the Solana program applies too). Shared by
    /// `proof_submit` and `proof_slash`.
    ///
    /// # Errors
    ///
    /// The [`BasaltError`] naming the first condition that fails.
    pub fn provable_slot(&self, index: u16, epoch: u64, holder: &AccountId) -> Result<&ShardSlot> {
        let slot = self.slot(index)?;
        basalt_rules::check_provable(
            &basalt_rules::SlotUnderProof {
                blob_active: self.active,
                expiry_epoch: self.expiry_epoch,
                names_holder: slot.provider.as_ref() == Some(holder),
                acceptance: slot.acceptance(),
                assigned_epoch: slot.assigned_epoch,
            },
            epoch,
        )?;
        Ok(slot)
    }

    /// Every index is placed (`blob_place` checked the column roots against the commitment
    /// root when the last one was): the data can be read, whether or not every holder has
    /// accepted yet.
    pub fn is_placed(&self) -> bool {
        self.shards.iter().all(|s| s.provider.is_some())
    }

    /// Activates the blob at `epoch` when every index is placed and accepted
    /// (`basalt_rules::activates`, as the Solana program), moving each slot's first owed
    /// epoch past the activation. Returns whether it did.
    ///
    /// # Errors
    ///
    /// [`BasaltError::Overflow`].
    pub fn activate_if_accepted(&mut self, epoch: u64) -> Result<bool> {
        if self.active
            || !basalt_rules::activates(
                self.shards
                    .iter()
                    .map(|s| (s.provider.is_some(), s.accepted)),
            )
        {
            return Ok(false);
        }
        for slot in self.shards.iter_mut() {
            slot.assigned_epoch = basalt_rules::assigned_at_activation(slot.assigned_epoch, epoch)?;
        }
        self.active = true;
        Ok(true)
    }

    /// The slot of `index`, or [`BasaltError::ShardOutOfRange`].
    pub fn slot(&self, index: u16) -> Result<&ShardSlot> {
        self.shards
            .get(usize::from(index))
            .ok_or(BasaltError::ShardOutOfRange)
    }

    /// The slot of `index`, or [`BasaltError::ShardOutOfRange`].
    pub fn slot_mut(&mut self, index: u16) -> Result<&mut ShardSlot> {
        self.shards
            .get_mut(usize::from(index))
            .ok_or(BasaltError::ShardOutOfRange)
    }
}
