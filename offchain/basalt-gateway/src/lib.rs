//! An S3-compatible gateway to Basalt (issue 32; design in `docs/gateway.md`).
//!
//! Built so far: the configuration ([`config`]), the access keys as wallets and the S3
//! signature's secrets ([`auth`]), the durable bucket and key index with S3's listing rules
//! ([`index`]), and the object record each blob begins with, from which that index is
//! rebuilt ([`record`]). Next: the `s3s::S3` service over the SDK's put, get and delete.

pub mod auth;
pub mod config;
pub mod index;
pub mod record;

pub use auth::KeyRing;
pub use config::{AccessKey, ConfigError, GatewayConfig};
pub use index::{BucketEntry, Index, IndexError, ListQuery, Listing, ObjectEntry};
pub use record::{ObjectRecord, RecordError};
