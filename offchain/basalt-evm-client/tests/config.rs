//! The configuration: the admin's parameter changes in force one epoch after they are
//! proposed, the admin role handed over in two steps, the protocol's contracts bound once,
//! and every parameter set and epoch geometry the shared rules refuse refused here too.

use alloy::primitives::{address, Address};
use alloy::sol_types::{SolCall, SolConstructor, SolEvent, SolInterface};
use anyhow::Result;
use basalt_evm_client::BasaltConfig::{self, BasaltConfigErrors, Params};

use crate::deployment::{
    config_args, deploy, name, params, Deployment, ADMIN, EPOCH_BLOCKS, STRANGER, TREASURY,
};

const NEW_ADMIN: Address = address!("000000000000000000000000000000000000ad01");

fn refusal<C: SolCall>(d: &mut Deployment, who: Address, call: &C) -> Result<String> {
    let to = d.config;
    crate::deployment::refusal::<C, BasaltConfigErrors>(d, who, to, call)
}

fn in_force(d: &mut Deployment) -> Result<Params> {
    Ok(d.evm
        .ok(STRANGER, d.config, &BasaltConfig::paramsCall {})?
        .0)
}

#[test]
fn a_parameter_change_takes_effect_one_epoch_after_its_proposal() -> Result<()> {
    let mut d = deploy()?;
    let mut changed = params();
    changed.min_stake = 200;
    let update = BasaltConfig::updateCall {
        params_: changed.clone(),
        newAdmin: Address::ZERO,
    };
    assert_eq!(refusal(&mut d, STRANGER, &update)?, "NotAdmin");
    let apply = BasaltConfig::applyParamsCall {};
    assert_eq!(refusal(&mut d, STRANGER, &apply)?, "NoPendingParams");

    d.evm.set_block(13);
    let (_, logs) = d.evm.ok(ADMIN, d.config, &update)?;
    let event = BasaltConfig::ConfigUpdated::decode_log(&logs[0])?;
    assert_eq!(
        (event.pendingParams.clone(), event.pendingParamsAt),
        (changed.clone(), 13 + EPOCH_BLOCKS)
    );
    assert_eq!(event.params, params(), "not in force yet");
    d.evm.set_block(12 + EPOCH_BLOCKS);
    assert_eq!(refusal(&mut d, STRANGER, &apply)?, "ParamsNotDue");
    assert_eq!(in_force(&mut d)?, params());

    // Anyone applies it once due: the admin cannot hold it back.
    d.evm.set_block(13 + EPOCH_BLOCKS);
    let (_, logs) = d.evm.ok(STRANGER, d.config, &apply)?;
    let event = BasaltConfig::ConfigUpdated::decode_log(&logs[0])?;
    assert_eq!(
        (event.params.clone(), event.pendingParamsAt),
        (changed.clone(), 0)
    );
    assert_eq!(in_force(&mut d)?, changed);
    assert_eq!(refusal(&mut d, STRANGER, &apply)?, "NoPendingParams");
    Ok(())
}

#[test]
fn the_admin_role_moves_only_when_the_proposed_admin_accepts() -> Result<()> {
    let mut d = deploy()?;
    let accept = BasaltConfig::acceptAdminCall {};
    assert_eq!(refusal(&mut d, NEW_ADMIN, &accept)?, "NotPendingAdmin");
    let update = BasaltConfig::updateCall {
        params_: params(),
        newAdmin: NEW_ADMIN,
    };
    d.evm.ok(ADMIN, d.config, &update)?;
    assert_eq!(refusal(&mut d, STRANGER, &accept)?, "NotPendingAdmin");
    let admin = |d: &mut Deployment| -> Result<Address> {
        Ok(d.evm.ok(STRANGER, d.config, &BasaltConfig::adminCall {})?.0)
    };
    assert_eq!(admin(&mut d)?, ADMIN, "proposed, not yet accepted");
    d.evm.ok(NEW_ADMIN, d.config, &accept)?;
    assert_eq!(admin(&mut d)?, NEW_ADMIN);
    assert_eq!(refusal(&mut d, ADMIN, &update)?, "NotAdmin");
    assert_eq!(refusal(&mut d, NEW_ADMIN, &accept)?, "NotPendingAdmin");
    Ok(())
}

#[test]
fn the_protocol_contracts_are_bound_once_by_the_admin() -> Result<()> {
    let mut d = deploy()?;
    let bind = BasaltConfig::bindCall {
        providers_: STRANGER,
        blobs_: STRANGER,
        jobs_: STRANGER,
    };
    assert_eq!(refusal(&mut d, STRANGER, &bind)?, "NotAdmin");
    assert_eq!(refusal(&mut d, ADMIN, &bind)?, "AlreadyBound");
    let bound = d
        .evm
        .ok(STRANGER, d.config, &BasaltConfig::providersCall {})?
        .0;
    assert_eq!(bound, d.providers);
    Ok(())
}

#[test]
fn every_parameter_set_the_rules_refuse_is_refused_at_deployment_and_update() -> Result<()> {
    let mut d = deploy()?;
    for (what, bad, rule) in basalt_rules::invalid_params!(Params, params()) {
        let want = name(&rule);
        let refused = d.evm.deploy_reverts(
            ADMIN,
            &BasaltConfig::BYTECODE,
            &config_args(d.token, bad.clone()),
        )?;
        assert_eq!(
            name(&BasaltConfigErrors::abi_decode(&refused)?),
            want,
            "deployment: {what}"
        );
        let update = BasaltConfig::updateCall {
            params_: bad,
            newAdmin: Address::ZERO,
        };
        assert_eq!(refusal(&mut d, ADMIN, &update)?, want, "update: {what}");
    }
    Ok(())
}

#[test]
fn the_epoch_geometry_is_what_the_rules_allow() -> Result<()> {
    let mut d = deploy()?;
    let max_window = d
        .evm
        .ok(
            STRANGER,
            d.config,
            &BasaltConfig::MAX_PROOF_WINDOW_BLOCKSCall {},
        )?
        .0;
    let max_epoch = basalt_rules::MAX_EPOCH_TICKS;
    for epoch in [0, 1, 2, 10, 257, max_epoch, max_epoch + 1] {
        for window in [0, 1, 4, 9, 10, 256, 257] {
            let args = BasaltConfig::constructorCall {
                stakeToken_: d.token,
                epochBlocks_: epoch,
                proofWindowBlocks_: window,
                treasury_: TREASURY,
                params_: params(),
            };
            let rule = basalt_rules::check_epoch_geometry(epoch, window, max_window);
            let bytecode = [&BasaltConfig::BYTECODE[..], &args.abi_encode()].concat();
            match rule {
                Ok(()) => {
                    d.evm.deploy(ADMIN, &bytecode, &[])?;
                }
                Err(e) => {
                    let refused = d.evm.deploy_reverts(ADMIN, &bytecode, &[])?;
                    assert_eq!(
                        name(&BasaltConfigErrors::abi_decode(&refused)?),
                        name(&e),
                        "epoch {epoch}, window {window}"
                    );
                }
            }
        }
    }
    Ok(())
}
