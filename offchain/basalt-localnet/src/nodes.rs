//! Storage nodes of the local network: `basalt-node` child processes on 127.0.0.1, each
//! with its own directory (identity, RocksDB, log).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::process::{sibling_binary, Service};

/// How a local node runs.
#[derive(Debug, Clone)]
pub struct NodeSettings {
    /// `wal` (survives a node crash, not a machine crash: right for a local network) or
    /// `fsync`.
    pub sync: String,
    /// Bytes each node offers.
    pub capacity: u64,
    /// How long a node reuses a read decision from the chain.
    pub acl_cache_ms: u64,
    /// Seconds between garbage-collection passes.
    pub gc_interval_secs: u64,
    /// How long shards of a never-registered blob are kept.
    pub pending_grace_secs: u64,
    /// Seconds between prover passes: a fraction of the proof window, so each window gets
    /// several chances.
    pub prove_interval_secs: u64,
    /// Seconds between crank passes (settlements and slashes); 0 runs no crank.
    pub crank_interval_secs: u64,
    /// Seconds between heartbeats on chain; 0 sends none.
    pub heartbeat_interval_secs: u64,
    /// Request-serving threads per node; `None` gives each node its share of the cores
    /// ([`threads_per_node`]).
    pub worker_threads: Option<usize>,
}

/// Each of `nodes` nodes' share of this machine's cores, at least one: nodes that all run
/// one thread per core on a shared machine spend their time switching between threads
/// (see `basalt_node::config::NodeConfig::worker_threads` for the measurement).
pub fn threads_per_node(nodes: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    (cores / nodes.max(1)).max(1)
}

impl Default for NodeSettings {
    fn default() -> Self {
        Self {
            sync: "wal".into(),
            capacity: 8 << 30,
            acl_cache_ms: 500,
            gc_interval_secs: 10,
            pending_grace_secs: 600,
            prove_interval_secs: 2,
            crank_interval_secs: 2,
            heartbeat_interval_secs: 5,
            worker_threads: None,
        }
    }
}

/// A running `basalt-node`. Killed when dropped.
pub struct NodeProcess {
    service: Service,
    /// Base URL, e.g. `http://127.0.0.1:7001`.
    pub url: String,
    /// The node's identity (base58), as it reported it.
    pub address: String,
    pub dir: PathBuf,
}

impl NodeProcess {
    /// Starts `binary` on `port` with its identity, data and log in `dir`, reading the chain
    /// at `rpc_url`; returns once it listens.
    ///
    /// # Errors
    ///
    /// When the binary cannot be spawned or does not report its address within 30 s (the
    /// node's log in `dir/node.log` says why).
    pub fn start(
        binary: &Path,
        dir: &Path,
        port: u16,
        rpc_url: &str,
        settings: &NodeSettings,
    ) -> Result<Self> {
        Self::start_on(binary, dir, port, rpc_url, settings, &[])
    }

    /// [`Self::start`] with `chain_args` choosing and configuring the node's chain (the
    /// Solana program when empty; `--chain evm --evm-config …` for the EVM contracts).
    ///
    /// # Errors
    ///
    /// As [`Self::start`].
    pub fn start_on(
        binary: &Path,
        dir: &Path,
        port: u16,
        rpc_url: &str,
        settings: &NodeSettings,
        chain_args: &[String],
    ) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut command = Command::new(binary);
        command
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--keypair")
            .arg(dir.join("identity.json"))
            .args(["--rpc-url", rpc_url])
            .args(chain_args)
            .args(["--sync", &settings.sync])
            .args(["--capacity", &settings.capacity.to_string()])
            .args(["--acl-cache-ms", &settings.acl_cache_ms.to_string()])
            .args(["--gc-interval-secs", &settings.gc_interval_secs.to_string()])
            .args([
                "--pending-grace-secs",
                &settings.pending_grace_secs.to_string(),
            ])
            .args([
                "--prove-interval-secs",
                &settings.prove_interval_secs.to_string(),
            ])
            .args([
                "--crank-interval-secs",
                &settings.crank_interval_secs.to_string(),
            ])
            .args([
                "--heartbeat-interval-secs",
                &settings.heartbeat_interval_secs.to_string(),
            ])
            .args(
                settings
                    .worker_threads
                    .map(|n| format!("--worker-threads={n}")),
            )
            .env(
                "RUST_LOG",
                std::env::var("BASALT_NODE_LOG").unwrap_or_else(|_| "info".into()),
            );
        let mut service = Service::spawn(
            command,
            &format!("basalt-node in {}", dir.display()),
            &dir.join("node.log"),
            Duration::from_secs(30),
        )?;
        // "basalt-node listening on ADDR as ADDRESS"
        let words: Vec<&str> = service.first_line.split_whitespace().collect();
        let (Some(addr), Some(address)) = (words.get(3), words.get(5)) else {
            let line = service.first_line.clone();
            service.kill()?;
            bail!("unexpected first line from basalt-node: {line}");
        };
        Ok(Self {
            url: format!("http://{addr}"),
            address: (*address).to_owned(),
            service,
            dir: dir.to_owned(),
        })
    }

    /// The identity file the node uses (created by the node on first start if missing).
    pub fn identity_path(dir: &Path) -> PathBuf {
        dir.join("identity.json")
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.service.is_running()
    }

    /// SIGTERM, then wait up to 30 s for in-flight requests to finish (SIGKILL after).
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub fn stop(&mut self) -> Result<()> {
        self.service.stop()
    }

    /// SIGSTOP (`frozen`) or SIGCONT: alive but answering nothing, for fault injection.
    ///
    /// # Errors
    ///
    /// When the process is gone.
    pub fn freeze(&mut self, frozen: bool) -> Result<()> {
        self.service.freeze(frozen)
    }

    /// SIGKILL: a crash, for fault injection.
    ///
    /// # Errors
    ///
    /// When the process cannot be killed.
    pub fn kill(&mut self) -> Result<()> {
        self.service.kill()
    }
}

/// Finds the `basalt-node` binary: `$BASALT_NODE_BIN`, else next to the running
/// executable, else one directory up.
///
/// # Errors
///
/// When none exists, with what to do about it.
pub fn node_binary() -> Result<PathBuf> {
    sibling_binary("basalt-node", "BASALT_NODE_BIN")
}
