//! The indexer against the local chain (surfpool with the program, real storage nodes) and
//! the real PostgreSQL server: real transactions from the SDK, a `basalt-indexer` process
//! killed with SIGKILL again and again while it ingests, and a fresh replay that must give
//! the same tables; then the API and its push stream over what was indexed.

use crate::common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::ix;
use basalt::client::pda;
use basalt::instructions::{job_commitment, JobPostArgs};
use basalt::state::{ConfigParams, ShardSlot, ROLE_COMPUTE, ROLE_STORAGE};
use basalt_core::{BlobId, Cid};
use basalt_indexer::{FollowOptions, Follower, Metrics, Store};
use basalt_localnet::{
    bootstrap, Localnet, LocalnetOptions, NodeProcess, NodeSettings, SOL, TOKEN,
};
use basalt_sdk::chain::{associated_token_address, ProviderRegistration};
use basalt_sdk::{ChainClient, PutOptions};
use common::{db::TempDb, snapshot};
use futures::StreamExt;
use rand_core::{OsRng, RngCore};
use serde_json::Value;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;

/// A `basalt-indexer` child process.
struct Indexer {
    child: Child,
    api: String,
}

impl Indexer {
    fn start(db: &str, rpc: &str, batch: usize) -> Result<Self> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_basalt-indexer"))
            .args([
                "--database-url",
                db,
                "--rpc-url",
                rpc,
                "--listen",
                "127.0.0.1:0",
            ])
            .args(["--batch", &batch.to_string(), "--poll-ms", "100"])
            .env(
                "RUST_LOG",
                std::env::var("BASALT_INDEXER_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .spawn()
            .context("starting basalt-indexer")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        let api = line
            .trim()
            .strip_prefix("basalt-indexer listening on ")
            .with_context(|| format!("unexpected first line {line:?}"))?
            .to_owned();
        Ok(Self { child, api })
    }

    fn kill(mut self) -> Result<()> {
        self.child.kill()?; // SIGKILL: no shutdown path runs
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The newest transaction of the program on the chain.
async fn newest_signature(chain: &ChainClient) -> Result<String> {
    let sigs = chain.rpc().get_signatures_for_address(&basalt::ID).await?;
    Ok(sigs
        .first()
        .context("no program transactions")?
        .signature
        .clone())
}

/// Whether the index at `store` has written `signature`.
async fn has_reached(store: &Store, signature: &str) -> Result<bool> {
    let cursor = store.cursor(&basalt::ID.to_string()).await?;
    Ok(cursor.map(|c| c.signature).as_deref() == Some(signature))
}

/// Waits until the index at `store` has written `signature`.
async fn caught_up(store: &Store, signature: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !has_reached(store, signature).await? {
        if Instant::now() > deadline {
            bail!("the indexer did not reach {signature} within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Waits until an indexer run has written more than `before` transactions to `store`, or
/// has already reached `newest` (nothing is left to write).
async fn progressed(store: &Store, before: i64, newest: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while common::count(store.pool(), "transactions").await? <= before
        && !has_reached(store, newest).await?
    {
        if Instant::now() > deadline {
            bail!("the indexer wrote nothing within 60 s of its start");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

/// Stores `len` random bytes as `wallet`.
async fn put(net: &Localnet, wallet: &Keypair, len: usize, public: bool) -> Result<BlobId> {
    let mut data = vec![0u8; len];
    OsRng.fill_bytes(&mut data);
    let options = PutOptions {
        k: Some(2),
        m: Some(1),
        encrypt: !public,
        public,
        epochs: 1_000,
        lookup_table: net.lookup_table(),
        ..PutOptions::default()
    };
    let report = basalt_sdk::put(
        &net.client(),
        wallet,
        move || Ok(std::io::Cursor::new(data.clone())),
        len as u64,
        &options,
        |_| {},
    )
    .await?;
    // Every holder's node accepts its shard on its own; wait for them, so the history has
    // a known number of acceptances.
    let chain = net.client();
    for index in 0..3 {
        accepted_shard(&chain, &report.id, index).await?;
    }
    Ok(report.id)
}

/// Drives the chain through the program's storage life cycle with real transactions.
/// The version id of the dataset `history` publishes.
const MIRROR_VERSION: [u8; 32] = [7; 32];

async fn history(net: &Localnet, owner: &Keypair, reader: &Keypair) -> Result<(BlobId, BlobId)> {
    let chain = net.client();
    let private = put(net, owner, 300_000, false).await?;
    let public = put(net, owner, 1_000, true).await?;
    basalt_sdk::access::grant(&chain, owner, &private, &reader.pubkey(), 1, None).await?;
    basalt_sdk::access::revoke(&chain, owner, &private, &reader.pubkey()).await?;
    basalt_sdk::access::grant(&chain, owner, &public, &reader.pubkey(), 1, None).await?;
    let node = node_key(net, 0)?;
    chain
        .send(&[ix::provider_heartbeat(&node.pubkey())], &node, &[])
        .await?;
    let node2 = node_key(net, 2)?;
    chain
        .send(&[ix::provider_unstake(&node2.pubkey(), TOKEN)], &node2, &[])
        .await?;
    // A provider that registers and leaves at once: its record goes, on chain and in the
    // mirror (`api` checks the latter).
    chain
        .send(
            &[ix::provider_register(
                &reader.pubkey(),
                "https://leaving.example",
                "eu",
                1,
                1 << 30,
            )],
            reader,
            &[],
        )
        .await?;
    chain
        .send(&[ix::provider_deregister(&reader.pubkey())], reader, &[])
        .await?;
    basalt_sdk::access::delete(&chain, owner, &private).await?;
    job_with_a_cheater(net, owner).await?;
    admin_and_faults(net, owner, &public).await?;
    profile_updates(net, 30).await?;
    // A dataset whose one version's manifest is the public blob (the chain checks only
    // that the publisher owns it).
    let dataset = chain.create_dataset(owner, "mirror", false).await?;
    let publication = basalt_sdk::chain::Publication {
        tag: "v1".into(),
        version_id: MIRROR_VERSION,
        manifest_blob: Pubkey::new_from_array(*public.as_bytes()),
        parents: Vec::new(),
        job: None,
        message: "indexed".into(),
    };
    chain
        .publish_version(owner, &dataset, &owner.pubkey(), publication)
        .await?;
    Ok((private, public))
}

/// The admin re-sets the config, the owner re-sets the public blob's access, nobody proves
/// shard 0 of it so its holder is slashed and jailed, serves the term and unjails, and
/// node 2 withdraws what it unstaked.
async fn admin_and_faults(net: &Localnet, owner: &Keypair, public: &BlobId) -> Result<()> {
    let chain = net.client();
    let config = chain.config().await?.context("no config")?;
    let params = ConfigParams {
        min_stake: config.min_stake,
        unbonding_epochs: config.unbonding_epochs,
        proof_slash_bps: config.proof_slash_bps,
        job_slash_bps: config.job_slash_bps,
        bounty_bps: config.bounty_bps,
        default_k: config.default_k,
        default_m: config.default_m,
        max_deal_epochs: config.max_deal_epochs,
        max_slashes_per_epoch: config.max_slashes_per_epoch,
        accept_window_ticks: config.accept_window_ticks,
        offline_ticks: config.offline_ticks,
    };
    let admin = &net.keys.admin;
    chain
        .send(
            &[ix::config_update(&admin.pubkey(), params, None)],
            admin,
            &[],
        )
        .await?;
    let blob_address = basalt_sdk::chain::blob_address(public);
    chain
        .send(
            &[ix::blob_set_access(
                &owner.pubkey(),
                &blob_address,
                true,
                None,
                false,
            )],
            owner,
            &[],
        )
        .await?;

    // Shard 0 becomes an obligation once its node accepted it, which the node does on its
    // own after it checked the column it stores.
    let shard = accepted_shard(&chain, public, 0).await?;
    past(
        &chain,
        shard.assigned_epoch * config.epoch_slots + config.proof_window_slots,
    )
    .await?;
    let bounty_to = associated_token_address(&owner.pubkey(), &net.keys.stake_mint);
    chain
        .send(
            &[ix::proof_slash(
                &owner.pubkey(),
                &blob_address,
                &shard.provider,
                &bounty_to,
                0,
                shard.assigned_epoch,
            )],
            owner,
            &[],
        )
        .await?;
    let holder = (0..net.nodes.len())
        .map(|i| node_key(net, i))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .find(|k| k.pubkey() == shard.provider)
        .context("the holder is one of the nodes")?;
    let jailed = chain.provider(&holder.pubkey()).await?.context("holder")?;
    past(&chain, (jailed.jailed_until_epoch + 1) * config.epoch_slots).await?;
    chain
        .send(&[ix::provider_unjail(&holder.pubkey())], &holder, &[])
        .await?;

    let node2 = node_key(net, 2)?;
    let unbonding = chain.provider(&node2.pubkey()).await?.context("node 2")?;
    past(&chain, unbonding.unbonding_until_epoch * config.epoch_slots).await?;
    let to = associated_token_address(&node2.pubkey(), &net.keys.stake_mint);
    chain
        .send(&[ix::provider_withdraw(&node2.pubkey(), &to)], &node2, &[])
        .await?;
    Ok(())
}

/// Shard `index` of blob `id` once its holder accepted it (within 60 s).
async fn accepted_shard(chain: &ChainClient, id: &BlobId, index: usize) -> Result<ShardSlot> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let blob = chain.blob(id).await?.context("no blob")?;
        let shard = *blob.shards.get(index).context("no such shard index")?;
        if shard.accepted {
            return Ok(shard);
        }
        if std::time::Instant::now() > deadline {
            bail!("shard {index} of {id} was not accepted by its node within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the chain is past `slot`.
async fn past(chain: &ChainClient, slot: u64) -> Result<()> {
    while chain.slot().await? <= slot {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// A 2-of-3 job: three compute providers register and apply, all three are selected, two
/// reveal the same result and one another; finalize, then settle each (two paid, the
/// cheater slashed; the last settlement closes the job).
async fn job_with_a_cheater(net: &Localnet, requester: &Keypair) -> Result<()> {
    let chain = net.client();
    let mint = net.keys.stake_mint;
    let mut workers = Vec::new();
    for i in 0..3 {
        let worker = Keypair::new();
        bootstrap::fund_wallet(&chain, &net.keys, &worker.pubkey(), 10 * SOL, 2_000 * TOKEN)
            .await?;
        let registration = ProviderRegistration {
            endpoint: format!("http://127.0.0.1:{}", 9100 + i),
            region: "local".into(),
            roles: ROLE_COMPUTE,
            capacity: 0,
        };
        chain
            .register_provider(&worker, &registration, 1_500 * TOKEN)
            .await?;
        workers.push(worker);
    }
    let now = chain.slot().await?;
    let args = JobPostArgs {
        nonce: 1,
        module_cid: *Cid::of(b"module").digest(),
        input_cid: *Cid::of(b"input").digest(),
        fuel_limit: 1_000_000,
        n: 3,
        k: 2,
        reward_per_worker: 10 * TOKEN,
        apply_deadline_slot: now + 15,
        commit_deadline_slot: now + 30,
        reveal_deadline_slot: now + 50,
        ..Default::default()
    };
    let apply_deadline = args.apply_deadline_slot;
    let (commit_deadline, reveal_deadline) = (args.commit_deadline_slot, args.reveal_deadline_slot);
    let job = pda::job(&requester.pubkey(), args.nonce);
    let requester_tokens = associated_token_address(&requester.pubkey(), &mint);
    chain
        .send(
            &[ix::job_post(&requester.pubkey(), &requester_tokens, args)],
            requester,
            &[],
        )
        .await?;
    let results = [[0xAA; 32], [0xAA; 32], [0xBB; 32]];
    for worker in &workers {
        chain
            .send(&[ix::job_apply(&worker.pubkey(), &job, None)], worker, &[])
            .await?;
    }
    past(&chain, apply_deadline).await?;
    chain.send(&[ix::job_select(&job)], requester, &[]).await?;
    for (worker, result) in workers.iter().zip(&results) {
        let commitment = job_commitment(result, &worker.pubkey(), &[7; 32]);
        chain
            .send(
                &[ix::job_commit(&worker.pubkey(), &job, commitment)],
                worker,
                &[],
            )
            .await?;
    }
    past(&chain, commit_deadline).await?;
    for (worker, result) in workers.iter().zip(&results) {
        chain
            .send(
                &[ix::job_reveal(&worker.pubkey(), &job, *result, [7; 32])],
                worker,
                &[],
            )
            .await?;
    }
    past(&chain, reveal_deadline).await?;
    chain
        .send(
            &[ix::job_finalize(
                &job,
                &requester.pubkey(),
                &requester_tokens,
            )],
            requester,
            &[],
        )
        .await?;
    for worker in &workers {
        let tokens = associated_token_address(&worker.pubkey(), &mint);
        chain
            .send(
                &[ix::job_settle(
                    &job,
                    &requester.pubkey(),
                    &requester_tokens,
                    &worker.pubkey(),
                    &tokens,
                )],
                requester,
                &[],
            )
            .await?;
    }
    Ok(())
}

/// `rounds` profile updates from every node, sent without waiting for each (so the
/// history is long enough for kills to land mid-way), then waited for.
async fn profile_updates(net: &Localnet, rounds: usize) -> Result<()> {
    let chain = net.client();
    let blockhash = chain.rpc().get_latest_blockhash().await?;
    let mut sent = Vec::new();
    for round in 0..rounds {
        for (i, node) in net.nodes.iter().enumerate() {
            let key = node_key(net, i)?;
            let update = ix::provider_update(
                &key.pubkey(),
                &node.url,
                &format!("region-{round}"),
                ROLE_STORAGE,
                NodeSettings::default().capacity,
            );
            let tx = Transaction::new_signed_with_payer(
                &[update],
                Some(&key.pubkey()),
                &[&key],
                blockhash,
            );
            sent.push(chain.rpc().send_transaction(&tx).await?);
        }
    }
    for signature in &sent {
        chain.rpc().poll_for_signature(signature).await?;
    }
    Ok(())
}

fn node_key(net: &Localnet, i: usize) -> Result<Keypair> {
    bootstrap::load_or_create_keypair(&NodeProcess::identity_path(&net.nodes[i].dir))
}

async fn get(http: &reqwest::Client, url: &str) -> Result<(u16, Value)> {
    let r = http.get(url).send().await?;
    let status = r.status().as_u16();
    Ok((status, r.json().await.unwrap_or(Value::Null)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_indexer_matches_a_fresh_replay_and_serves_the_api() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let owner = Keypair::new();
    let reader = Keypair::new();
    let mut options = LocalnetOptions::new(dir.path().join("net"));
    options.workers = 0;
    options.nodes = 3;
    options.fund = vec![owner.pubkey(), reader.pubkey()];
    // Short epochs (3 s) so a missed proof, a jail term and the shortest unbonding period
    // the program accepts pass within the test.
    options.params.epoch_slots = 30;
    options.params.proof_window_slots = 10;
    options.params.config.unbonding_epochs = basalt_rules::MIN_UNBONDING_EPOCHS;
    // The history proves, misses, settles, slashes and heartbeats by hand, as its script
    // says: the nodes' own provers and cranks stay off, and each node heartbeats once.
    options.node_settings = NodeSettings {
        acl_cache_ms: 200,
        prove_interval_secs: 0,
        crank_interval_secs: 0,
        // One heartbeat as each node comes up, the next an hour later.
        heartbeat_interval_secs: 3_600,
        ..NodeSettings::default()
    };
    let net = Localnet::start(&options).await?;
    let rpc = net.info.rpc_url.clone();
    let (private, public) = history(&net, &owner, &reader).await?;
    let chain = net.client();
    let newest = newest_signature(&chain).await?;

    // Kill -9 the indexer at random moments while it works through the history one
    // transaction per batch, then let a last run catch up. Each kill waits for the run to
    // write something first: a fixed delay from process start would, on a slow machine,
    // land every kill before the indexer has even connected.
    let killed_db = TempDb::create().await?;
    let killed = Store::connect(&killed_db.url).await?;
    let mut cursors = std::collections::BTreeSet::new();
    for round in 0..10 {
        let before = common::count(killed.pool(), "transactions").await?;
        let indexer = Indexer::start(&killed_db.url, &rpc, 1)?;
        progressed(&killed, before, &newest).await?;
        let wait = OsRng.next_u64() % 15;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        indexer.kill()?;
        let cursor = killed
            .cursor(&basalt::ID.to_string())
            .await?
            .map(|c| c.signature);
        let written = common::count(killed.pool(), "transactions").await?;
        eprintln!("kill {round} {wait} ms after progress: {written} transactions written");
        cursors.insert(cursor);
    }
    assert!(
        cursors
            .iter()
            .filter(|c| c.as_deref() != Some(newest.as_str()))
            .count()
            >= 3,
        "the kills should land all along the history, before its end: {cursors:?}"
    );
    let indexer = Indexer::start(&killed_db.url, &rpc, 2)?;
    caught_up(&killed, &newest).await?;

    // A fresh replay in one go, in process.
    let fresh_db = TempDb::create().await?;
    let fresh = Store::connect(&fresh_db.url).await?;
    let mut follow = FollowOptions::new(&rpc, basalt::ID);
    follow.batch = 1_000;
    let follower = Follower::new(fresh.clone(), follow, Arc::new(Metrics::new()));
    let deadline = Instant::now() + Duration::from_secs(60);
    while fresh
        .cursor(&basalt::ID.to_string())
        .await?
        .map(|c| c.signature)
        != Some(newest.clone())
    {
        follower.pass().await?;
        anyhow::ensure!(Instant::now() < deadline, "the replay did not catch up");
    }
    common::assert_same(
        &snapshot(fresh.pool()).await?,
        &snapshot(killed.pool()).await?,
    );

    // Every event the history emitted is there exactly once.
    let kinds: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind")
            .fetch_all(killed.pool())
            .await?;
    let kinds: BTreeMap<String, i64> = kinds.into_iter().collect();
    eprintln!("events by kind: {kinds:?}");
    for (kind, n) in [
        ("ConfigInitialized", 1),
        // Six nodes, and the provider that leaves at once.
        ("ProviderRegistered", 7),
        ("ProviderDeregistered", 1),
        ("StakeAdded", 6),
        ("JobPosted", 1),
        ("JobApplied", 3),
        ("JobSelected", 1),
        ("JobCommitted", 3),
        ("JobRevealed", 3),
        ("JobFinalized", 1),
        ("JobWorkerSettled", 3),
        ("ProviderSlashed", 2),
        ("ConfigUpdated", 1),
        ("BlobAccessChanged", 1),
        ("ProofMissed", 1),
        ("ProviderUnjailed", 1),
        ("StakeWithdrawn", 1),
        ("BlobRegistered", 2),
        ("ShardPlaced", 6),
        ("ShardAccepted", 6),
        ("BlobActivated", 2),
        ("DealFunded", 2),
        ("GrantCreated", 2),
        ("GrantRevoked", 1),
        // One per node as it came up, one in the history.
        ("ProviderHeartbeat", 4),
        ("ProviderUpdated", 90),
        ("UnstakeRequested", 1),
        ("DealRefunded", 1),
        ("BlobDeleted", 1),
    ] {
        assert_eq!(kinds.get(kind), Some(&n), "{kind}");
    }
    let per_tx: i64 = sqlx::query_scalar("SELECT sum(event_count)::bigint FROM transactions")
        .fetch_one(killed.pool())
        .await?;
    assert_eq!(
        per_tx,
        kinds.values().sum::<i64>(),
        "no event lost or doubled"
    );

    // The running indexer's finalization pass marks everything finalized once the chain
    // finalizes it (surfpool: 32 slots after confirmation).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pending =
            common::count_where(killed.pool(), "events", "commitment = 'confirmed'").await?;
        let cursor = killed
            .cursor(&basalt::ID.to_string())
            .await?
            .context("cursor")?;
        if pending == 0 && cursor.finalized_slot >= cursor.slot {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{pending} events still confirmed-only, watermark {} of {}",
            cursor.finalized_slot,
            cursor.slot
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    api(
        &indexer.api,
        &net,
        &owner,
        &reader.pubkey(),
        &private,
        &public,
    )
    .await?;
    push(&indexer.api, &net).await?;
    Ok(())
}

/// The REST API over the indexed history.
async fn api(
    base: &str,
    net: &Localnet,
    owner: &Keypair,
    left: &Pubkey,
    private: &BlobId,
    public: &BlobId,
) -> Result<()> {
    let http = reqwest::Client::new();
    // `history` registered `left` as a provider and deregistered it.
    let left = pda::provider(left);
    let (status, _) = get(&http, &format!("{base}/v1/providers/{left}")).await?;
    assert_eq!(
        status, 404,
        "a deregistered provider is gone from the mirror"
    );
    let (status, providers) =
        get(&http, &format!("{base}/v1/providers?role=storage&limit=2")).await?;
    assert_eq!(status, 200);
    assert_eq!(providers["items"].as_array().map(Vec::len), Some(2));
    let next = providers["next"].as_str().context("a second page")?;
    let (_, rest) = get(
        &http,
        &format!("{base}/v1/providers?role=storage&limit=2&after={next}"),
    )
    .await?;
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(1));
    assert!(rest.get("next").is_none());
    // Node 2 unstaked and withdrew; the slashed holder served its term and unjailed.
    let (_, unbonding) = get(&http, &format!("{base}/v1/providers?status=unbonding")).await?;
    assert_eq!(
        unbonding["items"].as_array().map(Vec::len),
        Some(0),
        "{unbonding}"
    );
    let (_, node2) = get(
        &http,
        &format!("{base}/v1/providers/{}", net.nodes[2].address),
    )
    .await?;
    assert_eq!(
        (&node2["status"], &node2["unbonding"]),
        (&Value::from("active"), &Value::from("0"))
    );
    // Every node heartbeat as it came up, node 0 again in the history; each says how long
    // ago, by the block time of its heartbeat, and so its liveness. The embedded chain
    // reports transactions' block times 1000 times too small; the follower takes the
    // slot's (`getBlockTime`) instead, so the silence is minutes at most, not decades.
    // Which liveness is not asserted (a node may be down by now); the rule is tested in
    // `api::tests`.
    let (_, node0) = get(
        &http,
        &format!("{base}/v1/providers/{}", net.nodes[0].address),
    )
    .await?;
    for node in [&node2, &node0] {
        assert!(node["last_heartbeat_at"].is_string(), "{node}");
        let silent = node["silent_secs"].as_i64().context("silent_secs")?;
        assert!((-60..600).contains(&silent), "{node}");
        let liveness = node["liveness"].as_str().unwrap_or_default();
        assert!(
            ["online", "warning", "offline"].contains(&liveness),
            "{node}"
        );
    }
    let (_, missed) = get(&http, &format!("{base}/v1/proofs?blob={public}")).await?;
    assert_eq!(missed["items"][0]["outcome"], "missed");
    let slashed_holder = missed["items"][0]["holder"]
        .as_str()
        .context("holder")?
        .to_owned();
    let (_, holder) = get(&http, &format!("{base}/v1/providers/{slashed_holder}")).await?;
    assert_eq!(holder["status"], "active");
    assert_eq!(holder["reputation"], -1);
    // Amounts are decimal strings.
    let slashed: u64 = holder["slashed_total"]
        .as_str()
        .context("slashed_total")?
        .parse()?;
    assert!(slashed > 0, "{holder}");

    let (status, blob) = get(&http, &format!("{base}/v1/blobs/{public}")).await?;
    assert_eq!(status, 200);
    assert_eq!(
        (&blob["status"], &blob["public"]),
        (&Value::from("active"), &Value::from(true))
    );
    assert_eq!(blob["placements"].as_array().map(Vec::len), Some(3));
    // Every holder accepted; shard 0's holder missed a proof since, which ended its
    // acceptance.
    let accepted: Vec<bool> = blob["placements"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| !p["accepted_slot"].is_null())
        .collect();
    assert_eq!(accepted.iter().filter(|a| **a).count(), 2, "{blob}");
    // Each acceptance names the price it was for: the deal's.
    let deal_price = &blob["deal"]["price_per_shard_epoch"];
    assert!(
        blob["placements"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|p| &p["accepted_price"] == deal_price),
        "{blob}"
    );
    assert_eq!(blob["deal"]["status"], "open");
    // Every owner's blob of a content, by its CID: here only the owner's.
    let cid = blob["cid"].as_str().context("cid")?;
    let (_, by_content) = get(&http, &format!("{base}/v1/blobs?cid={cid}")).await?;
    assert_eq!(by_content["items"][0]["address"], public.to_string());
    assert_eq!(by_content["items"].as_array().map(Vec::len), Some(1));
    let (_, deleted) = get(&http, &format!("{base}/v1/blobs/{private}")).await?;
    assert_eq!(deleted["status"], "deleted");
    let (_, grants) = get(&http, &format!("{base}/v1/blobs/{private}/grants")).await?;
    assert_eq!(grants["items"][0]["active"], false);
    let (_, mine) = get(&http, &format!("{base}/v1/blobs?owner={}", owner.pubkey())).await?;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(2));
    let (_, stats) = get(&http, &format!("{base}/v1/stats")).await?;
    assert_eq!(stats["providers"]["total"], 6);
    assert_eq!(stats["providers"]["compute"], 3);

    // The job with every worker's outcome, and the cheater's slash.
    let job = pda::job(&owner.pubkey(), 1);
    let (status, job_row) = get(&http, &format!("{base}/v1/jobs/{job}")).await?;
    assert_eq!(status, 200);
    assert_eq!(
        (&job_row["status"], &job_row["agreeing"]),
        (&Value::from("succeeded"), &Value::from(2))
    );
    let mut outcomes: Vec<String> = job_row["results"]
        .as_array()
        .context("results")?
        .iter()
        .map(|r| r["outcome"].as_str().unwrap_or_default().to_owned())
        .collect();
    outcomes.sort();
    assert_eq!(outcomes, ["disagreed", "paid", "paid"]);
    let (_, slashes) = get(&http, &format!("{base}/v1/slashes")).await?;
    assert_eq!(slashes["items"][0]["subject"], job.to_string());
    let (_, jobs) = get(
        &http,
        &format!(
            "{base}/v1/jobs?status=succeeded&requester={}",
            owner.pubkey()
        ),
    )
    .await?;
    assert_eq!(jobs["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(stats["blobs"]["active"], 1);

    // Bad input is a 400 that says what is wrong; unknown keys are 404.
    for (path, status) in [
        ("/v1/blobs/not-a-cid".to_owned(), 400),
        ("/v1/providers?role=miner".to_owned(), 400),
        ("/v1/providers?limit=0".to_owned(), 400),
        ("/v1/events?after=abc".to_owned(), 400),
        ("/v1/events?kind=Nope".to_owned(), 400),
        // Neither a base58 address nor a NEAR account ID.
        ("/v1/blobs?owner=-xyz".to_owned(), 400),
        (format!("/v1/jobs/{}", Pubkey::new_unique()), 404),
        (
            format!("/v1/blobs/{}", Cid::of(b"a CID is no blob id")),
            400,
        ),
        (format!("/v1/blobs/{}", Pubkey::new_unique()), 404),
    ] {
        let (got, body) = get(&http, &format!("{base}{path}")).await?;
        assert_eq!(got, status, "{path}: {body}");
        assert!(body["error"].is_string(), "{path}: {body}");
    }

    // Every documented path answers (with real keys substituted).
    let (_, doc) = get(&http, &format!("{base}/openapi.json")).await?;
    let paths = doc["paths"].as_object().context("paths")?;
    assert!(paths.len() >= 15);
    let job = pda::job(&owner.pubkey(), 1).to_string();
    for path in paths.keys() {
        if path.ends_with("/stream") {
            continue;
        }
        let url = path
            .replace("{id}", &net.nodes[0].address)
            .replace("{blob}", &public.to_string())
            .replace("{address}", &job)
            .replace(
                "{dataset}",
                &basalt::client::pda::dataset(&owner.pubkey(), "mirror").to_string(),
            )
            .replace("{cid}", &Cid::from_digest(MIRROR_VERSION).to_string());
        // The one route with a required query: the term searched for.
        let query = if path == "/v1/search" {
            format!("?q={public}")
        } else {
            String::new()
        };
        let r = http.get(format!("{base}{url}{query}")).send().await?;
        assert_eq!(r.status().as_u16(), 200, "{url}");
    }
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    assert!(metrics.contains("basalt_indexer_events_total"), "{metrics}");
    Ok(())
}

/// A stream subscriber sees a new heartbeat of one provider, and nothing of another.
async fn push(base: &str, net: &Localnet) -> Result<()> {
    let node = node_key(net, 1)?;
    let url = format!(
        "{base}/v1/events/stream?kind=ProviderHeartbeat&account={}",
        { basalt::client::pda::provider(&node.pubkey()) }
    );
    let response = reqwest::Client::new().get(url).send().await?;
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let chain = net.client();
    // Another provider's heartbeat first: filtered out.
    let other = node_key(net, 0)?;
    chain
        .send(&[ix::provider_heartbeat(&other.pubkey())], &other, &[])
        .await?;
    let signature = chain
        .send(&[ix::provider_heartbeat(&node.pubkey())], &node, &[])
        .await?;
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !text.contains(&signature.to_string()) {
        let chunk = tokio::time::timeout_at(deadline.into(), body.next())
            .await
            .context("no pushed event within 20 s")?
            .context("stream ended")??;
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("event: ProviderHeartbeat"), "{text}");
    assert_eq!(
        text.matches("event: ProviderHeartbeat").count(),
        1,
        "only the subscribed provider's heartbeat: {text}"
    );
    Ok(())
}

/// A JSON-RPC proxy in front of the chain that answers `null` to `getTransaction` for the
/// signature in `hidden`: what a lagging RPC node behind a load balancer does. Returns its
/// URL.
async fn lagging_rpc(
    upstream: String,
    hidden: Arc<std::sync::Mutex<Option<String>>>,
) -> Result<String> {
    use axum::routing::post;
    let http = reqwest::Client::new();
    let app = axum::Router::new().route(
        "/",
        post(move |body: axum::body::Bytes| {
            let (http, upstream, hidden) = (http.clone(), upstream.clone(), Arc::clone(&hidden));
            async move {
                let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let hide = hidden.lock().expect("not poisoned").clone();
                if request["method"] == "getTransaction" && hide.is_some_and(|h| request["params"][0] == h) {
                    return serde_json::json!({"jsonrpc": "2.0", "result": null, "id": request["id"]})
                        .to_string();
                }
                match http.post(&upstream).header("content-type", "application/json").body(body).send().await {
                    Ok(r) => r.text().await.unwrap_or_default(),
                    Err(e) => serde_json::json!({"jsonrpc": "2.0", "error": {"code": -32000, "message": e.to_string()}, "id": request["id"]}).to_string(),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_the_rpc_cannot_return_yet_is_fetched_again_not_skipped() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut options = LocalnetOptions::new(dir.path().join("net"));
    options.workers = 0;
    options.nodes = 1;
    // No heartbeats: the chain holds the same transactions for both followers.
    options.node_settings.heartbeat_interval_secs = 0;
    let net = Localnet::start(&options).await?;
    profile_updates(&net, 5).await?;
    let chain = net.client();
    let listed = chain.rpc().get_signatures_for_address(&basalt::ID).await?;
    // Newest first: hide the third newest transaction.
    let hidden_sig = listed[2].signature.clone();
    let hidden = Arc::new(std::sync::Mutex::new(Some(hidden_sig.clone())));
    let proxy = lagging_rpc(net.info.rpc_url.clone(), Arc::clone(&hidden)).await?;

    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let metrics = Arc::new(Metrics::new());
    let follower = Follower::new(
        store.clone(),
        FollowOptions::new(&proxy, basalt::ID),
        Arc::clone(&metrics),
    );
    let pass = follower.pass().await?;
    assert!(pass.gap, "{pass:?}");
    assert_eq!(
        pass.transactions,
        listed.len() - 3,
        "everything before the hidden one"
    );
    assert_eq!(
        store
            .cursor(&basalt::ID.to_string())
            .await?
            .map(|c| c.signature),
        Some(listed[3].signature.clone())
    );
    // Still hidden: the next pass stops at the same place and writes nothing.
    assert_eq!(follower.pass().await?.transactions, 0);
    assert!(
        metrics.render().contains("basalt_indexer_gaps_total 2"),
        "{}",
        metrics.render()
    );

    *hidden.lock().expect("not poisoned") = None;
    let pass = follower.pass().await?;
    assert_eq!((pass.transactions, pass.gap), (3, false));
    let written = common::count_where(
        store.pool(),
        "transactions",
        &format!("signature = '{hidden_sig}'"),
    )
    .await?;
    assert_eq!(written, 1);

    // The same tables as a follower that never saw the gap.
    let direct_db = TempDb::create().await?;
    let direct = Store::connect(&direct_db.url).await?;
    Follower::new(
        direct.clone(),
        FollowOptions::new(&net.info.rpc_url, basalt::ID),
        Arc::new(Metrics::new()),
    )
    .pass()
    .await?;
    common::assert_same(
        &snapshot(direct.pool()).await?,
        &snapshot(store.pool()).await?,
    );
    Ok(())
}
