use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::ProviderRegistered;
use crate::seeds;
use crate::state::{validate_endpoint, Provider, ProviderStatus, ROLE_COMPUTE, ROLE_STORAGE};

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

/// Checks a role set: non-empty and only known bits.
///
/// # Errors
///
/// [`BasaltError::InvalidRoles`].
pub fn validate_roles(roles: u8) -> Result<()> {
    require!(
        roles != 0 && roles & !(ROLE_STORAGE | ROLE_COMPUTE) == 0,
        BasaltError::InvalidRoles
    );
    Ok(())
}

impl ProviderRegister<'_> {
    pub fn handle(
        ctx: Context<Self>,
        endpoint: String,
        region: String,
        roles: u8,
        capacity: u64,
    ) -> Result<()> {
        validate_endpoint(&endpoint, &region)?;
        validate_roles(roles)?;
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
