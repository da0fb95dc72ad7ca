//! `basalt-gateway`: an S3 endpoint storing into Basalt (docs/gateway.md).

use std::path::PathBuf;

use anyhow::{Context, Result};
use basalt_gateway::GatewayConfig;
use clap::Parser;

/// Serves an S3 endpoint whose objects are Basalt blobs, each access key acting as the
/// wallet its configuration names.
#[derive(Debug, Parser)]
#[command(name = "basalt-gateway", version)]
struct Cli {
    /// The configuration file (TOML; docs/gateway.md).
    #[arg(long, env = "BASALT_GATEWAY_CONFIG")]
    config: PathBuf,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let text = std::fs::read_to_string(&cli.config)
        .with_context(|| format!("reading {}", cli.config.display()))?;
    let config =
        GatewayConfig::from_toml(&text).with_context(|| format!("in {}", cli.config.display()))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    // The first line is what `basalt localnet` waits for.
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
    basalt_gateway::server::serve(&config, listener, shutdown).await?;
    Ok(())
}
