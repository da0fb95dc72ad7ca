//! The storage node's HTTP protocol, shared by the node (`basalt-node`) and its client
//! (`basalt-sdk`): the routes, and the JSON bodies of every answer that is not raw bytes.
//!
//! | method | route | request body | answer |
//! |---|---|---|---|
//! | PUT | [`SHARD_ROUTE`] | shard header ‖ shard data | [`PutShardAnswer`] (201 stored, 200 already there) |
//! | GET | [`SHARD_ROUTE`] | | shard header ‖ data; with `Range: bytes=a-b`, that range of the data (206) |
//! | HEAD | [`SHARD_ROUTE`] | | `Content-Length` and [`SHARD_ROOT_HEADER`] |
//! | DELETE | [`SHARD_ROUTE`] | | 204 |
//! | GET | [`LEAF_PROOF_ROUTE`] | | [`LeafProofAnswer`] |
//! | PUT | [`MANIFEST_ROUTE`] | encoded [`crate::StoredManifest`] | [`PutManifestAnswer`] |
//! | GET | [`MANIFEST_ROUTE`] | | the encoded manifest |
//! | POST | [`PLACEMENT_ROUTE`] | | 202: the node looks for its placement in the blob now |
//! | GET | [`STATS_ROUTE`] | | [`StatsAnswer`] |
//! | GET | [`HEALTH_ROUTE`] | | [`HealthAnswer`] (unsigned) |
//! | GET | [`METRICS_ROUTE`] | | Prometheus text (unsigned) |
//!
//! Every request but health and metrics is signed ([`crate::auth`]). Every refusal is an
//! [`ErrorAnswer`] with an HTTP status.

use serde::{Deserialize, Serialize};

use crate::{BlobId, Receipt, ReceiptError};

/// One shard of a blob (named by its [`BlobId`]): store, read, probe, delete.
pub const SHARD_ROUTE: &str = "/v1/shards/{blob}/{chunk}/{shard}";
/// A leaf of one shard with its Merkle path to the column root.
pub const LEAF_PROOF_ROUTE: &str = "/v1/shards/{blob}/{chunk}/{shard}/proof/{leaf}";
/// A blob's manifest.
pub const MANIFEST_ROUTE: &str = "/v1/manifests/{blob}";
/// Told by an uploader once the blob is registered: the node looks for its placement (to
/// accept it) at once instead of at its next pass.
pub const PLACEMENT_ROUTE: &str = "/v1/placements/{blob}";
/// Capacity, usage and terms.
pub const STATS_ROUTE: &str = "/v1/stats";
/// Liveness.
pub const HEALTH_ROUTE: &str = "/health";
/// Prometheus metrics.
pub const METRICS_ROUTE: &str = "/metrics";

/// Response header of a shard HEAD: the shard's Merkle root, lowercase hex.
pub const SHARD_ROOT_HEADER: &str = "x-basalt-shard-root";

/// The path of one shard.
pub fn shard_path(blob: &BlobId, chunk: u32, shard: u16) -> String {
    format!("/v1/shards/{blob}/{chunk}/{shard}")
}

/// The path of one leaf proof.
pub fn leaf_proof_path(blob: &BlobId, chunk: u32, shard: u16, leaf: u32) -> String {
    format!("/v1/shards/{blob}/{chunk}/{shard}/proof/{leaf}")
}

/// The path of a blob's manifest.
pub fn manifest_path(blob: &BlobId) -> String {
    format!("/v1/manifests/{blob}")
}

/// The path that tells a node a blob was registered.
pub fn placement_path(blob: &BlobId) -> String {
    format!("/v1/placements/{blob}")
}

/// The answer to a shard PUT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutShardAnswer {
    /// The node's signed receipt ([`Receipt::to_bytes`]), base64.
    pub receipt: String,
    /// The signing node's provider: base58 of its ed25519 key, or its EVM address (`0x`).
    pub node: String,
    /// False when the node already held the shard.
    pub stored: bool,
}

impl PutShardAnswer {
    /// The answer carrying `receipt`.
    pub fn new(receipt: &Receipt, stored: bool) -> Self {
        Self {
            receipt: data_encoding::BASE64.encode(&receipt.to_bytes()),
            node: receipt.node.to_string(),
            stored,
        }
    }

    /// The receipt, decoded but not yet verified ([`Receipt::verify`]).
    ///
    /// # Errors
    ///
    /// [`WireError`] when the field is not base64 or not a receipt.
    pub fn receipt(&self) -> Result<Receipt, WireError> {
        let bytes = data_encoding::BASE64
            .decode(self.receipt.as_bytes())
            .map_err(|e| WireError(format!("receipt is not base64: {e}")))?;
        Receipt::from_bytes(&bytes).map_err(|e: ReceiptError| WireError(e.to_string()))
    }
}

/// The answer to a manifest PUT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutManifestAnswer {
    /// False when the node already held it.
    pub stored: bool,
}

/// One leaf of a shard and its path to the column root: what `proof_submit` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafProofAnswer {
    pub chunk: u32,
    pub leaf_index: u32,
    /// The leaf's bytes, lowercase hex.
    pub leaf: String,
    /// Sibling hashes from the leaf up to the column root, lowercase hex.
    pub path: Vec<String>,
    /// The column root the path ends at, lowercase hex.
    pub column_root: String,
}

/// A node's capacity and usage, and the terms it accepts placements on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsAnswer {
    /// The node's address (base58).
    pub node: String,
    pub capacity_bytes: u64,
    pub used_bytes: u64,
    pub shards: u64,
    /// Shards found corrupt and waiting for repair.
    pub marked_for_repair: u64,
    pub terms: NodeTerms,
    /// What the node's prover did since the node started.
    #[serde(default)]
    pub proofs: ProofStats,
    /// What the node's crank did since the node started, and what it was paid.
    #[serde(default)]
    pub crank: CrankStats,
}

/// What a node's crank did since the node started. Amounts are in the stake token's base
/// units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrankStats {
    /// Settlements of this node's own shards that landed.
    pub settled_own: u64,
    /// What those settlements paid this node.
    pub paid: u128,
    /// Settlements of other holders' shards (left unsettled for a few epochs) that landed.
    pub settled_others: u64,
    /// Slashes of other holders' missed proofs that landed.
    pub slashed: u64,
    /// The bounties those slashes earned.
    pub bounty: u128,
    /// Shards of other holders, silent past the chain's `offline_ticks`, sent to repair.
    #[serde(default)]
    pub evicted: u64,
    /// Lost shards placed on a new holder.
    #[serde(default)]
    pub placed: u64,
    /// Crank transactions refused or not landed.
    pub failed: u64,
}

/// What a node's prover did since the node started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofStats {
    /// The latest epoch whose proof window the prover worked in.
    pub epoch: Option<u64>,
    /// Proofs the chain counted.
    pub proved: u64,
    /// Proofs the chain had counted already: sent again after a confirmation that came
    /// late, or before a restart.
    #[serde(default)]
    pub already_proven: u64,
    /// Shards whose proof could not be built from the data here (missing or corrupt).
    pub unprovable: u64,
    /// Proofs the chain refused or that did not land (sent again while the window is open).
    pub failed: u64,
    /// Shards a window closed on before they were proven.
    pub missed: u64,
}

/// The terms on which a node signs for a shard (accepts its placement on chain). A
/// placement outside them is left to lapse; the node loses nothing it stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeTerms {
    /// Least deal price per shard and epoch, in stake-token base units.
    pub min_price_per_shard_epoch: u64,
    /// Largest blob, in plain bytes, the node stores a shard of.
    pub max_blob_bytes: u64,
}

impl NodeTerms {
    /// Why a shard of a `blob_size`-byte blob whose deal pays `price_per_shard_epoch` is
    /// refused under these terms; `None` when it is accepted.
    pub fn refusal(&self, blob_size: u64, price_per_shard_epoch: u128) -> Option<String> {
        if blob_size > self.max_blob_bytes {
            return Some(format!(
                "the blob is {blob_size} bytes, over this node's {} byte limit",
                self.max_blob_bytes
            ));
        }
        (price_per_shard_epoch < u128::from(self.min_price_per_shard_epoch)).then(|| {
            format!(
                "the deal pays {price_per_shard_epoch} per shard and epoch, under this node's minimum of {}",
                self.min_price_per_shard_epoch
            )
        })
    }
}

/// The answer to a health probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthAnswer {
    /// `"ok"` while the node serves and reads its chain; `"degraded"` while its chain RPC
    /// fails or hangs: it then serves the reads it decided lately and refuses the rest.
    pub status: String,
    /// The node's address (base58).
    pub node: String,
    /// How the node's chain RPC answers.
    pub chain: crate::ChainLink,
}

/// Every refusal's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorAnswer {
    /// A stable, machine-readable code (`forbidden`, `not_found`, `bad_blob_id`, …).
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
}

/// An answer field that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WireError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_refuse_large_blobs_and_low_prices() {
        let terms = NodeTerms {
            min_price_per_shard_epoch: 10,
            max_blob_bytes: 1_000,
        };
        assert_eq!(terms.refusal(1_000, 10), None);
        assert!(terms
            .refusal(1_001, 10)
            .is_some_and(|why| why.contains("limit")));
        assert!(terms
            .refusal(1, 9)
            .is_some_and(|why| why.contains("minimum")));
    }

    #[test]
    fn paths_fill_the_route_templates() {
        let blob = BlobId::from_bytes([1; 32]);
        let fill = |route: &str| {
            route
                .replace("{blob}", &blob.to_string())
                .replace("{chunk}", "3")
                .replace("{shard}", "7")
                .replace("{leaf}", "9")
        };
        assert_eq!(shard_path(&blob, 3, 7), fill(SHARD_ROUTE));
        assert_eq!(leaf_proof_path(&blob, 3, 7, 9), fill(LEAF_PROOF_ROUTE));
        assert_eq!(manifest_path(&blob), fill(MANIFEST_ROUTE));
        assert_eq!(placement_path(&blob), fill(PLACEMENT_ROUTE));
    }
}
