//! [`EvmChain`]: the node's chain questions answered by the EVM contracts' views
//! (`contracts/evm`) over JSON-RPC, and its provider's transactions signed by its secp256k1
//! key.
//!
//! The contracts decide with their own code: `BasaltBlobs.readDecision` (the token gate
//! included: a view can ask the token) and `mayAct`. Everything else is read at one pinned
//! block (the blob, its slots, its deal) and judged by `basalt_rules` through
//! `basalt_evm_client::records`, as on the other chains. Blocks are the chain's ticks.
//!
//! A caller is an EVM account; an ed25519 key names no account here, so it may read only
//! what anyone may (a public blob) and delete nothing.
//!
//! Reads and transactions go through `basalt_evm_client::session`, as the SDK's do.

use async_trait::async_trait;
use basalt_core::evm_auth::SigningKey;
use basalt_core::{BlobId, Caller};
use basalt_evm_client::alloy::eips::BlockId;
use basalt_evm_client::alloy::primitives::{Address, Bytes, B256};
use basalt_evm_client::alloy::providers::DynProvider;
use basalt_evm_client::alloy::sol_types::SolCall;
use basalt_evm_client::records::read_decision;
use basalt_evm_client::session::{refusal, BlobRead, Deployment, Session, SessionError};
use basalt_evm_client::BasaltBlobs;
use basalt_evm_client::BasaltConfig;
use basalt_evm_client::BasaltProviders;
use basalt_rules::{check_provable, HolderSilence, ReadDecision, SlotUnderProof, ROLE_DELETE};
use futures::future::try_join_all;

use super::{
    crank, duties_of, holds_any, placement_of, BlobState, BlobTerms, Candidate, Chain, ChainError,
    CrankAction, CrankBlob, CrankClock, CrankOutcome, CrankSlot, CrankView, Placement, ProofClock,
    ProofDuty, ProofOutcome, ProofSubmission, SlotView, Terms,
};

/// The slots of `read` as the shared placement rules see them, for `holder`.
fn views(read: &BlobRead, holder: Address) -> impl Iterator<Item = SlotView> + '_ {
    read.slots.iter().map(move |s| SlotView {
        names_holder: s.holder() == Some(holder),
        acceptance: s.state().acceptance(),
        column_root: s.columnRoot.0,
    })
}

/// What a failed transaction says: the contract's error name when it refused.
fn why(e: SessionError) -> String {
    match e {
        SessionError::Refused(name) => name,
        SessionError::Rpc { why, .. } => why,
    }
}

pub struct EvmChain {
    /// The provider's account on the deployment: it signs, reads go through it too.
    session: Session,
    /// The provider's address.
    me: Address,
}

impl EvmChain {
    /// A client of the deployment whose `BasaltConfig` is at `config`, deployed at block
    /// `from_block` or later, over the JSON-RPC endpoint `url`, sending as the provider of
    /// `key`.
    ///
    /// # Errors
    ///
    /// When `url` is not a URL.
    pub fn new(
        url: &str,
        config: Address,
        from_block: u64,
        key: &SigningKey,
    ) -> Result<Self, ChainError> {
        let session = Session::new(url, config, from_block, key).map_err(|e| ChainError {
            url: url.to_owned(),
            why: why(e),
        })?;
        Ok(Self {
            me: session.address(),
            session,
        })
    }

    fn error(&self, why: impl std::fmt::Display) -> ChainError {
        ChainError {
            url: self.session.url().to_owned(),
            why: why.to_string(),
        }
    }

    /// The contracts' addresses and epoch geometry (read once: they never change).
    async fn deployment(&self) -> Result<Deployment, ChainError> {
        self.session
            .deployment()
            .await
            .map_err(|e| self.error(why(e)))
    }

    async fn blobs(&self) -> Result<BasaltBlobs::BasaltBlobsInstance<&DynProvider>, ChainError> {
        Ok(BasaltBlobs::new(
            self.deployment().await?.blobs,
            self.session.rpc(),
        ))
    }

    async fn registry(
        &self,
    ) -> Result<BasaltProviders::BasaltProvidersInstance<&DynProvider>, ChainError> {
        Ok(BasaltProviders::new(
            self.deployment().await?.providers,
            self.session.rpc(),
        ))
    }

    async fn head(&self) -> Result<u64, ChainError> {
        self.session.head().await.map_err(|e| self.error(why(e)))
    }

    /// Blob `blob` with its slots and deal, all read at the latest block; `None` when it is
    /// not registered.
    async fn read_blob(&self, blob: &BlobId) -> Result<Option<BlobRead>, ChainError> {
        self.session
            .read_blob(B256::from(*blob.as_bytes()))
            .await
            .map_err(|e| self.error(why(e)))
    }

    /// Sends `call` (its calldata) to `to` as the provider and waits for its receipt; a
    /// refusal comes back as the contract's error name.
    async fn send(
        &self,
        to: Address,
        call: Vec<u8>,
    ) -> Result<basalt_evm_client::alloy::rpc::types::TransactionReceipt, String> {
        self.session.send(to, call).await.map_err(why)
    }

    /// When the chain last heard from the other holders in `blobs` (the registry), into
    /// their slots; returns the configuration's `offline_ticks`, read afresh since the
    /// admin may change it.
    async fn read_silence(&self, blobs: &mut [CrankBlob]) -> Result<u64, ChainError> {
        let params = BasaltConfig::new(self.session.config(), self.session.rpc())
            .params()
            .call()
            .await
            .map_err(|e| self.error(e))?;
        let holders = crank::holders_to_judge(blobs);
        let registry = self.registry().await?;
        let heard = try_join_all(holders.iter().map(|holder| {
            let registry = &registry;
            async move {
                let who: Address = holder
                    .parse()
                    .map_err(|e| self.error(format!("holder {holder}: {e}")))?;
                let silence = registry
                    .silence(who)
                    .call()
                    .await
                    .map_err(|e| self.error(e))?;
                Ok::<_, ChainError>((
                    holder.clone(),
                    HolderSilence {
                        last_heartbeat: silence.lastHeartbeatBlock,
                        registered: silence.registeredBlock,
                    },
                ))
            }
        }))
        .await?
        .into_iter()
        .collect();
        crank::set_silence(blobs, &heard);
        Ok(params.offline_ticks)
    }

    /// Storage providers the registry would give new shards that are not silent past
    /// `offline_ticks` at block `now`: every provider that ever registered (its events),
    /// asked whether it still is eligible.
    async fn candidates(&self, now: u64, offline_ticks: u64) -> Result<Vec<Candidate>, ChainError> {
        let registry = self.registry().await?;
        let seen = self
            .session
            .registered_providers(now)
            .await
            .map_err(|e| self.error(why(e)))?;
        let at = BlockId::number(now);
        let judged = try_join_all(seen.into_iter().map(|who| {
            let registry = &registry;
            async move {
                let eligible = registry
                    .isEligible(who, basalt_rules::ROLE_STORAGE)
                    .block(at)
                    .call()
                    .await
                    .map_err(|e| self.error(e))?;
                // Deregistered since: no record.
                let record = self.provider_record(who, at).await?;
                Ok::<_, ChainError>(record.map(|record| (who, eligible, record)))
            }
        }))
        .await?;
        Ok(judged
            .into_iter()
            .flatten()
            .filter(|(_, eligible, p)| {
                let silence = HolderSilence {
                    last_heartbeat: p.lastHeartbeatBlock,
                    registered: p.registeredBlock,
                };
                *eligible && now.saturating_sub(silence.last_sign_of_life()) <= offline_ticks
            })
            .map(|(who, _, p)| Candidate {
                id: who.to_string().to_lowercase(),
                endpoint: p.endpoint,
            })
            .collect())
    }

    /// `who`'s registry record at block `at`; `None` when it is not registered.
    async fn provider_record(
        &self,
        who: Address,
        at: BlockId,
    ) -> Result<Option<BasaltProviders::Provider>, ChainError> {
        self.session
            .provider_record(who, at)
            .await
            .map_err(|e| self.error(why(e)))
    }

    /// The transaction `action` is.
    fn crank_call(action: &CrankAction) -> Result<Vec<u8>, String> {
        let id = |blob: &BlobId| B256::from(*blob.as_bytes());
        Ok(match action {
            CrankAction::Settle { blob, index, .. } => BasaltBlobs::settleCall {
                id: id(blob),
                index: *index,
            }
            .abi_encode(),
            CrankAction::Slash {
                blob, index, epoch, ..
            } => BasaltBlobs::slashMissedProofCall {
                id: id(blob),
                index: *index,
                epoch: *epoch,
            }
            .abi_encode(),
            CrankAction::Evict { blob, index, .. } => BasaltBlobs::evictCall {
                id: id(blob),
                index: *index,
            }
            .abi_encode(),
            CrankAction::Place {
                blob,
                index,
                column_root,
                to,
            } => BasaltBlobs::placeCall {
                id: id(blob),
                first: *index,
                holders: vec![to
                    .id
                    .parse()
                    .map_err(|e| format!("candidate {}: {e}", to.id))?],
                columnRoots: vec![B256::from(*column_root)],
            }
            .abi_encode(),
        })
    }
}

/// The EVM account a caller is; `None` for an ed25519 key.
fn account(caller: &Caller) -> Option<Address> {
    match caller {
        Caller::Evm(address) => Some(Address::from(*address)),
        Caller::Ed25519(_) => None,
    }
}

/// What a crank action earned, from its receipt's events.
fn crank_result(
    action: &CrankAction,
    receipt: &basalt_evm_client::alloy::rpc::types::TransactionReceipt,
) -> CrankOutcome {
    let read = match action {
        CrankAction::Place { .. } => Some(CrankOutcome::Placed),
        CrankAction::Evict { .. } => Some(CrankOutcome::Evicted),
        CrankAction::Settle { .. } => {
            receipt
                .decoded_log::<BasaltBlobs::DealSettled>()
                .map(|e| CrankOutcome::Settled {
                    amount: e.data.amount,
                })
        }
        CrankAction::Slash { .. } => receipt
            .decoded_log::<BasaltProviders::ProviderSlashed>()
            .and_then(|e| u128::try_from(e.data.bounty).ok())
            .map(|bounty| CrankOutcome::Slashed { bounty }),
    };
    read.unwrap_or(CrankOutcome::Landed)
}

#[async_trait]
impl Chain for EvmChain {
    fn provider(&self) -> Caller {
        Caller::Evm(self.me.into_array())
    }

    async fn read_access(
        &self,
        blob: &BlobId,
        requester: &Caller,
    ) -> Result<ReadDecision, ChainError> {
        let blobs = self.blobs().await?;
        let id = B256::from(*blob.as_bytes());
        // The zero address owns nothing and holds no grant: it reads what anyone may.
        let reader = account(requester).unwrap_or(Address::ZERO);
        let answer = blobs
            .readDecision(id, reader)
            .call()
            .await
            .map_err(|e| self.error(e))?;
        let decision = read_decision(answer)
            .ok_or_else(|| self.error(format!("readDecision answered {answer}")))?;
        Ok(match (account(requester), decision) {
            // An ed25519 key is nobody's account: only a public blob admits it.
            (None, d) if d.allowed() && d != ReadDecision::Public => ReadDecision::Deny,
            (_, d) => d,
        })
    }

    async fn may_delete(
        &self,
        blob: &BlobId,
        requester: &Caller,
    ) -> Result<Option<bool>, ChainError> {
        let blobs = self.blobs().await?;
        let id = B256::from(*blob.as_bytes());
        let who = account(requester).unwrap_or(Address::ZERO);
        match blobs.mayAct(id, who, ROLE_DELETE).call().await {
            Ok(allowed) => Ok(Some(allowed && account(requester).is_some())),
            Err(e) if refusal(&e).as_deref() == Some("BlobNotFound") => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    async fn blob_state(&self, blob: &BlobId) -> Result<BlobState, ChainError> {
        let blobs = self.blobs().await?;
        let id = B256::from(*blob.as_bytes());
        // Both at one block, so that the expiry is judged by the epoch of the record.
        let at = BlockId::number(self.head().await?);
        let (record, epoch) = (blobs.blob(id).block(at), blobs.currentEpoch().block(at));
        let (record, epoch) = tokio::join!(record.call(), epoch.call());
        let epoch = epoch.map_err(|e| self.error(e))?;
        Ok(match record {
            Ok(b) if b.expiryEpoch <= epoch => BlobState::Expired,
            Ok(_) => BlobState::Live,
            Err(e) if refusal(&e).as_deref() == Some("BlobNotFound") => BlobState::Unregistered,
            Err(e) => return Err(self.error(e)),
        })
    }

    async fn holds(&self, blob: &BlobId, holder: &Caller) -> Result<bool, ChainError> {
        let (Some(holder), Some(read)) = (account(holder), self.read_blob(blob).await?) else {
            return Ok(false);
        };
        Ok(holds_any(views(&read, holder), read.block))
    }

    async fn placement(&self, blob: &BlobId, holder: &Caller) -> Result<Placement, ChainError> {
        let Some(read) = self.read_blob(blob).await? else {
            return Ok(Placement::Unregistered);
        };
        let Some(holder) = account(holder) else {
            return Ok(Placement::Settled);
        };
        let terms = BlobTerms {
            size: read.blob.size,
            price_per_shard_epoch: read.deal.price(),
            expiry_epoch: read.blob.expiryEpoch,
        };
        Ok(placement_of(
            views(&read, holder),
            read.block,
            read.epoch,
            &terms,
        ))
    }

    async fn proof_clock(&self) -> Result<ProofClock, ChainError> {
        let d = self.deployment().await?;
        let block = self.head().await?;
        Ok(ProofClock::at(block, d.epoch_blocks, d.window_blocks))
    }

    async fn proof_duties(
        &self,
        blobs: &[BlobId],
        epoch: u64,
    ) -> Result<Vec<ProofDuty>, ChainError> {
        let contract = self.blobs().await?;
        let mut duties = Vec::new();
        for id in blobs {
            let Some(read) = self.read_blob(id).await? else {
                continue;
            };
            let slots: Vec<_> = read
                .slots
                .iter()
                .map(|s| {
                    let state = s.state();
                    let provable = check_provable(
                        &SlotUnderProof {
                            blob_active: read.blob.active,
                            expiry_epoch: read.blob.expiryEpoch,
                            names_holder: s.holder() == Some(self.me),
                            acceptance: state.acceptance(),
                            assigned_epoch: state.assigned_epoch,
                        },
                        epoch,
                    );
                    let proven = basalt_rules::ProofRecord {
                        last_proven_epoch: state.last_proven_epoch,
                        proven_mask: state.proven_mask,
                    }
                    .is_proven(epoch);
                    (
                        s.holder() == Some(self.me),
                        provable.is_ok(),
                        proven != Some(false),
                        state.column_root,
                    )
                })
                .collect();
            let owed: Vec<u16> = (0u16..)
                .zip(&slots)
                .filter(|(_, (mine, provable, proven, _))| *mine && *provable && !*proven)
                .map(|(index, _)| index)
                .collect();
            if owed.is_empty() {
                continue;
            }
            // The contract's own challenge, under the seed of the epoch's first block.
            let blob_id = B256::from(*id.as_bytes());
            let challenges = try_join_all(owed.iter().map(|&index| {
                let call = contract.challengeOf(blob_id, index, epoch);
                async move { call.call().await.map(|c| (index, (c.chunk, c.leaf))) }
            }))
            .await
            .map_err(|e| self.error(e))?;
            duties.extend(duties_of(*id, epoch, slots, |index| {
                challenges
                    .iter()
                    .find(|(i, _)| *i == index)
                    .map(|(_, challenge)| *challenge)
            }));
        }
        Ok(duties)
    }

    async fn submit_proofs(&self, proofs: &[ProofSubmission]) -> Vec<ProofOutcome> {
        let blobs = match self.deployment().await {
            Ok(d) => d.blobs,
            Err(e) => return vec![ProofOutcome::Failed(e.to_string()); proofs.len()],
        };
        let mut outcomes = Vec::with_capacity(proofs.len());
        for p in proofs {
            let call = BasaltBlobs::submitProofCall {
                id: B256::from(*p.duty.blob.as_bytes()),
                index: p.duty.index,
                epoch: p.duty.epoch,
                leaf: Bytes::from(p.leaf.clone()),
                path: p.path.iter().map(|h| B256::from(*h)).collect(),
            };
            outcomes.push(match self.send(blobs, call.abi_encode()).await {
                Ok(_) => ProofOutcome::Accepted,
                Err(why) if why == "AlreadyProven" => ProofOutcome::AlreadyProven,
                Err(why) => ProofOutcome::Failed(why),
            });
        }
        outcomes
    }

    async fn crank_view(&self, blobs: &[BlobId]) -> Result<CrankView, ChainError> {
        let d = self.deployment().await?;
        let me = self.me.to_string().to_lowercase();
        let mut now = None::<u64>;
        let mut read = Vec::with_capacity(blobs.len());
        for id in blobs {
            let Some(b) = self.read_blob(id).await? else {
                continue;
            };
            // The earliest read's block: a window closed then was closed for every blob.
            now = Some(now.map_or(b.block, |n| n.min(b.block)));
            read.push(CrankBlob {
                id: *id,
                active: b.blob.active,
                expiry_epoch: b.blob.expiryEpoch,
                cover: b.deal.cover(&b.blob),
                slots: b
                    .slots
                    .iter()
                    .map(|s| {
                        let holder = s.holder().map(|h| h.to_string().to_lowercase());
                        CrankSlot {
                            mine: holder.as_deref() == Some(me.as_str()),
                            holder,
                            state: s.state(),
                            silence: None,
                        }
                    })
                    .collect(),
            });
        }
        let now = match now {
            Some(now) => now,
            None => self.head().await?,
        };
        let offline_ticks = self.read_silence(&mut read).await?;
        let candidates = if read.iter().any(CrankBlob::may_need_a_holder) {
            self.candidates(now, offline_ticks).await?
        } else {
            Vec::new()
        };
        Ok(CrankView {
            clock: CrankClock {
                now,
                epoch_ticks: d.epoch_blocks,
                window_ticks: d.window_blocks,
                offline_ticks,
            },
            blobs: read,
            candidates,
        })
    }

    async fn crank(&self, actions: &[CrankAction]) -> Vec<CrankOutcome> {
        let blobs = match self.deployment().await {
            Ok(d) => d.blobs,
            Err(e) => return vec![CrankOutcome::Failed(e.to_string()); actions.len()],
        };
        let mut outcomes = Vec::with_capacity(actions.len());
        for action in actions {
            let outcome = match Self::crank_call(action) {
                Err(why) => CrankOutcome::Failed(why),
                Ok(input) => match self.send(blobs, input).await {
                    Ok(receipt) => crank_result(action, &receipt),
                    Err(why) => CrankOutcome::Failed(why),
                },
            };
            outcomes.push(outcome);
        }
        outcomes
    }

    async fn holder_endpoints(&self, blob: &BlobId) -> Result<Vec<Option<String>>, ChainError> {
        let Some(read) = self.read_blob(blob).await? else {
            return Ok(Vec::new());
        };
        let at = BlockId::number(read.block);
        try_join_all(read.slots.iter().map(|s| async move {
            let Some(who) = s.holder() else {
                return Ok(None);
            };
            Ok(self.provider_record(who, at).await?.map(|p| p.endpoint))
        }))
        .await
    }

    async fn heartbeat(&self) -> Result<(), ChainError> {
        let registry = self.registry().await?;
        // A node starts before its operator registers it: say so instead of sending a
        // transaction the registry can only refuse.
        let head = BlockId::number(self.head().await?);
        if self.provider_record(self.me, head).await?.is_none() {
            return Err(self.error(format!("{} is not a registered provider yet", self.me)));
        }
        self.send(
            *registry.address(),
            BasaltProviders::heartbeatCall {}.abi_encode(),
        )
        .await
        .map(drop)
        .map_err(|why| self.error(why))
    }

    async fn accept(&self, blob: &BlobId, index: u16, terms: &Terms) -> Result<(), ChainError> {
        let blobs = self.deployment().await?.blobs;
        let call = BasaltBlobs::acceptCall {
            id: B256::from(*blob.as_bytes()),
            index,
            terms: BasaltBlobs::Terms {
                columnRoot: B256::from(terms.column_root),
                expiryEpoch: terms.expiry_epoch,
                pricePerShardEpoch: terms.price_per_shard_epoch,
            },
        };
        self.send(blobs, call.abi_encode())
            .await
            .map(drop)
            .map_err(|why| self.error(why))
    }
}
