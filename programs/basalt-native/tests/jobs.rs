//! Compute jobs: escrow, applications, the stake-weighted selection, commit-reveal, k-of-n
//! finalization, payouts and penalties, and the job account's closing, in a real Solana
//! runtime.
// solana-program-test 3.x marks its whole API deprecated ("agave-unstable-api"); it is
// still the runtime the project measured and hosts the program in.
#![allow(deprecated)]

use crate::common;

use anyhow::Result;
use basalt::anchor_lang::prelude::Pubkey;
use basalt::anchor_lang::prelude::SlotHashes;
use basalt::anchor_lang::solana_program::sysvar::SysvarId;
use basalt::client::decode::BasaltEvent;
use basalt::client::{ix, pda};
use basalt::errors::BasaltError;
use basalt::events::WorkerOutcome;
use basalt::instructions::{job_commitment, JobOutputArgs, JobPostArgs, VersionPublishArgs};
use basalt::randomness::slot_hash_at_or_before;
use basalt::state::{
    Blob, Deal, Job, JobStatus, Provider, Version, MAX_JOB_APPLICANTS, ROLE_COMPUTE, ROLE_STORAGE,
};
use basalt_proof::hash::sha256v;
use basalt_proof::selection_draw;
use common::{assert_basalt_err, Net, MIN_STAKE};
use solana_keypair::Keypair;
use solana_program_test::BanksClientError;
use solana_signer::Signer;

const REWARD: u64 = 100;

/// Job `nonce` for `n` workers with quorum `k`: applications until slot `apply`, commits
/// until `commit`, reveals until `reveal`.
fn args(nonce: u64, n: u8, k: u8, [apply, commit, reveal]: [u64; 3]) -> JobPostArgs {
    JobPostArgs {
        nonce,
        module_cid: [1; 32],
        input_cid: [2; 32],
        fuel_limit: 1_000_000,
        n,
        k,
        reward_per_worker: REWARD,
        apply_deadline_slot: apply,
        commit_deadline_slot: commit,
        reveal_deadline_slot: reveal,
        ..Default::default()
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

async fn apply(net: &mut Net, job: &Pubkey, w: &Keypair) -> Result<(), BanksClientError> {
    net.send(&[ix::job_apply(&w.pubkey(), job, None)], &[w])
        .await
}

async fn open_obligations(net: &mut Net, w: &Keypair) -> Result<u32> {
    let p: Provider = net.account(&pda::provider(&w.pubkey())).await?;
    Ok(p.open_obligations)
}

async fn commit(
    net: &mut Net,
    job: &Pubkey,
    w: &Keypair,
    result: [u8; 32],
    salt: [u8; 32],
) -> Result<(), BanksClientError> {
    let c = job_commitment(&result, &w.pubkey(), &salt);
    net.send(&[ix::job_commit(&w.pubkey(), job, c)], &[w]).await
}

async fn settle(
    net: &mut Net,
    job: &Pubkey,
    requester: &Keypair,
    req_tokens: &Pubkey,
    w: &(Keypair, Pubkey),
) -> Result<(), BanksClientError> {
    let ix = ix::job_settle(job, &requester.pubkey(), req_tokens, &w.0.pubkey(), &w.1);
    net.send(&[ix], &[]).await
}

async fn finalize(
    net: &mut Net,
    job: &Pubkey,
    requester: &Keypair,
    tokens: &Pubkey,
) -> Result<(), BanksClientError> {
    let ix = ix::job_finalize(job, &requester.pubkey(), tokens);
    net.send(&[ix], &[]).await
}

#[tokio::test]
async fn k_of_n_with_a_cheater_pays_the_honest_and_slashes_the_cheater() -> Result<()> {
    let mut net = Net::start().await?;
    let (requester, req_tokens, job) = post(&mut net, args(1, 3, 2, [20, 50, 100])).await?;
    assert_eq!(net.balance(&pda::escrow_vault()).await?, 3 * REWARD);
    assert_eq!(net.balance(&req_tokens).await?, 10_000 - 3 * REWARD);
    let workers = net.providers(ROLE_COMPUTE, 4).await?;

    // A storage-only provider cannot apply; nobody applies twice.
    let (storage_only, _) = net.provider(ROLE_STORAGE, MIN_STAKE).await?;
    assert_basalt_err(
        apply(&mut net, &job, &storage_only).await,
        BasaltError::ProviderNotEligible,
    );
    for (w, _) in &workers[..3] {
        apply(&mut net, &job, w).await?;
        assert_eq!(
            open_obligations(&mut net, w).await?,
            1,
            "applying is consent"
        );
    }
    let w0 = workers[0].0.insecure_clone();
    assert_basalt_err(
        apply(&mut net, &job, &w0).await,
        BasaltError::AlreadyApplied,
    );
    // Nothing is selected before the apply deadline, and only the selected commit.
    assert_basalt_err(
        net.send(&[ix::job_select(&job)], &[]).await,
        BasaltError::ApplyPhaseOpen,
    );
    assert_basalt_err(
        commit(&mut net, &job, &w0, [0; 32], [0; 32]).await,
        BasaltError::NotSelected,
    );
    net.warp(21).await?;
    let w3 = workers[3].0.insecure_clone();
    assert_basalt_err(
        apply(&mut net, &job, &w3).await,
        BasaltError::ApplyPhaseOver,
    );
    net.send(&[ix::job_select(&job)], &[]).await?;
    assert_basalt_err(
        net.send(&[ix::job_select(&job)], &[]).await,
        BasaltError::AlreadySelected,
    );
    let j: Job = net.account(&job).await?;
    assert!(
        j.workers.iter().all(|w| w.selected),
        "n or fewer applicants all work"
    );

    // Commits: workers 0 and 1 computed the same result, worker 2 another.
    let (honest, cheat) = ([0xAA; 32], [0xBB; 32]);
    let results = [honest, honest, cheat];
    for (i, (w, _)) in workers[..3].iter().enumerate() {
        commit(&mut net, &job, w, results[i], [i as u8; 32]).await?;
    }
    // A commitment cannot be replaced, and a non-applicant cannot commit.
    assert_basalt_err(
        commit(&mut net, &job, &w0, [0; 32], [0; 32]).await,
        BasaltError::AlreadyCommitted,
    );
    assert_basalt_err(
        commit(&mut net, &job, &w3, [0; 32], [0; 32]).await,
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
        finalize(&mut net, &job, &requester, &req_tokens).await,
        BasaltError::TooEarlyToFinalize,
    );

    net.warp(60).await?;
    // Commits are over; a reveal must match its commitment (result, worker and salt).
    assert_basalt_err(
        commit(&mut net, &job, &w3, [0; 32], [0; 32]).await,
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
    finalize(&mut net, &job, &requester, &req_tokens).await?;
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
        finalize(&mut net, &job, &requester, &req_tokens).await,
        BasaltError::JobNotOpen,
    );

    let treasury_before = net.balance(&pda::treasury()).await?;
    let rent_before = net.lamports(&requester.pubkey()).await?;
    let job_rent = net.lamports(&job).await?;
    // Two of three agree: a strict majority, so the dissenter is slashed.
    for (i, w) in workers[..3].iter().enumerate() {
        if i == 2 {
            let w1 = &workers[1];
            assert_basalt_err(
                settle(&mut net, &job, &requester, &req_tokens, w1).await,
                BasaltError::AlreadySettled,
            );
        }
        let b = net.balance(&w.1).await?;
        settle(&mut net, &job, &requester, &req_tokens, w).await?;
        let p: Provider = net.account(&pda::provider(&w.0.pubkey())).await?;
        assert_eq!(p.open_obligations, 0, "the application ended");
        if i < 2 {
            assert_eq!(net.balance(&w.1).await? - b, REWARD);
            assert_eq!(p.reputation, 1);
        } else {
            assert_eq!(net.balance(&w.1).await?, b);
            assert_eq!(p.reputation, -1);
            assert_eq!(p.stake, MIN_STAKE * 10 - MIN_STAKE * 10 / 20);
        }
    }
    assert_eq!(
        net.balance(&pda::treasury()).await? - treasury_before,
        MIN_STAKE * 10 / 20
    );
    // The last settlement closed the job: the escrow is spent and the rent is back.
    assert!(!net.exists(&job).await?, "the finished job is closed");
    assert_eq!(
        net.lamports(&requester.pubkey()).await?,
        rent_before + job_rent
    );
    assert_eq!(net.balance(&pda::escrow_vault()).await?, 0);
    assert!(settle(&mut net, &job, &requester, &req_tokens, &workers[0])
        .await
        .is_err());
    Ok(())
}

#[tokio::test]
async fn without_quorum_the_requester_is_refunded_and_no_shows_penalized() -> Result<()> {
    let mut net = Net::start().await?;
    let (requester, req_tokens, job) = post(&mut net, args(7, 3, 2, [10, 20, 40])).await?;
    let workers = net.providers(ROLE_COMPUTE, 2).await?;
    for (w, _) in &workers {
        apply(&mut net, &job, w).await?;
    }
    net.warp(11).await?;
    net.send(&[ix::job_select(&job)], &[]).await?;
    for (w, _) in &workers {
        commit(&mut net, &job, w, [3; 32], [0; 32]).await?;
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
        finalize(&mut net, &job, &requester, &req_tokens).await,
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
    finalize(&mut net, &job, &requester, &req_tokens).await?;
    assert_eq!(net.balance(&req_tokens).await? - before, 3 * REWARD);
    assert_eq!(net.account::<Job>(&job).await?.status, JobStatus::Failed);
    for w in &workers {
        settle(&mut net, &job, &requester, &req_tokens, w).await?;
    }
    assert!(!net.exists(&job).await?, "the finished job is closed");
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

/// Issue 30: the worker that registers a job's output is paid back the rent of the
/// output's Blob and Deal accounts out of the lamports the requester put into the job
/// account, the deal holds the output budget with the requester as its payer, and the
/// registering worker may place the shards.
#[tokio::test]
async fn registering_the_output_costs_the_worker_no_rent() -> Result<()> {
    let mut net = Net::start().await?;
    let output = [9; 32];
    let (budget, price) = (1_400, 10);
    let posted = JobPostArgs {
        output_budget: budget,
        output_price_per_shard_epoch: price,
        output_deadline_slot: 60,
        ..args(8, 1, 1, [10, 20, 40])
    };
    let (requester, req_tokens, job) = post(&mut net, posted).await?;
    assert_eq!(net.balance(&req_tokens).await?, 10_000 - REWARD - budget);
    let job_rent = net.lamports(&job).await?;
    let w = net.providers(ROLE_COMPUTE, 1).await?.remove(0);
    apply(&mut net, &job, &w.0).await?;
    net.warp(11).await?;
    net.send(&[ix::job_select(&job)], &[]).await?;
    commit(&mut net, &job, &w.0, output, [0; 32]).await?;
    net.warp(21).await?;
    net.send(
        &[ix::job_reveal(&w.0.pubkey(), &job, output, [0; 32])],
        &[&w.0],
    )
    .await?;
    finalize(&mut net, &job, &requester, &req_tokens).await?;

    let worker_lamports = net.lamports(&w.0.pubkey()).await?;
    let register = JobOutputArgs {
        cid_digest: output,
        size: 1_000,
        chunk_size: 1 << 20,
        leaf_size: basalt_proof::BlobLayout::new(1_000, 1 << 20, 10, 4)?.leaf_size(),
        k: 10,
        m: 4,
        commitment_root: [0; 32],
    };
    net.send(
        &[ix::job_output_register(
            &w.0.pubkey(),
            &job,
            &requester.pubkey(),
            register,
        )],
        &[&w.0],
    )
    .await?;
    assert_eq!(
        net.lamports(&w.0.pubkey()).await?,
        worker_lamports,
        "the worker paid the rent and was paid it back"
    );
    let blob_address = pda::blob(&requester.pubkey(), &output);
    let blob: Blob = net.account(&blob_address).await?;
    let deal: Deal = net.account(&pda::deal(&blob_address)).await?;
    assert_eq!(
        (blob.owner, blob.writer, blob.public, blob.expiry_epoch),
        (requester.pubkey(), Some(w.0.pubkey()), true, 10),
        "the requester's public blob, ten epochs of fourteen shards at the price"
    );
    assert_eq!(
        (deal.payer, deal.balance, deal.price_per_shard_epoch),
        (requester.pubkey(), budget, price)
    );
    let after: Job = net.account(&job).await?;
    assert_eq!((after.output_blob, after.output_budget), (blob_address, 0));
    assert!(
        net.lamports(&job).await? < job_rent,
        "the job account gave the output's rent away"
    );
    publish_derived_version(&mut net, &requester, &job, &blob_address).await?;
    settle(&mut net, &job, &requester, &req_tokens, &w).await?;
    assert!(!net.exists(&job).await?, "the job closed");
    assert_eq!(
        net.balance(&req_tokens).await?,
        10_000 - REWARD - budget,
        "the budget is the output's deal"
    );
    Ok(())
}

/// Issue 44: the requester publishes the job's output as a version derived by the job;
/// the chain records the job. Claiming someone else's job, or a job that has not
/// succeeded, is refused.
async fn publish_derived_version(
    net: &mut Net,
    requester: &Keypair,
    job: &Pubkey,
    manifest: &Pubkey,
) -> Result<()> {
    let publish = |who: &Keypair, job: &Pubkey, manifest: &Pubkey| {
        let dataset = pda::dataset(&who.pubkey(), "outputs");
        ix::version_publish(
            &who.pubkey(),
            &dataset,
            manifest,
            &[],
            Some(job),
            VersionPublishArgs {
                tag: "v1-clean".into(),
                version_id: [4; 32],
                message: String::new(),
            },
            false,
        )
    };
    let stranger = net.wallet().await?;
    for who in [requester, &stranger] {
        net.send(
            &[ix::dataset_create(&who.pubkey(), "outputs", false)],
            &[who],
        )
        .await?;
    }
    let strangers_manifest = net.register_blob(&stranger, [3; 32]).await?;
    assert_basalt_err(
        net.send(
            &[publish(&stranger, job, &strangers_manifest)],
            &[&stranger],
        )
        .await,
        BasaltError::DerivationJobMismatch,
    );
    let (_, _, open_job) = post(net, args(77, 1, 1, [500, 600, 700])).await?;
    assert_basalt_err(
        net.send(&[publish(requester, &open_job, manifest)], &[requester])
            .await,
        BasaltError::DerivationJobMismatch,
    );
    net.send(&[publish(requester, job, manifest)], &[requester])
        .await?;
    let dataset = pda::dataset(&requester.pubkey(), "outputs");
    let v: Version = net.account(&pda::version(&dataset, "v1-clean")).await?;
    assert_eq!(v.job, Some(*job));
    Ok(())
}

/// Issue 30: a job whose agreed output is content the requester already stores (a blob of
/// its own with that digest, so the output's own blob address is taken) has that blob
/// recorded as its output by an agreeing worker: nothing is created or funded, the
/// agreeing workers may settle at once, and the budget goes back when the job closes. A
/// worker that did not agree, a blob of someone else's and a second link are refused.
#[tokio::test]
async fn an_output_the_requester_already_stores_is_linked_not_stored_again() -> Result<()> {
    let mut net = Net::start().await?;
    let output = [5; 32];
    let budget = 1_400;
    let posted = JobPostArgs {
        output_budget: budget,
        output_price_per_shard_epoch: 10,
        output_deadline_slot: 60,
        ..args(9, 2, 2, [10, 20, 40])
    };
    let (requester, req_tokens, job) = post(&mut net, posted).await?;
    net.register_blob(&requester, output).await?;
    let other = net.wallet().await?;
    net.register_blob(&other, output).await?;
    let workers = net.providers(ROLE_COMPUTE, 3).await?;
    for w in &workers[..2] {
        apply(&mut net, &job, &w.0).await?;
    }
    net.warp(11).await?;
    net.send(&[ix::job_select(&job)], &[]).await?;
    for w in &workers[..2] {
        commit(&mut net, &job, &w.0, output, [1; 32]).await?;
    }
    net.warp(21).await?;
    for w in &workers[..2] {
        net.send(
            &[ix::job_reveal(&w.0.pubkey(), &job, output, [1; 32])],
            &[&w.0],
        )
        .await?;
    }
    finalize(&mut net, &job, &requester, &req_tokens).await?;
    let link = |w: &Keypair| ix::job_output_link(&w.pubkey(), &job, &requester.pubkey(), &output);

    let outsider = &workers[2].0;
    let refused = net.send(&[link(outsider)], &[outsider]).await;
    assert_basalt_err(refused, BasaltError::NotAgreeingWorker);
    let mut someone_elses = link(&workers[0].0);
    someone_elses.accounts[2].pubkey = pda::blob(&other.pubkey(), &output);
    assert!(
        net.send(&[someone_elses], &[&workers[0].0]).await.is_err(),
        "only the requester's blob of the agreed result"
    );

    net.send(&[link(&workers[0].0)], &[&workers[0].0]).await?;
    let after: Job = net.account(&job).await?;
    assert_eq!(
        (after.output_blob, after.output_budget),
        (pda::blob(&requester.pubkey(), &output), budget),
        "the requester's blob is the output; the budget stays with the job"
    );
    let again = net.send(&[link(&workers[1].0)], &[&workers[1].0]).await;
    assert_basalt_err(again, BasaltError::OutputAlreadyStored);
    assert!(
        !net.exists(&pda::deal(&pda::blob(&requester.pubkey(), &output)))
            .await?,
        "no deal was opened"
    );

    // Settled before the output deadline: the output is stored.
    for w in &workers[..2] {
        let before = net.balance(&w.1).await?;
        settle(&mut net, &job, &requester, &req_tokens, w).await?;
        assert_eq!(net.balance(&w.1).await? - before, REWARD, "paid at once");
    }
    assert!(!net.exists(&job).await?, "the job closed");
    assert_eq!(
        net.balance(&req_tokens).await?,
        10_000 - 2 * REWARD,
        "the budget came back"
    );
    Ok(())
}

/// Issue 42, finding 1: places go by a stake-weighted draw from a seed nobody knew while
/// applying, not by arrival. The program's draw is recomputed here from the SlotHashes
/// entry of the apply deadline and `basalt_rules::select_weighted`.
#[tokio::test]
async fn applicants_are_drawn_by_stake_from_the_deadline_slot_hash() -> Result<()> {
    let mut net = Net::start().await?;
    let (requester, req_tokens, job) = post(&mut net, args(3, 2, 2, [30, 60, 90])).await?;
    let mut applicants = Vec::new();
    for m in [1, 2, 3, 4, 5, 30] {
        let w = net.provider(ROLE_COMPUTE, MIN_STAKE * m).await?;
        apply(&mut net, &job, &w.0).await?;
        applicants.push(w);
    }
    net.warp(31).await?;
    net.send(&[ix::job_select(&job)], &[]).await?;

    let slot_hashes = net
        .account_data(&SlotHashes::id())
        .await?
        .expect("the SlotHashes sysvar exists");
    let bank = slot_hash_at_or_before(&slot_hashes, 30).expect("the deadline's bank hash");
    let seed = sha256v(&[&bank, job.as_ref()]);
    let event = net.events.iter().rev().find_map(|e| match e {
        BasaltEvent::JobSelected(e) => Some((e.seed, e.workers.clone())),
        _ => None,
    });
    let (event_seed, event_workers) = event.expect("job_select emitted JobSelected");
    assert_eq!(
        event_seed, seed,
        "the seed is the deadline's bank hash and the job"
    );
    let j: Job = net.account(&job).await?;
    let stakes: Vec<u128> = j.workers.iter().map(|w| w.stake.into()).collect();
    assert_eq!(
        stakes[5],
        u128::from(MIN_STAKE * 30),
        "the stake at application"
    );
    let set = basalt_rules::select_weighted(&stakes, 2, |i| selection_draw(&seed, i));
    let selected: Vec<Pubkey> = (0..6)
        .filter(|i| set & (1 << i) != 0)
        .map(|i| applicants[i].0.pubkey())
        .collect();
    assert_eq!(event_workers, selected);
    for (i, w) in j.workers.iter().enumerate() {
        assert_eq!(w.selected, set & (1 << i) != 0, "applicant {i}");
    }

    // An applicant passed over cannot commit, and is released at once; a selected one
    // stays bound until the job is finalized.
    let out = (0..6)
        .find(|i| set & (1 << i) == 0)
        .expect("four are passed over");
    let picked = (0..6)
        .find(|i| set & (1 << i) != 0)
        .expect("two are selected");
    assert_basalt_err(
        commit(&mut net, &job, &applicants[out].0, [1; 32], [0; 32]).await,
        BasaltError::NotSelected,
    );
    settle(&mut net, &job, &requester, &req_tokens, &applicants[out]).await?;
    assert_eq!(open_obligations(&mut net, &applicants[out].0).await?, 0);
    assert_basalt_err(
        settle(&mut net, &job, &requester, &req_tokens, &applicants[picked]).await,
        BasaltError::JobNotFinalized,
    );
    // Nobody commits: the job fails, everyone else settles, and the account closes.
    net.warp(91).await?;
    finalize(&mut net, &job, &requester, &req_tokens).await?;
    for (i, w) in applicants.iter().enumerate() {
        if i != out {
            settle(&mut net, &job, &requester, &req_tokens, w).await?;
        }
    }
    assert!(!net.exists(&job).await?);
    Ok(())
}

/// A full applicant list cannot keep a better-staked worker out: it displaces the least
/// staked applicant, whose obligation ends; an equal stake does not.
#[tokio::test]
async fn a_full_list_admits_only_a_bigger_stake() -> Result<()> {
    let mut net = Net::start().await?;
    let (_, _, job) = post(&mut net, args(4, 3, 2, [500, 600, 700])).await?;
    let workers = net.providers(ROLE_COMPUTE, MAX_JOB_APPLICANTS + 1).await?;
    let (first, rest) = workers.split_first().expect("workers");
    assert_basalt_err(
        net.send(
            &[ix::job_apply(
                &first.0.pubkey(),
                &job,
                Some(&rest[0].0.pubkey()),
            )],
            &[&first.0],
        )
        .await,
        BasaltError::DisplacedMismatch,
    );
    apply(&mut net, &job, &first.0).await?;
    for (w, _) in &rest[..MAX_JOB_APPLICANTS - 1] {
        apply(&mut net, &job, w).await?;
    }
    let equal = &rest[MAX_JOB_APPLICANTS - 1].0;
    assert_basalt_err(
        apply(&mut net, &job, equal).await,
        BasaltError::ApplicantsFull,
    );

    let (big, _) = net.provider(ROLE_COMPUTE, MIN_STAKE * 20).await?;
    assert_basalt_err(
        apply(&mut net, &job, &big).await,
        BasaltError::DisplacedMismatch,
    );
    let wrong = rest[0].0.pubkey();
    assert_basalt_err(
        net.send(&[ix::job_apply(&big.pubkey(), &job, Some(&wrong))], &[&big])
            .await,
        BasaltError::DisplacedMismatch,
    );
    net.send(
        &[ix::job_apply(&big.pubkey(), &job, Some(&first.0.pubkey()))],
        &[&big],
    )
    .await?;
    let j: Job = net.account(&job).await?;
    assert_eq!(j.workers.len(), MAX_JOB_APPLICANTS);
    assert_eq!(
        j.workers[0].worker,
        big.pubkey(),
        "the newcomer took the place"
    );
    assert_eq!(
        open_obligations(&mut net, &first.0).await?,
        0,
        "the displaced is free"
    );
    assert_eq!(open_obligations(&mut net, &big).await?, 1);
    Ok(())
}

/// Issue 42, finding 1: a quorum that is no strict majority of the reveals decides the job
/// but slashes nobody (it may be the colluding side).
#[tokio::test]
async fn a_quorum_without_a_majority_slashes_nobody() -> Result<()> {
    let mut net = Net::start().await?;
    let (requester, req_tokens, job) = post(&mut net, args(5, 4, 2, [10, 20, 40])).await?;
    let workers = net.providers(ROLE_COMPUTE, 4).await?;
    for (w, _) in &workers {
        apply(&mut net, &job, w).await?;
    }
    net.warp(11).await?;
    net.send(&[ix::job_select(&job)], &[]).await?;
    let results = [[1; 32], [1; 32], [2; 32], [3; 32]];
    for (i, (w, _)) in workers.iter().enumerate() {
        commit(&mut net, &job, w, results[i], [0; 32]).await?;
    }
    net.warp(21).await?;
    for (i, (w, _)) in workers.iter().enumerate() {
        net.send(
            &[ix::job_reveal(&w.pubkey(), &job, results[i], [0; 32])],
            &[w],
        )
        .await?;
    }
    finalize(&mut net, &job, &requester, &req_tokens).await?;
    let j: Job = net.account(&job).await?;
    assert_eq!((j.status, j.result_hash), (JobStatus::Succeeded, [1; 32]));
    for w in &workers {
        settle(&mut net, &job, &requester, &req_tokens, w).await?;
    }
    for (i, (w, _)) in workers.iter().enumerate() {
        let p: Provider = net.account(&pda::provider(&w.pubkey())).await?;
        let expected = if i < 2 {
            (1, MIN_STAKE * 10)
        } else {
            (-1, MIN_STAKE * 10)
        };
        assert_eq!((p.reputation, p.stake), expected, "worker {i}");
    }
    let settled: Vec<_> = net
        .events
        .iter()
        .filter_map(|e| match e {
            BasaltEvent::JobWorkerSettled(e) => Some((e.outcome, e.slashed)),
            _ => None,
        })
        .collect();
    assert_eq!(
        settled[2..],
        [(WorkerOutcome::Disagreed, 0), (WorkerOutcome::Disagreed, 0)]
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
        args(1, 3, 4, [5, 10, 20]),
        args(2, 17, 1, [5, 10, 20]),
        args(3, 3, 0, [5, 10, 20]),
        args(4, 3, 2, [5, 20, 20]),
        args(6, 3, 2, [10, 10, 20]),
        args(7, 3, 2, [0, 10, 20]),
    ] {
        assert_basalt_err(
            net.send(&[ix::job_post(&r, &tokens, bad)], &[&requester])
                .await,
            BasaltError::InvalidJobParams,
        );
    }
    let mut huge = args(5, 3, 2, [5, 10, 20]);
    huge.reward_per_worker = u64::MAX / 2;
    assert_basalt_err(
        net.send(&[ix::job_post(&r, &tokens, huge)], &[&requester])
            .await,
        BasaltError::Overflow,
    );
    Ok(())
}
