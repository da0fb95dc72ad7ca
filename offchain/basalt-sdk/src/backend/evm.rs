//! [`EvmBackend`]: the data path's chain side on the EVM contracts (`contracts/evm`),
//! signed by a secp256k1 key through `basalt_evm_client::session`.
//!
//! Where Solana registers, places and funds a blob in one transaction, the contracts take
//! four, in order: `register`, `place`, the stake token's `approve` (only when the
//! allowance is short) and `fundDeal`. A put that fails after the first says so
//! ([`PutError::Incomplete`]): the blob is registered and its owner may delete it.

use basalt_core::evm_auth::SigningKey;
use basalt_core::{BlobId, BlobManifest, Caller, Cid, KeyRecipient, RequestKey};
use basalt_evm_client::alloy::eips::{BlockId, BlockNumberOrTag};
use basalt_evm_client::alloy::primitives::{Address, Bytes, B256, U256};
use basalt_evm_client::alloy::providers::Provider;
use basalt_evm_client::alloy::rpc::types::Filter;
use basalt_evm_client::alloy::sol_types::{SolCall, SolEvent};
use basalt_evm_client::records::column_roots;
use basalt_evm_client::session::{Session, SessionError};
use basalt_evm_client::{BasaltBlobs, BasaltConfig, BasaltTestToken};
use basalt_rules::{HolderSilence, ROLE_STORAGE};
use futures::future::try_join_all;

use super::{BlobRecord, ChainBackend, SlotRecord, StorageProvider, Terms};
use crate::chain::ChainError;
use crate::put::{PutError, PutOptions, Registrar};

impl From<SessionError> for ChainError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Refused(name) => Self::Contract { name },
            SessionError::Rpc { url, why } => Self::Evm { url, why },
        }
    }
}

/// The Basalt contracts on an EVM chain, for one secp256k1 key.
pub struct EvmBackend {
    session: Session,
    key: RequestKey,
}

impl EvmBackend {
    /// The account of `key` on the deployment whose `BasaltConfig` is at `config`
    /// (deployed at block `from_block` or later), over the JSON-RPC endpoint `url`.
    ///
    /// # Errors
    ///
    /// When `url` is not a URL.
    pub fn new(
        url: &str,
        config: Address,
        from_block: u64,
        key: SigningKey,
    ) -> Result<Self, ChainError> {
        Ok(Self {
            session: Session::new(url, config, from_block, &key)?,
            key: RequestKey::Evm(key),
        })
    }

    /// The connection, for calls the data path does not make.
    pub fn session(&self) -> &Session {
        &self.session
    }

    async fn blobs(
        &self,
    ) -> Result<
        BasaltBlobs::BasaltBlobsInstance<&basalt_evm_client::alloy::providers::DynProvider>,
        ChainError,
    > {
        Ok(BasaltBlobs::new(
            self.session.deployment().await?.blobs,
            self.session.rpc(),
        ))
    }

    /// Sends `call` to the blobs contract.
    async fn send_blobs(&self, call: impl SolCall) -> Result<B256, ChainError> {
        let blobs = self.session.deployment().await?.blobs;
        let receipt = self.session.send(blobs, call.abi_encode()).await?;
        Ok(receipt.transaction_hash)
    }

    /// A block's timestamp.
    async fn block_time(&self, number: u64) -> Result<Option<u64>, ChainError> {
        let block = self
            .session
            .rpc()
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(|e| self.session.error(e))?;
        Ok(block.map(|b| b.header.timestamp))
    }

    /// Who holds a grant on blob `id` now: the grantees its events ever named, asked
    /// whether they still do.
    async fn grantees(&self, id: B256) -> Result<Vec<Address>, ChainError> {
        let blobs = self.blobs().await?;
        let head = self.session.head().await?;
        let filter = Filter::new()
            .address(*blobs.address())
            .event_signature(BasaltBlobs::GrantCreated::SIGNATURE_HASH)
            .topic1(id);
        let mut named: Vec<Address> = self
            .session
            .logs(filter, head)
            .await?
            .iter()
            .filter_map(|log| log.log_decode::<BasaltBlobs::GrantCreated>().ok())
            .map(|log| log.inner.data.grantee)
            .collect();
        named.sort();
        named.dedup();
        let at = BlockId::number(head);
        let held = try_join_all(named.into_iter().map(|grantee| {
            let call = blobs.grant(id, grantee).block(at);
            async move { call.call().await.map(|g| (g.roles != 0).then_some(grantee)) }
        }))
        .await
        .map_err(|e| self.session.call_error(&e))?;
        Ok(held.into_iter().flatten().collect())
    }
}

/// The EVM account a caller is.
///
/// # Errors
///
/// [`ChainError::Unsupported`] for an ed25519 key, which names no account here.
pub fn evm_account(caller: &Caller) -> Result<Address, ChainError> {
    match caller {
        Caller::Evm(address) => Ok(Address::from(*address)),
        Caller::Ed25519(_) => Err(ChainError::Unsupported(format!(
            "{caller} is an ed25519 key, which names no EVM account"
        ))),
    }
}

fn blob_key(id: &BlobId) -> B256 {
    B256::from(*id.as_bytes())
}

/// What landed before a put's later step failed.
fn incomplete(id: BlobId, step: &'static str) -> impl FnOnce(ChainError) -> PutError {
    move |source| PutError::Incomplete {
        id,
        step,
        source: Box::new(source),
    }
}

impl ChainBackend for EvmBackend {
    type Tx = B256;

    fn wallet(&self) -> &RequestKey {
        &self.key
    }

    async fn terms(&self) -> Result<Terms, ChainError> {
        let params = BasaltConfig::new(self.session.config(), self.session.rpc())
            .params()
            .call()
            .await
            .map_err(|e| self.session.call_error(&e))?;
        Ok(Terms {
            default_k: params.default_k,
            default_m: params.default_m,
            max_deal_epochs: params.max_deal_epochs,
        })
    }

    fn owner(&self, options: &PutOptions) -> Result<(Caller, KeyRecipient), PutError> {
        match options.registrar {
            Registrar::Owner => Ok((self.key.caller(), self.key.recipient())),
            _ => Err(PutError::Invalid(
                "a job's output is registered by its worker on the chain the job runs on; \
                 on the EVM a put stores the wallet's own blobs"
                    .into(),
            )),
        }
    }

    fn blob_id(&self, owner: &Caller, cid: &Cid) -> Result<BlobId, PutError> {
        let owner = evm_account(owner)?;
        let id = basalt_evm_client::blob_id(owner, B256::from(*cid.digest()));
        Ok(BlobId::from_bytes(id.0))
    }

    async fn storage_providers(&self) -> Result<Vec<StorageProvider>, ChainError> {
        let head = self.session.head().await?;
        let registry = basalt_evm_client::BasaltProviders::new(
            self.session.deployment().await?.providers,
            self.session.rpc(),
        );
        let at = BlockId::number(head);
        let now = self.block_time(head).await?.unwrap_or_default();
        let seen = self.session.registered_providers(head).await?;
        let judged = try_join_all(seen.into_iter().map(|who| {
            let registry = &registry;
            async move {
                let eligible = registry
                    .isEligible(who, ROLE_STORAGE)
                    .block(at)
                    .call()
                    .await
                    .map_err(|e| self.session.call_error(&e))?;
                if !eligible {
                    return Ok::<_, ChainError>(None);
                }
                let Some(record) = self.session.provider_record(who, at).await? else {
                    return Ok(None);
                };
                let heard = HolderSilence {
                    last_heartbeat: record.lastHeartbeatBlock,
                    registered: record.registeredBlock,
                }
                .last_sign_of_life();
                // By the chain's clock, as on Solana: the latest block's time less the
                // time of the block it was last heard in.
                let silence = self
                    .block_time(heard)
                    .await?
                    .map(|at| now.saturating_sub(at));
                Ok(Some(StorageProvider {
                    id: Caller::Evm(who.0 .0),
                    endpoint: record.endpoint,
                    silence,
                }))
            }
        }))
        .await?;
        Ok(judged.into_iter().flatten().collect())
    }

    async fn blob(&self, id: &BlobId) -> Result<Option<BlobRecord>, ChainError> {
        let Some(read) = self.session.read_blob(blob_key(id)).await? else {
            return Ok(None);
        };
        let b = &read.blob;
        Ok(Some(BlobRecord {
            owner: Caller::Evm(b.owner.0 .0),
            cid_digest: b.cidDigest.0,
            size: b.size,
            chunk_size: b.chunkSize,
            leaf_size: b.leafSize,
            k: b.k,
            m: b.m,
            chunk_count: b.chunkCount,
            encrypted: b.encrypted,
            commitment_root: b.commitmentRoot.0,
            slots: read
                .slots
                .iter()
                .map(|s| SlotRecord {
                    provider: s.holder().map(|a| Caller::Evm(a.0 .0)),
                    column_root: s.columnRoot.0,
                    accepted: s.accepted,
                })
                .collect(),
        }))
    }

    async fn endpoints(&self, providers: &[Caller]) -> Result<Vec<Option<String>>, ChainError> {
        let at = BlockId::number(self.session.head().await?);
        try_join_all(providers.iter().map(|caller| async move {
            let Ok(who) = evm_account(caller) else {
                return Ok(None);
            };
            Ok(self
                .session
                .provider_record(who, at)
                .await?
                .map(|record| record.endpoint))
        }))
        .await
    }

    async fn register(
        &self,
        id: &BlobId,
        manifest: &BlobManifest,
        holders: &[Caller],
        options: &PutOptions,
    ) -> Result<B256, PutError> {
        let holders = holders
            .iter()
            .map(evm_account)
            .collect::<Result<Vec<_>, _>>()?;
        let deployment = self.session.deployment().await.map_err(ChainError::from)?;
        let epoch = self
            .blobs()
            .await?
            .currentEpoch()
            .call()
            .await
            .map_err(|e| ChainError::from(self.session.call_error(&e)))?;
        let amount = crate::put::deal_amount(options, holders.len())?;
        let args = basalt_evm_client::BasaltBlobs::BlobArgs::of(
            manifest,
            epoch + options.epochs.max(1),
            options.public,
        );
        self.send_blobs(BasaltBlobs::registerCall { args }).await?;
        let key = blob_key(id);
        self.send_blobs(BasaltBlobs::placeCall {
            id: key,
            first: 0,
            holders,
            columnRoots: column_roots(manifest),
        })
        .await
        .map_err(incomplete(*id, "placing its shards"))?;
        let token = BasaltTestToken::new(deployment.token, self.session.rpc());
        let allowance = token
            .allowance(self.session.address(), deployment.blobs)
            .call()
            .await
            .map_err(|e| ChainError::from(self.session.call_error(&e)))
            .map_err(incomplete(*id, "reading the stake token's allowance"))?;
        if allowance < U256::from(amount) {
            let approve = BasaltTestToken::approveCall {
                spender: deployment.blobs,
                value: U256::from(amount),
            };
            self.session
                .send(deployment.token, approve.abi_encode())
                .await
                .map_err(ChainError::from)
                .map_err(incomplete(*id, "approving the deal's escrow"))?;
        }
        self.send_blobs(BasaltBlobs::fundDealCall {
            id: key,
            price: u128::from(options.price_per_shard_epoch),
            amount: u128::from(amount),
        })
        .await
        .map_err(incomplete(*id, "funding its deal"))
    }

    async fn create_grant(
        &self,
        id: &BlobId,
        grantee: &Caller,
        roles: u8,
        expires_at: Option<i64>,
        wrapped_key: Vec<u8>,
    ) -> Result<B256, ChainError> {
        let expires_at = match expires_at {
            None => 0,
            Some(at) => u64::try_from(at).map_err(|_| {
                ChainError::Unsupported(format!("a grant cannot expire before 1970 ({at})"))
            })?,
        };
        self.send_blobs(BasaltBlobs::createGrantCall {
            id: blob_key(id),
            grantee: evm_account(grantee)?,
            roles,
            expiresAt: expires_at,
            wrappedKey: Bytes::from(wrapped_key),
        })
        .await
    }

    async fn revoke_grant(
        &self,
        id: &BlobId,
        grantee: &Caller,
    ) -> Result<Option<B256>, ChainError> {
        let grantee = evm_account(grantee)?;
        let grant = self
            .blobs()
            .await?
            .grant(blob_key(id), grantee)
            .call()
            .await
            .map_err(|e| self.session.call_error(&e))?;
        if grant.roles == 0 {
            return Ok(None);
        }
        let revoke = BasaltBlobs::revokeGrantCall {
            id: blob_key(id),
            grantee,
        };
        Ok(Some(self.send_blobs(revoke).await?))
    }

    /// Every holder's proven epochs are settled and the rest of the escrow refunded (the
    /// contract deletes no blob with a deal), then the blob is deleted with its grants. A
    /// holder may prove between the settlements and the refund (`UnsettledPayouts`): read
    /// again, settle what is new, retry.
    async fn delete_blob(&self, id: &BlobId) -> Result<B256, ChainError> {
        let key = blob_key(id);
        for attempt in 1.. {
            let read = self
                .session
                .read_blob(key)
                .await?
                .ok_or_else(|| ChainError::Contract {
                    name: "BlobNotFound".into(),
                })?;
            if read.deal.payer == Address::ZERO {
                break;
            }
            for (index, slot) in read.slots.iter().enumerate() {
                if slot.unpaidEpochs > 0 {
                    let index = u16::try_from(index).expect("a blob has at most 65,535 shards");
                    self.send_blobs(BasaltBlobs::settleCall { id: key, index })
                        .await?;
                }
            }
            match self.send_blobs(BasaltBlobs::refundCall { id: key }).await {
                Err(ChainError::Contract { name }) if name == "UnsettledPayouts" && attempt < 4 => {
                }
                refunded => {
                    refunded?;
                    break;
                }
            }
        }
        let grantees = self.grantees(key).await?;
        self.send_blobs(BasaltBlobs::deleteBlobCall { id: key, grantees })
            .await
    }

    async fn wrapped_key(
        &self,
        id: &BlobId,
        reader: &Caller,
    ) -> Result<Option<Vec<u8>>, ChainError> {
        let Ok(reader) = evm_account(reader) else {
            return Ok(None);
        };
        let grant = self
            .blobs()
            .await?
            .grant(blob_key(id), reader)
            .call()
            .await
            .map_err(|e| self.session.call_error(&e))?;
        Ok((grant.roles != 0 && !grant.wrappedKey.is_empty()).then(|| grant.wrappedKey.to_vec()))
    }
}
