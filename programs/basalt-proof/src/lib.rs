//! Storage-proof verification shared by the Basalt on-chain programs and off-chain code.
//!
//! Everything a verifier needs to check a storage proof lives here, so the Solana program,
//! the NEAR contract and the off-chain nodes run exactly the same code:
//!
//! - [`layout`]: how a blob's bytes are cut into chunks, shards and Merkle leaves, and the
//!   arithmetic that keeps a storage proof inside one Solana transaction;
//! - [`hash`]: the domain-separated SHA-256 leaf and node hashes;
//! - [`merkle`]: root computation from a path, and a streaming root builder that needs no
//!   allocation;
//! - [`challenge`]: which (chunk, leaf) of a shard column is challenged for a given seed;
//! - [`proof`]: the storage-proof check itself;
//! - [`blob_id`]: a blob's on-chain name, its content digest bound to its owner.
//!
//! The crate is `no_std` and allocation-free so it builds unchanged for SBF and wasm.
#![cfg_attr(not(feature = "std"), no_std)]
// One exception: the syscall behind `hash::sha256v` on an upstream BPF build.
#![deny(unsafe_code)]

pub mod blob_id;
pub mod challenge;
pub mod dataset_id;
pub mod error;
pub mod hash;
pub mod layout;
pub mod merkle;
pub mod proof;
pub mod tx_budget;

pub use blob_id::blob_id;
pub use challenge::{derive_challenge, selection_draw, Challenge};
pub use dataset_id::{dataset_id, version_key};
pub use error::{LayoutError, ProofError};
pub use hash::{hash_leaf, hash_node, Hash, EMPTY_SUBTREE, LEAF_PREFIX, NODE_PREFIX};
pub use layout::BlobLayout;
pub use merkle::{compute_root, tree_depth, MerkleRootBuilder};
pub use proof::{commitment_root, verify_column_root, verify_storage_proof};
