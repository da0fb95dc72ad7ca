//! Ingest and API benchmark against the real PostgreSQL server.
//!
//! 1. Ingest: synthetic batches of consistent events (blob registrations with placement,
//!    proofs, payouts) written through the indexer's own batch writer, derived tables and
//!    cursor included, with each insert method in turn, interleaved in the same run; and
//!    the EVM follower's write (UNNEST with an undo record of every derived change, for a
//!    reorg's rollback). Prints events/s per method and the ratio to row-by-row INSERT.
//! 2. API: a `basalt-indexer --api-only` child process over the ingested database, loaded
//!    from this process at a fixed rate (open loop: requests are sent on schedule whether
//!    or not earlier ones finished). Prints p50/p99/max latency.
//!
//! `BENCH_BLOBS` (blobs per batch, default 20 = 900 events), `BENCH_ROUNDS` (default 5),
//! `BENCH_RPS` (default 1000), `BENCH_SECONDS` (default 5); `BENCH_WITHOUT_UNDO_TRIGGERS`
//! set: the undo triggers dropped first (the bound of the writes that record no undo; the
//! EVM row then records nothing either). Without `--bench` (which
//! `cargo bench` passes) it runs a small smoke pass: what `cargo test --all-targets` does.

#[path = "../tests/common/db.rs"]
mod db;
#[path = "support/harness.rs"]
mod harness;
#[path = "support/synthetic.rs"]
mod synthetic;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use basalt_indexer::db::{BlockCursor, InsertMethod, UnfinalizedBatch};
use basalt_indexer::record::TxRecord;
use basalt_indexer::Store;
use harness::env_or;
use synthetic::{event_count, Generator};

fn main() -> Result<()> {
    harness::main(run)
}

async fn run(quick: bool) -> Result<()> {
    let temp = db::TempDb::create().await?;
    let store = Store::connect(&temp.url).await?;
    let program = "bench";
    let blobs = if quick { 2 } else { env_or("BENCH_BLOBS", 20) };
    let rounds = if quick { 1 } else { env_or("BENCH_ROUNDS", 5) };

    if std::env::var_os("BENCH_WITHOUT_UNDO_TRIGGERS").is_some() {
        // The bound for the Solana and NEAR writes: what they reach without the undo
        // triggers, which record nothing for them but are still checked.
        sqlx::query(DROP_UNDO_TRIGGERS)
            .execute(store.pool())
            .await?;
    }
    let mut generator = Generator::new("bench");
    store.write_batch(program, &generator.providers(64)).await?;
    // The EVM follower's write: UNNEST, recording undo (`None` below).
    let methods = [
        ("UNNEST", Some(InsertMethod::Unnest)),
        ("COPY", Some(InsertMethod::Copy)),
        ("row-by-row INSERT", Some(InsertMethod::RowByRow)),
        ("UNNEST + undo (EVM)", None),
    ];
    let mut totals = [(0usize, Duration::ZERO); 4];
    for _ in 0..rounds {
        for (i, (_, method)) in methods.iter().enumerate() {
            let batch: Vec<_> = (0..blobs).flat_map(|_| generator.blob()).collect();
            let start = Instant::now();
            let written = match method {
                Some(method) => store.write_batch_with(program, &batch, *method).await?,
                None => write_unfinalized(&store, program, &batch).await?,
            };
            totals[i].1 += start.elapsed();
            totals[i].0 += event_count(&batch);
            if written.events as usize != event_count(&batch) {
                bail!(
                    "{method:?} stored {} of {} events",
                    written.events,
                    event_count(&batch)
                );
            }
        }
    }
    let rate = |(events, time): (usize, Duration)| events as f64 / time.as_secs_f64();
    let baseline = rate(totals[2]);
    println!(
        "\ningest: {rounds} rounds x {} events per batch (events + derived tables + cursor, one transaction per batch)",
        blobs * 45
    );
    println!("{:<20} {:>12} {:>10}", "method", "events/s", "vs rows");
    for ((name, _), total) in methods.iter().zip(totals) {
        println!(
            "{name:<20} {:>12.0} {:>9.2}x",
            rate(total),
            rate(total) / baseline
        );
    }

    // A server in steady state has vacuumed and analyzed tables; right after a bulk load
    // autovacuum would compete with the API for the two cores and the planner would guess.
    sqlx::query("VACUUM ANALYZE").execute(store.pool()).await?;
    let rps = if quick { 50 } else { env_or("BENCH_RPS", 1000) };
    let seconds = if quick { 1 } else { env_or("BENCH_SECONDS", 5) };
    api_latency(&temp.url, &generator, rps, seconds).await
}

/// Drops the triggers that record undo (`migrations/*_reorg_undo.sql`).
const DROP_UNDO_TRIGGERS: &str = "\
    DO $$ DECLARE r record; BEGIN \
        FOR r IN SELECT tgname, tgrelid::regclass AS tbl FROM pg_trigger \
                 WHERE tgname LIKE '%undo%' LOOP \
            EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.tbl); \
        END LOOP; \
    END $$";

/// Writes `batch` as the EVM follower does: above the finalized block, with undo records.
async fn write_unfinalized(
    store: &Store,
    program: &str,
    batch: &[TxRecord],
) -> Result<basalt_indexer::db::Written> {
    let last = batch.last().context("an empty batch")?;
    let cursor = BlockCursor {
        hash: last.signature.clone(),
        height: last.slot,
    };
    let batch = UnfinalizedBatch {
        fork: None,
        txs: batch,
        cursor,
        finalized: 0,
    };
    Ok(store.write_unfinalized_batch(program, &batch).await?)
}

/// Loads a child `basalt-indexer --api-only` at `rps` requests per second.
async fn api_latency(url: &str, generator: &Generator, rps: u64, seconds: u64) -> Result<()> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_basalt-indexer"))
        .args([
            "--api-only",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            url,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting basalt-indexer")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("child stdout")?).read_line(&mut line)?;
    let base = line
        .trim()
        .rsplit(' ')
        .next()
        .context("no address line from basalt-indexer")?
        .to_owned();

    let provider = generator.providers[0].1.to_string();
    let paths = [
        "/v1/providers?limit=20".to_owned(),
        "/v1/providers?role=storage&status=active&limit=50".to_owned(),
        format!("/v1/providers/{provider}"),
        format!("/v1/proofs?holder={provider}&limit=20"),
        format!("/v1/payouts?holder={provider}&limit=20"),
        "/v1/events?kind=BlobRegistered&limit=20".to_owned(),
        "/v1/blobs?limit=20".to_owned(),
        "/health".to_owned(),
    ];
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    // Warm the connection pool and the server's caches.
    for p in &paths {
        http.get(format!("{base}{p}"))
            .send()
            .await?
            .error_for_status()?;
    }
    let total = rps * seconds;
    let mut ticker = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rps));
    let mut requests = tokio::task::JoinSet::new();
    let start = Instant::now();
    for i in 0..total {
        ticker.tick().await;
        let url = format!("{base}{}", paths[i as usize % paths.len()]);
        let http = http.clone();
        requests.spawn(async move {
            let t = Instant::now();
            let ok = match http.get(url).send().await {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            (t.elapsed(), ok)
        });
    }
    let mut latencies = Vec::with_capacity(total as usize);
    let mut failed = 0;
    while let Some(r) = requests.join_next().await {
        let (latency, ok) = r?;
        latencies.push(latency);
        failed += usize::from(!ok);
    }
    let elapsed = start.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!(
        "\nAPI: {total} requests over {:.1} s ({:.0}/s offered to a separate process, {} paths), {failed} failed",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        paths.len()
    );
    println!(
        "latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    );
    if failed > 0 {
        bail!("{failed} API requests failed");
    }
    Ok(())
}
