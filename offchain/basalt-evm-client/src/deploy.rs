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

impl Network {
    /// A local network's: epochs of 60 blocks with a proof window of 10 (every transaction
    /// mines a block on a local node, so an epoch leaves room for a few dozen), parameters
    /// within every rule, slashes to a fixed treasury address.
    pub fn local() -> Self {
        Self {
            epoch_blocks: 60,
            proof_window_blocks: 10,
            treasury: Address::repeat_byte(0x7e),
            params: Params {
                min_stake: 100,
                unbonding_epochs: 2,
                proof_slash_bps: 1_000,
                job_slash_bps: 500,
                bounty_bps: 2_000,
                default_k: 10,
                default_m: 4,
                max_deal_epochs: 10_000,
                max_slashes_per_epoch: 1,
                accept_window_ticks: 20,
                offline_ticks: 30,
            },
        }
    }
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
