//! [`NearChain`]: the node's chain questions answered by the NEAR contract's views, and its
//! acceptances sent as `shard_accept` calls from the node key's implicit account.
//!
//! The contract decides with its own code (`read_access`, `may_act`, `blob_state` in
//! `contracts/basalt-near`), so the rules cannot drift from what its methods enforce. The
//! one rule a view cannot apply is the token gate (it would need a call to the token
//! contract): `read_access` hands it back as `gated`, and the node asks the token's
//! `ft_balance_of` at the same block the answer came from.
//!
//! Requests to a node are signed by a bare key, so the requester is that key's NEAR
//! implicit account: an ed25519 key's is the key in hex, an EVM account's is its
//! ETH-implicit account (`0x` and the address). A named account (`alice.near`) reads through
//! a grant to its implicit account, or by owning the blob from it.

use async_trait::async_trait;
use basalt_core::proof::derive_challenge;
use basalt_core::{BlobId, Caller};
use basalt_near::state::{
    Blob, BlobState as ContractBlobState, Config, Deal, Digest, ReadAccess, ROLE_DELETE,
};
use basalt_near_client::{
    eth_implicit_account, implicit_account, AccountId, BlockAt, FunctionCall, InMemorySigner,
    NearClient, NearError, SecretKey, Signer,
};
use ed25519_dalek::SigningKey;
use serde_json::json;

use super::{
    crank, duties_of, holds_any, placement_of, BlobState, BlobTerms, Candidate, Chain, ChainError,
    CrankAction, CrankBlob, CrankClock, CrankOutcome, CrankSlot, CrankView, Placement, ProofClock,
    ProofDuty, ProofOutcome, ProofSubmission, ReadDecision, SlotView, Terms,
};

/// Attached to a slash or a repair placement: the bounty's first credit to the crank's
/// account creates a ledger entry, and a new holder's name may be longer than the old
/// one's, which its storage balance pays for; what is left stays there.
const SLASH_DEPOSIT: u128 = 10_000_000_000_000_000_000_000; // 0.01 NEAR

/// [`Chain`] over NEAR JSON-RPC, reading final blocks.
pub struct NearChain {
    client: NearClient,
    /// Blocks per epoch and of its proof window, fixed when the contract was initialized.
    epoch_geometry: tokio::sync::OnceCell<(u64, u64)>,
    /// The provider's key: its implicit account signs acceptances, proofs, heartbeats and
    /// cranks.
    identity: SigningKey,
}

impl NearChain {
    /// A client for the RPC endpoint `url` and the Basalt contract at `contract`, sending
    /// as the implicit account of `identity`.
    pub fn new(url: &str, contract: AccountId, identity: SigningKey) -> Self {
        Self {
            client: NearClient::new(url, contract),
            epoch_geometry: tokio::sync::OnceCell::new(),
            identity,
        }
    }

    /// The provider's implicit account.
    fn me(&self) -> AccountId {
        implicit_account(&self.identity.verifying_key().to_bytes())
    }

    fn error(&self, error: NearError) -> ChainError {
        ChainError {
            url: self.client.url().to_owned(),
            why: error.to_string(),
        }
    }

    /// The contract's answer, completed with the gate token's balance when it is gated.
    async fn decide_read(
        &self,
        blob: &BlobId,
        requester: &Caller,
    ) -> Result<ReadDecision, ChainError> {
        let account = account_of(requester);
        let args = json!({ "blob_id": digest(blob), "account_id": account });
        let (access, at) = self
            .client
            .view::<_, ReadAccess>("read_access", &args, None)
            .await
            .map_err(|e| self.error(e))?;
        Ok(match access {
            ReadAccess::Owner => ReadDecision::Owner,
            ReadAccess::Public => ReadDecision::Public,
            ReadAccess::Grant => ReadDecision::Grant,
            ReadAccess::DenyUnregistered => ReadDecision::DenyUnregistered,
            ReadAccess::DenyInactive => ReadDecision::DenyInactive,
            ReadAccess::DenyExpired => ReadDecision::DenyExpired,
            ReadAccess::Deny => ReadDecision::Deny,
            ReadAccess::Gated(gate) => {
                let balance = self
                    .client
                    .ft_balance_of(&gate.token, &account, Some(at))
                    .await
                    .map_err(|e| self.error(e))?;
                if balance >= gate.min_balance {
                    ReadDecision::TokenGate
                } else {
                    ReadDecision::Deny
                }
            }
        })
    }
}

impl NearChain {
    /// The provider's implicit account as a transaction signer.
    fn signer(&self) -> Result<Signer, ChainError> {
        let account = self.me();
        // NEAR writes an ed25519 secret key as the 64 bytes seed ‖ public key, in base58.
        let secret: SecretKey = format!(
            "ed25519:{}",
            bs58::encode(self.identity.to_keypair_bytes()).into_string()
        )
        .parse()
        .map_err(|e| {
            self.error(NearError::Decode {
                method: "node identity".into(),
                why: format!("{e}"),
            })
        })?;
        Ok(InMemorySigner::from_secret_key(account, secret))
    }

    /// A call of `method` with `args`, or the error that the arguments do not encode.
    fn function_call(
        &self,
        method: &str,
        args: &serde_json::Value,
    ) -> Result<FunctionCall, ChainError> {
        FunctionCall::new(method, args).map_err(|e| {
            self.error(NearError::Decode {
                method: method.into(),
                why: e.to_string(),
            })
        })
    }

    /// Signs and sends `calls` as the provider, one after another (the node key's calls
    /// share one nonce sequence); each one's outcome, or why it was not built or refused,
    /// in order.
    async fn call_each(
        &self,
        calls: Vec<Result<FunctionCall, ChainError>>,
    ) -> Vec<Result<basalt_near_client::CallOutcome, String>> {
        let signer = match self.signer() {
            Ok(s) => s,
            Err(e) => return calls.iter().map(|_| Err(e.to_string())).collect(),
        };
        let mut outcomes = Vec::with_capacity(calls.len());
        for call in calls {
            outcomes.push(match call {
                Err(e) => Err(e.to_string()),
                Ok(call) => self
                    .client
                    .call(&signer, call)
                    .await
                    .map_err(|e| e.to_string()),
            });
        }
        outcomes
    }

    /// The contract's record of a blob (`blob_get` with `args`) and the block it was
    /// read at; `None` when the blob is not registered.
    async fn blob_record(
        &self,
        args: &serde_json::Value,
    ) -> Result<(Option<Blob>, BlockAt), ChainError> {
        self.client
            .view::<_, Option<Blob>>("blob_get", args, None)
            .await
            .map_err(|e| self.error(e))
    }

    /// Blocks per epoch and of the proof window, from the contract's config (read once).
    async fn epoch_geometry(&self) -> Result<(u64, u64), ChainError> {
        self.epoch_geometry
            .get_or_try_init(|| async {
                let config = self.config().await?;
                Ok((config.epoch_blocks, config.proof_window_blocks))
            })
            .await
            .copied()
    }

    /// Reads when the chain last heard from the other holders in `blobs` (the registry)
    /// into their slots, and returns the configuration's `offline_ticks`, read afresh since
    /// `config_update` may change it.
    async fn read_silence(&self, blobs: &mut [CrankBlob]) -> Result<u64, ChainError> {
        let config = self.config().await?;
        let holders = crank::holders_to_judge(blobs);
        if holders.is_empty() {
            return Ok(config.offline_ticks);
        }
        let heard = self
            .providers()
            .await?
            .into_iter()
            .map(|(id, p)| (id.to_string(), p))
            .filter(|(id, _)| holders.binary_search(id).is_ok())
            .map(|(id, p)| {
                let silence = basalt_rules::HolderSilence {
                    last_heartbeat: p.last_heartbeat_block,
                    registered: p.registered_block,
                };
                (id, silence)
            })
            .collect();
        crank::set_silence(blobs, &heard);
        Ok(config.offline_ticks)
    }

    /// Storage providers the contract would accept for new shards that heartbeat within
    /// the warning threshold of block `now`. NEAR records heartbeats by block height; the
    /// threshold is counted in blocks, at NEAR's target of about one block a second.
    async fn candidates(&self, now: u64) -> Result<Vec<Candidate>, ChainError> {
        let config = self.config().await?;
        let warning_blocks = basalt_core::LivenessThresholds::default().warning_secs;
        Ok(self
            .providers()
            .await?
            .into_iter()
            .filter(|(_, p)| {
                p.is_eligible(&config, basalt_near::state::ROLE_STORAGE)
                    && now.saturating_sub(p.last_heartbeat_block) <= warning_blocks
            })
            .map(|(id, p)| Candidate {
                id: id.to_string(),
                endpoint: p.endpoint,
            })
            .collect())
    }

    /// The contract's configuration, as of the latest block.
    async fn config(&self) -> Result<Config, ChainError> {
        let (config, _) = self
            .client
            .view::<_, Config>("config", &json!({}), None)
            .await
            .map_err(|e| self.error(e))?;
        Ok(config)
    }

    /// The whole provider registry, 100 providers per view.
    async fn providers(
        &self,
    ) -> Result<Vec<(AccountId, basalt_near::state::Provider)>, ChainError> {
        let mut providers = Vec::new();
        loop {
            let (page, _) = self
                .client
                .view::<_, Vec<(AccountId, basalt_near::state::Provider)>>(
                    "providers_list",
                    &json!({ "from_index": providers.len(), "limit": 100 }),
                    None,
                )
                .await
                .map_err(|e| self.error(e))?;
            let full = page.len() == 100;
            providers.extend(page);
            if !full {
                return Ok(providers);
            }
        }
    }

    /// The seed of `epoch` and the block it was read at, drawn first (by the provider)
    /// when nobody has yet: on NEAR a holder draws the seed it proves against.
    async fn seed(&self, epoch: u64) -> Result<([u8; 32], BlockAt), ChainError> {
        let args = json!({ "epoch": epoch });
        let (seed, at) = self
            .client
            .view::<_, Option<Digest>>("challenge_seed", &args, None)
            .await
            .map_err(|e| self.error(e))?;
        if let Some(seed) = seed {
            return Ok((seed.into(), at));
        }
        let draw = self.function_call("challenge_seed_draw", &json!({}))?;
        self.client
            .call(&self.signer()?, draw)
            .await
            .map_err(|e| self.error(e))?;
        let (seed, at) = self
            .client
            .view::<_, Option<Digest>>("challenge_seed", &args, None)
            .await
            .map_err(|e| self.error(e))?;
        let seed = seed.ok_or_else(|| ChainError {
            url: self.client.url().to_owned(),
            why: format!("the seed of epoch {epoch} was drawn but cannot be read"),
        })?;
        Ok((seed.into(), at))
    }
}

/// What a crank call did: `deal_settle` returns the amount paid; a slash's bounty is in
/// its `provider_slashed` event; a placement returns nothing.
fn crank_result(action: &CrankAction, done: &basalt_near_client::CallOutcome) -> CrankOutcome {
    let amount = |v: Option<&serde_json::Value>| {
        v.and_then(|v| v.as_str())
            .and_then(|a| a.parse::<u128>().ok())
    };
    let read = match action {
        CrankAction::Place { .. } => Some(CrankOutcome::Placed),
        CrankAction::Evict { .. } => Some(CrankOutcome::Evicted),
        // A U128 is a JSON string.
        CrankAction::Settle { .. } => done
            .json::<serde_json::Value>()
            .ok()
            .and_then(|paid| amount(Some(&paid)))
            .map(|amount| CrankOutcome::Settled { amount }),
        CrankAction::Slash { .. } => done
            .events
            .iter()
            .find(|e| e.event == "provider_slashed")
            .and_then(|e| amount(e.data.get("bounty")))
            .map(|bounty| CrankOutcome::Slashed { bounty }),
    };
    read.unwrap_or(CrankOutcome::Landed)
}

/// The implicit account a request's signer acts as.
fn account_of(caller: &Caller) -> AccountId {
    match caller {
        Caller::Ed25519(key) => implicit_account(key),
        Caller::Evm(address) => eth_implicit_account(address),
    }
}

fn digest(blob: &BlobId) -> Digest {
    Digest::from(*blob.as_bytes())
}

#[async_trait]
impl Chain for NearChain {
    fn provider(&self) -> Caller {
        Caller::Ed25519(self.identity.verifying_key().to_bytes())
    }

    async fn read_access(
        &self,
        blob: &BlobId,
        requester: &Caller,
    ) -> Result<ReadDecision, ChainError> {
        self.decide_read(blob, requester).await
    }

    async fn may_delete(
        &self,
        blob: &BlobId,
        requester: &Caller,
    ) -> Result<Option<bool>, ChainError> {
        // Never cached: deletion is rare and must see a revocation at once.
        let args = json!({
            "blob_id": digest(blob),
            "account_id": account_of(requester),
            "roles": ROLE_DELETE,
        });
        let (allowed, _) = self
            .client
            .view::<_, Option<bool>>("may_act", &args, None)
            .await
            .map_err(|e| self.error(e))?;
        Ok(allowed)
    }

    async fn blob_state(&self, blob: &BlobId) -> Result<BlobState, ChainError> {
        let args = json!({ "blob_id": digest(blob) });
        let (state, _) = self
            .client
            .view::<_, ContractBlobState>("blob_state", &args, None)
            .await
            .map_err(|e| self.error(e))?;
        Ok(match state {
            ContractBlobState::Unregistered => BlobState::Unregistered,
            ContractBlobState::Live => BlobState::Live,
            ContractBlobState::Expired => BlobState::Expired,
        })
    }

    async fn holds(&self, blob: &BlobId, holder: &Caller) -> Result<bool, ChainError> {
        let args = json!({ "blob_id": digest(blob) });
        let (record, at) = self.blob_record(&args).await?;
        let holder = account_of(holder);
        Ok(record.is_some_and(|record| {
            let slots = record.shards.iter().map(|s| SlotView {
                names_holder: s.provider.as_ref() == Some(&holder),
                acceptance: s.acceptance(),
                column_root: s.column_root.into(),
            });
            holds_any(slots, at.height)
        }))
    }

    async fn placement(&self, blob: &BlobId, holder: &Caller) -> Result<Placement, ChainError> {
        let args = json!({ "blob_id": digest(blob) });
        let (record, at) = self.blob_record(&args).await?;
        let Some(record) = record else {
            return Ok(Placement::Unregistered);
        };
        // The epoch at the block the record was read at, so the two agree.
        let (epoch, _) = self
            .client
            .view::<_, u64>("epoch", &json!({}), Some(at))
            .await
            .map_err(|e| self.error(e))?;
        let (deal, _) = self
            .client
            .view::<_, Option<Deal>>("deal_get", &args, Some(at))
            .await
            .map_err(|e| self.error(e))?;
        let holder = account_of(holder);
        let slots = record.shards.iter().map(|s| SlotView {
            names_holder: s.provider.as_ref() == Some(&holder),
            acceptance: s.acceptance(),
            column_root: s.column_root.into(),
        });
        let terms = BlobTerms {
            size: record.size,
            price_per_shard_epoch: deal.map(|d| d.price_per_shard_epoch),
            expiry_epoch: record.expiry_epoch,
        };
        Ok(placement_of(slots, at.height, epoch, &terms))
    }

    async fn proof_clock(&self) -> Result<ProofClock, ChainError> {
        let (epoch_blocks, window_blocks) = self.epoch_geometry().await?;
        let (_, at) = self
            .client
            .view::<_, u64>("epoch", &json!({}), None)
            .await
            .map_err(|e| self.error(e))?;
        Ok(ProofClock::at(at.height, epoch_blocks, window_blocks))
    }

    async fn proof_duties(
        &self,
        blobs: &[BlobId],
        epoch: u64,
    ) -> Result<Vec<ProofDuty>, ChainError> {
        let holder = self.me();
        let mut duties = Vec::new();
        let mut seed = None;
        for id in blobs {
            let args = json!({ "blob_id": digest(id) });
            let (record, _) = self.blob_record(&args).await?;
            let Some(record) = record else {
                continue;
            };
            let Ok(layout) = record.layout() else {
                continue;
            };
            let slots: Vec<_> = (0u16..)
                .zip(&record.shards)
                .map(|(index, s)| {
                    (
                        s.provider.as_ref() == Some(&holder),
                        record.provable_slot(index, epoch, &holder).is_ok(),
                        s.is_proven(epoch) != Some(false),
                        <[u8; 32]>::from(s.column_root),
                    )
                })
                .collect();
            if !slots
                .iter()
                .any(|(mine, provable, proven, _)| *mine && *provable && !*proven)
            {
                continue;
            }
            // Drawn (or read) once per pass, only when something is owed.
            let seed = match seed {
                Some(seed) => seed,
                None => *seed.insert(self.seed(epoch).await?.0),
            };
            let commitment_root = <[u8; 32]>::from(record.commitment_root);
            duties.extend(duties_of(*id, epoch, slots, |index| {
                derive_challenge(&seed, &commitment_root, index, epoch, &layout)
                    .map(|c| (c.chunk, c.leaf))
            }));
        }
        Ok(duties)
    }

    async fn crank_view(&self, blobs: &[BlobId]) -> Result<CrankView, ChainError> {
        let (epoch_ticks, window_ticks) = self.epoch_geometry().await?;
        let me = self.me();
        let mut now = None::<u64>;
        let mut read = Vec::with_capacity(blobs.len());
        for id in blobs {
            let args = json!({ "blob_id": digest(id) });
            let (record, at) = self.blob_record(&args).await?;
            // The earliest read's block: a window closed then was closed for every blob.
            now = Some(now.map_or(at.height, |n| n.min(at.height)));
            let Some(record) = record else {
                continue;
            };
            let (deal, _) = self
                .client
                .view::<_, Option<Deal>>("deal_get", &args, Some(at))
                .await
                .map_err(|e| self.error(e))?;
            read.push(CrankBlob {
                id: *id,
                active: record.active,
                expiry_epoch: record.expiry_epoch,
                cover: deal.map(|d| d.cover(&record)),
                slots: record
                    .shards
                    .iter()
                    .map(|s| CrankSlot {
                        holder: s.provider.as_ref().map(ToString::to_string),
                        mine: s.provider.as_ref() == Some(&me),
                        state: s.state(),
                        silence: None,
                    })
                    .collect(),
            });
        }
        let now = match now {
            Some(now) => now,
            None => {
                let (_, at) = self
                    .client
                    .view::<_, u64>("epoch", &json!({}), None)
                    .await
                    .map_err(|e| self.error(e))?;
                at.height
            }
        };
        let offline_ticks = self.read_silence(&mut read).await?;
        let clock = CrankClock {
            now,
            epoch_ticks,
            window_ticks,
            offline_ticks,
        };
        let candidates = if read.iter().any(CrankBlob::may_need_a_holder) {
            self.candidates(now).await?
        } else {
            Vec::new()
        };
        Ok(CrankView {
            clock,
            blobs: read,
            candidates,
        })
    }

    async fn crank(&self, actions: &[CrankAction]) -> Vec<CrankOutcome> {
        let calls = actions.iter().map(|action| match action {
            CrankAction::Place {
                blob,
                index,
                column_root,
                to,
            } => self
                .function_call(
                    "blob_place",
                    &json!({
                        "blob_id": digest(blob),
                        "first": index,
                        "providers": [to.id],
                        "column_roots": [Digest::from(*column_root)],
                    }),
                )
                .map(|call| call.with_deposit(SLASH_DEPOSIT)),
            CrankAction::Evict { blob, index, .. } => self.function_call(
                "shard_evict",
                &json!({ "blob_id": digest(blob), "index": index }),
            ),
            CrankAction::Settle { blob, index, .. } => self.function_call(
                "deal_settle",
                &json!({ "blob_id": digest(blob), "index": index }),
            ),
            CrankAction::Slash {
                blob, index, epoch, ..
            } => self
                .function_call(
                    "proof_slash",
                    &json!({ "blob_id": digest(blob), "index": index, "epoch": epoch }),
                )
                .map(|call| call.with_deposit(SLASH_DEPOSIT)),
        });
        let done = self.call_each(calls.collect()).await;
        actions
            .iter()
            .zip(done)
            .map(|(action, done)| match done {
                Ok(done) => crank_result(action, &done),
                Err(why) => CrankOutcome::Failed(why),
            })
            .collect()
    }

    async fn submit_proofs(&self, proofs: &[ProofSubmission]) -> Vec<ProofOutcome> {
        let calls = proofs.iter().map(|p| {
            self.function_call(
                "proof_submit",
                &json!({
                    "blob_id": digest(&p.duty.blob),
                    "index": p.duty.index,
                    "epoch": p.duty.epoch,
                    "leaf": data_encoding::BASE64.encode(&p.leaf),
                    "path": p.path.iter().map(|h| Digest::from(*h)).collect::<Vec<_>>(),
                }),
            )
        });
        self.call_each(calls.collect())
            .await
            .into_iter()
            .map(|done| match done {
                Ok(_) => ProofOutcome::Accepted,
                Err(why) if why.contains("AlreadyProven") => ProofOutcome::AlreadyProven,
                Err(why) => ProofOutcome::Failed(why),
            })
            .collect()
    }

    async fn holder_endpoints(&self, blob: &BlobId) -> Result<Vec<Option<String>>, ChainError> {
        let args = json!({ "blob_id": digest(blob) });
        let (record, at) = self.blob_record(&args).await?;
        let Some(record) = record else {
            return Ok(Vec::new());
        };
        let mut endpoints = Vec::with_capacity(record.shards.len());
        for slot in &record.shards {
            let endpoint = match &slot.provider {
                None => None,
                Some(holder) => self
                    .client
                    .view::<_, Option<basalt_near::state::Provider>>(
                        "provider_get",
                        &json!({ "account_id": holder }),
                        Some(at),
                    )
                    .await
                    .map_err(|e| self.error(e))?
                    .0
                    .map(|p| p.endpoint),
            };
            endpoints.push(endpoint);
        }
        Ok(endpoints)
    }

    async fn heartbeat(&self) -> Result<(), ChainError> {
        let signer = self.signer()?;
        let call = self.function_call("provider_heartbeat", &json!({}))?;
        self.client
            .call(&signer, call)
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }

    async fn accept(&self, blob: &BlobId, index: u16, terms: &Terms) -> Result<(), ChainError> {
        let signer = self.signer()?;
        let call = self.function_call(
            "shard_accept",
            &json!({
                "blob_id": digest(blob),
                "index": index,
                "column_root": Digest::from(terms.column_root),
                "expiry_epoch": terms.expiry_epoch,
                "price_per_shard_epoch": terms.price_per_shard_epoch.to_string(),
            }),
        )?;
        self.client
            .call(&signer, call)
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }
}
