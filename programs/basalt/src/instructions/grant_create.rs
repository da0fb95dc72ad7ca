use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::GrantCreated;
use crate::seeds;
use basalt_rules::NewGrant;

use crate::state::{authorize, Blob, Grant, ROLE_ADMIN};

/// Gives `grantee` roles on a blob, with an optional expiry and the data key wrapped for it.
/// Signed by the owner or an ADMIN grantee, who pays the rent. The blob counts it, so the
/// blob is not deleted before it (`Blob::grant_count`).
#[event_cpi]
#[derive(Accounts)]
#[instruction(grantee: Pubkey)]
pub struct GrantCreate<'info> {
    #[account(mut)]
    pub signer: Signer<'info>,
    #[account(mut, seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    #[account(seeds = [seeds::GRANT, blob.key().as_ref(), signer.key().as_ref()], bump = signer_grant.bump)]
    pub signer_grant: Option<Account<'info, Grant>>,
    #[account(init, payer = signer, space = 8 + Grant::INIT_SPACE,
        seeds = [seeds::GRANT, blob.key().as_ref(), grantee.as_ref()], bump)]
    pub grant: Account<'info, Grant>,
    pub system_program: Program<'info, System>,
}

impl GrantCreate<'_> {
    pub fn handle(
        ctx: Context<Self>,
        grantee: Pubkey,
        roles: u8,
        expires_at: Option<i64>,
        wrapped_key: Vec<u8>,
    ) -> Result<()> {
        let a = &ctx.accounts;
        authorize(
            &a.blob,
            &a.signer.key(),
            a.signer_grant.as_ref(),
            ROLE_ADMIN,
        )?;
        let clock = Clock::get()?;
        NewGrant {
            roles,
            wrapped_key_len: wrapped_key.len(),
            expires_at,
        }
        .check(clock.unix_timestamp)
        .map_err(BasaltError::from)?;
        let blob = a.blob.key();
        let signer = a.signer.key();
        ctx.accounts.blob.grant_count = ctx
            .accounts
            .blob
            .grant_count
            .checked_add(1)
            .ok_or(BasaltError::Overflow)?;
        ctx.accounts.grant.set_inner(Grant {
            blob,
            grantee,
            roles,
            expires_at,
            wrapped_key,
            granted_by: signer,
            payer: signer,
            bump: ctx.bumps.grant,
        });
        emit_cpi!(GrantCreated {
            blob,
            grantee,
            roles,
            expires_at,
            granted_by: signer,
            slot: clock.slot,
        });
        Ok(())
    }
}
