use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::ProviderUnjailed;
use crate::seeds;
use crate::state::{Config, Provider, ProviderStatus};

/// Ends a jail term once it has passed and the stake is back at the minimum.
#[event_cpi]
#[derive(Accounts)]
pub struct ProviderUnjail<'info> {
    pub authority: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::PROVIDER, authority.key().as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
}

impl ProviderUnjail<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let epoch = ctx.accounts.config.current_epoch()?;
        let min_stake = ctx.accounts.config.min_stake;
        let provider = &mut ctx.accounts.provider;
        require!(
            provider.status == ProviderStatus::Jailed,
            BasaltError::NotJailed
        );
        require!(
            epoch > provider.jailed_until_epoch && provider.stake >= min_stake,
            BasaltError::CannotUnjail
        );
        provider.status = if provider.unbonding_amount > 0 {
            ProviderStatus::Unbonding
        } else {
            ProviderStatus::Active
        };
        emit_cpi!(ProviderUnjailed {
            provider: provider.key(),
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
