//! Node configuration: defaults, then a TOML file, then environment variables, then flags
//! (each later source overrides the earlier ones).
//!
//! ```toml
//! listen = "127.0.0.1:7070"
//! data_dir = "/var/lib/basalt-node"
//! keypair = "/etc/basalt/node.json"
//! capacity = 1099511627776          # bytes
//! sync = "fsync"                    # or "wal"; see SyncPolicy
//! chain = "solana"                 # or "near" with near_contract, or "evm" with evm_config
//! rpc_url = "http://127.0.0.1:8899"
//! # near_contract = "basalt.testnet"
//! # evm_config = "0x…"              # the BasaltConfig contract
//! # evm_start_block = 0             # the block it was deployed at (or earlier)
//! # evm_key = "/etc/basalt/node-evm.key"
//! max_shard_bytes = 67108864
//! request_timeout_secs = 60
//! rate_limit_per_second = 200
//! signature_window_secs = 60
//! acl_cache_ms = 2000
//! acl_stale_secs = 300              # a recent read decision serves while the chain hangs
//! chain_timeout_ms = 5000           # longest wait for one chain read
//! gc_interval_secs = 300
//! accept_interval_secs = 2
//! prove_interval_secs = 2          # 0: never prove (the node is slashed for what it holds)
//! crank_interval_secs = 5          # 0: no crank (the node's pay then waits for another's)
//! heartbeat_interval_secs = 20     # 0: none (the network then takes the node for offline)
//! repair_interval_secs = 10        # 0: shards found corrupt stay unserved until re-uploaded
//! repair_concurrency = 4
//! min_price_per_shard_epoch = 0     # the terms it accepts placements on
//! max_blob_bytes = 1099511627776
//! pending_grace_secs = 3600
//! direct_io_flush = false            # see StoreTuning
//! blob_cache_bytes = 0
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use serde::{Deserialize, Serialize};

use crate::store::SyncPolicy;

/// Everything the node needs to run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// HTTP listen address. Loopback unless the operator opens it.
    pub listen: SocketAddr,
    /// RocksDB directory.
    pub data_dir: PathBuf,
    /// The node's identity (Solana CLI keypair file); created if missing.
    pub keypair: PathBuf,
    /// Bytes of shard data this node accepts.
    pub capacity: u64,
    /// When a put is acknowledged.
    pub sync: SyncPolicy,
    /// Which chain the Basalt deployment this node serves lives on.
    pub chain: ChainKind,
    /// JSON-RPC endpoint of that chain, which the access checks and GC read.
    pub rpc_url: String,
    /// The NEAR account the Basalt contract is deployed at (`chain = "near"` only).
    pub near_contract: Option<String>,
    /// The address of the deployment's `BasaltConfig` contract (`chain = "evm"` only): the
    /// node reads the other contracts' addresses from it.
    pub evm_config: Option<String>,
    /// A block at or before the deployment (`chain = "evm"`): the registry's events are read
    /// from it on.
    pub evm_start_block: u64,
    /// The provider's secp256k1 key on the EVM (`chain = "evm"`), a file holding the
    /// private key in hex; created if missing.
    pub evm_key: PathBuf,
    /// Largest accepted request body (a shard plus its 108-byte header).
    pub max_shard_bytes: usize,
    /// A request that takes longer is answered 408 and its partial upload dropped.
    pub request_timeout_secs: u64,
    /// Requests per second per caller key (with an equal burst).
    pub rate_limit_per_second: u32,
    /// A signature is accepted this many seconds either side of the node's clock.
    pub signature_window_secs: u64,
    /// How long a read decision read from the chain is reused.
    pub acl_cache_ms: u64,
    /// How long a read decision is still served while the chain does not answer (see
    /// `chain::WatchedChain`): a revocation made during an RPC outage takes effect at most
    /// this much later.
    pub acl_stale_secs: u64,
    /// The longest wait for one chain read; a request that needs one is refused (503)
    /// after it, and a background pass tries again later.
    pub chain_timeout_ms: u64,
    /// Seconds between garbage-collection passes (0 disables GC).
    pub gc_interval_secs: u64,
    /// Seconds between passes that accept the placements this node holds the data of (0
    /// disables them: the node then never signs for a shard, and owes nothing).
    pub accept_interval_secs: u64,
    /// Seconds between prover passes: each proves what the chain says is due in the open
    /// proof window (0 disables proving: every accepted shard then misses its proofs).
    pub prove_interval_secs: u64,
    /// Priority fee of each proof transaction on Solana, in micro-lamports per compute unit
    /// (the transaction asks for `basalt::client::ix::PROOF_COMPUTE_UNIT_LIMIT` units). Zero
    /// pays the base fee only, enough on an idle cluster; raise it when proofs stop landing
    /// in contested blocks.
    pub proof_priority_fee: u64,
    /// Seconds between crank passes, which settle this node's proven epochs (its pay) and
    /// slash the missed proofs of the blobs it holds shards of (0 disables the crank:
    /// another holder's settles the node's pay, later).
    pub crank_interval_secs: u64,
    /// Seconds between heartbeats on chain (0 sends none: after a minute the network
    /// places no new shards here, after five it repairs the ones held here).
    pub heartbeat_interval_secs: u64,
    /// Seconds between repair passes, which rebuild the shards found corrupt here from the
    /// blob's other holders (0 disables them).
    pub repair_interval_secs: u64,
    /// Shards rebuilt at once; each reads `k` shards from other holders.
    pub repair_concurrency: usize,
    /// Least deal price per shard and epoch this node signs for a shard at.
    pub min_price_per_shard_epoch: u64,
    /// Largest blob (plain bytes) this node stores a shard of; larger uploads are refused.
    pub max_blob_bytes: u64,
    /// Shards of a blob that is still unregistered this long after its first shard
    /// arrived are collected.
    pub pending_grace_secs: u64,
    /// Threads serving requests; one per core when unset. Hashing and RocksDB calls run on
    /// a separate blocking pool, whatever this says. Several nodes sharing one machine (a
    /// local network) run best with their share of its cores (network bench,
    /// `docs/benchmarks.md`).
    pub worker_threads: Option<usize>,
    /// Write RocksDB's flushed files past the page cache (`StoreTuning::direct_io_flush`).
    pub direct_io_flush: bool,
    /// Bytes of memory caching recently written shards (`StoreTuning::blob_cache_bytes`).
    pub blob_cache_bytes: usize,
}

impl NodeConfig {
    /// The terms this node accepts placements on.
    pub fn terms(&self) -> basalt_core::wire::NodeTerms {
        basalt_core::wire::NodeTerms {
            min_price_per_shard_epoch: self.min_price_per_shard_epoch,
            max_blob_bytes: self.max_blob_bytes,
        }
    }

    /// The store settings this configuration asks for.
    pub fn store_tuning(&self) -> crate::store::StoreTuning {
        crate::store::StoreTuning {
            direct_io_flush: self.direct_io_flush,
            blob_cache_bytes: self.blob_cache_bytes,
        }
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 7070)),
            data_dir: PathBuf::from("basalt-node-data"),
            keypair: PathBuf::from("basalt-node-data/identity.json"),
            capacity: 100 << 30,
            sync: SyncPolicy::Fsync,
            chain: ChainKind::Solana,
            rpc_url: "http://127.0.0.1:8899".into(),
            near_contract: None,
            evm_config: None,
            evm_start_block: 0,
            evm_key: PathBuf::from("basalt-node-data/evm.key"),
            max_shard_bytes: 64 << 20,
            request_timeout_secs: 60,
            rate_limit_per_second: 200,
            signature_window_secs: 60,
            acl_cache_ms: 2_000,
            acl_stale_secs: 300,
            chain_timeout_ms: 5_000,
            gc_interval_secs: 300,
            accept_interval_secs: 2,
            prove_interval_secs: 2,
            proof_priority_fee: 0,
            crank_interval_secs: 5,
            heartbeat_interval_secs: 20,
            repair_interval_secs: 10,
            repair_concurrency: 4,
            min_price_per_shard_epoch: 0,
            max_blob_bytes: 1 << 40,
            pending_grace_secs: 3_600,
            worker_threads: None,
            direct_io_flush: false,
            blob_cache_bytes: 0,
        }
    }
}

/// The chain a node follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ChainKind {
    /// The Solana program (`programs/basalt`).
    Solana,
    /// The NEAR contract (`contracts/basalt-near`).
    Near,
    /// The EVM contracts (`contracts/evm`).
    Evm,
}

/// Command-line flags; each also reads a `BASALT_NODE_*` environment variable.
#[derive(Debug, Parser)]
#[command(name = "basalt-node", version, about = "Basalt storage node")]
pub struct Cli {
    /// TOML configuration file.
    #[arg(long, env = "BASALT_NODE_CONFIG")]
    pub config: Option<PathBuf>,
    #[arg(long, env = "BASALT_NODE_LISTEN")]
    pub listen: Option<SocketAddr>,
    #[arg(long, env = "BASALT_NODE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    #[arg(long, env = "BASALT_NODE_KEYPAIR")]
    pub keypair: Option<PathBuf>,
    /// Capacity in bytes.
    #[arg(long, env = "BASALT_NODE_CAPACITY")]
    pub capacity: Option<u64>,
    /// When a put is acknowledged: `fsync` (the default) or `wal`.
    #[arg(long, env = "BASALT_NODE_SYNC", value_parser = str::parse::<SyncPolicy>)]
    pub sync: Option<SyncPolicy>,
    #[arg(long, env = "BASALT_NODE_CHAIN")]
    pub chain: Option<ChainKind>,
    #[arg(long, env = "BASALT_NODE_RPC_URL")]
    pub rpc_url: Option<String>,
    /// The NEAR contract account (with `--chain near`).
    #[arg(long, env = "BASALT_NODE_NEAR_CONTRACT")]
    pub near_contract: Option<String>,
    /// The `BasaltConfig` contract's address (with `--chain evm`).
    #[arg(long, env = "BASALT_NODE_EVM_CONFIG")]
    pub evm_config: Option<String>,
    /// A block at or before the deployment (with `--chain evm`).
    #[arg(long, env = "BASALT_NODE_EVM_START_BLOCK")]
    pub evm_start_block: Option<u64>,
    /// The provider's EVM key file (with `--chain evm`).
    #[arg(long, env = "BASALT_NODE_EVM_KEY")]
    pub evm_key: Option<PathBuf>,
    #[arg(long, env = "BASALT_NODE_MAX_SHARD_BYTES")]
    pub max_shard_bytes: Option<usize>,
    #[arg(long, env = "BASALT_NODE_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<u64>,
    #[arg(long, env = "BASALT_NODE_RATE_LIMIT_PER_SECOND")]
    pub rate_limit_per_second: Option<u32>,
    #[arg(long, env = "BASALT_NODE_SIGNATURE_WINDOW_SECS")]
    pub signature_window_secs: Option<u64>,
    #[arg(long, env = "BASALT_NODE_ACL_CACHE_MS")]
    pub acl_cache_ms: Option<u64>,
    #[arg(long, env = "BASALT_NODE_ACL_STALE_SECS")]
    pub acl_stale_secs: Option<u64>,
    #[arg(long, env = "BASALT_NODE_CHAIN_TIMEOUT_MS")]
    pub chain_timeout_ms: Option<u64>,
    #[arg(long, env = "BASALT_NODE_GC_INTERVAL_SECS")]
    pub gc_interval_secs: Option<u64>,
    #[arg(long, env = "BASALT_NODE_ACCEPT_INTERVAL_SECS")]
    pub accept_interval_secs: Option<u64>,
    #[arg(long, env = "BASALT_NODE_PROVE_INTERVAL_SECS")]
    pub prove_interval_secs: Option<u64>,
    #[arg(long, env = "BASALT_NODE_CRANK_INTERVAL_SECS")]
    pub crank_interval_secs: Option<u64>,
    #[arg(long, env = "BASALT_NODE_HEARTBEAT_INTERVAL_SECS")]
    pub heartbeat_interval_secs: Option<u64>,
    #[arg(long, env = "BASALT_NODE_REPAIR_INTERVAL_SECS")]
    pub repair_interval_secs: Option<u64>,
    #[arg(long, env = "BASALT_NODE_REPAIR_CONCURRENCY")]
    pub repair_concurrency: Option<usize>,
    /// Run no crank (the same as `--crank-interval-secs 0`).
    #[arg(long, env = "BASALT_NODE_NO_CRANK")]
    pub no_crank: bool,
    /// Micro-lamports per compute unit paid as priority fee on each Solana proof.
    #[arg(long, env = "BASALT_NODE_PROOF_PRIORITY_FEE")]
    pub proof_priority_fee: Option<u64>,
    #[arg(long, env = "BASALT_NODE_MIN_PRICE_PER_SHARD_EPOCH")]
    pub min_price_per_shard_epoch: Option<u64>,
    #[arg(long, env = "BASALT_NODE_MAX_BLOB_BYTES")]
    pub max_blob_bytes: Option<u64>,
    #[arg(long, env = "BASALT_NODE_PENDING_GRACE_SECS")]
    pub pending_grace_secs: Option<u64>,
    /// Request-serving threads (default: one per core).
    #[arg(long, env = "BASALT_NODE_WORKER_THREADS")]
    pub worker_threads: Option<usize>,
    /// Write RocksDB's flushed files with O_DIRECT (true or false).
    #[arg(long, env = "BASALT_NODE_DIRECT_IO_FLUSH")]
    pub direct_io_flush: Option<bool>,
    /// Bytes of blob cache for recently written shards.
    #[arg(long, env = "BASALT_NODE_BLOB_CACHE_BYTES")]
    pub blob_cache_bytes: Option<usize>,
}

impl Cli {
    /// Defaults, overridden by the file, overridden by environment and flags.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or is not valid configuration.
    pub fn resolve(self) -> Result<NodeConfig> {
        let mut c = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("config file {} is not valid", path.display()))?
            }
            None => NodeConfig::default(),
        };
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(v) = self.$field { c.$field = v; })* };
        }
        set!(
            listen,
            data_dir,
            keypair,
            capacity,
            sync,
            chain,
            rpc_url,
            evm_start_block,
            evm_key,
            max_shard_bytes,
            request_timeout_secs,
            rate_limit_per_second,
            signature_window_secs,
            acl_cache_ms,
            acl_stale_secs,
            chain_timeout_ms,
            gc_interval_secs,
            accept_interval_secs,
            prove_interval_secs,
            proof_priority_fee,
            crank_interval_secs,
            heartbeat_interval_secs,
            repair_interval_secs,
            repair_concurrency,
            min_price_per_shard_epoch,
            max_blob_bytes,
            pending_grace_secs,
            direct_io_flush,
            blob_cache_bytes
        );
        if self.no_crank {
            c.crank_interval_secs = 0;
        }
        if let Some(contract) = self.near_contract {
            c.near_contract = Some(contract);
        }
        if let Some(config) = self.evm_config {
            c.evm_config = Some(config);
        }
        if let Some(threads) = self.worker_threads {
            c.worker_threads = Some(threads);
        }
        if c.chain_timeout_ms == 0 {
            anyhow::bail!("chain_timeout_ms must be at least 1");
        }
        if c.worker_threads == Some(0) {
            anyhow::bail!("worker_threads must be at least 1");
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_which_overrides_defaults() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("node.toml");
        std::fs::write(
            &path,
            "capacity = 1234\nsync = \"wal\"\nrpc_url = \"http://x\"\n",
        )?;
        let cli = Cli::try_parse_from([
            "basalt-node",
            "--config",
            path.to_str().expect("utf-8 path"),
            "--rpc-url",
            "http://y",
        ])?;
        let c = cli.resolve()?;
        assert_eq!(c.capacity, 1234);
        assert_eq!(c.sync, SyncPolicy::Wal);
        assert_eq!(c.rpc_url, "http://y");
        assert_eq!(c.listen, NodeConfig::default().listen);
        assert_eq!(c.worker_threads, None);
        assert_eq!(c.store_tuning(), crate::store::StoreTuning::default());

        std::fs::write(&path, "direct_io_flush = true\nblob_cache_bytes = 4096\n")?;
        let tuned = Cli::try_parse_from([
            "basalt-node",
            "--config",
            path.to_str().expect("utf-8 path"),
            "--blob-cache-bytes",
            "8192",
        ])?
        .resolve()?
        .store_tuning();
        assert_eq!(
            tuned,
            crate::store::StoreTuning {
                direct_io_flush: true,
                blob_cache_bytes: 8192
            }
        );

        std::fs::write(&path, "worker_threads = 4\n")?;
        let file_only = ["basalt-node", "--config", path.to_str().expect("utf-8")];
        assert_eq!(
            Cli::try_parse_from(file_only)?.resolve()?.worker_threads,
            Some(4)
        );
        let flag = Cli::try_parse_from([&file_only[..], &["--worker-threads", "1"]].concat())?;
        assert_eq!(flag.resolve()?.worker_threads, Some(1));
        std::fs::write(&path, "worker_threads = 0\n")?;
        for zero in [
            Cli::try_parse_from(file_only)?,
            Cli::try_parse_from(["basalt-node", "--worker-threads", "0"])?,
        ] {
            let err = zero.resolve().expect_err("zero threads");
            assert!(format!("{err:#}").contains("worker_threads"), "{err:#}");
        }

        std::fs::write(&path, "capacty = 1\n")?;
        let err = Cli::try_parse_from(["basalt-node", "--config", path.to_str().expect("utf-8")])?
            .resolve()
            .expect_err("typo in a key");
        assert!(format!("{err:#}").contains("capacty"), "{err:#}");
        Ok(())
    }

    #[test]
    fn the_chain_is_solana_unless_near_is_chosen() -> Result<()> {
        assert_eq!(NodeConfig::default().chain, ChainKind::Solana);
        let c = Cli::try_parse_from([
            "basalt-node",
            "--chain",
            "near",
            "--near-contract",
            "basalt.testnet",
            "--rpc-url",
            "https://rpc.testnet.near.org",
        ])?
        .resolve()?;
        assert_eq!(c.chain, ChainKind::Near);
        assert_eq!(c.near_contract.as_deref(), Some("basalt.testnet"));
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("node.toml");
        std::fs::write(&path, "chain = \"near\"\nnear_contract = \"b.near\"\n")?;
        let c = Cli::try_parse_from(["basalt-node", "--config", path.to_str().expect("utf-8")])?
            .resolve()?;
        assert_eq!(
            (c.chain, c.near_contract.as_deref()),
            (ChainKind::Near, Some("b.near"))
        );
        Ok(())
    }
}
