//! The whole local network: the chain, N storage nodes registered and staked on it, and
//! the file (`localnet.json`) that tells the CLI and SDK where everything is.
//!
//! Everything lives in one directory: `chain/` (SQLite state), `keys/` (admin, stake mint),
//! `nodes/<i>/` (identity, RocksDB, log), `postgres/` and `indexer/` (when the indexer
//! runs), `localnet.json`. Starting again on the same
//! directory resumes it: same chain state, same node data, same endpoints where the ports
//! are still free (a node that must move updates its endpoint on chain).

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::pda;
use basalt::state::ROLE_STORAGE;
use basalt_sdk::chain::ProviderRegistration;
use basalt_sdk::ChainClient;
use serde::{Deserialize, Serialize};
use solana_signer::Signer;

use crate::bootstrap::{self, load_or_create_keypair, NetworkKeys, NetworkParams, SOL, TOKEN};
use crate::chain::{ChainOptions, LocalChain};
use crate::gateway::{GatewayProcess, GatewaySettings};
use crate::indexer::{Database, IndexerLiveness, IndexerProcess};
use crate::nodes::{node_binary, threads_per_node, NodeProcess, NodeSettings};
use crate::workers::{worker_binary, WorkerProcess};

/// Name of the file the CLI reads to find a local network.
pub const INFO_FILE: &str = "localnet.json";

/// How to start a local network.
#[derive(Debug, Clone)]
pub struct LocalnetOptions {
    /// Where everything is kept; resumed when it already holds a network.
    pub dir: PathBuf,
    /// Storage nodes to run.
    pub nodes: usize,
    /// Milliseconds per slot.
    pub slot_ms: u64,
    /// JSON-RPC port to prefer (used when free; 0 = the previous run's, else any).
    pub rpc_port: u16,
    /// Websocket port to prefer, likewise.
    pub ws_port: u16,
    pub node_settings: NodeSettings,
    pub params: NetworkParams,
    /// Stake each node puts up (stake-token base units).
    pub node_stake: u64,
    /// Wallets to give SOL and stake tokens (e.g. the user's CLI keypair).
    pub fund: Vec<Pubkey>,
    /// Compute workers to run (`basalt-worker`), each staking `worker_stake`.
    pub workers: usize,
    pub worker_stake: u64,
    /// Run the indexer and its API, into `DATABASE_URL` when set, else into the
    /// network's own PostgreSQL cluster in `<dir>/postgres`.
    pub indexer: bool,
    /// The indexer's liveness thresholds, when not its defaults.
    pub indexer_liveness: Option<IndexerLiveness>,
    /// The chain RPC URL the nodes, workers and indexer are given, when it is not the
    /// chain's own: a proxy in front of it (the fault tests put one there). The network
    /// itself (bootstrap, `localnet.json`) uses the chain's.
    pub services_rpc_url: Option<String>,
    /// Run the S3 gateway (`basalt-gateway`), its one access key acting as a wallet.
    pub gateway: Option<GatewayOptions>,
}

/// How the local network's S3 gateway runs.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// The keypair file its access key acts as (funded by [`LocalnetOptions::fund`]).
    pub wallet: PathBuf,
    /// The port to prefer (used when free; 0 = the previous run's, else any).
    pub port: u16,
    /// The most object bytes per blob (the gateway's default when `None`).
    pub piece_size: Option<u64>,
    /// The erasure code of its blobs (the network's default when `None`).
    pub k: Option<u16>,
    pub m: Option<u16>,
}

impl LocalnetOptions {
    /// Defaults for a network in `dir`: 14 nodes (RS(10, 4) with every shard on its own
    /// node), 3 compute workers, 100 ms slots.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            nodes: 14,
            slot_ms: 100,
            rpc_port: 0,
            ws_port: 0,
            node_settings: NodeSettings::default(),
            params: NetworkParams::default(),
            node_stake: 2_000 * TOKEN,
            fund: Vec::new(),
            workers: 3,
            worker_stake: 1_000 * TOKEN,
            indexer: false,
            indexer_liveness: None,
            services_rpc_url: None,
            gateway: None,
        }
    }
}

/// Where a local network's parts are, as written to `localnet.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NetworkInfo {
    pub rpc_url: String,
    pub ws_url: String,
    pub program_id: String,
    pub stake_mint: String,
    /// Address lookup table with every provider account: lets a 14-shard blob register in
    /// one transaction.
    pub lookup_table: Option<String>,
    pub nodes: Vec<NodeInfo>,
    /// The compute workers' provider authorities (base58).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workers: Vec<String>,
    /// The indexer's dApp API, when the network runs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexer_url: Option<String>,
    /// The indexer's database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// The S3 gateway, when the network runs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<GatewayInfo>,
}

/// The local network's S3 endpoint and its ready access key (a local network's: the
/// secret is written here so that tools on this machine can use it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GatewayInfo {
    pub url: String,
    pub access_key: String,
    pub secret_key: String,
    /// The wallet the access key acts as (base58).
    pub wallet: String,
}

/// One storage node of the network.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NodeInfo {
    pub url: String,
    /// Provider authority = node identity (base58).
    pub address: String,
}

impl NetworkInfo {
    /// Reads `localnet.json` in `dir`.
    ///
    /// # Errors
    ///
    /// When it is missing or does not parse.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(INFO_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading {}: is a local network running there? (`basalt localnet`)",
                path.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(INFO_FILE);
        let tmp = dir.join(format!("{INFO_FILE}.tmp"));
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }

    fn port_of(url: &str) -> Option<u16> {
        url.rsplit(':').next()?.trim_end_matches('/').parse().ok()
    }
}

/// A running local network. Stopped (nodes first, then the chain) by [`Localnet::stop`]
/// or on drop.
pub struct Localnet {
    pub info: NetworkInfo,
    pub keys: NetworkKeys,
    pub nodes: Vec<NodeProcess>,
    pub workers: Vec<WorkerProcess>,
    pub indexer: Option<IndexerProcess>,
    pub gateway: Option<GatewayProcess>,
    database: Option<Database>,
    chain: Option<LocalChain>,
    dir: PathBuf,
    /// How the nodes run, for a restart.
    node_settings: NodeSettings,
    /// The chain RPC URL the nodes are given ([`LocalnetOptions::services_rpc_url`]).
    services_rpc_url: String,
}

impl Localnet {
    /// Starts (or resumes) the network described by `options`.
    ///
    /// # Errors
    ///
    /// When the chain or a node does not start, or the chain refuses a registration.
    pub async fn start(options: &LocalnetOptions) -> Result<Self> {
        let dir = &options.dir;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let previous = NetworkInfo::read(dir).ok();
        // The preferred port if free, else the previous run's if free, else any.
        let port = |preferred: u16, url: Option<&str>| {
            [Some(preferred), url.and_then(NetworkInfo::port_of)]
                .into_iter()
                .flatten()
                .find(|p| *p != 0 && port_free(*p))
                .unwrap_or(0)
        };
        let chain_options = ChainOptions {
            state_dir: Some(dir.join("chain")),
            rpc_port: port(
                options.rpc_port,
                previous.as_ref().map(|p| p.rpc_url.as_str()),
            ),
            ws_port: port(
                options.ws_port,
                previous.as_ref().map(|p| p.ws_url.as_str()),
            ),
            slot_ms: options.slot_ms,
        };
        let chain = tokio::task::spawn_blocking(move || LocalChain::start(&chain_options))
            .await
            .context("chain start task")??;
        let client = ChainClient::new(chain.rpc_url());
        let services_rpc_url =
            (options.services_rpc_url.clone()).unwrap_or_else(|| chain.rpc_url().to_owned());
        let keys = bootstrap::initialize(&client, &dir.join("keys"), &options.params).await?;
        for wallet in &options.fund {
            bootstrap::fund_wallet(&client, &keys, wallet, 100 * SOL, 100_000 * TOKEN).await?;
        }

        let binary = node_binary()?;
        let settings = NodeSettings {
            worker_threads: Some(
                (options.node_settings.worker_threads)
                    .unwrap_or_else(|| threads_per_node(options.nodes)),
            ),
            ..options.node_settings.clone()
        };
        let mut nodes = Vec::with_capacity(options.nodes);
        let mut infos = Vec::with_capacity(options.nodes);
        for i in 0..options.nodes {
            let node_dir = dir.join("nodes").join(i.to_string());
            let identity = load_or_create_keypair(&NodeProcess::identity_path(&node_dir))?;
            let old_url = previous
                .as_ref()
                .and_then(|p| p.nodes.get(i))
                .filter(|n| n.address == identity.pubkey().to_string())
                .map(|n| n.url.as_str());
            let port = match old_url
                .and_then(NetworkInfo::port_of)
                .filter(|p| port_free(*p))
            {
                Some(p) => p,
                None => free_port()?,
            };
            let node = NodeProcess::start(&binary, &node_dir, port, &services_rpc_url, &settings)?;
            if node.address != identity.pubkey().to_string() {
                bail!(
                    "node {i} runs as {}, but its identity file holds {}",
                    node.address,
                    identity.pubkey()
                );
            }
            register_node(&client, &keys, &identity, &node.url, options).await?;
            infos.push(NodeInfo {
                url: node.url.clone(),
                address: node.address.clone(),
            });
            nodes.push(node);
        }

        let workers = start_workers(&client, &keys, &services_rpc_url, options).await?;

        let authorities: Vec<Pubkey> = nodes
            .iter()
            .map(|n| n.address.parse())
            .collect::<Result<_, _>>()
            .context("a node reported an address that is not base58")?;
        let lookup_table = lookup_table(&client, &keys, previous.as_ref(), &authorities).await?;
        let (database, indexer) = if options.indexer {
            let reuse = |url: Option<&String>| {
                url.and_then(|u| NetworkInfo::port_of(u.split('/').nth(2).unwrap_or_default()))
                    .filter(|p| port_free(*p))
                    .map_or_else(free_port, Ok)
            };
            let db_port = reuse(previous.as_ref().and_then(|p| p.database_url.as_ref()))?;
            let database = Database::open(&dir.join("postgres"), db_port)?;
            let api_port = reuse(previous.as_ref().and_then(|p| p.indexer_url.as_ref()))?;
            let indexer = IndexerProcess::start(
                &dir.join("indexer"),
                &database.url(),
                &services_rpc_url,
                api_port,
                options.indexer_liveness,
            )?;
            (Some(database), Some(indexer))
        } else {
            (None, None)
        };
        let gateway = match &options.gateway {
            Some(g) => {
                let previous_port = previous
                    .as_ref()
                    .and_then(|p| p.gateway.as_ref())
                    .and_then(|g| NetworkInfo::port_of(&g.url));
                let port = [Some(g.port), previous_port]
                    .into_iter()
                    .flatten()
                    .find(|p| *p != 0 && port_free(*p))
                    .map_or_else(free_port, Ok)?;
                let settings = GatewaySettings {
                    rpc_url: services_rpc_url.clone(),
                    lookup_table: Some(lookup_table.to_string()),
                    wallet: g.wallet.clone(),
                    piece_size: g.piece_size,
                    k: g.k,
                    m: g.m,
                };
                Some(GatewayProcess::start(
                    &dir.join("gateway"),
                    port,
                    &settings,
                )?)
            }
            None => None,
        };
        let gateway_info = match (&gateway, &options.gateway) {
            (Some(process), Some(g)) => Some(GatewayInfo {
                url: process.url.clone(),
                access_key: process.credentials.access_key.clone(),
                secret_key: process.credentials.secret_key.clone(),
                wallet: crate::bootstrap::load_or_create_keypair(&g.wallet)?
                    .pubkey()
                    .to_string(),
            }),
            _ => None,
        };
        let info = NetworkInfo {
            rpc_url: chain.rpc_url().to_owned(),
            ws_url: chain.ws_url().to_owned(),
            program_id: basalt::ID.to_string(),
            stake_mint: keys.stake_mint.to_string(),
            lookup_table: Some(lookup_table.to_string()),
            nodes: infos,
            workers: workers.iter().map(|w| w.address.clone()).collect(),
            indexer_url: indexer.as_ref().map(|i| i.url.clone()),
            database_url: database.as_ref().map(Database::url),
            gateway: gateway_info,
        };
        info.write(dir)?;
        Ok(Self {
            info,
            keys,
            nodes,
            workers,
            indexer,
            gateway,
            database,
            chain: Some(chain),
            dir: dir.clone(),
            node_settings: settings,
            services_rpc_url,
        })
    }

    /// Stops node `i` (letting in-flight requests finish), runs `while_stopped` on its
    /// RocksDB directory, and starts it again on the same port, identity and data: an
    /// operator's restart, or a disk that lost something in between.
    ///
    /// # Errors
    ///
    /// When there is no node `i`, it does not stop or start, or `while_stopped` fails.
    pub fn restart_node(
        &mut self,
        i: usize,
        while_stopped: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<()> {
        self.node_mut(i)?.stop()?;
        while_stopped(&self.nodes[i].dir.join("data"))?;
        self.start_node(i)
    }

    /// Starts node `i` again (after a stop or a kill) on its port, identity and data.
    ///
    /// # Errors
    ///
    /// When there is no node `i` or it does not start; the error ends with the end of
    /// its log.
    pub fn start_node(&mut self, i: usize) -> Result<()> {
        let (rpc_url, settings) = (self.services_rpc_url.clone(), self.node_settings.clone());
        let node = self.node_mut(i)?;
        let port = NetworkInfo::port_of(&node.url)
            .with_context(|| format!("node URL {} has no port", node.url))?;
        let dir = node.dir.clone();
        *node = NodeProcess::start(&node_binary()?, &dir, port, &rpc_url, &settings).with_context(
            || {
                let log = std::fs::read_to_string(dir.join("node.log")).unwrap_or_default();
                // The last lines that are not backtrace frames.
                let mut tail: Vec<&str> = log
                    .lines()
                    .rev()
                    .filter(|l| {
                        let l = l.trim_start();
                        !l.starts_with("at ") && !l.starts_with(|c: char| c.is_ascii_digit())
                    })
                    .take(10)
                    .collect();
                tail.reverse();
                format!(
                    "starting node {i}; the end of its log:\n{}",
                    tail.join("\n")
                )
            },
        )?;
        Ok(())
    }

    fn node_mut(&mut self, i: usize) -> Result<&mut NodeProcess> {
        self.nodes
            .get_mut(i)
            .with_context(|| format!("the network has no node {i}"))
    }

    /// The network's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A client of the network's chain.
    pub fn client(&self) -> ChainClient {
        ChainClient::new(&self.info.rpc_url)
    }

    /// The lookup table to pass to puts.
    pub fn lookup_table(&self) -> Option<Pubkey> {
        self.info
            .lookup_table
            .as_deref()
            .and_then(|t| t.parse().ok())
    }

    /// Stops every node (letting in-flight writes finish), then the chain, which
    /// checkpoints its state to disk.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(gateway) = &mut self.gateway {
            if let Err(e) = gateway.stop() {
                tracing::warn!("stopping the gateway: {e}");
            }
        }
        if let Some(indexer) = &mut self.indexer {
            if let Err(e) = indexer.stop() {
                tracing::warn!("stopping the indexer: {e}");
            }
        }
        for worker in &mut self.workers {
            if let Err(e) = worker.stop() {
                tracing::warn!("stopping worker {}: {e}", worker.address);
            }
        }
        for node in &mut self.nodes {
            if let Err(e) = node.stop() {
                tracing::warn!("stopping node {}: {e}", node.url);
            }
        }
        if let Some(chain) = self.chain.take() {
            chain.stop();
        }
        if let Some(Database::Local(mut pg)) = self.database.take() {
            if let Err(e) = pg.stop() {
                tracing::warn!("stopping the local PostgreSQL: {e}");
            }
        }
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts the network's compute workers, each with its own wallet in
/// `<dir>/workers/<i>`, funded on its first start; each registers itself.
async fn start_workers(
    client: &ChainClient,
    keys: &NetworkKeys,
    rpc_url: &str,
    options: &LocalnetOptions,
) -> Result<Vec<WorkerProcess>> {
    if options.workers == 0 {
        return Ok(Vec::new());
    }
    let binary = worker_binary()?;
    let mut workers = Vec::with_capacity(options.workers);
    for i in 0..options.workers {
        let dir = options.dir.join("workers").join(i.to_string());
        let identity = load_or_create_keypair(&WorkerProcess::identity_path(&dir))?;
        if client.provider(&identity.pubkey()).await?.is_none() {
            bootstrap::fund_wallet(
                client,
                keys,
                &identity.pubkey(),
                10 * SOL,
                options.worker_stake,
            )
            .await?;
        }
        workers.push(WorkerProcess::start(
            &binary,
            &dir,
            rpc_url,
            options.worker_stake,
        )?);
    }
    Ok(workers)
}

/// Registers and stakes `identity` as a storage provider at `url`, or moves its endpoint
/// there when it is registered elsewhere.
async fn register_node(
    client: &ChainClient,
    keys: &NetworkKeys,
    identity: &solana_keypair::Keypair,
    url: &str,
    options: &LocalnetOptions,
) -> Result<()> {
    let registration = ProviderRegistration {
        endpoint: url.to_owned(),
        region: "local".into(),
        roles: ROLE_STORAGE,
        capacity: options.node_settings.capacity,
    };
    match client.provider(&identity.pubkey()).await? {
        Some(p) if p.endpoint == url => {}
        Some(p) => {
            let update = basalt::client::ix::provider_update(
                &identity.pubkey(),
                url,
                &p.region,
                p.roles,
                p.capacity,
            );
            client.send(&[update], identity, &[]).await?;
        }
        None => {
            bootstrap::fund_wallet(
                client,
                keys,
                &identity.pubkey(),
                10 * SOL,
                options.node_stake,
            )
            .await?;
            client
                .register_provider(identity, &registration, options.node_stake)
                .await
                .with_context(|| format!("registering node {url}"))?;
        }
    }
    Ok(())
}

/// The previous lookup table if it still lists every provider, else a new one.
async fn lookup_table(
    client: &ChainClient,
    keys: &NetworkKeys,
    previous: Option<&NetworkInfo>,
    authorities: &[Pubkey],
) -> Result<Pubkey> {
    let mut wanted: Vec<Pubkey> = authorities.iter().map(pda::provider).collect();
    wanted.extend([
        pda::config(),
        pda::escrow_vault(),
        pda::event_authority(),
        basalt::ID,
        basalt::anchor_lang::system_program::ID,
        anchor_spl::token::ID,
    ]);
    if let Some(old) = previous
        .and_then(|p| p.lookup_table.as_deref())
        .and_then(|t| t.parse::<Pubkey>().ok())
    {
        if let Ok(table) = client.lookup_table(&old).await {
            if wanted.iter().all(|a| table.addresses.contains(a)) {
                return Ok(old);
            }
        }
    }
    Ok(crate::admin::create_lookup_table(client, &keys.admin, &wanted).await?)
}

fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}
