//! Storage nodes prove the shards they accepted, every epoch, against the real chain: each
//! derives the challenge as the program does, builds the proof from its store and sends
//! it inside the proof window.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use basalt_app_tests::{fast_epochs, random_bytes, TestNet};
use basalt_localnet::NodeSettings;
use basalt_sdk::NodeClient;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_prove_every_accepted_shard_every_epoch() -> Result<()> {
    let t = TestNet::start_with(4, 1, fast_epochs).await?;
    let owner = &t.wallets[0];
    let options = t.rs_options(2, 2);
    // 150 KB in 64 KiB chunks: three chunks, so the challenge picks among them.
    let put = t.put(owner, random_bytes(150_000), &options).await?;
    let chain = t.net.client();

    // Every holder proves each epoch from the one after the activation on: wait for three.
    let deadline = Instant::now() + Duration::from_secs(90);
    let blob = loop {
        let blob = chain
            .blob(&put.id)
            .await?
            .context("the blob is registered")?;
        if blob.shards.iter().all(|s| s.proven_mask.count_ones() >= 3) {
            break blob;
        }
        if Instant::now() > deadline {
            bail!(
                "not every holder proved three epochs in 90 s: {:?}",
                blob.shards
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    for slot in &blob.shards {
        // No epoch skipped between the first owed and the latest proven.
        let span = slot.last_proven_epoch + 1 - slot.assigned_epoch;
        assert_eq!(
            u64::from(slot.proven_mask.count_ones()),
            span.min(64),
            "every epoch from {} to {} proven: {slot:?}",
            slot.assigned_epoch,
            slot.last_proven_epoch
        );
    }

    // Each node reports what it proved, and missed nothing.
    let key = basalt_sdk::put::wallet_signing_key(owner);
    let http = reqwest::Client::new();
    for node in &t.net.nodes {
        let client = NodeClient::new(http.clone(), &node.url, key.clone());
        // A node counts a proof once it saw the transaction confirmed, which may come after
        // the chain read above showed it: wait (within the same deadline) for the count.
        let mut stats = client.stats(Duration::from_secs(10)).await?;
        while stats.proofs.proved + stats.proofs.already_proven < 3 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
            stats = client.stats(Duration::from_secs(10)).await?;
        }
        // A proof whose confirmation came late may be sent again and found counted.
        assert!(
            stats.proofs.proved + stats.proofs.already_proven >= 3,
            "{}: {:?}",
            node.url,
            stats.proofs
        );
        assert_eq!(stats.proofs.missed, 0, "{}: {:?}", node.url, stats.proofs);
        let metrics = http
            .get(format!("{}/metrics", node.url))
            .send()
            .await?
            .text()
            .await?;
        assert!(
            metrics.contains("basalt_node_proofs_accepted_total"),
            "{metrics}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restarted_in_an_epoch_still_proves_it() -> Result<()> {
    let mut t = TestNet::start_with(4, 1, |o| {
        // 6-second epochs whose proofs are due in the first 4 s.
        o.params.epoch_slots = 60;
        o.params.proof_window_slots = 40;
        o.node_settings = NodeSettings {
            acl_cache_ms: 200,
            prove_interval_secs: 1,
            ..NodeSettings::default()
        };
    })
    .await?;
    let owner = &t.wallets[0];
    let options = t.rs_options(2, 2);
    let put = t.put(owner, random_bytes(150_000), &options).await?;
    let chain = t.net.client();
    let blob = chain.blob(&put.id).await?.context("registered")?;
    let holder = blob.shards[0].provider.to_string();
    let node = t.node_of(&holder)?;

    // Down from before the next epoch starts until its window is open: the node comes
    // back in the middle of an epoch it has not proven.
    let slot = chain.slot().await?;
    let epoch = slot / 60 + 1;
    let window_open_at = epoch * 60 + 5;
    t.net.restart_node(node, |_| {
        std::thread::sleep(Duration::from_millis((window_open_at - slot) * 100));
        Ok(())
    })?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let slot = chain.blob(&put.id).await?.context("registered")?.shards[0];
        if slot.is_proven(epoch) == Some(true) {
            break;
        }
        if Instant::now() > deadline {
            bail!("the restarted node did not prove epoch {epoch}: {slot:?}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let key = basalt_sdk::put::wallet_signing_key(owner);
    let stats = NodeClient::new(reqwest::Client::new(), &t.net.nodes[node].url, key)
        .stats(Duration::from_secs(10))
        .await?;
    assert!(
        stats.proofs.proved + stats.proofs.already_proven >= 1,
        "{:?}",
        stats.proofs
    );
    Ok(())
}
