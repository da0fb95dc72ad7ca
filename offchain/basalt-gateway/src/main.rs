//! `basalt-gateway`: an S3 endpoint storing into Basalt (docs/gateway.md).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use basalt_gateway::GatewayConfig;
use clap::{Parser, Subcommand};

/// Serves an S3 endpoint whose objects are Basalt blobs, each access key acting as the
/// wallet its configuration names.
#[derive(Debug, Parser)]
#[command(name = "basalt-gateway", version, subcommand_negates_reqs = true)]
struct Cli {
    /// The configuration file (TOML; docs/gateway.md).
    #[arg(long, env = "BASALT_GATEWAY_CONFIG", required = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Rebuilds the bucket and key index, which must be empty or absent, from the network
    /// alone: every configured wallet's blobs, read back. Run it once on a new machine,
    /// then start the gateway.
    Recover {
        /// The configuration file (TOML; docs/gateway.md).
        #[arg(long, env = "BASALT_GATEWAY_CONFIG")]
        config: PathBuf,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match (cli.command, cli.config) {
        (Some(Command::Recover { config }), _) => recover(&load(&config)?).await,
        (None, Some(config)) => serve(&load(&config)?).await,
        (None, None) => unreachable!("clap requires --config without a subcommand"),
    }
}

fn load(path: &Path) -> Result<GatewayConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    GatewayConfig::from_toml(&text).with_context(|| format!("in {}", path.display()))
}

async fn serve(config: &GatewayConfig) -> Result<()> {
    let server = basalt_gateway::server::Server::new(config)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    // The first line is what `basalt localnet` waits for: the gateway is ready.
    println!(
        "basalt-gateway listening on http://{}",
        listener.local_addr()?
    );
    let shutdown = async {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    };
    server.serve(listener, shutdown).await;
    Ok(())
}

async fn recover(config: &GatewayConfig) -> Result<()> {
    let s = basalt_gateway::recover::recover(config).await?;
    println!(
        "recovered {} buckets, {} objects and {} unfinished uploads from {} blobs into {}",
        s.buckets,
        s.objects,
        s.uploads,
        s.blobs,
        config.index.display()
    );
    println!(
        "{} blobs that newer ones replaced are in the trash: the gateway deletes them when it starts",
        s.trashed
    );
    println!("{} blobs are not gateway objects: left alone", s.foreign);
    for (what, blobs) in [
        ("of objects with pieces missing", &s.incomplete),
        ("not yet placed, so unreadable", &s.unplaced),
    ] {
        if !blobs.is_empty() {
            println!(
                "{} blobs {what}, left alone: {}",
                blobs.len(),
                blobs.join(" ")
            );
        }
    }
    Ok(())
}
