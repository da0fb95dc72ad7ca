//! Contract views over NEAR JSON-RPC `query` (`call_function`).

use near_jsonrpc_client::errors::JsonRpcError;
use near_jsonrpc_client::{methods, JsonRpcClient};
use near_jsonrpc_primitives::types::query::{QueryResponseKind, RpcQueryError};
use near_primitives::hash::CryptoHash;
use near_primitives::types::{AccountId, BlockId, BlockReference, Finality, FunctionArgs};
use near_primitives::views::QueryRequest;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{contract_panic, NearError};

/// The block a view was answered at. Passing it to the next view of the same decision
/// makes both read the same state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockAt {
    pub height: u64,
    pub hash: CryptoHash,
}

/// The longest one RPC request may take.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A connection to one NEAR RPC endpoint, for one Basalt contract account.
#[derive(Clone)]
pub struct NearClient {
    pub(crate) rpc: JsonRpcClient,
    pub(crate) url: String,
    pub(crate) contract: AccountId,
}

impl NearClient {
    /// A client for the RPC endpoint `url` (e.g. `https://rpc.testnet.near.org`) and the
    /// Basalt contract deployed at `contract`.
    pub fn new(url: &str, contract: AccountId) -> Self {
        // Without a timeout a hung RPC holds a call forever. A `send_tx` waits for execution
        // (NEAR's own bound is 10 s), so this leaves it room.
        // The JSON content type `JsonRpcClient::new_client` sets; NEAR's RPC refuses
        // requests without it (415).
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            rpc: JsonRpcClient::with(http).connect(url),
            url: url.to_owned(),
            contract,
        }
    }

    /// The Basalt contract's account.
    pub fn contract(&self) -> &AccountId {
        &self.contract
    }

    /// The RPC endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn rpc_error(&self, why: impl std::fmt::Display) -> NearError {
        NearError::Rpc {
            url: self.url.clone(),
            why: why.to_string(),
        }
    }

    /// Calls the Basalt contract's view `method` with JSON `args`, at the final block or
    /// at `at`, and decodes its JSON answer.
    ///
    /// # Errors
    ///
    /// [`NearError::Contract`] when the view panics with a contract error,
    /// [`NearError::NoContract`] when nothing is deployed at the contract account,
    /// [`NearError::Decode`] for an answer of the wrong shape, [`NearError::Rpc`] otherwise.
    pub async fn view<A: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        args: &A,
        at: Option<BlockAt>,
    ) -> Result<(T, BlockAt), NearError> {
        self.view_of(&self.contract, method, args, at).await
    }

    /// [`Self::view`] on another contract (a NEP-141 token, for instance).
    ///
    /// # Errors
    ///
    /// As [`Self::view`].
    pub async fn view_of<A: Serialize, T: DeserializeOwned>(
        &self,
        contract: &AccountId,
        method: &str,
        args: &A,
        at: Option<BlockAt>,
    ) -> Result<(T, BlockAt), NearError> {
        let decode = |why: String| NearError::Decode {
            method: method.to_owned(),
            why,
        };
        let args = serde_json::to_vec(args).map_err(|e| decode(e.to_string()))?;
        let request = methods::query::RpcQueryRequest {
            block_reference: block_reference(at),
            request: QueryRequest::CallFunction {
                account_id: contract.clone(),
                method_name: method.to_owned(),
                args: FunctionArgs::from(args),
            },
        };
        let response = self
            .rpc
            .call(request)
            .await
            .map_err(|e| self.query_error(contract, method, e))?;
        let QueryResponseKind::CallResult(result) = response.kind else {
            return Err(decode("not a function call result".into()));
        };
        let value = serde_json::from_slice(&result.result).map_err(|e| {
            decode(format!(
                "{e} in {:?}",
                String::from_utf8_lossy(&result.result)
            ))
        })?;
        let at = BlockAt {
            height: response.block_height,
            hash: response.block_hash,
        };
        Ok((value, at))
    }

    /// `account`'s balance of the NEP-141 token at `token` (`ft_balance_of`).
    ///
    /// # Errors
    ///
    /// As [`Self::view`]; [`NearError::Decode`] when the token does not answer a
    /// decimal string.
    pub async fn ft_balance_of(
        &self,
        token: &AccountId,
        account: &AccountId,
        at: Option<BlockAt>,
    ) -> Result<u128, NearError> {
        let args = serde_json::json!({ "account_id": account });
        let (balance, _) = self
            .view_of::<_, String>(token, "ft_balance_of", &args, at)
            .await?;
        balance.parse().map_err(|_| NearError::Decode {
            method: "ft_balance_of".into(),
            why: format!("{balance:?} is not a token amount"),
        })
    }

    fn query_error(
        &self,
        contract: &AccountId,
        method: &str,
        error: JsonRpcError<RpcQueryError>,
    ) -> NearError {
        match error.handler_error() {
            Some(RpcQueryError::ContractExecutionError { vm_error, .. }) => {
                match contract_panic(vm_error) {
                    Some((name, message)) => NearError::Contract {
                        method: method.to_owned(),
                        name,
                        message,
                    },
                    None => NearError::Failed {
                        method: method.to_owned(),
                        why: vm_error.clone(),
                    },
                }
            }
            Some(RpcQueryError::UnknownAccount { .. } | RpcQueryError::NoContractCode { .. }) => {
                NearError::NoContract {
                    account: contract.clone(),
                }
            }
            _ => self.rpc_error(error),
        }
    }
}

pub(crate) fn block_reference(at: Option<BlockAt>) -> BlockReference {
    match at {
        Some(at) => BlockReference::BlockId(BlockId::Hash(at.hash)),
        // Final, not optimistic: a decision read from a block that is later dropped would
        // be a decision about state that never was.
        None => BlockReference::Finality(Finality::Final),
    }
}
