//! One module per group of subcommands; [`run`] dispatches.

pub mod data;
pub mod dataset;
pub mod demo;
mod demo_evm;
pub mod evm;
pub mod job;
pub mod localnet;
pub mod provider;
pub mod wallet;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use basalt_sdk::ChainClient;
use solana_keypair::Keypair;

use crate::cluster::{self, Cluster};
use crate::{ChainKind, Cli, Command};

/// What every chain command needs: the cluster, a client of it, and the wallet.
pub struct Context {
    pub cluster: Cluster,
    pub chain: ChainClient,
    pub keypair_path: PathBuf,
    pub json: bool,
}

impl Context {
    fn new(cli: &Cli) -> Result<Self> {
        let localnet_dir = localnet_dir(cli);
        let cluster = cluster::resolve(&cli.url, &localnet_dir)?;
        Ok(Self {
            chain: ChainClient::new(&cluster.rpc_url),
            cluster,
            keypair_path: keypair_path(cli),
            json: cli.json,
        })
    }

    /// The wallet keypair, with a hint when the file is missing.
    pub fn wallet(&self) -> Result<Keypair> {
        read_wallet(&self.keypair_path)
    }
}

/// Reads a Solana CLI keypair file, saying what to do when there is none.
pub fn read_wallet(path: &Path) -> Result<Keypair> {
    if !path.exists() {
        anyhow::bail!(
            "no wallet at {}: create one with `basalt keygen` or pass --keypair",
            path.display()
        );
    }
    solana_keypair::read_keypair_file(path)
        .map_err(|e| anyhow::anyhow!("{} is not a Solana keypair file: {e}", path.display()))
}

/// `--keypair`, else the Solana CLI default `~/.config/solana/id.json`.
pub fn keypair_path(cli: &Cli) -> PathBuf {
    cli.keypair.clone().unwrap_or_else(|| {
        dirs::home_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".config/solana/id.json")
    })
}

/// `--localnet-dir`, else the default.
pub fn localnet_dir(cli: &Cli) -> PathBuf {
    cli.localnet_dir
        .clone()
        .unwrap_or_else(cluster::default_localnet_dir)
}

/// Runs the command `cli` names.
///
/// # Errors
///
/// Whatever the command failed with, phrased for the user.
pub async fn run(cli: Cli) -> Result<()> {
    if cli.chain == ChainKind::Evm {
        return evm::run(&cli).await;
    }
    match &cli.command {
        Command::Keygen { outfile, force } => {
            let path = outfile.clone().unwrap_or_else(|| keypair_path(&cli));
            wallet::keygen(&path, *force, cli.json)
        }
        Command::Localnet(args) => localnet::run(&cli, args).await,
        Command::Demo(args) => demo::run(args, cli.json).await,
        Command::Address => {
            let path = keypair_path(&cli);
            wallet::address(&read_wallet(&path)?, cli.json);
            Ok(())
        }
        command => {
            let ctx = Context::new(&cli).context("choosing the cluster (--url)")?;
            match command {
                Command::Balance => wallet::balance(&ctx).await,
                Command::Airdrop { amount } => wallet::airdrop(&ctx, *amount).await,
                Command::Put(args) => data::put(&ctx, args).await,
                Command::Get(args) => data::get(&ctx, args).await,
                Command::Ls => data::ls(&ctx).await,
                Command::Info { blob } => data::info(&ctx, blob).await,
                Command::Grant(args) => data::grant(&ctx, args).await,
                Command::Revoke { blob, grantee } => data::revoke(&ctx, blob, grantee).await,
                Command::Delete { blob } => data::delete(&ctx, blob).await,
                Command::Provider(p) => provider::run(&ctx, p).await,
                Command::Job(j) => job::run(&ctx, j).await,
                Command::Dataset(d) => dataset::run(&ctx, d).await,
                Command::Keygen { .. }
                | Command::Localnet(_)
                | Command::Demo(_)
                | Command::Address => unreachable!("handled above"),
            }
        }
    }
}
