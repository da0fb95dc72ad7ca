//! Repair on a real local network: a shard whose bytes rot on a node's disk is detected
//! when read, no longer served, and rebuilt by that node from the blob's other holders.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use basalt_app_tests::{flip_on_disk, random_bytes, TestNet};
use basalt_core::StoredManifest;
use basalt_sdk::{NodeClient, NodeError, PutOptions};

const TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_shard_is_detected_and_rebuilt_from_the_other_holders() -> Result<()> {
    let mut t = TestNet::start(4, 1).await?;
    let owner = &t.wallets[0];
    let options = PutOptions {
        k: Some(2),
        m: Some(2),
        chunk_size: 64 << 10,
        epochs: 1_000,
        ..t.put_options()
    };
    let put = t.put(owner, random_bytes(150_000), &options).await?;
    let blob = t
        .net
        .client()
        .blob(put.cid.digest())
        .await?
        .context("registered")?;
    let holder = blob.shards[1].provider.to_string();
    let node = t
        .net
        .nodes
        .iter()
        .position(|n| n.address == holder)
        .context("a node holds index 1")?;
    let key = basalt_sdk::put::wallet_signing_key(owner);
    let client =
        |t: &TestNet| NodeClient::new(reqwest::Client::new(), &t.net.nodes[node].url, key.clone());
    let manifest =
        StoredManifest::decode(&client(&t).get_manifest(&put.cid, TIMEOUT).await?)?.manifest;
    let original = client(&t)
        .get_shard(&manifest, 0, 1, TIMEOUT)
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
    match client(&t).get_shard(&manifest, 0, 1, TIMEOUT).await {
        Err(NodeError::Refused { status, .. })
            if status == reqwest::StatusCode::INTERNAL_SERVER_ERROR => {}
        other => bail!("the rotten shard was served or not refused as corrupt: {other:?}"),
    }
    let stats = client(&t).stats(TIMEOUT).await?;
    ensure!(stats.marked_for_repair >= 1, "{stats:?}");

    // The node rebuilds it from k shards of the other holders.
    let deadline = Instant::now() + Duration::from_secs(60);
    let repaired = loop {
        if let Ok(shard) = client(&t).get_shard(&manifest, 0, 1, TIMEOUT).await {
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
    let (back, _) = t.get(owner, &put.cid).await?;
    ensure!(back.len() == 150_000, "the blob reads back whole");
    Ok(())
}
