//! The embedded chain hosts the program, answers the stock RPC client, and keeps its state
//! across a restart.

use anyhow::Result;
use basalt::state::{ProviderStatus, ROLE_STORAGE};
use basalt_localnet::{
    fund_wallet, initialize, ChainOptions, LocalChain, NetworkParams, SOL, TOKEN,
};
use basalt_sdk::chain::{ChainError, ProviderRegistration};
use basalt_sdk::ChainClient;
use solana_keypair::Keypair;
use solana_signer::Signer;

fn registration(port: u16) -> ProviderRegistration {
    ProviderRegistration {
        endpoint: format!("http://127.0.0.1:{port}"),
        region: "local".into(),
        roles: ROLE_STORAGE,
        capacity: 1 << 30,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_chain_keeps_its_accounts_and_still_runs_the_program() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = ChainOptions {
        state_dir: Some(dir.path().join("chain")),
        ..ChainOptions::default()
    };
    let params = NetworkParams::default();
    let provider = Keypair::new();

    let chain = LocalChain::start(&options)?;
    let client = ChainClient::new(chain.rpc_url());
    let keys = initialize(&client, &dir.path().join("keys"), &params).await?;
    fund_wallet(&client, &keys, &provider.pubkey(), 10 * SOL, 5_000 * TOKEN).await?;
    client
        .register_provider(&provider, &registration(7001), 2_000 * TOKEN)
        .await?;
    let before = client
        .provider(&provider.pubkey())
        .await?
        .expect("registered");
    assert_eq!(before.stake, 2_000 * TOKEN);
    assert_eq!(before.status, ProviderStatus::Active);
    // A second registration is the program's own error, named from its IDL.
    let again = client
        .register_provider(&provider, &registration(7001), 0)
        .await;
    assert!(
        matches!(
            again,
            Err(ChainError::Transaction(_)) | Err(ChainError::Program { .. })
        ),
        "{again:?}"
    );
    chain.stop();

    let chain = LocalChain::start(&options)?;
    let client = ChainClient::new(chain.rpc_url());
    // Same keys, same Config: initialize is a no-op on a chain that has it.
    let keys_again = initialize(&client, &dir.path().join("keys"), &params).await?;
    assert_eq!(keys_again.stake_mint, keys.stake_mint);
    let after = client.provider(&provider.pubkey()).await?.expect("kept");
    assert_eq!(after.stake, before.stake);
    assert_eq!(after.endpoint, before.endpoint);
    // The program is registered again after the restart: a heartbeat executes.
    client
        .send(
            &[basalt::client::ix::provider_heartbeat(&provider.pubkey())],
            &provider,
            &[],
        )
        .await?;
    let beat = client.provider(&provider.pubkey()).await?.expect("kept");
    assert!(beat.last_heartbeat_slot >= after.last_heartbeat_slot);
    assert_eq!(client.providers().await?.len(), 1);
    chain.stop();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_refuses_keys_that_do_not_match_the_chain() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let chain = LocalChain::start(&ChainOptions::default())?;
    let client = ChainClient::new(chain.rpc_url());
    let params = NetworkParams::default();
    initialize(&client, &dir.path().join("a"), &params).await?;
    let other = initialize(&client, &dir.path().join("b"), &params).await;
    let err = other.err().expect("other keys are refused").to_string();
    assert!(err.contains("was not made with the keys"), "{err}");
    chain.stop();
    Ok(())
}
