//! The contracts in process: an EVM (revm) with the compiled bytecode deployed, called
//! through the `sol!` bindings (the first of the two test tiers; the second runs anvil).

mod anvil;
mod blobs;
mod config;
mod datasets;
mod deployment;
mod gas;
mod jobs;
mod providers;
mod request_auth;
mod token;
