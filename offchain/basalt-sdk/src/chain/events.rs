//! The program's events in one confirmed transaction: what a crank reads back to learn
//! what its settle paid or its slash earned. Anchor's `emit_cpi!` records each event as
//! an inner instruction of the program to itself, which `getTransaction` returns.

use basalt::client::decode::{self, BasaltEvent};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client_api::config::RpcTransactionConfig;
use solana_signature::Signature;
use solana_transaction_status_client_types::option_serializer::OptionSerializer;
use solana_transaction_status_client_types::{
    EncodedTransaction, UiInstruction, UiMessage, UiTransactionEncoding,
};

use super::{ChainClient, ChainError};

impl ChainClient {
    /// The Basalt events that the confirmed transaction `signature` emitted, in order.
    ///
    /// # Errors
    ///
    /// [`ChainError::Rpc`] when the transaction cannot be read; [`ChainError::Unreadable`] when
    /// the answer lacks what `getTransaction` with encoding `json` always holds (status
    /// metadata, account keys, inner instructions) or an event does not decode.
    pub async fn events(&self, signature: &Signature) -> Result<Vec<BasaltEvent>, ChainError> {
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Json),
            commitment: Some(CommitmentConfig::confirmed()),
            max_supported_transaction_version: Some(0),
        };
        let tx = self
            .rpc
            .get_transaction_with_config(signature, config)
            .await
            .map_err(|e| self.rpc_error(e))?;
        let invalid = |why: &str| ChainError::Unreadable {
            signature: *signature,
            why: why.to_owned(),
        };
        let meta = tx
            .transaction
            .meta
            .as_ref()
            .ok_or_else(|| invalid("no status metadata"))?;
        let EncodedTransaction::Json(ui) = &tx.transaction.transaction else {
            return Err(invalid("not JSON-encoded"));
        };
        let UiMessage::Raw(message) = &ui.message else {
            return Err(invalid("a parsed message"));
        };
        // Inner instructions name their program by index into the static keys, then the
        // keys loaded from lookup tables (writable, then read-only).
        let mut keys: Vec<&str> = message.account_keys.iter().map(String::as_str).collect();
        if let OptionSerializer::Some(loaded) = &meta.loaded_addresses {
            keys.extend(loaded.writable.iter().map(String::as_str));
            keys.extend(loaded.readonly.iter().map(String::as_str));
        }
        let program = basalt::ID.to_string();
        let OptionSerializer::Some(inner) = &meta.inner_instructions else {
            return Err(invalid("no inner instructions recorded"));
        };
        let mut events = Vec::new();
        for ix in inner.iter().flat_map(|group| &group.instructions) {
            let UiInstruction::Compiled(ix) = ix else {
                continue;
            };
            if keys.get(usize::from(ix.program_id_index)) != Some(&program.as_str()) {
                continue;
            }
            let data = bs58::decode(&ix.data)
                .into_vec()
                .map_err(|e| invalid(&format!("instruction data is not base58: {e}")))?;
            if let Some(event) = decode::event(&data).map_err(|e| invalid(&e.to_string()))? {
                events.push(event);
            }
        }
        Ok(events)
    }
}
