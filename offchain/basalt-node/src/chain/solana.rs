//! [`SolanaChain`]: the node's chain questions answered from the Solana program's accounts,
//! and its acceptances sent as `shard_accept` transactions.
//!
//! The read decision itself is the program crate's [`basalt::client::access::may_read`],
//! applied to the accounts listed in `programs/basalt/src/state/grant.rs`.
//!
//! A caller is the Solana address its [`Caller::word`] spells: an ed25519 key is its own
//! address; an EVM account's padded address is an address no Solana key signs for, which
//! only a grant naming it admits.

use async_trait::async_trait;
use basalt::anchor_lang::prelude::Pubkey;
use basalt::anchor_lang::prelude::SlotHashes;
use basalt::anchor_lang::solana_program::sysvar::SysvarId;
use basalt::client::access::{may_act, may_read, ReadDecision};
use basalt::client::decode::BasaltEvent;
use basalt::client::{decode, ix, pda};
use basalt::randomness::slot_hash_at_or_before;
use basalt::state::{Blob, Config, Deal, Grant, Provider, ROLE_DELETE};
use basalt_core::proof::derive_challenge;
use basalt_core::{BlobId, Caller};
use basalt_sdk::chain::blob_address;
use ed25519_dalek::SigningKey;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::request::TokenAccountsFilter;

use super::{
    crank, duties_of, holds_any, placement_of, BlobState, BlobTerms, Candidate, Chain, ChainError,
    CrankAction, CrankBlob, CrankClock, CrankOutcome, CrankSlot, CrankView, Placement, ProofClock,
    ProofDuty, ProofOutcome, ProofSubmission, SlotView, Terms,
};

/// Blob accounts per `getMultipleAccounts` call when listing proof duties: the RPC's limit
/// is 100 keys, and the SlotHashes sysvar takes one.
const BLOBS_PER_READ: usize = 99;

/// Blobs per `getMultipleAccounts` call when reading for the crank: each with its deal,
/// and the Clock sysvar, within the RPC's 100 keys.
const CRANK_BLOBS_PER_READ: usize = 49;

/// The accounts one decision needs, fetched in one `getMultipleAccounts` call so the blob,
/// the grant and the clock come from the same slot.
struct Snapshot {
    address: Pubkey,
    blob: Option<Blob>,
    grant: Option<Grant>,
    slot: u64,
    unix_time: i64,
}

/// [`Chain`] over Solana JSON-RPC at `confirmed` commitment.
pub struct SolanaChain {
    rpc: RpcClient,
    /// Slots per epoch and of its proof window, fixed when the program was initialized.
    epoch_geometry: tokio::sync::OnceCell<(u64, u64)>,
    /// The stake mint, fixed when the program was initialized: what deals pay in.
    stake_mint: tokio::sync::OnceCell<Pubkey>,
    /// Sends the node's own transactions (acceptances), confirmed by polling.
    sender: basalt_sdk::ChainClient,
    url: String,
    program: Pubkey,
    /// Micro-lamports per compute unit paid as priority fee on each proof.
    proof_priority_fee: u64,
    /// The provider's authority key: signs its acceptances, proofs, heartbeats and cranks.
    identity: SigningKey,
}

impl SolanaChain {
    /// A client for the RPC endpoint `url`, sending as the provider of `identity`.
    pub fn new(url: &str, identity: SigningKey) -> Self {
        Self {
            rpc: RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed()),
            epoch_geometry: tokio::sync::OnceCell::new(),
            stake_mint: tokio::sync::OnceCell::new(),
            sender: basalt_sdk::ChainClient::new(url),
            url: url.to_string(),
            program: basalt::ID,
            proof_priority_fee: 0,
            identity,
        }
    }

    /// The provider's address.
    fn me(&self) -> Pubkey {
        Pubkey::new_from_array(self.identity.verifying_key().to_bytes())
    }

    /// The provider's key as a transaction signer.
    fn keypair(&self) -> Keypair {
        Keypair::new_from_array(self.identity.to_bytes())
    }

    /// Pays `micro_lamports_per_unit` as priority fee on each proof transaction.
    pub fn with_proof_priority_fee(mut self, micro_lamports_per_unit: u64) -> Self {
        self.proof_priority_fee = micro_lamports_per_unit;
        self
    }

    fn error(&self, why: impl std::fmt::Display) -> ChainError {
        ChainError {
            url: self.url.clone(),
            why: why.to_string(),
        }
    }

    async fn snapshot(
        &self,
        blob: &BlobId,
        requester: Option<&Pubkey>,
    ) -> Result<Snapshot, ChainError> {
        let address = blob_address(blob);
        let clock = <basalt::anchor_lang::prelude::Clock as basalt::anchor_lang::solana_program::sysvar::SysvarId>::id();
        let grant_address = requester.map(|r| pda::grant(&address, r));
        let mut keys = vec![address, clock];
        keys.extend(grant_address);
        let accounts = self
            .rpc
            .get_multiple_accounts(&keys)
            .await
            .map_err(|e| self.error(e))?;
        let [blob, clock, grant @ ..] = accounts.as_slice() else {
            return Err(self.error("getMultipleAccounts returned too few accounts"));
        };
        let (slot, unix_time) = self.clock(clock.as_ref())?;
        Ok(Snapshot {
            address,
            blob: self.decode(blob.as_ref())?,
            grant: self.decode(grant.first().and_then(Option::as_ref))?,
            slot,
            unix_time,
        })
    }

    /// The slot and unix time of a Clock sysvar account.
    fn clock(&self, account: Option<&solana_account::Account>) -> Result<(u64, i64), ChainError> {
        let clock = account
            .filter(|c| c.data.len() >= 40)
            .ok_or_else(|| self.error("the Clock sysvar is missing"))?;
        let word =
            |at: usize| <[u8; 8]>::try_from(&clock.data[at..at + 8]).expect("length checked");
        // Clock layout: slot, epoch_start_timestamp, epoch, leader_schedule_epoch,
        // unix_timestamp, each 8 bytes little-endian.
        Ok((u64::from_le_bytes(word(0)), i64::from_le_bytes(word(32))))
    }

    /// The stake mint, from the program's Config (read once).
    async fn stake_mint(&self) -> Result<Pubkey, ChainError> {
        self.stake_mint
            .get_or_try_init(|| async { self.sender.stake_mint().await.map_err(|e| self.error(e)) })
            .await
            .copied()
    }

    /// `blobs` and their deals as the crank sees them, with the slot they were read at.
    async fn crank_read(
        &self,
        blobs: &[BlobId],
        me: &Pubkey,
    ) -> Result<(u64, Vec<CrankBlob>), ChainError> {
        let mut keys = Vec::with_capacity(blobs.len() * 2 + 1);
        for id in blobs {
            let blob = blob_address(id);
            keys.push(blob);
            keys.push(pda::deal(&blob));
        }
        keys.push(<basalt::anchor_lang::prelude::Clock as SysvarId>::id());
        let mut accounts = self
            .rpc
            .get_multiple_accounts(&keys)
            .await
            .map_err(|e| self.error(e))?;
        let (slot, _) = self.clock(accounts.pop().flatten().as_ref())?;
        let mut read = Vec::with_capacity(blobs.len());
        for (id, pair) in blobs.iter().zip(accounts.chunks(2)) {
            let Some(blob) = self.decode::<Blob>(pair[0].as_ref())? else {
                continue;
            };
            let deal: Option<Deal> = self.decode(pair.get(1).and_then(Option::as_ref))?;
            let owed_epochs = blob
                .shards
                .iter()
                .map(|s| u128::from(s.unpaid_epochs))
                .sum();
            read.push(CrankBlob {
                id: *id,
                active: blob.active,
                expiry_epoch: blob.expiry_epoch,
                cover: deal.map(|d| basalt_rules::DealCover {
                    balance: u128::from(d.balance),
                    price_per_shard_epoch: u128::from(d.price_per_shard_epoch),
                    owed_epochs,
                }),
                slots: blob
                    .shards
                    .iter()
                    .map(|s| CrankSlot {
                        holder: s.is_placed().then(|| s.provider.to_string()),
                        mine: s.provider == *me,
                        state: s.state(),
                        silence: None,
                    })
                    .collect(),
            });
        }
        Ok((slot, read))
    }

    /// The instructions of one crank action signed by `me`: the payee's token account is
    /// created when missing (the program pays into it), then the settle or the slash.
    fn crank_instructions(
        action: &CrankAction,
        me: &Pubkey,
        mint: &Pubkey,
    ) -> Result<Vec<basalt::anchor_lang::solana_program::instruction::Instruction>, String> {
        let holder = |h: &str| {
            h.parse::<Pubkey>()
                .map_err(|e| format!("holder {h} is not a key: {e}"))
        };
        Ok(match action {
            CrankAction::Place {
                blob,
                index,
                column_root,
                to,
            } => vec![ix::blob_place(
                me,
                &blob_address(blob),
                *index,
                vec![*column_root],
                &[holder(&to.id)?],
                false,
            )],
            CrankAction::Settle {
                blob,
                index,
                holder: h,
                ..
            } => {
                let holder = holder(h)?;
                vec![
                    basalt_sdk::chain::create_token_account(me, &holder, mint),
                    ix::deal_settle(
                        &blob_address(blob),
                        *index,
                        &basalt_sdk::chain::associated_token_address(&holder, mint),
                    ),
                ]
            }
            CrankAction::Evict {
                blob,
                index,
                holder: h,
            } => vec![ix::shard_evict(
                me,
                &blob_address(blob),
                &holder(h)?,
                *index,
            )],
            CrankAction::Slash {
                blob,
                index,
                epoch,
                holder: h,
            } => vec![
                basalt_sdk::chain::create_token_account(me, me, mint),
                ix::proof_slash(
                    me,
                    &blob_address(blob),
                    &holder(h)?,
                    &basalt_sdk::chain::associated_token_address(me, mint),
                    *index,
                    *epoch,
                ),
            ],
        })
    }

    /// Reads when the chain last heard from the other holders in `blobs` (their Provider
    /// accounts, with the Config in the first read) into their slots, and returns the
    /// configuration's `offline_ticks`, read afresh since `config_update` may change it.
    async fn read_silence(&self, blobs: &mut [CrankBlob]) -> Result<u64, ChainError> {
        let holders = crank::holders_to_judge(blobs);
        let mut keys = vec![pda::config()];
        for holder in &holders {
            let key = holder
                .parse::<Pubkey>()
                .map_err(|e| self.error(format!("holder {holder} is not a key: {e}")))?;
            keys.push(pda::provider(&key));
        }
        let accounts = self.accounts(&keys).await?;
        let config: Config = self
            .decode(accounts.first().and_then(Option::as_ref))?
            .ok_or_else(|| self.error("the Basalt program is not initialized"))?;
        let mut heard = std::collections::HashMap::with_capacity(holders.len());
        for (holder, account) in holders.into_iter().zip(accounts.iter().skip(1)) {
            if let Some(p) = self.decode::<Provider>(account.as_ref())? {
                let silence = basalt_rules::HolderSilence {
                    last_heartbeat: p.last_heartbeat_slot,
                    registered: p.registered_slot,
                };
                heard.insert(holder, silence);
            }
        }
        crank::set_silence(blobs, &heard);
        Ok(config.offline_ticks)
    }

    /// The accounts at `keys`, in order (`None` where none exists), in as many
    /// `getMultipleAccounts` calls as its 100-key limit needs.
    async fn accounts(
        &self,
        keys: &[Pubkey],
    ) -> Result<Vec<Option<solana_account::Account>>, ChainError> {
        let mut accounts = Vec::with_capacity(keys.len());
        for group in keys.chunks(100) {
            accounts.extend(
                self.rpc
                    .get_multiple_accounts(group)
                    .await
                    .map_err(|e| self.error(e))?,
            );
        }
        Ok(accounts)
    }

    /// Storage providers the program would accept for new shards that are online by
    /// their heartbeats (`basalt_core::LivenessThresholds`'s defaults).
    async fn candidates(&self) -> Result<Vec<Candidate>, ChainError> {
        let config = self
            .sender
            .config()
            .await
            .map_err(|e| self.error(e))?
            .ok_or_else(|| self.error("the Basalt program is not initialized"))?;
        let providers = self.sender.providers().await.map_err(|e| self.error(e))?;
        let silence = self
            .sender
            .heartbeat_silence(&providers)
            .await
            .map_err(|e| self.error(e))?;
        let liveness = basalt_core::LivenessThresholds::default();
        Ok(providers
            .into_iter()
            .zip(silence)
            .filter(|(p, silent)| {
                p.is_eligible(&config, basalt::state::ROLE_STORAGE)
                    && liveness.classify(*silent) == basalt_core::Liveness::Online
            })
            .map(|(p, _)| Candidate {
                id: p.authority.to_string(),
                endpoint: p.endpoint,
            })
            .collect())
    }

    /// What a landed crank transaction did, from the program's events in it.
    async fn crank_result(&self, signature: &solana_signature::Signature) -> CrankOutcome {
        let events = match self.sender.events(signature).await {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!(%signature, error = %e, "crank: landed, but its events cannot be read");
                return CrankOutcome::Landed;
            }
        };
        events
            .iter()
            .find_map(|event| match event {
                BasaltEvent::DealSettled(e) => Some(CrankOutcome::Settled {
                    amount: u128::from(e.amount),
                }),
                BasaltEvent::ProviderSlashed(e) => Some(CrankOutcome::Slashed {
                    bounty: u128::from(e.bounty),
                }),
                BasaltEvent::ShardPlaced(_) => Some(CrankOutcome::Placed),
                BasaltEvent::ShardEvicted(_) => Some(CrankOutcome::Evicted),
                _ => None,
            })
            .unwrap_or(CrankOutcome::Landed)
    }

    /// Decodes a program account. An account at a program address that the program does
    /// not own cannot exist; if an RPC returns one, it is treated as absent.
    fn decode<T: basalt::anchor_lang::AccountDeserialize>(
        &self,
        account: Option<&solana_account::Account>,
    ) -> Result<Option<T>, ChainError> {
        match account {
            Some(a) if a.owner == self.program => decode::account::<T>(&a.data)
                .map(Some)
                .map_err(|e| self.error(format!("undecodable program account: {e}"))),
            _ => Ok(None),
        }
    }

    /// Slots per epoch and of the proof window, from the program's Config (read once).
    async fn epoch_geometry(&self) -> Result<(u64, u64), ChainError> {
        self.epoch_geometry
            .get_or_try_init(|| async {
                let config = self
                    .sender
                    .config()
                    .await
                    .map_err(|e| self.error(e))?
                    .ok_or_else(|| self.error("the Basalt program is not initialized"))?;
                Ok((config.epoch_slots, config.proof_window_slots))
            })
            .await
            .copied()
    }

    /// The duties of `holder` in `epoch` for `blobs`, read in one call with the SlotHashes
    /// sysvar, so the seeds and the blobs are of one slot.
    async fn duties_in(
        &self,
        blobs: &[BlobId],
        holder: &Pubkey,
        epoch: u64,
    ) -> Result<Vec<ProofDuty>, ChainError> {
        let mut keys: Vec<Pubkey> = blobs.iter().map(blob_address).collect();
        keys.push(SlotHashes::id());
        let mut accounts = self
            .rpc
            .get_multiple_accounts(&keys)
            .await
            .map_err(|e| self.error(e))?;
        let slot_hashes = accounts
            .pop()
            .flatten()
            .ok_or_else(|| self.error("the SlotHashes sysvar is missing"))?;
        let mut duties = Vec::new();
        for (id, account) in blobs.iter().zip(&accounts) {
            let Some(blob) = self.decode::<Blob>(account.as_ref())? else {
                continue;
            };
            // The program's seed: the hash of the newest slot at or before the epoch's
            // first; gone once that slot left SlotHashes, after the window closed.
            let Some(seed) = blob
                .epoch_start(epoch)
                .ok()
                .and_then(|start| slot_hash_at_or_before(&slot_hashes.data, start))
            else {
                continue;
            };
            let Ok(layout) = blob.layout() else {
                continue;
            };
            let slots = (0u16..).zip(&blob.shards).map(|(index, s)| {
                (
                    s.provider == *holder,
                    blob.provable_slot(index, epoch, holder).is_ok(),
                    s.is_proven(epoch) != Some(false),
                    s.column_root,
                )
            });
            duties.extend(duties_of(*id, epoch, slots, |index| {
                derive_challenge(&seed, &blob.commitment_root, index, epoch, &layout)
                    .map(|c| (c.chunk, c.leaf))
            }));
        }
        Ok(duties)
    }

    /// The read decision from one snapshot of the accounts, plus the requester's gate
    /// balance when nothing cheaper admitted it.
    async fn decide_read(
        &self,
        blob: &BlobId,
        requester: &Caller,
    ) -> Result<ReadDecision, ChainError> {
        let who = Pubkey::new_from_array(requester.word());
        let snap = self.snapshot(blob, Some(&who)).await?;
        let decide = |gate_balance| {
            may_read(
                snap.blob.as_ref(),
                &snap.address,
                &who,
                snap.grant.as_ref(),
                gate_balance,
                snap.slot,
                snap.unix_time,
            )
        };
        let decision = decide(None);
        // The token gate is the only rule that needs a second call; make it only when
        // nothing cheaper admitted the requester.
        if decision != ReadDecision::Deny {
            return Ok(decision);
        }
        let Some(blob) = &snap.blob else {
            return Ok(decision);
        };
        Ok(match self.gate_balance(blob, &who).await? {
            Some(balance) => decide(Some(balance)),
            None => decision,
        })
    }

    async fn gate_balance(
        &self,
        blob: &Blob,
        requester: &Pubkey,
    ) -> Result<Option<u64>, ChainError> {
        let Some(gate) = &blob.token_gate else {
            return Ok(None);
        };
        let accounts = self
            .rpc
            .get_token_accounts_by_owner(requester, TokenAccountsFilter::Mint(gate.mint))
            .await
            .map_err(|e| self.error(e))?;
        let mut total = 0u64;
        for keyed in accounts {
            let amount = serde_json::to_value(&keyed.account.data)
                .ok()
                .and_then(|v| {
                    v.pointer("/parsed/info/tokenAmount/amount")
                        .and_then(|a| a.as_str())
                        .and_then(|a| a.parse::<u64>().ok())
                })
                .ok_or_else(|| self.error("token account without a parsed amount"))?;
            total = total.saturating_add(amount);
        }
        Ok(Some(total))
    }
}

#[async_trait]
impl Chain for SolanaChain {
    fn provider(&self) -> Caller {
        Caller::Ed25519(self.me().to_bytes())
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
        let who = Pubkey::new_from_array(requester.word());
        let snap = self.snapshot(blob, Some(&who)).await?;
        Ok(snap.blob.as_ref().map(|b| {
            may_act(
                b,
                &snap.address,
                &who,
                snap.grant.as_ref(),
                ROLE_DELETE,
                snap.unix_time,
            )
        }))
    }

    async fn blob_state(&self, blob: &BlobId) -> Result<BlobState, ChainError> {
        let snap = self.snapshot(blob, None).await?;
        Ok(match snap.blob {
            None => BlobState::Unregistered,
            Some(b) if b.expiry_epoch <= b.epoch_at(snap.slot) => BlobState::Expired,
            Some(_) => BlobState::Live,
        })
    }

    async fn holds(&self, blob: &BlobId, holder: &Caller) -> Result<bool, ChainError> {
        let snap = self.snapshot(blob, None).await?;
        let holder = Pubkey::new_from_array(holder.word());
        Ok(snap.blob.is_some_and(|blob| {
            let slots = blob.shards.iter().map(|s| SlotView {
                names_holder: s.provider == holder,
                acceptance: s.acceptance(),
                column_root: s.column_root,
            });
            holds_any(slots, snap.slot)
        }))
    }

    async fn placement(&self, blob: &BlobId, holder: &Caller) -> Result<Placement, ChainError> {
        let snap = self.snapshot(blob, None).await?;
        let Some(blob) = snap.blob else {
            return Ok(Placement::Unregistered);
        };
        let epoch = blob.epoch_at(snap.slot);
        let holder = Pubkey::new_from_array(holder.word());
        let deal_address = pda::deal(&snap.address);
        let deal = self
            .rpc
            .get_multiple_accounts(&[deal_address])
            .await
            .map_err(|e| self.error(e))?;
        let deal: Option<Deal> = self.decode(deal.first().and_then(Option::as_ref))?;
        let slots = blob.shards.iter().map(|s| SlotView {
            names_holder: s.provider == holder,
            acceptance: s.acceptance(),
            column_root: s.column_root,
        });
        let terms = BlobTerms {
            size: blob.size,
            price_per_shard_epoch: deal.map(|d| u128::from(d.price_per_shard_epoch)),
            expiry_epoch: blob.expiry_epoch,
        };
        Ok(placement_of(slots, snap.slot, epoch, &terms))
    }

    async fn proof_clock(&self) -> Result<ProofClock, ChainError> {
        let (epoch_slots, window_slots) = self.epoch_geometry().await?;
        let slot = self.rpc.get_slot().await.map_err(|e| self.error(e))?;
        Ok(ProofClock::at(slot, epoch_slots, window_slots))
    }

    async fn proof_duties(
        &self,
        blobs: &[BlobId],
        epoch: u64,
    ) -> Result<Vec<ProofDuty>, ChainError> {
        let holder = self.me();
        let mut duties = Vec::new();
        for group in blobs.chunks(BLOBS_PER_READ) {
            duties.extend(self.duties_in(group, &holder, epoch).await?);
        }
        Ok(duties)
    }

    async fn submit_proofs(&self, proofs: &[ProofSubmission]) -> Vec<ProofOutcome> {
        let key = self.keypair();
        let prover = self.me();
        let batch: Vec<_> = proofs
            .iter()
            .map(|p| {
                let mut ixs = ix::proof_compute_budget(self.proof_priority_fee).to_vec();
                ixs.push(ix::proof_submit(
                    &prover,
                    &blob_address(&p.duty.blob),
                    p.duty.index,
                    p.duty.epoch,
                    p.leaf.clone(),
                    p.path.clone(),
                ));
                ixs
            })
            .collect();
        self.sender
            .send_many(&batch, &key)
            .await
            .into_iter()
            .map(|sent| match sent {
                Ok(_) => ProofOutcome::Accepted,
                Err(basalt_sdk::chain::ChainError::Program { name, .. })
                    if name == "AlreadyProven" =>
                {
                    ProofOutcome::AlreadyProven
                }
                Err(e) => ProofOutcome::Failed(e.to_string()),
            })
            .collect()
    }

    async fn crank_view(&self, blobs: &[BlobId]) -> Result<CrankView, ChainError> {
        let (epoch_ticks, window_ticks) = self.epoch_geometry().await?;
        let me = self.me();
        let mut now = None::<u64>;
        let mut read = Vec::with_capacity(blobs.len());
        for group in blobs.chunks(CRANK_BLOBS_PER_READ) {
            let (slot, blobs) = self.crank_read(group, &me).await?;
            // The earliest read's slot: a window closed then was closed for every group.
            now = Some(now.map_or(slot, |n| n.min(slot)));
            read.extend(blobs);
        }
        let now = match now {
            Some(now) => now,
            None => self.rpc.get_slot().await.map_err(|e| self.error(e))?,
        };
        let offline_ticks = self.read_silence(&mut read).await?;
        let clock = CrankClock {
            now,
            epoch_ticks,
            window_ticks,
            offline_ticks,
        };
        // Only a blob with an index to move needs the registry read.
        let candidates = if read.iter().any(CrankBlob::may_need_a_holder) {
            self.candidates().await?
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
        let key = self.keypair();
        let me = self.me();
        let mint = match self.stake_mint().await {
            Ok(mint) => mint,
            Err(e) => {
                return actions
                    .iter()
                    .map(|_| CrankOutcome::Failed(e.to_string()))
                    .collect()
            }
        };
        let mut outcomes: Vec<Option<CrankOutcome>> = Vec::with_capacity(actions.len());
        let mut batch = Vec::with_capacity(actions.len());
        let mut sent = Vec::with_capacity(actions.len());
        for (i, action) in actions.iter().enumerate() {
            match Self::crank_instructions(action, &me, &mint) {
                Ok(ixs) => {
                    batch.push(ixs);
                    sent.push(i);
                    outcomes.push(None);
                }
                Err(why) => outcomes.push(Some(CrankOutcome::Failed(why))),
            }
        }
        let answers = self.sender.send_many(&batch, &key).await;
        for (i, answer) in sent.into_iter().zip(answers) {
            outcomes[i] = Some(match answer {
                Ok(signature) => self.crank_result(&signature).await,
                Err(e) => CrankOutcome::Failed(e.to_string()),
            });
        }
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| CrankOutcome::Failed("not sent".into())))
            .collect()
    }

    async fn holder_endpoints(&self, blob: &BlobId) -> Result<Vec<Option<String>>, ChainError> {
        let snap = self.snapshot(blob, None).await?;
        let Some(blob) = snap.blob else {
            return Ok(Vec::new());
        };
        let keys: Vec<Pubkey> = blob
            .shards
            .iter()
            .map(|s| pda::provider(&s.provider))
            .collect();
        let accounts = self.accounts(&keys).await?;
        let mut endpoints = Vec::with_capacity(keys.len());
        for (account, slot) in accounts.iter().zip(&blob.shards) {
            let provider: Option<Provider> = if slot.is_placed() {
                self.decode(account.as_ref())?
            } else {
                None
            };
            endpoints.push(provider.map(|p| p.endpoint));
        }
        Ok(endpoints)
    }

    async fn heartbeat(&self) -> Result<(), ChainError> {
        let key = self.keypair();
        let me = self.me();
        // A node starts before its operator registers it: say so instead of sending a
        // transaction the program can only refuse.
        let registered = self.sender.provider(&me).await.map_err(|e| self.error(e))?;
        if registered.is_none() {
            return Err(self.error(format!("{me} is not a registered provider yet")));
        }
        let ix = ix::provider_heartbeat(&me);
        self.sender
            .send(&[ix], &key, &[])
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }

    async fn accept(&self, blob: &BlobId, index: u16, terms: &Terms) -> Result<(), ChainError> {
        let key = self.keypair();
        let ix = ix::shard_accept(&self.me(), &blob_address(blob), index, terms);
        self.sender
            .send(&[ix], &key, &[])
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }
}
