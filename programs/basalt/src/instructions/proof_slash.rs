use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::{ProofMissed, ProviderSlashed};
use crate::seeds;
use crate::state::{bps_of, Blob, Config, Deal, Provider};
use crate::token::pay_out;

/// After the proof window of `epoch` closed without a proof of shard `index` (which its
/// holder accepted, and which the blob's deal still pays for at the accepted price), anyone
/// may crank this: the holder loses `proof_slash_bps` of its stake
/// (the cranker gets `bounty_bps` of that, the treasury the rest), is jailed, and the shard
/// is marked for repair (no more proofs or slashes until `blob_place` moves it). Beyond
/// the configuration's `max_slashes_per_epoch` slashes of one provider in the current epoch, the
/// shard still goes to repair and the holder to jail, but no stake is taken.
#[event_cpi]
#[derive(Accounts)]
pub struct ProofSlash<'info> {
    pub cranker: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    #[account(mut, seeds = [seeds::PROVIDER, provider.authority.as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
    /// CHECK: the blob's deal address, whether or not a deal exists there (the seeds check
    /// the address; `Deal::cover` reads it only when the program owns it). A shard is
    /// slashable only while its deal pays for it.
    #[account(seeds = [seeds::DEAL, blob.key().as_ref()], bump)]
    pub deal: UncheckedAccount<'info>,
    /// The cranker's token account for the bounty.
    #[account(mut, token::mint = config.stake_mint, token::authority = cranker)]
    pub bounty_to: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::STAKE_VAULT], bump = config.stake_vault_bump)]
    pub stake_vault: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::TREASURY], bump = config.treasury_bump)]
    pub treasury: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

impl ProofSlash<'_> {
    pub fn handle(ctx: Context<Self>, index: u16, epoch: u64) -> Result<()> {
        let clock_slot = Clock::get()?.slot;
        let blob = &ctx.accounts.blob;
        require!(
            blob.layout()?.column_leaves() > 0,
            BasaltError::InvalidLayout
        );
        let slot = blob.provable_slot(index, epoch, &ctx.accounts.provider.authority)?;
        // The bounty account's authority is the cranker (constraint above).
        basalt_rules::check_slasher(ctx.accounts.cranker.key() == slot.provider)
            .map_err(BasaltError::from)?;
        let cover = Deal::cover(&ctx.accounts.deal, blob)?;
        basalt_rules::check_slashable(cover.as_ref(), u128::from(slot.accepted_price))
            .map_err(BasaltError::from)?;
        let deadline = blob
            .epoch_start(epoch)?
            .checked_add(blob.proof_window_slots)
            .ok_or(BasaltError::Overflow)?;
        require!(clock_slot > deadline, BasaltError::DeadlineNotPassed);
        match slot.is_proven(epoch) {
            Some(false) => {}
            Some(true) => return err!(BasaltError::EpochWasProven),
            None => return err!(BasaltError::EpochTooOld),
        }

        let config = &ctx.accounts.config;
        let current_epoch = config.epoch_at(clock_slot);
        let (amount, bounty, reputation) = {
            let provider = &mut ctx.accounts.provider;
            let amount = if provider.count_slash(current_epoch, config.max_slashes_per_epoch) {
                provider.slash(config.proof_slash_bps)
            } else {
                0
            };
            provider.reputation = provider.reputation.saturating_sub(1);
            provider.jail(current_epoch);
            // The shard goes to repair: the holder no longer answers for it.
            provider.close_obligation();
            (
                amount,
                bps_of(amount, config.bounty_bps),
                provider.reputation,
            )
        };
        {
            let slot = ctx.accounts.blob.slot_mut(index)?;
            slot.needs_repair = true;
            slot.accepted = false;
        }

        let a = &ctx.accounts;
        pay_out(
            &a.token_program,
            &a.stake_vault,
            &a.bounty_to.to_account_info(),
            &a.config,
            bounty,
        )?;
        pay_out(
            &a.token_program,
            &a.stake_vault,
            &a.treasury.to_account_info(),
            &a.config,
            amount - bounty,
        )?;
        // Emitted beyond the cap too (amount 0): the jail and the reputation still change.
        emit_cpi!(ProviderSlashed {
            provider: a.provider.key(),
            amount,
            bounty,
            beneficiary: a.cranker.key(),
            subject: a.blob.key(),
            reputation,
            slot: clock_slot,
        });
        emit_cpi!(ProofMissed {
            blob: a.blob.key(),
            index,
            provider: slot.provider,
            epoch,
            cranker: a.cranker.key(),
            slot: clock_slot,
        });
        Ok(())
    }
}
