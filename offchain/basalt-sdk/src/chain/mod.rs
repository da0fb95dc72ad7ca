//! The chain client: signs and sends Basalt and SPL Token instructions with the caller's own
//! keys, and reads the program's accounts, over JSON-RPC at `confirmed` commitment.
//!
//! - `send.rs`: one transaction, legacy or version 0 with a lookup table, confirmed.
//! - `batch.rs`: many transactions from one signer, pipelined (a prover's, a crank's).
//! - `events.rs`: the program's events in a confirmed transaction.
//! - `liveness.rs`: how long ago providers last heartbeat.
//! - `wallet.rs`: the slot, SOL balance and airdrops, token accounts.
//! - `program.rs`: the program's accounts, decoded, and provider registration.
//! - `jobs.rs`: compute jobs, read and driven by each role.
//! - `datasets.rs`: datasets and their versions.

mod batch;
mod datasets;
mod events;
mod jobs;
mod liveness;
mod program;
mod read;
mod send;
mod wallet;

use std::time::Duration;

use crate::latency::{Latencies, LatencyPolicy};
use basalt::anchor_lang::prelude::Pubkey;
use solana_commitment_config::CommitmentConfig;
use solana_instruction_error::InstructionError;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::Error as RpcError;
use solana_signature::Signature;
use solana_transaction_error::TransactionError;

pub use datasets::Publication;
pub use jobs::job_address;
pub use program::{blob_address, blob_id, ProviderRegistration};
pub use wallet::{associated_token_address, create_token_account};

/// Why a chain call failed, in terms a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The program refused the transaction with one of its own errors.
    #[error("the Basalt program refused: {message} ({name}, error {code})")]
    Program {
        code: u32,
        name: String,
        message: String,
    },
    /// The transaction failed for another on-chain reason (SPL Token, System, Anchor).
    #[error("transaction failed: {0}")]
    Transaction(TransactionError),
    /// The transaction's blockhash expired before it was confirmed: it will never land.
    #[error("transaction {0} expired before it was confirmed; nothing changed, send it again")]
    Expired(Signature),
    /// The transaction is larger than a packet.
    #[error("transaction is {size} bytes, over Solana's 1232-byte limit{hint}", hint = if *with_table { "" } else { " (the network's lookup table would make it fit: pass it)" })]
    TooLarge { size: usize, with_table: bool },
    /// An account the call needs does not exist.
    #[error("{what} {address} does not exist on this chain")]
    Missing { what: &'static str, address: Pubkey },
    /// An account exists but is not what it should be.
    #[error("{what} {address}: {why}")]
    Invalid {
        what: &'static str,
        address: Pubkey,
        why: String,
    },
    /// A confirmed transaction's record does not hold what the RPC always returns.
    #[error("transaction {signature} cannot be read back: {why}")]
    Unreadable { signature: Signature, why: String },
    /// The RPC endpoint accepted the read but did not answer it (nor its hedged copies)
    /// in time: it hangs, or a route to it does.
    #[error("RPC {url} did not answer {what} within {after:?}")]
    Stalled {
        url: String,
        what: &'static str,
        after: Duration,
    },
    /// The Basalt contracts of an EVM deployment refused the transaction (the error's
    /// name, as `contracts/evm/src/Errors.sol` declares it).
    #[error("the Basalt contracts refused: {name}")]
    Contract { name: String },
    /// An EVM JSON-RPC endpoint could not be reached, answered with an error, or a
    /// transaction failed without a named refusal.
    #[error("EVM RPC {url}: {why}")]
    Evm { url: String, why: String },
    /// The call names an account of a kind this chain does not have.
    #[error("{0}")]
    Unsupported(String),
    /// The RPC endpoint could not be reached or answered with an error.
    #[error("RPC {url}: {source}")]
    Rpc {
        url: String,
        #[source]
        source: Box<RpcError>,
    },
}

/// A connection to the chain at one RPC URL.
pub struct ChainClient {
    rpc: RpcClient,
    /// How fast this endpoint answers reads: when a read is hedged (`read.rs`).
    reads: Latencies,
}

/// The stake mint's decimals. Amounts on chain are in base units; the CLI shows them too.
pub const STAKE_MINT_DECIMALS: u8 = 6;

impl ChainClient {
    /// A client for `url` (an RPC URL; see `basalt` CLI's `--url` for the monikers).
    pub fn new(url: &str) -> Self {
        Self {
            rpc: RpcClient::new_with_timeout_and_commitment(
                url.to_owned(),
                Duration::from_secs(30),
                CommitmentConfig::confirmed(),
            ),
            reads: Latencies::new(LatencyPolicy::CHAIN_READ),
        }
    }

    /// The RPC URL this client talks to.
    pub fn url(&self) -> String {
        self.rpc.url()
    }

    /// The underlying RPC client, for reads this type does not wrap.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// The account at `address` at `confirmed`, or `None`.
    async fn account(
        &self,
        address: &Pubkey,
    ) -> Result<Option<solana_account::Account>, ChainError> {
        let read = || {
            self.rpc
                .get_account_with_commitment(address, CommitmentConfig::confirmed())
        };
        Ok(self.hedged("getAccountInfo", read).await?.value)
    }

    async fn account_data(
        &self,
        address: &Pubkey,
        what: &'static str,
    ) -> Result<Vec<u8>, ChainError> {
        let found = self.account(address).await?;
        found.map(|a| a.data).ok_or(ChainError::Missing {
            what,
            address: *address,
        })
    }

    fn rpc_error(&self, source: RpcError) -> ChainError {
        if let Some(tx_err) = source.get_transaction_error() {
            return program_error(tx_err);
        }
        ChainError::Rpc {
            url: self.rpc.url(),
            source: Box::new(source),
        }
    }
}

/// Names the program's own errors (with the program's error type, so names and messages
/// never drift from it); anything else stays a transaction error.
fn program_error(err: TransactionError) -> ChainError {
    if let TransactionError::InstructionError(_, InstructionError::Custom(code)) = &err {
        if let Some(e) = basalt::client::errors::program_error(*code) {
            return ChainError::Program {
                code: *code,
                name: e.name(),
                message: e.to_string(),
            };
        }
    }
    ChainError::Transaction(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use basalt::errors::BasaltError;

    #[test]
    fn program_errors_are_named_by_the_program() {
        let code = u32::from(BasaltError::NotAdmin);
        let err = program_error(TransactionError::InstructionError(
            0,
            InstructionError::Custom(code),
        ));
        match err {
            ChainError::Program { name, message, .. } => {
                assert_eq!(name, "NotAdmin");
                assert_eq!(message, BasaltError::NotAdmin.to_string());
            }
            other => panic!("expected a program error, got {other:?}"),
        }
        let foreign = program_error(TransactionError::InstructionError(
            0,
            InstructionError::Custom(1),
        ));
        assert!(matches!(foreign, ChainError::Transaction(_)));
    }
}
