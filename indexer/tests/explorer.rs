//! The web explorer in a real browser: Debian's Chromium, driven by Playwright
//! (`tests/explorer/views.py`), over the populated Solana index the typed-client tests use.
//! Every view opens by its own URL at desktop and phone sizes and shows what the index holds
//! (every provider, a blob's placements, a job's outcome); a CID typed into the search box
//! leads to its blob; the live feed shows an event written after it opened without a
//! reload; no view logs an error. Screenshots go to `$CARGO_TARGET_TMPDIR/explorer`.
//!
//! Chromium and Playwright come from `scripts/api-clients.sh` (scripts/test.sh runs it).

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::decode::BasaltEvent;
use basalt::events::{
    BlobActivated, BlobRegistered, DatasetCreated, ProofAccepted, ProofMissed, ShardAccepted,
    ShardPlaced,
};
use basalt_indexer::Store;
use serde_json::{json, Value};

use crate::common;
use crate::typed_client::{cache_dir, first, populated_solana_index, run, tool};

const PROGRAM: &str = "BasngbvH8ed8WMm4vC7dqjFgrkdGkYGDJnGPUZ1C4kps";

/// Shards of the live blob and the epochs they are proven in.
const SHARDS: u16 = 3;
const EPOCHS: u64 = 4;

/// A live blob (the shared scenario's one is deleted by its end): registered, placed on
/// [`SHARDS`] shards of `providers` (authorities) who accept, proven for [`EPOCHS`] epochs
/// but for one miss.
async fn write_live_blob(store: &Store, providers: &[Pubkey]) -> Result<()> {
    let (blob, owner) = (Pubkey::new_unique(), Pubkey::new_unique());
    let holders: Vec<Pubkey> = (0..SHARDS as usize)
        .map(|i| providers[i % providers.len()])
        .collect();
    let mut events = vec![BasaltEvent::BlobRegistered(BlobRegistered {
        blob,
        owner,
        cid_digest: [7; 32],
        size: 3 << 20,
        k: 2,
        m: 1,
        chunk_count: 4,
        commitment_root: [3; 32],
        expiry_epoch: 100,
        public: true,
        encrypted: false,
        slot: 0,
    })];
    for (index, &provider) in (0..).zip(&holders) {
        events.push(BasaltEvent::ShardPlaced(ShardPlaced {
            blob,
            index,
            provider,
            previous: None,
            assigned_epoch: 1,
            slot: 0,
        }));
        events.push(BasaltEvent::ShardAccepted(ShardAccepted {
            blob,
            index,
            provider,
            assigned_epoch: 1,
            price_per_shard_epoch: 10,
            slot: 0,
        }));
    }
    events.push(BasaltEvent::BlobActivated(BlobActivated { blob, slot: 0 }));
    let mut history = vec![common::tx(980, events)];
    for epoch in 1..=EPOCHS {
        let proofs = (0..).zip(&holders).map(|(index, &provider)| {
            if epoch == 2 && index == 1 {
                BasaltEvent::ProofMissed(ProofMissed {
                    blob,
                    index,
                    provider,
                    epoch,
                    cranker: owner,
                    slot: 0,
                })
            } else {
                BasaltEvent::ProofAccepted(ProofAccepted {
                    blob,
                    index,
                    provider,
                    epoch,
                    chunk: 0,
                    leaf: 0,
                    slot: 0,
                })
            }
        });
        history.push(common::tx(980 + epoch, proofs.collect()));
    }
    store.write_batch(PROGRAM, &history).await?;
    Ok(())
}

/// The items of the list at `path` of `base`.
async fn items(base: &str, path: &str) -> Result<Vec<Value>> {
    let (status, page) = common::get(format!("{base}{path}")).await?;
    ensure!(status == 200, "{path}: {status} {page}");
    Ok(page["items"].as_array().cloned().unwrap_or_default())
}

/// What the browser must find: every provider, a placed blob with its holders, a job.
async fn expected(base: &str) -> Result<Value> {
    let providers = items(base, "/v1/providers?limit=500").await?;
    let mut placed = None;
    for blob in items(base, "/v1/blobs?limit=500").await? {
        let address = blob["address"].as_str().context("a blob's address")?;
        let (_, detail) = common::get(format!("{base}/v1/blobs/{address}")).await?;
        let holders: Vec<Value> = detail["placements"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|p| p["holder"].clone())
            .collect();
        if !holders.is_empty() {
            placed = Some((detail, holders));
            break;
        }
    }
    let (blob, holders) = placed.context("the index has no placed blob")?;
    let job = first(base, "/v1/jobs", "address").await?;
    let (_, job_detail) = common::get(format!("{base}/v1/jobs/{job}")).await?;
    Ok(json!({
        "providers": providers,
        "blob": blob["address"],
        "cid": blob["cid"],
        "owner": blob["owner"],
        "holders": holders,
        "job": job,
        "job_status": job_detail["status"],
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_shows_the_index_in_chromium_and_the_feed_is_live() -> Result<()> {
    let python = tool(cache_dir("BASALT_VENV", "basalt-venv")?.join("bin/python"))?;
    let (db, base) = populated_solana_index().await?;
    let store = Store::connect(&db.url).await?;
    let mut providers = Vec::new();
    for p in items(&base, "/v1/providers?limit=500").await? {
        providers.push(p["authority"].as_str().context("an authority")?.parse()?);
    }
    ensure!(!providers.is_empty(), "the index has no provider");
    write_live_blob(&store, &providers).await?;
    let expected = expected(&base).await?;
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("explorer");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;

    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/explorer/views.py");
    let mut command = Command::new(python);
    // Its `chromium.py` (how Chromium is launched) is shared with the app tests' scripts.
    command.env(
        "PYTHONPATH",
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts"),
    );
    command.args([
        script.display().to_string(),
        base.clone(),
        out.display().to_string(),
        expected.to_string(),
    ]);
    let log = out.join("views.log");
    let browser = tokio::task::spawn_blocking(move || run(command, &log));

    // The feed is open: write an event it has not seen.
    let opened = out.join("feed-open");
    let deadline = Instant::now() + Duration::from_secs(300);
    while !opened.exists() && !browser.is_finished() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if opened.exists() {
        let created = BasaltEvent::DatasetCreated(DatasetCreated {
            dataset: Pubkey::new_unique(),
            owner: Pubkey::new_unique(),
            name: "arrived-live".into(),
            public: true,
            slot: 0,
        });
        store
            .write_batch(PROGRAM, &[common::tx(990, vec![created])])
            .await?;
    }
    let output = browser.await??;
    let checked: Value = serde_json::from_str(output.lines().last().unwrap_or_default())
        .with_context(|| format!("the script's output: {output}"))?;
    let checked = checked["checked"].as_array().cloned().unwrap_or_default();
    ensure!(
        checked
            .iter()
            .any(|c| c.as_str().is_some_and(|c| c.starts_with("feed:"))),
        "the live feed was not checked: {checked:?}"
    );
    for view in ["network", "blobs", "blob", "jobs", "job", "feed"] {
        for size in ["desktop", "phone"] {
            let shot = out.join(format!("{view}-{size}.png"));
            ensure!(shot.is_file(), "no screenshot {}", shot.display());
        }
    }
    Ok(())
}
