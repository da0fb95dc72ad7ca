//! The Basalt local network: an embedded Solana chain with the program, initialized and
//! funded, for `basalt localnet`, `basalt demo` and the end-to-end tests.
//!
//! - [`chain`]: surfpool in process on 127.0.0.1 with the program as a native builtin (its
//!   SQLite account mirror wrapped by `account_mirror`, so closed accounts stay closed).
//! - [`bootstrap`]: admin, stake mint, Config and funded wallets, idempotently, with the
//!   operator's transactions in [`admin`].
//! - [`nodes`]: `basalt-node` child processes.
//! - [`workers`]: `basalt-worker` child processes, the compute providers.
//! - [`indexer`], [`postgres`]: the `basalt-indexer` child process and its database.
//! - [`gateway`]: the `basalt-gateway` child process, the S3 endpoint.
//! - [`network`]: all of it together, resumable, described in `localnet.json`.
//! - [`evm`]: the same on the EVM: anvil with the contracts, nodes, indexer.

mod account_mirror;
pub mod admin;
pub mod bootstrap;
pub mod chain;
pub mod evm;
pub mod gateway;
pub mod indexer;
pub mod network;
pub mod nodes;
pub mod postgres;
pub mod process;
pub mod workers;

pub use bootstrap::{fund_wallet, initialize, NetworkKeys, NetworkParams, SOL, TOKEN};
pub use chain::{redirect_program_stdout, ChainOptions, LocalChain};
pub use evm::{EvmLocalnet, EvmLocalnetOptions, EvmNetworkInfo};
pub use gateway::GatewayProcess;
pub use indexer::{IndexerLiveness, IndexerProcess};
pub use network::{GatewayInfo, GatewayOptions, Localnet, LocalnetOptions, NetworkInfo, NodeInfo};
pub use nodes::{NodeProcess, NodeSettings};
pub use workers::WorkerProcess;
