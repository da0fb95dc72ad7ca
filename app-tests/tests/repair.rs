//! Repair on a real local network: a shard whose bytes rot on a node's disk is detected
//! when read, no longer served, and rebuilt by that node from the blob's other holders.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use basalt_app_tests::{fast_epochs, flip_on_disk, random_bytes, TestNet};
use basalt_core::StoredManifest;
use basalt_sdk::{NodeClient, NodeError};

const TIMEOUT: Duration = Duration::from_secs(10);

/// Waits up to `secs` seconds for index 0 of blob `id` to be accepted by a holder other than
/// `old`, and returns it.
async fn accepted_elsewhere(
    chain: &basalt_sdk::ChainClient,
    id: &basalt_core::BlobId,
    old: &str,
    secs: u64,
) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let slot = chain.blob(id).await?.context("registered")?.shards[0];
        if slot.accepted && slot.provider.to_string() != old {
            return Ok(slot.provider.to_string());
        }
        if Instant::now() > deadline {
            bail!("index 0 was not repaired in {secs} s: {slot:?}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_shard_is_detected_and_rebuilt_from_the_other_holders() -> Result<()> {
    let mut t = TestNet::start(4, 1).await?;
    let owner = &t.wallets[0];
    let options = t.rs_options(2, 2);
    let put = t.put(owner, random_bytes(150_000), &options).await?;
    let blob = t.net.client().blob(&put.id).await?.context("registered")?;
    let holder = blob.shards[1].provider.to_string();
    let node = t.node_of(&holder)?;
    let key = basalt_sdk::put::wallet_signing_key(owner);
    let client =
        |t: &TestNet| NodeClient::new(reqwest::Client::new(), &t.net.nodes[node].url, key.clone());
    let manifest =
        StoredManifest::decode(&client(&t).get_manifest(&put.id, TIMEOUT).await?)?.manifest;
    let original = client(&t)
        .get_shard(&put.id, &manifest, 0, 1, TIMEOUT)
        .await?
        .into_data();

    // The node stops (its memtables flushed to files) and some bytes of the shard rot.
    let needle = original[1_000..1_064].to_vec();
    t.net.restart_node(node, |data| {
        let flipped = flip_on_disk(data, &needle)?;
        ensure!(flipped >= 1, "the shard's bytes were not found on disk");
        Ok(())
    })?;

    // Read once: detected, not served, queued.
    match client(&t)
        .get_shard(&put.id, &manifest, 0, 1, TIMEOUT)
        .await
    {
        Err(NodeError::Refused { status, .. })
            if status == reqwest::StatusCode::INTERNAL_SERVER_ERROR => {}
        other => bail!("the rotten shard was served or not refused as corrupt: {other:?}"),
    }
    let stats = client(&t).stats(TIMEOUT).await?;
    ensure!(stats.marked_for_repair >= 1, "{stats:?}");

    // The node rebuilds it from k shards of the other holders.
    let deadline = Instant::now() + Duration::from_secs(60);
    let repaired = loop {
        if let Ok(shard) = client(&t)
            .get_shard(&put.id, &manifest, 0, 1, TIMEOUT)
            .await
        {
            break shard.into_data();
        }
        if Instant::now() > deadline {
            bail!("the shard was not rebuilt in 60 s");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(repaired, original, "the rebuilt shard is the original");
    let stats = client(&t).stats(TIMEOUT).await?;
    assert_eq!(stats.marked_for_repair, 0, "{stats:?}");
    let metrics = reqwest::get(format!("{}/metrics", t.net.nodes[node].url))
        .await?
        .text()
        .await?;
    assert!(
        metrics.contains("basalt_node_shards_repaired_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("basalt_node_repair_queue 0"), "{metrics}");
    let (back, _) = t.get(owner, &put.id).await?;
    ensure!(back.len() == 150_000, "the blob reads back whole");
    Ok(())
}

/// Kills the holders of indices 1 to 4 of an RS(2, 4) blob whose index 0 was repaired:
/// the repaired index and one other are left, k = 2, and the blob reads back whole for
/// its owner (the first wallet).
async fn survives_four_more_losses(
    t: &mut TestNet,
    id: &basalt_core::BlobId,
    holders: &[String],
    data: &[u8],
) -> Result<()> {
    for holder in &holders[1..5] {
        let node = t.node_of(holder)?;
        t.net.nodes[node].kill()?;
    }
    let (back, _) = t.get(&t.wallets[0], id).await?;
    ensure!(back == data, "the blob reads back byte for byte");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_for_good_is_repaired_and_the_blob_survives_four_more_losses() -> Result<()> {
    let mut t = TestNet::start_with(9, 1, |o| {
        fast_epochs(o);
        o.indexer = true;
    })
    .await?;
    let owner = &t.wallets[0];
    let options = t.rs_options(2, 4);
    let data = random_bytes(300_000);
    let put = t.put(owner, data.clone(), &options).await?;
    let chain = t.net.client();
    let blob = chain.blob(&put.id).await?.context("registered")?;
    let holders: Vec<String> = blob.shards.iter().map(|s| s.provider.to_string()).collect();

    // The holder of index 0 dies and never comes back.
    let lost = t.node_of(&holders[0])?;
    let killed_at = Instant::now();
    t.net.nodes[lost].kill()?;

    // Its miss is slashed, the index placed on a spare, which rebuilds and accepts it.
    let repaired = accepted_elsewhere(&chain, &put.id, &holders[0], 90).await?;
    eprintln!(
        "index 0 repaired onto {repaired} {:?} after the loss",
        killed_at.elapsed()
    );
    ensure!(!holders.contains(&repaired), "a provider outside the blob");

    // The indexer shows the new placement.
    let indexer = t.net.info.indexer_url.clone().context("an indexer")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = reqwest::get(format!("{indexer}/v1/blobs/{}", put.id))
            .await?
            .text()
            .await?;
        let shown: serde_json::Value = serde_json::from_str(&text)?;
        if shown["placements"][0]["holder"] == repaired.as_str() {
            break;
        }
        if Instant::now() > deadline {
            bail!("the indexer does not show the repair: {shown}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    survives_four_more_losses(&mut t, &put.id, &holders, &data).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repairer_down_mid_repair_finishes_after_its_restart_without_a_second_placement(
) -> Result<()> {
    let mut t = TestNet::start_with(5, 1, |o| {
        fast_epochs(o);
        o.indexer = true;
    })
    .await?;
    let owner = &t.wallets[0];
    let options = t.rs_options(2, 2);
    let data = random_bytes(150_000);
    let put = t.put(owner, data.clone(), &options).await?;
    let chain = t.net.client();
    let holders: Vec<String> = chain
        .blob(&put.id)
        .await?
        .context("registered")?
        .shards
        .iter()
        .map(|s| s.provider.to_string())
        .collect();
    let spare = (0..t.net.nodes.len())
        .find(|i| !holders.contains(&t.net.nodes[*i].address))
        .context("one node holds nothing")?;
    let spare_address = t.net.nodes[spare].address.clone();
    let lost = t.node_of(&holders[0])?;

    // The only provider a repair can go to is down (its last heartbeat still fresh), and
    // the holder of index 0 dies.
    t.net.nodes[spare].stop()?;
    t.net.nodes[lost].kill()?;

    // The index is placed on the spare, which cannot rebuild it while down: it waits.
    let slot0 =
        || async { anyhow::Ok(chain.blob(&put.id).await?.context("registered")?.shards[0]) };
    let deadline = Instant::now() + Duration::from_secs(60);
    while slot0().await?.provider.to_string() != spare_address {
        if Instant::now() > deadline {
            bail!(
                "index 0 was not placed on the spare in 60 s: {:?}",
                slot0().await?
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let waiting = slot0().await?;
    ensure!(
        waiting.provider.to_string() == spare_address && !waiting.accepted,
        "the offer waits for its holder: {waiting:?}"
    );

    // Back up, told again by the cranks, the spare rebuilds and accepts.
    t.net.start_node(spare)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !slot0().await?.accepted {
        if Instant::now() > deadline {
            bail!(
                "the restarted spare did not accept in 60 s: {:?}",
                slot0().await?
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    ensure!(slot0().await?.provider.to_string() == spare_address);

    // Placed twice in all: by the put, and once by the repair.
    let indexer = t.net.info.indexer_url.clone().context("an indexer")?;
    let blob_address = put.blob;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = reqwest::get(format!(
            "{indexer}/v1/events?kind=ShardPlaced&account={blob_address}&limit=100"
        ))
        .await?
        .text()
        .await?;
        let events: serde_json::Value = serde_json::from_str(&text)?;
        let index0 = events["items"]
            .as_array()
            .context("a page")?
            .iter()
            .filter(|e| e["payload"]["index"] == 0)
            .count();
        if index0 == 2 {
            break;
        }
        ensure!(index0 < 2, "index 0 placed {index0} times: {events}");
        if Instant::now() > deadline {
            bail!("the indexer shows {index0} placements of index 0: {events}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (back, _) = t.get(owner, &put.id).await?;
    ensure!(back == data, "the blob reads back byte for byte");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_node_loses_its_shards_to_repair_before_its_next_proof_and_pays_the_repair(
) -> Result<()> {
    // Two-minute epochs whose proofs are due in their first 50 s (the program's longest
    // window): the killed holder's next proof is due 50 s or more after its death, so a
    // repair before then cannot come from a missed proof. A provider silent for 10 s (ten
    // heartbeats) is offline.
    let mut t = TestNet::start_with(8, 1, |o| {
        o.params.epoch_slots = 1_200;
        o.params.proof_window_slots = 500;
        o.params.config.offline_ticks = 100;
        o.node_settings = basalt_localnet::NodeSettings {
            acl_cache_ms: 200,
            prove_interval_secs: 1,
            crank_interval_secs: 1,
            heartbeat_interval_secs: 1,
            ..basalt_localnet::NodeSettings::default()
        };
        o.indexer = true;
    })
    .await?;
    let owner = &t.wallets[0];
    let options = t.rs_options(2, 4);
    let data = random_bytes(200_000);
    let put = t.put(owner, data.clone(), &options).await?;
    let chain = t.net.client();
    let blob = chain.blob(&put.id).await?.context("registered")?;
    let holders: Vec<String> = blob.shards.iter().map(|s| s.provider.to_string()).collect();
    let lost = t.node_of(&holders[0])?;
    let stake_of = |providers: &[basalt::state::Provider]| {
        providers
            .iter()
            .find(|p| p.authority.to_string() == holders[0])
            .map(|p| (p.stake, p.status, p.reputation))
    };
    let before = stake_of(&chain.providers().await?).context("registered")?;
    // What the repair costs the deal, which the silent holder pays (issue 42).
    let charge = basalt_rules::REPAIR_CREDIT_EPOCHS * blob.shards[0].accepted_price;
    ensure!(charge > 0, "the deal pays the holder");

    let killed_at = Instant::now();
    let killed_slot = t.net.client().slot().await?;
    t.net.nodes[lost].kill()?;

    let repaired = accepted_elsewhere(&chain, &put.id, &holders[0], 60).await?;
    let repaired_slot = t.net.client().slot().await?;
    eprintln!(
        "index 0 repaired onto {repaired} {:?} ({} slots) after its holder went silent",
        killed_at.elapsed(),
        repaired_slot - killed_slot
    );
    ensure!(!holders.contains(&repaired), "a provider outside the blob");
    let epoch_slots = 1_200;
    let next_deadline = (killed_slot / epoch_slots + 1) * epoch_slots + 500;
    ensure!(
        repaired_slot <= next_deadline,
        "repaired at slot {repaired_slot}, after the first proof deadline ({next_deadline}) \
         the dead holder could have missed"
    );
    ensure!(
        stake_of(&chain.providers().await?) == Some((before.0 - charge, before.1, before.2)),
        "the silent holder pays the repair and keeps its status and reputation"
    );

    // The indexer shows the eviction, no missed proof, and the new placement.
    let indexer = t.net.info.indexer_url.clone().context("an indexer")?;
    let blob_address = put.blob;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let get = |path: String| async move {
            let text = reqwest::get(path).await?.text().await?;
            anyhow::Ok(serde_json::from_str::<serde_json::Value>(&text)?)
        };
        let evicted = get(format!(
            "{indexer}/v1/events?kind=ShardEvicted&account={blob_address}&limit=100"
        ))
        .await?;
        let missed = get(format!(
            "{indexer}/v1/events?kind=ProofMissed&account={blob_address}&limit=100"
        ))
        .await?;
        let shown = get(format!("{indexer}/v1/blobs/{}", put.id)).await?;
        let evictions = evicted["items"].as_array().map_or(0, Vec::len);
        ensure!(
            missed["items"].as_array().is_some_and(Vec::is_empty),
            "no proof was missed: {missed}"
        );
        if evictions == 1 && shown["placements"][0]["holder"] == repaired.as_str() {
            let payload = &evicted["items"][0]["payload"];
            ensure!(
                payload["provider"] == holders[0].as_str() && payload["charged"] == charge,
                "{evicted}"
            );
            break;
        }
        ensure!(evictions <= 1, "evicted {evictions} times: {evicted}");
        if Instant::now() > deadline {
            bail!("the indexer does not show the eviction and repair: {evicted} {shown}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    survives_four_more_losses(&mut t, &put.id, &holders, &data).await
}
