use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::StakeWithdrawn;
use crate::seeds;
use crate::state::{Config, Provider, ProviderStatus};
use crate::token::pay_out;

/// Pays out everything that finished unbonding to a token account of the authority; while
/// the provider carries open obligations, only if its bonded stake is still at least the
/// minimum.
#[event_cpi]
#[derive(Accounts)]
pub struct ProviderWithdraw<'info> {
    pub authority: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::PROVIDER, authority.key().as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
    #[account(mut, token::mint = config.stake_mint, token::authority = authority)]
    pub to: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::STAKE_VAULT], bump = config.stake_vault_bump)]
    pub stake_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

impl ProviderWithdraw<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let epoch = ctx.accounts.config.current_epoch()?;
        let provider = &ctx.accounts.provider;
        let amount = provider.unbonding_amount;
        require!(amount > 0, BasaltError::NothingUnbonding);
        require!(
            epoch >= provider.unbonding_until_epoch,
            BasaltError::StillUnbonding
        );
        // A provider slashed below the minimum while it carries obligations keeps its
        // unbonded tokens in the vault, as the security those obligations still need.
        provider.check_stake_kept(provider.stake, &ctx.accounts.config)?;
        let a = &ctx.accounts;
        pay_out(
            &a.token_program,
            &a.stake_vault,
            &a.to.to_account_info(),
            &a.config,
            amount,
        )?;
        let provider = &mut ctx.accounts.provider;
        provider.unbonding_amount = 0;
        if provider.status == ProviderStatus::Unbonding {
            provider.status = ProviderStatus::Active;
        }
        emit_cpi!(StakeWithdrawn {
            provider: provider.key(),
            amount,
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
