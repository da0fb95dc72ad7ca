//! Block by block, the Basalt events of a NEAR deployment: what an indexer following NEAR
//! reads, over plain JSON-RPC (no NEAR Lake or indexer framework, which need more than an
//! RPC endpoint).
//!
//! For a block height: `block` lists the chunks; each chunk new in this block (its
//! `height_included` is the block's; older ones are repeated headers of missed chunks) is
//! read with `chunk`; every transaction in it that reaches the contract is looked up with
//! `tx` at `FINAL`, and its outcome gives the events ([`crate::events::from_outcome`]).
//!
//! A transaction reaches the contract when it calls the contract directly, or when it calls
//! the stake token's `ft_transfer_call` with the contract as `receiver_id` (how stake,
//! escrow and job rewards arrive). A call that reaches the contract through some other
//! contract's promise (a DAO proposal, a multisig) is not seen: finding those needs every
//! receipt's outcome, which plain RPC only gives per transaction.
//!
//! Events are attributed to the block their transaction was included in, so a follower's
//! cursor is a block height and a kill between two blocks resumes exactly. Heights with no
//! block (NEAR skips some) return `None`.

use near_jsonrpc_client::methods;
use near_jsonrpc_primitives::types::blocks::RpcBlockError;
use near_jsonrpc_primitives::types::chunks::ChunkReference;
use near_jsonrpc_primitives::types::transactions::TransactionInfo;
use near_primitives::hash::CryptoHash;
use near_primitives::types::{AccountId, BlockId, BlockReference, Finality};
use near_primitives::views::TxExecutionStatus;
use near_primitives::views::{ActionView, FinalExecutionStatus, SignedTransactionView};

use crate::error::NearError;
use crate::events::{self, ContractEvent};
use crate::rpc::NearClient;

/// One block's Basalt activity.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockEvents {
    pub height: u64,
    pub hash: CryptoHash,
    /// Block time, unix nanoseconds.
    pub timestamp_ns: u64,
    /// The transactions included in this block that reach the contract, in chunk order.
    pub transactions: Vec<TxEvents>,
}

/// One transaction that reached the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct TxEvents {
    pub hash: CryptoHash,
    pub signer: AccountId,
    /// Why the transaction failed, when it did (its events are then only those of
    /// receipts that still succeeded, such as a refund's).
    pub failure: Option<String>,
    pub events: Vec<ContractEvent>,
}

impl NearClient {
    /// The height of the latest final block: a follower reads up to it.
    ///
    /// # Errors
    ///
    /// [`NearError::Rpc`].
    pub async fn final_height(&self) -> Result<u64, NearError> {
        let request = methods::block::RpcBlockRequest {
            block_reference: BlockReference::Finality(Finality::Final),
        };
        let block = self
            .rpc
            .call(request)
            .await
            .map_err(|e| self.rpc_error(e))?;
        Ok(block.header.height)
    }

    /// The Basalt events of the transactions included at `height`, when a block exists
    /// there. `token` is the stake token whose `ft_transfer_call`s to the contract count.
    /// Read only heights at or below [`Self::final_height`]: above it, "no block" is not
    /// yet known to be final.
    ///
    /// # Errors
    ///
    /// [`NearError::Rpc`] (the caller retries the same height: nothing is skipped).
    pub async fn block_events(
        &self,
        height: u64,
        token: &AccountId,
    ) -> Result<Option<BlockEvents>, NearError> {
        let request = methods::block::RpcBlockRequest {
            block_reference: BlockReference::BlockId(BlockId::Height(height)),
        };
        let block = match self.rpc.call(request).await {
            Ok(block) => block,
            Err(e) if matches!(e.handler_error(), Some(RpcBlockError::UnknownBlock { .. })) => {
                return Ok(None)
            }
            Err(e) => return Err(self.rpc_error(e)),
        };
        let mut transactions = Vec::new();
        for header in block.chunks.iter().filter(|c| c.height_included == height) {
            let request = methods::chunk::RpcChunkRequest {
                chunk_reference: ChunkReference::ChunkHash {
                    chunk_id: header.chunk_hash,
                },
            };
            let chunk = self
                .rpc
                .call(request)
                .await
                .map_err(|e| self.rpc_error(e))?;
            for tx in chunk
                .transactions
                .iter()
                .filter(|t| self.reaches_contract(t, token))
            {
                transactions.push(self.tx_events(tx).await?);
            }
        }
        Ok(Some(BlockEvents {
            height,
            hash: block.header.hash,
            timestamp_ns: block.header.timestamp_nanosec,
            transactions,
        }))
    }

    fn reaches_contract(&self, tx: &SignedTransactionView, token: &AccountId) -> bool {
        if tx.receiver_id == self.contract {
            return true;
        }
        tx.receiver_id == *token
            && tx.actions.iter().any(|action| match action {
                ActionView::FunctionCall {
                    method_name, args, ..
                } if method_name == "ft_transfer_call" => {
                    serde_json::from_slice::<serde_json::Value>(args)
                        .ok()
                        .and_then(|a| {
                            a["receiver_id"]
                                .as_str()
                                .map(|r| r == self.contract.as_str())
                        })
                        .unwrap_or(false)
                }
                _ => false,
            })
    }

    async fn tx_events(&self, tx: &SignedTransactionView) -> Result<TxEvents, NearError> {
        let request = methods::tx::RpcTransactionStatusRequest {
            transaction_info: TransactionInfo::TransactionId {
                tx_hash: tx.hash,
                sender_account_id: tx.signer_id.clone(),
            },
            wait_until: TxExecutionStatus::Final,
        };
        let response = self
            .rpc
            .call(request)
            .await
            .map_err(|e| self.rpc_error(e))?;
        let outcome = response
            .final_execution_outcome
            .ok_or_else(|| self.rpc_error(format!("transaction {} has no outcome yet", tx.hash)))?
            .into_outcome();
        let failure = match &outcome.status {
            FinalExecutionStatus::Failure(error) => Some(error.to_string()),
            _ => None,
        };
        Ok(TxEvents {
            hash: tx.hash,
            signer: tx.signer_id.clone(),
            failure,
            events: events::from_outcome(&outcome.receipts_outcome, &self.contract),
        })
    }
}
