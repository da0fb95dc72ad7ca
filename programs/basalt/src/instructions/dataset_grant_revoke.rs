use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::DatasetGrantRevoked;
use crate::seeds;
use crate::state::{dataset_standing, Dataset, DatasetGrant};

/// Removes a dataset grant. Signed by the owner, an ADMIN grantee, or the grantee itself
/// (renouncing); the rent goes back to whoever paid it.
#[event_cpi]
#[derive(Accounts)]
pub struct DatasetGrantRevoke<'info> {
    pub signer: Signer<'info>,
    #[account(seeds = [seeds::DATASET, dataset.owner.as_ref(), seeds::label(&dataset.name)], bump = dataset.bump)]
    pub dataset: Account<'info, Dataset>,
    #[account(seeds = [seeds::DATASET_GRANT, dataset.key().as_ref(), signer.key().as_ref()], bump = signer_grant.bump)]
    pub signer_grant: Option<Account<'info, DatasetGrant>>,
    #[account(mut, close = payer, has_one = dataset @ BasaltError::Unauthorized,
        seeds = [seeds::DATASET_GRANT, dataset.key().as_ref(), grant.grantee.as_ref()], bump = grant.bump)]
    pub grant: Account<'info, DatasetGrant>,
    /// CHECK: receives the rent; must be whoever paid it.
    #[account(mut, address = grant.payer @ BasaltError::Unauthorized)]
    pub payer: UncheckedAccount<'info>,
}

impl DatasetGrantRevoke<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let a = &ctx.accounts;
        let clock = Clock::get()?;
        let signer = a.signer.key();
        if a.grant.grantee != signer {
            dataset_standing(
                &a.dataset,
                &signer,
                a.signer_grant.as_ref(),
                clock.unix_timestamp,
            )
            .may_grant()
            .map_err(BasaltError::from)?;
        }
        emit_cpi!(DatasetGrantRevoked {
            dataset: a.dataset.key(),
            grantee: a.grant.grantee,
            revoked_by: signer,
            slot: clock.slot,
        });
        Ok(())
    }
}
