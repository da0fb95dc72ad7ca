//! Sharing and deleting: grants carry the blob's data key wrapped for the grantee, so a
//! grant is both the chain's permission and the means to decrypt.
//!
//! Each call is written once against [`ChainBackend`] (`grant_on`, `revoke_on`,
//! `delete_on`); `grant`, `revoke` and `delete` are their Solana forms.

use std::time::Duration;

use basalt::anchor_lang::prelude::Pubkey;
use basalt::state::ROLE_READ;
use basalt_core::{BlobId, KeyRecipient};
use rand_core::OsRng;
use solana_keypair::Keypair;
use solana_signature::Signature;
use tokio::task::JoinSet;

use crate::backend::solana::SolanaBackend;
use crate::backend::{ChainBackend, Grantee};
use crate::chain::ChainClient;
use crate::get::{data_key, fetch_manifest, holders_of, GetError, GetOptions, ReadState};
use crate::node::NodeClient;

/// Grants `roles` on blob `id` to `grantee`, signed by the blob's owner `owner`, on the
/// Basalt program: [`grant_on`] with Solana's [`SolanaBackend`].
///
/// # Errors
///
/// As [`grant_on`].
pub async fn grant(
    chain: &ChainClient,
    owner: &Keypair,
    id: &BlobId,
    grantee: &Pubkey,
    roles: u8,
    expires_at: Option<i64>,
) -> Result<Signature, GetError> {
    let grantee = Grantee::Key(KeyRecipient::Ed25519(grantee.to_bytes()));
    grant_on(
        &SolanaBackend::new(chain, owner),
        id,
        &grantee,
        roles,
        expires_at,
    )
    .await
}

/// Grants `roles` on blob `id` to `grantee`, signed by the chain's wallet (the blob's owner
/// or an ADMIN grantee). When the blob is encrypted and `roles` include READ, the data key
/// (unwrapped from the owner's manifest) is wrapped for the grantee and stored in the
/// grant.
///
/// # Errors
///
/// [`GetError`] when the blob, its manifest or the owner's key cannot be had, the grant
/// needs a key and `grantee` is known by its address only ([`GetError::NeedsPublicKey`]),
/// or the chain refuses the grant (not the owner, bad roles, already granted).
pub async fn grant_on<B: ChainBackend>(
    chain: &B,
    id: &BlobId,
    grantee: &Grantee,
    roles: u8,
    expires_at: Option<i64>,
) -> Result<B::Tx, GetError> {
    let blob = chain.blob(id).await?.ok_or(GetError::NotFound(*id))?;
    let wrapped_key = if blob.encrypted && roles & ROLE_READ != 0 {
        let Grantee::Key(recipient) = grantee else {
            return Err(GetError::NeedsPublicKey(grantee.caller()));
        };
        let holders = holders_of(chain, &blob).await?;
        let options = GetOptions::default();
        let state = ReadState::new(&options, &holders);
        let stored = fetch_manifest(&blob, id, &holders, &options, &state).await?;
        let key = data_key(chain, &blob, &stored)
            .await?
            .ok_or(GetError::NoKey(*id))?;
        basalt_core::wrap_key_for(&key, recipient, &mut OsRng)?
    } else {
        Vec::new()
    };
    Ok(chain
        .create_grant(id, &grantee.caller(), roles, expires_at, wrapped_key)
        .await?)
}

/// Revokes `grantee`'s grant on blob `id` on the Basalt program; the rent goes back to
/// whoever paid it.
///
/// # Errors
///
/// As [`revoke_on`].
pub async fn revoke(
    chain: &ChainClient,
    owner: &Keypair,
    id: &BlobId,
    grantee: &Pubkey,
) -> Result<Signature, GetError> {
    let grantee = basalt_core::Caller::Ed25519(grantee.to_bytes());
    revoke_on(&SolanaBackend::new(chain, owner), id, &grantee).await
}

/// Revokes `grantee`'s grant on blob `id`, signed by the chain's wallet.
///
/// # Errors
///
/// [`GetError::NotFound`] when there is no such grant; chain refusals.
pub async fn revoke_on<B: ChainBackend>(
    chain: &B,
    id: &BlobId,
    grantee: &basalt_core::Caller,
) -> Result<B::Tx, GetError> {
    chain
        .revoke_grant(id, grantee)
        .await?
        .ok_or(GetError::NotFound(*id))
}

/// Deletes blob `id` on the Basalt program: [`delete_on`] with Solana's [`SolanaBackend`].
///
/// # Errors
///
/// As [`delete_on`].
pub async fn delete(
    chain: &ChainClient,
    owner: &Keypair,
    id: &BlobId,
) -> Result<(Signature, usize), GetError> {
    delete_on(&SolanaBackend::new(chain, owner), id).await
}

/// Deletes blob `id` on chain (its grants revoked, its holders paid for what they proved,
/// the rest of its escrow refunded: [`ChainBackend::delete_blob`]), then asks every holder
/// to drop its shards; holders that are down collect them later (their GC sees the blob
/// gone). Returns the transaction and how many shard deletions the holders confirmed.
///
/// # Errors
///
/// [`GetError::NotFound`]; chain refusals. Failed shard deletions are not errors.
pub async fn delete_on<B: ChainBackend>(
    chain: &B,
    id: &BlobId,
) -> Result<(B::Tx, usize), GetError> {
    let blob = chain.blob(id).await?.ok_or(GetError::NotFound(*id))?;
    let holders = holders_of(chain, &blob).await?;
    let tx = chain.delete_blob(id).await?;
    Ok((tx, delete_shards(&holders, id, blob.chunk_count).await))
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
