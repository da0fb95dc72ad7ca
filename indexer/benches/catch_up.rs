//! Catch-up benchmark of the EVM follower beside the Solana follower: how fast a new index
//! reads a chain's history, in events per second, side by side in one run.
//!
//! 1. EVM: synthetic traffic on anvil (the contracts deployed by `basalt_evm_client::deploy`,
//!    one transaction per block: heartbeats, stake added, datasets created, from a set of
//!    providers), then `EvmFollower::pass` from the deployment's first block to the head
//!    (headers, `eth_getLogs`, decoding, the batch writer with the derived tables).
//! 2. Solana: the local network (surfpool with the program, one node), as many transactions
//!    (profile updates, one event each), then `Follower::pass` from the start
//!    (`getSignaturesForAddress`, `getTransaction`, decoding, the same writer).
//!
//! `BENCH_BLOCKS` (EVM blocks and Solana transactions, default 10,000), `BENCH_BATCH`
//! (blocks per EVM pass, default 1,000), `BENCH_PROVIDERS` (default 16). Needs anvil
//! (scripts/evm-contracts.sh), surfpool and the built `basalt-node` (as the localnet does),
//! and PostgreSQL on 127.0.0.1:5432. Without `--bench` (which `cargo bench` passes) it runs
//! a small smoke pass: what `cargo test --all-targets` does.

#[path = "../tests/common/db.rs"]
mod db;
#[path = "support/harness.rs"]
mod harness;

use std::sync::Arc;
use std::time::Instant;

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use anyhow::{ensure, Result};
use basalt::client::ix;
use basalt::state::ROLE_STORAGE;
use basalt_evm_client::alloy;
use basalt_evm_client::anvil::Anvil;
use basalt_evm_client::deploy::{deploy, Deployed, Network};
use basalt_evm_client::{BasaltDatasets, BasaltProviders, BasaltTestToken};
use basalt_indexer::{EvmFollowOptions, EvmFollower, FollowOptions, Follower, Metrics, Store};
use basalt_localnet::{bootstrap, Localnet, LocalnetOptions, NodeProcess, NodeSettings};
use harness::env_or;
use solana_signer::Signer;
use solana_transaction::Transaction;

/// Gas and fees set on every transaction, so that sending one is one request (no
/// estimate, no fee query).
const GAS: u64 = 400_000;
const MAX_FEE: u128 = 50_000_000_000;
/// Transactions sent before waiting for the last one to be mined.
const WINDOW: u64 = 100;

fn main() -> Result<()> {
    harness::main(run)
}

async fn run(quick: bool) -> Result<()> {
    let blocks = if quick {
        60
    } else {
        env_or("BENCH_BLOCKS", 10_000)
    };
    let batch = env_or("BENCH_BATCH", 1_000);
    let evm_rate = evm(quick, blocks, batch).await?;
    let solana_rate = solana(if quick { 10 } else { blocks }).await?;
    println!(
        "catch-up, events/s: EVM {evm_rate:.0}, Solana {solana_rate:.0} (EVM/Solana {:.2}x)",
        evm_rate / solana_rate
    );
    Ok(())
}

/// The EVM half; its events/s.
async fn evm(quick: bool, blocks: u64, batch: u64) -> Result<f64> {
    let count = if quick {
        2
    } else {
        usize::try_from(env_or("BENCH_PROVIDERS", 16))?.max(1)
    };

    let anvil = Anvil::start()?;
    let (_, deployer) = anvil.funded_wallet().await?;
    let deployer = deployer.erased();
    let start = deployer.get_block_number().await? + 1;
    let deployed = deploy(&deployer, &Network::local()).await?;
    let mut providers = Vec::with_capacity(count);
    for i in 0..count {
        providers.push(provider(&anvil, &deployer, &deployed, i).await?);
    }

    // The traffic: one transaction per block, round robin over the providers.
    let setup_head = deployer.get_block_number().await?;
    let traffic = blocks.saturating_sub(setup_head - start + 1);
    let sent = Instant::now();
    for i in 0..traffic {
        let as_p = &providers[usize::try_from(i)? % count];
        let registry = BasaltProviders::new(deployed.providers, as_p);
        let pending = match i % 3 {
            0 => {
                registry
                    .heartbeat()
                    .gas(GAS)
                    .max_fee_per_gas(MAX_FEE)
                    .max_priority_fee_per_gas(0)
                    .send()
                    .await?
            }
            1 => {
                registry
                    .stake(U256::from(1))
                    .gas(GAS)
                    .max_fee_per_gas(MAX_FEE)
                    .max_priority_fee_per_gas(0)
                    .send()
                    .await?
            }
            _ => {
                BasaltDatasets::new(deployed.datasets, as_p)
                    .create(format!("set-{i}"), true)
                    .gas(GAS)
                    .max_fee_per_gas(MAX_FEE)
                    .max_priority_fee_per_gas(0)
                    .send()
                    .await?
            }
        };
        // Anvil mines what it accepted one block at a time, and a pool of thousands of
        // waiting transactions slows each block down: at most a window waits.
        if (i + 1) % WINDOW == 0 || i + 1 == traffic {
            ensure!(
                pending.get_receipt().await?.status(),
                "transaction {i} failed"
            );
        }
    }
    // Anvil packs transactions that wait together into one block: empty blocks make up
    // the range to exactly `blocks`.
    let mined = deployer.get_block_number().await? - start + 1;
    if mined < blocks {
        anvil.mine(&deployer, blocks - mined).await?;
    }
    let head = deployer.get_block_number().await?;
    println!(
        "\nEVM traffic: {} blocks ({} of setup, {traffic} transactions, {:.1} s)",
        head - start + 1,
        setup_head - start + 1,
        sent.elapsed().as_secs_f64()
    );

    let temp = db::TempDb::create().await?;
    let store = Store::connect(&temp.url).await?;
    let mut options = EvmFollowOptions::new(anvil.url(), deployed.config);
    options.start_block = Some(start);
    options.batch = batch;
    let follower = EvmFollower::new(store.clone(), options, Arc::new(Metrics::new()))?;
    let began = Instant::now();
    let (mut events, mut passes) = (0u64, 0u32);
    loop {
        let pass = follower.pass().await?;
        events += pass.events;
        passes += 1;
        if pass.behind == 0 {
            break;
        }
    }
    let took = began.elapsed().as_secs_f64();
    let read = head - start + 1;
    println!(
        "EVM follower catch-up: {read} blocks, {events} events in {took:.2} s over {passes} passes of {batch} blocks: {:.0} events/s, {:.0} blocks/s",
        events as f64 / took,
        read as f64 / took
    );
    Ok(events as f64 / took)
}

/// The Solana half: `transactions` profile updates on the local network, then a new
/// index reads them; its events/s.
async fn solana(transactions: u64) -> Result<f64> {
    let dir = tempfile::tempdir()?;
    let mut options = LocalnetOptions::new(dir.path().join("net"));
    options.workers = 0;
    options.nodes = 1;
    // No heartbeats: the chain holds the benchmark's transactions and the setup's only.
    options.node_settings.heartbeat_interval_secs = 0;
    let net = Localnet::start(&options).await?;
    let key = bootstrap::load_or_create_keypair(&NodeProcess::identity_path(&net.nodes[0].dir))?;
    let chain = net.client();
    let rpc = chain.rpc();
    let sent_at = Instant::now();
    let mut sent = Vec::new();
    let mut blockhash = rpc.get_latest_blockhash().await?;
    for i in 0..transactions {
        // A blockhash lasts 150 slots: a fresh one now and then.
        if i % 200 == 0 {
            blockhash = rpc.get_latest_blockhash().await?;
        }
        let update = ix::provider_update(
            &key.pubkey(),
            &net.nodes[0].url,
            &format!("region-{i}"),
            ROLE_STORAGE,
            NodeSettings::default().capacity,
        );
        let tx =
            Transaction::new_signed_with_payer(&[update], Some(&key.pubkey()), &[&key], blockhash);
        sent.push(rpc.send_transaction(&tx).await?);
    }
    for signature in sent.iter().step_by(100).chain(sent.last()) {
        rpc.poll_for_signature(signature).await?;
    }
    println!(
        "\nSolana traffic: {transactions} transactions sent and confirmed in {:.1} s",
        sent_at.elapsed().as_secs_f64()
    );

    let temp = db::TempDb::create().await?;
    let store = Store::connect(&temp.url).await?;
    let follower = Follower::new(
        store,
        FollowOptions::new(&net.info.rpc_url, basalt::ID),
        Arc::new(Metrics::new()),
    );
    let began = Instant::now();
    let (mut events, mut read, mut passes) = (0u64, 0usize, 0u32);
    loop {
        let pass = follower.pass().await?;
        events += pass.events;
        read += pass.transactions;
        passes += 1;
        if pass.transactions == 0 && !pass.gap {
            break;
        }
    }
    let took = began.elapsed().as_secs_f64();
    println!(
        "Solana follower catch-up: {read} transactions, {events} events in {took:.2} s over {passes} passes: {:.0} events/s",
        events as f64 / took
    );
    Ok(events as f64 / took)
}

/// Provider `i`: a new key with ether, tokens approved, registered and staked, its
/// transactions signed with a nonce counted here (one request per transaction).
async fn provider(
    anvil: &Anvil,
    deployer: &DynProvider,
    deployed: &Deployed,
    i: usize,
) -> Result<DynProvider> {
    let signer = PrivateKeySigner::random();
    let who: Address = signer.address();
    let as_who = ProviderBuilder::new()
        .with_cached_nonce_management()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.url().parse()?)
        .erased();
    let _: () = deployer
        .raw_request("anvil_setBalance".into(), (who, U256::from(10u128.pow(20))))
        .await?;
    BasaltTestToken::new(deployed.token, deployer)
        .mint(who, U256::from(1_000_000))
        .send()
        .await?
        .get_receipt()
        .await?;
    BasaltTestToken::new(deployed.token, &as_who)
        .approve(deployed.providers, U256::MAX)
        .send()
        .await?
        .get_receipt()
        .await?;
    let registry = BasaltProviders::new(deployed.providers, &as_who);
    registry
        .register(
            format!("http://127.0.0.1:{}", 9000 + i),
            "eu-west".into(),
            1,
            1 << 30,
        )
        .send()
        .await?
        .get_receipt()
        .await?;
    registry
        .stake(U256::from(1_000))
        .send()
        .await?
        .get_receipt()
        .await?;
    Ok(as_who)
}
