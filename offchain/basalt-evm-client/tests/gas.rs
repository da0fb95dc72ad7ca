//! The gas of the methods the shared scenarios never call (the scenarios print the rest):
//! the configuration's, a profile update, a blob's and a dataset's access settings, a
//! dataset grant's revocation. Each call must succeed;
//! its gas is printed for the table in docs/evm.md.

use alloy::primitives::{Address, B256, U256};
use alloy::sol_types::SolCall;
use anyhow::{bail, Result};
use basalt_evm_client::in_process::{Evm, Outcome};
use basalt_evm_client::{BasaltBlobs, BasaltConfig, BasaltDatasets, BasaltProviders};

use crate::deployment::{deploy, params, register, ADMIN, EPOCH_BLOCKS, NODE};

/// Sends `call` and returns its gas; a revert fails the test.
fn gas<C: SolCall>(evm: &mut Evm, from: Address, to: Address, call: &C) -> Result<u64> {
    match evm.call(from, to, call)? {
        Outcome::Returned { gas_used, .. } => Ok(gas_used),
        Outcome::Reverted(data) => bail!("{} reverted: {data}", C::SIGNATURE),
    }
}

#[test]
fn gas_of_the_methods_no_scenario_calls() -> Result<()> {
    let mut d = deploy()?;
    let new_admin = Address::repeat_byte(0xad);
    let mut rows = Vec::new();
    let update = BasaltConfig::updateCall {
        params_: params(),
        newAdmin: new_admin,
    };
    rows.push((
        "BasaltConfig.update",
        gas(&mut d.evm, ADMIN, d.config, &update)?,
    ));
    d.evm.set_block(EPOCH_BLOCKS);
    let apply = BasaltConfig::applyParamsCall {};
    rows.push((
        "BasaltConfig.applyParams",
        gas(&mut d.evm, NODE, d.config, &apply)?,
    ));
    let accept = BasaltConfig::acceptAdminCall {};
    rows.push((
        "BasaltConfig.acceptAdmin",
        gas(&mut d.evm, new_admin, d.config, &accept)?,
    ));
    register(&mut d, NODE)?;
    let profile = BasaltProviders::updateCall {
        endpoint: "https://node.example".into(),
        region: "eu-central".into(),
        roles: 3,
        capacity: 1 << 40,
    };
    rows.push((
        "BasaltProviders.update",
        gas(&mut d.evm, NODE, d.providers, &profile)?,
    ));
    let blob = BasaltBlobs::registerCall {
        args: BasaltBlobs::BlobArgs {
            cidDigest: B256::repeat_byte(1),
            size: 100_000,
            chunkSize: 16 << 10,
            leafSize: 256,
            k: 4,
            m: 2,
            commitmentRoot: B256::repeat_byte(2),
            expiryEpoch: 10,
            isPublic: false,
            encrypted: false,
        },
    };
    let (id, _) = d.evm.ok(NODE, d.blobs, &blob)?;
    let access = BasaltBlobs::setAccessCall {
        id,
        isPublic: true,
        gateToken: d.token,
        gateMinBalance: U256::from(1),
    };
    rows.push((
        "BasaltBlobs.setAccess",
        gas(&mut d.evm, NODE, d.blobs, &access)?,
    ));
    let create = BasaltDatasets::createCall {
        name: "corpus".into(),
        isPublic: false,
    };
    let (dataset, _) = d.evm.ok(NODE, d.datasets, &create)?;
    let access = BasaltDatasets::setAccessCall {
        id: dataset,
        isPublic: true,
    };
    rows.push((
        "BasaltDatasets.setAccess",
        gas(&mut d.evm, NODE, d.datasets, &access)?,
    ));
    let grant = BasaltDatasets::createGrantCall {
        id: dataset,
        grantee: ADMIN,
        roles: 1,
        expiresAt: 0,
        wrappedKey: vec![7; 80].into(),
    };
    d.evm.ok(NODE, d.datasets, &grant)?;
    let revoke = BasaltDatasets::revokeGrantCall {
        id: dataset,
        grantee: ADMIN,
    };
    rows.push((
        "BasaltDatasets.revokeGrant",
        gas(&mut d.evm, NODE, d.datasets, &revoke)?,
    ));
    for (method, used) in rows {
        println!("{method:<34} {used:>9}");
    }
    Ok(())
}
