//! The web explorer against a running local network, in Debian's Chromium driven by
//! Playwright (`app-tests/explorer/live.py`): a blob stored with the SDK (as `basalt put`
//! stores it) arrives in the open live feed without a reload and its page shows its
//! placement; every node reads `online`; a node killed turns `warning` or `offline`. And
//! (`app-tests/explorer/wallet.py`) a wallet registered in the page through the Wallet
//! Standard, holding the owner's keypair, grants read access that `basalt get` as the
//! grantee then uses, tops up the deal, revokes the grant and deletes the blob. The scripts
//! and this test hand the steps over through files in the output directory
//! (`$CARGO_TARGET_TMPDIR/explorer-live`, `…/explorer-wallet`, with screenshots).
//!
//! Playwright and Chromium come from `scripts/api-clients.sh` (scripts/test.sh runs it).

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use basalt_app_tests::browser::{self, SCRIPT_TIMEOUT};
use basalt_app_tests::{fast_epochs, random_bytes, TestNet};
use basalt_core::BlobId;
use basalt_localnet::process::sibling_binary;
use basalt_localnet::IndexerLiveness;
use serde_json::json;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// Longer than the nodes' cache of the chain's read decisions in tests, plus a confirmation.
const ACL_SETTLE: Duration = Duration::from_millis(600);

/// Waits until the script writes `name` into `out`; fails when the script ends first (with
/// its output, `out/<log>`) or [`SCRIPT_TIMEOUT`] passes.
async fn handed(out: &Path, name: &str, script: &mut Child, log: &str) -> Result<()> {
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    while !out.join(name).exists() {
        if let Some(status) = script.try_wait()? {
            bail!(
                "the browser script ended ({status}) before {name}:\n{}",
                std::fs::read_to_string(out.join(log)).unwrap_or_default()
            );
        }
        ensure!(
            Instant::now() < deadline,
            "no {name} within {SCRIPT_TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// The script's exit status once it ends; fails when it runs past [`SCRIPT_TIMEOUT`].
async fn finished(script: &mut Child) -> Result<ExitStatus> {
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    loop {
        if let Some(status) = script.try_wait()? {
            return Ok(status);
        }
        ensure!(
            Instant::now() < deadline,
            "the browser script ran past {SCRIPT_TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_shows_a_put_arrive_live_and_a_killed_node_fall_silent() -> Result<()> {
    // Without Playwright, fail before starting a network.
    browser::python()?;
    // Nodes heartbeat every 5 s: silent for 20 s is a warning, for 60 s offline.
    let mut t = TestNet::start_with(6, 1, |o| {
        o.indexer = true;
        o.indexer_liveness = Some(IndexerLiveness {
            warning_secs: 20,
            offline_secs: 60,
        });
    })
    .await?;
    let base = t.net.info.indexer_url.clone().context("an indexer")?;
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("explorer-live");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    let nodes: Vec<&str> = t
        .net
        .info
        .nodes
        .iter()
        .map(|n| n.address.as_str())
        .collect();
    let nodes = serde_json::to_string(&nodes)?;
    let args: [&OsStr; 3] = [base.as_ref(), out.as_os_str(), nodes.as_ref()];
    let mut browser = browser::spawn("live.py", &args, &out.join("live.log"))?;
    let result = async {
        handed(&out, "feed-open", &mut browser, "live.log").await?;
        let report = t
            .put(&t.wallets[0], random_bytes(300_000), &t.rs_options(4, 2))
            .await?;
        let holders: Vec<String> = report.providers.iter().map(ToString::to_string).collect();
        std::fs::write(
            out.join("put.json"),
            json!({ "blob": report.blob.to_string(), "holders": holders }).to_string(),
        )?;
        handed(&out, "network-seen", &mut browser, "live.log").await?;
        t.net.nodes[0].kill()?;
        std::fs::write(out.join("killed"), "")?;
        let status = finished(&mut browser).await?;
        let output = std::fs::read_to_string(out.join("live.log"))?;
        ensure!(status.success(), "the browser script: {status}\n{output}");
        ensure!(
            output
                .lines()
                .last()
                .unwrap_or_default()
                .contains("the killed node reads"),
            "{output}"
        );
        Ok(())
    }
    .await;
    let _ = browser.kill();
    result
}

/// The `basalt` CLI on the test's network as the wallet in `keypair`.
fn basalt(t: &TestNet, keypair: &Path, args: &[&OsStr]) -> Result<Output> {
    Command::new(sibling_binary("basalt", "BASALT_CLI_BIN")?)
        .arg("--json")
        .arg("--localnet-dir")
        .arg(t.dir.path().join("net"))
        .arg("--keypair")
        .arg(keypair)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("running basalt")
}

/// `basalt get BLOB` as the wallet in `keypair`: the bytes, or what it printed when it
/// failed.
fn basalt_get(
    t: &TestNet,
    keypair: &Path,
    blob: &str,
    out: &Path,
) -> Result<Result<Vec<u8>, String>> {
    let file = out.join("got.bin");
    let _ = std::fs::remove_file(&file);
    let output = basalt(
        t,
        keypair,
        &[
            "get".as_ref(),
            blob.as_ref(),
            "-o".as_ref(),
            file.as_os_str(),
        ],
    )?;
    Ok(if output.status.success() {
        Ok(std::fs::read(&file)?)
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    })
}

/// Waits until every holder of blob `id` has proven an epoch the deal has not paid yet;
/// returns how many holders that is.
async fn every_holder_unpaid(t: &TestNet, id: &BlobId) -> Result<usize> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let blob = t
            .net
            .client()
            .blob(id)
            .await?
            .context("the blob is not on chain")?;
        if blob
            .shards
            .iter()
            .all(|s| s.accepted && s.unpaid_epochs > 0)
        {
            return Ok(blob.shards.len());
        }
        ensure!(
            Instant::now() < deadline,
            "no proven, unpaid epoch on every shard within 90 s: {:?}",
            blob.shards
                .iter()
                .map(|s| s.unpaid_epochs)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn write_keypair(path: &Path, keypair: &Keypair) -> Result<()> {
    std::fs::write(path, serde_json::to_string(&keypair.to_bytes().to_vec())?)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_in_the_page_grants_tops_up_revokes_and_deletes() -> Result<()> {
    // Without Playwright, fail before starting a network.
    browser::python()?;
    // Proofs every (4-second) epoch but no crank: the holders' proven epochs stay unpaid
    // until the page's deletion settles them.
    let t = TestNet::start_with(4, 2, |o| {
        o.indexer = true;
        fast_epochs(o);
        o.node_settings.crank_interval_secs = 3_600;
    })
    .await?;
    let base = t.net.info.indexer_url.clone().context("an indexer")?;
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("explorer-wallet");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    let (owner, grantee) = (&t.wallets[0], &t.wallets[1]);
    let owner_keypair = out.join("owner.json");
    write_keypair(&owner_keypair, owner)?;
    let grantee_keypair = out.join("grantee.json");
    write_keypair(&grantee_keypair, grantee)?;
    // Private, not encrypted: a grant from a browser wallet carries no key (the wallet
    // cannot unseal the owner's), the nodes' check of the chain's grants is the lock.
    let data = random_bytes(200_000);
    let input = out.join("input.bin");
    std::fs::write(&input, &data)?;
    let put = basalt(
        &t,
        &owner_keypair,
        &[
            "put".as_ref(),
            input.as_os_str(),
            "--no-encrypt".as_ref(),
            "--k".as_ref(),
            "2".as_ref(),
            "--m".as_ref(),
            "2".as_ref(),
        ],
    )?;
    ensure!(
        put.status.success(),
        "basalt put --no-encrypt: {}",
        String::from_utf8_lossy(&put.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&put.stdout)?;
    let blob = printed["id"]
        .as_str()
        .context("basalt put printed no id")?
        .to_owned();
    let id: BlobId = blob.parse()?;
    let record = t
        .net
        .client()
        .blob(&id)
        .await?
        .context("the blob is not on chain")?;
    ensure!(
        !record.encrypted && !record.public,
        "--no-encrypt stored it encrypted or public"
    );
    // Encrypted (as `basalt put` stores by default): the page cannot grant read on it.
    let sealed = t
        .put(owner, random_bytes(50_000), &t.rs_options(2, 2))
        .await?;
    let refused = basalt_get(&t, &grantee_keypair, &blob, &out)?;
    ensure!(
        refused.is_err(),
        "the grantee read the blob before any grant"
    );

    let (grantee_address, sealed) = (grantee.pubkey().to_string(), sealed.id.to_string());
    let args: [&OsStr; 6] = [
        base.as_ref(),
        out.as_os_str(),
        owner_keypair.as_os_str(),
        blob.as_ref(),
        grantee_address.as_ref(),
        sealed.as_ref(),
    ];
    let mut browser = browser::spawn("wallet.py", &args, &out.join("wallet.log"))?;
    let result = async {
        handed(&out, "granted", &mut browser, "wallet.log").await?;
        tokio::time::sleep(ACL_SETTLE).await;
        let read = basalt_get(&t, &grantee_keypair, &blob, &out)?;
        ensure!(
            read.as_ref().is_ok_and(|b| *b == data),
            "the grantee could not read after the page's grant: {read:?}"
        );
        std::fs::write(out.join("granted-read"), "")?;
        handed(&out, "revoked", &mut browser, "wallet.log").await?;
        tokio::time::sleep(ACL_SETTLE).await;
        let again = basalt_get(&t, &grantee_keypair, &blob, &out)?;
        ensure!(
            again.is_err(),
            "the grantee still read after the page's revocation"
        );
        // The deletion must pay the holders first: wait until each has an unpaid epoch.
        let unpaid = every_holder_unpaid(&t, &id).await?;
        std::fs::write(out.join("revoked-read"), unpaid.to_string())?;
        handed(&out, "deleted", &mut browser, "wallet.log").await?;
        let status = finished(&mut browser).await?;
        let output = std::fs::read_to_string(out.join("wallet.log"))?;
        ensure!(status.success(), "the browser script: {status}\n{output}");
        ensure!(
            t.net.client().blob(&id).await?.is_none(),
            "the blob is still on chain"
        );
        Ok(())
    }
    .await;
    let _ = browser.kill();
    result
}
