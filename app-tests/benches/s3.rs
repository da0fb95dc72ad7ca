//! Put and get of one file (1 GiB by default, `BENCH_SIZE_MIB`) through the S3 gateway
//! with the AWS CLI (`aws s3 cp`), side by side in one run with the direct path the same
//! file takes on the same local network of 14 storage nodes: the SDK's put and get, which
//! `basalt put` and `basalt get` call. Prints MB/s of file bytes, the ratio (target: the
//! gateway at least 0.8 of the direct path) and the gateway's peak resident memory.
//!
//! `cargo bench -p basalt-app-tests --bench s3` (the clients of `scripts/s3-clients.sh`).
//! Under `cargo test` it runs as an 8 MiB smoke test.

use std::path::Path;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use basalt_app_tests::random_bytes;
use basalt_app_tests::s3::GatewayNet;
use basalt_core::BlobId;
use basalt_sdk::GetOptions;
use futures::StreamExt;

/// Runs the AWS CLI; returns how long it took, in seconds.
fn aws(net: &GatewayNet, config: &Path, args: &[&str]) -> Result<f64> {
    let start = Instant::now();
    let output = net.aws(config).args(args).output()?;
    ensure!(
        output.status.success(),
        "aws {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(start.elapsed().as_secs_f64())
}

/// Puts `data` as blobs of `blob_size` bytes, `at_once` at a time, as the gateway stores
/// a multipart upload's parts; returns how long it took, in seconds, and the blobs.
async fn put_as_blobs(
    net: &GatewayNet,
    data: &[u8],
    blob_size: usize,
    at_once: usize,
) -> Result<(f64, Vec<BlobId>)> {
    let chain = net.t.net.client();
    let options = net.t.put_options();
    let start = Instant::now();
    let puts = data.chunks(blob_size).map(|piece| {
        let (chain, options, piece) = (&chain, &options, piece.to_vec());
        async move {
            let size = piece.len() as u64;
            let piece = std::sync::Arc::new(piece);
            let open = move || Ok(std::io::Cursor::new(piece.as_ref().clone()));
            basalt_sdk::put(chain, &net.wallet, open, size, options, |_| {}).await
        }
    });
    let stored: Vec<_> = futures::stream::iter(puts)
        .buffer_unordered(at_once)
        .collect()
        .await;
    let seconds = start.elapsed().as_secs_f64();
    let ids = stored
        .into_iter()
        .map(|put| put.map(|report| report.id))
        .collect::<Result<_, _>>()?;
    Ok((seconds, ids))
}

/// Deletes `blobs` once their row is measured: each blob left stored is proven by every
/// holder in every epoch, load the next rows would otherwise run under.
async fn delete_all(net: &GatewayNet, blobs: &[BlobId]) -> Result<()> {
    let chain = net.t.net.client();
    let deletions = blobs
        .iter()
        .map(|id| basalt_sdk::access::delete(&chain, &net.wallet, id));
    let deleted: Vec<_> = futures::stream::iter(deletions)
        .buffer_unordered(4)
        .collect()
        .await;
    for deletion in deleted {
        deletion?;
    }
    Ok(())
}

/// The peak resident memory of process `pid`, in MiB.
fn peak_rss_mib(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/PID/status")?;
    Ok(kib / 1024.0)
}

/// Epochs of the benchmark's network, in slots: 5 minutes, where the local network's
/// default is one. Every stored shard is proven once an epoch, one transaction each, within
/// the proof window; with a gigabyte stored in 8 MiB parts (128 blobs of 14 shards, several
/// times over), one-minute epochs ask the one local chain for more proofs per window than
/// it runs on this machine (docs/benchmarks.md), and holders that miss proofs are slashed
/// and jailed.
const EPOCH_SLOTS: u64 = 3_000;
/// The program's longest proof window.
const PROOF_WINDOW_SLOTS: u64 = basalt::state::MAX_PROOF_WINDOW_SLOTS;

#[tokio::main]
async fn main() -> Result<()> {
    let mib = basalt_app_tests::bench_size_mib(1024, 8);
    // The smoke test under `cargo test` skips the second client setting.
    let benching = std::env::args().any(|a| a == "--bench");
    let size = mib << 20;
    let mut net = GatewayNet::start_with(14, None, None, None, |o| {
        o.params.epoch_slots = EPOCH_SLOTS;
        o.params.proof_window_slots = PROOF_WINDOW_SLOTS;
    })
    .await?;
    let work = tempfile::tempdir()?;
    let file = work.path().join("file.bin");
    let data = random_bytes(size);
    std::fs::write(&file, &data)?;
    let synced = std::process::Command::new("sync").status()?;
    ensure!(synced.success(), "sync(1) failed: {synced}");

    // The direct path: what `basalt put FILE` and `basalt get` do.
    let chain = net.t.net.client();
    let start = Instant::now();
    let opened = file.clone();
    let put = basalt_sdk::put(
        &chain,
        &net.wallet,
        move || std::fs::File::open(&opened),
        size as u64,
        &net.t.put_options(),
        |_| {},
    )
    .await?;
    let direct_put_s = start.elapsed().as_secs_f64();
    let back = work.path().join("direct.bin");
    let start = Instant::now();
    basalt_sdk::get(
        &chain,
        &net.wallet,
        &put.id,
        std::fs::File::create(&back)?,
        &GetOptions::default(),
        |_| {},
    )
    .await?;
    let direct_get_s = start.elapsed().as_secs_f64();
    ensure!(std::fs::read(&back)? == data, "the direct get differs");
    delete_all(&net, &[put.id]).await?;
    let mb = size as f64 / 1e6;
    println!("file {mib} MiB, 14 local nodes, RS(10, 4)");
    println!(
        "{:<32}{:>10}{:>10}{:>10}{:>10}",
        "", "put MB/s", "get MB/s", "put x", "get x"
    );
    println!(
        "{:<32}{:>10.1}{:>10.1}{:>10}{:>10}",
        "basalt put / get (SDK)",
        mb / direct_put_s,
        mb / direct_get_s,
        "1.00",
        "1.00"
    );

    // The gateway: the AWS CLI as a user runs it (8 MiB parts, 10 requests in flight),
    // and with larger parts.
    let mut failed = None;
    for part_mib in [8usize, 64] {
        if part_mib > 8 && !benching {
            continue;
        }
        let config = work.path().join(format!("aws-{part_mib}"));
        std::fs::write(
            &config,
            format!(
                "[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n    \
                 multipart_chunksize = {part_mib}MB\n"
            ),
        )?;
        let bucket = format!("s3://bench-{part_mib}");
        let object = format!("{bucket}/file.bin");
        let file_arg = file.display().to_string();
        let down = work.path().join(format!("s3-{part_mib}.bin"));
        let down_arg = down.display().to_string();
        let timed = aws(&net, &config, &["s3", "mb", &bucket])
            .and_then(|_| aws(&net, &config, &["s3", "cp", &file_arg, &object]))
            .and_then(|put_s| {
                let get_s = aws(&net, &config, &["s3", "cp", &object, &down_arg])?;
                ensure!(std::fs::read(&down)? == data, "the gateway's get differs");
                std::fs::remove_file(&down)?;
                Ok((put_s, get_s))
            });
        // The gateway's bound for this part size: the same file put through the SDK as
        // blobs of one part each, as many at once as the gateway stores (its
        // `storage.concurrent_puts`).
        let (bound_s, bound_blobs) = put_as_blobs(&net, &data, part_mib << 20, 2).await?;
        delete_all(&net, &bound_blobs).await?;
        println!(
            "{:<32}{:>10.1}{:>10}{:>10.2}",
            format!("SDK, {part_mib} MiB blobs, 2 at once"),
            mb / bound_s,
            "",
            direct_put_s / bound_s
        );
        let name = format!("aws s3 cp, {part_mib} MiB parts");
        match timed {
            Ok((put_s, get_s)) => println!(
                "{name:<32}{:>10.1}{:>10.1}{:>10.2}{:>10.2}",
                mb / put_s,
                mb / get_s,
                direct_put_s / put_s,
                direct_get_s / get_s
            ),
            Err(e) => {
                println!("{name:<32}failed: {e}");
                failed.get_or_insert(e);
                continue;
            }
        }
        aws(&net, &config, &["s3", "rb", "--force", &bucket])?;
    }
    let pid = net.gateway()?.pid().context("the gateway runs")?;
    let rss = peak_rss_mib(pid)?;

    println!("gateway peak resident memory: {rss:.0} MiB");
    failed.map_or(Ok(()), Err)
}
