//! The indexer against the local chain (surfpool with the program, real storage nodes) and
//! the real PostgreSQL server: real transactions from the SDK, a `basalt-indexer` process
//! killed with SIGKILL again and again while it ingests, and a fresh replay that must give
//! the same tables; then the API and its push stream over what was indexed.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::ix;
use basalt::state::ROLE_STORAGE;
use basalt_core::Cid;
use basalt_indexer::{FollowOptions, Follower, Metrics, Store};
use basalt_localnet::{bootstrap, Localnet, LocalnetOptions, NodeProcess, NodeSettings, TOKEN};
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

/// Waits until the index at `store` has written `signature`.
async fn caught_up(store: &Store, signature: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if store
            .cursor(&basalt::ID.to_string())
            .await?
            .map(|c| c.signature)
            .as_deref()
            == Some(signature)
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the indexer did not reach {signature} within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Stores `len` random bytes as `wallet`.
async fn put(net: &Localnet, wallet: &Keypair, len: usize, public: bool) -> Result<Cid> {
    let mut data = vec![0u8; len];
    OsRng.fill_bytes(&mut data);
    let options = PutOptions {
        k: Some(2),
        m: Some(1),
        encrypt: !public,
        public,
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
    Ok(report.cid)
}

/// Drives the chain through the program's storage life cycle with real transactions.
async fn history(net: &Localnet, owner: &Keypair, reader: &Keypair) -> Result<(Cid, Cid)> {
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
    basalt_sdk::access::delete(&chain, owner, &private).await?;
    profile_updates(net, 30).await?;
    Ok((private, public))
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
    options.nodes = 3;
    options.fund = vec![owner.pubkey(), reader.pubkey()];
    options.node_settings = NodeSettings {
        acl_cache_ms: 200,
        ..NodeSettings::default()
    };
    let net = Localnet::start(&options).await?;
    let rpc = net.info.rpc_url.clone();
    let (private, public) = history(&net, &owner, &reader).await?;
    let chain = net.client();
    let newest = newest_signature(&chain).await?;

    // Kill -9 the indexer at random moments while it works through the history one
    // transaction per batch, then let a last run catch up.
    let killed_db = TempDb::create().await?;
    let killed = Store::connect(&killed_db.url).await?;
    let mut cursors = std::collections::BTreeSet::new();
    for round in 0..10 {
        let indexer = Indexer::start(&killed_db.url, &rpc, 1)?;
        let wait = 5 + OsRng.next_u64() % 40;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        indexer.kill()?;
        let cursor = killed
            .cursor(&basalt::ID.to_string())
            .await?
            .map(|c| c.signature);
        let written = common::count(killed.pool(), "transactions").await?;
        eprintln!("kill {round} after {wait} ms: {written} transactions written");
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
        ("ProviderRegistered", 3),
        ("StakeAdded", 3),
        ("BlobRegistered", 2),
        ("ShardPlaced", 6),
        ("BlobActivated", 2),
        ("DealFunded", 2),
        ("GrantCreated", 2),
        ("GrantRevoked", 1),
        ("ProviderHeartbeat", 1),
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

    api(&indexer.api, &net, &owner, &private, &public).await?;
    push(&indexer.api, &net).await?;
    Ok(())
}

/// The REST API over the indexed history.
async fn api(
    base: &str,
    net: &Localnet,
    owner: &Keypair,
    private: &Cid,
    public: &Cid,
) -> Result<()> {
    let http = reqwest::Client::new();
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
    let (_, unbonding) = get(&http, &format!("{base}/v1/providers?status=unbonding")).await?;
    assert_eq!(unbonding["items"][0]["authority"], net.nodes[2].address);

    let (status, blob) = get(&http, &format!("{base}/v1/blobs/{public}")).await?;
    assert_eq!(status, 200);
    assert_eq!(
        (&blob["status"], &blob["public"]),
        (&Value::from("active"), &Value::from(true))
    );
    assert_eq!(blob["placements"].as_array().map(Vec::len), Some(3));
    assert_eq!(blob["deal"]["status"], "open");
    let (_, deleted) = get(&http, &format!("{base}/v1/blobs/{private}")).await?;
    assert_eq!(deleted["status"], "deleted");
    let (_, grants) = get(&http, &format!("{base}/v1/blobs/{private}/grants")).await?;
    assert_eq!(grants["items"][0]["active"], false);
    let (_, mine) = get(&http, &format!("{base}/v1/blobs?owner={}", owner.pubkey())).await?;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(2));
    let (_, stats) = get(&http, &format!("{base}/v1/stats")).await?;
    assert_eq!(stats["providers"]["total"], 3);
    assert_eq!(stats["blobs"]["active"], 1);

    // Bad input is a 400 that says what is wrong; unknown keys are 404.
    for (path, status) in [
        ("/v1/blobs/not-a-cid".to_owned(), 400),
        ("/v1/providers?role=miner".to_owned(), 400),
        ("/v1/providers?limit=0".to_owned(), 400),
        ("/v1/events?after=abc".to_owned(), 400),
        ("/v1/events?kind=Nope".to_owned(), 400),
        ("/v1/blobs?owner=xyz".to_owned(), 400),
        (format!("/v1/jobs/{}", Pubkey::new_unique()), 404),
        (format!("/v1/blobs/{}", Cid::of(b"never stored")), 404),
    ] {
        let (got, body) = get(&http, &format!("{base}{path}")).await?;
        assert_eq!(got, status, "{path}: {body}");
        assert!(body["error"].is_string(), "{path}: {body}");
    }

    // Every documented path answers (with real keys substituted).
    let (_, doc) = get(&http, &format!("{base}/openapi.json")).await?;
    let paths = doc["paths"].as_object().context("paths")?;
    assert!(paths.len() >= 15);
    let job = Pubkey::new_unique().to_string();
    for path in paths.keys() {
        if path.ends_with("/stream") {
            continue;
        }
        let url = path
            .replace("{id}", &net.nodes[0].address)
            .replace("{cid}", &public.to_string())
            .replace("{address}", &job);
        let r = http.get(format!("{base}{url}")).send().await?;
        let want = if url.starts_with("/v1/jobs/") {
            404
        } else {
            200
        };
        assert_eq!(r.status().as_u16(), want, "{url}");
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
    options.nodes = 1;
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
