//! The integration tests, one module per file, linked into one binary: a binary per file
//! linked the whole dependency graph once per file.

mod common;

mod datasets;
mod evm_follow;
mod explorer;
mod follow;
mod near_follow;
mod reorg;
mod store;
mod typed_client;
