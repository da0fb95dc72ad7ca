//! An S3-compatible gateway to Basalt (issue 32; design in `docs/gateway.md`).
//!
//! - [`config`]: the TOML configuration; [`auth`]: the access keys, each a wallet, whose
//!   secrets `s3s` checks every SigV4 signature with.
//! - [`service`]: the S3 operations over [`index`] (the durable bucket and key index, with
//!   S3's listing rules) and [`network`] (objects as blobs through the SDK's put, get and
//!   delete, each blob beginning with its [`record`]; PUT bodies received to a [`spool`]).
//! - [`reclaim`]: paid blobs that nothing holds any more (replaced, deleted, aborted, left
//!   by a failed put or a crash) deleted from the network, durably.
//! - [`recover`]: the index rebuilt from the network alone (`basalt-gateway recover`).
//! - [`limits`]: the per-key rate limit, the body limit and the stall timeouts.
//! - [`server`]: the HTTP server (with the header deadline).

pub mod auth;
pub mod config;
pub mod index;
pub mod limits;
pub mod network;
pub mod reclaim;
pub mod record;
pub mod recover;
pub mod server;
pub mod service;
pub mod spool;

pub use auth::KeyRing;
pub use config::{AccessKey, ConfigError, GatewayConfig, LimitsConfig, StorageConfig};
pub use index::{BucketEntry, Index, IndexError, ListQuery, Listing, ObjectEntry, Piece};
pub use record::{ObjectRecord, RecordError};

/// Now, in Unix seconds (the index's and S3's timestamps).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
