//! `basalt-worker` child processes: the network's compute providers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::process::{sibling_binary, Service};

/// A running `basalt-worker`.
pub struct WorkerProcess {
    service: Service,
    /// Its provider authority (base58), as it reported it.
    pub address: String,
    pub dir: PathBuf,
}

impl WorkerProcess {
    /// Starts `binary` with its wallet, journal and log in `dir`, on the chain at `rpc_url`;
    /// it registers as a compute provider with `stake` when it is not registered yet (its
    /// wallet must hold the stake and SOL for fees). Returns once it runs.
    ///
    /// # Errors
    ///
    /// When the binary cannot be spawned or does not report its address within 30 s (its
    /// log in `dir/worker.log` says why).
    pub fn start(binary: &Path, dir: &Path, rpc_url: &str, stake: u64) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut command = Command::new(binary);
        command
            .arg("--keypair")
            .arg(Self::identity_path(dir))
            .arg("--state-dir")
            .arg(dir)
            .args(["--url", rpc_url])
            .args(["--register-stake", &stake.to_string()])
            .args(["--interval-ms", "500"])
            .env(
                "RUST_LOG",
                std::env::var("BASALT_WORKER_LOG").unwrap_or_else(|_| "info".into()),
            );
        let mut service = Service::spawn(
            command,
            &format!("basalt-worker in {}", dir.display()),
            &dir.join("worker.log"),
            Duration::from_secs(30),
        )?;
        // "basalt-worker running as ADDRESS"
        let Some(address) = service.first_line.split_whitespace().nth(3) else {
            let line = service.first_line.clone();
            service.kill()?;
            bail!("unexpected first line from basalt-worker: {line}");
        };
        Ok(Self {
            address: address.to_owned(),
            service,
            dir: dir.to_owned(),
        })
    }

    /// The wallet file the worker signs with.
    pub fn identity_path(dir: &Path) -> PathBuf {
        dir.join("identity.json")
    }

    /// SIGTERM, then SIGKILL after a grace period.
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub fn stop(&mut self) -> Result<()> {
        self.service.stop()
    }
}

/// Finds the `basalt-worker` binary: `$BASALT_WORKER_BIN`, else next to the running
/// executable, else one directory up.
///
/// # Errors
///
/// When none exists, with what to do about it.
pub fn worker_binary() -> Result<PathBuf> {
    sibling_binary("basalt-worker", "BASALT_WORKER_BIN")
}
