use near_sdk::json_types::U128;
use near_sdk::{env, near, AccountId};

use crate::errors::{ensure, BasaltError, Result};
use crate::events::Event;
use crate::state::{Deal, Digest, ROLE_DELETE, ROLE_WRITE};
use crate::{add, sub, Contract, ContractExt};

#[near]
impl Contract {
    /// `deal_settle`: pays the holder of shard `index` for its proven, unpaid epochs
    /// (anyone may crank it) into its withdrawable tokens.
    ///
    /// Pays as many proven epochs as the escrow covers and keeps the rest owed
    /// (`basalt_rules::Settlement`): a top-up lets a later settle pay them, and nothing
    /// earned is forfeited. Each proven epoch is counted once (`record_proof`) and cleared
    /// here when paid, so nothing is paid twice and nothing is paid without a proof.
    #[handle_result]
    pub fn deal_settle(&mut self, blob_id: Digest, index: u16) -> Result<U128> {
        let mut blob = self.blob(&blob_id)?;
        let mut deal = self.deals.get(&blob_id).ok_or(BasaltError::DealNotFound)?;
        let slot = blob.slot_mut(index)?;
        let holder = slot.provider.clone().ok_or(BasaltError::NotShardHolder)?;
        let settlement = basalt_rules::Settlement::of(
            slot.unpaid_epochs,
            deal.balance,
            deal.price_per_shard_epoch,
        );
        let amount = settlement.amount;
        slot.unpaid_epochs = settlement.epochs_owed;
        let meter = self.meter()?;
        deal.balance -= amount;
        deal.total_paid = add(deal.total_paid, amount)?;
        self.books.escrow = sub(self.books.escrow, amount)?;
        self.credit_tokens(&holder, amount)?;
        self.blobs.insert(&blob_id, &blob);
        self.deals.insert(&blob_id, &deal);
        self.settle(meter)?;
        Event::DealSettled {
            blob: blob_id,
            index,
            provider: holder,
            epochs_paid: settlement.epochs_paid,
            epochs_owed: settlement.epochs_owed,
            amount: U128(amount),
            balance: U128(deal.balance),
            block: env::block_height(),
        }
        .emit();
        Ok(U128(amount))
    }

    /// `deal_refund`: returns a deal's remaining escrow to its payer and removes it: after
    /// the blob expired (anyone may crank), or earlier when the owner or a DELETE grantee
    /// cancels it (before deleting the blob). Every shard must be settled first, so
    /// providers keep what they proved.
    #[handle_result]
    pub fn deal_refund(&mut self, blob_id: Digest) -> Result<U128> {
        let caller = env::predecessor_account_id();
        let blob = self.blob(&blob_id)?;
        let deal = self.deals.get(&blob_id).ok_or(BasaltError::DealNotFound)?;
        if self.current_epoch() < blob.expiry_epoch {
            self.authorize(&blob, &caller, ROLE_DELETE)?;
        }
        ensure!(
            blob.shards.iter().all(|s| s.unpaid_epochs == 0),
            BasaltError::UnsettledPayouts
        );
        let amount = deal.balance;
        let mut meter = self.meter()?;
        self.books.escrow = sub(self.books.escrow, amount)?;
        self.credit_tokens(&deal.payer, amount)?;
        self.release(&mut meter, &deal.payer, |c| {
            c.deals.remove(&blob_id);
        })?;
        self.settle(meter)?;
        Event::DealRefunded {
            blob: blob_id,
            payer: deal.payer,
            amount: U128(amount),
            block: env::block_height(),
        }
        .emit();
        Ok(U128(amount))
    }

    pub fn deal_get(&self, blob_id: Digest) -> Option<Deal> {
        self.deals.get(&blob_id)
    }
}

impl Contract {
    /// `deal_fund`, through `ft_transfer_call` `{"action":"deal_fund",...}`: opens the
    /// blob's deal with `amount` as escrow; each shard's holder earns
    /// `price_per_shard_epoch` for every epoch it proves. The sender is the payer and gets
    /// the refund.
    pub(crate) fn deal_fund_tokens(
        &mut self,
        payer: &AccountId,
        blob_id: Digest,
        price_per_shard_epoch: u128,
        amount: u128,
    ) -> Result<u128> {
        ensure!(price_per_shard_epoch > 0, BasaltError::ZeroPrice);
        let mut blob = self.blob(&blob_id)?;
        // Only the owner opens the deal: a stranger opening it first would fix the price.
        ensure!(*payer == blob.owner, BasaltError::Unauthorized);
        ensure!(
            blob.expiry_epoch > self.current_epoch(),
            BasaltError::BlobExpired
        );
        ensure!(self.deals.get(&blob_id).is_none(), BasaltError::DealExists);
        // Epochs proven while no deal existed are nobody's debt: a refund settled everything
        // earlier, so what is unpaid now was proven after it, and this deal's price was not
        // what the holders proved for (`basalt_rules::unpaid_at_opening`).
        for slot in &mut blob.shards {
            slot.unpaid_epochs = basalt_rules::unpaid_at_opening(slot.unpaid_epochs);
        }
        // The blob record keeps its size.
        self.blobs.insert(&blob_id, &blob);
        self.books.escrow = add(self.books.escrow, amount)?;
        self.deals.insert(
            &blob_id,
            &Deal {
                payer: payer.clone(),
                price_per_shard_epoch,
                balance: amount,
                total_paid: 0,
            },
        );
        // The payer's withdrawable entry, for the refund, is made now at its expense.
        if self.tokens.get(payer).is_none() {
            self.tokens.insert(payer, &0);
        }
        Event::DealFunded {
            blob: blob_id,
            payer: payer.clone(),
            price_per_shard_epoch: U128(price_per_shard_epoch),
            amount: U128(amount),
            balance: U128(amount),
            block: env::block_height(),
        }
        .emit();
        Ok(amount)
    }

    /// `deal_top_up`, through `ft_transfer_call` `{"action":"deal_top_up",...}`: the owner
    /// or a WRITE grantee adds escrow (nobody else may keep alive a blob its owner means to
    /// let lapse); refunds still go to the deal's payer.
    pub(crate) fn deal_top_up_tokens(
        &mut self,
        funder: &AccountId,
        blob_id: Digest,
        amount: u128,
    ) -> Result<u128> {
        let blob = self.blob(&blob_id)?;
        self.authorize(&blob, funder, ROLE_WRITE)?;
        let mut deal = self.deals.get(&blob_id).ok_or(BasaltError::DealNotFound)?;
        deal.balance = add(deal.balance, amount)?;
        self.books.escrow = add(self.books.escrow, amount)?;
        self.deals.insert(&blob_id, &deal);
        Event::DealFunded {
            blob: blob_id,
            payer: funder.clone(),
            price_per_shard_epoch: U128(deal.price_per_shard_epoch),
            amount: U128(amount),
            balance: U128(deal.balance),
            block: env::block_height(),
        }
        .emit();
        Ok(amount)
    }
}
