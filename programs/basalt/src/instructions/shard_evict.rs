use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::BasaltError;
use crate::events::ShardEvicted;
use crate::seeds;
use crate::state::{Blob, Config, Deal, Provider};
use crate::token::pay_out;

/// Anyone may send shard `index` of a blob to repair once its holder has been silent for
/// more than the configuration's `offline_ticks` slots (no `provider_heartbeat` since, nor
/// a registration): the holder's node is `offline`, and the data should not wait for the
/// proof it is going to miss. The holder loses the index (its obligation ends, the Provider
/// account stops counting it) and pays for its repair: `basalt_rules::Eviction::repair_charge`
/// moves from its stake into the deal, which owes the next holder that much. It is neither
/// slashed nor jailed: silence is not proven fraud. Its proven, unpaid epochs stay on the
/// index, so a settle still pays them before `blob_place` moves it.
/// A holder that already missed a proof it can be slashed for is slashed instead
/// (`proof_slash`, `MissedProofPending`): an eviction is no way out of a slash.
#[event_cpi]
#[derive(Accounts)]
pub struct ShardEvict<'info> {
    pub cranker: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    /// The index's holder: its Provider account, whose heartbeat is judged.
    #[account(mut, seeds = [seeds::PROVIDER, provider.authority.as_ref()], bump = provider.bump)]
    pub provider: Account<'info, Provider>,
    /// CHECK: the blob's deal address, whether or not a deal exists there (the seeds check
    /// the address; `Deal::cover` reads it only when the program owns it): whether a miss
    /// would be slashed rather than evicted, and where the repair charge goes.
    #[account(mut, seeds = [seeds::DEAL, blob.key().as_ref()], bump)]
    pub deal: UncheckedAccount<'info>,
    #[account(mut, seeds = [seeds::STAKE_VAULT], bump = config.stake_vault_bump)]
    pub stake_vault: Account<'info, TokenAccount>,
    #[account(mut, seeds = [seeds::ESCROW_VAULT], bump = config.escrow_vault_bump)]
    pub escrow_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

impl ShardEvict<'_> {
    pub fn handle(ctx: Context<Self>, index: u16) -> Result<()> {
        let now = Clock::get()?.slot;
        let cover = Deal::cover(&ctx.accounts.deal, &ctx.accounts.blob)?;
        let blob = &mut ctx.accounts.blob;
        // An expired blob is no one's obligation and nothing repairs it.
        require!(
            blob.epoch_at(now) < blob.expiry_epoch,
            BasaltError::BlobExpired
        );
        let provider = &ctx.accounts.provider;
        let eviction = basalt_rules::Eviction {
            holder: basalt_rules::HolderSilence {
                last_heartbeat: provider.last_heartbeat_slot,
                registered: provider.registered_slot,
            },
            now,
            offline_ticks: ctx.accounts.config.offline_ticks,
            blob_active: blob.active,
            expiry_epoch: blob.expiry_epoch,
            latest_closed_epoch: basalt_rules::latest_closed_epoch(
                now,
                blob.epoch_slots,
                blob.proof_window_slots,
            ),
            cover,
        };
        let slot = blob.slot_mut(index)?;
        require!(
            slot.is_placed() && slot.provider == provider.authority,
            BasaltError::NotShardHolder
        );
        let state = slot.state();
        slot.set_state(state.evict(&eviction).map_err(BasaltError::from)?);
        let provider = &mut ctx.accounts.provider;
        provider.close_obligation();
        let charged = provider.charge(eviction.repair_charge(state.accepted_price));
        if charged > 0 {
            Deal::credit(&ctx.accounts.deal, charged)?;
        }
        let a = &ctx.accounts;
        pay_out(
            &a.token_program,
            &a.stake_vault,
            &a.escrow_vault.to_account_info(),
            &a.config,
            charged,
        )?;
        emit_cpi!(ShardEvicted {
            blob: a.blob.key(),
            index,
            provider: a.provider.authority,
            last_heartbeat_slot: eviction.holder.last_heartbeat,
            charged,
            cranker: a.cranker.key(),
            slot: now,
        });
        Ok(())
    }
}
