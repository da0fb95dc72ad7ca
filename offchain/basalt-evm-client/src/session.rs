//! [`Session`]: one account's connection to a deployment over JSON-RPC, as the SDK and the
//! storage node use it: the protocol's addresses read once from its `BasaltConfig`,
//! transactions signed locally with the account's secp256k1 key, and refusals named as the
//! contracts declare them.
//!
//! Every transaction asks the node for its nonce: alloy's cached nonce is spent by a call
//! refused at its gas estimate, and the next transaction would then never mine.

use alloy::eips::BlockId;
use alloy::network::EthereumWallet;
use alloy::primitives::{Address, Bytes, B256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{Filter, TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use basalt_core::evm_auth::SigningKey;
use tokio::sync::OnceCell;

use crate::BasaltBlobs::BasaltBlobsErrors;
use crate::BasaltDatasets::BasaltDatasetsErrors;
use crate::BasaltProviders::BasaltProvidersErrors;
use crate::{BasaltBlobs, BasaltConfig, BasaltProviders};

/// Why a call through a [`Session`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A contract refused with one of its declared errors (its name).
    #[error("the Basalt contracts refused: {0}")]
    Refused(String),
    /// The endpoint failed, or a transaction failed without a named refusal.
    #[error("EVM RPC {url}: {why}")]
    Rpc { url: String, why: String },
}

/// Where the protocol lives, read once from its configuration contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    pub config: Address,
    pub token: Address,
    pub providers: Address,
    pub blobs: Address,
    pub epoch_blocks: u64,
    pub window_blocks: u64,
}

/// A blob read at one block: its record, its slots in index order, its deal.
#[derive(Debug, Clone)]
pub struct BlobRead {
    pub blob: BasaltBlobs::Blob,
    // INV: slots.len() == blob.k + blob.m
    pub slots: Vec<BasaltBlobs::Slot>,
    pub deal: BasaltBlobs::Deal,
    /// The block it was read at, and the contracts' epoch there.
    pub block: u64,
    pub epoch: u64,
}

/// One account on one deployment.
pub struct Session {
    url: String,
    /// Signs as the account; reads go through it too.
    rpc: DynProvider,
    me: Address,
    config: Address,
    /// The block the protocol was deployed at: its events start there.
    from_block: u64,
    deployment: OnceCell<Deployment>,
}

impl Session {
    /// The account of `key` on the deployment whose `BasaltConfig` is at `config`, deployed
    /// at block `from_block` or later, over the JSON-RPC endpoint `url`.
    ///
    /// # Errors
    ///
    /// When `url` is not a URL.
    pub fn new(
        url: &str,
        config: Address,
        from_block: u64,
        key: &SigningKey,
    ) -> Result<Self, SessionError> {
        let signer = PrivateKeySigner::from_signing_key(key.clone());
        let me = signer.address();
        let parsed = url.parse().map_err(|e| SessionError::Rpc {
            url: url.to_owned(),
            why: format!("not a URL: {e}"),
        })?;
        let rpc = ProviderBuilder::new()
            .with_simple_nonce_management()
            .wallet(EthereumWallet::from(signer))
            .connect_http(parsed)
            .erased();
        Ok(Self {
            url: url.to_owned(),
            rpc,
            me,
            config,
            from_block,
            deployment: OnceCell::new(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The provider that signs as the account.
    pub fn rpc(&self) -> &DynProvider {
        &self.rpc
    }

    /// The account's address.
    pub fn address(&self) -> Address {
        self.me
    }

    /// `BasaltConfig`'s address.
    pub fn config(&self) -> Address {
        self.config
    }

    /// An endpoint failure as a [`SessionError`].
    pub fn error(&self, why: impl std::fmt::Display) -> SessionError {
        SessionError::Rpc {
            url: self.url.clone(),
            why: why.to_string(),
        }
    }

    /// A failed call as a [`SessionError`]: the contract's error name when it refused.
    pub fn call_error(&self, e: &alloy::contract::Error) -> SessionError {
        match refusal(e) {
            Some(name) => SessionError::Refused(name),
            None => self.error(e),
        }
    }

    /// The contracts' addresses and epoch geometry (read once: they never change).
    ///
    /// # Errors
    ///
    /// When the configuration cannot be read or is not bound to its contracts yet.
    pub async fn deployment(&self) -> Result<Deployment, SessionError> {
        self.deployment
            .get_or_try_init(|| async {
                let config = BasaltConfig::new(self.config, &self.rpc);
                let (token, providers, blobs, epoch_blocks, window_blocks) = (
                    config.stakeToken(),
                    config.providers(),
                    config.blobs(),
                    config.epochBlocks(),
                    config.proofWindowBlocks(),
                );
                let (token, providers, blobs, epoch_blocks, window_blocks) = tokio::try_join!(
                    token.call(),
                    providers.call(),
                    blobs.call(),
                    epoch_blocks.call(),
                    window_blocks.call(),
                )
                .map_err(|e| self.error(format!("reading BasaltConfig at {}: {e}", self.config)))?;
                if blobs == Address::ZERO {
                    return Err(self.error(format!(
                        "the configuration at {} is not bound to its contracts yet",
                        self.config
                    )));
                }
                Ok(Deployment {
                    config: self.config,
                    token,
                    providers,
                    blobs,
                    epoch_blocks,
                    window_blocks,
                })
            })
            .await
            .copied()
    }

    /// The latest block's number.
    ///
    /// # Errors
    ///
    /// When the endpoint fails.
    pub async fn head(&self) -> Result<u64, SessionError> {
        self.rpc.get_block_number().await.map_err(|e| self.error(e))
    }

    /// Blob `id` with its slots and deal, all read at the latest block; `None` when it is
    /// not registered.
    ///
    /// # Errors
    ///
    /// When the endpoint fails.
    pub async fn read_blob(&self, id: B256) -> Result<Option<BlobRead>, SessionError> {
        let blobs = BasaltBlobs::new(self.deployment().await?.blobs, &self.rpc);
        let block = self.head().await?;
        let at = BlockId::number(block);
        let record = match blobs.blob(id).block(at).call().await {
            Ok(record) => record,
            Err(e) => match self.call_error(&e) {
                SessionError::Refused(name) if name == "BlobNotFound" => return Ok(None),
                other => return Err(other),
            },
        };
        let count = u16::try_from(u32::from(record.k) + u32::from(record.m))
            .map_err(|_| self.error("a blob with more than 65,535 shards"))?;
        let slots = futures::future::try_join_all((0..count).map(|index| {
            let call = blobs.slot(id, index).block(at);
            async move { call.call().await }
        }));
        let (slots, deal, epoch) = tokio::try_join!(
            slots,
            async { blobs.deal(id).block(at).call().await },
            async { blobs.currentEpoch().block(at).call().await },
        )
        .map_err(|e| self.error(e))?;
        Ok(Some(BlobRead {
            blob: record,
            slots,
            deal,
            block,
            epoch,
        }))
    }

    /// Sends `call` (its calldata) to `to` as the account and waits for its receipt.
    ///
    /// # Errors
    ///
    /// [`SessionError::Refused`] with the contract's error name; [`SessionError::Rpc`] when
    /// the endpoint fails or the transaction reverts without one.
    pub async fn send(
        &self,
        to: Address,
        call: Vec<u8>,
    ) -> Result<TransactionReceipt, SessionError> {
        let tx = TransactionRequest::default()
            .from(self.me)
            .to(to)
            .input(Bytes::from(call).into());
        let pending = self
            .rpc
            .send_transaction(tx)
            .await
            .map_err(|e| self.call_error(&alloy::contract::Error::from(e)))?;
        let receipt = pending.get_receipt().await.map_err(|e| self.error(e))?;
        if receipt.status() {
            Ok(receipt)
        } else {
            Err(self.error(format!("transaction {} reverted", receipt.transaction_hash)))
        }
    }

    /// Every account that registered as a provider up to block `to` (its events since the
    /// deployment), each once, whether or not it still is.
    ///
    /// # Errors
    ///
    /// When the endpoint fails.
    pub async fn registered_providers(&self, to: u64) -> Result<Vec<Address>, SessionError> {
        let filter = Filter::new()
            .address(self.deployment().await?.providers)
            .event_signature(BasaltProviders::ProviderRegistered::SIGNATURE_HASH)
            .from_block(self.from_block)
            .to_block(to);
        let logs = self
            .rpc
            .get_logs(&filter)
            .await
            .map_err(|e| self.error(e))?;
        let mut seen: Vec<Address> = logs
            .iter()
            .filter_map(|log| log.log_decode::<BasaltProviders::ProviderRegistered>().ok())
            .map(|log| log.inner.data.provider)
            .collect();
        seen.sort();
        seen.dedup();
        Ok(seen)
    }

    /// `who`'s registry record at block `at`; `None` when it is not registered.
    ///
    /// # Errors
    ///
    /// When the endpoint fails.
    pub async fn provider_record(
        &self,
        who: Address,
        at: BlockId,
    ) -> Result<Option<BasaltProviders::Provider>, SessionError> {
        let registry = BasaltProviders::new(self.deployment().await?.providers, &self.rpc);
        // `provider` is also the instance's own accessor: call the function by its call type.
        let call = registry
            .call_builder(&BasaltProviders::providerCall { who })
            .block(at);
        match call.call().await {
            Ok(record) => Ok(Some(record)),
            Err(e) => match self.call_error(&e) {
                SessionError::Refused(name) if name == "ProviderNotFound" => Ok(None),
                other => Err(other),
            },
        }
    }

    /// The events since the deployment up to block `to` that `filter` (an address and
    /// topics) selects.
    ///
    /// # Errors
    ///
    /// When the endpoint fails.
    pub async fn logs(
        &self,
        filter: Filter,
        to: u64,
    ) -> Result<Vec<alloy::rpc::types::Log>, SessionError> {
        let filter = filter.from_block(self.from_block).to_block(to);
        self.rpc.get_logs(&filter).await.map_err(|e| self.error(e))
    }
}

/// The name of the contract error a failed call reverted with, if it is one of the
/// protocol's.
pub fn refusal(e: &alloy::contract::Error) -> Option<String> {
    let debug = if let Some(decoded) = e.as_decoded_interface_error::<BasaltBlobsErrors>() {
        format!("{decoded:?}")
    } else if let Some(decoded) = e.as_decoded_interface_error::<BasaltProvidersErrors>() {
        format!("{decoded:?}")
    } else {
        format!(
            "{:?}",
            e.as_decoded_interface_error::<BasaltDatasetsErrors>()?
        )
    };
    // `Name(Name { .. })`: the variant's name.
    Some(debug.split('(').next().unwrap_or(&debug).to_owned())
}
