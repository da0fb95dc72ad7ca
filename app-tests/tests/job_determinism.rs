//! Two `basalt-worker` processes set up as differently as two providers' machines (one
//! async thread against four; the machine's wall clock in UTC against one 45 s ahead,
//! through libfaketime, in another time zone) take the same five jobs, n = 2, k = 2: a float matrix product whose
//! results include NaNs, a module that reads the clocks and the random source, and three
//! that misbehave (a trap, an endless loop, unbounded memory growth). A job succeeds only
//! when both reveal the same result, and a result is the CID of the output: every job
//! succeeding with the result this test computes in its own sandbox is byte-identical
//! output on three configurations. The misbehaving modules end as agreed failures, both
//! workers are paid for them, and both processes are still running afterwards.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::instructions::JobPostArgs;
use basalt::state::JobStatus;
use basalt_app_tests::TestNet;
use basalt_localnet::workers::worker_binary;
use basalt_localnet::{WorkerProcess, TOKEN};
use basalt_sandbox::{Failure, JobEnv, Outcome, Sandbox};
use basalt_sdk::chain::associated_token_address;
use basalt_sdk::{ChainClient, PutOptions};
use solana_signer::Signer;

const REWARD: u64 = 10 * TOKEN;
const FUEL: u64 = 50_000_000;
const OUTPUT_PRICE: u64 = 10;
const OUTPUT_BUDGET: u64 = OUTPUT_PRICE * 14 * 10;
/// Debian's libfaketime (package `faketime`, installed by scripts/setup.sh), the variant
/// for multithreaded programs.
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
/// As far ahead as a node still accepts a request signed by the worker (its freshness
/// window is 60 s: a worker whose clock is off by more cannot fetch anything).
const CLOCK_SHIFT: Duration = Duration::from_secs(45);

/// Writes the realtime and monotonic clocks (8 bytes each) and 32 random bytes.
const CLOCKS_AND_RANDOMNESS: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 64)))
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 72)))
    (drop (call $random (i32.const 80) (i32.const 32)))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 48))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;
const TRAPS: &str = r#"(module (memory (export "memory") 1) (func (export "_start") unreachable))"#;
const LOOPS: &str =
    r#"(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))"#;
/// Grows its memory by 4 MiB until refused: past the sandbox's 128 MiB cap.
const GROWS: &str = r#"(module (memory (export "memory") 1)
  (func (export "_start")
    (loop $more (br_if $more (i32.ne (memory.grow (i32.const 64)) (i32.const -1))))))"#;

/// One job of the test: its module, whether it stores an output, and the failure its
/// run must end in (`None`: it succeeds).
struct Case {
    name: &'static str,
    module: Vec<u8>,
    output: bool,
    failure: Option<Failure>,
}

fn cases() -> Result<Vec<Case>> {
    let text = |t: &str| basalt_sandbox::module_from_bytes(t.as_bytes());
    let matmul =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/jobs/matmul.wat");
    Ok(vec![
        Case {
            name: "matmul",
            module: basalt_sandbox::module_from_file(&matmul)?,
            output: true,
            failure: None,
        },
        Case {
            name: "clocks and randomness",
            module: text(CLOCKS_AND_RANDOMNESS)?,
            output: true,
            failure: None,
        },
        Case {
            name: "trap",
            module: text(TRAPS)?,
            output: false,
            failure: Some(Failure::Trap),
        },
        Case {
            name: "endless loop",
            module: text(LOOPS)?,
            output: false,
            failure: Some(Failure::OutOfFuel),
        },
        Case {
            name: "memory growth",
            module: text(GROWS)?,
            output: false,
            failure: Some(Failure::ResourceLimit),
        },
    ])
}

/// The matrix product's input: rows 0-3 of A non-negative, the others with negative
/// entries, whose square roots are NaN (see basalt-sandbox's matmul test).
fn matmul_input() -> Vec<u8> {
    (0..64u8)
        .map(|i| {
            if i < 32 {
                120 + i * 4
            } else {
                i.wrapping_mul(37)
            }
        })
        .collect()
}

/// Starts `basalt-worker` in `dir` with `extra` arguments; `shifted`: under libfaketime,
/// its wall clock `CLOCK_SHIFT` ahead (the monotonic clock, which only measures
/// intervals, left alone) and its time zone UTC+14.
fn start_worker(dir: &Path, rpc_url: &str, extra: &[&str], shifted: bool) -> Result<WorkerProcess> {
    let mut command = Command::new(worker_binary()?);
    command
        .args(WorkerProcess::args(dir, rpc_url, 1_000 * TOKEN))
        .args(extra);
    if shifted {
        ensure!(
            Path::new(LIBFAKETIME).exists(),
            "{LIBFAKETIME} is missing: scripts/setup.sh installs Debian's faketime"
        );
        command
            .env("LD_PRELOAD", LIBFAKETIME)
            .env("FAKETIME", format!("+{}s", CLOCK_SHIFT.as_secs()))
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .env("TZ", "Pacific/Kiritimati");
    }
    WorkerProcess::start_command(command, dir)
}

async fn tokens(chain: &ChainClient, owner: &Pubkey, mint: &Pubkey) -> Result<u64> {
    Ok(chain
        .token_balance(&associated_token_address(owner, mint))
        .await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differently_configured_worker_processes_agree_byte_for_byte_and_contain_bad_modules(
) -> Result<()> {
    let t = TestNet::start(4, 3).await?;
    let chain = t.net.client();
    let mint = chain.stake_mint().await?;
    let requester = &t.wallets[0];
    let public = PutOptions {
        encrypt: false,
        public: true,
        ..t.rs_options(2, 2)
    };
    let input = matmul_input();
    let input_cid = t.put(requester, input.clone(), &public).await?.cid;

    // Worker 0: one async thread, the machine's clock. Worker 1: four threads, its wall
    // clock ahead.
    let started = std::time::SystemTime::now();
    let mut workers = Vec::new();
    for (i, (extra, shifted)) in [
        (&["--threads", "1", "--capacity", "8"][..], false),
        (&["--threads", "4", "--capacity", "8"][..], true),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = t.dir.path().join(format!("worker-{i}"));
        std::fs::create_dir_all(&dir)?;
        solana_keypair::write_keypair_file(&t.wallets[i + 1], WorkerProcess::identity_path(&dir))
            .map_err(|e| anyhow::anyhow!("writing the worker's wallet: {e}"))?;
        workers.push(start_worker(&dir, &t.net.info.rpc_url, extra, shifted)?);
    }
    let keys: Vec<Pubkey> = t.wallets[1..].iter().map(Signer::pubkey).collect();
    let mut before = Vec::new();
    for key in &keys {
        before.push(tokens(&chain, key, &mint).await?);
    }

    let cases = cases()?;
    let now = chain.slot().await?;
    let mut jobs = Vec::new();
    for (nonce, case) in (1..).zip(&cases) {
        let module_cid = t.put(requester, case.module.clone(), &public).await?.cid;
        let (budget, price) = if case.output {
            (OUTPUT_BUDGET, OUTPUT_PRICE)
        } else {
            (0, 0)
        };
        // 100 ms slots: 6 s to apply, 10 s to run and commit, 6 s to reveal.
        let job = chain
            .post_job(
                requester,
                JobPostArgs {
                    nonce,
                    module_cid: *module_cid.digest(),
                    input_cid: *input_cid.digest(),
                    fuel_limit: FUEL,
                    n: 2,
                    k: 2,
                    reward_per_worker: REWARD,
                    apply_deadline_slot: now + 60,
                    commit_deadline_slot: now + 160,
                    reveal_deadline_slot: now + 220,
                    output_budget: budget,
                    output_price_per_shard_epoch: price,
                    output_deadline_slot: if case.output { now + 320 } else { 0 },
                    output_encrypted: false,
                    publication: None,
                },
            )
            .await?;
        jobs.push(job);
    }

    // Each job's account closes with its last settlement.
    let deadline = Instant::now() + Duration::from_secs(120);
    for job in &jobs {
        while let Some(state) = chain.job(job).await? {
            if Instant::now() > deadline {
                bail!("job {job} did not close: {state:?}");
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    let sandbox = Sandbox::new(0)?;
    for (case, job) in cases.iter().zip(&jobs) {
        let finalized = chain
            .job_finalized(job)
            .await?
            .with_context(|| format!("{}: its JobFinalized event", case.name))?;
        ensure!(
            finalized.status == JobStatus::Succeeded,
            "{}: the two workers did not agree ({:?}); their logs:\n{}",
            case.name,
            finalized.status,
            workers.iter().map(log_tail).collect::<Vec<_>>().join("\n")
        );
        let here = sandbox.run(
            &case.module,
            input.clone(),
            &JobEnv::for_job(job.to_bytes(), FUEL),
        )?;
        ensure!(
            finalized.result_hash == here.outcome.result(),
            "{}: the workers' result is not this test's",
            case.name
        );
        match (&here.outcome, case.failure) {
            (Outcome::Failure(failure), Some(expected)) => {
                ensure!(*failure == expected, "{}: {failure}", case.name);
            }
            (Outcome::Success(output), None) => {
                let stored = chain
                    .job_output(job)
                    .await?
                    .with_context(|| format!("{}: the stored output", case.name))?;
                let id = basalt_core::BlobId::from_bytes(stored.blob.to_bytes());
                let (read, _) = t.get(requester, &id).await?;
                ensure!(read == *output, "{}: the stored output differs", case.name);
            }
            (outcome, _) => bail!("{}: unexpected outcome {outcome:?}", case.name),
        }
    }
    // The clocks read the job's time (0) on both workers, whatever their wall clocks say.
    let clocks = cases
        .iter()
        .position(|c| c.name == "clocks and randomness")
        .context("the clocks case")?;
    let probed = sandbox.run(
        &cases[clocks].module,
        input.clone(),
        &JobEnv::for_job(jobs[clocks].to_bytes(), FUEL),
    )?;
    ensure!(
        matches!(&probed.outcome, Outcome::Success(out) if out[..16] == [0; 16]),
        "the sandbox's clocks stand at the job's time"
    );

    for (i, (key, tokens_before)) in keys.iter().zip(before).enumerate() {
        let delta = i128::from(tokens(&chain, key, &mint).await?) - i128::from(tokens_before);
        ensure!(
            delta == i128::from(REWARD) * jobs.len() as i128,
            "worker {i} was paid {delta} for {} agreed jobs",
            jobs.len()
        );
    }
    for (i, worker) in workers.iter_mut().enumerate() {
        ensure!(
            worker.is_running(),
            "worker {i} died; see {}",
            worker.dir.join("worker.log").display()
        );
    }
    // The shifted worker stamps its log ahead of this clock: libfaketime took effect.
    let log = std::fs::read_to_string(workers[1].dir.join("worker.log"))?;
    let first_stamp = log
        .lines()
        .next()
        .and_then(log_stamp)
        .context("the shifted worker's log has no timestamp")?;
    let ahead = first_stamp.duration_since(started).unwrap_or_default();
    ensure!(
        ahead >= CLOCK_SHIFT - Duration::from_secs(5),
        "the shifted worker's first log line is only {ahead:?} ahead"
    );
    for worker in &mut workers {
        worker.stop()?;
    }
    Ok(())
}

/// The last lines of a worker's log, for a failure message.
fn log_tail(worker: &WorkerProcess) -> String {
    let path = worker.dir.join("worker.log");
    let log = std::fs::read_to_string(&path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    format!(
        "== {}\n{}",
        path.display(),
        lines[lines.len().saturating_sub(40)..].join("\n")
    )
}

/// The RFC 3339 timestamp that starts a worker's log line (between colour codes).
fn log_stamp(line: &str) -> Option<std::time::SystemTime> {
    line.split('\x1b')
        .map(|part| part.trim_start_matches("[2m"))
        .find_map(|part| humantime::parse_rfc3339(part.trim()).ok())
}
