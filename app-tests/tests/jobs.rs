//! Compute jobs on a real local network: three workers (`basalt-worker`'s library, each
//! with its own journal and key) apply to a job a requester posted over public module and
//! input blobs, are drawn, fetch both through the SDK, run the module in the sandbox,
//! commit, reveal, finalize and settle. Honest workers are paid exactly their reward; a
//! worker that lies about its result is out-voted, slashed and loses reputation, and the
//! requester gets its unspent reward back.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::decode::BasaltEvent;
use basalt::instructions::JobPostArgs;
use basalt::state::{JobStatus, ROLE_COMPUTE};
use basalt_app_tests::TestNet;
use basalt_core::Cid;
use basalt_localnet::TOKEN;
use basalt_sdk::chain::{associated_token_address, ProviderRegistration};
use basalt_sdk::{ChainClient, PutOptions};
use basalt_worker::{Worker, WorkerConfig};
use solana_keypair::Keypair;
use solana_signer::Signer;

const REWARD: u64 = 50 * TOKEN;

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

/// The JobFinalized event of the job at `job`, from its transactions.
async fn finalized(chain: &ChainClient, job: &Pubkey) -> Result<Option<(JobStatus, [u8; 32])>> {
    for signature in chain.rpc().get_signatures_for_address(job).await? {
        let signature = signature.signature.parse()?;
        for event in chain.events(&signature).await? {
            if let BasaltEvent::JobFinalized(e) = event {
                return Ok(Some((e.status, e.result_hash)));
            }
        }
    }
    Ok(None)
}

/// What a job did to its requester and its workers.
struct JobReport {
    status: JobStatus,
    result: [u8; 32],
    requester_delta: i128,
    /// Per worker: token balance change, stake before and after, reputation change.
    workers: Vec<WorkerReport>,
}

struct WorkerReport {
    tokens_delta: i128,
    stake_before: u64,
    stake_after: u64,
    reputation_delta: i64,
}

const STAKE: u64 = 1_000 * TOKEN;

/// Runs the word count job on 3 workers, n = 3, k = 2; worker `i` lies when `lies[i]`.
async fn run_job(lies: [bool; 3]) -> Result<JobReport> {
    let t = TestNet::start(4, 4).await?;
    let chain = t.net.client();
    let mint = chain.stake_mint().await?;
    let requester = &t.wallets[0];

    // The module and its input, public so that any drawn worker reads them.
    let options = PutOptions {
        encrypt: false,
        public: true,
        ..t.rs_options(2, 2)
    };
    let module = example("wordcount.wat")?;
    let input = b"the quick brown fox\njumps over the lazy dog\n".to_vec();
    let module_put = t.put(requester, module, &options).await?;
    let input_put = t.put(requester, input, &options).await?;

    let keys: Vec<Keypair> = t.wallets[1..].iter().map(Keypair::insecure_clone).collect();
    let mut workers = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let worker = Worker::new(
            WorkerConfig {
                url: t.net.info.rpc_url.clone(),
                state_dir: t.dir.path().join(format!("worker-{i}")),
                capacity: 2,
                max_fuel: 1_000_000_000,
                interval: Duration::from_millis(300),
                cached_programs: 8,
                lie: lies[i],
            },
            key.insecure_clone(),
        )?;
        worker
            .register(
                &ProviderRegistration {
                    endpoint: format!("basalt-worker://{}", key.pubkey()),
                    region: "local".into(),
                    roles: ROLE_COMPUTE,
                    capacity: 0,
                },
                STAKE,
            )
            .await?;
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
                fuel_limit: 10_000_000,
                n: 3,
                k: 2,
                reward_per_worker: REWARD,
                apply_deadline_slot: now + 40,
                commit_deadline_slot: now + 100,
                reveal_deadline_slot: now + 140,
            },
        )
        .await?;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|worker| {
            let mut stopped = stopped.clone();
            tokio::spawn(async move {
                worker
                    .run(async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    })
                    .await;
            })
        })
        .collect();

    // The last settlement closes the job.
    let deadline = Instant::now() + Duration::from_secs(90);
    while chain.job(&job).await?.is_some() {
        if Instant::now() > deadline {
            bail!("the job did not close: {:?}", chain.job(&job).await?);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = stop.send(true);
    for task in tasks {
        task.await?;
    }

    let (status, result) = finalized(&chain, &job)
        .await?
        .context("the job's JobFinalized event")?;
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
    Ok(JobReport {
        status,
        result,
        requester_delta: i128::from(tokens(&chain, &requester.pubkey(), &mint).await?)
            - i128::from(requester_before),
        workers: reports,
    })
}

/// The word count of the test input, as the agreed result: its output's CID.
fn word_count_result() -> [u8; 32] {
    *Cid::of(b"2 9 44\n").digest()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_agree_on_a_job_and_each_is_paid_its_reward() -> Result<()> {
    let report = run_job([false; 3]).await?;
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
        report.requester_delta == -3 * i128::from(REWARD),
        "the requester paid the three rewards and nothing else: {}",
        report.requester_delta
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_worker_is_out_voted_and_slashed_and_the_requester_keeps_its_reward() -> Result<()>
{
    let report = run_job([false, false, true]).await?;
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
        report.requester_delta == -2 * i128::from(REWARD),
        "the liar's reward went back to the requester: {}",
        report.requester_delta
    );
    Ok(())
}
