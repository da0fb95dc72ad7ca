//! Per-job overhead of the compute path on a local network, by stage: one worker (the
//! `basalt-worker` library, in process) runs trivial jobs (the word count example, n = 1,
//! k = 1) one after another; its `stage_seconds` metrics split each job into fetching the
//! module and input through the SDK, compiling (or taking from the cache), instantiating
//! and running it, journaling the pledge, the apply, select, commit, reveal and finalize
//! transactions, storing the output (an SDK put registered by `job_output_register`) and
//! the settle transaction. What the deadlines make a job wait is not overhead and is not
//! counted.
//!
//! `cargo bench -p basalt-app-tests --bench jobs` (env: BENCH_JOBS, default 5). Under
//! `cargo test` one job runs as a smoke test.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use basalt::instructions::JobPostArgs;
use basalt_app_tests::TestNet;
use basalt_localnet::TOKEN;
use basalt_sdk::PutOptions;
use basalt_worker::{Worker, WorkerConfig};

/// (count, total seconds) per stage, from the exposition text.
fn stages(text: &str) -> BTreeMap<String, (f64, f64)> {
    let mut out: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("basalt_worker_stage_seconds_") else {
            continue;
        };
        let (kind, rest) = rest.split_once("{stage=\"").unwrap_or(("", ""));
        let Some((stage, value)) = rest.split_once("\"} ") else {
            continue;
        };
        let value: f64 = value.trim().parse().unwrap_or(0.0);
        let entry = out.entry(stage.to_owned()).or_default();
        match kind {
            "count" => entry.0 = value,
            "sum" => entry.1 = value,
            _ => {}
        }
    }
    out
}

#[tokio::main]
async fn main() -> Result<()> {
    let benching = std::env::args().any(|a| a == "--bench");
    let jobs: u64 = std::env::var("BENCH_JOBS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 5 } else { 1 });
    let t = TestNet::start(4, 2).await?;
    let chain = t.net.client();
    let (requester, key) = (&t.wallets[0], &t.wallets[1]);
    let options = PutOptions {
        encrypt: false,
        public: true,
        ..t.rs_options(2, 2)
    };
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/jobs");
    let module = basalt_sandbox::module_from_file(&examples.join("wordcount.wat"))?;
    let module = t.put(requester, module, &options).await?;
    // One input per job, each with its own word count: jobs with the same output would
    // find it stored already by the first (the requester's blob of that content).
    let mut inputs = Vec::new();
    for nonce in 0..jobs {
        let words = "word ".repeat(nonce as usize + 1);
        inputs.push(t.put(requester, words.into_bytes(), &options).await?);
    }

    let worker = Worker::new(
        WorkerConfig {
            url: t.net.info.rpc_url.clone(),
            state_dir: t.dir.path().join("worker"),
            capacity: 1,
            max_fuel: 1_000_000_000,
            interval: Duration::from_millis(100),
            cached_programs: 8,
            lie: false,
        },
        key.insecure_clone(),
    )?;
    worker.register("local", 1_000 * TOKEN).await?;
    let metrics = worker.metrics();
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        worker
            .run(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await;
    });

    let mut wall = Vec::new();
    for nonce in 0..jobs {
        let now = chain.slot().await?;
        let started = Instant::now();
        let job = chain
            .post_job(
                requester,
                JobPostArgs {
                    nonce,
                    module_cid: *module.cid.digest(),
                    input_cid: *inputs[nonce as usize].cid.digest(),
                    fuel_limit: 10_000_000,
                    n: 1,
                    k: 1,
                    reward_per_worker: TOKEN,
                    apply_deadline_slot: now + 10,
                    commit_deadline_slot: now + 40,
                    reveal_deadline_slot: now + 70,
                    output_budget: 10 * 14 * 10,
                    output_price_per_shard_epoch: 10,
                    output_deadline_slot: now + 170,
                    output_encrypted: false,
                    publication: None,
                },
            )
            .await?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while chain.job(&job).await?.is_some() {
            if Instant::now() > deadline {
                bail!("job {nonce} did not close");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        wall.push(started.elapsed().as_secs_f64());
    }
    let _ = stop.send(true);
    task.await?;

    let stages = stages(&metrics.encode());
    println!("\n== per-job overhead over {jobs} trivial jobs (wordcount.wat, n = 1)");
    let order = [
        ("apply", "apply transaction"),
        ("select", "select transaction"),
        ("fetch", "fetch module + input (SDK get)"),
        ("execute", "compile or cache hit, instantiate, run"),
        ("journal", "journal the pledge (fsync)"),
        ("commit", "commit transaction"),
        ("reveal", "reveal transaction"),
        ("finalize", "finalize transaction"),
        ("store", "store the output (SDK put, registration)"),
        ("settle", "settle transaction"),
    ];
    let mut total = 0.0;
    for (stage, what) in order {
        let (count, sum) = stages.get(stage).copied().context(stage)?;
        let mean_ms = if count > 0.0 { sum / count * 1e3 } else { 0.0 };
        total += mean_ms * (count / jobs as f64);
        println!("  {what:<44} {mean_ms:>9.1} ms  ({count} times)");
    }
    println!("  {:<44} {total:>9.1} ms", "overhead per job (sum)");
    let mean_wall = wall.iter().sum::<f64>() / wall.len() as f64;
    println!(
        "  {:<44} {:>9.1} ms  (the deadlines: 1 s to apply, 3 s to commit)",
        "post to close, wall clock",
        mean_wall * 1e3
    );
    Ok(())
}
