//! `basalt-indexer`: follows the Basalt program (Solana) or contracts (NEAR, EVM) into
//! PostgreSQL and serves the dApp API.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt_evm_client::alloy::primitives::Address;
use basalt_indexer::explorer::{ExplorerOptions, WalletEndpoint};
use basalt_indexer::{EvmFollowOptions, Follow, FollowOptions, IndexerOptions, NearFollowOptions};
use basalt_near_client::AccountId;
use clap::{Parser, ValueEnum};

/// Follows the Basalt program (Solana) or contracts (NEAR, EVM) into PostgreSQL and serves
/// the dApp API. One database indexes one deployment.
#[derive(Debug, Parser)]
#[command(name = "basalt-indexer", version)]
struct Cli {
    /// PostgreSQL URL; the schema is created or migrated at start.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// The chain the deployment runs on.
    #[arg(long, env = "BASALT_CHAIN", value_enum, default_value_t = Chain::Solana)]
    chain: Chain,
    /// JSON-RPC URL to follow: any standard Solana RPC (`confirmed` commitment), a NEAR
    /// RPC node (final blocks), or an Ethereum JSON-RPC node (to the head, reorgs rolled
    /// back). Default: the local network's Solana RPC; NEAR and EVM need one.
    #[arg(long, env = "BASALT_RPC_URL")]
    rpc_url: Option<String>,
    /// The Basalt program's id (Solana).
    #[arg(long, env = "BASALT_PROGRAM_ID", default_value_t = basalt::ID.to_string())]
    program_id: String,
    /// The Basalt contract's account (NEAR).
    #[arg(long, env = "BASALT_NEAR_CONTRACT", required_if_eq("chain", "near"))]
    near_contract: Option<String>,
    /// The NEP-141 stake token whose `ft_transfer_call`s to the contract carry stakes,
    /// escrow and rewards (NEAR).
    #[arg(long, env = "BASALT_NEAR_TOKEN", required_if_eq("chain", "near"))]
    near_token: Option<String>,
    /// The height the contract was deployed at: where a new database starts reading
    /// (NEAR; ignored once the database has a cursor).
    #[arg(long, env = "BASALT_NEAR_START_BLOCK")]
    near_start_block: Option<u64>,
    /// The deployment's `BasaltConfig` contract (EVM): it names the others.
    #[arg(long, env = "BASALT_EVM_CONFIG", required_if_eq("chain", "evm"))]
    evm_config: Option<String>,
    /// The block the contracts were deployed in: where a new database starts reading
    /// (EVM; ignored once the database has a cursor).
    #[arg(long, env = "BASALT_EVM_START_BLOCK")]
    evm_start_block: Option<u64>,
    /// API address (port 0 picks a free one).
    #[arg(long, env = "BASALT_INDEXER_LISTEN", default_value = "127.0.0.1:8790")]
    listen: SocketAddr,
    /// Serve the API only: another indexer process writes the database.
    #[arg(long, conflicts_with = "no_api")]
    api_only: bool,
    /// Follow only, without the API.
    #[arg(long)]
    no_api: bool,
    /// Transactions (Solana) or blocks (NEAR, EVM) per database transaction.
    #[arg(long, default_value_t = 200)]
    batch: usize,
    /// Milliseconds between polls once caught up.
    #[arg(long, default_value_t = 300)]
    poll_ms: u64,
    /// Seconds without a heartbeat after which the API calls a provider `warning`.
    #[arg(long, env = "BASALT_HEARTBEAT_WARNING_SECS", default_value_t = 60)]
    heartbeat_warning_secs: u64,
    /// Seconds without a heartbeat after which the API calls a provider `offline`.
    #[arg(long, env = "BASALT_HEARTBEAT_OFFLINE_SECS", default_value_t = 300)]
    heartbeat_offline_secs: u64,
    /// Solana RPC URL the explorer's wallet actions use from the browser: it reads accounts
    /// there and sends the transactions the user's wallet signed. Browsers reach it
    /// directly, so give a public endpoint (not the follower's if that carries a key).
    /// Without it the explorer offers no wallet actions.
    #[arg(long, env = "BASALT_WALLET_RPC_URL")]
    wallet_rpc_url: Option<String>,
    /// The cluster --wallet-rpc-url serves, as wallets name it.
    #[arg(long, env = "BASALT_WALLET_CLUSTER", default_value = "localnet",
          value_parser = ["mainnet", "devnet", "testnet", "localnet"])]
    wallet_cluster: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Chain {
    Solana,
    Near,
    Evm,
}

impl Cli {
    /// The explorer's options: its wallet endpoint, Solana only.
    fn explorer(&self) -> Result<ExplorerOptions> {
        let wallet = match (&self.wallet_rpc_url, self.chain) {
            (None, _) => None,
            (Some(url), Chain::Solana) => Some(
                WalletEndpoint::new(url, &self.wallet_cluster)
                    .map_err(|e| anyhow::anyhow!("--wallet-rpc-url {e}"))?,
            ),
            (Some(_), Chain::Near | Chain::Evm) => {
                anyhow::bail!("--wallet-rpc-url: the explorer's wallet actions are for Solana")
            }
        };
        Ok(ExplorerOptions { wallet })
    }

    /// What to follow, from the flags of the chosen chain.
    fn follow(&self) -> Result<(Follow, String)> {
        let poll = Duration::from_millis(self.poll_ms);
        match self.chain {
            Chain::Solana => {
                let program: Pubkey = self.program_id.parse().with_context(|| {
                    format!("--program-id {}: not a base58 address", self.program_id)
                })?;
                let url = self.rpc_url.as_deref().unwrap_or("http://127.0.0.1:8899");
                let mut f = FollowOptions::new(url, program);
                f.batch = self.batch;
                f.poll = poll;
                Ok((Follow::Solana(f), self.program_id.clone()))
            }
            Chain::Near => {
                let url = self
                    .rpc_url
                    .as_deref()
                    .context("--chain near needs --rpc-url: a NEAR RPC node")?;
                let account = |flag: &str, value: Option<&str>| {
                    let text = value.unwrap_or_default();
                    text.parse::<AccountId>()
                        .with_context(|| format!("{flag} {text:?}: not a NEAR account ID"))
                };
                let contract = account("--near-contract", self.near_contract.as_deref())?;
                let token = account("--near-token", self.near_token.as_deref())?;
                let mut f = NearFollowOptions::new(url, contract, token);
                f.start_height = self.near_start_block;
                f.batch = u64::try_from(self.batch).unwrap_or(u64::MAX);
                f.pacing.poll = poll;
                let id = f.contract.to_string();
                Ok((Follow::Near(f), id))
            }
            Chain::Evm => {
                let url = self
                    .rpc_url
                    .as_deref()
                    .context("--chain evm needs --rpc-url: an Ethereum JSON-RPC node")?;
                let text = self.evm_config.as_deref().unwrap_or_default();
                let config: Address = text
                    .parse()
                    .with_context(|| format!("--evm-config {text:?}: not an EVM address"))?;
                let mut f = EvmFollowOptions::new(url, config);
                f.start_block = self.evm_start_block;
                f.batch = u64::try_from(self.batch).unwrap_or(u64::MAX);
                f.pacing.poll = poll;
                Ok((
                    Follow::Evm(f),
                    basalt_indexer::evm::payload::account(config),
                ))
            }
        }
    }
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
    anyhow::ensure!(cli.batch > 0, "--batch must be at least 1");
    let (follow, program_id) = cli.follow()?;
    let explorer = cli.explorer()?;
    let liveness = basalt_core::LivenessThresholds {
        warning_secs: cli.heartbeat_warning_secs,
        offline_secs: cli.heartbeat_offline_secs,
    };
    liveness.check().map_err(anyhow::Error::msg)?;
    let options = IndexerOptions {
        database_url: cli.database_url,
        follow: (!cli.api_only).then_some(follow),
        listen: (!cli.no_api).then_some(cli.listen),
        program_id,
        liveness,
        explorer,
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
