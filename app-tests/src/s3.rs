//! A local network with the S3 gateway, and the real S3 clients that drive it: boto3 and
//! the AWS CLI from a virtual environment outside the clone that `scripts/s3-clients.sh`
//! makes (scripts/test.sh runs it; `BASALT_S3_VENV` names another), the scripts in
//! `app-tests/s3/`. Used by `tests/s3_gateway.rs` and `benches/s3.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, ensure, Context, Result};
use basalt_localnet::{GatewayOptions, GatewayProcess, LocalnetOptions};
use solana_keypair::{write_keypair_file, Keypair};
use solana_signer::Signer;

use crate::TestNet;

/// The virtual environment holding boto3 and the AWS CLI.
///
/// # Errors
///
/// When it has not been made.
pub fn client_venv() -> Result<PathBuf> {
    let venv = match std::env::var_os("BASALT_S3_VENV") {
        Some(v) => PathBuf::from(v),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?)
            .join(".cache/basalt-s3-venv"),
    };
    ensure!(
        venv.join("bin/python").is_file(),
        "no S3 clients in {}: run scripts/s3-clients.sh (scripts/test.sh does)",
        venv.display()
    );
    Ok(venv)
}

/// A local network whose gateway acts as a fresh funded wallet.
pub struct GatewayNet {
    pub t: TestNet,
    pub wallet: Keypair,
    /// The gateway's URL, access key and secret.
    pub address: [String; 3],
    pub venv: PathBuf,
    pub log: PathBuf,
    _wallet_dir: tempfile::TempDir,
}

impl GatewayNet {
    /// Starts `nodes` storage nodes and a gateway storing objects in pieces of at most
    /// `piece_size` bytes with the erasure code `k`, `m` (each the default when `None`).
    ///
    /// # Errors
    ///
    /// When the clients are missing or the network does not start.
    pub async fn start(
        nodes: usize,
        piece_size: Option<u64>,
        k: Option<u16>,
        m: Option<u16>,
    ) -> Result<Self> {
        Self::start_with(nodes, piece_size, k, m, |_| {}).await
    }

    /// Like [`GatewayNet::start`], with the network's options adjusted by `adjust`.
    ///
    /// # Errors
    ///
    /// When the clients are missing or the network does not start.
    pub async fn start_with(
        nodes: usize,
        piece_size: Option<u64>,
        k: Option<u16>,
        m: Option<u16>,
        adjust: impl FnOnce(&mut LocalnetOptions),
    ) -> Result<Self> {
        let venv = client_venv()?;
        let wallet_dir = tempfile::tempdir()?;
        let wallet_path = wallet_dir.path().join("wallet.json");
        let wallet = Keypair::new();
        write_keypair_file(&wallet, &wallet_path).map_err(|e| anyhow!("{e}"))?;
        let t = TestNet::start_with(nodes, 0, |o| {
            o.fund.push(wallet.pubkey());
            o.gateway = Some(GatewayOptions {
                wallet: wallet_path.clone(),
                // Any free port: tests run side by side.
                port: 0,
                piece_size,
                k,
                m,
            });
            adjust(o);
        })
        .await?;
        let gateway = t
            .net
            .info
            .gateway
            .clone()
            .context("the network runs a gateway")?;
        let log = t.net.dir().join("gateway/gateway.log");
        Ok(Self {
            t,
            wallet,
            address: [gateway.url, gateway.access_key, gateway.secret_key],
            venv,
            log,
            _wallet_dir: wallet_dir,
        })
    }

    /// The gateway's process.
    ///
    /// # Errors
    ///
    /// Never for a network [`GatewayNet::start`] made.
    pub fn gateway(&mut self) -> Result<&mut GatewayProcess> {
        self.t
            .net
            .gateway
            .as_mut()
            .context("the network runs a gateway")
    }

    /// `app-tests/s3/<script>` with the gateway's address and key and `extra`.
    pub fn script(&self, script: &str, extra: &[&str]) -> Command {
        let mut command = Command::new(self.venv.join("bin/python"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("s3")
            .join(script);
        command.arg(script).args(&self.address).args(extra);
        command
    }

    /// Runs `app-tests/s3/<script>`; returns its output, or fails with it and the
    /// gateway's log.
    ///
    /// # Errors
    ///
    /// When the script fails.
    pub async fn run(&self, script: &str, extra: &[&str]) -> Result<String> {
        let mut command = self.script(script, extra);
        let output = tokio::task::spawn_blocking(move || command.output()).await??;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        println!("{script}:\n{stdout}");
        ensure!(
            output.status.success(),
            "{script} failed:\n{stdout}\n{}\n(gateway log:\n{})",
            String::from_utf8_lossy(&output.stderr),
            self.gateway_log()
        );
        Ok(stdout)
    }

    /// The AWS CLI against the gateway, as the gateway's key, with `config` as its
    /// configuration file (path-style addressing is what a local endpoint needs).
    pub fn aws(&self, config: &Path) -> Command {
        let mut command = Command::new(self.venv.join("bin/aws"));
        command
            .arg("--endpoint-url")
            .arg(&self.address[0])
            .env("AWS_ACCESS_KEY_ID", &self.address[1])
            .env("AWS_SECRET_ACCESS_KEY", &self.address[2])
            .env("AWS_CONFIG_FILE", config)
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        command
    }

    pub fn gateway_log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
