use anchor_lang::prelude::*;
use basalt_rules::DealCover;

use crate::state::Blob;

/// A blob's storage deal: `["deal", blob]`. Its tokens sit in the escrow vault; `balance`
/// is this deal's share of it.
#[account]
#[derive(InitSpace, Debug)]
pub struct Deal {
    pub blob: Pubkey,
    /// Funded the deal; receives the refund.
    pub payer: Pubkey,
    /// Paid to a shard's holder for each epoch it proves.
    pub price_per_shard_epoch: u64,
    /// Escrow not yet paid out.
    // INV: the escrow vault holds at least the sum of every deal's and job's balance
    pub balance: u64,
    pub total_paid: u64,
    pub bump: u8,
}

impl Deal {
    /// What the deal at `info` (the blob's deal address, checked by the caller's seeds)
    /// holds for `blob`'s shards; `None` when there is no deal there (never funded, or
    /// refunded and closed).
    ///
    /// # Errors
    ///
    /// When the account is the program's but not a Deal.
    pub fn cover(info: &AccountInfo, blob: &Blob) -> Result<Option<DealCover>> {
        if info.owner != &crate::ID || info.data_is_empty() {
            return Ok(None);
        }
        let deal = Deal::try_deserialize(&mut &info.try_borrow_data()?[..])?;
        let owed_epochs = blob
            .shards
            .iter()
            .map(|s| u128::from(s.unpaid_epochs))
            .sum();
        Ok(Some(DealCover {
            balance: u128::from(deal.balance),
            price_per_shard_epoch: u128::from(deal.price_per_shard_epoch),
            owed_epochs,
        }))
    }
}
