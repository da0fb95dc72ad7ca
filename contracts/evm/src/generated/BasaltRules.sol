// SPDX-License-Identifier: Apache-2.0
// GENERATED from basalt-rules by programs/basalt-rules/tests/solidity.rs
// (BASALT_BLESS=1 cargo test -p basalt-rules --test solidity): do not edit.
pragma solidity ^0.8.24;

/// The protocol's constants, as the Solana program and the NEAR contract use them.
library BasaltRules {
    uint16 internal constant BPS = 10000;
    uint16 internal constant MAX_BLOB_SHARDS = 64;
    uint16 internal constant MAX_ENDPOINT_LEN = 128;
    uint16 internal constant MAX_REGION_LEN = 32;
    uint8 internal constant ROLE_STORAGE = 1;
    uint8 internal constant ROLE_COMPUTE = 2;
    uint64 internal constant MIN_UNBONDING_EPOCHS = 2;
    uint64 internal constant MAX_UNBONDING_EPOCHS = 1000;
    uint16 internal constant MAX_SLASH_BPS = 2000;
    uint16 internal constant MAX_BOUNTY_BPS = 5000;
    uint16 internal constant MAX_SLASHES_PER_EPOCH_LIMIT = 3;
    uint64 internal constant MAX_EPOCH_TICKS = 1512000;
    uint64 internal constant MAX_DEAL_EPOCHS_LIMIT = 1000000;
    uint64 internal constant REPAIR_CREDIT_EPOCHS = 1;
    uint8 internal constant ROLE_READ = 1;
    uint8 internal constant ROLE_WRITE = 2;
    uint8 internal constant ROLE_DELETE = 4;
    uint8 internal constant ROLE_ADMIN = 7;
    uint16 internal constant MAX_WRAPPED_KEY_LEN = 128;
    uint16 internal constant MAX_JOB_WORKERS = 16;
    uint16 internal constant MAX_JOB_APPLICANTS = 32;
    uint16 internal constant MAX_DATASET_NAME_LEN = 32;
    uint16 internal constant MAX_VERSION_TAG_LEN = 32;
    uint16 internal constant MAX_VERSION_MESSAGE_LEN = 256;
    uint16 internal constant MAX_VERSION_PARENTS = 8;
    uint32 internal constant MIN_LEAF_SIZE = 64;
    uint32 internal constant MAX_LEAF_SIZE = 4096;
    uint32 internal constant MAX_CHUNK_SIZE = 268435456;
    uint16 internal constant SOLANA_TX_MAX = 1232;
    uint16 internal constant PROOF_TX_OVERHEAD = 349;
}
