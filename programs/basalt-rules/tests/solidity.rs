//! The rules' constants for the EVM contracts: `contracts/evm/src/generated/BasaltRules.sol`
//! is generated from the constants themselves (the rules', and `basalt-proof`'s layout
//! bounds), so no contract retypes a number. This test
//! fails when the file is not what they generate; `BASALT_BLESS=1` writes it.

use std::path::Path;

use basalt_proof::layout::{MAX_CHUNK_SIZE, MAX_LEAF_SIZE, MIN_LEAF_SIZE};
use basalt_proof::tx_budget::{PROOF_TX_OVERHEAD, SOLANA_TX_MAX};
use basalt_rules::*;

/// Each constant the contracts use: its name, its Solidity type and its value here.
macro_rules! constants {
    ($($name:ident: $ty:literal),* $(,)?) => {
        [$((stringify!($name), $ty, u128::try_from($name).expect("a constant fits u128"))),*]
    };
}

fn solidity() -> String {
    let constants = constants![
        BPS: "uint16",
        MAX_BLOB_SHARDS: "uint16",
        MAX_ENDPOINT_LEN: "uint16",
        MAX_REGION_LEN: "uint16",
        ROLE_STORAGE: "uint8",
        ROLE_COMPUTE: "uint8",
        MIN_UNBONDING_EPOCHS: "uint64",
        MAX_UNBONDING_EPOCHS: "uint64",
        MAX_SLASH_BPS: "uint16",
        MAX_BOUNTY_BPS: "uint16",
        MAX_SLASHES_PER_EPOCH_LIMIT: "uint16",
        MAX_EPOCH_TICKS: "uint64",
        MAX_DEAL_EPOCHS_LIMIT: "uint64",
        REPAIR_CREDIT_EPOCHS: "uint64",
        ROLE_READ: "uint8",
        ROLE_WRITE: "uint8",
        ROLE_DELETE: "uint8",
        ROLE_ADMIN: "uint8",
        MAX_WRAPPED_KEY_LEN: "uint16",
        MAX_JOB_WORKERS: "uint16",
        MAX_JOB_APPLICANTS: "uint16",
        MAX_DATASET_NAME_LEN: "uint16",
        MAX_VERSION_TAG_LEN: "uint16",
        MAX_VERSION_MESSAGE_LEN: "uint16",
        MAX_VERSION_PARENTS: "uint16",
        MIN_LEAF_SIZE: "uint32",
        MAX_LEAF_SIZE: "uint32",
        MAX_CHUNK_SIZE: "uint32",
        SOLANA_TX_MAX: "uint16",
        PROOF_TX_OVERHEAD: "uint16",
    ];
    let mut out = String::from(
        "// SPDX-License-Identifier: Apache-2.0\n\
         // GENERATED from basalt-rules by programs/basalt-rules/tests/solidity.rs\n\
         // (BASALT_BLESS=1 cargo test -p basalt-rules --test solidity): do not edit.\n\
         pragma solidity ^0.8.24;\n\n\
         /// The protocol's constants, as the Solana program and the NEAR contract use them.\n\
         library BasaltRules {\n",
    );
    for (name, ty, value) in constants {
        let bits: u32 = ty.trim_start_matches("uint").parse().expect("a uint type");
        assert!(
            bits == 128 || value < 1u128 << bits,
            "{name} = {value} does not fit {ty}"
        );
        out.push_str(&format!("    {ty} internal constant {name} = {value};\n"));
    }
    out.push_str("}\n");
    out
}

#[test]
fn the_contracts_constants_are_generated_from_the_rules() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/evm/src/generated/BasaltRules.sol");
    let want = solidity();
    if std::env::var_os("BASALT_BLESS").is_some() {
        std::fs::write(&path, &want).expect("writing BasaltRules.sol");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is not what basalt-rules generates: run BASALT_BLESS=1 cargo test -p basalt-rules --test solidity",
        path.display()
    );
}
