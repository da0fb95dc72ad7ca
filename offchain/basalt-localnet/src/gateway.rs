//! The local network's S3 gateway: a `basalt-gateway` child process whose one access key
//! acts as the funded wallet, so that `aws s3 cp` works against the network at once.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::process::{sibling_binary, Service};

/// An access key of the gateway and its secret, kept in `credentials.json` in the
/// gateway's directory so that a resumed network keeps them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GatewayCredentials {
    pub access_key: String,
    pub secret_key: String,
}

impl GatewayCredentials {
    fn load_or_create(path: &Path) -> Result<Self> {
        if let Ok(text) = std::fs::read_to_string(path) {
            return serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", path.display()));
        }
        let credentials = Self {
            access_key: format!("BASALT{}", random_hex(7).to_uppercase()),
            secret_key: random_hex(20),
        };
        std::fs::write(path, serde_json::to_vec_pretty(&credentials)?)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(credentials)
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the gateway is told about the network.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    pub rpc_url: String,
    pub lookup_table: Option<String>,
    /// The keypair file its access key acts as.
    pub wallet: PathBuf,
    /// The most object bytes per blob (the gateway's default when `None`).
    pub piece_size: Option<u64>,
    /// The erasure code of its blobs (the network's default when `None`).
    pub k: Option<u16>,
    pub m: Option<u16>,
}

/// A running `basalt-gateway`.
pub struct GatewayProcess {
    service: Service,
    /// The S3 endpoint.
    pub url: String,
    pub credentials: GatewayCredentials,
    pub dir: PathBuf,
    port: u16,
    settings: GatewaySettings,
}

impl GatewayProcess {
    /// Writes the gateway's configuration in `dir` (index, spool and credentials there too)
    /// and starts it on `port`; returns once it listens.
    ///
    /// # Errors
    ///
    /// When the binary is missing or the gateway does not start within 30 s (its log in
    /// `dir/gateway.log` says why).
    pub fn start(dir: &Path, port: u16, settings: &GatewaySettings) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let credentials = GatewayCredentials::load_or_create(&dir.join("credentials.json"))?;
        let config = Self::config(dir, port, settings, &credentials);
        let config_path = dir.join("gateway.toml");
        std::fs::write(&config_path, config)
            .with_context(|| format!("writing {}", config_path.display()))?;
        let mut command = Command::new(sibling_binary("basalt-gateway", "BASALT_GATEWAY_BIN")?);
        command.arg("--config").arg(&config_path).env(
            "RUST_LOG",
            std::env::var("BASALT_GATEWAY_LOG").unwrap_or_else(|_| "info".into()),
        );
        let mut service = Service::spawn(
            command,
            "basalt-gateway",
            &dir.join("gateway.log"),
            Duration::from_secs(30),
        )?;
        let Some(url) = service
            .first_line
            .strip_prefix("basalt-gateway listening on ")
            .map(str::to_owned)
        else {
            let line = service.first_line.clone();
            service.kill()?;
            bail!("unexpected first line from basalt-gateway: {line}");
        };
        Ok(Self {
            service,
            url,
            credentials,
            dir: dir.to_owned(),
            port,
            settings: settings.clone(),
        })
    }

    /// The configuration file's text (docs/gateway.md). Values are written as JSON
    /// strings, which are TOML basic strings too.
    fn config(
        dir: &Path,
        port: u16,
        settings: &GatewaySettings,
        credentials: &GatewayCredentials,
    ) -> String {
        let quote = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
        let path = |p: &Path| quote(&p.display().to_string());
        let mut text = format!(
            "listen = {}\nurl = {}\nindex = {}\nspool = {}\n",
            quote(&format!("127.0.0.1:{port}")),
            quote(&settings.rpc_url),
            path(&dir.join("index")),
            path(&dir.join("spool")),
        );
        if let Some(table) = &settings.lookup_table {
            text.push_str(&format!("lookup_table = {}\n", quote(table)));
        }
        text.push_str("[storage]\n");
        for (name, value) in [
            ("piece_size", settings.piece_size),
            ("k", settings.k.map(u64::from)),
            ("m", settings.m.map(u64::from)),
        ] {
            if let Some(value) = value {
                text.push_str(&format!("{name} = {value}\n"));
            }
        }
        text.push_str(&format!(
            "[[keys]]\naccess_key = {}\nsecret_key = {}\nwallet = {}\n",
            quote(&credentials.access_key),
            quote(&credentials.secret_key),
            path(&settings.wallet),
        ));
        text
    }

    /// The gateway's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.service.pid()
    }

    /// SIGTERM: the gateway finishes its requests and exits.
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub fn stop(&mut self) -> Result<()> {
        self.service.stop()
    }

    /// SIGKILL: a crash, mid-request.
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub fn kill(&mut self) -> Result<()> {
        self.service.kill()
    }

    /// Runs `basalt-gateway recover` on the gateway's configuration (the gateway stopped,
    /// its index moved away): the index rebuilt from the network. Returns its report.
    ///
    /// # Errors
    ///
    /// When the binary is missing or the recovery fails (with its output).
    pub fn recover(&self) -> Result<String> {
        let output = Command::new(sibling_binary("basalt-gateway", "BASALT_GATEWAY_BIN")?)
            .arg("recover")
            .arg("--config")
            .arg(self.dir.join("gateway.toml"))
            .output()
            .context("running basalt-gateway recover")?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() {
            bail!(
                "basalt-gateway recover failed: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(stdout)
    }

    /// Starts the gateway again (after a stop or a kill) on its port, keys and index.
    ///
    /// # Errors
    ///
    /// As [`GatewayProcess::start`].
    pub fn start_again(&mut self) -> Result<()> {
        *self = Self::start(&self.dir.clone(), self.port, &self.settings.clone())?;
        Ok(())
    }
}
