//! The nodes' cranks on a real local network: every holder is paid for each epoch it
//! proved, exactly once, and a holder that lost a shard's data misses its proof and is
//! slashed by another holder's crank, which earns the bounty. The indexer serves the same
//! proofs, payouts, slash and heartbeats, read from the nodes' own transactions.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::{decode, pda};
use basalt::state::{Blob, Deal, ProviderStatus};
use basalt_app_tests::{fast_epochs, random_bytes, TestNet};
use basalt_node::store::{ShardStore, SyncPolicy};
use basalt_sdk::chain::associated_token_address;
use basalt_sdk::{NodeClient, PutOptions};

const PRICE: u64 = 7;

/// The blob, its deal and each holder's token balance, read at one slot.
struct Snapshot {
    blob: Blob,
    deal: Deal,
    balances: Vec<u64>,
}

async fn snapshot(t: &TestNet, blob: &Pubkey, accounts: &[Pubkey]) -> Result<Snapshot> {
    let mut keys = vec![*blob, pda::deal(blob)];
    keys.extend_from_slice(accounts);
    let read = t.net.client().rpc().get_multiple_accounts(&keys).await?;
    let data = |i: usize| read[i].as_ref().map(|a| a.data.as_slice());
    let blob = decode::account::<Blob>(data(0).context("the blob exists")?)?;
    let deal = decode::account::<Deal>(data(1).context("the deal exists")?)?;
    // An SPL token account's amount: 8 bytes little-endian after the mint and the owner.
    let balances = (2..keys.len())
        .map(|i| {
            data(i).map_or(0, |d| {
                u64::from_le_bytes(d[64..72].try_into().expect("a token account"))
            })
        })
        .collect();
    Ok(Snapshot {
        blob,
        deal,
        balances,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holders_are_paid_once_per_proven_epoch_and_a_lost_shard_is_slashed() -> Result<()> {
    let mut t = TestNet::start_with(4, 1, |o| {
        fast_epochs(o);
        o.indexer = true;
    })
    .await?;
    let chain = t.net.client();
    let mint = chain.stake_mint().await?;
    let nodes: Vec<Pubkey> = t
        .net
        .nodes
        .iter()
        .map(|n| n.address.parse())
        .collect::<Result<_, _>>()?;
    // Each node's token account, where its pay and bounties go, before anything is paid.
    let mut before = Vec::new();
    for node in &nodes {
        before.push(
            chain
                .token_balance(&associated_token_address(node, &mint))
                .await
                .unwrap_or(0),
        );
    }
    let owner = &t.wallets[0];
    let options = PutOptions {
        price_per_shard_epoch: PRICE,
        ..t.rs_options(2, 2)
    };
    let put = t.put(owner, random_bytes(150_000), &options).await?;
    let blob_address = put.blob;
    let blob = chain.blob(&put.id).await?.context("registered")?;
    // The holders in index order, and their token accounts.
    let holders: Vec<Pubkey> = blob.shards.iter().map(|s| s.provider).collect();
    let accounts: Vec<Pubkey> = holders
        .iter()
        .map(|h| associated_token_address(h, &mint))
        .collect();

    // Every holder proves two epochs.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !chain
        .blob(&put.id)
        .await?
        .context("registered")?
        .shards
        .iter()
        .all(|s| s.proven_mask.count_ones() >= 2)
    {
        if Instant::now() > deadline {
            bail!("not every holder proved two epochs in 60 s");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The holder of index 0 loses the blob's data and restarts: it cannot prove, and
    // another holder's crank slashes the miss.
    let lost = 0;
    let lost_node = nodes
        .iter()
        .position(|n| *n == holders[lost])
        .context("a node holds index 0")?;
    let stake_before = chain
        .provider(&holders[lost])
        .await?
        .context("registered")?
        .stake;
    let id = put.id;
    t.net.restart_node(lost_node, |data| {
        let store = ShardStore::open(data, u64::MAX, SyncPolicy::Wal)?;
        store.delete_blob(&id)?;
        store.flush()?;
        Ok(())
    })?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let blob = chain.blob(&put.id).await?.context("registered")?;
        if blob.shards[lost].needs_repair {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "the lost shard was not slashed in 60 s: {:?}",
                blob.shards[lost]
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let slashed = chain
        .provider(&holders[lost])
        .await?
        .context("registered")?;
    assert!(
        slashed.stake < stake_before,
        "{} -> {}",
        stake_before,
        slashed.stake
    );
    assert_eq!(slashed.status, ProviderStatus::Jailed);

    // The cranks' own account of it: one slash, whose bounty one of them earned.
    let key = basalt_sdk::put::wallet_signing_key(owner);
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let stats = loop {
        let mut stats = Vec::new();
        for node in &t.net.nodes {
            let client = NodeClient::new(http.clone(), &node.url, key.clone());
            stats.push(client.stats(Duration::from_secs(10)).await?.crank);
        }
        if stats.iter().map(|s| s.slashed).sum::<u64>() == 1 || Instant::now() > deadline {
            break stats;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(stats.iter().map(|s| s.slashed).sum::<u64>(), 1, "{stats:?}");
    assert!(stats.iter().any(|s| s.bounty > 0), "{stats:?}");

    // Paid exactly once per proven epoch, to the token unit: what each holder's account
    // gained is its proven epochs not still unpaid, at the price, plus any bounty.
    let end = snapshot(&t, &blob_address, &accounts).await?;
    let mut paid_total = 0u64;
    for (index, slot) in end.blob.shards.iter().enumerate() {
        let node = nodes
            .iter()
            .position(|n| *n == holders[index])
            .context("a node holds each index")?;
        let proven = u64::from(slot.proven_mask.count_ones());
        let paid = (proven - slot.unpaid_epochs) * PRICE;
        let bounty = u64::try_from(stats[node].bounty)?;
        let gained = end.balances[index] - before[node];
        assert_eq!(gained, paid + bounty, "index {index}: {slot:?}");
        if index != lost {
            assert!(proven >= 2, "index {index} proved {proven} epochs");
            assert!(
                stats[node].paid > 0,
                "node {node} settled its pay: {:?}",
                stats[node]
            );
        }
        paid_total += paid;
    }
    assert_eq!(end.deal.total_paid, paid_total);

    let metrics = http
        .get(format!("{}/metrics", t.net.nodes[0].url))
        .send()
        .await?
        .text()
        .await?;
    assert!(
        metrics.contains("basalt_node_paid_tokens_total"),
        "{metrics}"
    );

    let indexer = Indexer(t.net.info.indexer_url.clone().context("an indexer")?);
    indexer
        .agrees_with_chain(&t, &blob_address, &holders[lost])
        .await?;
    for node in &nodes {
        let provider = indexer.get(&format!("/v1/providers/{node}")).await?;
        ensure!(
            provider["last_heartbeat_slot"].as_u64() > provider["registered_slot"].as_u64(),
            "no heartbeat of {node} indexed: {provider}"
        );
    }
    Ok(())
}

/// The indexer's HTTP API.
struct Indexer(String);

impl Indexer {
    async fn get(&self, path: &str) -> Result<serde_json::Value> {
        let text = reqwest::get(format!("{}{path}", self.0))
            .await?
            .error_for_status()?
            .text()
            .await?;
        Ok(serde_json::from_str(&text)?)
    }

    /// Every item of a list, following its pages.
    async fn all(&self, path: &str) -> Result<Vec<serde_json::Value>> {
        let mut items = Vec::new();
        let mut after = String::new();
        loop {
            let page = self.get(&format!("{path}&limit=100{after}")).await?;
            items.extend(page["items"].as_array().context("a page")?.iter().cloned());
            match page["next"].as_str() {
                Some(next) => after = format!("&after={next}"),
                None => return Ok(items),
            }
        }
    }

    /// Waits until the indexer's proofs, payouts and slashes of the blob, read from the
    /// nodes' transactions, say what the chain's accounts say: each holder's accepted
    /// proofs are its proven epochs, the payouts add up to what the deal paid (each at the
    /// price for its epochs), and the one holder that lost its data has a missed proof and
    /// one slash, whose bounty went to a crank.
    async fn agrees_with_chain(
        &self,
        t: &TestNet,
        blob_address: &Pubkey,
        lost_holder: &Pubkey,
    ) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let chain = snapshot(t, blob_address, &[]).await?;
            let proofs = self.all(&format!("/v1/proofs?blob={blob_address}")).await?;
            let payouts = self
                .all(&format!("/v1/payouts?blob={blob_address}"))
                .await?;
            let slashes = self
                .all(&format!("/v1/slashes?provider={lost_holder}"))
                .await?;
            let accepted = |holder: &Pubkey| {
                proofs
                    .iter()
                    .filter(|p| p["holder"] == holder.to_string() && p["outcome"] == "accepted")
                    .count() as u32
            };
            let proofs_agree = chain
                .blob
                .shards
                .iter()
                .all(|slot| accepted(&slot.provider) == slot.proven_mask.count_ones());
            // The indexer's amounts are decimal strings.
            let uint = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse::<u64>().ok());
            let paid: u64 = payouts.iter().filter_map(|p| uint(&p["amount"])).sum();
            let missed = proofs
                .iter()
                .any(|p| p["holder"] == lost_holder.to_string() && p["outcome"] == "missed");
            if proofs_agree && paid == chain.deal.total_paid && missed && slashes.len() == 1 {
                for payout in &payouts {
                    ensure!(
                        uint(&payout["amount"])
                            == payout["epochs_paid"].as_u64().map(|e| e * PRICE),
                        "a payout not at the price: {payout}"
                    );
                }
                ensure!(
                    slashes[0]["subject"] == blob_address.to_string()
                        && uint(&slashes[0]["bounty"]) > Some(0),
                    "{}",
                    slashes[0]
                );
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the indexer disagrees with the chain: proofs {proofs:?}, payouts {payouts:?} \
                     (deal paid {}), slashes {slashes:?}",
                    chain.deal.total_paid
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}
