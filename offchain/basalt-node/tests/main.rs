//! The integration tests, one module per file, linked into one binary: a binary per file
//! linked the whole dependency graph once per file.

mod common;

mod evm_chain;
mod evm_node;
mod evm_sdk;
mod near_chain;
mod node;
