use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::DatasetAccessChanged;
use crate::seeds;
use crate::state::{dataset_standing, Dataset, DatasetGrant};

/// Makes a dataset public or private (owner or an ADMIN grantee).
#[event_cpi]
#[derive(Accounts)]
pub struct DatasetSetAccess<'info> {
    pub signer: Signer<'info>,
    #[account(mut, seeds = [seeds::DATASET, dataset.owner.as_ref(), seeds::label(&dataset.name)], bump = dataset.bump)]
    pub dataset: Account<'info, Dataset>,
    #[account(seeds = [seeds::DATASET_GRANT, dataset.key().as_ref(), signer.key().as_ref()], bump = grant.bump)]
    pub grant: Option<Account<'info, DatasetGrant>>,
}

impl DatasetSetAccess<'_> {
    pub fn handle(ctx: Context<Self>, public: bool) -> Result<()> {
        let a = &ctx.accounts;
        let clock = Clock::get()?;
        dataset_standing(
            &a.dataset,
            &a.signer.key(),
            a.grant.as_ref(),
            clock.unix_timestamp,
        )
        .may_grant()
        .map_err(BasaltError::from)?;
        ctx.accounts.dataset.public = public;
        emit_cpi!(DatasetAccessChanged {
            dataset: ctx.accounts.dataset.key(),
            public,
            slot: clock.slot,
        });
        Ok(())
    }
}
