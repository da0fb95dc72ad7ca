use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::GrantRevoked;
use crate::seeds;
use crate::state::{authorize, Blob, Grant, ROLE_ADMIN};

/// Removes a grant. Signed by the owner, an ADMIN grantee, or the grantee itself
/// (renouncing); the rent goes back to whoever paid it, and the blob counts one grant less.
#[event_cpi]
#[derive(Accounts)]
pub struct GrantRevoke<'info> {
    pub signer: Signer<'info>,
    #[account(mut, seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    #[account(seeds = [seeds::GRANT, blob.key().as_ref(), signer.key().as_ref()], bump = signer_grant.bump)]
    pub signer_grant: Option<Account<'info, Grant>>,
    #[account(mut, close = payer, has_one = blob @ BasaltError::Unauthorized,
        seeds = [seeds::GRANT, blob.key().as_ref(), grant.grantee.as_ref()], bump = grant.bump)]
    pub grant: Account<'info, Grant>,
    /// CHECK: receives the rent; must be whoever paid it.
    #[account(mut, address = grant.payer @ BasaltError::Unauthorized)]
    pub payer: UncheckedAccount<'info>,
}

impl GrantRevoke<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let a = &ctx.accounts;
        if a.grant.grantee != a.signer.key() {
            authorize(
                &a.blob,
                &a.signer.key(),
                a.signer_grant.as_ref(),
                ROLE_ADMIN,
            )?;
        }
        // INV on Blob::grant_count: this grant was counted when it was created.
        let blob = &mut ctx.accounts.blob;
        blob.grant_count = blob.grant_count.saturating_sub(1);
        let a = &ctx.accounts;
        emit_cpi!(GrantRevoked {
            blob: a.blob.key(),
            grantee: a.grant.grantee,
            revoked_by: a.signer.key(),
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
