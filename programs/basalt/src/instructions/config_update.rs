use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::ConfigUpdated;
use crate::seeds;
use crate::state::{Config, ConfigParams};

/// Changes the network parameters and optionally proposes another key for the admin role
/// (`new_admin`; it takes the role when it signs `admin_accept`, so a mistyped key cannot
/// lock the configuration). The epoch geometry and the stake mint are fixed at
/// initialization.
#[event_cpi]
#[derive(Accounts)]
pub struct ConfigUpdate<'info> {
    pub admin: Signer<'info>,
    #[account(mut, seeds = [seeds::CONFIG], bump = config.bump,
        has_one = admin @ BasaltError::NotAdmin)]
    pub config: Account<'info, Config>,
}

impl ConfigUpdate<'_> {
    pub fn handle(
        ctx: Context<Self>,
        params: ConfigParams,
        new_admin: Option<Pubkey>,
    ) -> Result<()> {
        params.validate()?;
        let config = &mut ctx.accounts.config;
        config.apply(&params);
        if new_admin.is_some() {
            config.pending_admin = new_admin;
        }
        emit_cpi!(ConfigUpdated {
            admin: config.admin,
            pending_admin: config.pending_admin,
            params,
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
