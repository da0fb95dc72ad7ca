//! The protocol deployed in the in-process EVM, as a local network deploys it: the stake
//! token, the configuration, the registry, bound together; with the keys and parameters
//! the tests share and the helpers they read state with.

use alloy::primitives::{address, Address, U256};
use alloy::sol_types::{SolCall, SolConstructor, SolInterface};
use anyhow::Result;
use basalt_evm_client::BasaltConfig::{self, Params};
use basalt_evm_client::BasaltProviders;
use basalt_evm_client::BasaltTestToken;

use basalt_evm_client::deploy::Network;
use basalt_evm_client::in_process::{self, Evm};

/// Deploys and administers the network, and mints the test token.
pub const ADMIN: Address = address!("000000000000000000000000000000000000ad00");
pub const TREASURY: Address = address!("0000000000000000000000000000000000007ea5");
pub const NODE: Address = address!("000000000000000000000000000000000000a0de");
pub const STRANGER: Address = address!("0000000000000000000000000000000000005a1e");
/// Stands in for the storage contract where a test drives the registry's protocol calls
/// directly (`BasaltConfig.blobs`).
pub const PROTOCOL: Address = address!("0000000000000000000000000000000000000b10");

pub const EPOCH_BLOCKS: u64 = 10;
pub const PROOF_WINDOW_BLOCKS: u64 = 4;
pub const UNBONDING_EPOCHS: u64 = 2;
pub const MIN_STAKE: u128 = 100;
/// Tokens the faucet gives each provider.
pub const WALLET: u64 = 1_000;

/// `ProviderStatus` values (the ABI carries the enum as a uint8).
pub const ACTIVE: u8 = 0;
pub const UNBONDING: u8 = 1;
pub const JAILED: u8 = 2;

/// Parameters within every rule, as the Solana and NEAR tests start from: a local
/// network's.
pub fn params() -> Params {
    let params = Network::local().params;
    assert_eq!(
        (params.min_stake, params.unbonding_epochs),
        (MIN_STAKE, UNBONDING_EPOCHS),
        "the constants the tests compare with"
    );
    params
}

pub struct Deployment {
    pub evm: Evm,
    pub token: Address,
    pub config: Address,
    pub providers: Address,
    pub blobs: Address,
    pub datasets: Address,
    pub jobs: Address,
}

/// The constructor arguments of a configuration with `params`.
pub fn config_args(token: Address, params: Params) -> Vec<u8> {
    BasaltConfig::constructorCall {
        stakeToken_: token,
        epochBlocks_: EPOCH_BLOCKS,
        proofWindowBlocks_: PROOF_WINDOW_BLOCKS,
        treasury_: TREASURY,
        params_: params,
    }
    .abi_encode()
}

/// Token, configuration, registry, storage, datasets and jobs, bound together; `NODE` holds `WALLET`
/// tokens approved to each.
pub fn deploy() -> Result<Deployment> {
    deploy_bound(None)
}

/// As [`deploy`], with `PROTOCOL` bound as the storage contract: a test drives the
/// registry's protocol calls itself.
pub fn deploy_with_stand_in() -> Result<Deployment> {
    deploy_bound(Some(PROTOCOL))
}

fn deploy_bound(blobs_stand_in: Option<Address>) -> Result<Deployment> {
    let mut evm = Evm::new();
    let network = Network {
        epoch_blocks: EPOCH_BLOCKS,
        proof_window_blocks: PROOF_WINDOW_BLOCKS,
        treasury: TREASURY,
        params: params(),
    };
    let deployed = in_process::deploy_unbound(&mut evm, ADMIN, &network)?;
    let bind = BasaltConfig::bindCall {
        providers_: deployed.providers,
        blobs_: blobs_stand_in.unwrap_or(deployed.blobs),
        jobs_: deployed.jobs,
    };
    evm.ok(ADMIN, deployed.config, &bind)?;
    let mut d = Deployment {
        evm,
        token: deployed.token,
        config: deployed.config,
        providers: deployed.providers,
        blobs: deployed.blobs,
        datasets: deployed.datasets,
        jobs: deployed.jobs,
    };
    fund(&mut d, NODE)?;
    Ok(d)
}

/// Gives `who` `WALLET` tokens, approved to the registry, the storage and jobs contracts.
pub fn fund(d: &mut Deployment, who: Address) -> Result<()> {
    let mint = BasaltTestToken::mintCall {
        to: who,
        amount: U256::from(WALLET),
    };
    d.evm.ok(ADMIN, d.token, &mint)?;
    for spender in [d.providers, d.blobs, d.jobs] {
        let approve = BasaltTestToken::approveCall {
            spender,
            value: U256::MAX,
        };
        d.evm.ok(who, d.token, &approve)?;
    }
    Ok(())
}

/// Registers `who` as a storage provider.
pub fn register(d: &mut Deployment, who: Address) -> Result<()> {
    register_as(d, who, 1)
}

/// Registers `who` with `roles`.
pub fn register_as(d: &mut Deployment, who: Address, roles: u8) -> Result<()> {
    let call = BasaltProviders::registerCall {
        endpoint: "http://127.0.0.1:9000".into(),
        region: "eu-west".into(),
        roles,
        capacity: 1 << 30,
    };
    d.evm.ok(who, d.providers, &call)?;
    Ok(())
}

/// Registers `who` and bonds `amount`.
pub fn register_staked(d: &mut Deployment, who: Address, amount: u64) -> Result<()> {
    register(d, who)?;
    let stake = BasaltProviders::stakeCall {
        amount: U256::from(amount),
    };
    d.evm.ok(who, d.providers, &stake)?;
    Ok(())
}

pub fn record(d: &mut Deployment, who: Address) -> Result<BasaltProviders::Provider> {
    Ok(d.evm
        .ok(who, d.providers, &BasaltProviders::providerCall { who })?
        .0)
}

pub fn balance(d: &mut Deployment, who: Address) -> Result<U256> {
    let call = BasaltTestToken::balanceOfCall { account: who };
    Ok(d.evm.ok(who, d.token, &call)?.0)
}

/// The name of the error `call` to `to` reverts with, decoded as `E` (a contract's errors).
pub fn refusal<C: SolCall, E: SolInterface + std::fmt::Debug>(
    d: &mut Deployment,
    who: Address,
    to: Address,
    call: &C,
) -> Result<String> {
    Ok(name(&d.evm.reverts::<C, E>(who, to, call)?))
}

/// An error's name, as the program's (`BasaltError`) and the rules' (`RuleError`).
pub fn name(error: &impl std::fmt::Debug) -> String {
    format!("{error:?}")
        .split(['(', ' '])
        .next()
        .unwrap_or_default()
        .to_owned()
}
