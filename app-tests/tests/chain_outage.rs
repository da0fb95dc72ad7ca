//! Gray failures of the chain RPC: the storage nodes and the indexer reach the chain only
//! through a fault proxy, which black-holes it for a while (connections accepted, nothing
//! answered) while the client, on its own route, goes on writing to the chain. During the
//! outage every health endpoint answers at once and says the chain is unreachable, a
//! reader the nodes admitted lately is still served, a reader they never saw is refused
//! with a clear error; when the route heals, both services recover by themselves, the new
//! reader is served, and the indexer holds every event of the blob exactly once, the ones
//! written during the outage included. Last, the client's own route to the RPC hangs: its
//! get fails at its read deadline with an error that names the RPC, and works again when
//! the route heals.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use basalt::state::ROLE_READ;
use basalt_app_tests::faults::{Fault, FaultProxy};
use basalt_app_tests::{random_bytes, TestNet};
use serde_json::Value;
use solana_signer::Signer;

/// Each health answer must come this fast, whatever the chain does.
const HEALTH_BOUND: Duration = Duration::from_secs(1);
/// How long a service may take to notice the outage or the recovery: a node's reads
/// time out after 5 s and its prover reads every 2 s; the indexer's RPC calls time out
/// after 10 s and it retries within 10 s.
const NOTICE_BOUND: Duration = Duration::from_secs(30);
/// A client's chain read gives up after 10 s (`basalt_sdk::chain`'s read deadline).
const CLIENT_READ_BOUND: Duration = Duration::from_secs(12);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_and_indexer_ride_out_a_hung_chain_rpc_and_recover() -> Result<()> {
    let rpc_port = free_port()?;
    let proxy = FaultProxy::start(SocketAddr::from((Ipv4Addr::LOCALHOST, rpc_port)), 1).await?;
    let t = TestNet::start_with(5, 3, |o| {
        o.rpc_port = rpc_port;
        o.indexer = true;
        o.services_rpc_url = Some(proxy.url.clone());
    })
    .await?;
    let (owner, admitted, newcomer) = (&t.wallets[0], &t.wallets[1], &t.wallets[2]);
    let chain = t.net.client();
    let indexer = t.net.info.indexer_url.clone().context("an indexer")?;
    let http = reqwest::Client::new();

    let data = random_bytes(300);
    let put = t.put(owner, data.clone(), &t.rs_options(3, 2)).await?;
    basalt_sdk::access::grant(&chain, owner, &put.id, &admitted.pubkey(), ROLE_READ, None).await?;
    let (read, _) = t.get(admitted, &put.id).await?;
    ensure!(read == data, "the admitted reader's bytes differ");
    let nodes: Vec<String> = t.net.nodes.iter().map(|n| n.url.clone()).collect();
    wait_for("every service healthy", &http, &nodes, &indexer, "ok").await?;

    proxy.set(Fault::BlackHole);
    let slowest = wait_for("the outage seen", &http, &nodes, &indexer, "degraded").await?;
    println!("chain outage: every health answer within {slowest:?}");
    let node = health(&http, &nodes[0]).await?;
    ensure!(
        node["chain"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("no answer")),
        "the node names the problem: {node}"
    );

    let started = Instant::now();
    let (read, _) = t.get(admitted, &put.id).await?;
    ensure!(
        read == data,
        "the admitted reader's bytes differ during the outage"
    );
    println!(
        "chain outage: a reader admitted before it read in {:?}",
        started.elapsed()
    );
    // The client's own route works: the owner grants a newcomer, whom no node has seen.
    let during =
        basalt_sdk::access::grant(&chain, owner, &put.id, &newcomer.pubkey(), ROLE_READ, None)
            .await?;
    let started = Instant::now();
    let refused = t.get(newcomer, &put.id).await;
    let err = match refused {
        Ok(_) => bail!("a reader no node could check was served during the outage"),
        Err(e) => format!("{e:#}"),
    };
    ensure!(err.contains("chain"), "the refusal names the chain: {err}");
    println!(
        "chain outage: an unchecked reader refused in {:?}: {err}",
        started.elapsed()
    );

    proxy.set(Fault::Pass);
    wait_for("the recovery seen", &http, &nodes, &indexer, "ok").await?;
    let (read, _) = t.get(newcomer, &put.id).await?;
    ensure!(read == data, "the newcomer's bytes differ after the outage");
    every_event_once(&http, &indexer, &t, &put.id, &during.to_string()).await?;

    // The client's own route hangs: its reads give up at their deadline, naming the RPC.
    let client_route =
        FaultProxy::start(SocketAddr::from((Ipv4Addr::LOCALHOST, rpc_port)), 2).await?;
    let client = basalt_sdk::ChainClient::new(&client_route.url);
    let get = || {
        let out = basalt_app_tests::SharedBuf::default();
        let options = basalt_sdk::GetOptions::default();
        let client = &client;
        let id = put.id;
        async move {
            basalt_sdk::get(client, owner, &id, out.clone(), &options, |_| {}).await?;
            anyhow::Ok(out.take())
        }
    };
    ensure!(get().await? == data, "read through the client's route");
    client_route.set(Fault::BlackHole);
    let started = Instant::now();
    let err = match get().await {
        Ok(_) => bail!("a get through a hung RPC succeeded"),
        Err(e) => format!("{e:#}"),
    };
    let took = started.elapsed();
    ensure!(
        took <= CLIENT_READ_BOUND && err.contains("did not answer"),
        "a get through a hung RPC failed after {took:?}: {err}"
    );
    println!("chain outage: the client's hung RPC failed a get in {took:?}: {err}");
    client_route.set(Fault::Pass);
    ensure!(get().await? == data, "read after the client's route healed");
    Ok(())
}

/// Polls every node's and the indexer's `/health` until all say `status`; fails when an
/// answer is slower than [`HEALTH_BOUND`] or `status` does not come within
/// [`NOTICE_BOUND`]. Returns the slowest answer.
async fn wait_for(
    what: &str,
    http: &reqwest::Client,
    nodes: &[String],
    indexer: &str,
    status: &str,
) -> Result<Duration> {
    let deadline = Instant::now() + NOTICE_BOUND;
    let mut slowest = Duration::ZERO;
    loop {
        let mut pending = Vec::new();
        for url in nodes.iter().map(String::as_str).chain([indexer]) {
            let started = Instant::now();
            let answer = health(http, url).await?;
            let took = started.elapsed();
            ensure!(took <= HEALTH_BOUND, "{url}/health took {took:?}");
            slowest = slowest.max(took);
            if answer["status"] != status {
                pending.push(answer);
            }
        }
        if pending.is_empty() {
            return Ok(slowest);
        }
        if Instant::now() > deadline {
            bail!("{what}: not every service says {status:?} after {NOTICE_BOUND:?}: {pending:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn health(http: &reqwest::Client, url: &str) -> Result<Value> {
    let answer = http
        .get(format!("{url}/health"))
        .timeout(HEALTH_BOUND * 2)
        .send()
        .await
        .with_context(|| format!("{url}/health"))?;
    Ok(answer.error_for_status()?.json().await?)
}

/// Reads the blob's transactions from the chain (the grant sent during the outage among
/// them), waits until the indexer holds an event of each that succeeded, then checks that
/// no event is held twice and both grants are there once.
async fn every_event_once(
    http: &reqwest::Client,
    indexer: &str,
    t: &TestNet,
    blob: &basalt_core::BlobId,
    during: &str,
) -> Result<()> {
    let address = basalt_sdk::chain::blob_address(blob).to_string();
    let on_chain: Value = http
        .post(&t.net.info.rpc_url)
        .json(&serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "method": "getSignaturesForAddress",
            "params": [address, {"commitment": "confirmed"}],
        }))
        .send()
        .await?
        .json()
        .await?;
    let landed: Vec<String> = on_chain["result"]
        .as_array()
        .context("signatures")?
        .iter()
        .filter(|tx| tx["err"].is_null())
        .filter_map(|tx| tx["signature"].as_str().map(str::to_owned))
        .collect();
    ensure!(
        landed.iter().any(|s| s == during),
        "the grant made during the outage ({during}) is not on chain"
    );
    let deadline = Instant::now() + NOTICE_BOUND;
    let events = loop {
        let page: Value = http
            .get(format!("{indexer}/v1/events?account={address}&limit=500"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let events = page["items"].as_array().context("a page")?.clone();
        let missing: Vec<&String> = landed
            .iter()
            .filter(|s| !events.iter().any(|e| e["signature"] == s.as_str()))
            .collect();
        if missing.is_empty() {
            break events;
        }
        ensure!(
            Instant::now() < deadline,
            "transactions of the blob not indexed: {missing:?} (the outage's grant: {during})"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let mut seen = std::collections::HashSet::new();
    for e in &events {
        let key = (e["signature"].to_string(), e["event_index"].to_string());
        ensure!(seen.insert(key), "indexed twice: {e}");
    }
    let grants = events
        .iter()
        .filter(|e| e["kind"] == "GrantCreated")
        .count();
    ensure!(
        grants == 2,
        "{grants} GrantCreated events, not 2: {events:?}"
    );
    Ok(())
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
