use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::DealFunded;
use crate::seeds;
use crate::state::{authorize, Blob, Config, Deal, Grant, ROLE_WRITE};
use crate::token::deposit;

/// Adds escrow to a blob's deal: the owner, or a WRITE grantee signing with its grant.
/// Nobody else may keep a blob alive its owner means to let lapse. Refunds still go to the
/// deal's payer.
#[event_cpi]
#[derive(Accounts)]
pub struct DealTopUp<'info> {
    pub funder: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    #[account(seeds = [seeds::GRANT, blob.key().as_ref(), funder.key().as_ref()], bump = grant.bump)]
    pub grant: Option<Account<'info, Grant>>,
    #[account(mut, seeds = [seeds::DEAL, blob.key().as_ref()], bump = deal.bump)]
    pub deal: Account<'info, Deal>,
    #[account(mut, token::mint = config.stake_mint, token::authority = funder)]
    pub from: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::ESCROW_VAULT], bump = config.escrow_vault_bump)]
    pub escrow_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

impl DealTopUp<'_> {
    pub fn handle(ctx: Context<Self>, amount: u64) -> Result<()> {
        require!(amount > 0, BasaltError::ZeroAmount);
        let a = &ctx.accounts;
        authorize(&a.blob, &a.funder.key(), a.grant.as_ref(), ROLE_WRITE)?;
        deposit(
            &a.token_program,
            &a.from,
            &a.escrow_vault,
            &a.funder,
            amount,
        )?;
        let deal = &mut ctx.accounts.deal;
        deal.balance = deal
            .balance
            .checked_add(amount)
            .ok_or(BasaltError::Overflow)?;
        emit_cpi!(DealFunded {
            deal: deal.key(),
            blob: deal.blob,
            payer: ctx.accounts.funder.key(),
            price_per_shard_epoch: deal.price_per_shard_epoch,
            amount,
            balance: deal.balance,
            slot: Clock::get()?.slot,
        });
        Ok(())
    }
}
