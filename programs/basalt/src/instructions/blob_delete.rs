use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::BlobDeleted;
use crate::seeds;
use crate::state::{authorize, Blob, Grant, ROLE_DELETE};

/// Deletes a blob (owner or a DELETE grantee); the rent goes back to the owner and nodes
/// garbage-collect its shards. A funded deal must be refunded first (`deal_refund`, which
/// can run in the same transaction), so no escrow is stranded.
#[event_cpi]
#[derive(Accounts)]
pub struct BlobDelete<'info> {
    pub signer: Signer<'info>,
    #[account(mut, close = owner,
        seeds = [seeds::BLOB, blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    /// CHECK: receives the rent; must be the blob's owner.
    #[account(mut, address = blob.owner @ BasaltError::Unauthorized)]
    pub owner: UncheckedAccount<'info>,
    /// CHECK: the blob's deal address; must hold no deal any more.
    #[account(seeds = [seeds::DEAL, blob.key().as_ref()], bump)]
    pub deal: UncheckedAccount<'info>,
    #[account(seeds = [seeds::GRANT, blob.key().as_ref(), signer.key().as_ref()], bump = grant.bump)]
    pub grant: Option<Account<'info, Grant>>,
}

impl BlobDelete<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let a = &ctx.accounts;
        authorize(&a.blob, &a.signer.key(), a.grant.as_ref(), ROLE_DELETE)?;
        require!(a.deal.data_is_empty(), BasaltError::UnsettledPayouts);
        emit_cpi!(BlobDeleted {
            blob: ctx.accounts.blob.key(),
            by: ctx.accounts.signer.key(),
            refunded: 0,
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
