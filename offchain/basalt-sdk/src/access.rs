//! Sharing and deleting: grants carry the blob's data key wrapped for the grantee, so a
//! grant is both the chain's permission and the means to decrypt.

use std::time::Duration;

use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::{ix, pda};
use basalt::state::{Blob, Deal, Grant, ROLE_READ};
use basalt_core::BlobId;
use rand_core::OsRng;
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;
use tokio::task::JoinSet;

use crate::chain::{associated_token_address, blob_address, ChainClient, ChainError};
use crate::get::{data_key, fetch_manifest, holders_of, GetError, GetOptions, ReadState};
use crate::node::NodeClient;

/// Grants `roles` on blob `id` to `grantee`, signed by the blob's owner `owner`. When the
/// blob is encrypted and `roles` include READ, the data key (unwrapped from the owner's
/// manifest) is wrapped for the grantee and stored in the grant.
///
/// # Errors
///
/// [`GetError`] when the blob, its manifest or the owner's key cannot be had, or the
/// chain refuses the grant (not the owner, bad roles, already granted).
pub async fn grant(
    chain: &ChainClient,
    owner: &Keypair,
    id: &BlobId,
    grantee: &Pubkey,
    roles: u8,
    expires_at: Option<i64>,
) -> Result<Signature, GetError> {
    let blob = chain.blob(id).await?.ok_or(GetError::NotFound(*id))?;
    let wrapped_key = if blob.encrypted && roles & ROLE_READ != 0 {
        let holders = holders_of(chain, owner, &blob).await?;
        let options = GetOptions::default();
        let state = ReadState::new(&options, &holders);
        let stored = fetch_manifest(&blob, id, &holders, &options, &state).await?;
        let key = data_key(chain, owner, &blob, &stored)
            .await?
            .ok_or(GetError::NoKey(*id))?;
        basalt_core::wrap_key(&key, &grantee.to_bytes(), &mut OsRng)?.to_vec()
    } else {
        Vec::new()
    };
    let address = blob_address(id);
    let create = ix::grant_create(
        &owner.pubkey(),
        &address,
        grantee,
        roles,
        expires_at,
        wrapped_key,
        false,
    );
    Ok(chain.send(&[create], owner, &[]).await?)
}

/// Revokes `grantee`'s grant on blob `id`; the rent goes back to whoever paid it.
///
/// # Errors
///
/// [`GetError::NotFound`] when there is no such grant; chain refusals.
pub async fn revoke(
    chain: &ChainClient,
    owner: &Keypair,
    id: &BlobId,
    grantee: &Pubkey,
) -> Result<Signature, GetError> {
    let blob = blob_address(id);
    let grant: Grant = chain
        .program_account(&pda::grant(&blob, grantee), "Grant")
        .await?
        .ok_or(GetError::NotFound(*id))?;
    let revoke = ix::grant_revoke(&owner.pubkey(), &blob, grantee, &grant.payer, false);
    Ok(chain.send(&[revoke], owner, &[]).await?)
}

/// Deletes blob `id` on chain (owner only here), then asks every holder to drop its
/// shards; holders that are down collect them later (their GC sees the blob gone).
/// Its grants are revoked first (the program deletes no blob that has any, so no grant
/// outlives it), their rent back to their payers. A funded deal is then settled
/// (providers keep every proven epoch) and its remaining escrow refunded to its payer, in
/// the same transaction as the deletion, which ends the obligations of the holders that
/// accepted a shard.
/// Returns the transaction and how many shard deletions the holders confirmed.
///
/// # Errors
///
/// [`GetError::NotFound`]; chain refusals. Failed shard deletions are not errors.
pub async fn delete(
    chain: &ChainClient,
    owner: &Keypair,
    id: &BlobId,
) -> Result<(Signature, usize), GetError> {
    let blob = chain.blob(id).await?.ok_or(GetError::NotFound(*id))?;
    let holders = holders_of(chain, owner, &blob).await?;
    let address = blob_address(id);
    // Revoked ahead of the deletion, a few per transaction to keep each within its size
    // (the deletion could close them itself, but would outgrow one transaction).
    let revokes: Vec<_> = chain
        .grants_of(&address)
        .await?
        .iter()
        .map(|g| ix::grant_revoke(&owner.pubkey(), &address, &g.grantee, &g.payer, false))
        .collect();
    for batch in revokes.chunks(6) {
        chain.send(batch, owner, &[]).await?;
    }
    let mut ixs = Vec::new();
    let deal: Option<Deal> = chain.program_account(&pda::deal(&address), "Deal").await?;
    let mint = match &deal {
        Some(_) => Some(chain.stake_mint().await?),
        None => None,
    };
    if let (Some(deal), Some(mint)) = (&deal, &mint) {
        settle_proven(chain, owner, &address, &blob, mint).await?;
        let payer_tokens = associated_token_address(&deal.payer, mint);
        ixs.push(ix::deal_refund(
            &owner.pubkey(),
            &address,
            &deal.payer,
            &payer_tokens,
            false,
        ));
    }
    // The holders that accepted a shard, whose obligations end with the blob. A node may
    // accept between the read and the transaction (the program then refuses it with
    // HoldersMismatch), or prove an epoch after the settlements (the refund then refuses
    // with UnsettledPayouts); either changes nothing: read again, settle what is new, retry.
    let mut accepted = blob.accepted_holders();
    let mut attempts = 0;
    let signature = loop {
        attempts += 1;
        let mut attempt = ixs.clone();
        attempt.push(ix::blob_delete(
            &owner.pubkey(),
            &address,
            &blob.owner,
            false,
            &accepted,
            &[],
        ));
        match chain.send(&attempt, owner, &[]).await {
            Err(ChainError::Program { name, .. })
                if (name == "HoldersMismatch" || name == "UnsettledPayouts") && attempts < 4 =>
            {
                let fresh = chain.blob(id).await?.ok_or(GetError::NotFound(*id))?;
                if let Some(mint) = &mint {
                    settle_proven(chain, owner, &address, &fresh, mint).await?;
                }
                accepted = fresh.accepted_holders();
            }
            sent => break sent?,
        }
    };
    Ok((
        signature,
        delete_shards(&holders, id, blob.chunk_count).await,
    ))
}

/// Pays every holder of `blob` (at `address`) for the epochs it proved and was not paid
/// for yet, a few settlements per transaction to keep each small.
async fn settle_proven(
    chain: &ChainClient,
    owner: &Keypair,
    address: &Pubkey,
    blob: &Blob,
    mint: &Pubkey,
) -> Result<(), GetError> {
    let settles: Vec<_> = blob
        .shards
        .iter()
        .enumerate()
        .filter(|(_, s)| s.unpaid_epochs > 0)
        .map(|(i, s)| {
            let tokens = associated_token_address(&s.provider, mint);
            ix::deal_settle(address, i as u16, &tokens)
        })
        .collect();
    for batch in settles.chunks(4) {
        chain.send(batch, owner, &[]).await?;
    }
    Ok(())
}

/// How long a holder may take to confirm a shard deletion. Deleting shards after the
/// blob is gone from the chain only frees space sooner (each node collects the shards
/// of a blob the chain no longer has on its own, `basalt-node`'s GC), so a hung or slow
/// holder is not waited for.
const SHARD_DELETE_TIMEOUT: Duration = Duration::from_secs(2);

/// Asks every holder at once to delete its shards of blob `id`, each holder's chunks in
/// turn, giving a holder up at its first failure. Returns the deletions confirmed.
async fn delete_shards(holders: &[Option<NodeClient>], id: &BlobId, chunks: u32) -> usize {
    let mut deletes = JoinSet::new();
    for (j, node) in holders.iter().enumerate() {
        let Some(node) = node.clone() else { continue };
        let id = *id;
        deletes.spawn(async move {
            let mut deleted = 0;
            for chunk in 0..chunks {
                match node
                    .delete_shard(&id, chunk, j as u16, SHARD_DELETE_TIMEOUT)
                    .await
                {
                    Ok(_) => deleted += 1,
                    Err(e) => {
                        tracing::debug!(url = node.url(), error = %e, "deleting a shard; the holder's GC will");
                        break;
                    }
                }
            }
            deleted
        });
    }
    let mut deleted = 0;
    while let Some(done) = deletes.join_next().await {
        deleted += done.unwrap_or(0);
    }
    deleted
}
