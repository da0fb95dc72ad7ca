//! The records the store writes, whichever chain they come from: a transaction with its
//! decoded events ([`TxRecord`]), one event in its stored form ([`EventRecord`]), and an
//! event-tagged instruction that did not decode ([`Undecoded`]). The Solana follower
//! (`solana/`) and the NEAR follower (`near/`) both produce them; `db/` writes them.

use serde_json::Value;

/// Everything the indexer keeps of one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct TxRecord {
    pub signature: String,
    pub slot: u64,
    /// Unix seconds, when the RPC knows it.
    pub block_time: Option<i64>,
    /// Why the transaction failed on chain; a failed transaction has no events.
    pub error: Option<String>,
    /// Decoded events with their position among the transaction's inner instructions.
    pub events: Vec<(u32, EventRecord)>,
    /// Event-tagged inner instructions that did not decode.
    pub undecoded: Vec<Undecoded>,
    /// The log said it was truncated.
    pub truncated_logs: bool,
}

/// An inner instruction to the program that looked like an event but did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecoded {
    /// Position among the transaction's inner instructions (flattened, in order).
    pub inner_index: u32,
    pub reason: String,
    pub data: Vec<u8>,
}

/// An event ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// The event's type name (`BlobRegistered`, ...).
    pub kind: &'static str,
    pub payload: Value,
    /// Every address the event names, each once, in field order.
    pub accounts: Vec<String>,
}
