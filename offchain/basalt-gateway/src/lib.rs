//! An S3-compatible gateway to Basalt (issue 32; design in `docs/gateway.md`).
//!
//! - [`config`]: the TOML configuration; [`auth`]: the access keys, each a wallet, whose
//!   secrets `s3s` checks every SigV4 signature with.
//! - [`service`]: the S3 operations over [`index`] (the durable bucket and key index, with
//!   S3's listing rules) and [`network`] (objects as blobs through the SDK's put, get and
//!   delete, each blob beginning with its [`record`]; PUT bodies received to a [`spool`]).
//! - [`server`]: the HTTP server.

pub mod auth;
pub mod config;
pub mod index;
pub mod network;
pub mod record;
pub mod server;
pub mod service;
pub mod spool;

pub use auth::KeyRing;
pub use config::{AccessKey, ConfigError, GatewayConfig, StorageConfig};
pub use index::{BucketEntry, Index, IndexError, ListQuery, Listing, ObjectEntry, Piece};
pub use record::{ObjectRecord, RecordError};
