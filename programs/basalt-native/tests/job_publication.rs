//! Issue 44: a job over a dataset version whose output an agreeing worker publishes as the
//! version its requester asked for, in a real Solana runtime. The attacks come first:
//! publishing into a dataset the requester may not write, a private dataset, an input
//! version that is not the job's input, publication by a worker that did not agree, under
//! another tag, twice, and after the requester lost its grant.
#![allow(deprecated)]

use crate::common;

use anyhow::Result;
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::ix::{self, JobPostSources};
use basalt::client::pda;
use basalt::errors::BasaltError;
use basalt::instructions::{
    job_commitment, JobOutputArgs, JobOutputPublishArgs, JobPostArgs, JobPublicationArgs,
    VersionPublishArgs,
};
use basalt::state::{Blob, Deal, Job, Version, ROLE_COMPUTE, ROLE_READ, ROLE_WRITE};
use common::{assert_basalt_err, Net};
use solana_keypair::Keypair;
use solana_signer::Signer;

const REWARD: u64 = 100;
const OUTPUT_BUDGET: u64 = 1_400;
const PUBLISH_BUDGET: u64 = 140;
const OUTPUT: [u8; 32] = [9; 32];
const INPUT: [u8; 32] = [11; 32];

/// A public dataset `corpus` of a fresh owner with version `v1.1` (version id `INPUT`).
async fn corpus(net: &mut Net) -> Result<(Keypair, Pubkey, Pubkey)> {
    let owner = net.wallet().await?;
    net.send(
        &[ix::dataset_create(&owner.pubkey(), "corpus", true)],
        &[&owner],
    )
    .await?;
    let dataset = pda::dataset(&owner.pubkey(), "corpus");
    let manifest = net.register_blob(&owner, INPUT).await?;
    let publish = ix::version_publish(
        &owner.pubkey(),
        &dataset,
        &manifest,
        &[],
        None,
        VersionPublishArgs {
            tag: "v1.1".into(),
            version_id: INPUT,
            message: String::new(),
        },
        false,
    );
    net.send(&[publish], &[&owner]).await?;
    Ok((owner, dataset, pda::version(&dataset, "v1.1")))
}

/// Job `nonce` over `INPUT`, its output stored and published as `v1.1-clean`.
fn job_args(nonce: u64) -> JobPostArgs {
    JobPostArgs {
        nonce,
        module_cid: [1; 32],
        input_cid: INPUT,
        fuel_limit: 1_000_000,
        n: 2,
        k: 2,
        reward_per_worker: REWARD,
        apply_deadline_slot: 10,
        commit_deadline_slot: 20,
        reveal_deadline_slot: 40,
        output_budget: OUTPUT_BUDGET,
        output_price_per_shard_epoch: 10,
        output_deadline_slot: 60,
        output_encrypted: false,
        publication: Some(JobPublicationArgs {
            tag: "v1.1-clean".into(),
            budget: PUBLISH_BUDGET,
        }),
    }
}

fn sources(input: Pubkey, dataset: Pubkey, via_grant: bool) -> JobPostSources {
    JobPostSources {
        input_version: Some(input),
        publish_dataset: Some(dataset),
        via_grant,
    }
}

/// Runs `job` with two agreeing workers of `workers` to success and registers its output
/// (by the first).
async fn run_to_output(
    net: &mut Net,
    job: &Pubkey,
    requester: &Keypair,
    req_tokens: &Pubkey,
    workers: &[(Keypair, Pubkey)],
) -> Result<()> {
    for w in workers {
        net.send(&[ix::job_apply(&w.0.pubkey(), job, None)], &[&w.0])
            .await?;
    }
    net.warp(11).await?;
    net.send(&[ix::job_select(job)], &[]).await?;
    for w in workers {
        let c = job_commitment(&OUTPUT, &w.0.pubkey(), &[1; 32]);
        net.send(&[ix::job_commit(&w.0.pubkey(), job, c)], &[&w.0])
            .await?;
    }
    net.warp(21).await?;
    for w in workers {
        net.send(
            &[ix::job_reveal(&w.0.pubkey(), job, OUTPUT, [1; 32])],
            &[&w.0],
        )
        .await?;
    }
    net.send(
        &[ix::job_finalize(job, &requester.pubkey(), req_tokens)],
        &[],
    )
    .await?;
    let w = &workers[0].0;
    let register =
        ix::job_output_register(&w.pubkey(), job, &requester.pubkey(), blob_args(OUTPUT));
    net.send(&[register], &[w]).await?;
    Ok(())
}

fn blob_args(cid_digest: [u8; 32]) -> JobOutputArgs {
    JobOutputArgs {
        cid_digest,
        size: 1_000,
        chunk_size: 1 << 20,
        leaf_size: basalt_proof::BlobLayout::new(1_000, 1 << 20, 10, 4)
            .map(|l| l.leaf_size())
            .unwrap_or_default(),
        k: 10,
        m: 4,
        commitment_root: [0; 32],
    }
}

fn publish_args(tag: &str, manifest: [u8; 32]) -> JobOutputPublishArgs {
    JobOutputPublishArgs {
        tag: tag.into(),
        manifest: blob_args(manifest),
    }
}

async fn settle(
    net: &mut Net,
    job: &Pubkey,
    requester: &Keypair,
    req_tokens: &Pubkey,
    w: &(Keypair, Pubkey),
) -> Result<(), solana_program_test::BanksClientError> {
    let ix = ix::job_settle(job, &requester.pubkey(), req_tokens, &w.0.pubkey(), &w.1);
    net.send(&[ix], &[]).await
}

#[tokio::test]
async fn an_agreeing_worker_publishes_the_output_as_the_version_the_requester_asked_for(
) -> Result<()> {
    let mut net = Net::start().await?;
    let (_, _, input) = corpus(&mut net).await?;
    let requester = net.wallet().await?;
    let req_tokens = net.tokens(&requester.pubkey(), 10_000).await?;
    let post = |args: JobPostArgs, sources: &JobPostSources| {
        ix::job_post_over(&requester.pubkey(), &req_tokens, args, sources)
    };

    // Attacks at posting: someone else's dataset, a private one, no stored output, an
    // input version that is not the input, a publication without its dataset.
    let stranger = net.wallet().await?;
    net.send(
        &[ix::dataset_create(&stranger.pubkey(), "theirs", true)],
        &[&stranger],
    )
    .await?;
    let strangers = pda::dataset(&stranger.pubkey(), "theirs");
    let refused = net
        .send(
            &[post(job_args(1), &sources(input, strangers, false))],
            &[&requester],
        )
        .await;
    assert_basalt_err(refused, BasaltError::NotDatasetWriter);
    net.send(
        &[ix::dataset_create(&requester.pubkey(), "clean", false)],
        &[&requester],
    )
    .await?;
    let private = pda::dataset(&requester.pubkey(), "clean");
    let refused = net
        .send(
            &[post(job_args(1), &sources(input, private, false))],
            &[&requester],
        )
        .await;
    assert_basalt_err(refused, BasaltError::DatasetNotPublic);
    net.send(
        &[ix::dataset_set_access(
            &requester.pubkey(),
            &private,
            true,
            false,
        )],
        &[&requester],
    )
    .await?;
    let target = private;
    let unstored = JobPostArgs {
        output_budget: 0,
        output_price_per_shard_epoch: 0,
        output_deadline_slot: 0,
        ..job_args(1)
    };
    let refused = net
        .send(
            &[post(unstored, &sources(input, target, false))],
            &[&requester],
        )
        .await;
    assert_basalt_err(refused, BasaltError::PublicationNeedsOutput);
    let other_input = JobPostArgs {
        input_cid: [12; 32],
        ..job_args(1)
    };
    let refused = net
        .send(
            &[post(other_input, &sources(input, target, false))],
            &[&requester],
        )
        .await;
    assert_basalt_err(refused, BasaltError::InputVersionMismatch);
    let no_dataset = JobPostSources {
        publish_dataset: None,
        ..sources(input, target, false)
    };
    let refused = net
        .send(&[post(job_args(1), &no_dataset)], &[&requester])
        .await;
    assert_basalt_err(refused, BasaltError::InvalidJobParams);

    net.send(
        &[post(job_args(1), &sources(input, target, false))],
        &[&requester],
    )
    .await?;
    let job = pda::job(&requester.pubkey(), 1);
    assert_eq!(
        net.balance(&req_tokens).await?,
        10_000 - 2 * REWARD - OUTPUT_BUDGET - PUBLISH_BUDGET
    );
    let posted: Job = net.account(&job).await?;
    assert_eq!(posted.input_version, input);
    let workers = net.providers(ROLE_COMPUTE, 3).await?;
    let publish = |w: &Keypair, args: JobOutputPublishArgs, input: Option<&Pubkey>| {
        ix::job_output_publish(
            &w.pubkey(),
            &job,
            &requester.pubkey(),
            &target,
            input,
            false,
            args,
        )
    };
    run_to_output(&mut net, &job, &requester, &req_tokens, &workers[..2]).await?;

    // The agreeing workers' pay waits for the publication.
    let waiting = settle(&mut net, &job, &requester, &req_tokens, &workers[0]).await;
    assert_basalt_err(waiting, BasaltError::OutputPending);
    // Attacks at publication: a worker that did not agree, another tag, no input version.
    let outsider = &workers[2].0;
    let refused = net
        .send(
            &[publish(
                outsider,
                publish_args("v1.1-clean", [20; 32]),
                Some(&input),
            )],
            &[outsider],
        )
        .await;
    assert_basalt_err(refused, BasaltError::NotAgreeingWorker);
    let w = &workers[1].0;
    let refused = net
        .send(
            &[publish(w, publish_args("v9", [20; 32]), Some(&input))],
            &[w],
        )
        .await;
    assert_basalt_err(refused, BasaltError::NoPublicationWanted);
    let refused = net
        .send(
            &[publish(w, publish_args("v1.1-clean", [20; 32]), None)],
            &[w],
        )
        .await;
    assert_basalt_err(refused, BasaltError::InputVersionMismatch);

    let lamports = net.lamports(&w.pubkey()).await?;
    net.send(
        &[publish(
            w,
            publish_args("v1.1-clean", [20; 32]),
            Some(&input),
        )],
        &[w],
    )
    .await?;
    assert_eq!(
        net.lamports(&w.pubkey()).await?,
        lamports,
        "the worker paid three accounts' rent and was paid it back"
    );
    let version: Version = net.account(&pda::version(&target, "v1.1-clean")).await?;
    let manifest = pda::blob(&requester.pubkey(), &[20; 32]);
    assert_eq!(
        (
            version.publisher,
            version.job,
            version.parents.clone(),
            version.version_id
        ),
        (requester.pubkey(), Some(job), vec![input], [20; 32]),
        "published in the requester's name, derived by the job from its input"
    );
    assert_eq!(version.manifest_blob, manifest);
    let blob: Blob = net.account(&manifest).await?;
    let deal: Deal = net.account(&pda::deal(&manifest)).await?;
    assert_eq!(
        (
            blob.owner,
            blob.writer,
            blob.public,
            deal.payer,
            deal.balance
        ),
        (
            requester.pubkey(),
            Some(w.pubkey()),
            true,
            requester.pubkey(),
            PUBLISH_BUDGET
        )
    );
    let again = net
        .send(
            &[publish(
                &workers[0].0,
                publish_args("v1.1-clean", [21; 32]),
                Some(&input),
            )],
            &[&workers[0].0],
        )
        .await;
    assert_basalt_err(again, BasaltError::AlreadyPublished);

    for w in &workers[..2] {
        let before = net.balance(&w.1).await?;
        settle(&mut net, &job, &requester, &req_tokens, w).await?;
        assert_eq!(net.balance(&w.1).await? - before, REWARD);
    }
    assert!(!net.exists(&job).await?, "the job closed");
    assert_eq!(
        net.balance(&req_tokens).await?,
        10_000 - 2 * REWARD - OUTPUT_BUDGET - PUBLISH_BUDGET,
        "both budgets are deals now"
    );
    Ok(())
}

/// A requester that publishes as a WRITE grantee and loses the grant before the output is
/// stored: the worker cannot publish in its name, the workers are paid after the output
/// deadline, and the publication budget goes back.
#[tokio::test]
async fn a_revoked_grant_stops_the_publication_and_its_budget_returns() -> Result<()> {
    let mut net = Net::start().await?;
    let (owner, dataset, input) = corpus(&mut net).await?;
    let requester = net.wallet().await?;
    let req_tokens = net.tokens(&requester.pubkey(), 10_000).await?;
    let grant = |roles| {
        ix::dataset_grant_create(
            &owner.pubkey(),
            &dataset,
            &requester.pubkey(),
            roles,
            None,
            vec![3; 96],
            false,
        )
    };
    net.send(&[grant(ROLE_READ)], &[&owner]).await?;
    let post = ix::job_post_over(
        &requester.pubkey(),
        &req_tokens,
        job_args(2),
        &sources(input, dataset, true),
    );
    let refused = net.send(std::slice::from_ref(&post), &[&requester]).await;
    assert_basalt_err(refused, BasaltError::NotDatasetWriter);
    let revoke = ix::dataset_grant_revoke(
        &owner.pubkey(),
        &dataset,
        &requester.pubkey(),
        &owner.pubkey(),
        false,
    );
    net.send(std::slice::from_ref(&revoke), &[&owner]).await?;
    net.send(&[grant(ROLE_READ | ROLE_WRITE)], &[&owner])
        .await?;
    net.send(&[post], &[&requester]).await?;
    let job = pda::job(&requester.pubkey(), 2);
    let workers = net.providers(ROLE_COMPUTE, 2).await?;
    run_to_output(&mut net, &job, &requester, &req_tokens, &workers).await?;
    net.send(&[revoke], &[&owner]).await?;

    let w = &workers[1].0;
    let publish = ix::job_output_publish(
        &w.pubkey(),
        &job,
        &requester.pubkey(),
        &dataset,
        Some(&input),
        false,
        publish_args("v1.1-clean", [20; 32]),
    );
    let refused = net.send(&[publish], &[w]).await;
    assert_basalt_err(refused, BasaltError::NotDatasetWriter);
    net.warp(61).await?;
    for w in &workers {
        settle(&mut net, &job, &requester, &req_tokens, w).await?;
    }
    assert!(!net.exists(&job).await?, "the job closed");
    assert_eq!(
        net.balance(&req_tokens).await?,
        10_000 - 2 * REWARD - OUTPUT_BUDGET,
        "the publication budget came back"
    );
    Ok(())
}
