//! The OpenAPI document served at `/openapi.json`: its header and the event kinds. The
//! operations come from the handlers themselves (`#[utoipa::path]`), registered together
//! with their routes, so the document lists exactly what the router serves.

/// Every event kind the program emits (`kind` filter values).
pub const EVENT_KINDS: &[&str] = &[
    "ConfigInitialized",
    "ConfigUpdated",
    "ProviderRegistered",
    "ProviderUpdated",
    "StakeAdded",
    "UnstakeRequested",
    "StakeWithdrawn",
    "ProviderHeartbeat",
    "ProviderDeregistered",
    "ProviderUnjailed",
    "ProviderSlashed",
    "BlobRegistered",
    "ShardPlaced",
    "ShardAccepted",
    "ShardReleased",
    "ShardEvicted",
    "BlobActivated",
    "BlobAccessChanged",
    "BlobDeleted",
    "GrantCreated",
    "GrantRevoked",
    "DealFunded",
    "DealSettled",
    "DealRefunded",
    "ProofAccepted",
    "ProofMissed",
    "JobPosted",
    "JobApplied",
    "JobSelected",
    "JobCommitted",
    "JobRevealed",
    "JobFinalized",
    "JobWorkerSettled",
    "JobOutputRegistered",
    "DatasetCreated",
    "DatasetAccessChanged",
    "DatasetGrantCreated",
    "DatasetGrantRevoked",
    "VersionPublished",
    "VersionRetracted",
];

/// The document's header; utoipa adds every route's operation and the schemas they use
/// (`api/mod.rs`).
pub fn base() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{InfoBuilder, OpenApiBuilder};
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Basalt indexer API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Read-only views of the Basalt program's state, mirrored from the chain \
                     into PostgreSQL. Addresses are base58, hashes hex, amounts integers in base \
                     units. Every row carries the slot of its last change and `finalized`. An \
                     index of a NEAR deployment has the same fields: addresses are account IDs \
                     (a blob and its deal are named by the blob's CID, a job by \
                     `requester:nonce`), slots are block heights, and amounts in event payloads \
                     are decimal strings (u128).",
                ))
                .build(),
        )
        .build()
}
