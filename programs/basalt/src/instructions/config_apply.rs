use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::seeds;
use crate::state::Config;

/// Puts the parameters `config_update` proposed in force, once their epoch of notice has
/// passed (`basalt_rules::check_params_due`). Anyone may send it: the admin cannot hold
/// back a change it announced, nor make one sooner.
#[event_cpi]
#[derive(Accounts)]
pub struct ConfigApply<'info> {
    #[account(mut, seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
}

impl ConfigApply<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let slot = Clock::get()?.slot;
        let config = &mut ctx.accounts.config;
        let params = config
            .pending_params
            .clone()
            .ok_or(BasaltError::NoPendingParams)?;
        basalt_rules::check_params_due(slot, config.pending_params_at)
            .map_err(BasaltError::from)?;
        config.apply(&params);
        config.pending_params = None;
        config.pending_params_at = 0;
        emit_cpi!(config.updated(slot));
        Ok(())
    }
}
