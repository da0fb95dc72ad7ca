//! Compute jobs: escrow, claims, commit-reveal, k-of-n finalization, payouts and penalties,
//! in a real Solana runtime.
// solana-program-test 3.x marks its whole API deprecated ("agave-unstable-api"); it is
// still the runtime the project measured and hosts the program in.
#![allow(deprecated)]

use crate::common;

use anyhow::Result;
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::{ix, pda};
use basalt::errors::BasaltError;
use basalt::events::WorkerOutcome;
use basalt::instructions::{job_commitment, JobPostArgs};
use basalt::state::{Job, JobStatus, Provider, ROLE_STORAGE};
use common::{assert_basalt_err, Net, MIN_STAKE};
use solana_keypair::Keypair;
use solana_signer::Signer;

const REWARD: u64 = 100;

fn args(nonce: u64, n: u8, k: u8, commit: u64, reveal: u64) -> JobPostArgs {
    JobPostArgs {
        nonce,
        module_cid: [1; 32],
        input_cid: [2; 32],
        fuel_limit: 1_000_000,
        n,
        k,
        reward_per_worker: REWARD,
        commit_deadline_slot: commit,
        reveal_deadline_slot: reveal,
    }
}

async fn post(net: &mut Net, a: JobPostArgs) -> Result<(Keypair, Pubkey, Pubkey)> {
    let requester = net.wallet().await?;
    let tokens = net.tokens(&requester.pubkey(), 10_000).await?;
    let job = pda::job(&requester.pubkey(), a.nonce);
    net.send(
        &[ix::job_post(&requester.pubkey(), &tokens, a)],
        &[&requester],
    )
    .await?;
    Ok((requester, tokens, job))
}

#[tokio::test]
async fn k_of_n_with_a_cheater_pays_the_honest_and_slashes_the_cheater() -> Result<()> {
    let mut net = Net::start().await?;
    let (_, req_tokens, job) = post(&mut net, args(1, 3, 2, 50, 100)).await?;
    assert_eq!(net.balance(&pda::escrow_vault()).await?, 3 * REWARD);
    assert_eq!(net.balance(&req_tokens).await?, 10_000 - 3 * REWARD);
    let workers = net.providers(basalt::state::ROLE_COMPUTE, 4).await?;

    // A storage-only provider cannot claim; nobody claims twice; at most n claim.
    let (storage_only, _) = net.provider(ROLE_STORAGE, MIN_STAKE).await?;
    assert_basalt_err(
        net.send(
            &[ix::job_claim(&storage_only.pubkey(), &job)],
            &[&storage_only],
        )
        .await,
        BasaltError::ProviderNotEligible,
    );
    for (w, _) in &workers[..3] {
        net.send(&[ix::job_claim(&w.pubkey(), &job)], &[w]).await?;
    }
    let w0 = workers[0].0.insecure_clone();
    assert_basalt_err(
        net.send(&[ix::job_claim(&w0.pubkey(), &job)], &[&w0]).await,
        BasaltError::AlreadyClaimed,
    );
    let w3 = workers[3].0.insecure_clone();
    assert_basalt_err(
        net.send(&[ix::job_claim(&w3.pubkey(), &job)], &[&w3]).await,
        BasaltError::JobFull,
    );

    // Commits: workers 0 and 1 computed the same result, worker 2 another.
    let (honest, cheat) = ([0xAA; 32], [0xBB; 32]);
    let results = [honest, honest, cheat];
    for (i, (w, _)) in workers[..3].iter().enumerate() {
        let salt = [i as u8; 32];
        let c = job_commitment(&results[i], &w.pubkey(), &salt);
        net.send(&[ix::job_commit(&w.pubkey(), &job, c)], &[w])
            .await?;
    }
    // A commitment cannot be replaced, and a non-worker cannot commit.
    assert_basalt_err(
        net.send(&[ix::job_commit(&w0.pubkey(), &job, [0; 32])], &[&w0])
            .await,
        BasaltError::AlreadyCommitted,
    );
    assert_basalt_err(
        net.send(&[ix::job_commit(&w3.pubkey(), &job, [0; 32])], &[&w3])
            .await,
        BasaltError::NotJobWorker,
    );
    // Reveals wait for the end of the commit phase.
    assert_basalt_err(
        net.send(
            &[ix::job_reveal(&w0.pubkey(), &job, honest, [0; 32])],
            &[&w0],
        )
        .await,
        BasaltError::CommitPhaseOpen,
    );
    assert_basalt_err(
        net.send(&[ix::job_finalize(&job, &req_tokens)], &[]).await,
        BasaltError::TooEarlyToFinalize,
    );

    net.warp(60).await?;
    // Commits are over; a reveal must match its commitment (result, worker and salt).
    assert_basalt_err(
        net.send(&[ix::job_commit(&w3.pubkey(), &job, [0; 32])], &[&w3])
            .await,
        BasaltError::CommitPhaseOver,
    );
    assert_basalt_err(
        net.send(
            &[ix::job_reveal(&w0.pubkey(), &job, cheat, [0; 32])],
            &[&w0],
        )
        .await,
        BasaltError::RevealMismatch,
    );
    let w2 = workers[2].0.insecure_clone();
    // Worker 2 cannot reveal worker 0's result with worker 0's salt either.
    assert_basalt_err(
        net.send(
            &[ix::job_reveal(&w2.pubkey(), &job, honest, [0; 32])],
            &[&w2],
        )
        .await,
        BasaltError::RevealMismatch,
    );
    for (i, (w, _)) in workers[..3].iter().enumerate() {
        net.send(
            &[ix::job_reveal(&w.pubkey(), &job, results[i], [i as u8; 32])],
            &[w],
        )
        .await?;
    }
    assert_basalt_err(
        net.send(
            &[ix::job_reveal(&w0.pubkey(), &job, honest, [0; 32])],
            &[&w0],
        )
        .await,
        BasaltError::AlreadyRevealed,
    );

    // Everyone revealed, so finalization need not wait for the reveal deadline.
    let before = net.balance(&req_tokens).await?;
    net.send(&[ix::job_finalize(&job, &req_tokens)], &[])
        .await?;
    assert_eq!(
        net.balance(&req_tokens).await? - before,
        REWARD,
        "the cheater's share is refunded"
    );
    let j: Job = net.account(&job).await?;
    assert_eq!(
        (j.status, j.result_hash, j.escrow),
        (JobStatus::Succeeded, honest, 2 * REWARD)
    );
    assert_basalt_err(
        net.send(&[ix::job_finalize(&job, &req_tokens)], &[]).await,
        BasaltError::JobNotOpen,
    );

    let treasury_before = net.balance(&pda::treasury()).await?;
    for (i, (w, tokens)) in workers[..3].iter().enumerate() {
        let b = net.balance(tokens).await?;
        net.send(&[ix::job_settle(&job, &w.pubkey(), tokens)], &[])
            .await?;
        let p: Provider = net.account(&pda::provider(&w.pubkey())).await?;
        let outcome = if i < 2 {
            WorkerOutcome::Paid
        } else {
            WorkerOutcome::Disagreed
        };
        match outcome {
            WorkerOutcome::Paid => {
                assert_eq!(net.balance(tokens).await? - b, REWARD);
                assert_eq!(p.reputation, 1);
            }
            _ => {
                assert_eq!(net.balance(tokens).await?, b);
                assert_eq!(p.reputation, -1);
                assert_eq!(p.stake, MIN_STAKE * 10 - MIN_STAKE * 10 / 20);
            }
        }
    }
    assert_eq!(
        net.balance(&pda::treasury()).await? - treasury_before,
        MIN_STAKE * 10 / 20
    );
    // No worker is settled twice, and the job paid exactly its escrow.
    let (w1, t1) = (workers[1].0.pubkey(), workers[1].1);
    assert_basalt_err(
        net.send(&[ix::job_settle(&job, &w1, &t1)], &[]).await,
        BasaltError::AlreadySettled,
    );
    assert_eq!(net.account::<Job>(&job).await?.escrow, 0);
    assert_eq!(net.balance(&pda::escrow_vault()).await?, 0);
    Ok(())
}

#[tokio::test]
async fn without_quorum_the_requester_is_refunded_and_no_shows_penalized() -> Result<()> {
    let mut net = Net::start().await?;
    let (_, req_tokens, job) = post(&mut net, args(7, 3, 2, 20, 40)).await?;
    let workers = net.providers(basalt::state::ROLE_COMPUTE, 2).await?;
    for (w, _) in &workers {
        net.send(&[ix::job_claim(&w.pubkey(), &job)], &[w]).await?;
        net.send(
            &[ix::job_commit(
                &w.pubkey(),
                &job,
                job_commitment(&[3; 32], &w.pubkey(), &[0; 32]),
            )],
            &[w],
        )
        .await?;
    }
    net.warp(30).await?;
    let w0 = workers[0].0.insecure_clone();
    net.send(
        &[ix::job_reveal(&w0.pubkey(), &job, [3; 32], [0; 32])],
        &[&w0],
    )
    .await?;
    // Not everyone revealed: finalization waits for the deadline.
    assert_basalt_err(
        net.send(&[ix::job_finalize(&job, &req_tokens)], &[]).await,
        BasaltError::TooEarlyToFinalize,
    );
    net.warp(41).await?;
    assert_basalt_err(
        net.send(
            &[ix::job_reveal(
                &workers[1].0.pubkey(),
                &job,
                [3; 32],
                [0; 32],
            )],
            &[&workers[1].0],
        )
        .await,
        BasaltError::RevealPhaseOver,
    );
    let before = net.balance(&req_tokens).await?;
    net.send(&[ix::job_finalize(&job, &req_tokens)], &[])
        .await?;
    assert_eq!(net.balance(&req_tokens).await? - before, 3 * REWARD);
    assert_eq!(net.account::<Job>(&job).await?.status, JobStatus::Failed);
    for (w, tokens) in &workers {
        net.send(&[ix::job_settle(&job, &w.pubkey(), tokens)], &[])
            .await?;
    }
    let revealer: Provider = net.account(&pda::provider(&workers[0].0.pubkey())).await?;
    let no_show: Provider = net.account(&pda::provider(&workers[1].0.pubkey())).await?;
    assert_eq!((revealer.reputation, no_show.reputation), (0, -1));
    assert_eq!(
        no_show.stake,
        MIN_STAKE * 10,
        "a no-show loses reputation, not stake"
    );
    Ok(())
}

#[tokio::test]
async fn job_parameters_and_escrow_overflow_are_refused() -> Result<()> {
    let mut net = Net::start().await?;
    let requester = net.wallet().await?;
    let tokens = net.tokens(&requester.pubkey(), 10_000).await?;
    let r = requester.pubkey();
    for bad in [
        args(1, 3, 4, 10, 20),
        args(2, 17, 1, 10, 20),
        args(3, 3, 0, 10, 20),
        args(4, 3, 2, 20, 20),
    ] {
        assert_basalt_err(
            net.send(&[ix::job_post(&r, &tokens, bad)], &[&requester])
                .await,
            BasaltError::InvalidJobParams,
        );
    }
    let mut huge = args(5, 3, 2, 10, 20);
    huge.reward_per_worker = u64::MAX / 2;
    assert_basalt_err(
        net.send(&[ix::job_post(&r, &tokens, huge)], &[&requester])
            .await,
        BasaltError::Overflow,
    );
    Ok(())
}
