//! The integration tests, one module per file, linked into one binary: a binary per file
//! linked the whole dependency graph once per file.

mod evm;
mod invariants;
mod near;
mod solana;
