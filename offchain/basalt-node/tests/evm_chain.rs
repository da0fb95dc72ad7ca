//! The node's chain on the EVM: `EvmChain` against the contracts on anvil over JSON-RPC —
//! the read decisions the contracts make for EVM accounts (and for ed25519 keys, which name
//! none), placements and acceptance, proofs under the contract's own challenge, heartbeats,
//! and the crank's settle and slash.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use basalt_core::encoder::encode_blob;
use basalt_core::evm_auth::{address_of, SigningKey};
use basalt_core::{BlobId, Caller};
use basalt_evm_client::alloy::primitives::{Address, U256};
use basalt_evm_client::alloy::providers::Provider;
use basalt_evm_client::alloy::signers::local::PrivateKeySigner;
use basalt_evm_client::anvil::Anvil;
use basalt_evm_client::deploy::{deploy, Deployed, Network};
use basalt_evm_client::records::column_roots;
use basalt_evm_client::setup::{fund_stake, register_storage};
use basalt_evm_client::BasaltBlobs;
use basalt_node::chain::{
    BlobState, Chain, CrankAction, CrankOutcome, EvmChain, Placement, ProofOutcome,
    ProofSubmission, ReadDecision,
};
use basalt_rules::ROLE_READ;

/// Longest the test may take (it takes a few seconds): a transaction the node never mines
/// must fail it, not hang it.
const TEST_TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_reads_and_acts_through_the_evm_contracts() -> Result<()> {
    tokio::time::timeout(TEST_TIMEOUT, on_anvil())
        .await
        .context("the anvil test timed out")?
}

/// A provider signing as `key`, funded with ether by anvil.
pub(crate) async fn wallet_of(anvil: &Anvil, key: &SigningKey) -> Result<impl Provider + Clone> {
    anvil
        .wallet(PrivateKeySigner::from_signing_key(key.clone()))
        .await
}

/// Funds `who` (signing as `as_provider`) and registers it for storage at `endpoint` with
/// 2,000 staked.
pub(crate) async fn storage_provider(
    deployed: &Deployed,
    faucet: &(impl Provider + Clone),
    who: Address,
    as_provider: &(impl Provider + Clone),
    endpoint: &str,
) -> Result<()> {
    fund_stake(deployed, faucet, who, as_provider, U256::from(10_000)).await?;
    register_storage(deployed, as_provider, endpoint, U256::from(2_000)).await
}

async fn on_anvil() -> Result<()> {
    let anvil = Anvil::start()?;
    let (_, deployer) = anvil.funded_wallet().await?;
    let network = Network::local();
    let deployed = deploy(&deployer, &network).await?;

    let node_key = SigningKey::from_slice(&[0x11; 32])?;
    let node = Address::from(address_of(node_key.verifying_key()));
    let as_node = wallet_of(&anvil, &node_key).await?;
    storage_provider(&deployed, &deployer, node, &as_node, "http://node-a").await?;
    let (other, as_other) = anvil.funded_wallet().await?;
    storage_provider(&deployed, &deployer, other, &as_other, "http://node-b").await?;
    let (owner, as_owner) = anvil.funded_wallet().await?;
    fund_stake(&deployed, &deployer, owner, &as_owner, U256::from(10_000)).await?;
    let (stranger, _) = anvil.funded_wallet().await?;

    let chain = EvmChain::new(anvil.url(), deployed.config, 0, &node_key)?;
    ensure!(chain.provider() == Caller::Evm(node.into_array()));
    let evm = |a: Address| Caller::Evm(a.into_array());
    let ed25519 = Caller::Ed25519([0x42; 32]);

    // A real blob: 40 KB of RS(1, 1) in 16 KiB chunks, every shard kept for the proofs.
    let data: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut shards: Vec<Vec<Vec<u8>>> = Vec::new();
    let manifest = encode_blob(&data, 16 << 10, 1, 1, None, |chunk| {
        shards.push(chunk.shards().map(<[u8]>::to_vec).collect());
    })?;
    let commitment = &manifest.commitment;
    let blobs = BasaltBlobs::new(deployed.blobs, &as_owner);
    let expiry = blobs.currentEpoch().call().await? + 20;
    let args = BasaltBlobs::BlobArgs::of(&manifest, expiry, false);
    let id = basalt_evm_client::blob_id(owner, args.cidDigest);
    let blob = BlobId::from_bytes(id.0);
    let unknown = BlobId::from_bytes([9; 32]);
    ensure!(chain.blob_state(&unknown).await? == BlobState::Unregistered);
    ensure!(chain.placement(&unknown, &evm(node)).await? == Placement::Unregistered);
    ensure!(chain.may_delete(&unknown, &evm(owner)).await?.is_none());
    ensure!(chain.holder_endpoints(&unknown).await?.is_empty());
    blobs.register(args).send().await?.get_receipt().await?;
    ensure!(chain.blob_state(&blob).await? == BlobState::Live);
    ensure!(
        chain.read_access(&blob, &evm(owner)).await? == ReadDecision::DenyInactive,
        "nothing served before the blob is placed"
    );
    ensure!(chain.placement(&blob, &evm(node)).await? == Placement::Settled);

    // Placed on the node and another holder, with a deal: the node is offered index 0.
    let roots = column_roots(&manifest);
    blobs
        .place(id, 0, vec![node, other], roots.clone())
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
    let Placement::Offered(offer) = chain.placement(&blob, &evm(node)).await? else {
        anyhow::bail!("the node's placement is not offered to it");
    };
    ensure!(offer.index == 0 && offer.column_root == roots[0].0);
    ensure!(offer.price_per_shard_epoch == Some(10) && offer.expiry_epoch == expiry);
    ensure!(chain.holds(&blob, &evm(node)).await?, "an open offer");
    ensure!(!chain.holds(&blob, &evm(stranger)).await?);
    ensure!(!chain.holds(&blob, &ed25519).await?);

    // The node accepts with its own transaction; the other holder accepts too.
    chain
        .accept(&blob, offer.index, &offer.terms().context("a deal")?)
        .await?;
    ensure!(chain.placement(&blob, &evm(node)).await? == Placement::Settled);
    let refused = chain
        .accept(&blob, 0, &offer.terms().context("a deal")?)
        .await
        .expect_err("accepted twice");
    ensure!(refused.why.contains("AlreadyAccepted"), "{refused}");
    BasaltBlobs::new(deployed.blobs, &as_other)
        .accept(
            id,
            1,
            BasaltBlobs::Terms {
                columnRoot: roots[1],
                expiryEpoch: expiry,
                pricePerShardEpoch: 10,
            },
        )
        .send()
        .await?
        .get_receipt()
        .await?;

    // Reads, as the contract decides them.
    ensure!(chain.read_access(&blob, &evm(owner)).await? == ReadDecision::Owner);
    ensure!(chain.read_access(&blob, &evm(stranger)).await? == ReadDecision::Deny);
    ensure!(chain.read_access(&blob, &ed25519).await? == ReadDecision::Deny);
    blobs
        .createGrant(id, stranger, ROLE_READ, 0, vec![7u8; 48].into())
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(chain.read_access(&blob, &evm(stranger)).await? == ReadDecision::Grant);
    ensure!(chain.may_delete(&blob, &evm(owner)).await? == Some(true));
    ensure!(
        chain.may_delete(&blob, &evm(stranger)).await? == Some(false),
        "a READ grant deletes nothing"
    );
    ensure!(chain.may_delete(&blob, &ed25519).await? == Some(false));
    blobs
        .setAccess(id, true, Address::ZERO, U256::ZERO)
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(
        chain.read_access(&blob, &ed25519).await? == ReadDecision::Public,
        "an ed25519 key reads what anyone may"
    );
    ensure!(
        chain.holder_endpoints(&blob).await?
            == vec![
                Some("http://node-a".to_owned()),
                Some("http://node-b".to_owned())
            ]
    );

    // Heartbeats: the node's, and a refusal for a key nobody registered.
    chain.heartbeat().await?;
    let stray = EvmChain::new(
        anvil.url(),
        deployed.config,
        0,
        &SigningKey::from_slice(&[0x22; 32])?,
    )?;
    let err = stray.heartbeat().await.expect_err("not registered");
    ensure!(err.why.contains("not a registered provider"), "{err}");

    // Into the next epoch's proof window: the node owes index 0 under the contract's
    // challenge, proves it once, and is told it proved it already.
    let proven = blobs.currentEpoch().call().await? + 1;
    let start = proven * network.epoch_blocks;
    let now = deployer.get_block_number().await?;
    anvil.mine(&deployer, start + 1 - now).await?;
    let clock = chain.proof_clock().await?;
    ensure!(clock.epoch == proven && clock.window_open, "{clock:?}");
    let duties = chain.proof_duties(&[blob, unknown], proven).await?;
    ensure!(duties.len() == 1 && duties[0].index == 0, "{duties:?}");
    let duty = duties[0];
    let challenge = blobs.challengeOf(id, 0, proven).call().await?;
    ensure!((duty.chunk, duty.leaf) == (challenge.chunk, challenge.leaf));
    let proof = commitment
        .storage_proof(&shards[duty.chunk as usize][0], duty.chunk, 0, duty.leaf)
        .context("no proof of the challenged leaf")?;
    let submission = ProofSubmission {
        duty,
        leaf: proof.leaf,
        path: proof.path,
    };
    let mut wrong = submission.clone();
    wrong.leaf[0] ^= 1;
    let outcomes = chain
        .submit_proofs(&[wrong, submission.clone(), submission])
        .await;
    ensure!(
        matches!(&outcomes[0], ProofOutcome::Failed(why) if why == "InvalidProof"),
        "{outcomes:?}"
    );
    ensure!(
        outcomes[1..] == [ProofOutcome::Accepted, ProofOutcome::AlreadyProven],
        "{outcomes:?}"
    );
    ensure!(chain.proof_duties(&[blob], proven).await?.is_empty());

    // After the window: the crank sees its own proven epoch and the other holder's miss,
    // settles the first and slashes the second.
    anvil.mine(&deployer, network.proof_window_blocks).await?;
    let view = chain.crank_view(&[blob, unknown]).await?;
    ensure!(view.blobs.len() == 1, "{view:?}");
    let slots = &view.blobs[0].slots;
    ensure!(
        slots[0].mine && slots[0].state.unpaid_epochs == 1,
        "{slots:?}"
    );
    ensure!(
        !slots[1].mine && slots[1].holder.as_deref() == Some(&*other.to_string().to_lowercase())
    );
    let me = node.to_string().to_lowercase();
    let outcomes = chain
        .crank(&[
            CrankAction::Settle {
                blob,
                index: 0,
                holder: me.clone(),
                mine: true,
            },
            CrankAction::Slash {
                blob,
                index: 1,
                epoch: proven,
                holder: other.to_string().to_lowercase(),
            },
            CrankAction::Settle {
                blob: unknown,
                index: 0,
                holder: me.clone(),
                mine: true,
            },
        ])
        .await;
    ensure!(
        outcomes[0] == CrankOutcome::Settled { amount: 10 },
        "{outcomes:?}"
    );
    ensure!(
        outcomes[1] == CrankOutcome::Slashed { bounty: 40 },
        "{outcomes:?}"
    );
    ensure!(
        matches!(&outcomes[2], CrankOutcome::Failed(why) if why == "BlobNotFound"),
        "{outcomes:?}"
    );
    // Index 1 now awaits repair: the registry's eligible providers that were heard from
    // lately are candidates, the jailed one is not.
    chain.heartbeat().await?;
    let view = chain.crank_view(&[blob]).await?;
    ensure!(view.blobs[0].slots[1].state.needs_repair);
    ensure!(
        view.candidates
            .iter()
            .map(|c| (c.id.as_str(), c.endpoint.as_str()))
            .collect::<Vec<_>>()
            == vec![(me.as_str(), "http://node-a")],
        "{:?}",
        view.candidates
    );

    // Past its expiry the blob is garbage to its holders and served to nobody.
    let now = deployer.get_block_number().await?;
    anvil
        .mine(&deployer, expiry * network.epoch_blocks - now)
        .await?;
    ensure!(chain.blob_state(&blob).await? == BlobState::Expired);
    ensure!(chain.read_access(&blob, &evm(owner)).await? == ReadDecision::DenyExpired);
    Ok(())
}

#[test]
fn an_evm_node_needs_the_configuration_address_and_an_evm_key() -> Result<()> {
    use basalt_core::RequestKey;
    use basalt_node::config::{ChainKind, NodeConfig};
    let evm_key = RequestKey::Evm(SigningKey::from_slice(&[1; 32])?);
    let mut config = NodeConfig {
        chain: ChainKind::Evm,
        ..NodeConfig::default()
    };
    let refused =
        |config: &NodeConfig, key: &RequestKey| match basalt_node::connect_chain(config, key) {
            Ok(_) => "connected".to_owned(),
            Err(e) => format!("{e:#}"),
        };
    ensure!(refused(&config, &evm_key).contains("evm_config"));
    config.evm_config = Some("0x1234".into());
    ensure!(refused(&config, &evm_key).contains("not an EVM address"));
    config.evm_config = Some(format!("{:#x}", Address::repeat_byte(0xab)));
    let ed25519 = RequestKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&[1; 32]));
    ensure!(refused(&config, &ed25519).contains("provider key cannot be"));
    let chain = basalt_node::connect_chain(&config, &evm_key)?;
    ensure!(chain.provider() == evm_key.caller());
    Ok(())
}
