//! `basalt localnet`: the local network in the foreground until Ctrl-C.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use basalt_localnet::{bootstrap, GatewayOptions, Localnet, LocalnetOptions};
use serde_json::json;
use solana_signer::Signer;

use super::{keypair_path, localnet_dir};
use crate::output::print;
use crate::Cli;

#[derive(Debug, clap::Args)]
pub struct LocalnetArgs {
    /// Storage nodes to run.
    #[arg(long, default_value_t = 14)]
    pub nodes: usize,
    /// Forget the previous network in the directory and start from scratch.
    #[arg(long)]
    pub fresh: bool,
    /// Milliseconds per slot.
    #[arg(long, default_value_t = 100)]
    pub slot_ms: u64,
    /// Seconds per epoch of a new network (proofs are due in its first half); a resumed
    /// network keeps the epochs it was created with.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(2..=3600))]
    pub epoch_secs: u64,
    /// Compute workers to run (`basalt-worker`, each registered and staked).
    #[arg(long, default_value_t = 3)]
    pub workers: usize,
    /// Do not run the indexer and its API (they need PostgreSQL: DATABASE_URL, or the
    /// installed server binaries for a private cluster in the network's directory).
    #[arg(long)]
    pub no_indexer: bool,
    /// Do not run the S3 gateway (`basalt-gateway`, whose access key acts as the wallet).
    #[arg(long)]
    pub no_gateway: bool,
}

/// Ctrl-C, or SIGTERM from a service manager or `kill`: the same orderly stop.
pub struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Takes both signals from here on, so that one arriving while a network starts stops
    /// it once started.
    ///
    /// # Errors
    ///
    /// When the handlers cannot be installed.
    pub fn listen() -> Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("listening for Ctrl-C")?,
            terminate: signal(SignalKind::terminate()).context("listening for SIGTERM")?,
        })
    }

    /// Resolves at the first of them, naming it.
    pub async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "interrupted",
            _ = self.terminate.recv() => "terminated",
        }
    }
}

pub async fn run(cli: &Cli, args: &LocalnetArgs) -> Result<()> {
    let mut signals = StopSignals::listen()?;
    let dir: PathBuf = localnet_dir(cli);
    if args.fresh && dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    crate::output::set_console(basalt_localnet::redirect_program_stdout(
        &dir.join("program.log"),
    )?);
    // The user's wallet gets SOL and stake tokens, so `basalt put` works at once.
    let wallet_path = keypair_path(cli);
    let created_wallet = !wallet_path.exists();
    let wallet = bootstrap::load_or_create_keypair(&wallet_path)?;
    let mut options = LocalnetOptions::new(&dir);
    options.nodes = args.nodes;
    options.slot_ms = args.slot_ms;
    options.params.epoch_slots = (args.epoch_secs * 1_000 / args.slot_ms.max(1)).max(2);
    options.params.proof_window_slots = options.params.epoch_slots / 2;
    // Solana's usual local ports when they are free.
    options.rpc_port = 8899;
    options.ws_port = 8900;
    options.fund = vec![wallet.pubkey()];
    options.indexer = !args.no_indexer;
    options.workers = args.workers;
    options.gateway = (!args.no_gateway).then(|| GatewayOptions {
        wallet: wallet_path.clone(),
        // basalt-gateway's own default port, when free.
        port: 9100,
        piece_size: None,
        k: None,
        m: None,
    });
    eprintln!("starting the local network in {} …", dir.display());
    // A signal while starting stops the start: what it started so far is dropped (killed).
    let started = tokio::select! {
        started = Localnet::start(&options) => started,
        why = signals.recv() => anyhow::bail!("{why} while starting"),
    };
    let net = started.map_err(|e| {
        if options.indexer {
            e.context("starting the local network (`--no-indexer` runs it without the indexer)")
        } else {
            e
        }
    })?;
    let info = &net.info;
    print(
        cli.json,
        &json!({ "dir": dir.display().to_string(), "network": info, "wallet": wallet.pubkey().to_string() }),
        || {
            let mut text = format!(
                "Basalt local network is up ({} storage nodes)\n  rpc:        {}\n  websocket:  {}\n  program:    {}\n  stake mint: {}\n",
                info.nodes.len(),
                info.rpc_url,
                info.ws_url,
                info.program_id,
                info.stake_mint
            );
            if let Some(url) = &info.indexer_url {
                text.push_str(&format!(
                    "  indexer:    {url}  (dApp API; {url}/openapi.json)\n  explorer:   {url}/  (the network in a browser)\n"
                ));
            }
            if let Some(g) = &info.gateway {
                text.push_str(&format!(
                    "  s3:         {}  (access key {}, secret {}; acts as the wallet)\n",
                    g.url, g.access_key, g.secret_key
                ));
            }
            for (i, n) in info.nodes.iter().enumerate() {
                text.push_str(&format!("  node {i:>2}:    {}  {}\n", n.url, n.address));
            }
            for (i, w) in info.workers.iter().enumerate() {
                text.push_str(&format!("  worker {i}:   {w}\n"));
            }
            text.push_str(&format!(
                "  wallet:     {} ({}{})\n  state:      {}\nPress Ctrl-C to stop; run `basalt localnet` again to resume.",
                wallet.pubkey(),
                wallet_path.display(),
                if created_wallet { ", created and funded" } else { ", funded" },
                dir.display()
            ));
            text
        },
    );
    signals.recv().await;
    eprintln!("stopping: indexer and nodes first, then the chain …");
    tokio::task::spawn_blocking(move || net.stop())
        .await
        .context("stopping the network")?;
    eprintln!("stopped; state kept in {}", dir.display());
    Ok(())
}
