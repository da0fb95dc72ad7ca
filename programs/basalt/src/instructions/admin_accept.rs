use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::seeds;
use crate::state::Config;

/// The key the admin proposed (`config_update`'s `new_admin`) takes the admin role: the
/// second of the two steps, signed by the new admin itself.
#[event_cpi]
#[derive(Accounts)]
pub struct AdminAccept<'info> {
    pub new_admin: Signer<'info>,
    #[account(mut, seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
}

impl AdminAccept<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let config = &mut ctx.accounts.config;
        require!(
            config.pending_admin == Some(ctx.accounts.new_admin.key()),
            BasaltError::NotPendingAdmin
        );
        config.admin = ctx.accounts.new_admin.key();
        config.pending_admin = None;
        emit_cpi!(config.updated(Clock::get()?.slot));
        Ok(())
    }
}
