//! The integration tests, one module per file, linked into one binary: a binary per file
//! linked the whole dependency graph once per file.

mod common;

mod cid_vectors;
mod header;
mod input_errors;
mod merkle;
mod proofs;
mod roundtrip;
