//! Storage nodes of the local network: `basalt-node` child processes on 127.0.0.1, each
//! with its own directory (identity, RocksDB, log).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

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
}

impl Default for NodeSettings {
    fn default() -> Self {
        Self {
            sync: "wal".into(),
            capacity: 8 << 30,
            acl_cache_ms: 500,
            gc_interval_secs: 10,
            pending_grace_secs: 600,
        }
    }
}

/// A running `basalt-node`. Killed when dropped.
pub struct NodeProcess {
    child: Option<Child>,
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
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("node.log"))
            .with_context(|| format!("opening {}", dir.join("node.log").display()))?;
        let mut child = Command::new(binary)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--keypair")
            .arg(dir.join("identity.json"))
            .args(["--rpc-url", rpc_url])
            .args(["--sync", &settings.sync])
            .args(["--capacity", &settings.capacity.to_string()])
            .args(["--acl-cache-ms", &settings.acl_cache_ms.to_string()])
            .args(["--gc-interval-secs", &settings.gc_interval_secs.to_string()])
            .args([
                "--pending-grace-secs",
                &settings.pending_grace_secs.to_string(),
            ])
            .env(
                "RUST_LOG",
                std::env::var("BASALT_NODE_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("spawning {}", binary.display()))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep draining so the node never blocks on a full pipe.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                bail!(
                    "basalt-node in {} did not start within 30 s; see {}",
                    dir.display(),
                    dir.join("node.log").display()
                );
            }
        };
        // "basalt-node listening on ADDR as ADDRESS"
        let words: Vec<&str> = line.split_whitespace().collect();
        let (Some(addr), Some(address)) = (words.get(3), words.get(5)) else {
            let _ = child.kill();
            bail!("unexpected first line from basalt-node: {line}");
        };
        Ok(Self {
            url: format!("http://{addr}"),
            address: (*address).to_owned(),
            child: Some(child),
            dir: dir.to_owned(),
        })
    }

    /// The identity file the node uses (created by the node on first start if missing).
    pub fn identity_path(dir: &Path) -> PathBuf {
        dir.join("identity.json")
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// SIGTERM, then wait up to 30 s for in-flight requests to finish (SIGKILL after).
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub fn stop(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .context("running kill -TERM")?;
        if !status.success() {
            let _ = child.kill();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill()?;
        child.wait()?;
        Ok(())
    }

    /// SIGKILL: a crash, for fault injection.
    ///
    /// # Errors
    ///
    /// When the process cannot be killed.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// Finds the `basalt-node` binary: `$BASALT_NODE_BIN`, else next to the running
/// executable, else one directory up (where cargo puts binaries when tests run from
/// `target/<profile>/deps`).
///
/// # Errors
///
/// When none exists, with what to do about it.
pub fn node_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("BASALT_NODE_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("locating the running executable")?;
    let dir = exe
        .parent()
        .ok_or_else(|| anyhow!("executable has no directory"))?;
    let name = format!("basalt-node{}", std::env::consts::EXE_SUFFIX);
    for candidate in [dir.join(&name), dir.join("..").join(&name)] {
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "cannot find the basalt-node binary next to {}: build it (`cargo build --workspace`) or set BASALT_NODE_BIN",
        exe.display()
    )
}
