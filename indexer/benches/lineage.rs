//! Lineage query benchmark against the real PostgreSQL server (issue 44): a history 100
//! versions deep and a version 1,000 others were derived from, walked through the API
//! (`/v1/versions/{cid}/lineage`) up the whole depth and down the whole fan-out. Prints
//! p50/p99/max per walk next to a one-version lookup (`/v1/versions/{cid}`) measured in the
//! same run: the bound of a request that does only the lookup.
//!
//! `BENCH_DEPTH` (default 100), `BENCH_FANOUT` (default 1000), `BENCH_QUERIES` (default
//! 300). Without `--bench` it runs a small smoke pass.

#[path = "../tests/common/db.rs"]
mod db;
#[path = "support/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::decode::BasaltEvent;
use basalt::events::VersionPublished;
use basalt_core::Cid;
use basalt_indexer::record::{EventRecord, TxRecord};
use basalt_indexer::{IndexerOptions, Store};
use harness::env_or;

fn main() -> Result<()> {
    harness::main(run)
}

fn id(n: u64) -> [u8; 32] {
    *blake3::hash(&n.to_le_bytes()).as_bytes()
}

fn version(n: u64, seq: u64, dataset: Pubkey, address: Pubkey, parents: Vec<Pubkey>) -> TxRecord {
    let event = BasaltEvent::VersionPublished(VersionPublished {
        dataset,
        version: address,
        tag: format!("v{n}"),
        seq,
        version_id: id(n),
        manifest_blob: Pubkey::new_unique(),
        parents,
        job: None,
        message: String::new(),
        publisher: Pubkey::new_unique(),
        slot: 0,
    });
    TxRecord {
        signature: format!("tx{n:08}"),
        slot: 1_000 + n,
        block_time: None,
        error: None,
        events: vec![(0, EventRecord::of(&event))],
        undecoded: Vec::new(),
        truncated_logs: false,
    }
}

async fn run(quick: bool) -> Result<()> {
    let (depth, fanout, queries) = if quick {
        (10, 20, 10)
    } else {
        (
            env_or("BENCH_DEPTH", 100),
            env_or("BENCH_FANOUT", 1_000),
            env_or("BENCH_QUERIES", 300),
        )
    };
    let temp = db::TempDb::create().await?;
    let store = Store::connect(&temp.url).await?;
    // A chain v0 ← v1 ← … ← v{depth} in one dataset, and v0 the parent of `fanout`
    // versions of another (a corpus many derived datasets start from).
    let (history, derived) = (Pubkey::new_unique(), Pubkey::new_unique());
    let addresses: Vec<Pubkey> = (0..=depth).map(|_| Pubkey::new_unique()).collect();
    let mut txs = Vec::new();
    for n in 0..=depth {
        let parents = if n == 0 {
            vec![]
        } else {
            vec![addresses[n as usize - 1]]
        };
        txs.push(version(n, n, history, addresses[n as usize], parents));
    }
    for i in 0..fanout {
        let n = depth + 1 + i;
        txs.push(version(
            n,
            i,
            derived,
            Pubkey::new_unique(),
            vec![addresses[0]],
        ));
    }
    for batch in txs.chunks(500) {
        store.write_batch("bench", batch).await?;
    }

    let (tx, rx) = tokio::sync::oneshot::channel();
    let options = IndexerOptions {
        database_url: temp.url.clone(),
        follow: None,
        listen: Some("127.0.0.1:0".parse()?),
        program_id: "bench".into(),
        liveness: basalt_core::LivenessThresholds::default(),
        explorer: basalt_indexer::explorer::ExplorerOptions::default(),
    };
    tokio::spawn(basalt_indexer::run(
        options,
        std::future::pending(),
        move |a| {
            let _ = tx.send(a);
        },
    ));
    let base = format!(
        "http://{}",
        tokio::time::timeout(Duration::from_secs(30), rx).await??
    );
    let http = reqwest::Client::new();
    let cid = |n: u64| Cid::from_digest(id(n)).to_string();
    let walks = [
        (
            format!("lineage up, depth {depth}"),
            format!(
                "{base}/v1/versions/{}/lineage?dir=up&depth={depth}",
                cid(depth)
            ),
            depth + 1,
        ),
        (
            format!("lineage down, fan-out {fanout}"),
            format!("{base}/v1/versions/{}/lineage?dir=down&depth=1", cid(0)),
            fanout + 2,
        ),
        (
            "one version (the bound)".to_owned(),
            format!("{base}/v1/versions/{}", cid(depth)),
            0,
        ),
    ];
    println!("lineage over the API: {queries} sequential requests each, after 5 warm-up");
    println!(
        "{:<32} {:>9} {:>9} {:>9}",
        "query", "p50 ms", "p99 ms", "max ms"
    );
    let mut p99s = Vec::new();
    for (name, url, expected) in &walks {
        for _ in 0..5 {
            http.get(url).send().await?.error_for_status()?;
        }
        let mut times = Vec::with_capacity(queries as usize);
        for _ in 0..queries {
            let started = Instant::now();
            let body: serde_json::Value = http
                .get(url)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            times.push(started.elapsed());
            if *expected > 0 {
                let got = body["versions"].as_array().map_or(0, Vec::len) as u64;
                ensure!(
                    got == *expected,
                    "{name}: {got} versions, expected {expected}"
                );
            }
        }
        times.sort();
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{name:<32} {:>9.2} {:>9.2} {:>9.2}",
            ms(at(0.5)),
            ms(at(0.99)),
            ms(times[times.len() - 1])
        );
        p99s.push(ms(at(0.99)));
    }
    println!(
        "p99 / bound: up {:.1}x, down {:.1}x",
        p99s[0] / p99s[2],
        p99s[1] / p99s[2]
    );
    Ok(())
}
