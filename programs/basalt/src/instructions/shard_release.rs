use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::ShardReleased;
use crate::seeds;
use crate::state::{Blob, Deal, Provider};

/// The holder of shard `index` walks away from it, without penalty, once the blob expired
/// or its deal no longer pays for it (refunded, or drained below what the holders are owed
/// plus one more epoch). The epochs it proved must be settled first while a deal remains;
/// without a deal nothing can pay them and they are dropped. The obligation ends (the
/// Provider account stops counting it) and the index awaits repair: the owner may place it
/// again (after funding the deal again).
#[event_cpi]
#[derive(Accounts)]
pub struct ShardRelease<'info> {
    /// The provider's authority: the wallet that accepted the shard.
    pub holder: Signer<'info>,
    #[account(mut, seeds = [seeds::PROVIDER, holder.key().as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
    #[account(mut, seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    /// CHECK: the blob's deal address, whether or not a deal exists there (the seeds check
    /// the address; `Deal::cover` reads it only when the program owns it).
    #[account(seeds = [seeds::DEAL, blob.key().as_ref()], bump)]
    pub deal: UncheckedAccount<'info>,
}

impl ShardRelease<'_> {
    pub fn handle(ctx: Context<Self>, index: u16) -> Result<()> {
        let clock_slot = Clock::get()?.slot;
        let holder = ctx.accounts.holder.key();
        let cover = Deal::cover(&ctx.accounts.deal, &ctx.accounts.blob)?;
        let blob = &mut ctx.accounts.blob;
        let expired = blob.epoch_at(clock_slot) >= blob.expiry_epoch;
        let slot = blob.slot_mut(index)?;
        require!(
            slot.is_placed() && slot.provider == holder,
            BasaltError::NotShardHolder
        );
        require!(slot.accepted, BasaltError::ShardNotAccepted);
        basalt_rules::check_release(
            cover.as_ref(),
            u128::from(slot.accepted_price),
            slot.unpaid_epochs,
            expired,
        )
        .map_err(BasaltError::from)?;
        // Epochs the deal could not pay stay owed to this holder (`check_release`).
        slot.accepted = false;
        slot.needs_repair = true;
        ctx.accounts.provider.close_obligation();
        emit_cpi!(ShardReleased {
            blob: ctx.accounts.blob.key(),
            index,
            provider: holder,
            slot: clock_slot,
        });
        Ok(())
    }
}
