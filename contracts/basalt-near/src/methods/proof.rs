use basalt_proof::{derive_challenge, verify_storage_proof};
use near_sdk::json_types::{Base64VecU8, U128};
use near_sdk::{env, near};

use crate::errors::{ensure, BasaltError, Result};
use crate::events::Event;
use crate::state::{bps_of, Digest};
use crate::{sub, Contract, ContractExt};

#[near]
impl Contract {
    /// `proof_submit`: the holder of shard `index` proves it still stores the leaf the
    /// chain challenges in the current epoch: `leaf` and its `path` (shard tree, then
    /// column tree) must reach the shard's column root, checked by
    /// `basalt_proof::verify_storage_proof`, the same code the Solana program and the nodes
    /// run. The epoch's seed must have been drawn (`challenge_seed_draw`).
    #[handle_result]
    pub fn proof_submit(
        &mut self,
        blob_id: Digest,
        index: u16,
        epoch: u64,
        leaf: Base64VecU8,
        path: Vec<Digest>,
    ) -> Result<()> {
        let prover = env::predecessor_account_id();
        ensure!(epoch == self.current_epoch(), BasaltError::WrongEpoch);
        self.ensure_in_proof_window(epoch)?;
        let mut blob = self.blob(&blob_id)?;
        let slot = blob.provable_slot(index, epoch, &prover)?;
        let seed = self.seed_of(epoch)?;
        let layout = blob.layout()?;
        let challenge =
            derive_challenge(&seed, &blob.commitment_root.into(), index, epoch, &layout)
                .ok_or(BasaltError::InvalidProof)?;
        let path: Vec<[u8; 32]> = path.into_iter().map(Into::into).collect();
        verify_storage_proof(
            &layout,
            &slot.column_root.into(),
            challenge.chunk,
            challenge.leaf,
            &leaf.0,
            &path,
        )
        .map_err(|_| BasaltError::InvalidProof)?;
        blob.slot_mut(index)?.record_proof(epoch)?;
        self.blobs.insert(&blob_id, &blob);
        Event::ProofAccepted {
            blob: blob_id,
            index,
            provider: prover,
            epoch,
            chunk: challenge.chunk,
            leaf: challenge.leaf,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    /// `proof_slash`: after the proof window of `epoch` closed without a proof of shard
    /// `index` (which its holder accepted, and which the blob's deal still pays for), anyone
    /// may crank this: the holder loses
    /// `proof_slash_bps` of its stake (the caller gets `bounty_bps` of that, the treasury
    /// the rest), is jailed, and the shard is marked for repair. Beyond
    /// the configuration's `max_slashes_per_epoch` slashes of one provider in the current epoch
    /// no stake is taken (the jail and the repair still happen). Returns the amount
    /// slashed. The bounty is credited to the
    /// caller's withdrawable tokens; a first credit creates that entry, so a caller without
    /// a storage balance attaches a little NEAR.
    #[payable]
    #[handle_result]
    pub fn proof_slash(&mut self, blob_id: Digest, index: u16, epoch: u64) -> Result<U128> {
        let cranker = env::predecessor_account_id();
        let mut blob = self.blob(&blob_id)?;
        ensure!(
            blob.layout()?.column_leaves() > 0,
            BasaltError::InvalidLayout
        );
        let holder = blob
            .slot(index)?
            .provider
            .clone()
            .ok_or(BasaltError::NotShardHolder)?;
        let slot = blob.provable_slot(index, epoch, &holder)?;
        basalt_rules::check_slasher(cranker == holder)?;
        let cover = self.deals.get(&blob_id).map(|d| d.cover(&blob));
        basalt_rules::check_slashable(cover.as_ref(), slot.accepted_price)?;
        let deadline = epoch
            .checked_mul(self.config.epoch_blocks)
            .and_then(|start| start.checked_add(self.config.proof_window_blocks))
            .ok_or(BasaltError::Overflow)?;
        ensure!(
            env::block_height() > deadline,
            BasaltError::DeadlineNotPassed
        );
        match slot.is_proven(epoch) {
            Some(false) => {}
            Some(true) => return Err(BasaltError::EpochWasProven),
            None => return Err(BasaltError::EpochTooOld),
        }

        let mut provider = self.provider(&holder)?;
        let epoch_now = self.current_epoch();
        let amount = if provider.count_slash(epoch_now, self.config.max_slashes_per_epoch) {
            provider.slash(self.config.proof_slash_bps)
        } else {
            0
        };
        provider.reputation = provider.reputation.saturating_sub(1);
        provider.jail(epoch_now);
        // The shard goes to repair: the holder no longer answers for it.
        provider.close_obligation();
        let bounty = bps_of(amount, self.config.bounty_bps);
        {
            let slot = blob.slot_mut(index)?;
            slot.needs_repair = true;
            slot.accepted = false;
        }

        let meter = self.meter()?;
        self.books.stake = sub(self.books.stake, amount)?;
        self.books.treasury = self
            .books
            .treasury
            .checked_add(amount - bounty)
            .ok_or(BasaltError::Overflow)?;
        self.credit_tokens(&cranker, bounty)?;
        self.providers.insert(&holder, &provider);
        self.blobs.insert(&blob_id, &blob);
        self.settle(meter)?;
        let block = env::block_height();
        Event::ProviderSlashed {
            provider: holder.clone(),
            amount: U128(amount),
            bounty: U128(bounty),
            beneficiary: cranker.clone(),
            subject: blob_id.to_string(),
            reputation: provider.reputation,
            block,
        }
        .emit();
        Event::ProofMissed {
            blob: blob_id,
            index,
            provider: holder,
            epoch,
            cranker,
            block,
        }
        .emit();
        Ok(U128(amount))
    }
}
