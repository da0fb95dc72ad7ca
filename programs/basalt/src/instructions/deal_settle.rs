use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::DealSettled;
use crate::seeds;
use crate::state::{Blob, Config, Deal};
use crate::token::pay_out;

/// Pays the holder of shard `index` for its proven, unpaid epochs (anyone may crank it).
///
/// Pays as many proven epochs as the escrow covers and keeps the rest owed
/// (`basalt_rules::Settlement`): a top-up lets a later settle pay them, and nothing earned
/// is forfeited. Each proven epoch is counted once (`record_proof`) and cleared here when
/// paid, so nothing is paid twice and nothing is paid without a proof.
#[event_cpi]
#[derive(Accounts)]
pub struct DealSettle<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    #[account(mut, has_one = blob @ BasaltError::DealMismatch,
        seeds = [seeds::DEAL, blob.key().as_ref()], bump = deal.bump)]
    pub deal: Account<'info, Deal>,
    /// The holder's token account of the stake mint.
    #[account(mut, token::mint = config.stake_mint)]
    pub provider_tokens: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::ESCROW_VAULT], bump = config.escrow_vault_bump)]
    pub escrow_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

impl DealSettle<'_> {
    pub fn handle(ctx: Context<Self>, index: u16) -> Result<()> {
        let price = ctx.accounts.deal.price_per_shard_epoch;
        let balance = ctx.accounts.deal.balance;
        let slot = *ctx.accounts.blob.slot_mut(index)?;
        require_keys_eq!(
            ctx.accounts.provider_tokens.owner,
            slot.provider,
            BasaltError::WrongTokenAccount
        );
        let settlement =
            basalt_rules::Settlement::of(slot.unpaid_epochs, balance.into(), price.into());
        // INV (Settlement): amount <= balance, a u64.
        let amount = u64::try_from(settlement.amount).map_err(|_| BasaltError::Overflow)?;
        let a = &ctx.accounts;
        pay_out(
            &a.token_program,
            &a.escrow_vault,
            &a.provider_tokens.to_account_info(),
            &a.config,
            amount,
        )?;
        ctx.accounts.blob.slot_mut(index)?.unpaid_epochs = settlement.epochs_owed;
        let deal = &mut ctx.accounts.deal;
        deal.balance -= amount;
        deal.total_paid = deal
            .total_paid
            .checked_add(amount)
            .ok_or(BasaltError::Overflow)?;
        emit_cpi!(DealSettled {
            deal: deal.key(),
            blob: deal.blob,
            index,
            provider: slot.provider,
            epochs_paid: settlement.epochs_paid,
            epochs_owed: settlement.epochs_owed,
            amount,
            balance: deal.balance,
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
