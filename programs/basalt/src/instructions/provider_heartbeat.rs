use anchor_lang::prelude::*;

use crate::events::ProviderHeartbeat as HeartbeatEvent;
use crate::seeds;
use crate::state::Provider;

/// Records that the provider's node is alive (repair watches for silence).
#[event_cpi]
#[derive(Accounts)]
pub struct ProviderHeartbeat<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [seeds::PROVIDER, authority.key().as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
}

impl ProviderHeartbeat<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let slot = Clock::get()?.slot;
        ctx.accounts.provider.last_heartbeat_slot = slot;
        emit_cpi!(HeartbeatEvent {
            provider: ctx.accounts.provider.key(),
            slot,
        });
        Ok(())
    }
}
