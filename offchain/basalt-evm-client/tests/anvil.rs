//! The second tier: the contracts on anvil (Foundry's local node, from npm) over real
//! JSON-RPC, deployed and called through `basalt-evm-client`'s contract instances with
//! locally signed transactions, custom errors decoded from the node's answers.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use anyhow::{bail, Context, Result};
use basalt_evm_client::BasaltConfig;
use basalt_evm_client::BasaltProviders::{self, BasaltProvidersErrors};
use basalt_evm_client::BasaltTestToken;

/// A running anvil on a free port, killed when dropped.
struct Anvil {
    child: Child,
    url: String,
}

impl Anvil {
    /// The binary `scripts/evm-contracts.sh` installs (`BASALT_ANVIL` names another).
    fn binary() -> Result<PathBuf> {
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

    async fn start() -> Result<Self> {
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
        let anvil = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let provider = ProviderBuilder::new().connect_http(anvil.url.parse()?);
        let deadline = Instant::now() + Duration::from_secs(30);
        while provider.get_chain_id().await.is_err() {
            if Instant::now() > deadline {
                bail!("anvil did not answer within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(anvil)
    }

    /// A provider signing as a new key that anvil funds with ether.
    async fn funded_wallet(&self) -> Result<(Address, impl Provider + Clone)> {
        let signer = PrivateKeySigner::random();
        let address = signer.address();
        // The nonce asked of the node for every transaction: a cached one would be spent
        // by a call refused at its gas estimate and leave the next one waiting forever.
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
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Longest the anvil test may take (it takes well under a second): a transaction the node
/// never mines must fail the test, not hang it.
const TEST_TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_works_over_json_rpc_on_anvil() -> Result<()> {
    tokio::time::timeout(TEST_TIMEOUT, registry_on_anvil())
        .await
        .context("the anvil test timed out")?
}

async fn registry_on_anvil() -> Result<()> {
    let anvil = Anvil::start().await?;
    let (_, deployer) = anvil.funded_wallet().await?;
    let (node, as_node) = anvil.funded_wallet().await?;
    let token = BasaltTestToken::deploy(&deployer, "Basalt stake".into(), "BSLT".into()).await?;
    let config = BasaltConfig::deploy(
        &deployer,
        *token.address(),
        10,
        4,
        Address::repeat_byte(0x7e),
        crate::deployment::params(),
    )
    .await?;
    let registry = BasaltProviders::deploy(&deployer, *config.address()).await?;
    config
        .bind(*registry.address(), Address::ZERO, Address::ZERO)
        .send()
        .await?
        .get_receipt()
        .await?;
    token
        .mint(node, U256::from(1_000))
        .send()
        .await?
        .get_receipt()
        .await?;

    let token = BasaltTestToken::new(*token.address(), &as_node);
    let registry = BasaltProviders::new(*registry.address(), &as_node);
    token
        .approve(*registry.address(), U256::MAX)
        .send()
        .await?
        .get_receipt()
        .await?;
    let registered = registry
        .register("http://127.0.0.1:9000".into(), "eu-west".into(), 1, 1 << 30)
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(registered.status());
    let event = registered
        .decoded_log::<BasaltProviders::ProviderRegistered>()
        .context("no ProviderRegistered in the receipt")?;
    assert_eq!(event.provider, node);

    // Refused by the contract: the node's error answer carries the custom error.
    let again = registry
        .register("http://other".into(), String::new(), 1, 1)
        .send()
        .await
        .expect_err("a second registration");
    let decoded = again.as_decoded_interface_error::<BasaltProvidersErrors>();
    assert!(
        matches!(decoded, Some(BasaltProvidersErrors::ProviderExists(_))),
        "{again}"
    );

    registry
        .stake(U256::from(500))
        .send()
        .await?
        .get_receipt()
        .await?;
    // `provider` is also the instance's own accessor: the call is built from its type.
    let record = registry
        .call_builder(&BasaltProviders::providerCall { who: node })
        .call()
        .await?;
    assert_eq!((record.stake, record.roles), (U256::from(500), 1));
    assert_eq!(token.balanceOf(node).call().await?, U256::from(500));
    assert!(registry.isEligible(node, 1).call().await?);
    Ok(())
}
