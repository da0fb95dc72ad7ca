//! `basalt-worker` child processes: the network's compute providers.

use std::ffi::OsString;
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
        let mut command = Command::new(binary);
        command.args(Self::args(dir, rpc_url, stake));
        Self::start_command(command, dir)
    }

    /// The arguments [`WorkerProcess::start`] gives the binary, for a caller that starts
    /// it its own way (under another program, or with more options).
    pub fn args(dir: &Path, rpc_url: &str, stake: u64) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["--keypair".into(), Self::identity_path(dir).into()];
        args.extend(["--state-dir".into(), dir.into()]);
        for (flag, value) in [
            ("--url", rpc_url.to_owned()),
            ("--register-stake", stake.to_string()),
            ("--interval-ms", "500".to_owned()),
        ] {
            args.extend([flag.into(), value.into()]);
        }
        args
    }

    /// Starts `command`, a `basalt-worker` given at least [`WorkerProcess::args`] for `dir`
    /// (perhaps under a wrapper program), and waits until it runs.
    ///
    /// # Errors
    ///
    /// As [`WorkerProcess::start`].
    pub fn start_command(mut command: Command, dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        command.env(
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

    /// Whether the process is still alive (it has not exited or crashed).
    pub fn is_running(&mut self) -> bool {
        self.service.is_running()
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
