//! A `basalt-node` process on the EVM (`--chain evm`), end to end on anvil: it takes
//! uploads signed by an EVM account (its receipts signed by its provider's EVM key),
//! accepts its placement with its own secp256k1 key, and
//! serves or refuses reads and deletions as the contracts decide, for requests signed as
//! Ethereum wallets sign messages.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use basalt_core::evm_auth::{address_of, EvmRequestAuth, SigningKey};
use basalt_core::wire::PutShardAnswer;
use basalt_core::{BlobId, Caller};
use basalt_evm_client::alloy::primitives::{Address, B256, U256};
use basalt_evm_client::anvil::Anvil;
use basalt_evm_client::deploy::{deploy, Network};
use basalt_evm_client::records::column_roots;
use basalt_evm_client::setup::fund_stake;
use basalt_evm_client::BasaltBlobs;
use basalt_rules::ROLE_READ;
use rand_core::{OsRng, RngCore};
use reqwest::StatusCode;

use crate::common::{Client, NodeProcess, TestBlob};
use crate::evm_chain::{storage_provider, wallet_of};

/// Longest the test may take (it takes a few seconds).
const TEST_TIMEOUT: Duration = Duration::from_secs(180);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_on_the_evm_serves_whom_the_contracts_admit() -> Result<()> {
    tokio::time::timeout(TEST_TIMEOUT, serve_on_anvil())
        .await
        .context("the EVM node test timed out")?
}

/// Sends a request signed by the EVM account of `key`, or with `forge` applied to its
/// authentication first.
async fn send_as(
    node: &NodeProcess,
    key: &SigningKey,
    method: &str,
    path: &str,
    body: Vec<u8>,
    forge: impl FnOnce(&mut EvmRequestAuth),
) -> Result<reqwest::Response> {
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    let mut auth = EvmRequestAuth::sign(
        key,
        method,
        path,
        blake3::hash(&body).as_bytes(),
        now,
        nonce,
    );
    forge(&mut auth);
    let mut request = reqwest::Client::new().request(
        reqwest::Method::from_bytes(method.as_bytes())?,
        format!("{}{path}", node.url()),
    );
    for (name, value) in auth.headers() {
        request = request.header(name, value);
    }
    Ok(request.body(body).send().await?)
}

/// The status of an unforged request without a body.
async fn status_of(
    node: &NodeProcess,
    key: &SigningKey,
    method: &str,
    path: &str,
) -> Result<StatusCode> {
    Ok(send_as(node, key, method, path, vec![], |_| {})
        .await?
        .status())
}

async fn serve_on_anvil() -> Result<()> {
    let anvil = Anvil::start()?;
    let (_, deployer) = anvil.funded_wallet().await?;
    let deployed = deploy(&deployer, &Network::local()).await?;

    // The node's provider key, written where the node reads it.
    let dir = tempfile::tempdir()?;
    let node_key = SigningKey::from_slice(&[0x33; 32])?;
    let provider = Address::from(address_of(node_key.verifying_key()));
    let key_file = dir.path().join("evm.key");
    std::fs::write(
        &key_file,
        format!(
            "0x{}\n",
            data_encoding::HEXLOWER.encode(&node_key.to_bytes())
        ),
    )?;
    let config = deployed.config.to_string();
    let node = NodeProcess::start(
        dir.path(),
        &[
            "--chain",
            "evm",
            "--rpc-url",
            anvil.url(),
            "--evm-config",
            &config,
            "--evm-key",
            &key_file.display().to_string(),
            "--accept-interval-secs",
            "1",
            "--prove-interval-secs",
            "0",
            "--no-crank",
            "--acl-cache-ms",
            "0",
        ],
    )?;
    ensure!(
        node.address == provider.to_string().to_lowercase(),
        "the node names its provider: {}",
        node.address
    );
    ensure!(
        !dir.path().join("identity.json").exists(),
        "an EVM node makes no ed25519 identity"
    );
    let as_node = wallet_of(&anvil, &node_key).await?;
    storage_provider(&deployed, &deployer, provider, &as_node, &node.url()).await?;
    let (other, as_other) = anvil.funded_wallet().await?;
    storage_provider(&deployed, &deployer, other, &as_other, "http://other").await?;

    let owner_key = SigningKey::from_slice(&[0x44; 32])?;
    let owner = Address::from(address_of(owner_key.verifying_key()));
    let as_owner = wallet_of(&anvil, &owner_key).await?;
    fund_stake(&deployed, &deployer, owner, &as_owner, U256::from(10_000)).await?;
    let grantee = SigningKey::from_slice(&[0x55; 32])?;
    let stranger = SigningKey::from_slice(&[0x66; 32])?;

    // The owner uploads column 0 (this node's) as an EVM account.
    let blob = TestBlob::random_with_id(40_000, 16 << 10, 1, 1, |digest| {
        BlobId::from_bytes(basalt_evm_client::blob_id(owner, B256::from(*digest)).0)
    })?;
    let column: Vec<_> = blob.shards.iter().filter(|(h, _)| h.shard == 0).collect();
    for (header, body) in &column {
        let path = blob.path(header.chunk, 0);
        let put = send_as(&node, &owner_key, "PUT", &path, body.clone(), |_| {}).await?;
        ensure!(put.status().is_success(), "PUT {path}: {}", put.status());
        // The receipt is the provider's, signed by its EVM key.
        let answer: PutShardAnswer = put.json().await?;
        let receipt = answer.receipt()?;
        receipt.verify(header)?;
        ensure!(receipt.node == Caller::Evm(provider.into_array()));
        ensure!(answer.node == node.address);
    }

    // Registered, placed on this node and another, with a deal: the node accepts.
    let blobs = BasaltBlobs::new(deployed.blobs, &as_owner);
    let expiry = blobs.currentEpoch().call().await? + 20;
    let id = B256::from(*blob.id.as_bytes());
    blobs
        .register(BasaltBlobs::BlobArgs::of(&blob.manifest, expiry, false))
        .send()
        .await?
        .get_receipt()
        .await?;
    let roots = column_roots(&blob.manifest);
    blobs
        .place(id, 0, vec![provider, other], roots.clone())
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
    let told = send_as(
        &node,
        &owner_key,
        "POST",
        &basalt_core::wire::placement_path(&blob.id),
        vec![],
        |_| {},
    )
    .await?;
    ensure!(told.status() == StatusCode::ACCEPTED, "{}", told.status());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !blobs.slot(id, 0).call().await?.accepted {
        ensure!(
            Instant::now() < deadline,
            "the node never accepted its index"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
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

    // Reads: refused until the owner grants, then served; nobody else's signature passes
    // for the grantee's.
    let (header, body) = column[0];
    let path = blob.path(header.chunk, 0);
    let status = |key| status_of(&node, key, "GET", &path);
    ensure!(status(&grantee).await? == StatusCode::FORBIDDEN);
    blobs
        .createGrant(
            id,
            Address::from(address_of(grantee.verifying_key())),
            ROLE_READ,
            0,
            vec![7u8; 48].into(),
        )
        .send()
        .await?
        .get_receipt()
        .await?;
    let served = send_as(&node, &grantee, "GET", &path, vec![], |_| {}).await?;
    ensure!(served.status() == StatusCode::OK, "{}", served.status());
    ensure!(served.bytes().await?.as_ref() == body.as_slice());
    ensure!(status(&stranger).await? == StatusCode::FORBIDDEN);
    let as_grantee = Address::from(address_of(grantee.verifying_key())).into_array();
    let forged = send_as(&node, &stranger, "GET", &path, vec![], |auth| {
        auth.address = as_grantee;
    })
    .await?;
    ensure!(
        forged.status() == StatusCode::UNAUTHORIZED,
        "{}",
        forged.status()
    );
    let ed25519 = Client::new();
    let refused = ed25519.send(&node, "GET", &path, vec![]).await?;
    ensure!(
        refused.status() == StatusCode::FORBIDDEN,
        "{}",
        refused.status()
    );

    // Deletion: a READ grant is not enough; the owner may.
    ensure!(status_of(&node, &grantee, "DELETE", &path).await? == StatusCode::FORBIDDEN);
    let deleted = status_of(&node, &owner_key, "DELETE", &path).await?;
    ensure!(deleted == StatusCode::NO_CONTENT, "{deleted}");
    Ok(())
}
