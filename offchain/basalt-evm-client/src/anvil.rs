//! A local anvil (Foundry's node, its Linux binary installed from npm by
//! `scripts/evm-contracts.sh`): started on a free port of 127.0.0.1, killed when dropped.
//! For the tests' second tier and anything else that needs a real EVM node over JSON-RPC.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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

    /// Starts anvil (one block per transaction, no interval mining) on a port it picks
    /// itself, and waits until it says it listens.
    ///
    /// Anvil binds port 0 and prints the address it got: a port picked here and handed
    /// over could be taken by another process in between.
    ///
    /// # Errors
    ///
    /// When the binary is missing, does not start, or does not listen in time.
    pub fn start() -> Result<Self> {
        Self::start_with(None)
    }

    /// Starts anvil mining a block every `block_time` (transactions wait for the next
    /// one, as on a real chain), or one block per transaction when `None`; see
    /// [`Self::start`].
    ///
    /// Interval mining keeps a window of blocks a window of time however many
    /// transactions arrive: with one block per transaction, a dozen holders' proofs would
    /// use up a proof window of ten blocks by themselves.
    ///
    /// # Errors
    ///
    /// As [`Self::start`].
    pub fn start_with(block_time: Option<Duration>) -> Result<Self> {
        let mut command = Command::new(Self::binary()?);
        command.args(["--host", "127.0.0.1", "--port", "0"]);
        if let Some(every) = block_time {
            command.args(["--block-time", &every.as_secs().max(1).to_string()]);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting anvil")?;
        let stdout = child.stdout.take().context("anvil's stdout")?;
        // Owned at once, so that anvil is killed on every early return below.
        let mut anvil = Self {
            child,
            url: String::new(),
        };
        let (address_tx, address_rx) = mpsc::channel();
        // Reads anvil's log to the end: the address line first, then (discarded) every
        // line after it, so that anvil never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut address_tx = Some(address_tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(address) = line.strip_prefix("Listening on ") {
                    if let Some(tx) = address_tx.take() {
                        let _ = tx.send(address.trim().to_owned());
                    }
                }
            }
        });
        match address_rx.recv_timeout(START_TIMEOUT) {
            Ok(address) => anvil.url = format!("http://{address}"),
            Err(_) => match anvil.child.try_wait()? {
                Some(status) => bail!("anvil exited before listening: {status}"),
                None => bail!("anvil did not listen within {START_TIMEOUT:?}"),
            },
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
        Ok((address, self.wallet(signer).await?))
    }

    /// A provider signing as `signer`, funded with ether by anvil, asking the node for
    /// every nonce (see [`Self::funded_wallet`]).
    ///
    /// # Errors
    ///
    /// When the node does not answer.
    pub async fn wallet(&self, signer: PrivateKeySigner) -> Result<impl Provider + Clone> {
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
        Ok(provider)
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
