//! The integration tests, one module per file, linked into one binary: a binary per file
//! linked the whole dependency graph once per file.

mod common;

mod access;
mod datasets;
mod job_publication;
mod jobs;
mod providers;
mod storage;
