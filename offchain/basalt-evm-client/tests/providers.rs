//! The provider registry and staking: registration and its profile checks, bonding stake in
//! the ERC-20, unbonding over whole epochs, withdrawal, deregistration, and what the
//! protocol's contracts do to a provider (obligations, slashes, jail, eviction charges);
//! each refusal is the program's error by name and moves nothing.

use alloy::primitives::{Address, B256, U256};
use alloy::sol_types::{SolCall, SolEvent};
use anyhow::Result;
use basalt_evm_client::BasaltProviders::{self, BasaltProvidersErrors};
use basalt_evm_client::BasaltTestToken::BasaltTestTokenErrors;

use crate::deployment::{
    balance, deploy, deploy_with_stand_in, record, register, register_staked, Deployment, ACTIVE,
    EPOCH_BLOCKS, JAILED, NODE, PROTOCOL, STRANGER, TREASURY, UNBONDING, UNBONDING_EPOCHS, WALLET,
};

fn refusal<C: SolCall>(d: &mut Deployment, who: Address, call: &C) -> Result<String> {
    let to = d.providers;
    crate::deployment::refusal::<C, BasaltProvidersErrors>(d, who, to, call)
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
        assert_eq!(refused, want, "{call:?}");
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
    assert_eq!(again, "ProviderExists");
    let kept = record(&mut d, NODE)?;
    assert_eq!(
        (kept.endpoint.as_str(), kept.roles),
        ("http://127.0.0.1:9000", 3)
    );
    assert_eq!(
        refusal(&mut d, STRANGER, &BasaltProviders::heartbeatCall {})?,
        "ProviderNotFound"
    );
    Ok(())
}

#[test]
fn stake_bonds_unbonds_over_whole_epochs_and_comes_back() -> Result<()> {
    let mut d = deploy()?;
    assert_eq!(
        refusal(
            &mut d,
            NODE,
            &BasaltProviders::stakeCall {
                amount: U256::from(1)
            }
        )?,
        "ProviderNotFound"
    );
    register(&mut d, NODE)?;
    assert_eq!(
        refusal(
            &mut d,
            NODE,
            &BasaltProviders::stakeCall { amount: U256::ZERO }
        )?,
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
        refusal(
            &mut d,
            NODE,
            &BasaltProviders::unstakeCall {
                amount: U256::from(501)
            }
        )?,
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
        refusal(&mut d, NODE, &BasaltProviders::withdrawCall {})?,
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
        refusal(&mut d, NODE, &BasaltProviders::withdrawCall {})?,
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
        refusal(&mut d, NODE, &BasaltProviders::deregisterCall {})?,
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
        refusal(&mut d, NODE, &BasaltProviders::deregisterCall {})?,
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
        refusal(&mut d, NODE, &BasaltProviders::heartbeatCall {})?,
        "ProviderNotFound"
    );
    assert_eq!(balance(&mut d, NODE)?, U256::from(1_000));
    // Registered again from scratch.
    register(&mut d, NODE)?;
    assert_eq!(record(&mut d, NODE)?.stake, U256::ZERO);
    Ok(())
}

fn open_obligation(d: &mut Deployment, who: Address) -> Result<()> {
    let call = BasaltProviders::openObligationCall { who };
    d.evm.ok(PROTOCOL, d.providers, &call)?;
    Ok(())
}

/// A missed proof of `who`'s, cranked by `cranker`.
fn slash(who: Address, cranker: Address) -> BasaltProviders::slashMissedProofCall {
    BasaltProviders::slashMissedProofCall {
        who,
        cranker,
        subject: B256::repeat_byte(0xb1),
    }
}

fn slashed_event(logs: &[alloy::primitives::Log]) -> BasaltProviders::ProviderSlashed {
    logs.iter()
        .find_map(|l| BasaltProviders::ProviderSlashed::decode_log(l).ok())
        .map(|l| l.data)
        .expect("ProviderSlashed")
}

#[test]
fn only_the_protocol_counts_obligations_and_takes_stake() -> Result<()> {
    let mut d = deploy_with_stand_in()?;
    register_staked(&mut d, NODE, 500)?;
    // The attacks: a stranger (or the provider itself) opening an obligation the provider
    // never signed for, or slashing it, is refused and changes nothing.
    for who in [STRANGER, NODE] {
        let open = BasaltProviders::openObligationCall { who: NODE };
        assert_eq!(refusal(&mut d, who, &open)?, "NotProtocol");
        let call = slash(NODE, who);
        assert_eq!(refusal(&mut d, who, &call)?, "NotProtocol");
        let charge = BasaltProviders::chargeEvictionCall {
            who: NODE,
            amount: U256::from(100),
            to: who,
            subject: B256::ZERO,
        };
        assert_eq!(refusal(&mut d, who, &charge)?, "NotProtocol");
    }
    let kept = record(&mut d, NODE)?;
    assert_eq!(
        (kept.stake, kept.openObligations, kept.status),
        (U256::from(500), 0, ACTIVE)
    );

    open_obligation(&mut d, NODE)?;
    assert_eq!(record(&mut d, NODE)?.openObligations, 1);
    // With an obligation open, bonded stake stays at the minimum (100).
    let unstake = BasaltProviders::unstakeCall {
        amount: U256::from(401),
    };
    assert_eq!(refusal(&mut d, NODE, &unstake)?, "ObligationsOpen");
    assert_eq!(
        refusal(&mut d, NODE, &BasaltProviders::deregisterCall {})?,
        "ObligationsOpen"
    );
    let unstake = BasaltProviders::unstakeCall {
        amount: U256::from(400),
    };
    d.evm.ok(NODE, d.providers, &unstake)?;
    Ok(())
}

#[test]
fn a_missed_proof_slashes_pays_the_cranker_and_jails_until_the_term_passes() -> Result<()> {
    let mut d = deploy_with_stand_in()?;
    register_staked(&mut d, NODE, 500)?;
    open_obligation(&mut d, NODE)?;
    open_obligation(&mut d, NODE)?;
    d.evm.set_block(3 * EPOCH_BLOCKS + 5); // epoch 3

    let call = slash(NODE, NODE);
    assert_eq!(refusal(&mut d, PROTOCOL, &call)?, "SelfSlash");
    let call = slash(NODE, STRANGER);
    let (amount, logs) = d.evm.ok(PROTOCOL, d.providers, &call)?;
    // 10 % of 500, a fifth of it to the cranker.
    assert_eq!(amount, U256::from(50));
    let event = slashed_event(&logs);
    assert_eq!(
        (
            event.amount,
            event.bounty,
            event.beneficiary,
            event.reputation,
            event.jailedUntilEpoch
        ),
        (U256::from(50), U256::from(10), STRANGER, -1, 4)
    );
    assert_eq!(balance(&mut d, STRANGER)?, U256::from(10));
    assert_eq!(balance(&mut d, TREASURY)?, U256::from(40));
    let jailed = record(&mut d, NODE)?;
    assert_eq!(
        (
            jailed.status,
            jailed.stake,
            jailed.openObligations,
            jailed.reputation
        ),
        (JAILED, U256::from(450), 1, -1)
    );
    let eligible = BasaltProviders::isEligibleCall { who: NODE, role: 1 };
    assert!(
        !d.evm.ok(NODE, d.providers, &eligible)?.0,
        "a jailed provider gets no new work"
    );

    // A second miss in the same epoch: beyond max_slashes_per_epoch (1), no stake is
    // taken, but the shard still goes to repair (the obligation ends) and the jail holds.
    let (amount, logs) = d.evm.ok(PROTOCOL, d.providers, &call)?;
    assert_eq!(amount, U256::ZERO);
    assert_eq!(slashed_event(&logs).amount, U256::ZERO);
    let capped = record(&mut d, NODE)?;
    assert_eq!(
        (capped.stake, capped.openObligations, capped.reputation),
        (U256::from(450), 0, -2)
    );

    let unjail = BasaltProviders::unjailCall {};
    d.evm.set_block(4 * EPOCH_BLOCKS + 9); // the jail's last epoch
    assert_eq!(refusal(&mut d, NODE, &unjail)?, "CannotUnjail");
    d.evm.set_block(5 * EPOCH_BLOCKS);
    let (_, logs) = d.evm.ok(NODE, d.providers, &unjail)?;
    assert_eq!(
        BasaltProviders::ProviderUnjailed::decode_log(&logs[0])?.provider,
        NODE
    );
    assert_eq!(record(&mut d, NODE)?.status, ACTIVE);
    assert!(d.evm.ok(NODE, d.providers, &eligible)?.0);
    assert_eq!(refusal(&mut d, NODE, &unjail)?, "NotJailed");
    Ok(())
}

#[test]
fn a_jailed_provider_below_the_minimum_stays_jailed_until_it_stakes() -> Result<()> {
    let mut d = deploy_with_stand_in()?;
    register_staked(&mut d, NODE, 100)?;
    let call = slash(NODE, STRANGER);
    d.evm.ok(PROTOCOL, d.providers, &call)?;
    assert_eq!(record(&mut d, NODE)?.stake, U256::from(90));
    d.evm.set_block(2 * EPOCH_BLOCKS);
    let unjail = BasaltProviders::unjailCall {};
    assert_eq!(refusal(&mut d, NODE, &unjail)?, "CannotUnjail");
    let stake = BasaltProviders::stakeCall {
        amount: U256::from(10),
    };
    d.evm.ok(NODE, d.providers, &stake)?;
    d.evm.ok(NODE, d.providers, &unjail)?;
    assert_eq!(record(&mut d, NODE)?.status, ACTIVE);
    Ok(())
}

#[test]
fn unbonding_stake_stays_slashable_and_a_jail_keeps_it_unbonding() -> Result<()> {
    let mut d = deploy_with_stand_in()?;
    register_staked(&mut d, NODE, 200)?;
    let unstake = BasaltProviders::unstakeCall {
        amount: U256::from(200),
    };
    d.evm.ok(NODE, d.providers, &unstake)?;
    let call = slash(NODE, STRANGER);
    let (amount, _) = d.evm.ok(PROTOCOL, d.providers, &call)?;
    assert_eq!(amount, U256::from(20), "10 % of what is unbonding");
    let p = record(&mut d, NODE)?;
    assert_eq!(
        (p.stake, p.unbondingAmount, p.status),
        (U256::ZERO, U256::from(180), JAILED)
    );
    // The unbonding period still runs; the tokens left come back at its end.
    d.evm.set_block(UNBONDING_EPOCHS * EPOCH_BLOCKS);
    d.evm
        .ok(NODE, d.providers, &BasaltProviders::withdrawCall {})?;
    assert_eq!(balance(&mut d, NODE)?, U256::from(WALLET - 20));
    Ok(())
}

#[test]
fn an_eviction_charges_the_holder_up_to_what_it_has() -> Result<()> {
    let mut d = deploy_with_stand_in()?;
    register_staked(&mut d, NODE, 150)?;
    open_obligation(&mut d, NODE)?;
    let charge = |amount: u64| BasaltProviders::chargeEvictionCall {
        who: NODE,
        amount: U256::from(amount),
        to: PROTOCOL,
        subject: B256::repeat_byte(7),
    };
    let (charged, logs) = d.evm.ok(PROTOCOL, d.providers, &charge(40))?;
    assert_eq!(charged, U256::from(40));
    let event = logs
        .iter()
        .find_map(|l| BasaltProviders::ProviderCharged::decode_log(l).ok())
        .expect("ProviderCharged");
    assert_eq!((event.amount, event.to), (U256::from(40), PROTOCOL));
    let p = record(&mut d, NODE)?;
    assert_eq!(
        (p.stake, p.openObligations, p.status),
        (U256::from(110), 0, ACTIVE),
        "charged, not jailed"
    );
    let (charged, _) = d.evm.ok(PROTOCOL, d.providers, &charge(1_000))?;
    assert_eq!(charged, U256::from(110), "no more than it has");
    assert_eq!(balance(&mut d, PROTOCOL)?, U256::from(150));
    Ok(())
}
