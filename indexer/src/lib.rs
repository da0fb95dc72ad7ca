//! Basalt's indexer: follows the program's events over Solana JSON-RPC (or the NEAR
//! contract's over NEAR JSON-RPC, or the EVM contracts' over Ethereum JSON-RPC) into
//! PostgreSQL exactly once, and serves them to dApps over HTTP.
//!
//! - [`record`]: what is written, whichever chain it came from (transactions, events).
//! - [`solana`]: follows the program over Solana RPC: list, fetch, decode with the
//!   program's own types, write in batches with the cursor; finalize.
//! - [`near`]: the same for a NEAR deployment, into the same tables.
//! - [`evm`]: the same for an EVM deployment, with reorgs rolled back.
//! - [`db`]: the PostgreSQL side: migrations, the one-transaction batch writer, the reads.
//! - [`api`]: REST + server-sent events + OpenAPI for dApps.
//! - [`explorer`]: the web page at `/` that shows the network from the API.

pub mod api;
pub mod db;
pub mod evm;
pub mod explorer;
pub mod metrics;
pub mod near;
pub mod record;
pub mod solana;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;

pub use db::Store;
pub use evm::{EvmFollowOptions, EvmFollower};
pub use metrics::Metrics;
pub use near::{NearFollowOptions, NearFollower};
pub use solana::{FollowOptions, Follower};

/// What [`run`] starts.
#[derive(Debug, Clone)]
pub struct IndexerOptions {
    pub database_url: String,
    /// `None`: serve the API only (a read replica of an index another process writes).
    pub follow: Option<Follow>,
    /// `None`: follow only.
    pub listen: Option<SocketAddr>,
    /// The followed program's id (Solana) or contract account (NEAR): the cursor the API
    /// reports.
    pub program_id: String,
    /// When the API calls a silent provider `warning`, then `offline`.
    pub liveness: basalt_core::LivenessThresholds,
    /// What the web explorer offers beyond the index (its wallet endpoint).
    pub explorer: explorer::ExplorerOptions,
}

/// Which chain the indexer follows. One database indexes one deployment.
#[derive(Debug, Clone)]
pub enum Follow {
    Solana(FollowOptions),
    Near(NearFollowOptions),
    Evm(EvmFollowOptions),
}

/// Connects to the database (migrating it), then follows the chain and serves the API
/// until `shutdown` resolves. `on_listen` is called with the bound API address.
///
/// # Errors
///
/// When the database cannot be reached or migrated, or the API address cannot be bound.
pub async fn run(
    options: IndexerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_listen: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let store = Store::connect(&options.database_url)
        .await
        .context("connecting to the index database")?;
    let metrics = Arc::new(Metrics::new());
    let (stop_tx, stop) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();

    let chain = match options.follow {
        Some(Follow::Solana(follow)) => {
            let follower = Follower::new(store.clone(), follow, Arc::clone(&metrics));
            let link = follower.link();
            let stop = stop.clone();
            tasks.spawn(async move { follower.run(stop).await });
            Some(link)
        }
        Some(Follow::Near(follow)) => {
            let follower = NearFollower::new(store.clone(), follow, Arc::clone(&metrics));
            let link = follower.link();
            let stop = stop.clone();
            tasks.spawn(async move { follower.run(stop).await });
            Some(link)
        }
        Some(Follow::Evm(follow)) => {
            let follower = EvmFollower::new(store.clone(), follow, Arc::clone(&metrics))
                .context("the EVM RPC URL")?;
            let link = follower.link();
            let stop = stop.clone();
            tasks.spawn(async move { follower.run(stop).await });
            Some(link)
        }
        None => None,
    };
    if let Some(addr) = options.listen {
        let (newest_tx, newest) = watch::channel(0);
        tasks.spawn(api::listen_for_events(
            store.clone(),
            newest_tx,
            stop.clone(),
        ));
        let state = Arc::new(api::ApiState {
            store,
            metrics,
            newest_event: newest,
            program_id: options.program_id,
            liveness: options.liveness,
            chain,
            explorer: options.explorer,
        });
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the API to {addr}"))?;
        on_listen(listener.local_addr()?);
        let mut stop = stop.clone();
        tasks.spawn(async move {
            let serve =
                axum::serve(listener, api::router(state)).with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                });
            if let Err(e) = serve.await {
                tracing::error!("API server: {e}");
            }
        });
    }
    shutdown.await;
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// How the NEAR and EVM followers pace their passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// Wait between passes once caught up.
    pub poll: std::time::Duration,
    /// Wait after an RPC or database error before trying again, doubling with each
    /// failure in a row up to `retry_max`.
    pub retry: std::time::Duration,
    pub retry_max: std::time::Duration,
}

impl Pacing {
    /// Polls every `poll` once caught up; retries after 1 s, doubling up to 10 s.
    pub fn new(poll: std::time::Duration) -> Self {
        Self {
            poll,
            retry: std::time::Duration::from_secs(1),
            retry_max: std::time::Duration::from_secs(10),
        }
    }
}

/// A pass that failed: whether the chain's RPC failed (rather than the database or the
/// configuration), for `/health`.
pub(crate) trait PassError: std::fmt::Display {
    fn is_chain(&self) -> bool;
}

/// The NEAR and EVM followers' loop, until `stop` turns true: `pass` back to back while it
/// says the follower is behind, every `poll` once caught up; after a failure, again after
/// a wait that doubles with each failure in a row.
pub(crate) async fn follow_passes<E: PassError, F: Future<Output = Result<bool, E>>>(
    rpc_url: &str,
    pacing: Pacing,
    metrics: &Metrics,
    link: &basalt_core::LinkMonitor,
    mut stop: watch::Receiver<bool>,
    mut pass: impl FnMut() -> F,
) {
    let mut backoff = basalt_core::Backoff::new(pacing.retry, pacing.retry_max);
    loop {
        let wait = match pass().await {
            Ok(behind) => {
                backoff.succeeded();
                link.answered();
                if behind {
                    std::time::Duration::ZERO
                } else {
                    pacing.poll
                }
            }
            Err(e) => {
                let wait = backoff.failed();
                tracing::warn!("following {rpc_url}: {e}; retrying in {wait:?}");
                metrics.errors.inc();
                if e.is_chain() {
                    link.failed(&e);
                }
                wait
            }
        };
        if sleep_or_stop(wait, &mut stop).await {
            return;
        }
    }
}

/// Waits `wait`, or less if `stop` changes; whether the follower must stop.
pub(crate) async fn sleep_or_stop(
    wait: std::time::Duration,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) -> bool {
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        _ = stop.changed() => {}
    }
    *stop.borrow()
}
