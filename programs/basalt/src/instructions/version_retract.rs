use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::VersionRetracted;
use crate::seeds;
use crate::state::{dataset_standing, Dataset, DatasetGrant, Version};

/// Retracts a version (its dataset's owner or a DELETE grantee): a tombstone, so the
/// version stays in the history, keeps its tag, and is no longer built on.
#[event_cpi]
#[derive(Accounts)]
pub struct VersionRetract<'info> {
    pub signer: Signer<'info>,
    #[account(seeds = [seeds::DATASET, dataset.owner.as_ref(), seeds::label(&dataset.name)], bump = dataset.bump)]
    pub dataset: Account<'info, Dataset>,
    #[account(seeds = [seeds::DATASET_GRANT, dataset.key().as_ref(), signer.key().as_ref()], bump = grant.bump)]
    pub grant: Option<Account<'info, DatasetGrant>>,
    #[account(mut, has_one = dataset @ BasaltError::Unauthorized,
        seeds = [seeds::VERSION, dataset.key().as_ref(), seeds::label(&version.tag)], bump = version.bump)]
    pub version: Account<'info, Version>,
}

impl VersionRetract<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let a = &ctx.accounts;
        let clock = Clock::get()?;
        let signer = a.signer.key();
        dataset_standing(&a.dataset, &signer, a.grant.as_ref(), clock.unix_timestamp)
            .may_retract()
            .map_err(BasaltError::from)?;
        require!(!a.version.retracted, BasaltError::AlreadyRetracted);
        let version = &mut ctx.accounts.version;
        version.retracted = true;
        version.retracted_slot = clock.slot;
        emit_cpi!(VersionRetracted {
            dataset: version.dataset,
            version: version.key(),
            retracted_by: signer,
            slot: clock.slot,
        });
        Ok(())
    }
}
