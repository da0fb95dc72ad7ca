//! Deploying the protocol: the stake token (the test token, minted by its deployer), the
//! configuration, the registry, storage, datasets and jobs, bound together, through any alloy
//! provider that signs as the deployer (who becomes the configuration's admin).

use alloy::primitives::Address;
use alloy::providers::Provider;
use anyhow::Result;

use crate::BasaltConfig::Params;
use crate::{
    BasaltBlobs, BasaltConfig, BasaltDatasets, BasaltJobs, BasaltProviders, BasaltTestToken,
};

/// What is fixed when a network is deployed.
#[derive(Debug, Clone)]
pub struct Network {
    pub epoch_blocks: u64,
    pub proof_window_blocks: u64,
    /// Receives slashed tokens that are not a bounty.
    pub treasury: Address,
    pub params: Params,
}

/// The contracts' addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployed {
    pub token: Address,
    pub config: Address,
    pub providers: Address,
    pub blobs: Address,
    pub datasets: Address,
    pub jobs: Address,
}

/// Deploys the six contracts and binds them.
///
/// # Errors
///
/// When a deployment or the binding fails (the configuration refuses `network`'s
/// parameters, for one).
pub async fn deploy(deployer: &(impl Provider + Clone), network: &Network) -> Result<Deployed> {
    let token = BasaltTestToken::deploy(deployer, "Basalt stake".into(), "BSLT".into()).await?;
    let config = BasaltConfig::deploy(
        deployer,
        *token.address(),
        network.epoch_blocks,
        network.proof_window_blocks,
        network.treasury,
        network.params.clone(),
    )
    .await?;
    let providers = BasaltProviders::deploy(deployer, *config.address()).await?;
    let blobs = BasaltBlobs::deploy(deployer, *config.address(), *providers.address()).await?;
    let datasets = BasaltDatasets::deploy(deployer, *config.address(), *blobs.address()).await?;
    let jobs = BasaltJobs::deploy(
        deployer,
        *config.address(),
        *providers.address(),
        *blobs.address(),
        *datasets.address(),
    )
    .await?;
    config
        .bind(*providers.address(), *blobs.address(), *jobs.address())
        .send()
        .await?
        .get_receipt()
        .await?;
    Ok(Deployed {
        token: *token.address(),
        config: *config.address(),
        providers: *providers.address(),
        blobs: *blobs.address(),
        datasets: *datasets.address(),
        jobs: *jobs.address(),
    })
}
