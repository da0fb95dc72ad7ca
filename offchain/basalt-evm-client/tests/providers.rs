//! The provider registry and staking: registration and its profile checks, bonding stake in
//! the ERC-20, unbonding over whole epochs, withdrawal, deregistration; each refusal is the
//! program's error by name and moves nothing.

use alloy::primitives::{address, Address, U256};
use alloy::sol_types::{SolConstructor, SolEvent};
use anyhow::Result;
use basalt_evm_client::BasaltProviders::{self, BasaltProvidersErrors};
use basalt_evm_client::BasaltTestToken::{self, BasaltTestTokenErrors};

use crate::evm::Evm;

const FAUCET: Address = address!("00000000000000000000000000000000000fa0ce");
const NODE: Address = address!("000000000000000000000000000000000000a0de");
const STRANGER: Address = address!("0000000000000000000000000000000000005a1e");
const EPOCH_BLOCKS: u64 = 10;
const UNBONDING_EPOCHS: u64 = 2;
const MIN_STAKE: u64 = 100;
/// `ProviderStatus` values (the ABI carries the enum as a uint8).
const ACTIVE: u8 = 0;
const UNBONDING: u8 = 1;

struct Deployment {
    evm: Evm,
    token: Address,
    providers: Address,
}

fn deploy() -> Result<Deployment> {
    let mut evm = Evm::new();
    let token_args = BasaltTestToken::constructorCall {
        name_: "Basalt stake".into(),
        symbol_: "BSLT".into(),
    };
    let token = evm.deploy(FAUCET, &BasaltTestToken::BYTECODE, &token_args.abi_encode())?;
    let args = BasaltProviders::constructorCall {
        stakeToken_: token,
        minStake_: U256::from(MIN_STAKE),
        epochBlocks_: EPOCH_BLOCKS,
        unbondingEpochs_: UNBONDING_EPOCHS,
    };
    let providers = evm.deploy(FAUCET, &BasaltProviders::BYTECODE, &args.abi_encode())?;
    evm.ok(
        FAUCET,
        token,
        &BasaltTestToken::mintCall {
            to: NODE,
            amount: U256::from(1_000),
        },
    )?;
    evm.ok(
        NODE,
        token,
        &BasaltTestToken::approveCall {
            spender: providers,
            value: U256::MAX,
        },
    )?;
    Ok(Deployment {
        evm,
        token,
        providers,
    })
}

fn register(d: &mut Deployment, who: Address) -> Result<()> {
    let call = BasaltProviders::registerCall {
        endpoint: "http://127.0.0.1:9000".into(),
        region: "eu-west".into(),
        roles: 1,
        capacity: 1 << 30,
    };
    d.evm.ok(who, d.providers, &call)?;
    Ok(())
}

fn record(d: &mut Deployment, who: Address) -> Result<BasaltProviders::Provider> {
    Ok(d.evm
        .ok(who, d.providers, &BasaltProviders::providerCall { who })?
        .0)
}

fn balance(d: &mut Deployment, who: Address) -> Result<U256> {
    Ok(d.evm
        .ok(
            who,
            d.token,
            &BasaltTestToken::balanceOfCall { account: who },
        )?
        .0)
}

fn refusal<C: alloy::sol_types::SolCall>(
    d: &mut Deployment,
    who: Address,
    call: &C,
) -> Result<BasaltProvidersErrors> {
    d.evm.reverts(who, d.providers, call)
}

#[test]
fn a_provider_registers_once_with_a_valid_profile() -> Result<()> {
    let mut d = deploy()?;
    let bad = |endpoint: &str, region: &str, roles: u8| BasaltProviders::registerCall {
        endpoint: endpoint.into(),
        region: region.into(),
        roles,
        capacity: 1,
    };
    let long_endpoint = format!("http://{}", "a".repeat(122));
    for (call, want) in [
        (bad("", "eu", 1), "InvalidEndpoint"),
        (bad(&long_endpoint, "eu", 1), "InvalidEndpoint"),
        (bad("http://n", &"r".repeat(33), 1), "InvalidRegion"),
        (bad("http://n", "eu", 0), "InvalidRoles"),
        (bad("http://n", "eu", 4), "InvalidRoles"),
    ] {
        let refused = refusal(&mut d, NODE, &call)?;
        assert_eq!(name(&refused), want, "{call:?}");
    }
    let (_, logs) = d.evm.ok(
        NODE,
        d.providers,
        &BasaltProviders::registerCall {
            endpoint: "http://127.0.0.1:9000".into(),
            region: "eu-west".into(),
            roles: 3,
            capacity: 1 << 30,
        },
    )?;
    let event = BasaltProviders::ProviderRegistered::decode_log(&logs[0])?;
    assert_eq!(
        (event.provider, event.roles, event.capacity),
        (NODE, 3, 1 << 30)
    );
    let again = refusal(
        &mut d,
        NODE,
        &BasaltProviders::registerCall {
            endpoint: "http://other".into(),
            region: String::new(),
            roles: 1,
            capacity: 1,
        },
    )?;
    assert_eq!(name(&again), "ProviderExists");
    let kept = record(&mut d, NODE)?;
    assert_eq!(
        (kept.endpoint.as_str(), kept.roles),
        ("http://127.0.0.1:9000", 3)
    );
    assert_eq!(
        name(&refusal(
            &mut d,
            STRANGER,
            &BasaltProviders::heartbeatCall {}
        )?),
        "ProviderNotFound"
    );
    Ok(())
}

#[test]
fn stake_bonds_unbonds_over_whole_epochs_and_comes_back() -> Result<()> {
    let mut d = deploy()?;
    assert_eq!(
        name(&refusal(
            &mut d,
            NODE,
            &BasaltProviders::stakeCall {
                amount: U256::from(1)
            }
        )?),
        "ProviderNotFound"
    );
    register(&mut d, NODE)?;
    assert_eq!(
        name(&refusal(
            &mut d,
            NODE,
            &BasaltProviders::stakeCall { amount: U256::ZERO }
        )?),
        "ZeroAmount"
    );
    // More than the wallet holds: the token refuses and nothing is credited.
    let refused: BasaltTestTokenErrors = d.evm.reverts(
        NODE,
        d.providers,
        &BasaltProviders::stakeCall {
            amount: U256::from(5_000),
        },
    )?;
    assert!(
        matches!(refused, BasaltTestTokenErrors::ERC20InsufficientBalance(_)),
        "{refused:?}"
    );
    assert_eq!(record(&mut d, NODE)?.stake, U256::ZERO);

    let (_, logs) = d.evm.ok(
        NODE,
        d.providers,
        &BasaltProviders::stakeCall {
            amount: U256::from(500),
        },
    )?;
    let added = logs
        .iter()
        .find_map(|l| BasaltProviders::StakeAdded::decode_log(l).ok())
        .expect("StakeAdded");
    assert_eq!(
        (added.amount, added.stake),
        (U256::from(500), U256::from(500))
    );
    assert_eq!(balance(&mut d, NODE)?, U256::from(500));
    let eligible = BasaltProviders::isEligibleCall { who: NODE, role: 1 };
    assert!(d.evm.ok(NODE, d.providers, &eligible)?.0);

    assert_eq!(
        name(&refusal(
            &mut d,
            NODE,
            &BasaltProviders::unstakeCall {
                amount: U256::from(501)
            }
        )?),
        "InsufficientStake"
    );
    d.evm.set_block(25); // epoch 2
    let (_, logs) = d.evm.ok(
        NODE,
        d.providers,
        &BasaltProviders::unstakeCall {
            amount: U256::from(200),
        },
    )?;
    let asked = BasaltProviders::UnstakeRequested::decode_log(&logs[0])?;
    assert_eq!(
        (asked.stake, asked.unbondingUntilEpoch),
        (U256::from(300), 2 + UNBONDING_EPOCHS)
    );
    let unbonding = record(&mut d, NODE)?;
    assert_eq!(
        (unbonding.status, unbonding.unbondingAmount),
        (UNBONDING, U256::from(200))
    );
    assert!(
        !d.evm.ok(NODE, d.providers, &eligible)?.0,
        "an unbonding provider gets no new work"
    );

    d.evm.set_block(39); // epoch 3: one to go
    assert_eq!(
        name(&refusal(&mut d, NODE, &BasaltProviders::withdrawCall {})?),
        "StillUnbonding"
    );
    d.evm.set_block(40); // epoch 4
    let (_, logs) = d
        .evm
        .ok(NODE, d.providers, &BasaltProviders::withdrawCall {})?;
    assert!(logs
        .iter()
        .any(|l| BasaltProviders::StakeWithdrawn::decode_log(l)
            .is_ok_and(|e| e.amount == U256::from(200))));
    assert_eq!(balance(&mut d, NODE)?, U256::from(700));
    let back = record(&mut d, NODE)?;
    assert_eq!(
        (back.status, back.stake, back.unbondingAmount),
        (ACTIVE, U256::from(300), U256::ZERO)
    );
    assert_eq!(
        name(&refusal(&mut d, NODE, &BasaltProviders::withdrawCall {})?),
        "NothingUnbonding"
    );
    Ok(())
}

#[test]
fn a_provider_deregisters_only_with_nothing_bonded() -> Result<()> {
    let mut d = deploy()?;
    register(&mut d, NODE)?;
    d.evm.ok(
        NODE,
        d.providers,
        &BasaltProviders::stakeCall {
            amount: U256::from(150),
        },
    )?;
    assert_eq!(
        name(&refusal(&mut d, NODE, &BasaltProviders::deregisterCall {})?),
        "StakeRemaining"
    );
    d.evm.ok(
        NODE,
        d.providers,
        &BasaltProviders::unstakeCall {
            amount: U256::from(150),
        },
    )?;
    assert_eq!(
        name(&refusal(&mut d, NODE, &BasaltProviders::deregisterCall {})?),
        "StakeRemaining"
    );
    d.evm.set_block(EPOCH_BLOCKS * UNBONDING_EPOCHS);
    d.evm
        .ok(NODE, d.providers, &BasaltProviders::withdrawCall {})?;
    let (_, logs) = d
        .evm
        .ok(NODE, d.providers, &BasaltProviders::deregisterCall {})?;
    assert_eq!(
        BasaltProviders::ProviderDeregistered::decode_log(&logs[0])?.provider,
        NODE
    );
    assert_eq!(
        name(&refusal(&mut d, NODE, &BasaltProviders::heartbeatCall {})?),
        "ProviderNotFound"
    );
    assert_eq!(balance(&mut d, NODE)?, U256::from(1_000));
    // Registered again from scratch.
    register(&mut d, NODE)?;
    assert_eq!(record(&mut d, NODE)?.stake, U256::ZERO);
    Ok(())
}

#[test]
fn epoch_parameters_outside_the_rules_are_refused_at_deployment() -> Result<()> {
    let mut evm = Evm::new();
    for (epoch_blocks, unbonding) in [(0, 2), (1_512_001, 2), (10, 1), (10, 1_001)] {
        let args = BasaltProviders::constructorCall {
            stakeToken_: STRANGER,
            minStake_: U256::from(1),
            epochBlocks_: epoch_blocks,
            unbondingEpochs_: unbonding,
        };
        let refused = evm.deploy_reverts(FAUCET, &BasaltProviders::BYTECODE, &args.abi_encode())?;
        let error =
            <BasaltProvidersErrors as alloy::sol_types::SolInterface>::abi_decode(&refused)?;
        assert_eq!(
            name(&error),
            "InvalidEpochParams",
            "{epoch_blocks}, {unbonding}"
        );
    }
    Ok(())
}

/// The error's name, as the program's.
fn name(error: &BasaltProvidersErrors) -> String {
    format!("{error:?}")
        .split(['(', ' '])
        .next()
        .unwrap_or_default()
        .to_owned()
}
