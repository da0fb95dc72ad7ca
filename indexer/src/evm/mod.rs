//! Following a Basalt EVM deployment (`contracts/evm`) into the same database the Solana and
//! NEAR followers write, through the same store code.
//!
//! - [`payload`]: a contract's log to its stored form, in the Solana program's names and
//!   encodings.
//! - [`follow`]: `eth_getLogs` over the deployment's contracts in block ranges, up to the
//!   chain's head; blocks above the chain's finalized block are written with undo records,
//!   and a reorg below the indexed head is rolled back and the canonical blocks applied in
//!   one transaction (`db::UnfinalizedBatch`).
//!
//! How the EVM's records map onto the tables: a transaction's hash stands where a Solana
//! signature does, its block number where a slot does, and a log's position among the
//! transaction's Basalt logs where an inner-instruction position does. The cursor is the
//! newest block read, by number and hash, under the configuration contract's address.
//!
//! One database indexes one deployment: the derived tables have no chain column.

pub mod follow;
pub mod payload;

pub use follow::{EvmFollowError, EvmFollowOptions, EvmFollower};
pub use payload::Contract;

use alloy::primitives::{Address, B256};
use alloy::rpc::types::Log;
use basalt_evm_client::alloy;
use serde_json::json;

use crate::record::{TxRecord, Undecoded};

/// The addresses of a deployment's contracts that log Basalt events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contracts {
    pub config: Address,
    pub providers: Address,
    pub blobs: Address,
    pub datasets: Address,
    pub jobs: Address,
}

impl Contracts {
    /// Every address, for `eth_getLogs`.
    pub fn addresses(&self) -> [Address; 5] {
        [
            self.config,
            self.providers,
            self.blobs,
            self.datasets,
            self.jobs,
        ]
    }

    /// Which contract `address` is, if one of them.
    pub fn contract(&self, address: Address) -> Option<Contract> {
        [
            (self.config, Contract::Config),
            (self.providers, Contract::Providers),
            (self.blobs, Contract::Blobs),
            (self.datasets, Contract::Datasets),
            (self.jobs, Contract::Jobs),
        ]
        .into_iter()
        .find_map(|(a, c)| (a == address).then_some(c))
    }
}

/// Why a log was refused before it could be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    #[error("the node returned a log without its {0}")]
    Missing(&'static str),
    #[error("the node returned a log of {0}, which is not one of the deployment's contracts")]
    Stranger(Address),
}

/// What the indexer keeps of `logs` (one block range's, from the deployment's contracts),
/// one record per transaction in chain order, with `block_time(number)` the block's Unix
/// time. A log that does not decode is kept aside as `undecoded`, with its topics and
/// data, never dropped.
///
/// # Errors
///
/// [`LogError`] for a log without its block, transaction or position, or from another
/// address: the node did not answer the filter asked, and nothing of the range is kept.
pub fn tx_records(
    contracts: &Contracts,
    logs: &[Log],
    block_time: impl Fn(u64) -> Option<i64>,
) -> Result<Vec<TxRecord>, LogError> {
    let mut located = Vec::with_capacity(logs.len());
    for log in logs {
        let block = log.block_number.ok_or(LogError::Missing("block number"))?;
        let tx = log
            .transaction_hash
            .ok_or(LogError::Missing("transaction hash"))?;
        let position = log.log_index.ok_or(LogError::Missing("log index"))?;
        let contract = contracts
            .contract(log.address())
            .ok_or(LogError::Stranger(log.address()))?;
        located.push((block, position, tx, contract, log));
    }
    // The node answers in chain order; sorting makes it a rule rather than an assumption.
    located.sort_by_key(|&(block, position, ..)| (block, position));

    let mut records: Vec<TxRecord> = Vec::new();
    let mut current: Option<B256> = None;
    for (block, position, tx, contract, log) in located {
        if current != Some(tx) {
            current = Some(tx);
            records.push(TxRecord {
                signature: tx.to_string(),
                slot: block,
                block_time: block_time(block),
                // A reverted transaction logs nothing: every transaction here succeeded.
                error: None,
                events: Vec::new(),
                undecoded: Vec::new(),
                truncated_logs: false,
            });
        }
        let Some(record) = records.last_mut() else {
            unreachable!("a record was pushed for this transaction")
        };
        let index = u32::try_from(record.events.len() + record.undecoded.len()).unwrap_or(u32::MAX);
        match payload::record(contract, &log.inner, block) {
            Ok(stored) => record.events.push((index, stored)),
            Err(e) => record.undecoded.push(Undecoded {
                inner_index: index,
                reason: e.to_string(),
                data: json!({
                    "address": payload::account(log.address()),
                    "log_index": position,
                    "topics": log.topics(),
                    "data": log.data().data,
                })
                .to_string()
                .into_bytes(),
            }),
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::LogData;
    use alloy::sol_types::SolEvent;
    use basalt_evm_client::BasaltProviders;

    const CONTRACTS: Contracts = Contracts {
        config: Address::repeat_byte(1),
        providers: Address::repeat_byte(2),
        blobs: Address::repeat_byte(3),
        datasets: Address::repeat_byte(4),
        jobs: Address::repeat_byte(5),
    };

    fn log(address: Address, data: LogData, block: u64, tx: u8, position: u64) -> Log {
        Log {
            inner: alloy::primitives::Log { address, data },
            block_hash: Some(B256::repeat_byte(0xbb)),
            block_number: Some(block),
            block_timestamp: None,
            transaction_hash: Some(B256::repeat_byte(tx)),
            transaction_index: Some(u64::from(tx)),
            log_index: Some(position),
            removed: false,
        }
    }

    fn heartbeat(provider: u8) -> LogData {
        BasaltProviders::ProviderHeartbeat {
            provider: Address::repeat_byte(provider),
        }
        .encode_log_data()
    }

    #[test]
    fn logs_become_one_record_per_transaction_in_chain_order() -> Result<(), LogError> {
        let mut garbled = heartbeat(9);
        garbled.data = vec![1, 2, 3].into();
        // Given out of order: the second transaction's logs first.
        let logs = [
            log(CONTRACTS.providers, heartbeat(3), 11, 0xb, 4),
            log(CONTRACTS.providers, heartbeat(1), 10, 0xa, 0),
            // Data where the event has none: kept aside, in its place.
            log(CONTRACTS.blobs, garbled, 10, 0xa, 1),
            log(CONTRACTS.providers, heartbeat(2), 10, 0xa, 2),
        ];
        let records = tx_records(&CONTRACTS, &logs, |n| {
            Some(i64::try_from(n).unwrap_or(0) * 100)
        })?;
        assert_eq!(records.len(), 2);
        let (first, second) = (&records[0], &records[1]);
        assert_eq!(first.signature, B256::repeat_byte(0xa).to_string());
        assert_eq!((first.slot, first.block_time), (10, Some(1_000)));
        let positions: Vec<u32> = first.events.iter().map(|(i, _)| *i).collect();
        assert_eq!(positions, [0, 2]);
        assert_eq!(first.undecoded.len(), 1);
        assert_eq!(first.undecoded[0].inner_index, 1);
        let kept: serde_json::Value = serde_json::from_slice(&first.undecoded[0].data)
            .unwrap_or_else(|e| panic!("the undecoded log's JSON: {e}"));
        assert_eq!(kept["data"], "0x010203");
        assert_eq!(
            second.events[0].1.payload["provider"],
            "0x".to_owned() + &"03".repeat(20)
        );
        Ok(())
    }

    #[test]
    fn a_log_from_elsewhere_or_without_its_place_is_refused() {
        let stranger = [log(Address::repeat_byte(0xee), heartbeat(1), 1, 1, 0)];
        assert_eq!(
            tx_records(&CONTRACTS, &stranger, |_| None),
            Err(LogError::Stranger(Address::repeat_byte(0xee)))
        );
        let mut unplaced = log(CONTRACTS.providers, heartbeat(1), 1, 1, 0);
        unplaced.log_index = None;
        assert_eq!(
            tx_records(&CONTRACTS, &[unplaced], |_| None),
            Err(LogError::Missing("log index"))
        );
    }
}
