//! `basalt demo`: a throwaway local network with short epochs, a sample file stored, one
//! epoch of storage proofs and the deal's payouts for it, a holder killed for good and its
//! shard repaired onto a spare, a compute job (SHA-256 of the file's first MiB) run by the
//! network's three workers, 4 more holders killed, the file read back and compared byte
//! for byte, with timings.

use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use basalt::client::decode::BasaltEvent;
use basalt::client::pda;
use basalt::instructions::JobPostArgs;
use basalt::state::{Blob, Deal, JobStatus};
use basalt_core::{BlobId, Cid};
use basalt_localnet::{Localnet, LocalnetOptions};
use basalt_sdk::{ChainClient, GetOptions, PutOptions, PutReport};
use rand_core::{OsRng, RngCore};
use serde_json::json;
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::output::{mb_per_s, print};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Size of the sample file in MiB.
    #[arg(long, default_value_t = 64)]
    pub size_mib: u64,
    /// Storage nodes to start: the 14 holders of RS(10, 4) and spares a lost shard can be
    /// repaired onto.
    #[arg(long, default_value_t = 16)]
    pub nodes: usize,
    /// Storage nodes to kill before reading the file back.
    #[arg(long, default_value_t = 4)]
    pub kill: usize,
}

pub async fn run(args: &DemoArgs, json_out: bool) -> Result<()> {
    if args.kill >= args.nodes {
        bail!(
            "cannot kill {} of {} nodes and still read",
            args.kill,
            args.nodes
        );
    }
    let dir = tempfile::Builder::new()
        .prefix("basalt-demo-")
        .tempdir()
        .context("creating a temporary directory")?;
    crate::output::set_console(basalt_localnet::redirect_program_stdout(
        &dir.path().join("program.log"),
    )?);
    let say = |line: String| {
        if !json_out {
            eprintln!("{line}");
        }
    };

    let t = Instant::now();
    let wallet = Keypair::new();
    let mut options = LocalnetOptions::new(dir.path().join("net"));
    options.nodes = args.nodes;
    options.fund = vec![wallet.pubkey()];
    // 5-second epochs whose proofs are due in the first 3 s (100 ms slots), provers and
    // cranks passing every second: an epoch of proofs and payouts within seconds.
    options.params.epoch_slots = 50;
    options.params.proof_window_slots = 30;
    options.node_settings.prove_interval_secs = 1;
    options.node_settings.crank_interval_secs = 1;
    say(format!(
        "starting a local network with {} storage nodes …",
        args.nodes
    ));
    let mut net = Localnet::start(&options).await?;
    let network_s = t.elapsed().as_secs_f64();
    say(format!(
        "  up in {network_s:.1} s (chain on {})",
        net.info.rpc_url
    ));

    let size = args.size_mib << 20;
    let input = dir.path().join("sample.bin");
    write_sample(&input, size)?;
    say(format!("storing a {} MiB sample file …", args.size_mib));
    let chain = net.client();
    let put_options = PutOptions {
        lookup_table: net.lookup_table(),
        ..PutOptions::default()
    };
    let path = input.clone();
    let put = basalt_sdk::put(
        &chain,
        &wallet,
        move || std::fs::File::open(&path),
        size,
        &put_options,
        |_| {},
    )
    .await?;
    say(format!(
        "  blob {} in {:.2} s ({:.1} MB/s) + {} ms to confirm",
        put.id,
        put.upload.as_secs_f64(),
        mb_per_s(size, put.upload),
        put.confirm.as_millis()
    ));

    let economy = proofs_and_payouts(&chain, &put, &say).await?;
    let repair = repair_one(&chain, &mut net, &put, &say).await?;
    let compute = compute_one(&chain, &wallet, &net, &input, &say).await?;

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
        let authority = put.providers[shard].to_string();
        if let Some(node) = net.nodes.iter_mut().find(|n| n.address == authority) {
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
    let get = basalt_sdk::get(
        &chain,
        &wallet,
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
        "file_bytes": size,
        "id": put.id.to_string(),
        "cid": put.cid.to_string(),
        "network_start_s": network_s,
        "put_s": put.upload.as_secs_f64(),
        "put_mb_s": mb_per_s(size, put.upload),
        "confirm_ms": put.confirm.as_millis() as u64,
        "proofs": economy,
        "repair": repair,
        "compute": compute,
        "killed": killed,
        "get_s": get.elapsed.as_secs_f64(),
        "get_mb_s": mb_per_s(get.bytes, get.elapsed),
        "failed_requests": get.failed_requests,
        "identical": identical,
        "stop_s": t_stop.elapsed().as_secs_f64(),
    });
    print(json_out, &report, || {
        format!(
            "\nBasalt demo\n  file:       {} MiB, {}\n  put:        {:.1} MB/s ({:.2} s), chain confirmation {} ms\n  proofs:     every holder proved epoch {} ({:.1} s after the put); the deal paid {} tokens for it\n  repair:     shard 0 rebuilt and accepted on another node {:.1} s after its holder died\n  compute:    {}\n  killed:     {} more of {} nodes\n  get:        {:.1} MB/s ({:.2} s)\n  byte-for-byte identical: {}",
            args.size_mib,
            put.cid,
            mb_per_s(size, put.upload),
            put.upload.as_secs_f64(),
            put.confirm.as_millis(),
            economy["epoch"],
            economy["proved_s"].as_f64().unwrap_or_default(),
            economy["paid"],
            repair["repaired_s"].as_f64().unwrap_or_default(),
            compute["summary"].as_str().unwrap_or_default(),
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

/// The SHA-256 example job, compiled from its text at build time.
const SHA256_WAT: &str = include_str!("../../../../examples/jobs/sha256.wat");

/// Posts a job over the sample's first MiB (stored public) running the SHA-256 example
/// on the network's workers, n = 3, k = 2, with its output stored for ten epochs, waits
/// until every place is settled and reads the output back.
async fn compute_one(
    chain: &ChainClient,
    wallet: &Keypair,
    net: &Localnet,
    sample: &Path,
    say: &impl Fn(String),
) -> Result<serde_json::Value> {
    const REWARD: u64 = 10 * basalt_localnet::TOKEN;
    let mut input = Vec::new();
    std::fs::File::open(sample)?
        .take(1 << 20)
        .read_to_end(&mut input)?;
    let module = basalt_sandbox::module_from_bytes(SHA256_WAT.as_bytes())?;
    say(format!(
        "posting a compute job: SHA-256 of the file's first MiB on {} workers, 2 must agree …",
        net.workers.len()
    ));
    let options = PutOptions {
        encrypt: false,
        public: true,
        lookup_table: net.lookup_table(),
        ..PutOptions::default()
    };
    let t = Instant::now();
    let mut cids = Vec::new();
    for bytes in [module, input.clone()] {
        let size = bytes.len() as u64;
        let put = basalt_sdk::put(
            chain,
            wallet,
            move || Ok(std::io::Cursor::new(bytes.clone())),
            size,
            &options,
            |_| {},
        )
        .await?;
        cids.push(*put.cid.digest());
    }
    let config = chain
        .config()
        .await?
        .context("the Basalt Config is not initialized")?;
    const OUTPUT_PRICE: u64 = 10;
    let output_budget =
        OUTPUT_PRICE * 10 * (u64::from(config.default_k) + u64::from(config.default_m));
    let now = chain.slot().await?;
    let job = chain
        .post_job(
            wallet,
            JobPostArgs {
                nonce: 1,
                module_cid: cids[0],
                input_cid: cids[1],
                fuel_limit: 1_000_000_000,
                n: 3,
                k: 2,
                reward_per_worker: REWARD,
                apply_deadline_slot: now + 30,
                commit_deadline_slot: now + 130,
                reveal_deadline_slot: now + 230,
                output_budget,
                output_price_per_shard_epoch: OUTPUT_PRICE,
                output_deadline_slot: now + 530,
                output_encrypted: false,
                publication: None,
            },
        )
        .await?;
    let deadline = Instant::now() + STEP_TIMEOUT;
    while chain.job(&job).await?.is_some() {
        if Instant::now() > deadline {
            bail!(
                "the compute job did not finish within {} s",
                STEP_TIMEOUT.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let events = chain.job_events(&job).await?;
    let Some((status, result)) = events.iter().find_map(|e| match e {
        BasaltEvent::JobFinalized(f) => Some((f.status, f.result_hash)),
        _ => None,
    }) else {
        bail!("the compute job closed without a JobFinalized event");
    };
    let paid: Vec<serde_json::Value> = events
        .iter()
        .filter_map(|e| match e {
            BasaltEvent::JobWorkerSettled(s) => Some(
                json!({ "worker": s.worker.to_string(), "paid": s.paid, "slashed": s.slashed }),
            ),
            _ => None,
        })
        .collect();
    // What the requester checks: the agreed result is the CID of the digest's hex line.
    let expected = Cid::of(format!("{}\n", sha256_hex(&input)).as_bytes());
    if status != JobStatus::Succeeded || result != *expected.digest() {
        bail!(
            "the compute job ended {status:?} with result {}, not the SHA-256 line",
            Cid::from_digest(result)
        );
    }
    let stored = chain
        .job_output(&job)
        .await?
        .context("the compute job closed without its output stored")?;
    let output_file = sample.with_extension("job-output");
    basalt_sdk::get(
        chain,
        wallet,
        &BlobId::from_bytes(stored.blob.to_bytes()),
        std::fs::File::create(&output_file)?,
        &GetOptions::default(),
        |_| {},
    )
    .await
    .context("reading the job's output")?;
    let output = std::fs::read(&output_file)?;
    if Cid::of(&output) != expected {
        bail!("the job's stored output is not the agreed result");
    }
    let secs = t.elapsed().as_secs_f64();
    let summary = format!(
        "{} workers agreed on output {expected} ({}), stored as blob {} by {}, in {secs:.1} s; paid {}",
        paid.len(),
        String::from_utf8_lossy(&output).trim(),
        stored.blob,
        &stored.worker.to_string()[..8],
        paid.iter()
            .map(|p| format!(
                "{} {}",
                &p["worker"].as_str().unwrap_or_default()[..8],
                p["paid"]
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    say(format!("  {summary}"));
    Ok(json!({
        "job": job.to_string(),
        "output_cid": expected.to_string(),
        "output_blob": stored.blob.to_string(),
        "output": String::from_utf8_lossy(&output).trim(),
        "seconds": secs,
        "workers": paid,
        "summary": summary,
    }))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How long a demo step may take before the demo gives up on it.
pub(super) const STEP_TIMEOUT: Duration = Duration::from_secs(120);

/// Waits until every holder proved one epoch and the deal paid every holder for it (each
/// node's crank settles its own pay); returns the epoch, the time and the amount.
async fn proofs_and_payouts(
    chain: &ChainClient,
    put: &PutReport,
    say: &impl Fn(String),
) -> Result<serde_json::Value> {
    say("waiting for an epoch of storage proofs and its payouts …".into());
    let t = Instant::now();
    let blob = wait_for(chain, put, "every holder's first proof", |b, _| {
        b.shards.iter().all(|s| s.proven_mask != 0)
    })
    .await?;
    let proved_s = t.elapsed().as_secs_f64();
    let epoch = blob
        .shards
        .iter()
        .map(|s| s.last_proven_epoch)
        .max()
        .unwrap_or(0);
    let holders = blob.shards.len() as u64;
    wait_for(chain, put, "the payouts", |_, d| {
        d.is_some_and(|d| d.total_paid >= holders * d.price_per_shard_epoch)
    })
    .await?;
    let paid = deal_of(chain, put).await?.map_or(0, |d| d.total_paid);
    say(format!(
        "  every holder proved epoch {epoch} {proved_s:.1} s after the put; the deal paid {paid} tokens ({:.1} s)",
        t.elapsed().as_secs_f64()
    ));
    Ok(
        json!({ "epoch": epoch, "proved_s": proved_s, "paid": paid, "paid_s": t.elapsed().as_secs_f64() }),
    )
}

/// Kills the holder of shard 0 for good and waits until another node holds and accepted
/// it: its miss slashed, the index placed on a spare by a crank, the column rebuilt there
/// from the other holders.
async fn repair_one(
    chain: &ChainClient,
    net: &mut Localnet,
    put: &PutReport,
    say: &impl Fn(String),
) -> Result<serde_json::Value> {
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
    let t = Instant::now();
    let blob = wait_for(chain, put, "the repair of shard 0", |b, _| {
        b.shards[0].accepted && b.shards[0].provider.to_string() != lost
    })
    .await?;
    let repaired_s = t.elapsed().as_secs_f64();
    let holder = blob.shards[0].provider.to_string();
    say(format!(
        "  shard 0 rebuilt and accepted by {holder} {repaired_s:.1} s later"
    ));
    Ok(json!({ "lost": lost, "holder": holder, "repaired_s": repaired_s }))
}

/// The blob's deal, if one is open.
async fn deal_of(chain: &ChainClient, put: &PutReport) -> Result<Option<Deal>> {
    Ok(chain
        .program_account::<Deal>(&pda::deal(&put.blob), "Deal")
        .await?)
}

/// Polls the blob and its deal every 200 ms until `done` says so; the blob then.
async fn wait_for(
    chain: &ChainClient,
    put: &PutReport,
    what: &str,
    done: impl Fn(&Blob, Option<&Deal>) -> bool,
) -> Result<Blob> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let blob = chain
            .blob(&put.id)
            .await?
            .context("the blob is registered")?;
        let deal = deal_of(chain, put).await?;
        if done(&blob, deal.as_ref()) {
            return Ok(blob);
        }
        if Instant::now() > deadline {
            bail!("{what} did not happen within {} s", STEP_TIMEOUT.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Writes `size` random bytes to `path`.
pub(super) fn write_sample(path: &Path, size: u64) -> Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut block = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        OsRng.fill_bytes(&mut block);
        let n = left.min(block.len() as u64) as usize;
        file.write_all(&block[..n])?;
        left -= n as u64;
    }
    file.flush()?;
    Ok(())
}

/// Compares two files byte for byte.
pub(super) fn same_bytes(a: &Path, b: &Path) -> Result<bool> {
    if std::fs::metadata(a)?.len() != std::fs::metadata(b)?.len() {
        return Ok(false);
    }
    let (mut ra, mut rb) = (
        BufReader::new(std::fs::File::open(a)?),
        BufReader::new(std::fs::File::open(b)?),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = ra.read(&mut ba)?;
        if n == 0 {
            return Ok(true);
        }
        rb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}
