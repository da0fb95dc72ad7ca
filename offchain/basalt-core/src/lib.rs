//! Basalt's data plane without I/O: content IDs, chunking and Reed-Solomon coding, shard
//! Merkle trees, per-chunk encryption and key wrapping, the shard header and stored manifest,
//! signed requests and storage receipts, the storage node's wire protocol ([`wire`]), and
//! the rule that says whether a provider is up ([`liveness`]), and how a service's chain RPC
//! answers ([`chain_link`]); and dataset versions ([`dataset`]).
//!
//! The put path is [`BlobEncoder`] (bytes in, shards out, one chunk at a time); the get
//! path is [`ChunkDecoder`] / [`BlobReader`] (shards in, bytes out). Storage-proof
//! verification and layout arithmetic come from [`basalt_proof`], the crate the on-chain
//! programs use, re-exported here as [`proof`].
// Denied, not forbidden: `erasure::classic_kernels` alone allows it, for its SIMD kernels.
#![deny(unsafe_code)]

pub mod archive;
pub mod auth;
pub mod blob_id;
pub mod caller;
pub mod chain_link;
pub mod cid;
pub mod dataset;
pub mod decoder;
pub mod encoder;
pub mod encryption;
pub mod erasure;
pub mod evm_auth;
pub mod header;
pub mod liveness;
pub mod manifest;
pub mod merkle;
pub mod receipt;
pub mod recipient;
pub mod wire;

pub use auth::{AuthError, RequestAuth};
pub use basalt_proof as proof;
pub use basalt_proof::BlobLayout;
pub use blob_id::{BlobId, BlobIdError};
pub use caller::{Caller, CallerParseError, RequestKey, SignedRequest};
pub use chain_link::{Backoff, ChainLink, LinkMonitor};
pub use cid::{Cid, CidError, CidHasher};
pub use decoder::{BlobReader, ChunkDecoder, DecodeError, DecodedChunk, ShardSource};
pub use encoder::{
    encode_blob, plain_size, stored_size, BlobEncoder, BlobManifest, CheckedShard, EncodeError,
    EncodedChunk,
};
pub use encryption::{unwrap_key, wrap_key, ChunkCipher, CryptoError, DataKey};
pub use erasure::{Backend, ClassicKernel, ErasureCodec, ErasureError};
pub use header::{HeaderError, ShardHeader, HEADER_LEN};
pub use liveness::{Liveness, LivenessThresholds};
pub use manifest::{ManifestError, StoredManifest};
pub use merkle::{shard_root, BlobCommitment, MerkleTree, StorageProof};
pub use receipt::{Receipt, ReceiptError, ReceiptSignature, EVM_RECEIPT_LEN, RECEIPT_LEN};
pub use recipient::{unwrap_key_with, wrap_key_for, KeyRecipient, SECP256K1_WRAPPED_KEY_LEN};
