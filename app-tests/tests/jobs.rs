//! Compute jobs on a real local network: three workers (`basalt-worker`'s library, each
//! with its own journal and key) apply to a job a requester posted over public module and
//! input blobs, are drawn, fetch both through the SDK, run the module in the sandbox,
//! commit, reveal, finalize, store the output for the requester and settle. Honest workers
//! are paid exactly their reward; a worker that lies about its result is out-voted, slashed
//! and loses reputation, and the requester gets its unspent reward back and reads the
//! output the honest ones agreed on.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::instructions::JobPostArgs;
use basalt::state::JobStatus;
use basalt_app_tests::{browser, TestNet};
use basalt_core::Cid;
use basalt_localnet::TOKEN;
use basalt_sdk::chain::associated_token_address;
use basalt_sdk::{ChainClient, PutOptions};
use basalt_worker::{Worker, WorkerConfig};
use solana_keypair::Keypair;
use solana_signer::Signer;

const REWARD: u64 = 50 * TOKEN;
/// What the job escrows to store its output: ten epochs of the network's default code
/// (RS(10, 4)) at 10 per shard-epoch. The 4-node test network stores it with a narrower
/// code, for more epochs.
const OUTPUT_PRICE: u64 = 10;
const OUTPUT_BUDGET: u64 = OUTPUT_PRICE * 14 * 10;

fn example(name: &str) -> Result<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/jobs")
        .join(name);
    Ok(basalt_sandbox::module_from_file(&path)?)
}

async fn tokens(chain: &ChainClient, owner: &Pubkey, mint: &Pubkey) -> Result<u64> {
    Ok(chain
        .token_balance(&associated_token_address(owner, mint))
        .await?)
}

/// What a job did to its requester and its workers.
struct JobReport {
    requester: Pubkey,
    status: JobStatus,
    result: [u8; 32],
    requester_delta: i128,
    /// Per worker: token balance change, stake before and after, reputation change.
    workers: Vec<WorkerReport>,
    /// The worker authorities, in the order of `workers`.
    keys: Vec<Pubkey>,
    /// `/v1/jobs/{job}` of the indexer, once it shows the job settled.
    indexed: Option<serde_json::Value>,
    /// The stored output as the requester reads it, with the blob's owner.
    output: Option<(Pubkey, Vec<u8>)>,
}

struct WorkerReport {
    tokens_delta: i128,
    stake_before: u64,
    stake_after: u64,
    reputation_delta: i64,
}

const STAKE: u64 = 1_000 * TOKEN;

/// How a test worker behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Honest,
    /// Commits and reveals a wrong result.
    Liar,
    /// Stops once its commitment is on chain and never comes back.
    DiesAfterCommit,
    /// Stops once its commitment is on chain, and a new process (the same key and state
    /// directory) takes over.
    RestartsAfterCommit,
}

/// The job: a module of `examples/jobs`, its fuel, and how each of the 3 workers behaves;
/// `indexer`: the network runs the indexer, and the report holds its view of the job.
struct JobSpec {
    module: &'static str,
    fuel_limit: u64,
    workers: [Behaviour; 3],
    indexer: bool,
    /// The requester stores the word count's output itself before posting.
    output_stored_already: bool,
}

impl JobSpec {
    fn word_count(workers: [Behaviour; 3]) -> Self {
        Self {
            module: "wordcount.wat",
            fuel_limit: 10_000_000,
            workers,
            indexer: false,
            output_stored_already: false,
        }
    }
}

/// A worker task and what stops it.
struct Running {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    fn start(worker: Worker) -> Self {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            worker
                .run(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await;
        });
        Self { stop, task }
    }

    async fn stop(self) -> Result<()> {
        let _ = self.stop.send(true);
        Ok(self.task.await?)
    }
}

/// Runs `spec`'s job on 3 workers, n = 3, k = 2, until its account closes.
async fn run_job(spec: JobSpec) -> Result<JobReport> {
    let t = TestNet::start_with(4, 4, |o| o.indexer = spec.indexer).await?;
    let chain = t.net.client();
    let mint = chain.stake_mint().await?;
    let requester = &t.wallets[0];

    // The module and its input, public so that any drawn worker reads them.
    let options = PutOptions {
        encrypt: false,
        public: true,
        ..t.rs_options(2, 2)
    };
    let module = example(spec.module)?;
    let input = b"the quick brown fox\njumps over the lazy dog\n".to_vec();
    let module_put = t.put(requester, module, &options).await?;
    let input_put = t.put(requester, input, &options).await?;
    if spec.output_stored_already {
        t.put(requester, b"2 9 44\n".to_vec(), &options).await?;
    }

    let keys: Vec<Keypair> = t.wallets[1..].iter().map(Keypair::insecure_clone).collect();
    let config = |i: usize| WorkerConfig {
        url: t.net.info.rpc_url.clone(),
        state_dir: t.dir.path().join(format!("worker-{i}")),
        capacity: 2,
        max_fuel: 1_000_000_000,
        interval: Duration::from_millis(300),
        cached_programs: 8,
        lie: spec.workers[i] == Behaviour::Liar,
    };
    let mut workers = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let worker = Worker::new(config(i), key.insecure_clone())?;
        worker.register("local", STAKE).await?;
        workers.push(worker);
    }
    let mut before = Vec::new();
    for key in &keys {
        let provider = chain.provider(&key.pubkey()).await?.context("registered")?;
        before.push((tokens(&chain, &key.pubkey(), &mint).await?, provider));
    }
    let requester_before = tokens(&chain, &requester.pubkey(), &mint).await?;

    // 100 ms slots: 4 s to apply, 6 s to run and commit, 4 s to reveal.
    let now = chain.slot().await?;
    let job = chain
        .post_job(
            requester,
            JobPostArgs {
                nonce: 1,
                module_cid: *module_put.cid.digest(),
                input_cid: *input_put.cid.digest(),
                fuel_limit: spec.fuel_limit,
                n: 3,
                k: 2,
                reward_per_worker: REWARD,
                apply_deadline_slot: now + 40,
                commit_deadline_slot: now + 100,
                reveal_deadline_slot: now + 140,
                output_budget: OUTPUT_BUDGET,
                output_price_per_shard_epoch: OUTPUT_PRICE,
                output_deadline_slot: now + 240,
                output_encrypted: false,
                publication: None,
            },
        )
        .await?;

    let mut running: Vec<Option<Running>> = workers
        .into_iter()
        .map(|w| Some(Running::start(w)))
        .collect();
    let mut interrupted = [false; 3];

    // The last settlement closes the job.
    let deadline = Instant::now() + Duration::from_secs(90);
    while let Some(state) = chain.job(&job).await? {
        if Instant::now() > deadline {
            bail!("the job did not close: {state:?}");
        }
        for (i, key) in keys.iter().enumerate() {
            let committed = state
                .worker_index(&key.pubkey())
                .is_some_and(|w| state.workers[w].committed);
            let dies = matches!(
                spec.workers[i],
                Behaviour::DiesAfterCommit | Behaviour::RestartsAfterCommit
            );
            if dies && committed && !interrupted[i] {
                interrupted[i] = true;
                if let Some(worker) = running[i].take() {
                    worker.stop().await?;
                }
                if spec.workers[i] == Behaviour::RestartsAfterCommit {
                    // A new process: the same key and state directory, nothing in memory.
                    let worker = Worker::new(config(i), key.insecure_clone())?;
                    running[i] = Some(Running::start(worker));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    for worker in running.into_iter().flatten() {
        worker.stop().await?;
    }

    let finalized = chain
        .job_finalized(&job)
        .await?
        .context("the job's JobFinalized event")?;
    let (status, result) = (finalized.status, finalized.result_hash);
    let mut reports = Vec::new();
    for (key, (tokens_before, provider_before)) in keys.iter().zip(before) {
        let provider = chain.provider(&key.pubkey()).await?.context("registered")?;
        reports.push(WorkerReport {
            tokens_delta: i128::from(tokens(&chain, &key.pubkey(), &mint).await?)
                - i128::from(tokens_before),
            stake_before: provider_before.stake,
            stake_after: provider.stake,
            reputation_delta: provider.reputation - provider_before.reputation,
        });
    }
    let indexed = match &t.net.info.indexer_url {
        Some(url) => {
            let shown = indexed_job(url, &job).await?;
            explorer_shows_job(url, &shown).await?;
            Some(shown)
        }
        None => None,
    };
    let output = match chain.job_output(&job).await? {
        Some(stored) => {
            let id = basalt_core::BlobId::from_bytes(stored.blob.to_bytes());
            let owner = chain.blob(&id).await?.context("the output blob")?.owner;
            Some((owner, t.get(requester, &id).await?.0))
        }
        None => None,
    };
    Ok(JobReport {
        requester: requester.pubkey(),
        output,
        keys: keys.iter().map(Signer::pubkey).collect(),
        indexed,
        status,
        result,
        requester_delta: i128::from(tokens(&chain, &requester.pubkey(), &mint).await?)
            - i128::from(requester_before),
        workers: reports,
    })
}

/// The indexer's view of `job` once every place in it is settled there.
async fn indexed_job(indexer: &str, job: &Pubkey) -> Result<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = reqwest::get(format!("{indexer}/v1/jobs/{job}")).await?;
        if response.status().is_success() {
            let shown: serde_json::Value = response.json().await?;
            let settled = shown["results"]
                .as_array()
                .is_some_and(|r| r.len() == 3 && r.iter().all(|w| !w["outcome"].is_null()));
            if settled {
                return Ok(shown);
            }
        }
        if Instant::now() > deadline {
            bail!("the indexer does not show job {job} settled");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The explorer's page of the job `shown` (the indexer's answer) shows its status and each
/// worker's outcome, in Chromium (`app-tests/explorer/job.py`; screenshot in
/// `$CARGO_TARGET_TMPDIR/explorer-job`).
async fn explorer_shows_job(indexer: &str, shown: &serde_json::Value) -> Result<()> {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("explorer-job");
    std::fs::create_dir_all(&out)?;
    let args = vec![
        indexer.to_owned(),
        out.display().to_string(),
        shown.to_string(),
    ];
    let log = out.join("job.log");
    let last = tokio::task::spawn_blocking(move || browser::run("job.py", &args, &log)).await??;
    ensure!(last.contains("outcomes shown"), "{last}");
    Ok(())
}

/// The word count of the test input, as the agreed result: its output's CID.
fn word_count_result() -> [u8; 32] {
    *Cid::of(b"2 9 44\n").digest()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_agree_on_a_job_and_each_is_paid_its_reward() -> Result<()> {
    let report = run_job(JobSpec::word_count([Behaviour::Honest; 3])).await?;
    ensure!(report.status == JobStatus::Succeeded, "{:?}", report.status);
    ensure!(
        report.result == word_count_result(),
        "the agreed result is the CID of the word count"
    );
    for (i, w) in report.workers.iter().enumerate() {
        ensure!(
            w.tokens_delta == i128::from(REWARD) && w.stake_after == w.stake_before,
            "worker {i} was paid {} (stake {} -> {})",
            w.tokens_delta,
            w.stake_before,
            w.stake_after
        );
        ensure!(
            w.reputation_delta == 1,
            "worker {i}: {}",
            w.reputation_delta
        );
    }
    ensure!(
        report.requester_delta == -3 * i128::from(REWARD) - i128::from(OUTPUT_BUDGET),
        "the requester paid the three rewards and the output's storage, nothing else: {}",
        report.requester_delta
    );
    let (owner, output) = report.output.context("a worker stored the output")?;
    ensure!(
        owner == report.requester && output == b"2 9 44\n",
        "the requester owns and reads the output: {owner} {output:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_worker_is_out_voted_and_slashed_and_the_requester_keeps_its_reward() -> Result<()>
{
    let report = run_job(JobSpec {
        indexer: true,
        ..JobSpec::word_count([Behaviour::Honest, Behaviour::Honest, Behaviour::Liar])
    })
    .await?;
    ensure!(report.status == JobStatus::Succeeded, "{:?}", report.status);
    ensure!(
        report.result == word_count_result(),
        "the two honest workers' result wins"
    );
    for w in &report.workers[..2] {
        ensure!(w.tokens_delta == i128::from(REWARD) && w.reputation_delta == 1);
    }
    let liar = &report.workers[2];
    // job_slash_bps = 500 on the local network: 5 % of the bonded stake.
    ensure!(
        liar.tokens_delta == 0
            && liar.stake_after == liar.stake_before - liar.stake_before / 20
            && liar.reputation_delta == -1,
        "the liar: paid {}, stake {} -> {}, reputation {}",
        liar.tokens_delta,
        liar.stake_before,
        liar.stake_after,
        liar.reputation_delta
    );
    ensure!(
        report.requester_delta == -2 * i128::from(REWARD) - i128::from(OUTPUT_BUDGET),
        "the liar's reward went back to the requester: {}",
        report.requester_delta
    );
    let (_, output) = report
        .output
        .context("an honest worker stored the output")?;
    ensure!(output == b"2 9 44\n", "the honest output: {output:?}");

    // The indexer shows the same: the agreed result, each worker's commitment, reveal,
    // outcome, pay and slash.
    let shown = report.indexed.context("the network ran the indexer")?;
    let hex = |bytes: &[u8; 32]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    ensure!(
        shown["status"] == "succeeded" && shown["result_hash"] == hex(&report.result).as_str(),
        "{shown}"
    );
    ensure!(
        shown["output_cid"] == Cid::from_digest(report.result).to_string().as_str()
            && shown["output_blob"].is_string()
            && shown["output_budget"] == OUTPUT_BUDGET.to_string().as_str(),
        "the indexer shows the stored output: {shown}"
    );
    for (key, w) in report.keys.iter().zip(&report.workers) {
        let row = shown["results"]
            .as_array()
            .and_then(|rows| {
                rows.iter()
                    .find(|r| r["worker"] == key.to_string().as_str())
            })
            .with_context(|| format!("{key} in {shown}"))?;
        let honest = w.tokens_delta > 0;
        ensure!(
            !row["commitment"].is_null() && !row["result_hash"].is_null(),
            "{row}"
        );
        ensure!(
            if honest {
                row["outcome"] == "paid" && row["paid"] == REWARD.to_string().as_str()
            } else {
                row["outcome"] == "disagreed"
                    && row["slashed"] == (w.stake_before - w.stake_after).to_string().as_str()
            },
            "{row}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_worker_reveals_what_it_committed_and_a_dead_one_is_penalized() -> Result<()> {
    let report = run_job(JobSpec::word_count([
        Behaviour::Honest,
        Behaviour::RestartsAfterCommit,
        Behaviour::DiesAfterCommit,
    ]))
    .await?;
    ensure!(report.status == JobStatus::Succeeded, "{:?}", report.status);
    ensure!(report.result == word_count_result());
    for (i, w) in report.workers[..2].iter().enumerate() {
        ensure!(
            w.tokens_delta == i128::from(REWARD) && w.reputation_delta == 1,
            "worker {i} (the second restarted from its journal) was paid {}",
            w.tokens_delta
        );
    }
    let dead = &report.workers[2];
    ensure!(
        dead.tokens_delta == 0
            && dead.stake_after == dead.stake_before
            && dead.reputation_delta == -1,
        "the dead worker: no pay, no slash, reputation -1 (a no-show); got {} {} {}",
        dead.tokens_delta,
        dead.stake_after,
        dead.reputation_delta
    );
    ensure!(
        report.requester_delta == -2 * i128::from(REWARD) - i128::from(OUTPUT_BUDGET),
        "the no-show's reward went back to the requester: {}",
        report.requester_delta
    );
    ensure!(
        report.output.is_some_and(|(_, o)| o == b"2 9 44\n"),
        "the output was stored"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_out_of_fuel_agrees_on_the_failure_and_pays_for_the_work() -> Result<()> {
    let report = run_job(JobSpec {
        module: "sha256.wat",
        fuel_limit: 1_000,
        workers: [Behaviour::Honest; 3],
        indexer: false,
        output_stored_already: false,
    })
    .await?;
    ensure!(report.status == JobStatus::Succeeded, "{:?}", report.status);
    ensure!(
        basalt_sandbox::Failure::from_result(&report.result)
            == Some(basalt_sandbox::Failure::OutOfFuel),
        "the workers agree the module ran out of fuel"
    );
    for w in &report.workers {
        ensure!(w.tokens_delta == i128::from(REWARD) && w.reputation_delta == 1);
    }
    ensure!(
        report.requester_delta == -3 * i128::from(REWARD),
        "a failure has no output: the budget came back ({})",
        report.requester_delta
    );
    ensure!(report.output.is_none());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_the_requester_stores_already_is_linked_not_stored_again() -> Result<()> {
    let report = run_job(JobSpec {
        output_stored_already: true,
        ..JobSpec::word_count([Behaviour::Honest; 3])
    })
    .await?;
    ensure!(report.status == JobStatus::Succeeded && report.result == word_count_result());
    for w in &report.workers {
        ensure!(w.tokens_delta == i128::from(REWARD));
    }
    ensure!(
        report.requester_delta == -3 * i128::from(REWARD),
        "nothing was stored for the output: its budget came back ({})",
        report.requester_delta
    );
    let (owner, output) = report.output.context("the linked output")?;
    ensure!(owner == report.requester && output == b"2 9 44\n");
    Ok(())
}
