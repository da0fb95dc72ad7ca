use anchor_lang::prelude::*;

use crate::events::ProviderUpdated;
use crate::seeds;
use crate::state::{validate_profile, Provider};

/// Changes a provider's endpoint, region, roles or capacity (its own authority only).
#[event_cpi]
#[derive(Accounts)]
pub struct ProviderUpdate<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [seeds::PROVIDER, authority.key().as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
}

impl ProviderUpdate<'_> {
    pub fn handle(
        ctx: Context<Self>,
        endpoint: String,
        region: String,
        roles: u8,
        capacity: u64,
    ) -> Result<()> {
        validate_profile(&endpoint, &region, roles)?;
        let provider = &mut ctx.accounts.provider;
        provider.endpoint = endpoint.clone();
        provider.region = region.clone();
        provider.roles = roles;
        provider.capacity = capacity;
        emit_cpi!(ProviderUpdated {
            provider: provider.key(),
            endpoint,
            region,
            roles,
            capacity,
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
