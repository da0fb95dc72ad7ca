use basalt_proof::BlobLayout;
use basalt_rules::{OfferedBlob, Terms};
use near_sdk::json_types::U128;
use near_sdk::{env, near, AccountId};

use crate::errors::{ensure, BasaltError, Result};
use crate::events::Event;
use crate::state::{
    Blob, BlobState, Digest, ShardSlot, TokenGate, MAX_BLOB_SHARDS, ROLE_ADMIN, ROLE_DELETE,
    ROLE_STORAGE, ROLE_WRITE,
};
use crate::{add, sub, Contract, ContractExt};

/// What a client commits to when it registers a blob (computed by `basalt-core`).
#[near(serializers = [json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobRegisterArgs {
    pub cid_digest: Digest,
    pub size: u64,
    pub chunk_size: u32,
    pub leaf_size: u32,
    pub k: u16,
    pub m: u16,
    pub commitment_root: Digest,
    pub expiry_epoch: u64,
    pub public: bool,
    /// The stored bytes are ciphertext (`basalt_core` per-chunk AEAD).
    pub encrypted: bool,
}

#[near]
impl Contract {
    /// `blob_register`: creates a blob owned by the caller with its shards unplaced;
    /// `blob_place` places them and activates it. Attach the record's storage (about
    /// 0.01 NEAR for 14 shards). Returns the blob's id (`basalt_proof::blob_id` of the
    /// caller and the CID), which every other method takes.
    #[payable]
    #[handle_result]
    pub fn blob_register(&mut self, args: BlobRegisterArgs) -> Result<Digest> {
        let owner = env::predecessor_account_id();
        self.register_blob(owner, None, &args)
    }

    /// `blob_place`: places shard indices `first .. first + providers.len()` on
    /// `providers` with their `column_roots`.
    ///
    /// A placement is an offer: the provider owes nothing for the index until it accepts it
    /// with `shard_accept`, which its node does once it holds and checked the column. An
    /// offer not accepted within the configuration's `accept_window_ticks` blocks lapses and the index may be
    /// placed again; an accepted index never moves until a slash or a release sends it to
    /// repair.
    ///
    /// While the blob is not yet active any index its holder has not accepted may be
    /// (re)placed; whenever every index is placed the column roots must hash to the
    /// commitment root. The blob becomes active when every holder has accepted. Once active, only shards marked for repair or whose placement lapsed move,
    /// keeping their column root.
    /// Until the blob is active, called by the owner, a WRITE grantee or the blob's writer
    /// (the worker that registered a job's output); once active, by
    /// anyone (`basalt_rules::placement_needs_owner`): only a repair can move an index then,
    /// and the deal pays the holder that accepts it. Every provider must be eligible for
    /// storage and may hold only one index of the blob.
    #[payable]
    #[handle_result]
    pub fn blob_place(
        &mut self,
        blob_id: Digest,
        first: u16,
        providers: Vec<AccountId>,
        column_roots: Vec<Digest>,
    ) -> Result<()> {
        let caller = env::predecessor_account_id();
        let mut blob = self.blob(&blob_id)?;
        if basalt_rules::placement_needs_owner(blob.active) && blob.writer.as_ref() != Some(&caller)
        {
            self.authorize(&blob, &caller, ROLE_WRITE)?;
        }
        ensure!(
            !column_roots.is_empty() && providers.len() == column_roots.len(),
            BasaltError::PlacementMismatch
        );
        let first = usize::from(first);
        let end = first
            .checked_add(column_roots.len())
            .ok_or(BasaltError::Overflow)?;
        ensure!(end <= blob.shards.len(), BasaltError::ShardOutOfRange);
        let epoch = self.current_epoch();
        ensure!(blob.expiry_epoch > epoch, BasaltError::BlobExpired);
        let block = env::block_height();
        let meter = self.meter()?;

        let was_active = blob.active;
        let mut placed = Vec::with_capacity(providers.len());
        for (offset, (account, root)) in providers.into_iter().zip(column_roots).enumerate() {
            let index = first + offset;
            let provider = self.provider(&account)?;
            ensure!(
                provider.is_eligible(&self.config, ROLE_STORAGE),
                BasaltError::ProviderNotEligible
            );
            ensure!(
                blob.shards
                    .iter()
                    .enumerate()
                    .all(|(i, s)| i == index || s.provider.as_ref() != Some(&account)),
                BasaltError::DuplicateProvider
            );
            let slot = &mut blob.shards[index];
            let next = slot.state().place(&basalt_rules::NewPlacement {
                blob_active: was_active,
                replaces: slot.provider.is_some(),
                column_root: root.into(),
                now: block,
                epoch,
                accept_window_ticks: self.config.accept_window_ticks,
            })?;
            slot.set_state(next);
            let previous = slot.provider.replace(account.clone());
            placed.push(Event::ShardPlaced {
                blob: blob_id,
                index: index as u16,
                provider: account,
                previous,
                assigned_epoch: next.assigned_epoch,
                block,
            });
        }

        // INV: whenever every index is placed, the column roots hash to the commitment root
        // (checked at each placement until activation; a repair keeps its index's root).
        if !was_active && blob.is_placed() {
            let roots: Vec<[u8; 32]> = blob.shards.iter().map(|s| s.column_root.into()).collect();
            ensure!(
                basalt_proof::commitment_root(&roots) == <[u8; 32]>::from(blob.commitment_root),
                BasaltError::CommitmentMismatch
            );
        }
        self.blobs.insert(&blob_id, &blob);
        self.settle(meter)?;
        placed.iter().for_each(Event::emit);
        Ok(())
    }

    /// `shard_accept`: the holder named by a placement accepts shard `index` on its terms,
    /// signing for the obligation to prove it every epoch (and to be slashed when it does
    /// not) in exchange for the deal's payments: `column_root`, the root it checked its
    /// stored column against, the blob's `expiry_epoch` and the deal's
    /// `price_per_shard_epoch` (`basalt_rules::Terms`). The acceptance fails if any of them
    /// changed since the holder read them; the slot keeps the price, and the holder answers
    /// for it only while the deal pays at least that. The holder's provider record counts
    /// the obligation, which keeps its stake bonded until it ends.
    #[handle_result]
    pub fn shard_accept(
        &mut self,
        blob_id: Digest,
        index: u16,
        column_root: Digest,
        expiry_epoch: u64,
        price_per_shard_epoch: U128,
    ) -> Result<()> {
        let holder = env::predecessor_account_id();
        let mut provider = self.provider(&holder)?;
        let mut blob = self.blob(&blob_id)?;
        let epoch = self.current_epoch();
        ensure!(blob.expiry_epoch > epoch, BasaltError::BlobExpired);
        let offered = OfferedBlob {
            expiry_epoch: blob.expiry_epoch,
            deal_price: self.deals.get(&blob_id).map(|d| d.price_per_shard_epoch),
            active: blob.active,
        };
        let terms = Terms {
            column_root: column_root.into(),
            expiry_epoch,
            price_per_shard_epoch: price_per_shard_epoch.0,
        };
        let slot = blob.slot_mut(index)?;
        ensure!(
            slot.provider.as_ref() == Some(&holder),
            BasaltError::NotShardHolder
        );
        let accepted = slot
            .state()
            .accept(env::block_height(), epoch, &terms, &offered)?;
        slot.set_state(accepted);
        let activated = blob.activate_if_accepted(epoch)?;
        let assigned_epoch = blob.slot(index)?.assigned_epoch;
        provider.open_obligation()?;
        // Neither record grows: no storage to pay.
        self.blobs.insert(&blob_id, &blob);
        self.providers.insert(&holder, &provider);
        Event::ShardAccepted {
            blob: blob_id,
            index,
            provider: holder,
            assigned_epoch,
            price_per_shard_epoch,
            block: env::block_height(),
        }
        .emit();
        if activated {
            Event::BlobActivated {
                blob: blob_id,
                block: env::block_height(),
            }
            .emit();
        }
        Ok(())
    }

    /// `shard_release`: the holder of shard `index` walks away from it, without penalty,
    /// once the blob expired or its deal no longer pays for it (refunded, or drained below
    /// what the holders are owed plus one more epoch). The epochs it proved must be settled
    /// first while a deal remains; without a deal nothing can pay them and they are
    /// dropped. The obligation ends and the index awaits repair.
    #[handle_result]
    pub fn shard_release(&mut self, blob_id: Digest, index: u16) -> Result<()> {
        let holder = env::predecessor_account_id();
        let mut provider = self.provider(&holder)?;
        let mut blob = self.blob(&blob_id)?;
        let cover = self.deals.get(&blob_id).map(|d| d.cover(&blob));
        let expired = self.current_epoch() >= blob.expiry_epoch;
        let slot = blob.slot_mut(index)?;
        ensure!(
            slot.provider.as_ref() == Some(&holder),
            BasaltError::NotShardHolder
        );
        ensure!(slot.accepted, BasaltError::ShardNotAccepted);
        basalt_rules::check_release(
            cover.as_ref(),
            slot.accepted_price,
            slot.unpaid_epochs,
            expired,
        )?;
        // Epochs the deal could not pay stay owed to this holder (`check_release`).
        slot.accepted = false;
        slot.needs_repair = true;
        provider.close_obligation();
        // Neither record grows: no storage to pay.
        self.blobs.insert(&blob_id, &blob);
        self.providers.insert(&holder, &provider);
        Event::ShardReleased {
            blob: blob_id,
            index,
            provider: holder,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    /// `shard_evict`: anyone may send shard `index` to repair once its holder has been silent
    /// for more than the configuration's `offline_ticks` blocks (no `provider_heartbeat`
    /// since, nor a registration). The holder loses the index (its obligation ends) but no
    /// stake beyond its repair: `basalt_rules::Eviction::repair_charge` moves from its stake
    /// into the deal, which owes the next holder that much. It is neither slashed nor
    /// jailed: silence is not proven fraud. Its proven, unpaid epochs stay on the index, so
    /// a settle still pays them before `blob_place` moves it. A holder that already missed
    /// a proof it can be slashed for is slashed instead (`proof_slash`,
    /// `MissedProofPending`): an eviction is no way out of a slash.
    #[handle_result]
    pub fn shard_evict(&mut self, blob_id: Digest, index: u16) -> Result<()> {
        let now = env::block_height();
        let mut blob = self.blob(&blob_id)?;
        // An expired blob is no one's obligation and nothing repairs it.
        ensure!(
            self.current_epoch() < blob.expiry_epoch,
            BasaltError::BlobExpired
        );
        let cover = self.deals.get(&blob_id).map(|d| d.cover(&blob));
        let (blob_active, expiry_epoch) = (blob.active, blob.expiry_epoch);
        let slot = blob.slot_mut(index)?;
        let holder = slot.provider.clone().ok_or(BasaltError::NotShardHolder)?;
        let mut provider = self.provider(&holder)?;
        let eviction = basalt_rules::Eviction {
            holder: basalt_rules::HolderSilence {
                last_heartbeat: provider.last_heartbeat_block,
                registered: provider.registered_block,
            },
            now,
            offline_ticks: self.config.offline_ticks,
            blob_active,
            expiry_epoch,
            latest_closed_epoch: basalt_rules::latest_closed_epoch(
                now,
                self.config.epoch_blocks,
                self.config.proof_window_blocks,
            ),
            cover,
        };
        let state = slot.state();
        slot.set_state(state.evict(&eviction)?);
        provider.close_obligation();
        let charged = provider.charge(eviction.repair_charge(state.accepted_price));
        if charged > 0 {
            // A charge is made only when the blob has a deal (`Eviction::repair_charge`).
            let mut deal = self.deals.get(&blob_id).ok_or(BasaltError::DealNotFound)?;
            deal.balance = add(deal.balance, charged)?;
            self.deals.insert(&blob_id, &deal);
            self.books.stake = sub(self.books.stake, charged)?;
            self.books.escrow = add(self.books.escrow, charged)?;
        }
        // No record grows: no storage to pay.
        self.blobs.insert(&blob_id, &blob);
        self.providers.insert(&holder, &provider);
        Event::ShardEvicted {
            blob: blob_id,
            index,
            provider: holder,
            last_heartbeat_block: eviction.holder.last_heartbeat,
            charged: U128(charged),
            cranker: env::predecessor_account_id(),
            block: now,
        }
        .emit();
        Ok(())
    }

    /// `blob_set_access`: sets the public flag and the token gate (owner or an ADMIN
    /// grantee).
    #[payable]
    #[handle_result]
    pub fn blob_set_access(
        &mut self,
        blob_id: Digest,
        public: bool,
        token_gate: Option<TokenGate>,
    ) -> Result<()> {
        let mut blob = self.blob(&blob_id)?;
        self.authorize(&blob, &env::predecessor_account_id(), ROLE_ADMIN)?;
        let meter = self.meter()?;
        blob.public = public;
        blob.token_gate = token_gate.clone();
        self.blobs.insert(&blob_id, &blob);
        self.settle(meter)?;
        Event::BlobAccessChanged {
            blob: blob_id,
            public,
            token_gate,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    /// `blob_delete`: deletes a blob (owner or a DELETE grantee); its storage goes back to
    /// whoever paid for it and nodes garbage-collect its shards. A deal must be refunded
    /// first (`deal_refund`), so no escrow is stranded. The obligations of the holders that
    /// accepted a shard end with the blob. So do its grants: those of `grantees` are
    /// removed (their storage back to whoever granted them), and every other one must have
    /// been revoked before (`basalt_rules::check_no_grants`): a grant that outlived its
    /// blob would give rights on whoever registers the same content next.
    #[handle_result]
    pub fn blob_delete(&mut self, blob_id: Digest, grantees: Option<Vec<AccountId>>) -> Result<()> {
        let caller = env::predecessor_account_id();
        let blob = self.blob(&blob_id)?;
        self.authorize(&blob, &caller, ROLE_DELETE)?;
        ensure!(
            self.deals.get(&blob_id).is_none(),
            BasaltError::UnsettledPayouts
        );
        // Every listed grant is checked before any is removed: a refused call changes nothing.
        let mut closing: Vec<(AccountId, AccountId)> = Vec::new();
        for grantee in grantees.unwrap_or_default() {
            ensure!(
                !closing.iter().any(|(g, _)| *g == grantee),
                BasaltError::GrantNotFound
            );
            let grant = self
                .grants
                .get(&(blob_id, grantee.clone()))
                .ok_or(BasaltError::GrantNotFound)?;
            closing.push((grantee, grant.granted_by));
        }
        let closed = u32::try_from(closing.len()).map_err(|_| BasaltError::Overflow)?;
        basalt_rules::check_no_grants(blob.grant_count.saturating_sub(closed))?;
        let mut meter = self.meter()?;
        for (grantee, granted_by) in closing {
            let key = (blob_id, grantee.clone());
            self.release(&mut meter, &granted_by, |c| {
                c.grants.remove(&key);
            })?;
            Event::GrantRevoked {
                blob: blob_id,
                grantee,
                revoked_by: caller.clone(),
                block: env::block_height(),
            }
            .emit();
        }
        // The holders' obligations end with the blob (their records keep their size).
        for holder in blob.shards.iter().filter(|s| s.accepted) {
            let holder = holder
                .provider
                .as_ref()
                .ok_or(BasaltError::NotShardHolder)?;
            let mut provider = self.provider(holder)?;
            provider.close_obligation();
            self.providers.insert(holder, &provider);
        }
        self.release(&mut meter, &blob.storage_payer, |c| {
            c.blobs.remove(&blob_id);
        })?;
        self.settle(meter)?;
        Event::BlobDeleted {
            blob: blob_id,
            by: caller,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    pub fn blob_get(&self, blob_id: Digest) -> Option<Blob> {
        self.blobs.get(&blob_id)
    }

    /// Whether the blob is registered and still paid for: what a node's garbage
    /// collection asks.
    pub fn blob_state(&self, blob_id: Digest) -> BlobState {
        match self.blobs.get(&blob_id) {
            None => BlobState::Unregistered,
            Some(b) if b.expiry_epoch <= self.current_epoch() => BlobState::Expired,
            Some(_) => BlobState::Live,
        }
    }
}

impl Contract {
    /// Creates a blob of `owner` with its shards unplaced, checked as `blob_register`
    /// checks it, its storage paid by the caller (shared with `job_output_register`, where
    /// the caller is a worker registering for a job's requester). Returns its id.
    pub(crate) fn register_blob(
        &mut self,
        owner: AccountId,
        writer: Option<AccountId>,
        args: &BlobRegisterArgs,
    ) -> Result<Digest> {
        let total = usize::from(args.k) + usize::from(args.m);
        ensure!(total <= MAX_BLOB_SHARDS, BasaltError::TooManyShards);
        // Rejects zero k or m, bad chunk or leaf sizes, and blobs whose proofs would not
        // fit in a Solana transaction (the same rule on both chains).
        let layout =
            BlobLayout::with_leaf_size(args.size, args.chunk_size, args.k, args.m, args.leaf_size)
                .map_err(|_| BasaltError::InvalidLayout)?;
        basalt_rules::check_expiry(
            self.current_epoch(),
            args.expiry_epoch,
            self.config.max_deal_epochs,
        )?;
        // Keyed by owner and content together: another account's registration of the same
        // digest is another blob, so nobody can squat it.
        let id = Blob::id_of(&owner, args.cid_digest);
        ensure!(self.blobs.get(&id).is_none(), BasaltError::BlobExists);
        let block = env::block_height();
        let meter = self.meter()?;
        let blob = Blob {
            owner: owner.clone(),
            cid_digest: args.cid_digest,
            size: args.size,
            chunk_size: args.chunk_size,
            leaf_size: args.leaf_size,
            k: args.k,
            m: args.m,
            chunk_count: layout.chunk_count(),
            commitment_root: args.commitment_root,
            expiry_epoch: args.expiry_epoch,
            created_block: block,
            public: args.public,
            encrypted: args.encrypted,
            token_gate: None,
            active: false,
            grant_count: 0,
            writer,
            storage_payer: env::predecessor_account_id(),
            shards: vec![ShardSlot::default(); total],
        };
        self.blobs.insert(&id, &blob);
        self.settle(meter)?;
        Event::BlobRegistered {
            blob: id,
            cid_digest: args.cid_digest,
            owner,
            size: args.size,
            k: args.k,
            m: args.m,
            chunk_count: blob.chunk_count,
            commitment_root: args.commitment_root,
            expiry_epoch: args.expiry_epoch,
            public: args.public,
            encrypted: args.encrypted,
            block,
        }
        .emit();
        Ok(id)
    }
}
