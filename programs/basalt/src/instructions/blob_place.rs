use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::ShardPlaced;
use crate::seeds;
use crate::state::{authorize, Blob, Config, Grant, Provider, ROLE_STORAGE, ROLE_WRITE};

/// Places shard indices `first .. first + column_roots.len()` on the providers passed as
/// remaining accounts (their Provider accounts, in index order).
///
/// A placement is an offer: the provider owes nothing for the index until it accepts it
/// with `shard_accept`, which its node does once it holds and checked the column. An offer
/// not accepted within the configuration's `accept_window_ticks` slots lapses and the index may be placed
/// again; an accepted index never moves until a slash or a release sends it to repair.
///
/// While the blob is not yet active any index its holder has not accepted may be
/// (re)placed; whenever every index is placed the column roots must hash to the commitment
/// root. The blob becomes active when every holder has accepted (`shard_accept`).
/// Once active, only shards marked for repair or whose placement lapsed move, keeping their
/// column root (repair). Until the blob is active it is signed by the owner, a WRITE
/// grantee or the blob's writer (the worker that registered a job's output); once active, by anyone (`basalt_rules::placement_needs_owner`): only a repair
/// can move an index then, and the deal pays the holder that accepts it. Every provider
/// must be eligible for storage (active, staked, not jailed or unbonding) and may hold
/// only one index of the blob.
#[event_cpi]
#[derive(Accounts)]
pub struct BlobPlace<'info> {
    pub signer: Signer<'info>,
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Account<'info, Config>,
    #[account(mut, seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    #[account(seeds = [seeds::GRANT, blob.key().as_ref(), signer.key().as_ref()], bump = grant.bump)]
    pub grant: Option<Account<'info, Grant>>,
}

impl<'info> BlobPlace<'info> {
    pub fn handle(
        ctx: Context<'info, Self>,
        first: u16,
        column_roots: Vec<[u8; 32]>,
    ) -> Result<()> {
        let a = &ctx.accounts;
        let signer = a.signer.key();
        if basalt_rules::placement_needs_owner(a.blob.active) && a.blob.writer != Some(signer) {
            authorize(&a.blob, &signer, a.grant.as_ref(), ROLE_WRITE)?;
        }
        require!(
            !column_roots.is_empty() && ctx.remaining_accounts.len() == column_roots.len(),
            BasaltError::PlacementMismatch
        );
        let first = usize::from(first);
        let end = first
            .checked_add(column_roots.len())
            .ok_or(BasaltError::Overflow)?;
        require!(end <= a.blob.shards.len(), BasaltError::ShardOutOfRange);
        let clock = Clock::get()?;
        let epoch = a.config.epoch_at(clock.slot);
        require!(a.blob.expiry_epoch > epoch, BasaltError::BlobExpired);

        let blob_key = a.blob.key();
        let was_active = a.blob.active;
        for (offset, (info, root)) in ctx.remaining_accounts.iter().zip(&column_roots).enumerate() {
            let index = first + offset;
            let provider: Account<Provider> = Account::try_from(info)?;
            require!(
                provider.is_eligible(&ctx.accounts.config, ROLE_STORAGE),
                BasaltError::ProviderNotEligible
            );
            let blob = &mut ctx.accounts.blob;
            require!(
                blob.shards
                    .iter()
                    .enumerate()
                    .all(|(i, s)| i == index || s.provider != provider.authority),
                BasaltError::DuplicateProvider
            );
            let slot = &mut blob.shards[index];
            let previous = slot.is_placed().then_some(slot.provider);
            let next = slot
                .state()
                .place(&basalt_rules::NewPlacement {
                    blob_active: was_active,
                    replaces: slot.is_placed(),
                    column_root: *root,
                    now: clock.slot,
                    epoch,
                    accept_window_ticks: ctx.accounts.config.accept_window_ticks,
                })
                .map_err(BasaltError::from)?;
            slot.set_state(next);
            slot.provider = provider.authority;
            emit_cpi!(ShardPlaced {
                blob: blob_key,
                index: index as u16,
                provider: provider.authority,
                previous,
                assigned_epoch: next.assigned_epoch,
                slot: clock.slot,
            });
        }

        // INV: whenever every index is placed, the column roots hash to the commitment root
        // (checked at each placement until activation; a repair keeps its index's root).
        let blob = &ctx.accounts.blob;
        if !was_active && blob.is_placed() {
            let roots: Vec<[u8; 32]> = blob.shards.iter().map(|s| s.column_root).collect();
            require!(
                basalt_proof::commitment_root(&roots) == blob.commitment_root,
                BasaltError::CommitmentMismatch
            );
        }
        Ok(())
    }
}
