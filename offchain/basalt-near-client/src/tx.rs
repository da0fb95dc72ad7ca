//! Function calls to the Basalt contract, signed with the caller's own access key.

use near_crypto::Signer;
use near_jsonrpc_client::methods;
use near_jsonrpc_primitives::types::query::{QueryResponseKind, RpcQueryError};
use near_jsonrpc_primitives::types::transactions::RpcTransactionError;
use near_primitives::errors::{
    ActionErrorKind, FunctionCallError, InvalidTxError, TxExecutionError,
};
use near_primitives::gas::Gas;
use near_primitives::hash::CryptoHash;
use near_primitives::transaction::{
    Action, FunctionCallAction, SignedTransaction, Transaction, TransactionV0,
};
use near_primitives::types::{AccountId, Balance};
use near_primitives::views::TxExecutionStatus;
use near_primitives::views::{FinalExecutionOutcomeView, FinalExecutionStatus, QueryRequest};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{contract_panic, NearError};
use crate::events::{self, ContractEvent};
use crate::rpc::{block_reference, NearClient};

/// One call of a contract method: what to send with it.
#[derive(Debug, Clone)]
pub struct FunctionCall {
    pub method: String,
    /// JSON arguments.
    pub args: Vec<u8>,
    pub gas: Gas,
    /// Attached yoctoNEAR (a storage deposit, or the 1 yocto some methods require).
    pub deposit: Balance,
}

impl FunctionCall {
    /// Gas for one Basalt method: its heaviest measured call (`job_finalize` with three
    /// reveals) burns about 3.2 TGas in NEAR's runtime, so 30 TGas leaves ample margin and
    /// the unused part is refunded.
    pub const DEFAULT_GAS: Gas = Gas::from_teragas(30);

    /// `method` with `args` serialized to JSON, the default gas and no deposit.
    ///
    /// # Errors
    ///
    /// When `args` cannot be serialized to JSON.
    pub fn new(method: &str, args: &impl Serialize) -> Result<Self, serde_json::Error> {
        Ok(Self {
            method: method.to_owned(),
            args: serde_json::to_vec(args)?,
            gas: Self::DEFAULT_GAS,
            deposit: Balance::from_yoctonear(0),
        })
    }

    /// The same call with `yocto` yoctoNEAR attached.
    pub fn with_deposit(mut self, yocto: u128) -> Self {
        self.deposit = Balance::from_yoctonear(yocto);
        self
    }
}

/// What an executed call produced.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    pub tx: CryptoHash,
    /// The method's return value (JSON bytes; empty for `()`).
    pub value: Vec<u8>,
    /// The contract's events, in execution order.
    pub events: Vec<ContractEvent>,
    /// Gas burnt by the transaction and every receipt it caused.
    pub gas_burnt: u64,
}

impl CallOutcome {
    /// The return value decoded from JSON.
    ///
    /// # Errors
    ///
    /// [`NearError::Decode`] when it is not `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, NearError> {
        serde_json::from_slice(&self.value).map_err(|e| NearError::Decode {
            method: "return value".into(),
            why: e.to_string(),
        })
    }
}

/// How often a call is re-signed after its nonce or block hash went stale (another
/// process using the same key, or a slow RPC): each retry reads the key's nonce again.
const STALE_RETRIES: usize = 3;

impl NearClient {
    /// Signs `call` to the Basalt contract with `signer` (an access key of its account),
    /// sends it and waits until it has executed in a final block.
    ///
    /// # Errors
    ///
    /// [`NearError::Contract`] when the contract refused (nothing changed),
    /// [`NearError::Failed`] for other execution failures, [`NearError::UnknownKey`],
    /// [`NearError::Pending`] when the outcome is not known in time (the call may still
    /// execute), [`NearError::Rpc`] otherwise.
    pub async fn call(
        &self,
        signer: &Signer,
        call: FunctionCall,
    ) -> Result<CallOutcome, NearError> {
        let contract = self.contract.clone();
        self.call_on(signer, &contract, call).await
    }

    /// [`Self::call`] on another contract: the stake token's `ft_transfer_call`, which is
    /// how stake, deal escrow and job rewards reach the Basalt contract. The events
    /// returned are still the Basalt contract's.
    ///
    /// # Errors
    ///
    /// As [`Self::call`].
    pub async fn call_on(
        &self,
        signer: &Signer,
        receiver: &AccountId,
        call: FunctionCall,
    ) -> Result<CallOutcome, NearError> {
        let mut attempt = 0;
        loop {
            let signed = self.sign(signer, receiver, &call).await?;
            let tx = signed.get_hash();
            let request = methods::send_tx::RpcSendTransactionRequest {
                signed_transaction: signed,
                wait_until: TxExecutionStatus::Executed,
            };
            match self.rpc.call(request).await {
                Ok(response) => {
                    let Some(outcome) = response.final_execution_outcome else {
                        return Err(NearError::Pending { tx });
                    };
                    return self.outcome(&call.method, tx, outcome.into_outcome());
                }
                Err(e) => match e.handler_error() {
                    Some(RpcTransactionError::InvalidTransaction {
                        context: InvalidTxError::InvalidNonce { .. } | InvalidTxError::Expired,
                    }) if attempt < STALE_RETRIES => attempt += 1,
                    Some(RpcTransactionError::InvalidTransaction { context }) => {
                        return Err(NearError::Failed {
                            method: call.method.clone(),
                            why: context.to_string(),
                        })
                    }
                    // Even "not observed" may land later through another node: only a
                    // lookup by hash can tell.
                    Some(RpcTransactionError::TimeoutError(_)) => {
                        return Err(NearError::Pending { tx })
                    }
                    _ => return Err(self.rpc_error(e)),
                },
            }
        }
    }

    /// Builds and signs the transaction on the key's next nonce and a recent final block.
    async fn sign(
        &self,
        signer: &Signer,
        receiver: &AccountId,
        call: &FunctionCall,
    ) -> Result<SignedTransaction, NearError> {
        let account = signer.get_account_id();
        let key = signer.public_key();
        let request = methods::query::RpcQueryRequest {
            block_reference: block_reference(None),
            request: QueryRequest::ViewAccessKey {
                account_id: account.clone(),
                public_key: key.clone(),
            },
        };
        let response = self
            .rpc
            .call(request)
            .await
            .map_err(|e| match e.handler_error() {
                Some(
                    RpcQueryError::UnknownAccessKey { .. } | RpcQueryError::UnknownAccount { .. },
                ) => NearError::UnknownKey {
                    account: account.clone(),
                    key: key.to_string(),
                },
                _ => self.rpc_error(e),
            })?;
        let QueryResponseKind::AccessKey(access_key) = response.kind else {
            return Err(self.rpc_error("view_access_key answered something else"));
        };
        let nonce = access_key
            .nonce
            .checked_add(1)
            .ok_or_else(|| self.rpc_error("the access key's nonce is exhausted"))?;
        let transaction = Transaction::V0(TransactionV0 {
            signer_id: account,
            public_key: key,
            nonce,
            receiver_id: receiver.clone(),
            // The block the nonce was read at: recent and final, so the transaction stays
            // valid for the network's whole validity period.
            block_hash: response.block_hash,
            actions: vec![Action::FunctionCall(Box::new(FunctionCallAction {
                method_name: call.method.clone(),
                args: call.args.clone(),
                gas: call.gas,
                deposit: call.deposit,
            }))],
        });
        let (hash, _) = transaction.get_hash_and_size();
        let signature = signer.sign(hash.as_ref());
        Ok(SignedTransaction::new(signature, transaction))
    }

    /// Reads an execution outcome: the contract's refusal by name, or the value and events.
    fn outcome(
        &self,
        method: &str,
        tx: CryptoHash,
        outcome: FinalExecutionOutcomeView,
    ) -> Result<CallOutcome, NearError> {
        let gas_burnt = std::iter::once(&outcome.transaction_outcome)
            .chain(&outcome.receipts_outcome)
            .map(|o| o.outcome.gas_burnt.as_gas())
            .sum();
        match outcome.status {
            FinalExecutionStatus::SuccessValue(value) => Ok(CallOutcome {
                tx,
                value,
                events: events::from_outcome(&outcome.receipts_outcome, &self.contract),
                gas_burnt,
            }),
            FinalExecutionStatus::Failure(error) => Err(execution_error(method, &error)),
            FinalExecutionStatus::NotStarted | FinalExecutionStatus::Started => {
                Err(NearError::Pending { tx })
            }
        }
    }
}

fn execution_error(method: &str, error: &TxExecutionError) -> NearError {
    if let TxExecutionError::ActionError(action) = error {
        if let ActionErrorKind::FunctionCallError(FunctionCallError::ExecutionError(text)) =
            &action.kind
        {
            if let Some((name, message)) = contract_panic(text) {
                return NearError::Contract {
                    method: method.to_owned(),
                    name,
                    message,
                };
            }
        }
    }
    NearError::Failed {
        method: method.to_owned(),
        why: error.to_string(),
    }
}
