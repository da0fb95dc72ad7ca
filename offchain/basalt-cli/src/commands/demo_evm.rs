//! `basalt --chain evm demo`: the demo on the EVM contracts. A throwaway EVM local network
//! (anvil mining a block a second, 10-block epochs), a sample file stored by a fresh
//! account, an epoch of storage proofs and the deal's payouts for it, a holder killed for
//! good and its shard repaired onto a spare, 4 more holders killed, the file read back and
//! compared byte for byte, with timings. The Solana demo also runs a compute job; on the
//! EVM it is not shown yet.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use basalt_core::evm_auth::SigningKey;
use basalt_evm_client::alloy::primitives::{Address, B256};
use basalt_evm_client::deploy::Network;
use basalt_evm_client::session::BlobRead;
use basalt_localnet::{EvmLocalnet, EvmLocalnetOptions};
use basalt_sdk::backend::evm::EvmBackend;
use basalt_sdk::{GetOptions, PutOptions};
use rand_core::{OsRng, RngCore};
use serde_json::json;

use super::demo::{same_bytes, write_sample, DemoArgs, STEP_TIMEOUT};
use crate::output::{mb_per_s, print};

pub async fn run(args: &DemoArgs, json_out: bool) -> Result<()> {
    if args.kill >= args.nodes {
        bail!(
            "cannot kill {} of {} nodes and still read",
            args.kill,
            args.nodes
        );
    }
    let dir = tempfile::Builder::new()
        .prefix("basalt-evm-demo-")
        .tempdir()
        .context("creating a temporary directory")?;
    let say = |line: String| {
        if !json_out {
            eprintln!("{line}");
        }
    };

    let t = Instant::now();
    let key = SigningKey::random(&mut OsRng);
    let owner = Address::from(basalt_core::evm_auth::address_of(key.verifying_key()));
    let mut options = EvmLocalnetOptions::new(dir.path().join("net"));
    options.nodes = args.nodes;
    options.fund = vec![owner];
    // 10-second epochs whose proofs are due in the first 6 s, provers and cranks passing
    // every second: an epoch of proofs and payouts within half a minute.
    options.network = Network {
        epoch_blocks: 10,
        proof_window_blocks: 6,
        ..Network::local()
    };
    options.node_settings.prove_interval_secs = 1;
    options.node_settings.crank_interval_secs = 1;
    say(format!(
        "starting an EVM local network (anvil) with {} storage nodes …",
        args.nodes
    ));
    let mut net = EvmLocalnet::start(&options).await?;
    let network_s = t.elapsed().as_secs_f64();
    say(format!(
        "  up in {network_s:.1} s (chain on {})",
        net.rpc_url()
    ));
    let backend = EvmBackend::new(
        net.rpc_url(),
        net.deployed.config,
        net.info.start_block,
        key,
    )?;

    let size = args.size_mib << 20;
    let input = dir.path().join("sample.bin");
    write_sample(&input, size)?;
    say(format!("storing a {} MiB sample file …", args.size_mib));
    let path = input.clone();
    let put = basalt_sdk::put_on(
        &backend,
        move || std::fs::File::open(&path),
        size,
        &PutOptions::default(),
        |_| {},
    )
    .await?;
    say(format!(
        "  blob {} in {:.2} s ({:.1} MB/s) + {} ms to register, place and fund",
        put.id,
        put.upload.as_secs_f64(),
        mb_per_s(size, put.upload),
        put.confirm.as_millis()
    ));

    say("waiting for an epoch of storage proofs and its payouts …".into());
    let t_proofs = Instant::now();
    let id = B256::from(*put.id.as_bytes());
    let proved = wait_for(&backend, id, "every holder's first proof", |b| {
        b.slots.iter().all(|s| s.provenMask != 0)
    })
    .await?;
    let proved_s = t_proofs.elapsed().as_secs_f64();
    let epoch = proved
        .slots
        .iter()
        .map(|s| s.lastProvenEpoch)
        .max()
        .unwrap_or(0);
    let holders = proved.slots.len() as u128;
    let paid = wait_for(&backend, id, "the payouts", |b| {
        b.deal.totalPaid >= holders * b.deal.pricePerShardEpoch
    })
    .await?
    .deal
    .totalPaid;
    say(format!(
        "  every holder proved epoch {epoch} {proved_s:.1} s after the put; the deal paid {paid} tokens ({:.1} s)",
        t_proofs.elapsed().as_secs_f64()
    ));

    // The holder of shard 0 dies for good: its missed proof is slashed, a crank evicts it
    // and places the index on a spare node, which rebuilds the column from the others.
    let lost = put.providers[0].to_string();
    let node = net
        .nodes
        .iter_mut()
        .find(|n| n.address == lost)
        .context("no node holds shard 0")?;
    node.kill()?;
    say(format!(
        "killed the holder of shard 0 ({}) for good …",
        node.url
    ));
    let t_repair = Instant::now();
    let repaired = wait_for(&backend, id, "the repair of shard 0", |b| {
        let slot = &b.slots[0];
        slot.accepted
            && slot
                .holder()
                .is_some_and(|h| h.to_string().to_lowercase() != lost)
    })
    .await?;
    let repaired_s = t_repair.elapsed().as_secs_f64();
    let new_holder = repaired.slots[0]
        .holder()
        .map(|h| h.to_string().to_lowercase())
        .unwrap_or_default();
    say(format!(
        "  shard 0 rebuilt and accepted by {new_holder} {repaired_s:.1} s later"
    ));

    // Kill the holders of `kill` random shard indices (not the repaired one: its holder
    // is new).
    let mut victims: Vec<usize> = (1..put.providers.len()).collect();
    for i in (1..victims.len()).rev() {
        victims.swap(i, (OsRng.next_u64() % (i as u64 + 1)) as usize);
    }
    victims.truncate(args.kill);
    victims.sort_unstable();
    let mut killed = Vec::new();
    for &shard in &victims {
        let holder = put.providers[shard].to_string();
        if let Some(node) = net.nodes.iter_mut().find(|n| n.address == holder) {
            node.kill()?;
            killed.push(json!({ "shard": shard, "node": node.url }));
        }
    }
    say(format!(
        "killed {} nodes (holders of shards {victims:?})",
        killed.len()
    ));

    let output = dir.path().join("read-back.bin");
    let file = std::fs::File::create(&output)?;
    let get = basalt_sdk::get_from(
        &backend,
        &put.id,
        std::io::BufWriter::new(file),
        &GetOptions::default(),
        |_| {},
    )
    .await?;
    say(format!(
        "read it back in {:.2} s ({:.1} MB/s) with {} requests failing over to parity",
        get.elapsed.as_secs_f64(),
        mb_per_s(get.bytes, get.elapsed),
        get.failed_requests
    ));
    let identical = same_bytes(&input, &output)?;
    let t_stop = Instant::now();
    tokio::task::spawn_blocking(move || net.stop()).await?;
    let report = json!({
        "chain": "evm",
        "file_bytes": size,
        "id": put.id.to_string(),
        "cid": put.cid.to_string(),
        "network_start_s": network_s,
        "put_s": put.upload.as_secs_f64(),
        "put_mb_s": mb_per_s(size, put.upload),
        "confirm_ms": put.confirm.as_millis() as u64,
        "proofs": { "epoch": epoch, "proved_s": proved_s, "paid": paid.to_string() },
        "repair": { "lost": lost, "holder": new_holder, "repaired_s": repaired_s },
        "killed": killed,
        "get_s": get.elapsed.as_secs_f64(),
        "get_mb_s": mb_per_s(get.bytes, get.elapsed),
        "failed_requests": get.failed_requests,
        "identical": identical,
        "stop_s": t_stop.elapsed().as_secs_f64(),
    });
    print(json_out, &report, || {
        format!(
            "\nBasalt demo on the EVM\n  file:       {} MiB, {}\n  put:        {:.1} MB/s ({:.2} s), registered, placed and funded in {} ms\n  proofs:     every holder proved epoch {epoch} ({proved_s:.1} s after the put); the deal paid {paid} tokens for it\n  repair:     shard 0 rebuilt and accepted on another node {repaired_s:.1} s after its holder died\n  killed:     {} more of {} nodes\n  get:        {:.1} MB/s ({:.2} s)\n  byte-for-byte identical: {}",
            args.size_mib,
            put.cid,
            mb_per_s(size, put.upload),
            put.upload.as_secs_f64(),
            put.confirm.as_millis(),
            args.kill,
            args.nodes,
            mb_per_s(get.bytes, get.elapsed),
            get.elapsed.as_secs_f64(),
            if identical { "yes" } else { "NO" }
        )
    });
    if !identical {
        bail!("the file read back differs from the one stored");
    }
    Ok(())
}

/// Polls the blob, its slots and deal every 200 ms until `done` says so.
async fn wait_for(
    backend: &EvmBackend,
    id: B256,
    what: &str,
    done: impl Fn(&BlobRead) -> bool,
) -> Result<BlobRead> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let read = backend
            .session()
            .read_blob(id)
            .await?
            .context("the blob is registered")?;
        if done(&read) {
            return Ok(read);
        }
        if Instant::now() > deadline {
            bail!("{what} did not happen within {} s", STEP_TIMEOUT.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
