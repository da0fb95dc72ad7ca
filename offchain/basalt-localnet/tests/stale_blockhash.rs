//! A transaction signed with a blockhash the chain does not know (a stale one: under load,
//! or handed out by a lagging RPC node) is refused by the preflight with
//! `BlockhashNotFound`; the SDK signs it again with a fresh blockhash, a bounded number of
//! times. The chain is the embedded one; between it and the client sits a JSON-RPC proxy
//! that answers the first `getLatestBlockhash` calls with a hash the chain never made.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Result;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use basalt::state::ROLE_STORAGE;
use basalt_localnet::{
    fund_wallet, initialize, ChainOptions, LocalChain, NetworkParams, SOL, TOKEN,
};
use basalt_sdk::chain::{ChainError, ProviderRegistration};
use basalt_sdk::ChainClient;
use serde_json::Value;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction_error::TransactionError;

/// The proxy's state: where the chain is, how many blockhashes to make stale, how many
/// were asked for.
struct Stale {
    chain: String,
    http: reqwest::Client,
    stale_left: AtomicUsize,
    asked: AtomicUsize,
}

async fn forward(State(stale): State<Arc<Stale>>, Json(request): Json<Value>) -> Json<Value> {
    let mut answer: Value = match stale.http.post(&stale.chain).json(&request).send().await {
        Ok(response) => response.json().await.unwrap_or(Value::Null),
        Err(e) => {
            serde_json::json!({ "jsonrpc": "2.0", "id": request["id"], "error": { "code": -32000, "message": e.to_string() } })
        }
    };
    if request["method"] == "getLatestBlockhash" {
        stale.asked.fetch_add(1, Ordering::SeqCst);
        let take = stale
            .stale_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if take.is_ok() {
            // 32 random bytes in base58, as a blockhash is written: one the chain never made.
            answer["result"]["value"]["blockhash"] = Keypair::new().pubkey().to_string().into();
        }
    }
    Json(answer)
}

/// Starts the proxy in front of `chain`; returns its URL and state.
async fn proxy(chain: &str, stale: usize) -> Result<(String, Arc<Stale>)> {
    let state = Arc::new(Stale {
        chain: chain.to_owned(),
        http: reqwest::Client::new(),
        stale_left: AtomicUsize::new(stale),
        asked: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/", post(forward))
        .with_state(Arc::clone(&state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, state))
}

/// A chain with a registered provider, whose heartbeat is the transaction sent.
async fn chain_with_provider(dir: &std::path::Path) -> Result<(LocalChain, Keypair)> {
    let chain = LocalChain::start(&ChainOptions::default())?;
    let client = ChainClient::new(chain.rpc_url());
    let keys = initialize(&client, &dir.join("keys"), &NetworkParams::default()).await?;
    let provider = Keypair::new();
    fund_wallet(&client, &keys, &provider.pubkey(), 10 * SOL, 5_000 * TOKEN).await?;
    let registration = ProviderRegistration {
        endpoint: "http://127.0.0.1:7001".into(),
        region: "local".into(),
        roles: ROLE_STORAGE,
        capacity: 1 << 30,
    };
    client
        .register_provider(&provider, &registration, 2_000 * TOKEN)
        .await?;
    Ok((chain, provider))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_refused_for_a_stale_blockhash_is_signed_again_and_lands() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (chain, provider) = chain_with_provider(dir.path()).await?;
    let heartbeat = [basalt::client::ix::provider_heartbeat(&provider.pubkey())];

    // Two stale blockhashes, then fresh ones: the third signing lands.
    let (url, stale) = proxy(chain.rpc_url(), 2).await?;
    let client = ChainClient::new(&url);
    let before = client
        .provider(&provider.pubkey())
        .await?
        .expect("registered");
    client.send(&heartbeat, &provider, &[]).await?;
    assert_eq!(stale.asked.load(Ordering::SeqCst), 3);
    let after = client
        .provider(&provider.pubkey())
        .await?
        .expect("registered");
    assert!(after.last_heartbeat_slot > before.last_heartbeat_slot);

    // Pipelined: a batch whose first round is stale is signed again in the next.
    let (url, stale) = proxy(chain.rpc_url(), 1).await?;
    let client = ChainClient::new(&url);
    let answers = client.send_many(&[heartbeat.to_vec()], &provider).await;
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(stale.asked.load(Ordering::SeqCst), 2);

    // Never a fresh one: the refusal comes back after a bounded number of signings.
    let (url, stale) = proxy(chain.rpc_url(), usize::MAX).await?;
    let client = ChainClient::new(&url);
    let refused = client.send(&heartbeat, &provider, &[]).await;
    assert!(
        matches!(
            refused,
            Err(ChainError::Transaction(TransactionError::BlockhashNotFound))
        ),
        "{refused:?}"
    );
    assert_eq!(stale.asked.load(Ordering::SeqCst), 3);
    chain.stop();
    Ok(())
}
