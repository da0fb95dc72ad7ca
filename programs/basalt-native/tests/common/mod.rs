//! The test network lives in the crate (`basalt_native::harness`) so the cross-chain
//! scenarios use the same one.
pub use basalt_native::harness::*;
