//! put and get through a local network of 14 storage nodes: sizes from empty to several
//! chunks, reads with 4 nodes killed, and a restart of the whole network.

use anyhow::Result;
use basalt_app_tests::{options, random_bytes, TestNet};
use basalt_localnet::Localnet;
use basalt_sdk::PutOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_of_every_size_survive_four_dead_nodes_and_a_restart() -> Result<()> {
    let mut t = TestNet::start(14, 1).await?;
    let wallet = t.wallets[0].insecure_clone();
    let small_chunks = PutOptions {
        chunk_size: 256 << 10,
        ..t.put_options()
    };
    let files = [
        ("empty", Vec::new()),
        ("tiny", b"hello, basalt".to_vec()),
        ("multi-chunk", random_bytes(3 * (256 << 10) + 12_345)),
    ];
    // Without the network's lookup table, 14 provider accounts do not fit in one
    // transaction: the SDK registers over two, and the blob reads the same.
    let no_table = PutOptions {
        lookup_table: None,
        ..small_chunks.clone()
    };
    let data = random_bytes(50_000);
    let report = t.put(&wallet, data.clone(), &no_table).await?;
    assert_eq!(
        t.get(&wallet, &report.id).await?.0,
        data,
        "two-transaction registration"
    );

    let mut stored = Vec::new();
    for (name, data) in files {
        let report = t.put(&wallet, data.clone(), &small_chunks).await?;
        assert_eq!(report.providers.len(), 14, "{name}: one provider per shard");
        // Each holder's node saw the placement, checked its column against the placed
        // root and accepted it with its own key before the put returned.
        assert!(
            report.fully_accepted(),
            "{name}: {} of 14 holders accepted",
            report.accepted
        );
        let (back, _) = t.get(&wallet, &report.id).await?;
        assert_eq!(back, data, "{name} read back");
        stored.push((name, report, data));
    }

    // Kill the holders of shards 0..4: every chunk must be decoded from parity.
    let (_, multi, data) = &stored[2];
    for holder in &multi.providers[..4] {
        let address = holder.to_string();
        let node = t
            .net
            .nodes
            .iter_mut()
            .find(|n| n.address == address)
            .expect("every provider is a local node");
        node.kill()?;
    }
    let (back, report) = t.get(&wallet, &multi.id).await?;
    assert_eq!(&back, data);
    assert!(
        report.failed_requests >= 4,
        "each chunk asked a dead node first: {report:?}"
    );

    // Restart the whole network on the same directory: every blob is still readable.
    let dir = t.net.dir().to_owned();
    let wallets = std::mem::take(&mut t.wallets);
    t.net.stop();
    let restarted = Localnet::start(&options(dir.parent().expect("net dir"), 14, &[])).await?;
    let t = TestNet {
        net: restarted,
        wallets,
        dir: t.dir,
    };
    for (name, report, data) in &stored {
        let (back, _) = t.get(&wallet, &report.id).await?;
        assert_eq!(&back, data, "{name} after restart");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_provider_in_the_registry_does_not_fail_a_put() -> Result<()> {
    // 7 registered providers for 6 shards; one of them is down but still registered.
    let mut t = TestNet::start(7, 1).await?;
    let wallet = t.wallets[0].insecure_clone();
    let dead = t.net.nodes[0].address.clone();
    t.net.nodes[0].kill()?;
    let options = PutOptions {
        k: Some(4),
        m: Some(2),
        chunk_size: 64 << 10,
        attempts: 2,
        ..t.put_options()
    };
    // Each put picks 6 of the 7 at random: most include the dead one, whose column then
    // moves to the provider left over.
    for _ in 0..4 {
        let data = random_bytes(150_000);
        let report = t.put(&wallet, data.clone(), &options).await?;
        assert!(
            report.providers.iter().all(|p| p.to_string() != dead),
            "the dead provider was placed"
        );
        assert_eq!(t.get(&wallet, &report.id).await?.0, data);
    }
    Ok(())
}
