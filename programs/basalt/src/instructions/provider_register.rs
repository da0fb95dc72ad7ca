use anchor_lang::prelude::*;

use crate::events::ProviderRegistered;
use crate::seeds;
use crate::state::{validate_profile, Provider, ProviderStatus};

/// Registers the signer as a provider. It gets work only once it has staked the minimum.
#[event_cpi]
#[derive(Accounts)]
pub struct ProviderRegister<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(init, payer = authority, space = 8 + Provider::INIT_SPACE,
        seeds = [seeds::PROVIDER, authority.key().as_ref()], bump)]
    pub provider: Account<'info, Provider>,
    pub system_program: Program<'info, System>,
}

impl ProviderRegister<'_> {
    pub fn handle(
        ctx: Context<Self>,
        endpoint: String,
        region: String,
        roles: u8,
        capacity: u64,
    ) -> Result<()> {
        validate_profile(&endpoint, &region, roles)?;
        let slot = Clock::get()?.slot;
        let provider = &mut ctx.accounts.provider;
        provider.set_inner(Provider {
            authority: ctx.accounts.authority.key(),
            endpoint: endpoint.clone(),
            region: region.clone(),
            roles,
            capacity,
            stake: 0,
            unbonding_amount: 0,
            unbonding_until_epoch: 0,
            status: ProviderStatus::Active,
            jailed_until_epoch: 0,
            reputation: 0,
            last_heartbeat_slot: slot,
            registered_slot: slot,
            bump: ctx.bumps.provider,
            slash_epoch: 0,
            slashes_in_epoch: 0,
            open_obligations: 0,
        });
        emit_cpi!(ProviderRegistered {
            provider: provider.key(),
            authority: provider.authority,
            endpoint,
            region,
            roles,
            capacity,
            slot,
        });
        Ok(())
    }
}
