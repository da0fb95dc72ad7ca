//! The records the store writes, whichever chain they come from: a transaction with its
//! decoded events ([`TxRecord`]), one event in its stored form ([`EventRecord`]), and an
//! event-tagged instruction that did not decode ([`Undecoded`]). The Solana follower
//! (`solana/`), the NEAR follower (`near/`) and the EVM follower (`evm/`) produce them;
//! `db/` writes them. [`Fields`] builds a stored payload for the followers that translate
//! another chain's events into the Solana program's form.

use serde_json::{Map, Value};

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

/// Builds a payload field by field, collecting every address it names (accounts, blobs,
/// jobs) once, in field order.
#[derive(Default)]
pub(crate) struct Fields {
    payload: Map<String, Value>,
    accounts: Vec<String>,
}

impl Fields {
    pub(crate) fn value(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.payload.insert(name.to_owned(), value.into());
        self
    }

    /// A field that names an address, noted among the event's accounts.
    pub(crate) fn address(mut self, name: &str, address: String) -> Self {
        self.note(&address);
        self.value(name, address)
    }

    /// Notes an address the event names without a field of its own (inside a list or a
    /// nested value).
    pub(crate) fn note(&mut self, address: &str) {
        if !self.accounts.iter().any(|a| a == address) {
            self.accounts.push(address.to_owned());
        }
    }

    pub(crate) fn optional_address(self, name: &str, address: Option<String>) -> Self {
        match address {
            Some(a) => self.address(name, a),
            None => self.value(name, Value::Null),
        }
    }

    /// The record of event `kind` at chain position `slot` (a block height off Solana).
    pub(crate) fn done(self, kind: &'static str, slot: u64) -> EventRecord {
        let fields = self.value("slot", slot);
        EventRecord {
            kind,
            payload: Value::Object(fields.payload),
            accounts: fields.accounts,
        }
    }
}
