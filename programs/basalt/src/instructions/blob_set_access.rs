use anchor_lang::prelude::*;

use crate::events::BlobAccessChanged;
use crate::seeds;
use crate::state::{authorize, Blob, Grant, TokenGate, ROLE_ADMIN};

/// Sets the public flag and the token gate (owner or an ADMIN grantee).
#[event_cpi]
#[derive(Accounts)]
pub struct BlobSetAccess<'info> {
    pub signer: Signer<'info>,
    #[account(mut, seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    #[account(seeds = [seeds::GRANT, blob.key().as_ref(), signer.key().as_ref()], bump = grant.bump)]
    pub grant: Option<Account<'info, Grant>>,
}

impl BlobSetAccess<'_> {
    pub fn handle(ctx: Context<Self>, public: bool, token_gate: Option<TokenGate>) -> Result<()> {
        let a = &ctx.accounts;
        authorize(&a.blob, &a.signer.key(), a.grant.as_ref(), ROLE_ADMIN)?;
        let blob = &mut ctx.accounts.blob;
        blob.public = public;
        blob.token_gate = token_gate;
        emit_cpi!(BlobAccessChanged {
            blob: blob.key(),
            public,
            token_gate,
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
