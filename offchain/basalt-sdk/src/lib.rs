//! Basalt client SDK: everything a wallet holder does with the network, over a stock
//! Solana RPC endpoint (local, devnet or mainnet) and the storage nodes it lists.
//!
//! - [`chain`]: signs and sends the program's instructions with the caller's own keys and
//!   reads its accounts.
//! - [`node`]: signed HTTP requests to one storage node, answers checked.
//! - [`put`] and [`get`]: the data path, as `docs/architecture.md` describes it.
//! - [`access`]: grant, revoke, delete.
//! - [`backend`]: what those ask a chain, answered by Solana's program and by the EVM
//!   contracts.
//! - [`dataset`]: pushing a directory as a dataset version, pulling one back.

pub mod access;
pub mod backend;
pub mod chain;
pub mod dataset;
pub mod get;
pub mod latency;
pub mod node;
pub mod put;

pub use backend::{ChainBackend, Grantee};
pub use chain::{ChainClient, ChainError};
pub use get::{get, get_from, GetError, GetOptions, GetReport, HolderReport};
pub use node::{NodeClient, NodeError};
pub use put::{
    put, put_on, BeforeRegister, JobPublicationTarget, PutError, PutOptions, PutReport, Registrar,
    Stored,
};
