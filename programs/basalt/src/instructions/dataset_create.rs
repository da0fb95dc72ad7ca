use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::DatasetCreated;
use crate::seeds;
use crate::state::Dataset;

/// Creates a dataset named `name` under the signer, who owns it and pays its rent.
#[event_cpi]
#[derive(Accounts)]
#[instruction(name: String)]
pub struct DatasetCreate<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(init, payer = owner, space = 8 + Dataset::INIT_SPACE,
        seeds = [seeds::DATASET, owner.key().as_ref(), seeds::label(&name)], bump)]
    pub dataset: Account<'info, Dataset>,
    pub system_program: Program<'info, System>,
}

impl DatasetCreate<'_> {
    pub fn handle(ctx: Context<Self>, name: String, public: bool) -> Result<()> {
        basalt_rules::check_dataset_name(&name).map_err(BasaltError::from)?;
        let slot = Clock::get()?.slot;
        let owner = ctx.accounts.owner.key();
        let dataset = ctx.accounts.dataset.key();
        ctx.accounts.dataset.set_inner(Dataset {
            owner,
            name: name.clone(),
            public,
            versions: 0,
            latest: Pubkey::default(),
            created_slot: slot,
            bump: ctx.bumps.dataset,
        });
        emit_cpi!(DatasetCreated {
            dataset,
            owner,
            name,
            public,
            slot,
        });
        Ok(())
    }
}
