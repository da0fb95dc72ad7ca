use anchor_lang::prelude::*;
use basalt_proof::BlobLayout;
use basalt_rules::{Acceptance, ProofRecord, SlotState};

use crate::errors::BasaltError;

/// Widest code (k + m) this program places, the limit shared with the NEAR contract. A Blob
/// account is created by the program through a CPI, which the runtime limits to 10 KiB of
/// data; 64 slots take 7.3 KiB. Wider codes would need a client-created zero-copy account.
pub const MAX_BLOB_SHARDS: usize = basalt_rules::MAX_BLOB_SHARDS;

/// Optional token gate: holders of at least `min_balance` of `mint` may read.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct TokenGate {
    pub mint: Pubkey,
    pub min_balance: u64,
}

/// One shard index of a blob: who holds it and its proof state.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct ShardSlot {
    /// Authority (wallet) of the provider holding this shard index; default while unplaced.
    pub provider: Pubkey,
    /// Merkle root over this index's shard roots of every chunk (the proof's anchor).
    pub column_root: [u8; 32],
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
    pub accepted_price: u64,
}

impl ShardSlot {
    pub fn is_placed(&self) -> bool {
        self.provider != Pubkey::default()
    }

    /// The slot's acceptance state, for the rules in `basalt_rules`.
    pub fn acceptance(&self) -> Acceptance {
        self.state().acceptance()
    }

    /// Everything but the holder, as `basalt_rules` changes it.
    pub fn state(&self) -> SlotState {
        SlotState {
            column_root: self.column_root,
            assigned_epoch: self.assigned_epoch,
            last_proven_epoch: self.last_proven_epoch,
            proven_mask: self.proven_mask,
            unpaid_epochs: self.unpaid_epochs,
            needs_repair: self.needs_repair,
            accepted: self.accepted,
            accept_by: self.accept_by,
            accepted_price: u128::from(self.accepted_price),
        }
    }

    /// Stores a state `basalt_rules` computed (see [`ShardSlot::state`]).
    pub fn set_state(&mut self, s: SlotState) {
        self.column_root = s.column_root;
        self.assigned_epoch = s.assigned_epoch;
        self.last_proven_epoch = s.last_proven_epoch;
        self.proven_mask = s.proven_mask;
        self.unpaid_epochs = s.unpaid_epochs;
        self.needs_repair = s.needs_repair;
        self.accepted = s.accepted;
        self.accept_by = s.accept_by;
        // The price came from a Deal's u64; saturating could only make the slot bind
        // less (no deal pays more than u64::MAX), never more.
        self.accepted_price = u64::try_from(s.accepted_price).unwrap_or(u64::MAX);
    }

    /// Whether `epoch` is recorded as proven; `None` when it is too far behind the latest
    /// proof for the 64-epoch mask to tell.
    pub fn is_proven(&self, epoch: u64) -> Option<bool> {
        self.proofs().is_proven(epoch)
    }

    /// Records a proof of `epoch`, which must be later than every earlier proof, as one
    /// more epoch the deal owes.
    pub fn record_proof(&mut self, epoch: u64) -> Result<()> {
        let mut proofs = self.proofs();
        proofs.record(epoch).map_err(BasaltError::from)?;
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

/// A stored blob: `["blob", owner, cid_digest]`, so a blob is one owner's registration of
/// some content and registering a digest first blocks nobody else from storing it.
#[account]
#[derive(InitSpace, Debug)]
pub struct Blob {
    pub owner: Pubkey,
    /// BLAKE3 digest of the stored bytes; the CID is CIDv1(raw, blake3, this digest).
    pub cid_digest: [u8; 32],
    /// Stored size in bytes (after encryption, before erasure coding).
    pub size: u64,
    pub chunk_size: u32,
    pub leaf_size: u32,
    pub k: u16,
    pub m: u16,
    pub chunk_count: u32,
    /// Merkle root over the column roots (see `basalt_proof::commitment_root`).
    pub commitment_root: [u8; 32],
    /// First epoch in which the blob is no longer stored or paid for.
    pub expiry_epoch: u64,
    pub created_slot: u64,
    /// Slots per epoch and proof window, copied from the config at registration so that
    /// `proof_submit` needs no config account (its transaction has no byte to spare).
    pub epoch_slots: u64,
    pub proof_window_slots: u64,
    /// Anyone may read.
    pub public: bool,
    /// The stored bytes are ciphertext.
    pub encrypted: bool,
    pub token_gate: Option<TokenGate>,
    /// Every slot is placed (on column roots that match the commitment root) and every
    /// holder accepted its slot: from then on the holders owe proofs and the deal pays
    /// (`basalt_rules::activates`). Stays set once set.
    pub active: bool,
    /// Grant accounts of this blob that exist (`grant_create` adds one, `grant_revoke`
    /// closes one). The blob is deleted only once none is left, so no grant outlives it
    /// (`basalt_rules::check_no_grants`).
    // INV: == the number of Grant accounts at ["grant", this blob, *]
    pub grant_count: u32,
    /// Who else may place the shards until the blob is active: the worker that registered
    /// a job's output for its requester (`job_output_register`). `None` for a blob its
    /// owner registered.
    pub writer: Option<Pubkey>,
    pub bump: u8,
    /// One slot per shard index.
    // INV: shards.len() == k + m <= MAX_BLOB_SHARDS
    #[max_len(0)]
    pub shards: Vec<ShardSlot>,
}

impl Blob {
    /// Account size for a blob with `total` shards.
    pub fn space(total: usize) -> usize {
        8 + Self::INIT_SPACE + total * ShardSlot::INIT_SPACE
    }

    /// The layout that proofs of this blob are checked against.
    ///
    /// # Errors
    ///
    /// [`BasaltError::InvalidLayout`] (cannot happen for a registered blob).
    pub fn layout(&self) -> Result<BlobLayout> {
        BlobLayout::with_leaf_size(self.size, self.chunk_size, self.k, self.m, self.leaf_size)
            .map_err(|_| error!(BasaltError::InvalidLayout))
    }

    pub fn epoch_at(&self, slot: u64) -> u64 {
        slot / self.epoch_slots
    }

    /// First slot of `epoch`.
    pub fn epoch_start(&self, epoch: u64) -> Result<u64> {
        epoch
            .checked_mul(self.epoch_slots)
            .ok_or_else(|| error!(BasaltError::Overflow))
    }

    /// The slot of shard `index` when it is an obligation of `holder` for `epoch`
    /// (`basalt_rules::check_provable`: active, unexpired, placed on and accepted by
    /// `holder`, not awaiting repair, assigned by `epoch`). Shared by `proof_submit` and
    /// `proof_slash`, and by the NEAR contract through the same rule.
    ///
    /// # Errors
    ///
    /// The [`BasaltError`] naming the first condition that fails.
    pub fn provable_slot(&self, index: u16, epoch: u64, holder: &Pubkey) -> Result<ShardSlot> {
        let slot = *self
            .shards
            .get(usize::from(index))
            .ok_or(BasaltError::ShardOutOfRange)?;
        basalt_rules::check_provable(
            &basalt_rules::SlotUnderProof {
                blob_active: self.active,
                expiry_epoch: self.expiry_epoch,
                names_holder: slot.provider == *holder,
                acceptance: slot.acceptance(),
                assigned_epoch: slot.assigned_epoch,
            },
            epoch,
        )
        .map_err(BasaltError::from)?;
        Ok(slot)
    }

    /// Every index is placed (`blob_place` checked the column roots against the commitment
    /// root when the last one was): the data can be read, whether or not every holder has
    /// accepted yet.
    pub fn is_placed(&self) -> bool {
        self.shards.iter().all(ShardSlot::is_placed)
    }

    /// Activates the blob at `epoch` when every index is placed and accepted
    /// (`basalt_rules::activates`), moving each slot's first owed epoch past the activation.
    /// Returns whether it did.
    ///
    /// # Errors
    ///
    /// [`BasaltError::Overflow`].
    pub fn activate_if_accepted(&mut self, epoch: u64) -> Result<bool> {
        if self.active
            || !basalt_rules::activates(self.shards.iter().map(|s| (s.is_placed(), s.accepted)))
        {
            return Ok(false);
        }
        for slot in self.shards.iter_mut() {
            slot.assigned_epoch = basalt_rules::assigned_at_activation(slot.assigned_epoch, epoch)
                .map_err(BasaltError::from)?;
        }
        self.active = true;
        Ok(true)
    }

    /// The authorities of the holders that accepted a shard, in index order: whose
    /// obligations end when the blob is deleted (`blob_delete`'s remaining accounts).
    pub fn accepted_holders(&self) -> Vec<Pubkey> {
        self.shards
            .iter()
            .filter(|s| s.accepted)
            .map(|s| s.provider)
            .collect()
    }

    /// The slot of `index`, or [`BasaltError::ShardOutOfRange`].
    pub fn slot_mut(&mut self, index: u16) -> Result<&mut ShardSlot> {
        self.shards
            .get_mut(usize::from(index))
            .ok_or_else(|| error!(BasaltError::ShardOutOfRange))
    }
}
