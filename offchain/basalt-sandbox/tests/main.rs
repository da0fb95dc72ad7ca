//! The sandbox against real modules: the example jobs give their known answers, runs are
//! byte-identical across sandboxes, and every way a module can misbehave ends as a defined
//! failure rather than a host error.

mod common;
mod examples;
mod failures;
mod wasi;
