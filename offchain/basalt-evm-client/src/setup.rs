//! Setting a deployment up over JSON-RPC: stake tokens for an account, a storage provider
//! registered and staked. What a local network and the tests on anvil do first.

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use anyhow::Result;

use crate::deploy::Deployed;
use crate::{BasaltProviders, BasaltTestToken};

/// Mints `amount` of the stake token to `to` through `faucet` (the test token's deployer)
/// and has `to`, signing as `as_to`, let the registry and storage take any amount of it.
///
/// # Errors
///
/// When a transaction is refused or the node does not answer.
pub async fn fund_stake(
    deployed: &Deployed,
    faucet: &(impl Provider + Clone),
    to: Address,
    as_to: &(impl Provider + Clone),
    amount: U256,
) -> Result<()> {
    BasaltTestToken::new(deployed.token, faucet)
        .mint(to, amount)
        .send()
        .await?
        .get_receipt()
        .await?;
    approve_stake(deployed, as_to).await
}

/// Has the account signing as `as_to` let the registry and storage take any amount of its
/// stake tokens.
///
/// # Errors
///
/// When a transaction is refused or the node does not answer.
pub async fn approve_stake(deployed: &Deployed, as_to: &(impl Provider + Clone)) -> Result<()> {
    let token = BasaltTestToken::new(deployed.token, as_to);
    for spender in [deployed.providers, deployed.blobs] {
        token
            .approve(spender, U256::MAX)
            .send()
            .await?
            .get_receipt()
            .await?;
    }
    Ok(())
}

/// Registers the account signing as `as_provider` as a storage provider at `endpoint` (in
/// region `eu`, 1 GiB offered) and bonds `stake`, which it must hold and have approved.
///
/// # Errors
///
/// When the registry refuses (a second registration, a stake it cannot take).
pub async fn register_storage(
    deployed: &Deployed,
    as_provider: &(impl Provider + Clone),
    endpoint: &str,
    stake: U256,
) -> Result<()> {
    let registry = BasaltProviders::new(deployed.providers, as_provider);
    registry
        .register(
            endpoint.into(),
            "eu".into(),
            basalt_rules::ROLE_STORAGE,
            1 << 30,
        )
        .send()
        .await?
        .get_receipt()
        .await?;
    registry.stake(stake).send().await?.get_receipt().await?;
    Ok(())
}
