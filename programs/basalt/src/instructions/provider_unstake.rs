use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::UnstakeRequested;
use crate::seeds;
use crate::state::{Config, Provider, ProviderStatus};

/// Starts unbonding `amount` of stake. The provider gets no new work until it withdraws,
/// and the unbonding tokens stay slashable until then. While the provider carries open
/// obligations, at least the minimum stake must stay bonded.
#[event_cpi]
#[derive(Accounts)]
pub struct ProviderUnstake<'info> {
    pub authority: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::PROVIDER, authority.key().as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
}

impl ProviderUnstake<'_> {
    pub fn handle(ctx: Context<Self>, amount: u64) -> Result<()> {
        require!(amount > 0, BasaltError::ZeroAmount);
        let epoch = ctx.accounts.config.current_epoch()?;
        let until = epoch
            .checked_add(ctx.accounts.config.unbonding_epochs)
            .ok_or(BasaltError::Overflow)?;
        let provider = &mut ctx.accounts.provider;
        require!(amount <= provider.stake, BasaltError::InsufficientStake);
        provider.check_stake_kept(provider.stake - amount, &ctx.accounts.config)?;
        provider.stake -= amount;
        provider.unbonding_amount = provider
            .unbonding_amount
            .checked_add(amount)
            .ok_or(BasaltError::Overflow)?;
        // A later request restarts the clock for everything unbonding.
        provider.unbonding_until_epoch = until;
        if provider.status == ProviderStatus::Active {
            provider.status = ProviderStatus::Unbonding;
        }
        emit_cpi!(UnstakeRequested {
            provider: provider.key(),
            amount,
            stake: provider.stake,
            unbonding_until_epoch: until,
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
