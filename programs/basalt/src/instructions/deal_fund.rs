use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::DealFunded;
use crate::seeds;
use crate::state::{Blob, Config, Deal};
use crate::token::deposit;

/// Opens a blob's deal: `amount` of the stake mint goes into escrow and each shard's holder
/// earns `price_per_shard_epoch` for every epoch it proves. Only the blob's owner opens it
/// (a stranger opening it first would fix the price); it is the payer and gets the refund.
/// Anyone may add to an open deal (`deal_top_up`). Epochs proven while the blob had no deal
/// are not paid by this one (`basalt_rules::unpaid_at_opening`).
#[event_cpi]
#[derive(Accounts)]
pub struct DealFund<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    #[account(init, payer = payer, space = 8 + Deal::INIT_SPACE,
        seeds = [seeds::DEAL, blob.key().as_ref()], bump)]
    pub deal: Account<'info, Deal>,
    #[account(mut, token::mint = config.stake_mint, token::authority = payer)]
    pub from: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::ESCROW_VAULT], bump = config.escrow_vault_bump)]
    pub escrow_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl DealFund<'_> {
    pub fn handle(ctx: Context<Self>, price_per_shard_epoch: u64, amount: u64) -> Result<()> {
        require!(price_per_shard_epoch > 0, BasaltError::ZeroPrice);
        require!(amount > 0, BasaltError::ZeroAmount);
        let a = &ctx.accounts;
        require_keys_eq!(a.payer.key(), a.blob.owner, BasaltError::Unauthorized);
        require!(
            a.blob.expiry_epoch > a.config.current_epoch()?,
            BasaltError::BlobExpired
        );
        deposit(&a.token_program, &a.from, &a.escrow_vault, &a.payer, amount)?;
        let blob = a.blob.key();
        let payer = a.payer.key();
        // A refund settled everything its deal owed, so what is unpaid now was proven while
        // no deal existed: not this deal's debt.
        for slot in &mut ctx.accounts.blob.shards {
            slot.unpaid_epochs = basalt_rules::unpaid_at_opening(slot.unpaid_epochs);
        }
        let deal = &mut ctx.accounts.deal;
        deal.set_inner(Deal {
            blob,
            payer,
            price_per_shard_epoch,
            balance: amount,
            total_paid: 0,
            bump: ctx.bumps.deal,
        });
        emit_cpi!(DealFunded {
            deal: deal.key(),
            blob,
            payer,
            price_per_shard_epoch,
            amount,
            balance: amount,
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
