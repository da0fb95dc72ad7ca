//! The second tier: the contracts on anvil (Foundry's local node, from npm) over real
//! JSON-RPC, deployed and called through `basalt-evm-client`'s contract instances with
//! locally signed transactions, custom errors decoded from the node's answers; and a blob
//! stored, proven with the real challenge of a real block hash, paid and slashed.

use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use anyhow::{Context, Result};
use basalt_core::encoder::encode_blob;
use basalt_evm_client::anvil::Anvil;
use basalt_evm_client::deploy::{deploy, Deployed, Network};
use basalt_evm_client::records::column_roots;
use basalt_evm_client::setup::{fund_stake, register_storage};
use basalt_evm_client::BasaltBlobs::{self, BasaltBlobsErrors};
use basalt_evm_client::BasaltProviders::{self, BasaltProvidersErrors};
use basalt_evm_client::BasaltTestToken;

/// Longest an anvil test may take (each takes about a second): a transaction the node
/// never mines must fail the test, not hang it.
const TEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Blocks per epoch and proof window on these networks: every transaction mines a block,
/// so an epoch leaves room for a setup's few dozen.
const EPOCH_BLOCKS: u64 = 60;
const PROOF_WINDOW_BLOCKS: u64 = 10;

fn network() -> Network {
    Network {
        epoch_blocks: EPOCH_BLOCKS,
        proof_window_blocks: PROOF_WINDOW_BLOCKS,
        treasury: Address::repeat_byte(0x7e),
        params: crate::deployment::params(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_works_over_json_rpc_on_anvil() -> Result<()> {
    tokio::time::timeout(TEST_TIMEOUT, registry_on_anvil())
        .await
        .context("the anvil test timed out")?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_is_stored_proven_paid_and_a_miss_slashed_on_anvil() -> Result<()> {
    tokio::time::timeout(TEST_TIMEOUT, storage_on_anvil())
        .await
        .context("the anvil test timed out")?
}

/// Mints 10,000 stake tokens to `to` and has it approve the registry and storage.
async fn fund(
    deployed: &Deployed,
    faucet: &(impl Provider + Clone),
    to: Address,
    as_to: &(impl Provider + Clone),
) -> Result<()> {
    fund_stake(deployed, faucet, to, as_to, U256::from(10_000)).await
}

async fn registry_on_anvil() -> Result<()> {
    let anvil = Anvil::start()?;
    let (_, deployer) = anvil.funded_wallet().await?;
    let (node, as_node) = anvil.funded_wallet().await?;
    let deployed = deploy(&deployer, &network()).await?;
    fund(&deployed, &deployer, node, &as_node).await?;

    let registry = BasaltProviders::new(deployed.providers, &as_node);
    let registered = registry
        .register("http://127.0.0.1:9000".into(), "eu-west".into(), 1, 1 << 30)
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(registered.status());
    let event = registered
        .decoded_log::<BasaltProviders::ProviderRegistered>()
        .context("no ProviderRegistered in the receipt")?;
    assert_eq!(event.provider, node);

    // Refused by the contract: the node's error answer carries the custom error.
    let again = registry
        .register("http://other".into(), String::new(), 1, 1)
        .send()
        .await
        .expect_err("a second registration");
    let decoded = again.as_decoded_interface_error::<BasaltProvidersErrors>();
    assert!(
        matches!(decoded, Some(BasaltProvidersErrors::ProviderExists(_))),
        "{again}"
    );

    registry
        .stake(U256::from(500))
        .send()
        .await?
        .get_receipt()
        .await?;
    // `provider` is also the instance's own accessor: the call is built from its type.
    let record = registry
        .call_builder(&BasaltProviders::providerCall { who: node })
        .call()
        .await?;
    assert_eq!((record.stake, record.roles), (U256::from(500), 1));
    let token = BasaltTestToken::new(deployed.token, &as_node);
    assert_eq!(token.balanceOf(node).call().await?, U256::from(9_500));
    assert!(registry.isEligible(node, 1).call().await?);
    Ok(())
}

async fn storage_on_anvil() -> Result<()> {
    let anvil = Anvil::start()?;
    let (_, deployer) = anvil.funded_wallet().await?;
    let (owner, as_owner) = anvil.funded_wallet().await?;
    let (cranker, as_cranker) = anvil.funded_wallet().await?;
    let deployed = deploy(&deployer, &network()).await?;
    let mut holders = Vec::new();
    for _ in 0..2 {
        let (holder, as_holder) = anvil.funded_wallet().await?;
        fund(&deployed, &deployer, holder, &as_holder).await?;
        register_storage(
            &deployed,
            &as_holder,
            "http://127.0.0.1:9000",
            U256::from(2_000),
        )
        .await?;
        holders.push((holder, as_holder));
    }
    fund(&deployed, &deployer, owner, &as_owner).await?;

    // A real blob: 40 KB of RS(1, 1) in 16 KiB chunks, every shard kept.
    let data: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut shards: Vec<Vec<Vec<u8>>> = Vec::new();
    let manifest = encode_blob(&data, 16 << 10, 1, 1, None, |chunk| {
        shards.push(chunk.shards().map(<[u8]>::to_vec).collect());
    })?;
    let commitment = &manifest.commitment;
    let layout = commitment.layout();
    let blobs = BasaltBlobs::new(deployed.blobs, &as_owner);
    let epoch = blobs.currentEpoch().call().await?;
    let args = BasaltBlobs::BlobArgs::of(&manifest, epoch + 20, false);
    let id = basalt_evm_client::blob_id(owner, args.cidDigest);
    let registered = blobs.register(args).send().await?.get_receipt().await?;
    assert!(registered
        .decoded_log::<BasaltBlobs::BlobRegistered>()
        .is_some());
    let roots = column_roots(&manifest);
    blobs
        .place(id, 0, holders.iter().map(|h| h.0).collect(), roots.clone())
        .send()
        .await?
        .get_receipt()
        .await?;
    blobs
        .fundDeal(id, 10, 1_000)
        .send()
        .await?
        .get_receipt()
        .await?;
    for (index, (_, as_holder)) in holders.iter().enumerate() {
        let terms = BasaltBlobs::Terms {
            columnRoot: roots[index],
            expiryEpoch: epoch + 20,
            pricePerShardEpoch: 10,
        };
        BasaltBlobs::new(deployed.blobs, as_holder)
            .accept(id, index as u16, terms)
            .send()
            .await?
            .get_receipt()
            .await?;
    }
    assert!(blobs.blob(id).call().await?.active);

    // Into the next epoch's proof window, one block past its first (whose hash, the seed,
    // a block can read only from the next one on).
    let proven = blobs.currentEpoch().call().await? + 1;
    let start = proven * EPOCH_BLOCKS;
    let now = deployer.get_block_number().await?;
    anvil.mine(&deployer, start + 1 - now).await?;
    let (as_h0, as_h1) = (&holders[0].1, &holders[1].1);
    let challenge = blobs.challengeOf(id, 0, proven).call().await?;
    // The challenge is basalt-proof's under the node's own hash of the epoch's first block.
    let first = deployer
        .get_block_by_number(start.into())
        .await?
        .context("no block at the epoch's start")?;
    let want = basalt_proof::derive_challenge(
        &first.header.hash.0,
        &commitment.commitment_root(),
        0,
        proven,
        layout,
    )
    .context("a non-empty blob")?;
    assert_eq!((challenge.chunk, challenge.leaf), (want.chunk, want.leaf));
    let proof = || {
        let shard = &shards[challenge.chunk as usize][0];
        commitment
            .storage_proof(shard, challenge.chunk, 0, challenge.leaf)
            .context("no proof of the challenged leaf")
    };
    let holder_blobs = BasaltBlobs::new(deployed.blobs, as_h0);
    // A leaf with one bit changed does not verify (with k = 1 the parity shard is a copy,
    // so another index's data would).
    let mut wrong = proof()?;
    wrong.leaf[0] ^= 1;
    let refused = holder_blobs
        .submitProof(id, 0, proven, wrong.leaf.into(), to_b256(&wrong.path))
        .send()
        .await
        .expect_err("another shard's data");
    assert!(
        matches!(
            refused.as_decoded_interface_error::<BasaltBlobsErrors>(),
            Some(BasaltBlobsErrors::InvalidProof(_))
        ),
        "{refused}"
    );
    let right = proof()?;
    let accepted = holder_blobs
        .submitProof(id, 0, proven, right.leaf.into(), to_b256(&right.path))
        .send()
        .await?
        .get_receipt()
        .await?;
    let event = accepted
        .decoded_log::<BasaltBlobs::ProofAccepted>()
        .context("no ProofAccepted")?;
    assert_eq!((event.chunk, event.leaf), (want.chunk, want.leaf));

    // Holder 1 never proves: after the window anyone slashes it, and holder 0 is paid.
    anvil.mine(&deployer, PROOF_WINDOW_BLOCKS).await?;
    let slashed = BasaltBlobs::new(deployed.blobs, &as_cranker)
        .slashMissedProof(id, 1, proven)
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(slashed.decoded_log::<BasaltBlobs::ProofMissed>().is_some());
    let registry = BasaltProviders::new(deployed.providers, as_h1);
    let h1 = registry
        .call_builder(&BasaltProviders::providerCall { who: holders[1].0 })
        .call()
        .await?;
    assert_eq!(
        (h1.stake, h1.status),
        (U256::from(1_800), 2),
        "10 %, jailed"
    );
    let token = BasaltTestToken::new(deployed.token, &as_cranker);
    assert_eq!(token.balanceOf(cranker).call().await?, U256::from(40));
    let before = token.balanceOf(holders[0].0).call().await?;
    blobs.settle(id, 0).send().await?.get_receipt().await?;
    assert_eq!(
        token.balanceOf(holders[0].0).call().await?,
        before + U256::from(10)
    );
    Ok(())
}

fn to_b256(path: &[[u8; 32]]) -> Vec<B256> {
    path.iter().map(|h| B256::from(*h)).collect()
}
