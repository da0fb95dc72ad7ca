//! The local network's indexer: a `basalt-indexer` child process following the local chain
//! into PostgreSQL (`DATABASE_URL` when set, else the network's own cluster) and serving
//! the dApp API on 127.0.0.1.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::postgres::LocalPostgres;
use crate::process::{sibling_binary, Service};

/// Where the indexer keeps its data.
pub enum Database {
    /// A server the user named with `DATABASE_URL`.
    External(String),
    /// The network's own cluster in `<dir>/postgres`.
    Local(LocalPostgres),
}

impl Database {
    /// `DATABASE_URL` when set, else the cluster in `dir` (started on `port`).
    ///
    /// # Errors
    ///
    /// As [`LocalPostgres::start`].
    pub fn open(dir: &Path, port: u16) -> Result<Self> {
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => Ok(Self::External(url)),
            _ => Ok(Self::Local(LocalPostgres::start(dir, port)?)),
        }
    }

    pub fn url(&self) -> String {
        match self {
            Self::External(url) => url.clone(),
            Self::Local(pg) => pg.url(),
        }
    }
}

/// A running `basalt-indexer`.
pub struct IndexerProcess {
    service: Service,
    /// The API's base URL.
    pub url: String,
}

/// Seconds of heartbeat silence after which the indexer's API calls a provider `warning`,
/// then `offline` (its `--heartbeat-warning-secs` and `--heartbeat-offline-secs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexerLiveness {
    pub warning_secs: u64,
    pub offline_secs: u64,
}

impl IndexerProcess {
    /// Starts the indexer of `rpc_url` into `database_url`, its API on `port`, its log in
    /// `dir/indexer.log`; `liveness` replaces its default thresholds.
    ///
    /// # Errors
    ///
    /// When the binary is missing or the indexer does not start within 60 s (its log says
    /// why: usually the database).
    pub fn start(
        dir: &Path,
        database_url: &str,
        rpc_url: &str,
        port: u16,
        liveness: Option<IndexerLiveness>,
    ) -> Result<Self> {
        // The local chain is the browser's too: the explorer's wallet actions use it.
        let chain_args = ["--rpc-url", rpc_url, "--wallet-rpc-url", rpc_url]
            .into_iter()
            .chain(["--wallet-cluster", "localnet"])
            .map(str::to_owned)
            .collect::<Vec<_>>();
        Self::start_on(dir, database_url, &chain_args, port, liveness)
    }

    /// [`Self::start`] with `chain_args` naming the chain to follow (`--rpc-url` and, for
    /// another chain than Solana, `--chain` and its deployment).
    ///
    /// # Errors
    ///
    /// As [`Self::start`].
    pub fn start_on(
        dir: &Path,
        database_url: &str,
        chain_args: &[String],
        port: u16,
        liveness: Option<IndexerLiveness>,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut command = Command::new(sibling_binary("basalt-indexer", "BASALT_INDEXER_BIN")?);
        command
            .args(["--database-url", database_url])
            .args(chain_args)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"));
        if let Some(l) = liveness {
            command
                .arg("--heartbeat-warning-secs")
                .arg(l.warning_secs.to_string())
                .arg("--heartbeat-offline-secs")
                .arg(l.offline_secs.to_string());
        }
        command.env(
            "RUST_LOG",
            std::env::var("BASALT_INDEXER_LOG").unwrap_or_else(|_| "info".into()),
        );
        let mut service = Service::spawn(
            command,
            "basalt-indexer",
            &dir.join("indexer.log"),
            Duration::from_secs(60),
        )?;
        let Some(url) = service
            .first_line
            .strip_prefix("basalt-indexer listening on ")
            .map(str::to_owned)
        else {
            let line = service.first_line.clone();
            service.kill()?;
            bail!("unexpected first line from basalt-indexer: {line}");
        };
        Ok(Self { service, url })
    }

    /// SIGTERM: the indexer finishes its batch (or rolls it back) and exits.
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub fn stop(&mut self) -> Result<()> {
        self.service.stop()
    }
}
