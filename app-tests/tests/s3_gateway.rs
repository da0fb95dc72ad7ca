//! The S3 gateway against a local network, driven by real S3 clients (issue 32): boto3
//! (`app-tests/s3/boto3_suite.py`), then the AWS CLI and rclone (`cli_suite.py`) against the
//! gateway `Localnet` starts; then the chain is checked for what the suites left: one blob
//! of the wallet per stored piece, none for what they deleted, overwrote or aborted.
//!
//! The clients live in a virtual environment outside the clone that `scripts/s3-clients.sh`
//! makes (scripts/test.sh runs it); `BASALT_S3_VENV` names another.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{anyhow, ensure, Context, Result};
use basalt_app_tests::TestNet;
use basalt_localnet::GatewayOptions;
use solana_keypair::{write_keypair_file, Keypair};
use solana_signer::Signer;

/// The gateway's piece size in the test: small, so that the large object spans pieces.
const PIECE_SIZE: u64 = 32 << 20;
/// The large object the suite stores, in MiB.
const LARGE_MIB: u64 = 100;

/// The virtual environment holding boto3 and the AWS CLI.
fn venv() -> Result<PathBuf> {
    let venv = match std::env::var_os("BASALT_S3_VENV") {
        Some(v) => PathBuf::from(v),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?)
            .join(".cache/basalt-s3-venv"),
    };
    ensure!(
        venv.join("bin/python").is_file(),
        "no S3 clients in {}: run scripts/s3-clients.sh (scripts/test.sh does)",
        venv.display()
    );
    Ok(venv)
}

fn suite(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("s3")
        .join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_clients_store_list_range_copy_and_delete_through_the_gateway() -> Result<()> {
    let venv = venv()?;
    let wallet_dir = tempfile::tempdir()?;
    let wallet_path = wallet_dir.path().join("wallet.json");
    let wallet = Keypair::new();
    write_keypair_file(&wallet, &wallet_path).map_err(|e| anyhow!("{e}"))?;
    let t = TestNet::start_with(6, 0, |o| {
        o.fund.push(wallet.pubkey());
        o.gateway = Some(GatewayOptions {
            wallet: wallet_path.clone(),
            piece_size: Some(PIECE_SIZE),
            k: Some(4),
            m: Some(2),
        });
    })
    .await?;
    let gateway = t
        .net
        .info
        .gateway
        .clone()
        .context("the network runs a gateway")?;

    let address = [
        gateway.url.as_str(),
        &gateway.access_key,
        &gateway.secret_key,
    ];
    let python = venv.join("bin/python");
    let log = t.net.dir().join("gateway/gateway.log");
    run_suite(
        &python,
        "boto3_suite.py",
        &address,
        &[&LARGE_MIB.to_string()],
        &log,
    )
    .await?;
    let work = tempfile::tempdir()?;
    let work_dir = work.path().display().to_string();
    let stdout = run_suite(&python, "cli_suite.py", &address, &[&work_dir], &log).await?;

    // What the suites left, against the wallet's blobs on chain: one per piece of a
    // single-part object, one per part plus the completion record of a multipart one;
    // nothing of what they deleted, overwrote or aborted (an overwrite's blobs are deleted
    // after its response, so they are waited for).
    let left: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(stdout.lines().last().context("the suite's last line")?)?;
    ensure!(
        !left.contains_key("photos/docs/deep/c.txt"),
        "a deleted key is listed"
    );
    let blobs_of = |object: &serde_json::Value| {
        let size = object["size"].as_u64().unwrap_or(0);
        match object["etag"].as_str().and_then(|e| e.split_once('-')) {
            Some((_, parts)) => parts.parse::<u64>().unwrap_or(0) + 1,
            None => size.div_ceil(PIECE_SIZE).max(1),
        }
    };
    let pieces: u64 = left.values().map(blobs_of).sum();
    let chain = t.net.client();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let blobs = chain.blobs_of(&wallet.pubkey()).await?.len() as u64;
        if blobs == pieces {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the wallet has {blobs} blobs on chain; the gateway's {} objects are {pieces} blobs",
            left.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(())
}

/// Runs `app-tests/s3/<script>` with the gateway's address and key and `extra`; returns
/// its output, or fails with it and the gateway's log.
async fn run_suite(
    python: &Path,
    script: &str,
    address: &[&str; 3],
    extra: &[&str],
    gateway_log: &Path,
) -> Result<String> {
    let mut command = Command::new(python);
    command.arg(suite(script)).args(address).args(extra);
    let output = tokio::task::spawn_blocking(move || command.output()).await??;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{script}:\n{stdout}");
    ensure!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{}\n(gateway log:\n{})",
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(gateway_log).unwrap_or_default()
    );
    Ok(stdout)
}
