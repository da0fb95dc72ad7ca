//! Following an EVM deployment into PostgreSQL: the contracts on anvil (a real node over
//! JSON-RPC, from npm: scripts/evm-contracts.sh), a real database. The contracts' events
//! land in the tables in the Solana program's stored form, finality follows the node's
//! `finalized` block, and a reorg (anvil's `evm_snapshot`/`evm_revert`: the blocks after the
//! snapshot replaced by others at the same heights) leaves the index exactly what a fresh
//! index of the canonical chain holds.

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use anyhow::{ensure, Context, Result};
use basalt_core::encoder::encode_blob;
use basalt_evm_client::alloy;
use basalt_evm_client::anvil::Anvil;
use basalt_evm_client::deploy::{deploy, Deployed, Network};
use basalt_evm_client::records::column_roots;
use basalt_evm_client::setup::{fund_stake, register_storage};
use basalt_evm_client::{BasaltBlobs, BasaltDatasets};
use basalt_indexer::evm::follow::EvmPass;
use basalt_indexer::evm::payload::{account, base58_id};
use basalt_indexer::{EvmFollowOptions, EvmFollower, Metrics, Store};
use sqlx::Row;

use crate::common::{self, count, count_where, db::TempDb, snapshot};

/// Longest a test may take: a transaction the node never mines must fail it, not hang it.
const TEST_TIMEOUT: Duration = Duration::from_secs(180);

/// The contracts on a fresh anvil, and who deployed them (the faucet of the stake token).
struct Net {
    anvil: Anvil,
    deployer: DynProvider,
    deployed: Deployed,
    /// The first block of the deployment.
    start: u64,
}

impl Net {
    async fn new() -> Result<Self> {
        let anvil = Anvil::start()?;
        let (_, deployer) = anvil.funded_wallet().await?;
        let deployer = deployer.erased();
        let start = deployer.get_block_number().await? + 1;
        let deployed = deploy(&deployer, &Network::local()).await?;
        Ok(Self {
            anvil,
            deployer,
            deployed,
            start,
        })
    }

    /// A new wallet holding `tokens` of the stake token, approved to the registry and
    /// storage.
    async fn wallet(&self, tokens: u64) -> Result<(Address, DynProvider)> {
        let (who, as_who) = self.anvil.funded_wallet().await?;
        let as_who = as_who.erased();
        fund_stake(
            &self.deployed,
            &self.deployer,
            who,
            &as_who,
            U256::from(tokens),
        )
        .await?;
        Ok((who, as_who))
    }

    /// A provider registered at `endpoint` with 2,000 staked.
    async fn provider(&self, endpoint: &str) -> Result<(Address, DynProvider)> {
        let (who, as_who) = self.wallet(5_000).await?;
        register_storage(&self.deployed, &as_who, endpoint, U256::from(2_000)).await?;
        Ok((who, as_who))
    }

    /// A blob of `owner`'s (a real one: RS(1, 1) of `data`), placed on `holders`, funded
    /// and accepted by both: active. Returns its id and CID.
    async fn stored_blob(
        &self,
        owner: (Address, &DynProvider),
        holders: [&(Address, DynProvider); 2],
        data: &[u8],
    ) -> Result<(B256, String)> {
        let manifest = encode_blob(data, 16 << 10, 1, 1, None, |_| {})?;
        let blobs = BasaltBlobs::new(self.deployed.blobs, owner.1);
        let expiry = blobs.currentEpoch().call().await? + 20;
        let args = BasaltBlobs::BlobArgs::of(&manifest, expiry, false);
        let id = basalt_evm_client::blob_id(owner.0, args.cidDigest);
        blobs.register(args).send().await?.get_receipt().await?;
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
        for (index, (_, as_holder)) in holders.into_iter().enumerate() {
            let terms = BasaltBlobs::Terms {
                columnRoot: roots[index],
                expiryEpoch: expiry,
                pricePerShardEpoch: 10,
            };
            BasaltBlobs::new(self.deployed.blobs, as_holder)
                .accept(id, u16::try_from(index)?, terms)
                .send()
                .await?
                .get_receipt()
                .await?;
        }
        Ok((id, manifest.cid.to_string()))
    }

    /// A follower of this deployment writing into `store`.
    fn follower(&self, store: &Store) -> Result<EvmFollower> {
        let mut options = EvmFollowOptions::new(self.anvil.url(), self.deployed.config);
        options.start_block = Some(self.start);
        options.batch = 7;
        Ok(EvmFollower::new(
            store.clone(),
            options,
            Arc::new(Metrics::new()),
        )?)
    }

    async fn snapshot(&self) -> Result<U256> {
        Ok(self.deployer.raw_request("evm_snapshot".into(), ()).await?)
    }

    async fn revert(&self, id: U256) -> Result<()> {
        let reverted: bool = self
            .deployer
            .raw_request("evm_revert".into(), (id,))
            .await?;
        ensure!(reverted, "anvil did not revert to snapshot {id}");
        Ok(())
    }
}

/// Passes until the follower has read to the head; the passes' reorg forks, in order.
async fn catch_up(follower: &EvmFollower) -> Result<Vec<u64>> {
    let mut forks = Vec::new();
    for _ in 0..1_000 {
        let EvmPass { fork, behind, .. } = follower.pass().await?;
        forks.extend(fork);
        if behind == 0 {
            return Ok(forks);
        }
    }
    anyhow::bail!("the follower did not catch up in 1,000 passes")
}

/// A fresh index of the chain as it now stands.
async fn fresh_index(net: &Net) -> Result<(TempDb, Store)> {
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    catch_up(&net.follower(&store)?).await?;
    Ok((db, store))
}

async fn text(store: &Store, query: &str) -> Result<Option<String>> {
    Ok(sqlx::query(query)
        .fetch_optional(store.pool())
        .await?
        .and_then(|row| row.get::<Option<String>, _>(0)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contracts_events_land_in_the_tables_in_the_programs_form() -> Result<()> {
    tokio::time::timeout(TEST_TIMEOUT, events_land())
        .await
        .context("the test timed out")?
}

async fn events_land() -> Result<()> {
    let net = Net::new().await?;
    let a = net.provider("http://127.0.0.1:9001").await?;
    let b = net.provider("http://127.0.0.1:9002").await?;
    let (owner, as_owner) = net.wallet(5_000).await?;
    let data: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (blob, cid) = net.stored_blob((owner, &as_owner), [&a, &b], &data).await?;
    // A gate no one passes: the largest uint256, beyond any u128.
    BasaltBlobs::new(net.deployed.blobs, &as_owner)
        .setAccess(blob, false, net.deployed.token, U256::MAX)
        .send()
        .await?
        .get_receipt()
        .await?;
    BasaltDatasets::new(net.deployed.datasets, &as_owner)
        .create("weather".into(), true)
        .send()
        .await?
        .get_receipt()
        .await?;

    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let follower = net.follower(&store)?;
    ensure!(catch_up(&follower).await?.is_empty(), "no reorg happened");
    let pool = store.pool();
    for (kind, n) in [
        ("ConfigInitialized", 1),
        ("ProtocolBound", 1),
        ("ProviderRegistered", 2),
        ("StakeAdded", 2),
        ("BlobRegistered", 1),
        ("ShardPlaced", 2),
        ("ObligationOpened", 2),
        ("DealFunded", 1),
        ("ShardAccepted", 2),
        ("BlobActivated", 1),
        ("BlobAccessChanged", 1),
        ("DatasetCreated", 1),
    ] {
        let stored = count_where(pool, "events", &format!("kind = '{kind}'")).await?;
        ensure!(stored == n, "{kind}: {stored} events, {n} logged");
    }
    ensure!(count(pool, "events").await? == 17, "no other event");
    ensure!(count(pool, "undecoded").await? == 0, "every log decoded");

    // The derived tables, as the chain states them.
    let (provider_a, owner_hex) = (account(a.0), account(owner));
    let stake = text(
        &store,
        &format!("SELECT stake::text FROM providers WHERE address = '{provider_a}'"),
    )
    .await?;
    ensure!(stake.as_deref() == Some("2000"), "stake {stake:?}");
    let blob_id = base58_id(blob);
    let row = sqlx::query(
        "SELECT owner, cid, status, token_gate_mint, token_gate_min_balance::text \
         FROM blobs WHERE address = $1",
    )
    .bind(&blob_id)
    .fetch_one(pool)
    .await?;
    ensure!(row.get::<String, _>("owner") == owner_hex);
    ensure!(row.get::<String, _>("cid") == cid);
    ensure!(row.get::<String, _>("status") == "active");
    ensure!(row.get::<Option<String>, _>("token_gate_mint") == Some(account(net.deployed.token)));
    ensure!(row.get::<Option<String>, _>("token_gate_min_balance") == Some(U256::MAX.to_string()));
    let epoch = text(&store, "SELECT epoch_slots::text FROM config").await?;
    ensure!(epoch.as_deref() == Some("60"), "config {epoch:?}");
    let holders = count_where(pool, "placements", &format!("blob = '{blob_id}'")).await?;
    ensure!(holders == 2, "{holders} placements");

    // Nothing is final yet (anvil finalizes 64 blocks below its head); once the chain has
    // moved on, everything is, and no undo record is left.
    ensure!(count_where(pool, "events", "commitment = 'finalized'").await? == 0);
    ensure!(
        count(pool, "undo_log").await? > 0,
        "undo kept for the open blocks"
    );
    net.anvil.mine(&net.deployer, 100).await?;
    catch_up(&follower).await?;
    ensure!(count_where(pool, "events", "commitment = 'confirmed'").await? == 0);
    ensure!(
        count(pool, "undo_log").await? == 0,
        "no undo below finality"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_leaves_what_a_fresh_index_of_the_canonical_chain_holds() -> Result<()> {
    tokio::time::timeout(TEST_TIMEOUT, reorg())
        .await
        .context("the test timed out")?
}

async fn reorg() -> Result<()> {
    let net = Net::new().await?;
    let a = net.provider("http://127.0.0.1:9001").await?;
    // Past anvil's finality distance (64 blocks), so that the index records a finalized
    // block above the deployment: where a restarted follower rolls back to.
    net.anvil.mine(&net.deployer, 80).await?;
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let follower = net.follower(&store)?;
    catch_up(&follower).await?;
    let before_fork = net.deployer.get_block_number().await?;
    let fork = net.snapshot().await?;

    // The orphaned branch: a second provider, a stored blob, a dataset.
    let b = net.provider("http://127.0.0.1:9002").await?;
    let (owner, as_owner) = net.wallet(5_000).await?;
    let data = vec![7u8; 20_000];
    net.stored_blob((owner, &as_owner), [&a, &b], &data).await?;
    BasaltDatasets::new(net.deployed.datasets, &as_owner)
        .create("orphaned".into(), false)
        .send()
        .await?
        .get_receipt()
        .await?;
    catch_up(&follower).await?;
    let orphaned = count(store.pool(), "events").await?;

    // The canonical branch, first as short as the fork itself: the orphaned blocks are
    // taken back with nothing to apply.
    net.revert(fork).await?;
    let pass = follower.pass().await?;
    ensure!(
        pass.fork == Some(before_fork) && pass.blocks == 0,
        "rolled back to block {before_fork}: {pass:?}"
    );
    let notices = count_where(store.pool(), "events", "kind = 'ChainReorganized'").await?;
    ensure!(notices == 1, "the rollback left its notice: {notices}");
    let (_fresh_db, fresh) = fresh_index(&net).await?;
    common::assert_same(
        &snapshot(fresh.pool()).await?,
        &snapshot(store.pool()).await?,
    );
    // Then other blocks at the orphaned ones' heights: a third provider's, fewer of them
    // than the orphaned branch had.
    net.provider("http://127.0.0.1:9003").await?;
    let forks = catch_up(&follower).await?;
    ensure!(forks.is_empty(), "nothing more to roll back: {forks:?}");
    let (_fresh_db, fresh) = fresh_index(&net).await?;
    common::assert_same(
        &snapshot(fresh.pool()).await?,
        &snapshot(store.pool()).await?,
    );
    ensure!(count(store.pool(), "events").await? < orphaned);
    let endpoint = text(
        &store,
        &format!(
            "SELECT endpoint FROM providers WHERE address = '{}'",
            account(b.0)
        ),
    )
    .await?;
    ensure!(endpoint.is_none(), "the orphaned provider is gone");

    // Again after a restart: a new follower knows no block hashes and rolls back to the
    // finalized block the index recorded, with the same result.
    let second = net.snapshot().await?;
    net.provider("http://127.0.0.1:9004").await?;
    catch_up(&follower).await?;
    net.revert(second).await?;
    net.anvil.mine(&net.deployer, 3).await?;
    let finalized = store
        .cursor(&account(net.deployed.config))
        .await?
        .context("a cursor")?
        .finalized_slot;
    ensure!(
        finalized > net.start,
        "a finalized block above the deployment: {finalized}"
    );
    let restarted = net.follower(&store)?;
    let forks = catch_up(&restarted).await?;
    ensure!(
        forks == [finalized],
        "back to the finalized block {finalized}: {forks:?}"
    );
    let (_fresh_db, fresh) = fresh_index(&net).await?;
    common::assert_same(
        &snapshot(fresh.pool()).await?,
        &snapshot(store.pool()).await?,
    );
    Ok(())
}
