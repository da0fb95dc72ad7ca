//! Finds the program's `emit_cpi!` events in a transaction fetched over RPC.
//!
//! Events are self-CPI inner instructions to the program whose data starts with Anchor's
//! event tag. They are read from `meta.innerInstructions`, not from the logs: logs are cut
//! at 10 KB, inner instructions are not. Truncated logs are still detected and reported,
//! since they are a sign that log-based tools see less than the indexer does.

use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::decode;
use solana_transaction_status_client_types::option_serializer::OptionSerializer;
use solana_transaction_status_client_types::{
    EncodedConfirmedTransactionWithStatusMeta, EncodedTransaction, UiInstruction, UiMessage,
};

use crate::record::{EventRecord, TxRecord, Undecoded};

/// Why a fetched transaction cannot be read at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExtractError {
    #[error("transaction {0} has no status metadata")]
    NoMeta(String),
    #[error("transaction {0} is not JSON-encoded (ask for encoding \"json\")")]
    Encoding(String),
    #[error("transaction {0} has no inner instructions recorded (the RPC does not keep them)")]
    NoInnerInstructions(String),
}

/// A record of a transaction that failed on chain, from the signature listing alone.
pub fn failed(signature: &str, slot: u64, block_time: Option<i64>, error: String) -> TxRecord {
    TxRecord {
        signature: signature.to_owned(),
        slot,
        block_time,
        error: Some(error),
        events: Vec::new(),
        undecoded: Vec::new(),
        truncated_logs: false,
    }
}

/// Reads the events `program` emitted in `tx`.
///
/// # Errors
///
/// [`ExtractError`] when the transaction lacks what every RPC node returns for a
/// `getTransaction` with encoding `json` (status metadata, inner instructions).
pub fn extract(
    signature: &str,
    tx: &EncodedConfirmedTransactionWithStatusMeta,
    program: &Pubkey,
) -> Result<TxRecord, ExtractError> {
    let meta = tx
        .transaction
        .meta
        .as_ref()
        .ok_or_else(|| ExtractError::NoMeta(signature.to_owned()))?;
    let mut record = TxRecord {
        signature: signature.to_owned(),
        slot: tx.slot,
        block_time: tx.block_time,
        error: meta.err.as_ref().map(|e| format!("{e:?}")),
        events: Vec::new(),
        undecoded: Vec::new(),
        truncated_logs: matches!(&meta.log_messages,
            OptionSerializer::Some(logs) if logs.iter().any(|l| l == "Log truncated")),
    };
    if record.error.is_some() {
        return Ok(record);
    }

    // Inner instructions name their program by index into the static keys followed by the
    // keys loaded from lookup tables (writable, then read-only).
    let EncodedTransaction::Json(ui) = &tx.transaction.transaction else {
        return Err(ExtractError::Encoding(signature.to_owned()));
    };
    let mut keys: Vec<&str> = match &ui.message {
        UiMessage::Raw(raw) => raw.account_keys.iter().map(String::as_str).collect(),
        UiMessage::Parsed(_) => return Err(ExtractError::Encoding(signature.to_owned())),
    };
    if let OptionSerializer::Some(loaded) = &meta.loaded_addresses {
        keys.extend(loaded.writable.iter().map(String::as_str));
        keys.extend(loaded.readonly.iter().map(String::as_str));
    }
    let program = program.to_string();

    let OptionSerializer::Some(inner) = &meta.inner_instructions else {
        return Err(ExtractError::NoInnerInstructions(signature.to_owned()));
    };
    let mut position = 0u32;
    for group in inner {
        for ix in &group.instructions {
            let here = position;
            position += 1;
            let UiInstruction::Compiled(ix) = ix else {
                continue;
            };
            if keys.get(usize::from(ix.program_id_index)) != Some(&program.as_str()) {
                continue;
            }
            let data = match bs58::decode(&ix.data).into_vec() {
                Ok(data) => data,
                Err(e) => {
                    record.undecoded.push(Undecoded {
                        inner_index: here,
                        reason: format!("instruction data is not base58: {e}"),
                        data: ix.data.clone().into_bytes(),
                    });
                    continue;
                }
            };
            match decode::event(&data) {
                Ok(Some(event)) => record.events.push((here, EventRecord::of(&event))),
                // A CPI into the program that is not an event.
                Ok(None) => {}
                Err(e) => record.undecoded.push(Undecoded {
                    inner_index: here,
                    reason: e.to_string(),
                    data,
                }),
            }
        }
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use basalt::anchor_lang::event::EVENT_IX_TAG_LE;
    use basalt::anchor_lang::Event;
    use basalt::events::ProviderHeartbeat;
    use serde_json::json;

    use super::*;

    /// A `getTransaction` answer (encoding json) with the given inner instructions, each
    /// `(program index, data)`; key 0 is the fee payer, key 1 the program, key 2 another
    /// program, key 3 comes from a lookup table.
    fn transaction(program: &Pubkey, inner: &[(u8, Vec<u8>)], logs: &[&str]) -> Value {
        let instructions: Vec<_> = inner
            .iter()
            .map(|(index, data)| {
                json!({
                    "programIdIndex": index,
                    "accounts": [],
                    "data": bs58::encode(data).into_string(),
                    "stackHeight": 2,
                })
            })
            .collect();
        json!({
            "slot": 77,
            "blockTime": 1_700_000_000,
            "transaction": {
                "signatures": ["sig"],
                "message": {
                    "accountKeys": [
                        Pubkey::new_unique().to_string(),
                        program.to_string(),
                        Pubkey::new_unique().to_string(),
                    ],
                    "header": {
                        "numRequiredSignatures": 1,
                        "numReadonlySignedAccounts": 0,
                        "numReadonlyUnsignedAccounts": 2,
                    },
                    "recentBlockhash": Pubkey::new_unique().to_string(),
                    "instructions": [],
                },
            },
            "meta": {
                "err": null,
                "status": {"Ok": null},
                "fee": 5000,
                "preBalances": [],
                "postBalances": [],
                "innerInstructions": [{"index": 0, "instructions": instructions}],
                "logMessages": logs,
                "loadedAddresses": {
                    "writable": [Pubkey::new_unique().to_string()],
                    "readonly": [],
                },
            },
            "version": 0,
        })
    }

    use serde_json::Value;

    fn parse(v: Value) -> EncodedConfirmedTransactionWithStatusMeta {
        serde_json::from_value(v).expect("a getTransaction answer")
    }

    fn heartbeat() -> Vec<u8> {
        let mut data = EVENT_IX_TAG_LE.to_vec();
        data.extend(
            ProviderHeartbeat {
                provider: Pubkey::new_unique(),
                slot: 77,
            }
            .data(),
        );
        data
    }

    #[test]
    fn events_are_read_from_the_programs_inner_instructions_only() {
        let program = Pubkey::new_unique();
        let tx = parse(transaction(
            &program,
            &[
                (1, heartbeat()),
                // The same bytes sent to another program are not our event.
                (2, heartbeat()),
                // A CPI into the program that is an instruction, not an event.
                (1, vec![1, 2, 3, 4, 5, 6, 7, 8]),
                (1, heartbeat()),
            ],
            &["Program log: hello"],
        ));
        let record = extract("sig", &tx, &program).unwrap();
        let positions: Vec<u32> = record.events.iter().map(|(i, _)| *i).collect();
        assert_eq!(positions, vec![0, 3]);
        assert_eq!(record.events[0].1.kind, "ProviderHeartbeat");
        assert!(record.undecoded.is_empty());
        assert_eq!((record.slot, record.block_time), (77, Some(1_700_000_000)));
        assert!(!record.truncated_logs);
    }

    #[test]
    fn unknown_and_malformed_events_are_kept_aside_and_truncated_logs_noticed() {
        let program = Pubkey::new_unique();
        let mut unknown = EVENT_IX_TAG_LE.to_vec();
        unknown.extend([0xEE; 8]);
        let truncated = heartbeat()[..20].to_vec();
        let tx = parse(transaction(
            &program,
            &[(1, unknown.clone()), (1, truncated), (1, heartbeat())],
            &["Program log: x", "Log truncated"],
        ));
        let record = extract("sig", &tx, &program).unwrap();
        assert_eq!(record.events.len(), 1);
        assert_eq!(record.events[0].0, 2);
        assert_eq!(record.undecoded.len(), 2);
        assert_eq!(record.undecoded[0].data, unknown);
        assert!(record.undecoded[0].reason.contains("unknown discriminator"));
        assert!(record.undecoded[1]
            .reason
            .contains("malformed ProviderHeartbeat"));
        assert!(record.truncated_logs);
    }

    #[test]
    fn a_program_key_from_a_lookup_table_is_resolved() {
        let program = Pubkey::new_unique();
        let mut v = transaction(&program, &[(3, heartbeat())], &[]);
        v["meta"]["loadedAddresses"]["writable"][0] = json!(program.to_string());
        let record = extract("sig", &parse(v), &program).unwrap();
        assert_eq!(record.events.len(), 1);
    }

    #[test]
    fn failed_transactions_have_no_events_and_broken_answers_are_errors() {
        let program = Pubkey::new_unique();
        let mut v = transaction(&program, &[(1, heartbeat())], &[]);
        v["meta"]["err"] = json!({"InstructionError": [0, {"Custom": 6000}]});
        let record = extract("sig", &parse(v), &program).unwrap();
        assert!(record.error.unwrap().contains("6000"));
        assert!(record.events.is_empty());

        let mut v = transaction(&program, &[], &[]);
        v["meta"] = Value::Null;
        assert_eq!(
            extract("sig", &parse(v), &program),
            Err(ExtractError::NoMeta("sig".into()))
        );
        let mut v = transaction(&program, &[], &[]);
        v["meta"]
            .as_object_mut()
            .unwrap()
            .remove("innerInstructions");
        assert!(matches!(
            extract("sig", &parse(v), &program),
            Err(ExtractError::NoInnerInstructions(_))
        ));
    }
}
