use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::ConfigInitialized;
use crate::seeds;
use crate::state::{Config, ConfigParams, MAX_PROOF_WINDOW_SLOTS};

/// Creates the Config and the three vaults. On a cluster where the program is upgradeable,
/// only its upgrade authority may do this (so nobody can front-run the deployer); a natively
/// hosted builtin has no upgrade authority and takes the first caller.
#[event_cpi]
#[derive(Accounts)]
pub struct ConfigInitialize<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(init, payer = admin, space = 8 + Config::INIT_SPACE, seeds = [seeds::CONFIG], bump)]
    pub config: Account<'info, Config>,
    pub stake_mint: Account<'info, Mint>,
    #[account(init, payer = admin, seeds = [seeds::STAKE_VAULT], bump,
        token::mint = stake_mint, token::authority = config)]
    pub stake_vault: Account<'info, TokenAccount>,
    #[account(init, payer = admin, seeds = [seeds::ESCROW_VAULT], bump,
        token::mint = stake_mint, token::authority = config)]
    pub escrow_vault: Account<'info, TokenAccount>,
    #[account(init, payer = admin, seeds = [seeds::TREASURY], bump,
        token::mint = stake_mint, token::authority = config)]
    pub treasury: Account<'info, TokenAccount>,
    pub this_program: Program<'info, crate::program::Basalt>,
    /// Required when the program is deployed upgradeable.
    pub program_data: Option<Account<'info, ProgramData>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl ConfigInitialize<'_> {
    pub fn handle(
        ctx: Context<Self>,
        epoch_slots: u64,
        proof_window_slots: u64,
        params: ConfigParams,
    ) -> Result<()> {
        if let Some(expected) = ctx.accounts.this_program.programdata_address()? {
            let data = ctx
                .accounts
                .program_data
                .as_ref()
                .ok_or(BasaltError::NotUpgradeAuthority)?;
            require_keys_eq!(data.key(), expected, BasaltError::NotUpgradeAuthority);
            require!(
                data.upgrade_authority_address == Some(ctx.accounts.admin.key()),
                BasaltError::NotUpgradeAuthority
            );
        }
        basalt_rules::check_epoch_geometry(epoch_slots, proof_window_slots, MAX_PROOF_WINDOW_SLOTS)
            .map_err(BasaltError::from)?;
        params.validate()?;
        let config = &mut ctx.accounts.config;
        config.admin = ctx.accounts.admin.key();
        config.pending_admin = None;
        config.stake_mint = ctx.accounts.stake_mint.key();
        config.epoch_slots = epoch_slots;
        config.proof_window_slots = proof_window_slots;
        config.apply(&params);
        config.bump = ctx.bumps.config;
        config.stake_vault_bump = ctx.bumps.stake_vault;
        config.escrow_vault_bump = ctx.bumps.escrow_vault;
        config.treasury_bump = ctx.bumps.treasury;
        emit_cpi!(ConfigInitialized {
            admin: config.admin,
            stake_mint: config.stake_mint,
            epoch_slots,
            proof_window_slots,
            params,
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
