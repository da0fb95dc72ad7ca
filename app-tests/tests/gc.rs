//! Storage nodes collect the shards of blobs the chain no longer pays for (expired, deleted
//! on chain) and of uploads never registered, asking the real chain over RPC; live blobs
//! are kept.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use basalt::client::{ix, pda};
use basalt_app_tests::{random_bytes, TestNet};
use basalt_core::encode_blob;
use basalt_localnet::NodeSettings;
use basalt_sdk::chain::associated_token_address;
use basalt_sdk::{ChainError, NodeClient, PutOptions};
use solana_signer::Signer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_collect_expired_deleted_and_abandoned_blobs_and_keep_live_ones() -> Result<()> {
    let t = TestNet::start_with(4, 1, |o| {
        // 2-second epochs, GC every second, unregistered shards kept 2 s.
        o.params.epoch_slots = 20;
        o.params.proof_window_slots = 10;
        o.node_settings = NodeSettings {
            acl_cache_ms: 200,
            gc_interval_secs: 1,
            pending_grace_secs: 2,
            ..NodeSettings::default()
        };
    })
    .await?;
    let owner = &t.wallets[0];
    let chain = t.net.client();
    let options = |epochs| PutOptions {
        k: Some(2),
        m: Some(2),
        chunk_size: 64 << 10,
        epochs,
        // A blob that expires within the test may never be accepted; nothing here needs
        // the acceptances, and GC must not wait for them.
        acceptance_timeout: None,
        ..t.put_options()
    };
    // 100 KB in 64 KiB chunks: 2 chunks × 4 shards on each blob.
    let live = t.put(owner, random_bytes(100_000), &options(1_000)).await?;
    let expiring = t.put(owner, random_bytes(100_000), &options(1)).await?;
    let deleted = t.put(owner, random_bytes(100_000), &options(1_000)).await?;

    // An upload that was never registered.
    let mut chunks = Vec::new();
    let abandoned = encode_blob(&random_bytes(10_000), 64 << 10, 2, 2, None, |c| {
        chunks.push(c)
    })?;
    let node = &t.net.nodes[0];
    let client = NodeClient::new(
        reqwest::Client::new(),
        &node.url,
        basalt_sdk::put::wallet_signing_key(owner),
    );
    // Named as the owner's registration of it would be: the program address of both.
    let abandoned_id = basalt_core::BlobId::from_bytes(
        pda::blob(&owner.pubkey(), abandoned.cid.digest()).to_bytes(),
    );
    let header = abandoned
        .shard_header(abandoned_id, 0, 0)
        .expect("in range");
    let identity: basalt::anchor_lang::prelude::Pubkey = node.address.parse()?;
    client
        .put_shard(
            &header,
            chunks[0].shard(0).to_vec().into(),
            &identity.to_bytes(),
            Duration::from_secs(10),
        )
        .await?;

    // Each node holds one shard index of every blob: 2 chunks × 3 blobs + 1 abandoned.
    let before: u64 = t.shards_per_node(owner).await?.iter().sum();
    assert_eq!(before, 4 * 2 * 3 + 1);

    // Deleted on chain only (refund, then delete): the nodes are not told.
    let blob = deleted.blob;
    let mint = chain.stake_mint().await?;
    let tokens = associated_token_address(&owner.pubkey(), &mint);
    // The holders that accepted a shard so far, whose obligations end with the blob; a
    // node accepting in between makes the program refuse the list (HoldersMismatch), and
    // the list is read again.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let holders = chain
            .blob(&deleted.id)
            .await?
            .context("the deleted blob was registered")?
            .accepted_holders();
        let sent = chain
            .send(
                &[
                    ix::deal_refund(&owner.pubkey(), &blob, &owner.pubkey(), &tokens, false),
                    ix::blob_delete(
                        &owner.pubkey(),
                        &blob,
                        &owner.pubkey(),
                        false,
                        &holders,
                        &[],
                    ),
                ],
                owner,
                &[],
            )
            .await;
        match sent {
            Err(ChainError::Program { name, .. }) if name == "HoldersMismatch" && attempts < 4 => {}
            sent => break sent.map(drop)?,
        }
    }

    // Within a few GC passes only the live blob is left.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now: u64 = t.shards_per_node(owner).await?.iter().sum();
        if now == 4 * 2 {
            break;
        }
        if Instant::now() > deadline {
            bail!("nodes still hold {now} shards; expected only the live blob's 8");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(t.get(owner, &live.id).await?.0.len(), 100_000);
    assert!(
        chain.blob(&expiring.id).await?.is_some(),
        "expired, not deleted"
    );
    Ok(())
}
