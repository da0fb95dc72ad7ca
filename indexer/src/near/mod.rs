//! Following a Basalt NEAR deployment (`contracts/basalt-near`) into the same database the
//! Solana follower writes, through the same store code.
//!
//! - [`payload`]: a contract event (NEP-297 JSON) to its stored form, in the Solana
//!   program's names and encodings.
//! - [`follow`]: block by block over NEAR JSON-RPC (`basalt-near-client`), up to the latest
//!   final block; the cursor is a block height.
//!
//! How NEAR's records map onto the tables: a transaction's hash stands where a Solana
//! signature does, its inclusion block's height where a slot does, and an event's position
//! among the transaction's Basalt events where its inner-instruction position does. Every
//! block read is final, so events are written `finalized` at once (NEAR has no
//! confirmed-then-finalized stage to follow).
//!
//! One database indexes one deployment: the derived tables have no chain column, and a
//! blob registered on two chains would be two rows with one CID.

pub mod follow;
pub mod payload;

pub use follow::{NearFollowOptions, NearFollower};

use basalt_near_client::{BlockEvents, TxEvents};
use serde_json::json;

use crate::record::{TxRecord, Undecoded};

/// What the indexer keeps of `tx`, a transaction included in `block` that reached the
/// contract. Events that do not read (another version, unknown kind, wrong fields) are kept
/// aside as `undecoded`, with their JSON, never dropped.
pub fn tx_record(block: &BlockEvents, tx: &TxEvents) -> TxRecord {
    let mut record = TxRecord {
        signature: tx.hash.to_string(),
        slot: block.height,
        block_time: i64::try_from(block.timestamp_ns / 1_000_000_000).ok(),
        // A failed transaction can still have events: receipts that succeeded before the
        // failing one (a refund's) keep their effects on NEAR.
        error: tx.failure.clone(),
        events: Vec::new(),
        undecoded: Vec::new(),
        truncated_logs: false,
    };
    for (position, event) in tx.events.iter().enumerate() {
        let index = u32::try_from(position).unwrap_or(u32::MAX);
        match payload::record(&event.event, &event.version, &event.data) {
            Ok(stored) => record.events.push((index, stored)),
            Err(e) => record.undecoded.push(Undecoded {
                inner_index: index,
                reason: e.to_string(),
                data: json!({
                    "receipt": event.receipt.to_string(),
                    "log_index": event.log_index,
                    "event": event.event,
                    "version": event.version,
                    "data": event.data,
                })
                .to_string()
                .into_bytes(),
            }),
        }
    }
    record
}
