use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::DatasetGrantCreated;
use crate::seeds;
use basalt_rules::NewGrant;

use crate::state::{dataset_standing, Dataset, DatasetGrant};

/// Gives `grantee` roles on a dataset (READ, WRITE to publish, DELETE to retract), with an
/// optional expiry and the dataset's key wrapped for it. Signed by the owner or an ADMIN
/// grantee, who pays the rent.
#[event_cpi]
#[derive(Accounts)]
#[instruction(grantee: Pubkey)]
pub struct DatasetGrantCreate<'info> {
    #[account(mut)]
    pub signer: Signer<'info>,
    #[account(seeds = [seeds::DATASET, dataset.owner.as_ref(), seeds::label(&dataset.name)], bump = dataset.bump)]
    pub dataset: Account<'info, Dataset>,
    #[account(seeds = [seeds::DATASET_GRANT, dataset.key().as_ref(), signer.key().as_ref()], bump = signer_grant.bump)]
    pub signer_grant: Option<Account<'info, DatasetGrant>>,
    #[account(init, payer = signer, space = 8 + DatasetGrant::INIT_SPACE,
        seeds = [seeds::DATASET_GRANT, dataset.key().as_ref(), grantee.as_ref()], bump)]
    pub grant: Account<'info, DatasetGrant>,
    pub system_program: Program<'info, System>,
}

impl DatasetGrantCreate<'_> {
    pub fn handle(
        ctx: Context<Self>,
        grantee: Pubkey,
        roles: u8,
        expires_at: Option<i64>,
        wrapped_key: Vec<u8>,
    ) -> Result<()> {
        let a = &ctx.accounts;
        let clock = Clock::get()?;
        let signer = a.signer.key();
        dataset_standing(
            &a.dataset,
            &signer,
            a.signer_grant.as_ref(),
            clock.unix_timestamp,
        )
        .may_grant()
        .map_err(BasaltError::from)?;
        NewGrant {
            roles,
            wrapped_key_len: wrapped_key.len(),
            expires_at,
        }
        .check(clock.unix_timestamp)
        .map_err(BasaltError::from)?;
        let dataset = a.dataset.key();
        ctx.accounts.grant.set_inner(DatasetGrant {
            dataset,
            grantee,
            roles,
            expires_at,
            wrapped_key,
            granted_by: signer,
            payer: signer,
            bump: ctx.bumps.grant,
        });
        emit_cpi!(DatasetGrantCreated {
            dataset,
            grantee,
            roles,
            expires_at,
            granted_by: signer,
            slot: clock.slot,
        });
        Ok(())
    }
}
