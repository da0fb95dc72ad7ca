//! The SDK's data path on the EVM, end to end on anvil: three `basalt-node --chain evm`
//! processes hold the shards; an EVM account puts an encrypted blob (register, place,
//! approve, fund), reads it back, shares it with another account (its key wrapped for that
//! account's secp256k1 key), revokes the grant and deletes the blob — through
//! `basalt_sdk::{put_on, get_from, access}` with `EvmBackend`, the code the Solana path runs.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use basalt_core::evm_auth::{address_of, SigningKey};
use basalt_core::{Caller, KeyRecipient};
use basalt_evm_client::alloy::primitives::{Address, U256};
use basalt_evm_client::anvil::Anvil;
use basalt_evm_client::deploy::{deploy, Network};
use basalt_evm_client::BasaltTestToken;
use basalt_rules::{ROLE_READ, ROLE_WRITE};
use basalt_sdk::access::{delete_on, grant_on, revoke_on};
use basalt_sdk::backend::evm::EvmBackend;
use basalt_sdk::{
    get_from, put_on, ChainBackend, GetError, GetOptions, Grantee, PutError, PutOptions,
};
use rand_core::{OsRng, RngCore};

use crate::common::NodeProcess;
use crate::evm_chain::{storage_provider, wallet_of};

/// Longest the test may take (it takes several seconds).
const TEST_TIMEOUT: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_puts_gets_shares_and_deletes_on_the_evm() -> Result<()> {
    tokio::time::timeout(TEST_TIMEOUT, on_anvil())
        .await
        .context("the EVM SDK test timed out")?
}

/// Starts a storage node whose provider key is `seed` repeated, registered for storage.
async fn start_node(
    anvil: &Anvil,
    deployed: &basalt_evm_client::deploy::Deployed,
    deployer: &(impl basalt_evm_client::alloy::providers::Provider + Clone),
    dir: &std::path::Path,
    seed: u8,
) -> Result<NodeProcess> {
    let key = SigningKey::from_slice(&[seed; 32])?;
    let key_file = dir.join("evm.key");
    std::fs::write(
        &key_file,
        format!("0x{}\n", data_encoding::HEXLOWER.encode(&key.to_bytes())),
    )?;
    let config = deployed.config.to_string();
    let node = NodeProcess::start(
        dir,
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
    let provider = Address::from(address_of(key.verifying_key()));
    let as_node = wallet_of(anvil, &key).await?;
    storage_provider(deployed, deployer, provider, &as_node, &node.url()).await?;
    Ok(node)
}

/// Reads blob `id` through `backend`, into memory.
async fn read(backend: &EvmBackend, id: &basalt_core::BlobId) -> Result<Vec<u8>, GetError> {
    let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = SharedSink(std::sync::Arc::clone(&out));
    get_from(backend, id, sink, &GetOptions::default(), |_| {}).await?;
    let bytes = out.lock().expect("not poisoned").clone();
    Ok(bytes)
}

/// A writer whose bytes the test reads after the get moved it into its task.
struct SharedSink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for SharedSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn on_anvil() -> Result<()> {
    let anvil = Anvil::start()?;
    let (_, deployer) = anvil.funded_wallet().await?;
    let deployed = deploy(&deployer, &Network::local()).await?;
    let dirs = [
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    ];
    let mut nodes = Vec::new();
    for (dir, seed) in dirs.iter().zip([0x71, 0x72, 0x73]) {
        nodes.push(start_node(&anvil, &deployed, &deployer, dir.path(), seed).await?);
    }

    // The owner holds stake tokens but has approved nothing: the put approves its escrow.
    let owner_key = SigningKey::from_slice(&[0x81; 32])?;
    let owner = Address::from(address_of(owner_key.verifying_key()));
    wallet_of(&anvil, &owner_key).await?;
    BasaltTestToken::new(deployed.token, &deployer)
        .mint(owner, U256::from(10_000))
        .send()
        .await?
        .get_receipt()
        .await?;
    let backend = |key: &SigningKey| EvmBackend::new(anvil.url(), deployed.config, 0, key.clone());
    let as_owner = backend(&owner_key)?;

    let mut data = vec![0u8; 300_000];
    OsRng.fill_bytes(&mut data);
    let options = PutOptions {
        k: Some(2),
        m: Some(1),
        chunk_size: 64 << 10,
        epochs: 5,
        price_per_shard_epoch: 10,
        ..PutOptions::default()
    };
    let source = data.clone();
    let stored = put_on(
        &as_owner,
        move || Ok(std::io::Cursor::new(source.clone())),
        data.len() as u64,
        &options,
        |_| {},
    )
    .await?;
    ensure!(stored.providers.len() == 3, "one holder per index");
    ensure!(
        stored.fully_accepted(),
        "every holder accepted: {} of 3",
        stored.accepted
    );
    let record = as_owner.blob(&stored.id).await?.context("registered")?;
    ensure!(record.owner == Caller::Evm(owner.into_array()) && record.encrypted);
    let escrow = BasaltTestToken::new(deployed.token, &deployer)
        .balanceOf(owner)
        .call()
        .await?;
    ensure!(
        escrow == U256::from(10_000 - 3 * 5 * 10),
        "the deal took 3 shards × 5 epochs × 10: {escrow}"
    );
    ensure!(
        read(&as_owner, &stored.id).await? == data,
        "the owner reads its bytes"
    );

    // The same bytes again: the blob exists (a plain put is convergent; a sealed one is
    // not, so put the plain form twice).
    let plain = PutOptions {
        encrypt: false,
        public: true,
        ..options.clone()
    };
    let small = vec![5u8; 10_000];
    let put_plain = |bytes: Vec<u8>| {
        let len = bytes.len() as u64;
        put_on(
            &as_owner,
            move || Ok(std::io::Cursor::new(bytes.clone())),
            len,
            &plain,
            |_| {},
        )
    };
    let first = put_plain(small.clone()).await?;
    match put_plain(small.clone()).await {
        Err(PutError::AlreadyStored(id)) if id == first.id => {}
        other => anyhow::bail!("a second put of the same bytes: {other:?}"),
    }

    // Another account: refused until granted; an address alone cannot be sent a key.
    let reader_key = SigningKey::from_slice(&[0x82; 32])?;
    wallet_of(&anvil, &reader_key).await?;
    let as_reader = backend(&reader_key)?;
    let reader = as_reader.wallet().caller();
    match read(&as_reader, &stored.id).await {
        Err(GetError::Forbidden(_)) => {}
        other => anyhow::bail!("an ungranted reader: {other:?}"),
    }
    match grant_on(
        &as_owner,
        &stored.id,
        &Grantee::Account(reader),
        ROLE_READ,
        None,
    )
    .await
    {
        Err(GetError::NeedsPublicKey(who)) if who == reader => {}
        other => anyhow::bail!("a READ grant to an address: {other:?}"),
    }
    let recipient = KeyRecipient::Secp256k1(reader_key.verifying_key().into());
    grant_on(
        &as_owner,
        &stored.id,
        &Grantee::Key(recipient),
        ROLE_READ,
        None,
    )
    .await?;
    ensure!(
        read(&as_reader, &stored.id).await? == data,
        "the grantee reads"
    );

    // Revoked: refused again; a second revocation finds nothing.
    revoke_on(&as_owner, &stored.id, &reader).await?;
    match read(&as_reader, &stored.id).await {
        Err(GetError::Forbidden(_) | GetError::NoKey(_)) => {}
        other => anyhow::bail!("a revoked reader: {other:?}"),
    }
    match revoke_on(&as_owner, &stored.id, &reader).await {
        Err(GetError::NotFound(_)) => {}
        other => anyhow::bail!("revoking twice: {other:?}"),
    }

    // A stranger may not delete; the owner deletes with a grant still open, the escrow
    // comes back and the holders drop their shards.
    grant_on(
        &as_owner,
        &stored.id,
        &Grantee::Account(reader),
        ROLE_WRITE,
        None,
    )
    .await?;
    match delete_on(&as_reader, &stored.id).await {
        Err(GetError::Chain(basalt_sdk::ChainError::Contract { name })) => {
            ensure!(name == "Unauthorized", "{name}")
        }
        other => anyhow::bail!("a stranger's delete: {other:?}"),
    }
    let balance = |who: Address| {
        let token = BasaltTestToken::new(deployed.token, &deployer);
        async move { token.balanceOf(who).call().await }
    };
    let before = balance(owner).await?;
    let (_, shards_deleted) = delete_on(&as_owner, &stored.id).await?;
    ensure!(
        as_owner.blob(&stored.id).await?.is_none(),
        "deleted on chain"
    );
    ensure!(shards_deleted > 0, "the holders dropped their shards");
    let refunded = balance(owner).await?;
    ensure!(
        refunded == before + U256::from(150),
        "the unproven escrow came back: {refunded} after {before}"
    );
    drop(nodes);
    Ok(())
}
