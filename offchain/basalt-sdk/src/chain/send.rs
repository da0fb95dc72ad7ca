//! Signing and sending: one transaction from the caller's keys, legacy or version 0 with a
//! lookup table, confirmed by polling.

use std::time::Duration;

use basalt::anchor_lang::prelude::Pubkey;
use basalt::anchor_lang::solana_program::instruction::Instruction;
use solana_address_lookup_table_interface::state::AddressLookupTable;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_message::{v0, AddressLookupTableAccount, Hash, VersionedMessage};
use solana_rpc_client::rpc_client::SerializableTransaction;
use solana_rpc_client_api::config::RpcSendTransactionConfig;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::Transaction;

use super::{program_error, ChainClient, ChainError};

/// Largest serialized transaction Solana accepts.
const PACKET_DATA_SIZE: usize = 1232;
/// Times a transaction is signed with a fresh blockhash before it is given up as expired.
pub(super) const ATTEMPTS: u32 = 3;

impl ChainError {
    /// The transaction never landed because its blockhash was stale: it expired first, or
    /// the preflight did not know it (`BlockhashNotFound`). Signed again with a fresh one,
    /// it may land.
    pub(super) fn wants_fresh_blockhash(&self) -> bool {
        matches!(
            self,
            ChainError::Expired(_)
                | ChainError::Transaction(
                    solana_transaction_error::TransactionError::BlockhashNotFound
                )
        )
    }
}

impl ChainClient {
    /// Signs `ixs` with `payer` (fee payer, first signer) and `signers`, sends them as one
    /// transaction and waits until it is confirmed.
    ///
    /// # Errors
    ///
    /// [`ChainError::Program`] with the program's own error when it refuses;
    /// [`ChainError::Transaction`] for other failures; [`ChainError::Rpc`] when the
    /// endpoint fails.
    pub async fn send(
        &self,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> Result<Signature, ChainError> {
        let all = signer_list(payer, signers);
        self.send_signed_afresh(|blockhash| {
            Ok(Transaction::new_signed_with_payer(
                ixs,
                Some(&payer.pubkey()),
                &all,
                blockhash,
            ))
        })
        .await
    }

    /// Signs with the latest blockhash (`sign`), sends and confirms; when the blockhash
    /// was stale (expired before the transaction landed, or already unknown to the
    /// preflight), signs again with a fresh one, up to [`ATTEMPTS`] times. A transaction
    /// that never landed changed nothing, so sending it again cannot apply it twice.
    async fn send_signed_afresh<T: SerializableTransaction>(
        &self,
        sign: impl Fn(Hash) -> Result<T, ChainError>,
    ) -> Result<Signature, ChainError> {
        let mut attempt = 1;
        loop {
            let blockhash = self
                .rpc
                .get_latest_blockhash()
                .await
                .map_err(|e| self.rpc_error(e))?;
            match self.send_and_confirm(&sign(blockhash)?).await {
                Err(e) if e.wants_fresh_blockhash() && attempt < ATTEMPTS => attempt += 1,
                other => return other,
            }
        }
    }

    /// Sends a signed transaction (after a preflight simulation, so a refusal comes back
    /// at once with the program's error) and polls its status every 50 ms until it is
    /// confirmed or its blockhash expires. The stock client polls every 500 ms, which
    /// would make every local transaction take half a second.
    async fn send_and_confirm(
        &self,
        tx: &impl SerializableTransaction,
    ) -> Result<Signature, ChainError> {
        let signature = self
            .rpc
            .send_transaction_with_config(
                tx,
                RpcSendTransactionConfig {
                    preflight_commitment: Some(CommitmentConfig::confirmed().commitment),
                    ..RpcSendTransactionConfig::default()
                },
            )
            .await
            .map_err(|e| self.rpc_error(e))?;
        let blockhash = tx.get_recent_blockhash();
        for attempt in 0u32.. {
            let status = self
                .rpc
                .get_signature_status_with_commitment(&signature, CommitmentConfig::confirmed())
                .await
                .map_err(|e| self.rpc_error(e))?;
            match status {
                Some(Ok(())) => return Ok(signature),
                Some(Err(e)) => return Err(program_error(e)),
                None => {}
            }
            // Every second, check that the transaction can still land. Once its blockhash
            // expired nothing can land any more, so one last look at its status tells
            // whether it did (just before): only then is it given up.
            if attempt % 20 == 19
                && !self
                    .rpc
                    .is_blockhash_valid(blockhash, CommitmentConfig::processed())
                    .await
                    .map_err(|e| self.rpc_error(e))?
                && self
                    .rpc
                    .get_signature_status_with_commitment(&signature, CommitmentConfig::processed())
                    .await
                    .map_err(|e| self.rpc_error(e))?
                    .is_none()
            {
                return Err(ChainError::Expired(signature));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        unreachable!("the loop only ends by returning")
    }

    /// Like [`ChainClient::send`], as a version-0 transaction that takes accounts from
    /// `lookup_table` when one is given: a wide blob's registration (one provider account
    /// per shard) only fits in one transaction that way.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`]; [`ChainError::Missing`] or [`ChainError::Invalid`] when
    /// the lookup table cannot be read; [`ChainError::TooLarge`] when the transaction does
    /// not fit even so.
    pub async fn send_with_lookup(
        &self,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
        lookup_table: Option<Pubkey>,
    ) -> Result<Signature, ChainError> {
        let tables = match lookup_table {
            Some(address) => vec![self.lookup_table(&address).await?],
            None => Vec::new(),
        };
        let all = signer_list(payer, signers);
        self.send_signed_afresh(|blockhash| {
            let message = v0::Message::try_compile(&payer.pubkey(), ixs, &tables, blockhash)
                .map_err(|e| ChainError::Invalid {
                    what: "transaction",
                    address: payer.pubkey(),
                    why: e.to_string(),
                })?;
            let tx = VersionedTransaction::try_new(VersionedMessage::V0(message), &all).map_err(
                |e| ChainError::Invalid {
                    what: "transaction signed by",
                    address: payer.pubkey(),
                    why: e.to_string(),
                },
            )?;
            let size = bincode::serialized_size(&tx).unwrap_or(u64::MAX) as usize;
            if size > PACKET_DATA_SIZE {
                return Err(ChainError::TooLarge {
                    size,
                    with_table: lookup_table.is_some(),
                });
            }
            Ok(tx)
        })
        .await
    }

    /// Reads an address lookup table.
    ///
    /// # Errors
    ///
    /// [`ChainError::Missing`] or [`ChainError::Invalid`].
    pub async fn lookup_table(
        &self,
        address: &Pubkey,
    ) -> Result<AddressLookupTableAccount, ChainError> {
        let data = self.account_data(address, "lookup table").await?;
        let table = AddressLookupTable::deserialize(&data).map_err(|e| ChainError::Invalid {
            what: "lookup table",
            address: *address,
            why: e.to_string(),
        })?;
        Ok(AddressLookupTableAccount {
            key: *address,
            addresses: table.addresses.to_vec(),
        })
    }
}

/// The fee payer first, then every other signer once.
fn signer_list<'a>(payer: &'a Keypair, signers: &[&'a Keypair]) -> Vec<&'a Keypair> {
    let mut all = vec![payer];
    all.extend(signers.iter().filter(|s| s.pubkey() != payer.pubkey()));
    all
}
