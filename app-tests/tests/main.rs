//! The integration tests, one module per file, linked into one binary: a binary per file
//! linked the whole dependency graph once per file.

mod access;
mod chain_outage;
mod crank;
mod datasets;
mod explorer;
mod gc;
mod gray;
mod job_determinism;
mod jobs;
mod proofs;
mod put_get;
mod repair;
mod s3_gateway;
mod stock_client;
