use anchor_lang::prelude::*;

use crate::errors::BasaltError;
use crate::events::{BlobDeleted, GrantRevoked};
use crate::seeds;
use crate::state::{authorize, Blob, Grant, Provider, ROLE_DELETE};

/// Deletes a blob (owner or a DELETE grantee); the rent goes back to the owner and nodes
/// garbage-collect its shards. A funded deal must be refunded first (`deal_refund`, which
/// can run in the same transaction), so no escrow is stranded.
///
/// The obligations of the holders that accepted a shard end with the blob: the remaining
/// accounts are first their Provider accounts (writable), in shard index order, and each
/// stops counting its obligation, so no stake stays bonded for a blob that no longer
/// exists. Its grants end with it too: after the holders come the blob's Grant accounts,
/// each followed by its payer (both writable), and each is closed, its rent back to its
/// payer. Every grant the blob counts must be closed here or revoked before
/// (`basalt_rules::check_no_grants`): a grant that outlived its blob would give rights on
/// whoever registers the same content next.
#[event_cpi]
#[derive(Accounts)]
pub struct BlobDelete<'info> {
    pub signer: Signer<'info>,
    #[account(mut, close = owner,
        seeds = [seeds::BLOB, blob.owner.as_ref(), blob.cid_digest.as_ref()], bump = blob.bump)]
    pub blob: Account<'info, Blob>,
    /// CHECK: receives the rent; must be the blob's owner.
    #[account(mut, address = blob.owner @ BasaltError::Unauthorized)]
    pub owner: UncheckedAccount<'info>,
    /// CHECK: the blob's deal address; must hold no deal any more.
    #[account(seeds = [seeds::DEAL, blob.key().as_ref()], bump)]
    pub deal: UncheckedAccount<'info>,
    #[account(seeds = [seeds::GRANT, blob.key().as_ref(), signer.key().as_ref()], bump = grant.bump)]
    pub grant: Option<Account<'info, Grant>>,
}

impl<'info> BlobDelete<'info> {
    pub fn handle(ctx: Context<'info, Self>) -> Result<()> {
        let a = &ctx.accounts;
        authorize(&a.blob, &a.signer.key(), a.grant.as_ref(), ROLE_DELETE)?;
        require!(a.deal.data_is_empty(), BasaltError::UnsettledPayouts);
        let mut passed = ctx.remaining_accounts.iter();
        for holder in a.blob.accepted_holders() {
            let info = passed.next().ok_or(BasaltError::HoldersMismatch)?;
            require!(info.is_writable, BasaltError::HoldersMismatch);
            // Program-owned Provider accounts exist only at ["provider", authority], so the
            // authority identifies the account.
            let mut provider: Account<Provider> = Account::try_from(info)?;
            require_keys_eq!(provider.authority, holder, BasaltError::HoldersMismatch);
            provider.close_obligation();
            provider.exit(&crate::ID)?;
        }
        let blob = ctx.accounts.blob.key();
        let signer = ctx.accounts.signer.key();
        let slot = Clock::get()?.slot;
        let mut closed: u32 = 0;
        while let Some(info) = passed.next() {
            let payer = passed.next().ok_or(BasaltError::GrantsMismatch)?;
            require!(
                info.is_writable && payer.is_writable,
                BasaltError::GrantsMismatch
            );
            // The owner and discriminator checks make it a Grant the program created.
            let grant: Account<Grant> = Account::try_from(info)?;
            require!(
                grant.blob == blob && grant.payer == payer.key(),
                BasaltError::GrantsMismatch
            );
            grant.close(payer.clone())?;
            closed = closed.checked_add(1).ok_or(BasaltError::Overflow)?;
            emit_cpi!(GrantRevoked {
                blob,
                grantee: grant.grantee,
                revoked_by: signer,
                slot,
            });
        }
        // A grant passed twice fails to load the second time (closed), so `closed` counts
        // distinct grants of this blob.
        basalt_rules::check_no_grants(ctx.accounts.blob.grant_count.saturating_sub(closed))
            .map_err(BasaltError::from)?;
        emit_cpi!(BlobDeleted {
            blob,
            by: signer,
            refunded: 0,
            slot,
        });
        Ok(())
    }
}
