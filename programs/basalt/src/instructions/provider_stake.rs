use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::StakeAdded;
use crate::seeds;
use crate::state::{Config, Provider};
use crate::token::deposit;

/// Adds stake from the authority's token account into the stake vault.
#[event_cpi]
#[derive(Accounts)]
pub struct ProviderStake<'info> {
    pub authority: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::PROVIDER, authority.key().as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
    #[account(mut, token::mint = config.stake_mint, token::authority = authority)]
    pub from: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::STAKE_VAULT], bump = config.stake_vault_bump)]
    pub stake_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

impl ProviderStake<'_> {
    pub fn handle(ctx: Context<Self>, amount: u64) -> Result<()> {
        require!(amount > 0, BasaltError::ZeroAmount);
        let a = &ctx.accounts;
        deposit(
            &a.token_program,
            &a.from,
            &a.stake_vault,
            &a.authority,
            amount,
        )?;
        let provider = &mut ctx.accounts.provider;
        provider.stake = provider
            .stake
            .checked_add(amount)
            .ok_or(BasaltError::Overflow)?;
        emit_cpi!(StakeAdded {
            provider: provider.key(),
            amount,
            stake: provider.stake,
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
