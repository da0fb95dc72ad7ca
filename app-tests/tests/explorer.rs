//! The web explorer against a running local network, in Debian's Chromium driven by
//! Playwright (`app-tests/explorer/live.py`): a blob stored with the SDK (as `basalt put`
//! stores it) arrives in the open live feed without a reload and its page shows its
//! placement; every node reads `online`; a node killed turns `warning` or `offline`. The
//! script and this test hand the steps over through files in the output directory
//! (`$CARGO_TARGET_TMPDIR/explorer-live`, with a screenshot of each step).
//!
//! Playwright and Chromium come from `scripts/api-clients.sh` (scripts/test.sh runs it).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use basalt_app_tests::browser::{self, SCRIPT_TIMEOUT};
use basalt_app_tests::{random_bytes, TestNet};
use basalt_localnet::IndexerLiveness;
use serde_json::json;

/// Waits until the script writes `name` into `out`; fails when the script ends first or
/// [`SCRIPT_TIMEOUT`] passes.
async fn handed(out: &Path, name: &str, script: &mut std::process::Child) -> Result<()> {
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    while !out.join(name).exists() {
        if let Some(status) = script.try_wait()? {
            bail!(
                "the browser script ended ({status}) before {name}:\n{}",
                std::fs::read_to_string(out.join("live.log")).unwrap_or_default()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_shows_a_put_arrive_live_and_a_killed_node_fall_silent() -> Result<()> {
    let python = browser::python()?;
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
    let script = browser::script("live.py");
    let log = std::fs::File::create(out.join("live.log"))?;
    let mut browser = Command::new(python)
        .arg(&script)
        .arg(&base)
        .arg(&out)
        .arg(serde_json::to_string(&nodes)?)
        .env("PYTHONPATH", browser::python_path())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("starting the browser script")?;
    let result = async {
        handed(&out, "feed-open", &mut browser).await?;
        let report = t
            .put(&t.wallets[0], random_bytes(300_000), &t.rs_options(4, 2))
            .await?;
        let holders: Vec<String> = report.providers.iter().map(ToString::to_string).collect();
        std::fs::write(
            out.join("put.json"),
            json!({ "blob": report.blob.to_string(), "holders": holders }).to_string(),
        )?;
        handed(&out, "network-seen", &mut browser).await?;
        t.net.nodes[0].kill()?;
        std::fs::write(out.join("killed"), "")?;
        let deadline = Instant::now() + SCRIPT_TIMEOUT;
        let status = loop {
            if let Some(status) = browser.try_wait()? {
                break status;
            }
            ensure!(
                Instant::now() < deadline,
                "the browser script ran past {SCRIPT_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
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
