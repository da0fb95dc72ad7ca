//! `basalt-indexer`: follows the Basalt program into PostgreSQL and serves the dApp API.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt_indexer::{FollowOptions, IndexerOptions};
use clap::Parser;

/// Follows the Basalt program into PostgreSQL and serves the dApp API.
#[derive(Debug, Parser)]
#[command(name = "basalt-indexer", version)]
struct Cli {
    /// PostgreSQL URL; the schema is created or migrated at start.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Solana JSON-RPC URL to follow (any standard RPC; `confirmed` commitment).
    #[arg(long, env = "BASALT_RPC_URL", default_value = "http://127.0.0.1:8899")]
    rpc_url: String,
    /// The Basalt program's id.
    #[arg(long, env = "BASALT_PROGRAM_ID", default_value_t = basalt::ID.to_string())]
    program_id: String,
    /// API address (port 0 picks a free one).
    #[arg(long, env = "BASALT_INDEXER_LISTEN", default_value = "127.0.0.1:8790")]
    listen: SocketAddr,
    /// Serve the API only: another indexer process writes the database.
    #[arg(long, conflicts_with = "no_api")]
    api_only: bool,
    /// Follow only, without the API.
    #[arg(long)]
    no_api: bool,
    /// Transactions per database transaction.
    #[arg(long, default_value_t = 200)]
    batch: usize,
    /// Milliseconds between polls once caught up.
    #[arg(long, default_value_t = 300)]
    poll_ms: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let program: Pubkey = cli
        .program_id
        .parse()
        .with_context(|| format!("--program-id {}: not a base58 address", cli.program_id))?;
    anyhow::ensure!(cli.batch > 0, "--batch must be at least 1");
    let follow = (!cli.api_only).then(|| {
        let mut f = FollowOptions::new(&cli.rpc_url, program);
        f.batch = cli.batch;
        f.poll = Duration::from_millis(cli.poll_ms);
        f
    });
    let options = IndexerOptions {
        database_url: cli.database_url,
        follow,
        listen: (!cli.no_api).then_some(cli.listen),
        program_id: cli.program_id,
    };
    basalt_indexer::run(options, shutdown_signal(), |addr| {
        // One line on stdout that scripts (and the localnet) read to find the API.
        println!("basalt-indexer listening on http://{addr}");
        tracing::info!(%addr, "serving the API");
    })
    .await
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
