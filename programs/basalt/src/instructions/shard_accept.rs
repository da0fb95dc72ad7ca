use anchor_lang::prelude::*;
use basalt_rules::{OfferedBlob, Terms};

use crate::errors::BasaltError;
use crate::events::{BlobActivated, ShardAccepted};
use crate::seeds;
use crate::state::{Blob, Deal, Provider};

/// The holder named by a placement accepts shard `index` of a blob on `terms`, signing for
/// the obligation to prove it every epoch (and to be slashed when it does not) in exchange
/// for the deal's payments: the column root it checked its stored data against, the blob's
/// expiry and the deal's price per shard-epoch (`basalt_rules::Terms`). The acceptance
/// fails if any of them changed since the holder read them; the slot keeps the price, and
/// the holder answers for it only while the deal pays at least that. The holder's Provider
/// account counts the obligation, which keeps its stake bonded until it ends.
///
/// Until this is signed the placement is only an offer that costs the provider nothing;
/// an offer left unaccepted past its `accept_by` slot (the configuration's
/// `accept_window_ticks` after the placement) lapses. The last acceptance
/// of a fully placed blob activates it; an acceptance of an active blob's index is a
/// repair, which the deal pays `basalt_rules::REPAIR_CREDIT_EPOCHS` shard-epochs for.
#[event_cpi]
#[derive(Accounts)]
pub struct ShardAccept<'info> {
    /// The provider's authority: the wallet the placement names.
    pub holder: Signer<'info>,
    #[account(mut, seeds = [seeds::PROVIDER, holder.key().as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
    #[account(mut, seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    /// CHECK: the blob's deal address, whether or not a deal exists there (the seeds check
    /// the address; `Deal::price_at` reads it only when the program owns it).
    #[account(seeds = [seeds::DEAL, blob.key().as_ref()], bump)]
    pub deal: UncheckedAccount<'info>,
}

impl ShardAccept<'_> {
    pub fn handle(ctx: Context<Self>, index: u16, terms: &Terms) -> Result<()> {
        let clock_slot = Clock::get()?.slot;
        let holder = ctx.accounts.holder.key();
        let offered = OfferedBlob {
            expiry_epoch: ctx.accounts.blob.expiry_epoch,
            deal_price: Deal::price_at(&ctx.accounts.deal)?,
            active: ctx.accounts.blob.active,
        };
        let blob = &mut ctx.accounts.blob;
        let epoch = blob.epoch_at(clock_slot);
        require!(blob.expiry_epoch > epoch, BasaltError::BlobExpired);
        let slot = blob.slot_mut(index)?;
        require!(
            slot.is_placed() && slot.provider == holder,
            BasaltError::NotShardHolder
        );
        let accepted = slot
            .state()
            .accept(clock_slot, epoch, terms, &offered)
            .map_err(BasaltError::from)?;
        slot.set_state(accepted);
        let accepted_price = slot.accepted_price;
        let activated = blob.activate_if_accepted(epoch)?;
        let assigned_epoch = blob.slot_mut(index)?.assigned_epoch;
        ctx.accounts.provider.open_obligation()?;
        emit_cpi!(ShardAccepted {
            blob: ctx.accounts.blob.key(),
            index,
            provider: holder,
            assigned_epoch,
            price_per_shard_epoch: accepted_price,
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
