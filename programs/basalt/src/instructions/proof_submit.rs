use anchor_lang::prelude::*;
use anchor_lang::solana_program::sysvar::SysvarId;
use basalt_proof::{derive_challenge, verify_storage_proof};

use crate::errors::BasaltError;
use crate::events::ProofAccepted;
use crate::randomness::slot_hash_at_or_before;
use crate::seeds;
use crate::state::Blob;

/// The holder of shard `index` proves it still stores the leaf the chain challenges in the
/// current epoch: `leaf` and its `path` (shard tree, then column tree) must reach the
/// shard's column root, checked by `basalt_proof::verify_storage_proof`, the same code the
/// nodes use.
///
/// The transaction is budgeted to the byte (`basalt_proof::tx_budget`): five account keys
/// (prover, blob, SlotHashes, event authority, program), so the epoch parameters come from
/// the blob and the holder is checked against the slot's recorded authority.
#[event_cpi]
#[derive(Accounts)]
pub struct ProofSubmit<'info> {
    pub prover: Signer<'info>,
    #[account(mut, seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    /// CHECK: the SlotHashes sysvar, read in place (see `randomness`).
    #[account(address = SlotHashes::id())]
    pub slot_hashes: UncheckedAccount<'info>,
}

impl ProofSubmit<'_> {
    pub fn handle(
        ctx: Context<Self>,
        index: u16,
        epoch: u64,
        leaf: Vec<u8>,
        path: Vec<[u8; 32]>,
    ) -> Result<()> {
        let clock_slot = Clock::get()?.slot;
        let blob = &ctx.accounts.blob;
        require!(epoch == blob.epoch_at(clock_slot), BasaltError::WrongEpoch);
        let start = blob.epoch_start(epoch)?;
        require!(
            clock_slot > start && clock_slot - start <= blob.proof_window_slots,
            BasaltError::OutsideProofWindow
        );
        // Active, unexpired, placed on the prover, not awaiting repair, assigned by `epoch`.
        let slot = blob.provable_slot(index, epoch, &ctx.accounts.prover.key())?;

        let seed = {
            let data = ctx.accounts.slot_hashes.try_borrow_data()?;
            slot_hash_at_or_before(&data, start).ok_or(BasaltError::SeedUnavailable)?
        };
        let layout = blob.layout()?;
        let challenge = derive_challenge(&seed, &blob.commitment_root, index, epoch, &layout)
            .ok_or(BasaltError::InvalidProof)?;
        verify_storage_proof(
            &layout,
            &slot.column_root,
            challenge.chunk,
            challenge.leaf,
            &leaf,
            &path,
        )
        .map_err(|_| error!(BasaltError::InvalidProof))?;

        ctx.accounts.blob.slot_mut(index)?.record_proof(epoch)?;
        emit_cpi!(ProofAccepted {
            blob: ctx.accounts.blob.key(),
            index,
            provider: slot.provider,
            epoch,
            chunk: challenge.chunk,
            leaf: challenge.leaf,
            slot: clock_slot,
        });
        Ok(())
    }
}
