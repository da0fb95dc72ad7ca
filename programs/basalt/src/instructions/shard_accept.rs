use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::{BlobActivated, ShardAccepted};
use crate::seeds;
use crate::state::{Blob, Provider};

/// The holder named by a placement accepts shard `index` of a blob, signing for the
/// obligation to prove it every epoch (and to be slashed when it does not) in exchange for
/// the deal's payments. `column_root` is the root the holder checked its stored column
/// against: the acceptance fails if the placement changed since. The holder's Provider
/// account counts the obligation, which keeps its stake bonded until it ends.
///
/// Until this is signed the placement is only an offer that costs the provider nothing;
/// an offer left unaccepted past its `accept_by` slot (the configuration's
/// `accept_window_ticks` after the placement) lapses. The last acceptance
/// of a fully placed blob activates it.
#[event_cpi]
#[derive(Accounts)]
pub struct ShardAccept<'info> {
    /// The provider's authority: the wallet the placement names.
    pub holder: Signer<'info>,
    #[account(mut, seeds = [seeds::PROVIDER, holder.key().as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
    #[account(mut, seeds = [seeds::BLOB, blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
}

impl ShardAccept<'_> {
    pub fn handle(ctx: Context<Self>, index: u16, column_root: [u8; 32]) -> Result<()> {
        let clock_slot = Clock::get()?.slot;
        let holder = ctx.accounts.holder.key();
        let blob = &mut ctx.accounts.blob;
        let epoch = blob.epoch_at(clock_slot);
        require!(blob.expiry_epoch > epoch, BasaltError::BlobExpired);
        let slot = blob.slot_mut(index)?;
        require!(
            slot.is_placed() && slot.provider == holder,
            BasaltError::NotShardHolder
        );
        let assigned_epoch = slot
            .acceptance()
            .accept(
                clock_slot,
                epoch,
                slot.column_root == column_root,
                slot.assigned_epoch,
            )
            .map_err(BasaltError::from)?;
        slot.accepted = true;
        slot.assigned_epoch = assigned_epoch;
        let activated = blob.activate_if_accepted(epoch)?;
        let assigned_epoch = blob.slot_mut(index)?.assigned_epoch;
        ctx.accounts.provider.open_obligation()?;
        emit_cpi!(ShardAccepted {
            blob: ctx.accounts.blob.key(),
            index,
            provider: holder,
            assigned_epoch,
            slot: clock_slot,
        });
        if activated {
            emit_cpi!(BlobActivated {
                blob: ctx.accounts.blob.key(),
                slot: clock_slot,
            });
        }
        Ok(())
    }
}
