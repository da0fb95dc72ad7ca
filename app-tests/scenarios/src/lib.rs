//! The protocol's scenarios, written once against a chain-neutral driver ([`chain::Chain`]),
//! and the drivers that run them: [`near::NearChain`] runs the NEAR contract's built wasm
//! in NEAR's own runtime ([`near_vm`]); [`solana::SolanaChain`] runs the Solana program
//! natively hosted in solana-program-test; [`evm::EvmChain`] runs the Solidity contracts in
//! an in-process EVM (revm).

pub mod blob;
pub mod chain;
pub mod evm;
pub mod near;
pub mod near_vm;
pub mod scenarios;
pub mod solana;
