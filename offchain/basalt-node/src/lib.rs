//! Basalt storage node: a RocksDB shard store behind an authenticated HTTP API.
//!
//! - [`store`]: shards, metadata, the blob index and the repair queue in RocksDB;
//!   integrity checked on every write and read.
//! - [`node`]: the running node's parts ([`node::Node`]), which the API and GC share.
//! - [`api`]: the axum routes (put, get, byte range, head, delete, leaf proof, stats,
//!   health, metrics) and who may call each; the protocol is `basalt_core::wire`.
//! - [`auth`]: signed requests, replay protection, per-key rate limits.
//! - [`chain`]: the on-chain questions (may this key read or delete, is the blob alive)
//!   behind a small trait, answered over Solana or NEAR JSON-RPC.
//! - [`gc`]: collection of shards the chain no longer pays for.
//! - [`acceptor`]: accepts on chain the placements whose data this node holds.
//! - [`prover`]: proves, every epoch, the shards it accepted.
//! - [`crank`]: settles its pay and slashes the missed proofs of the blobs it holds.
//! - [`heartbeat`]: tells the chain the node is up.
//! - [`repair`]: rebuilds shards found corrupt here from the blob's other holders.
//! - [`config`], [`identity`], [`metrics`]: settings, the node's key, Prometheus.
//!
//! The binary (`basalt-node`) wires these together; [`serve`] is the whole node.

pub mod acceptor;
pub mod api;
pub mod auth;
pub mod chain;
pub mod config;
pub mod crank;
pub mod gc;
pub mod heartbeat;
pub mod identity;
pub mod metrics;
pub mod node;
pub mod prover;
pub mod repair;
pub mod store;
#[cfg(test)]
mod testing;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use basalt_core::RequestKey;
use ed25519_dalek::SigningKey;

use crate::chain::{
    Chain, Deadlines, DecisionCache, EvmChain, NearChain, SolanaChain, WatchedChain,
};
use crate::config::{ChainKind, NodeConfig};
use crate::node::Node;
use crate::store::ShardStore;

/// The chain client the configuration names, sending as `provider` (see
/// [`provider_key`]), watched: every call bounded by `chain_timeout_ms` and reported to its
/// monitor, read decisions cached for `acl_cache_ms` (and served up to `acl_stale_secs`
/// while the chain does not answer).
///
/// # Errors
///
/// When `chain = "near"` comes without a valid `near_contract` account, `chain = "evm"`
/// without a valid `evm_config` address, or `provider` is not of the chain's kind.
pub fn connect_chain(config: &NodeConfig, provider: &RequestKey) -> Result<WatchedChain> {
    let inner: Arc<dyn Chain> = match (config.chain, provider) {
        (ChainKind::Solana, RequestKey::Ed25519(identity)) => Arc::new(
            SolanaChain::new(&config.rpc_url, identity.clone())
                .with_proof_priority_fee(config.proof_priority_fee),
        ),
        (ChainKind::Near, RequestKey::Ed25519(identity)) => {
            let contract = config
                .near_contract
                .as_deref()
                .context("chain = \"near\" needs near_contract: the account the Basalt contract is deployed at")?;
            let contract = contract
                .parse()
                .with_context(|| format!("near_contract {contract:?} is not a NEAR account id"))?;
            Arc::new(NearChain::new(&config.rpc_url, contract, identity.clone()))
        }
        (ChainKind::Evm, RequestKey::Evm(key)) => {
            let text = config.evm_config.as_deref().context(
                "chain = \"evm\" needs evm_config: the address of the deployment's BasaltConfig contract",
            )?;
            let address = text
                .parse()
                .with_context(|| format!("evm_config {text:?} is not an EVM address"))?;
            Arc::new(EvmChain::new(
                &config.rpc_url,
                address,
                config.evm_start_block,
                key,
            )?)
        }
        (chain, key) => anyhow::bail!(
            "a {chain:?} node's provider key cannot be {} (see provider_key)",
            key.caller()
        ),
    };
    Ok(WatchedChain::new(
        inner,
        Arc::new(basalt_core::LinkMonitor::new(&config.rpc_url)),
        Deadlines::new(Duration::from_millis(config.chain_timeout_ms)),
        DecisionCache::new(
            Duration::from_millis(config.acl_cache_ms),
            Duration::from_secs(config.acl_stale_secs),
        ),
    ))
}

/// Reads the node's keypair, creating one on first start.
///
/// # Errors
///
/// When an existing file is not a valid keypair, or a new one cannot be written.
pub fn load_or_create_identity(config: &NodeConfig) -> Result<SigningKey> {
    if config.keypair.exists() {
        return identity::read_keypair(&config.keypair);
    }
    let key = SigningKey::generate(&mut rand_core::OsRng);
    identity::write_keypair(&config.keypair, &key)?;
    tracing::info!(path = %config.keypair.display(), "created a new node identity");
    Ok(key)
}

/// The key the node's provider signs with on its chain, read (or created on first start)
/// from the file of its kind: the keypair on Solana and NEAR, the EVM key on the EVM. Only
/// that file is touched: an EVM node has no ed25519 identity.
///
/// # Errors
///
/// When the key file is not a valid key, or a new one cannot be written.
pub fn provider_key(config: &NodeConfig) -> Result<RequestKey> {
    Ok(match config.chain {
        ChainKind::Solana | ChainKind::Near => {
            RequestKey::Ed25519(load_or_create_identity(config)?)
        }
        ChainKind::Evm => RequestKey::Evm(load_or_create_evm_key(config)?),
    })
}

/// Reads the provider's EVM key (`chain = "evm"`), creating one on first start.
///
/// # Errors
///
/// When an existing file is not a valid key, or a new one cannot be written.
pub fn load_or_create_evm_key(config: &NodeConfig) -> Result<basalt_core::evm_auth::SigningKey> {
    if config.evm_key.exists() {
        return identity::read_evm_key(&config.evm_key);
    }
    let key = basalt_core::evm_auth::SigningKey::random(&mut rand_core::OsRng);
    identity::write_evm_key(&config.evm_key, &key)?;
    tracing::info!(path = %config.evm_key.display(), "created a new EVM provider key");
    Ok(key)
}

/// Runs the node until `shutdown` resolves: binds, serves, accepts placements, proves
/// them, cranks settlements and slashes, collects garbage, and on shutdown lets in-flight requests finish before flushing the store.
///
/// `on_ready` is called with the bound address and the node's provider (as its chain names
/// it) once the node accepts connections.
///
/// # Errors
///
/// When the store cannot be opened, the address cannot be bound, or the final flush fails.
pub async fn serve(
    config: NodeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    on_ready: impl FnOnce(std::net::SocketAddr, &basalt_core::Caller),
) -> Result<()> {
    let store = ShardStore::open_tuned(
        &config.data_dir,
        config.capacity,
        config.sync,
        config.store_tuning(),
    )
    .with_context(|| format!("opening the shard store in {}", config.data_dir.display()))?;
    let store = Arc::new(store);
    let provider = provider_key(&config)?;
    let chain = connect_chain(&config, &provider)?;
    let chain_link = chain.link();
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let bound = listener.local_addr()?;
    let gc_interval = config.gc_interval_secs;
    let accept_interval = config.accept_interval_secs;
    let prove_interval = config.prove_interval_secs;
    let crank_interval = config.crank_interval_secs;
    let heartbeat_interval = config.heartbeat_interval_secs;
    let repair_interval = config.repair_interval_secs;
    let node = Node::new(Arc::clone(&store), Arc::new(chain), provider, config);
    let node = Arc::new(node.with_chain_link(chain_link));
    on_ready(bound, &node.address());

    let (stop_tasks, tasks_stopped) = tokio::sync::watch::channel(false);
    let gc = (gc_interval > 0).then(|| {
        tokio::spawn(gc::run(
            Arc::clone(&node),
            Duration::from_secs(gc_interval),
            tasks_stopped,
        ))
    });
    let acceptor = (accept_interval > 0).then(|| {
        tokio::spawn(acceptor::run(
            Arc::clone(&node),
            Duration::from_secs(accept_interval),
            stop_tasks.subscribe(),
        ))
    });
    let prover = (prove_interval > 0).then(|| {
        tokio::spawn(prover::run(
            Arc::clone(&node),
            Duration::from_secs(prove_interval),
            stop_tasks.subscribe(),
        ))
    });
    let crank = (crank_interval > 0).then(|| {
        tokio::spawn(crank::run(
            Arc::clone(&node),
            Duration::from_secs(crank_interval),
            stop_tasks.subscribe(),
        ))
    });
    let heartbeat = (heartbeat_interval > 0).then(|| {
        tokio::spawn(heartbeat::run(
            Arc::clone(&node),
            Duration::from_secs(heartbeat_interval),
            stop_tasks.subscribe(),
        ))
    });
    let repair = (repair_interval > 0).then(|| {
        tokio::spawn(repair::run(
            Arc::clone(&node),
            Duration::from_secs(repair_interval),
            stop_tasks.subscribe(),
        ))
    });
    axum::serve(listener, api::router(Arc::clone(&node)))
        .with_graceful_shutdown(shutdown)
        .await
        .context("HTTP server")?;
    let _ = stop_tasks.send(true);
    for task in gc
        .into_iter()
        .chain(acceptor)
        .chain(prover)
        .chain(crank)
        .chain(heartbeat)
        .chain(repair)
    {
        let _ = task.await;
    }
    tokio::task::spawn_blocking(move || store.flush())
        .await
        .context("flush task")?
        .context("flushing the store")?;
    tracing::info!("stopped cleanly");
    Ok(())
}
