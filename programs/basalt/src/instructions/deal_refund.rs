use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::DealRefunded;
use crate::seeds;
use crate::state::{authorize, Blob, Config, Deal, Grant, ROLE_DELETE};
use crate::token::pay_out;

/// Returns a deal's remaining escrow to its payer and closes it: after the blob expired
/// (anyone may crank), or earlier when the owner or a DELETE grantee cancels it (before
/// deleting the blob). Every shard must be settled first, so providers keep what they
/// proved.
#[event_cpi]
#[derive(Accounts)]
pub struct DealRefund<'info> {
    pub signer: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    #[account(mut, close = payer, has_one = blob @ BasaltError::DealMismatch,
        has_one = payer @ BasaltError::WrongTokenAccount,
        seeds = [seeds::DEAL, blob.key().as_ref()], bump = deal.bump)]
    pub deal: Account<'info, Deal>,
    /// CHECK: the deal's payer; receives the deal's rent.
    #[account(mut)]
    pub payer: UncheckedAccount<'info>,
    #[account(mut, token::mint = config.stake_mint, token::authority = payer)]
    pub payer_tokens: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::ESCROW_VAULT], bump = config.escrow_vault_bump)]
    pub escrow_vault: Account<'info, TokenAccount>,
    #[account(seeds = [seeds::GRANT, blob.key().as_ref(), signer.key().as_ref()], bump = grant.bump)]
    pub grant: Option<Account<'info, Grant>>,
    pub token_program: Program<'info, Token>,
}

impl DealRefund<'_> {
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let a = &ctx.accounts;
        let epoch = a.config.current_epoch()?;
        if epoch < a.blob.expiry_epoch {
            authorize(&a.blob, &a.signer.key(), a.grant.as_ref(), ROLE_DELETE)?;
        }
        require!(
            a.blob.shards.iter().all(|s| s.unpaid_epochs == 0),
            BasaltError::UnsettledPayouts
        );
        let amount = a.deal.balance;
        pay_out(
            &a.token_program,
            &a.escrow_vault,
            &a.payer_tokens.to_account_info(),
            &a.config,
            amount,
        )?;
        ctx.accounts.deal.balance = 0;
        emit_cpi!(DealRefunded {
            deal: ctx.accounts.deal.key(),
            blob: ctx.accounts.blob.key(),
            payer: ctx.accounts.payer.key(),
            amount,
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
