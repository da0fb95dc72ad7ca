//! A local anvil (Foundry's node, its Linux binary installed from npm by
//! `scripts/evm-contracts.sh`): started on a free port of 127.0.0.1, killed when dropped.
//! For the tests' second tier and anything else that needs a real EVM node over JSON-RPC.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use anyhow::{bail, Context, Result};

/// How long anvil may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Anvil {
    child: Child,
    url: String,
}

impl Anvil {
    /// The binary `scripts/evm-contracts.sh` installs (`BASALT_ANVIL` names another,
    /// `BASALT_EVM_TOOLS` another install directory).
    ///
    /// # Errors
    ///
    /// When there is none.
    pub fn binary() -> Result<PathBuf> {
        if let Some(path) = std::env::var_os("BASALT_ANVIL") {
            return Ok(path.into());
        }
        let tools = match std::env::var_os("BASALT_EVM_TOOLS") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?)
                .join(".cache/basalt-evm-tools"),
        };
        let path = tools.join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
        anyhow::ensure!(
            path.is_file(),
            "no anvil at {}: run scripts/evm-contracts.sh (scripts/test.sh does)",
            path.display()
        );
        Ok(path)
    }

    /// Starts anvil (one block per transaction, no interval mining) and waits until it
    /// listens.
    ///
    /// # Errors
    ///
    /// When the binary is missing, does not start, or does not listen in time.
    pub fn start() -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(Self::binary()?)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--silent",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("starting anvil")?;
        let mut anvil = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = anvil.child.try_wait()? {
                bail!("anvil exited before listening: {status}");
            }
            if Instant::now() > deadline {
                bail!("anvil did not listen within {START_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(anvil)
    }

    /// Its JSON-RPC endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A provider signing as a new key that anvil funds with ether. It asks the node for
    /// the nonce of every transaction: alloy's cached nonce is spent by a call refused at
    /// its gas estimate, and the next transaction then waits forever.
    ///
    /// # Errors
    ///
    /// When the node does not answer.
    pub async fn funded_wallet(&self) -> Result<(Address, impl Provider + Clone)> {
        let signer = PrivateKeySigner::random();
        let address = signer.address();
        let provider = ProviderBuilder::new()
            .with_simple_nonce_management()
            .wallet(EthereumWallet::from(signer))
            .connect_http(self.url.parse()?);
        let _: () = provider
            .raw_request(
                "anvil_setBalance".into(),
                (address, U256::from(10u128.pow(20))),
            )
            .await?;
        Ok((address, provider))
    }

    /// Mines `blocks` empty blocks.
    ///
    /// # Errors
    ///
    /// When the node does not answer.
    pub async fn mine(&self, provider: &impl Provider, blocks: u64) -> Result<()> {
        let _: () = provider
            .raw_request("anvil_mine".into(), (U256::from(blocks),))
            .await?;
        Ok(())
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
