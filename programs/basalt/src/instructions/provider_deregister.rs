use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::ProviderDeregistered;
use crate::seeds;
use crate::state::Provider;

/// Closes the caller's Provider account, its rent back to the authority that paid it at
/// registration, once nothing is bonded or unbonding and no obligation is open
/// (`basalt_rules::check_deregister`). The provider may register again later, starting over.
#[event_cpi]
#[derive(Accounts)]
pub struct ProviderDeregister<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(mut, close = authority,
        seeds = [seeds::PROVIDER, authority.key().as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
}

impl ProviderDeregister<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let p = &ctx.accounts.provider;
        basalt_rules::check_deregister(
            u128::from(p.stake),
            u128::from(p.unbonding_amount),
            p.open_obligations,
        )
        .map_err(BasaltError::from)?;
        emit_cpi!(ProviderDeregistered {
            provider: p.key(),
            authority: p.authority,
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
