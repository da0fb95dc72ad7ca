//! The local network on the EVM (`basalt localnet --chain evm`): anvil on 127.0.0.1 with
//! the protocol deployed (`basalt_evm_client::deploy`, `Network::local()`), storage nodes
//! (`basalt-node --chain evm`) each with its own secp256k1 key, registered and staked,
//! the users' accounts given ether and stake tokens, and optionally the indexer
//! (`basalt-indexer --chain evm`); described in `<dir>/localnet.json`.
//!
//! Anvil keeps its chain in memory, so every start is a new deployment: the directory is
//! emptied first (the nodes' shards and the indexer's rows would be another deployment's).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use basalt_evm_client::alloy::primitives::{Address, U256};
use basalt_evm_client::alloy::providers::Provider;
use basalt_evm_client::alloy::signers::local::PrivateKeySigner;
use basalt_evm_client::anvil::Anvil;
use basalt_evm_client::deploy::{deploy, Deployed, Network};
use basalt_evm_client::keys::key_file_text;
use basalt_evm_client::setup::{approve_stake, register_storage};
use basalt_evm_client::BasaltTestToken;
use serde::{Deserialize, Serialize};

use crate::indexer::{Database, IndexerProcess};
use crate::network::free_port;
use crate::network::NodeInfo;
use crate::nodes::{node_binary, threads_per_node, NodeProcess, NodeSettings};

/// Name of the file the CLI reads to find the EVM local network in its directory.
pub const EVM_INFO_FILE: &str = "localnet.json";

/// Stake each node bonds, and the stake tokens each user account is given.
const NODE_STAKE: u64 = 2_000;
const USER_TOKENS: u64 = 1_000_000;

/// How to start the EVM local network.
#[derive(Debug, Clone)]
pub struct EvmLocalnetOptions {
    /// Where everything is kept (emptied at start).
    pub dir: PathBuf,
    /// Storage nodes to run.
    pub nodes: usize,
    pub node_settings: NodeSettings,
    /// Accounts to give ether and stake tokens (the user's key).
    pub fund: Vec<Address>,
    /// Run the indexer and its API (into `DATABASE_URL`, else a cluster in the directory).
    pub indexer: bool,
    /// What the deployment fixes: epochs and the proof window, in blocks, and the
    /// parameters.
    pub network: Network,
    /// A block every this long (transactions wait for it, as on a real chain).
    pub block_time: Duration,
}

impl EvmLocalnetOptions {
    /// Defaults for a network in `dir`: 14 nodes (the deployment's RS(10, 4), every shard
    /// on its own node), no indexer.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            nodes: 14,
            node_settings: NodeSettings::default(),
            fund: Vec::new(),
            indexer: false,
            // 60-block epochs of a minute, proofs due in their first 10 s.
            network: Network::local(),
            block_time: Duration::from_secs(1),
        }
    }
}

/// Where the EVM local network's parts are, as written to `localnet.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EvmNetworkInfo {
    /// Always `evm`: tells this file from a Solana network's.
    pub chain: String,
    pub rpc_url: String,
    /// The deployment's `BasaltConfig`, which names the other contracts.
    pub config: String,
    /// The stake token (an ERC-20 its deployer mints).
    pub token: String,
    pub blobs: String,
    pub providers: String,
    /// The block the deployment starts at.
    pub start_block: u64,
    pub nodes: Vec<NodeInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexer_url: Option<String>,
}

impl EvmNetworkInfo {
    /// Reads `localnet.json` in `dir`.
    ///
    /// # Errors
    ///
    /// When it is missing, does not parse, or describes a Solana network.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(EVM_INFO_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading {}: is an EVM local network running there? (`basalt --chain evm localnet`)",
                path.display()
            )
        })?;
        let info: Self =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        anyhow::ensure!(
            info.chain == "evm",
            "{} describes a {} network",
            path.display(),
            info.chain
        );
        Ok(info)
    }
}

/// A running EVM local network. Everything stops when it is dropped.
pub struct EvmLocalnet {
    pub info: EvmNetworkInfo,
    dir: PathBuf,
    pub deployed: Deployed,
    // Declared before the chain: dropped (killed) first.
    indexer: Option<IndexerProcess>,
    _database: Option<Database>,
    pub nodes: Vec<NodeProcess>,
    anvil: Anvil,
}

impl EvmLocalnet {
    /// Starts anvil, deploys the protocol, starts and registers the nodes, funds
    /// `options.fund`, starts the indexer if asked, and writes `localnet.json`.
    ///
    /// # Errors
    ///
    /// When anvil, a node or the indexer does not start, or a deployment or registration
    /// transaction fails.
    pub async fn start(options: &EvmLocalnetOptions) -> Result<Self> {
        let dir = &options.dir;
        if dir.exists() {
            std::fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
        }
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let anvil = Anvil::start_with(Some(options.block_time))?;
        let (_, deployer) = anvil.funded_wallet().await?;
        let start_block = deployer.get_block_number().await?;
        let deployed = deploy(&deployer, &options.network)
            .await
            .context("deploying the contracts on anvil")?;
        let config = deployed.config.to_string();
        let binary = node_binary()?;
        let mut settings = options.node_settings.clone();
        settings.worker_threads = settings
            .worker_threads
            .or(Some(threads_per_node(options.nodes)));
        let mut nodes = Vec::with_capacity(options.nodes);
        let mut signers = Vec::with_capacity(options.nodes);
        for i in 0..options.nodes {
            let node_dir = dir.join("nodes").join(i.to_string());
            std::fs::create_dir_all(&node_dir)?;
            let key_path = node_dir.join("evm.key");
            let signer = PrivateKeySigner::random();
            std::fs::write(&key_path, key_file_text(signer.credential()))?;
            let chain_args = [
                "--chain",
                "evm",
                "--evm-config",
                &config,
                "--evm-start-block",
                &start_block.to_string(),
                "--evm-key",
                &key_path.display().to_string(),
            ]
            .map(str::to_owned);
            nodes.push(NodeProcess::start_on(
                &binary,
                &node_dir,
                free_port()?,
                anvil.url(),
                &settings,
                &chain_args,
            )?);
            signers.push(signer);
        }
        // The deployer mints for everyone first (its transactions in one go, confirmed
        // together); then each node approves, registers and stakes from its own account,
        // all nodes at once: with a block a second, one after the other would take minutes.
        let token = BasaltTestToken::new(deployed.token, &deployer);
        let mut minted = Vec::new();
        let grants = signers
            .iter()
            .map(|s| (s.address(), 10 * NODE_STAKE))
            .chain(options.fund.iter().map(|who| (*who, USER_TOKENS)));
        for (who, amount) in grants {
            minted.push(token.mint(who, U256::from(amount)).send().await?);
        }
        for pending in minted {
            pending.get_receipt().await?;
        }
        for who in &options.fund {
            let _: () = deployer
                .raw_request(
                    "anvil_setBalance".into(),
                    (*who, U256::from(10u128.pow(20))),
                )
                .await?;
        }
        let registrations = nodes
            .iter()
            .zip(signers)
            .enumerate()
            .map(|(i, (node, signer))| {
                let (anvil, deployed) = (&anvil, &deployed);
                async move {
                    let as_node = anvil.wallet(signer).await?;
                    approve_stake(deployed, &as_node).await?;
                    register_storage(deployed, &as_node, &node.url, U256::from(NODE_STAKE))
                        .await
                        .with_context(|| format!("registering node {i}"))
                }
            });
        futures::future::try_join_all(registrations).await?;
        let infos = nodes
            .iter()
            .map(|node| NodeInfo {
                url: node.url.clone(),
                address: node.address.clone(),
            })
            .collect();
        let (database, indexer) = if options.indexer {
            let database = Database::open(&dir.join("postgres"), free_port()?)?;
            let chain_args = [
                "--chain",
                "evm",
                "--rpc-url",
                anvil.url(),
                "--evm-config",
                &config,
                "--evm-start-block",
                &start_block.to_string(),
            ]
            .map(str::to_owned);
            let indexer = IndexerProcess::start_on(
                &dir.join("indexer"),
                &database.url(),
                &chain_args,
                free_port()?,
                None,
            )?;
            (Some(database), Some(indexer))
        } else {
            (None, None)
        };
        let info = EvmNetworkInfo {
            chain: "evm".into(),
            rpc_url: anvil.url().to_owned(),
            config,
            token: deployed.token.to_string(),
            blobs: deployed.blobs.to_string(),
            providers: deployed.providers.to_string(),
            start_block,
            nodes: infos,
            indexer_url: indexer.as_ref().map(|i| i.url.clone()),
        };
        std::fs::write(
            dir.join(EVM_INFO_FILE),
            serde_json::to_string_pretty(&info)?,
        )?;
        Ok(Self {
            info,
            dir: dir.clone(),
            deployed,
            indexer,
            _database: database,
            nodes,
            anvil,
        })
    }

    /// The chain's JSON-RPC endpoint.
    pub fn rpc_url(&self) -> &str {
        self.anvil.url()
    }

    /// Stops the indexer and the nodes (each finishes what it is doing), then the chain.
    /// The description file is removed: nothing listens where it says any more.
    pub fn stop(mut self) {
        if let Some(indexer) = &mut self.indexer {
            if let Err(e) = indexer.stop() {
                tracing::warn!("stopping the indexer: {e:#}");
            }
        }
        for node in &mut self.nodes {
            if let Err(e) = node.stop() {
                tracing::warn!("stopping a node: {e:#}");
            }
        }
        let _ = std::fs::remove_file(self.dir.join(EVM_INFO_FILE));
    }
}
