//! `basalt`: the Basalt command line. Wallet, data (put, get, share, delete), provider
//! operations, compute jobs, and `basalt localnet` / `basalt demo` for a network on this
//! machine.
//!
//! Follows the Solana CLI's conventions: `--url` takes `localnet`, `devnet`,
//! `mainnet-beta` or an RPC URL; `--keypair` is a Solana CLI keypair file (default
//! `~/.config/solana/id.json`); `--json` prints machine-readable output.
//!
//! `--chain evm` runs the data commands (put, get, grant, revoke, delete), `address`,
//! `keygen`, `localnet` and `demo` against the EVM contracts instead: `--url` is an EVM
//! JSON-RPC URL (`localnet`: the one `basalt --chain evm localnet` runs), `--evm-config`
//! the deployment's `BasaltConfig` address, `--key` the account's key file.

mod cluster;
mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Basalt: decentralized storage and compute on Solana.
#[derive(Debug, Parser)]
#[command(name = "basalt", version, about)]
pub struct Cli {
    /// Cluster: localnet, devnet, mainnet-beta, or an RPC URL.
    #[arg(
        long,
        short = 'u',
        global = true,
        default_value = "localnet",
        env = "BASALT_URL"
    )]
    pub url: String,
    /// Wallet keypair file (Solana CLI format).
    #[arg(long, short = 'k', global = true, env = "BASALT_KEYPAIR")]
    pub keypair: Option<PathBuf>,
    /// Directory of the local network (`basalt localnet`).
    #[arg(long, global = true, env = "BASALT_LOCALNET_DIR")]
    pub localnet_dir: Option<PathBuf>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,
    /// The chain the protocol runs on.
    #[arg(long, global = true, value_enum, default_value_t = ChainKind::Solana, env = "BASALT_CHAIN")]
    pub chain: ChainKind,
    /// EVM: the deployment's `BasaltConfig` address.
    #[arg(long, global = true, env = "BASALT_EVM_CONFIG")]
    pub evm_config: Option<String>,
    /// EVM: the block the deployment was made at (its events are read from there).
    #[arg(
        long,
        global = true,
        default_value_t = 0,
        env = "BASALT_EVM_START_BLOCK"
    )]
    pub evm_start_block: u64,
    /// EVM: the account's key file, hex (`0x` and 64 digits) or a keystore (Web3 Secret
    /// Storage JSON) whose password is in BASALT_KEYSTORE_PASSWORD.
    #[arg(long, global = true, env = "BASALT_EVM_KEY")]
    pub key: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// Which chain `basalt` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChainKind {
    Solana,
    Evm,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Creates a new wallet keypair file.
    Keygen {
        /// Where to write it (default: --keypair or ~/.config/solana/id.json).
        #[arg(long, short = 'o')]
        outfile: Option<PathBuf>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Prints the wallet's address.
    Address,
    /// Prints the wallet's SOL and stake-token balances.
    Balance,
    /// Asks a local network's faucet for SOL.
    Airdrop {
        /// Amount in SOL.
        amount: f64,
    },
    /// Stores a file: encrypts, erasure-codes, uploads, registers and pays in one transaction.
    Put(commands::data::PutArgs),
    /// Reads a file back by its blob id (the first line `put` prints).
    Get(commands::data::GetArgs),
    /// Lists the wallet's blobs.
    Ls,
    /// Shows a blob's chain record.
    Info {
        /// The blob's id.
        blob: String,
    },
    /// Lets another wallet read (and optionally write or delete) a blob.
    Grant(commands::data::GrantArgs),
    /// Withdraws a grant.
    Revoke {
        /// The blob's id.
        blob: String,
        grantee: String,
    },
    /// Deletes a blob: its chain record, deal refund, and the shards on every holder.
    Delete {
        /// The blob's id.
        blob: String,
    },
    /// Storage provider operations.
    #[command(subcommand)]
    Provider(commands::provider::ProviderCommand),
    /// Compute jobs: submit a WASM module over an input blob, follow it, list them.
    #[command(subcommand)]
    Job(commands::job::JobCommand),
    /// Datasets: named, versioned directories (create, push, pull, log, diff, lineage,
    /// retract, grant).
    #[command(subcommand)]
    Dataset(commands::dataset::DatasetCommand),
    /// Runs a local network: chain, storage nodes; Ctrl-C stops it, running it again resumes.
    Localnet(commands::localnet::LocalnetArgs),
    /// Starts a throwaway network, stores a file, kills 4 nodes, reads it back and checks it.
    Demo(commands::demo::DemoArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BASALT_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
