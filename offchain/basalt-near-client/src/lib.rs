//! Basalt's NEAR chain client: what the off-chain parts (storage nodes, workers, tools)
//! need from a NEAR deployment of `contracts/basalt-near`, over the standard NEAR JSON-RPC
//! (`near-jsonrpc-client`), exactly as they would talk to testnet or mainnet.
//!
//! - [`NearClient::view`]: a contract view, answered at the final block or at a block the
//!   caller pins, so that several reads of one decision see the same state (the NEAR
//!   counterpart of Solana's `getMultipleAccounts`).
//! - [`NearClient::call`]: a function call signed with the caller's own access key, sent
//!   and awaited; a refusal comes back as the contract's error name and message
//!   ([`NearError::Contract`]), the same names the Solana program uses.
//! - [`events`]: the contract's NEP-297 events out of an execution outcome, skipping
//!   receipts that failed (their logs survive but their state changes do not).
//! - [`follow`]: block by block, the transactions that reached the contract and their
//!   events, for an indexer following a NEAR deployment.
//!
//! No NEAR node or RPC endpoint can be reached from the machines this is built on, so its
//! tests answer from recorded JSON-RPC responses ([`replay`], behind the `replay` feature).

mod error;
pub mod events;
pub mod follow;
mod rpc;
mod tx;

#[cfg(feature = "replay")]
pub mod replay;

pub use error::{contract_panic, NearError};
pub use events::ContractEvent;
pub use follow::{BlockEvents, TxEvents};
pub use near_crypto::{InMemorySigner, PublicKey, SecretKey, Signer};
pub use near_primitives::types::AccountId;
pub use rpc::{BlockAt, NearClient};
pub use tx::{CallOutcome, FunctionCall};

/// The NEAR account that signs with ed25519 key `key` and holds no name: its implicit
/// account (the key in lowercase hex). Storage-node requests are signed by a bare key, so
/// this is the account whose grants and ownership a node checks.
pub fn implicit_account(key: &[u8; 32]) -> AccountId {
    let key = near_crypto::ED25519PublicKey(*key);
    near_primitives::utils::derive_near_implicit_account_id(&key)
}

/// The NEAR account of the Ethereum address `address`: its ETH-implicit account (`0x` and
/// the address in lowercase hex, NEP-518), which the holder of that address's secp256k1 key
/// controls. A request a node gets signed by an EVM account is this account's.
pub fn eth_implicit_account(address: &[u8; 20]) -> AccountId {
    let hex: String = address.iter().map(|b| format!("{b:02x}")).collect();
    format!("0x{hex}")
        .parse()
        .unwrap_or_else(|e| unreachable!("0x and 40 lowercase hex digits is an account id: {e}"))
}

#[cfg(test)]
mod tests {
    use near_primitives::account::id::AccountType;

    use super::*;

    #[test]
    fn an_eth_implicit_account_is_the_address_in_hex() {
        let account = eth_implicit_account(&[0xcd; 20]);
        assert_eq!(account.as_str(), format!("0x{}", "cd".repeat(20)));
        assert_eq!(account.get_account_type(), AccountType::EthImplicitAccount);
    }

    #[test]
    fn an_implicit_account_is_the_key_in_hex() {
        let account = implicit_account(&[0xab; 32]);
        assert_eq!(account.as_str(), "ab".repeat(32));
    }
}
