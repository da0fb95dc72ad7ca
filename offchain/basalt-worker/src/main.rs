//! `basalt-worker`: the compute worker binary. See the library docs for what it does.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use basalt_worker::{Worker, WorkerConfig};
use clap::Parser;
use solana_signer::Signer;

/// Takes compute jobs from the chain, runs them deterministically, commits and reveals.
#[derive(Parser, Debug)]
#[command(name = "basalt-worker", version)]
struct Cli {
    /// The chain's RPC URL.
    #[arg(
        long,
        short = 'u',
        env = "BASALT_WORKER_URL",
        default_value = "http://127.0.0.1:8899"
    )]
    url: String,
    /// The worker's wallet (Solana CLI keypair file): its provider authority.
    #[arg(long, short = 'k', env = "BASALT_WORKER_KEYPAIR")]
    keypair: PathBuf,
    /// Where the journal of commitments is kept.
    #[arg(
        long,
        env = "BASALT_WORKER_STATE_DIR",
        default_value = "basalt-worker-data"
    )]
    state_dir: PathBuf,
    /// Most unsettled job places held at once.
    #[arg(long, default_value_t = 4)]
    capacity: usize,
    /// Most fuel a job may ask for (longer jobs are not taken).
    #[arg(long, default_value_t = 10_000_000_000)]
    max_fuel: u64,
    /// Milliseconds between two passes over the jobs.
    #[arg(long, default_value_t = 1_000)]
    interval_ms: u64,
    /// Register as a compute provider with this stake (base units) if not registered yet.
    #[arg(long)]
    register_stake: Option<u64>,
    /// Region published with the registration.
    #[arg(long, default_value = "local")]
    region: String,
    /// Serve `/metrics` (Prometheus) and `/health` on this address, e.g. 127.0.0.1:9100.
    #[arg(long, env = "BASALT_WORKER_METRICS_LISTEN")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// Threads that drive the chain and the network (default: one per CPU). Jobs run on
    /// blocking threads beside them; a job's result does not depend on either count.
    #[arg(long, env = "BASALT_WORKER_THREADS")]
    threads: Option<usize>,
    /// Test only: commit and reveal a wrong result.
    #[arg(long, hide = true)]
    test_lie: bool,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = cli.threads {
        anyhow::ensure!(threads > 0, "--threads must be at least 1");
        runtime.worker_threads(threads);
    }
    runtime
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run(cli))
}

async fn run(cli: Cli) -> Result<()> {
    let key = solana_keypair::read_keypair_file(&cli.keypair)
        .map_err(|e| anyhow::anyhow!("reading the keypair {}: {e}", cli.keypair.display()))?;
    let authority = key.pubkey();
    let worker = Worker::new(
        WorkerConfig {
            url: cli.url.clone(),
            state_dir: cli.state_dir,
            capacity: cli.capacity,
            max_fuel: cli.max_fuel,
            interval: Duration::from_millis(cli.interval_ms),
            cached_programs: 64,
            lie: cli.test_lie,
        },
        key,
    )?;
    if let Some(stake) = cli.register_stake {
        worker
            .register(&cli.region, stake)
            .await
            .context("registering as a compute provider")?;
    }
    if let Some(addr) = cli.metrics_listen {
        let metrics = worker.metrics();
        let app = axum::Router::new()
            .route(
                "/metrics",
                axum::routing::get(move || {
                    let metrics = std::sync::Arc::clone(&metrics);
                    async move { metrics.encode() }
                }),
            )
            .route("/health", axum::routing::get(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on {addr} for metrics"))?;
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "the metrics endpoint stopped");
            }
        });
    }
    // One line on stdout that scripts (and the localnet) read to find the worker.
    println!("basalt-worker running as {authority}");
    worker.run(shutdown_signal()).await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
