//! Repair at scale and proving throughput on a real local network.
//!
//! Stores `BENCH_BLOBS` blobs, waits for an epoch in which every holder proved, then kills
//! the node that holds the most shards for good and measures, until every blob it held is
//! whole again (its index slashed, placed on a provider outside the blob by a crank, rebuilt
//! there from `k` other holders and accepted):
//!
//! - the time from the loss to full redundancy, per blob (first, median, last);
//! - the shard bytes the new holders fetched, per lost shard, against `k` times the shard
//!   size (the textbook cost of a Reed-Solomon rebuild);
//! - the proofs per second each node sustained while proving (its proofs counted by the
//!   chain over the time its proving passes took, from its `/metrics`), and the bytes and
//!   fee of a proof transaction as the chain recorded it.
//!
//! Then every blob is read back and compared. `cargo bench -p basalt-app-tests --bench
//! repair` runs 100 blobs of 1 MiB at RS(10, 4) on 16 nodes (14 holders each, so a lost
//! index has somewhere to go outside its blob); `BENCH_BLOBS`, `BENCH_BLOB_KIB` and
//! `BENCH_NODES` change that. Under `cargo test` it runs a few small blobs at RS(2, 2).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use basalt_app_tests::{random_bytes, TestNet};
use basalt_core::BlobId;
use basalt_core::BlobLayout;
use basalt_localnet::NodeSettings;
use basalt_sdk::{PutOptions, PutReport};
use futures::stream::{self, StreamExt};

/// How long any one phase may take before the bench gives up.
const PHASE_TIMEOUT: Duration = Duration::from_secs(1200);

struct Setup {
    nodes: usize,
    /// Epoch length; proofs are due in its first 60 %.
    epoch_secs: u64,
    blobs: usize,
    blob_bytes: usize,
    k: u16,
    m: u16,
}

impl Setup {
    fn from_env(benching: bool) -> Self {
        let env = |name: &str, default: usize| {
            std::env::var(name)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(default)
        };
        let (k, m) = if benching { (10, 4) } else { (2, 2) };
        Self {
            nodes: env("BENCH_NODES", usize::from(k + m) + 2),
            epoch_secs: env("BENCH_EPOCH_SECS", if benching { 60 } else { 10 }) as u64,
            blobs: env("BENCH_BLOBS", if benching { 100 } else { 4 }),
            blob_bytes: env("BENCH_BLOB_KIB", if benching { 1024 } else { 100 }) << 10,
            k,
            m,
        }
    }
}

/// One stored blob: what was put, by which of the network's wallets, and its bytes to
/// compare with on the way back.
struct Stored {
    put: PutReport,
    owner: usize,
    data: Vec<u8>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    // `cargo bench` passes --bench; under `cargo test` this runs as a quick smoke test.
    let benching = std::env::args().any(|a| a == "--bench");
    let setup = Setup::from_env(benching);
    let wallets = 4;
    let mut t = TestNet::start_with(setup.nodes, wallets, |o| {
        // Every holder proves and settles each of its shards every epoch, all nodes on one
        // local chain: the window must hold every node's proofs at once (100 ms slots).
        o.params.epoch_slots = setup.epoch_secs * 10;
        // Proofs due in the first 60 % of the epoch, within the program's 500-slot limit.
        o.params.proof_window_slots = (setup.epoch_secs * 6).min(500);
        o.node_settings = NodeSettings {
            acl_cache_ms: 200,
            prove_interval_secs: 1,
            crank_interval_secs: 1,
            ..NodeSettings::default()
        };
    })
    .await?;
    println!(
        "{} blobs of {} KiB at RS({}, {}) on {} nodes, {}-second epochs",
        setup.blobs,
        setup.blob_bytes >> 10,
        setup.k,
        setup.m,
        setup.nodes,
        setup.epoch_secs
    );

    let started = Instant::now();
    let stored = put_all(&t, &setup).await?;
    println!("stored in {:.1} s", started.elapsed().as_secs_f64());

    let started = Instant::now();
    wait_until_all_proved(&t, &stored).await?;
    println!(
        "every holder of every blob proved an epoch {:.1} s later",
        started.elapsed().as_secs_f64()
    );
    let proving = proving_rates(&t).await?;
    let proof_tx = proof_transaction(&t, &stored[0].put).await?;

    // The node holding the most shards dies for good.
    let chain = t.net.client();
    let mut held: HashMap<String, Vec<(usize, u16)>> = HashMap::new();
    for (b, s) in stored.iter().enumerate() {
        let blob = chain.blob(&s.put.id).await?.context("registered")?;
        for (index, slot) in (0u16..).zip(&blob.shards) {
            held.entry(slot.provider.to_string())
                .or_default()
                .push((b, index));
        }
    }
    let (victim, lost) = held
        .into_iter()
        .max_by_key(|(_, shards)| shards.len())
        .context("no holder")?;
    let victim_node = t.node_of(&victim)?;
    let before = repair_counters(&t, victim_node).await?;
    t.net.nodes[victim_node].kill()?;
    let killed = Instant::now();
    let times = wait_until_repaired(&t, &stored, &victim, &lost, killed).await?;
    let after = repair_counters(&t, victim_node).await?;

    // The textbook rebuild of one column reads k shards of each of its chunks.
    let mut textbook = 0u64;
    for (b, _) in &lost {
        let blob = chain
            .blob(&stored[*b].put.id)
            .await?
            .context("registered")?;
        let layout =
            BlobLayout::with_leaf_size(blob.size, blob.chunk_size, blob.k, blob.m, blob.leaf_size)?;
        let column: u64 = (0..layout.chunk_count())
            .map(|c| u64::from(layout.shard_len(c)))
            .sum();
        textbook += u64::from(layout.k()) * column;
    }
    let fetched = after.fetched_bytes - before.fetched_bytes;
    let columns = after.columns - before.columns;
    ensure!(
        columns >= lost.len() as u64,
        "{columns} columns rebuilt for {} lost",
        lost.len()
    );

    let started = Instant::now();
    for s in &stored {
        let (back, _) = t.get(&t.wallets[s.owner], &s.put.id).await?;
        ensure!(
            back == s.data,
            "{} does not read back byte for byte",
            s.put.cid
        );
    }
    let get_s = started.elapsed().as_secs_f64();

    let lost_n = lost.len();
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| shards lost with the node | {lost_n} |");
    let spread = |v: &[f64]| {
        format!(
            "{:.1} / {:.1} / {:.1} s",
            v[0],
            v[v.len() / 2],
            v[v.len() - 1]
        )
    };
    println!(
        "| loss to the index found lost on chain: first / median / last blob | {} |",
        spread(&times.detected)
    );
    println!(
        "| loss to full redundancy: first / median / last blob | {} |",
        spread(&times.repaired)
    );
    println!(
        "| repair bytes fetched per lost shard | {} ({:.2}x k shard sizes) |",
        fetched / lost_n as u64,
        fetched as f64 / textbook as f64
    );
    let rates = &proving.rates;
    println!(
        "| proofs per second of proving time, per node: slowest / median / fastest | {:.1} / {:.1} / {:.1} (most shards on a node: {}) |",
        rates[0],
        rates[rates.len() / 2],
        rates[rates.len() - 1],
        proving.most_shards
    );
    // The nodes prove at the same time, into one chain: their sum is what it took.
    println!(
        "| proofs per second, every node's rate added | {:.1} |",
        rates.iter().sum::<f64>()
    );
    println!(
        "| one proof transaction: bytes / fee | {} B / {} lamports |",
        proof_tx.bytes, proof_tx.fee
    );
    println!("| every blob read back identical | yes ({get_s:.1} s) |");
    Ok(())
}

/// Puts every blob, four at a time, each wallet storing its share.
async fn put_all(t: &TestNet, setup: &Setup) -> Result<Vec<Stored>> {
    let options = PutOptions {
        k: Some(setup.k),
        m: Some(setup.m),
        epochs: 1_000,
        ..t.put_options()
    };
    let options = &options;
    stream::iter(0..setup.blobs)
        .map(|i| async move {
            let data = random_bytes(setup.blob_bytes);
            let owner = i % t.wallets.len();
            let put = t.put(&t.wallets[owner], data.clone(), options).await?;
            anyhow::Ok(Stored { put, owner, data })
        })
        .buffer_unordered(t.wallets.len())
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Waits until every shard of every blob has a proof on chain.
async fn wait_until_all_proved(t: &TestNet, stored: &[Stored]) -> Result<()> {
    let chain = t.net.client();
    let deadline = Instant::now() + PHASE_TIMEOUT;
    for s in stored {
        loop {
            let blob = chain.blob(&s.put.id).await?.context("registered")?;
            if blob.shards.iter().all(|slot| slot.proven_mask != 0) {
                break;
            }
            if Instant::now() > deadline {
                bail!("{} was not proven by every holder in time", s.put.cid);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    Ok(())
}

struct Proving {
    /// Each node's proofs counted by the chain per second of its proving passes, sorted.
    rates: Vec<f64>,
    most_shards: u64,
}

/// Proofs per second of proving time, from each node's counters.
async fn proving_rates(t: &TestNet) -> Result<Proving> {
    let (mut rates, mut most_shards) = (Vec::new(), 0u64);
    for node in &t.net.nodes {
        let text = metrics(&node.url).await?;
        let accepted = metric(&text, "basalt_node_proofs_accepted_total")?;
        let spent = metric(&text, "basalt_node_prove_pass_seconds_sum")?;
        most_shards = most_shards.max(metric(&text, "basalt_node_shards")? as u64);
        if spent > 0.0 {
            rates.push(accepted / spent);
        }
    }
    ensure!(!rates.is_empty(), "no node spent time proving");
    rates.sort_by(f64::total_cmp);
    Ok(Proving { rates, most_shards })
}

struct ProofTransaction {
    bytes: usize,
    fee: u64,
}

/// The serialized size and the fee of one `proof_submit` transaction of `put`'s blob, as
/// the chain returns it.
async fn proof_transaction(t: &TestNet, put: &PutReport) -> Result<ProofTransaction> {
    use basalt::anchor_lang::Discriminator;
    use solana_transaction_status_client_types::UiTransactionEncoding;
    let rpc = t.net.client();
    let rpc = rpc.rpc();
    for sig in rpc.get_signatures_for_address(&put.blob).await? {
        let signature = sig.signature.parse()?;
        let tx = rpc
            .get_transaction(&signature, UiTransactionEncoding::Base64)
            .await?
            .transaction;
        let decoded = tx.transaction.decode().context("a base64 transaction")?;
        let message = &decoded.message;
        let is_proof = message.instructions().iter().any(|ix| {
            ix.data
                .starts_with(basalt::instruction::ProofSubmit::DISCRIMINATOR)
        });
        if is_proof {
            return Ok(ProofTransaction {
                bytes: bincode::serialized_size(&decoded)? as usize,
                fee: tx.meta.context("the transaction's status")?.fee,
            });
        }
    }
    bail!("no proof transaction of {} on chain", put.cid)
}

#[derive(Clone, Copy)]
struct RepairCounters {
    fetched_bytes: u64,
    columns: u64,
}

/// Repair counters summed over every node but `except`.
async fn repair_counters(t: &TestNet, except: usize) -> Result<RepairCounters> {
    let mut sum = RepairCounters {
        fetched_bytes: 0,
        columns: 0,
    };
    for (i, node) in t.net.nodes.iter().enumerate() {
        if i == except {
            continue;
        }
        let text = metrics(&node.url).await?;
        sum.fetched_bytes += metric(&text, "basalt_node_repair_fetched_bytes_total")? as u64;
        sum.columns += metric(&text, "basalt_node_columns_rebuilt_total")? as u64;
    }
    Ok(sum)
}

/// Seconds from the loss, sorted, at which each lost index was found lost on chain
/// (slashed, or already placed elsewhere) and at which another provider accepted it.
struct RepairTimes {
    detected: Vec<f64>,
    repaired: Vec<f64>,
}

/// Waits until each lost (blob, index) is held and accepted by another provider.
async fn wait_until_repaired(
    t: &TestNet,
    stored: &[Stored],
    victim: &str,
    lost: &[(usize, u16)],
    killed: Instant,
) -> Result<RepairTimes> {
    let chain = t.net.client();
    // (blob, index, when it was first seen lost)
    let mut left: Vec<(BlobId, u16, Option<f64>)> = lost
        .iter()
        .map(|(b, index)| (stored[*b].put.id, *index, None))
        .collect();
    let mut times = RepairTimes {
        detected: Vec::with_capacity(left.len()),
        repaired: Vec::with_capacity(left.len()),
    };
    while !left.is_empty() {
        if killed.elapsed() > PHASE_TIMEOUT {
            bail!("{} shards were not repaired in time", left.len());
        }
        let mut still = Vec::with_capacity(left.len());
        for (id, index, mut detected) in left {
            let blob = chain.blob(&id).await?.context("registered")?;
            let slot = blob.shards[usize::from(index)];
            let now = killed.elapsed().as_secs_f64();
            let moved = slot.provider.to_string() != victim;
            if detected.is_none() && (slot.needs_repair || moved) {
                detected = Some(now);
            }
            if slot.accepted && moved {
                times.detected.push(detected.unwrap_or(now));
                times.repaired.push(now);
            } else {
                still.push((id, index, detected));
            }
        }
        left = still;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    times.detected.sort_by(f64::total_cmp);
    times.repaired.sort_by(f64::total_cmp);
    Ok(times)
}

async fn metrics(url: &str) -> Result<String> {
    Ok(reqwest::get(format!("{url}/metrics")).await?.text().await?)
}

/// The value of the unlabelled series `name` in a `/metrics` exposition.
fn metric(exposition: &str, name: &str) -> Result<f64> {
    basalt_node::metrics::series_value(exposition, name)
        .with_context(|| format!("{name} is absent from the node's metrics or not a number"))
}
