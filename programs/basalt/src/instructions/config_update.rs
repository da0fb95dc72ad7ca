use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::seeds;
use crate::state::{Config, ConfigParams};

/// Proposes new network parameters, which `config_apply` applies one epoch later
/// (`basalt_rules::params_due_at`; a newer proposal replaces a pending one and restarts the
/// wait), and optionally proposes another key for the admin role (`new_admin`; it takes the
/// role when it signs `admin_accept`, so a mistyped key cannot lock the configuration). The
/// epoch geometry and the stake mint are fixed at initialization.
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
        let slot = Clock::get()?.slot;
        let config = &mut ctx.accounts.config;
        config.pending_params_at = basalt_rules::params_due_at(slot, config.epoch_slots);
        config.pending_params = Some(params);
        if new_admin.is_some() {
            config.pending_admin = new_admin;
        }
        emit_cpi!(config.updated(slot));
        Ok(())
    }
}
