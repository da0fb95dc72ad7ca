//! The contract's NEP-297 events (`EVENT_JSON:{"standard":"basalt",...}` log lines) out of
//! NEAR execution outcomes.
//!
//! Only receipts executed by the Basalt contract and ending in success count: a receipt
//! that fails keeps its logs in the outcome, but its state changes are rolled back, so its
//! events never happened. Logs that are not NEP-297, or belong to another standard (the
//! token's `nep141` transfers), are not Basalt events and are skipped.

use near_primitives::hash::CryptoHash;
use near_primitives::types::AccountId;
use near_primitives::views::{ExecutionOutcomeWithIdView, ExecutionStatusView};
use serde::Deserialize;

/// The NEP-297 `standard` the contract's events carry (`events.rs` in the contract).
pub const STANDARD: &str = "basalt";

/// Prefix NEP-297 puts before the JSON.
const EVENT_PREFIX: &str = "EVENT_JSON:";

/// One Basalt event as the contract logged it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractEvent {
    /// The receipt whose execution emitted it.
    pub receipt: CryptoHash,
    /// The block the receipt executed in.
    pub block_hash: CryptoHash,
    /// Position among the receipt's logs.
    pub log_index: u32,
    /// The event's version (`"1.0.0"`).
    pub version: String,
    /// The event kind, e.g. `blob_registered` (the Solana event names in snake case).
    pub event: String,
    /// The event's fields, as the contract wrote them.
    pub data: serde_json::Value,
}

#[derive(Deserialize)]
struct Nep297 {
    standard: String,
    version: String,
    event: String,
    #[serde(default)]
    data: serde_json::Value,
}

/// A log line's event, when it is a Basalt NEP-297 event.
pub fn parse_log(line: &str) -> Option<(String, String, serde_json::Value)> {
    let json = line.strip_prefix(EVENT_PREFIX)?;
    let event: Nep297 = serde_json::from_str(json).ok()?;
    (event.standard == STANDARD).then_some((event.version, event.event, event.data))
}

/// The Basalt events of `receipts` executed by `contract`, in execution order.
pub fn from_outcome(
    receipts: &[ExecutionOutcomeWithIdView],
    contract: &AccountId,
) -> Vec<ContractEvent> {
    receipts
        .iter()
        .filter(|r| &r.outcome.executor_id == contract && succeeded(&r.outcome.status))
        .flat_map(|r| {
            r.outcome
                .logs
                .iter()
                .enumerate()
                .filter_map(move |(index, line)| {
                    let (version, event, data) = parse_log(line)?;
                    Some(ContractEvent {
                        receipt: r.id,
                        block_hash: r.block_hash,
                        log_index: u32::try_from(index).unwrap_or(u32::MAX),
                        version,
                        event,
                        data,
                    })
                })
        })
        .collect()
}

fn succeeded(status: &ExecutionStatusView) -> bool {
    matches!(
        status,
        ExecutionStatusView::SuccessValue(_) | ExecutionStatusView::SuccessReceiptId(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_basalt_nep297_lines_are_events() {
        let ours = r#"EVENT_JSON:{"standard":"basalt","version":"1.0.0","event":"blob_deleted","data":{"blob":"x"}}"#;
        let (version, event, data) = parse_log(ours).expect("a basalt event");
        assert_eq!(
            (version.as_str(), event.as_str()),
            ("1.0.0", "blob_deleted")
        );
        assert_eq!(data["blob"], "x");
        let token =
            r#"EVENT_JSON:{"standard":"nep141","version":"1.0.0","event":"ft_transfer","data":[]}"#;
        assert_eq!(parse_log(token), None);
        assert_eq!(parse_log("Transfer 5 from a to b"), None);
        assert_eq!(parse_log("EVENT_JSON:{not json"), None);
    }
}
