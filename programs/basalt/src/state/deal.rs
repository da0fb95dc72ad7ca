use anchor_lang::prelude::*;
use basalt_rules::DealCover;

use crate::errors::BasaltError;
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
        let Some(deal) = Self::read(info)? else {
            return Ok(None);
        };
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

    /// The price per shard-epoch of the deal at `info` (the blob's deal address, checked by
    /// the caller's seeds); `None` when there is no deal there.
    ///
    /// # Errors
    ///
    /// When the account is the program's but not a Deal.
    pub fn price_at(info: &AccountInfo) -> Result<Option<u128>> {
        Ok(Self::read(info)?.map(|deal| u128::from(deal.price_per_shard_epoch)))
    }

    /// Adds `amount` to the balance of the deal at `info` (the blob's deal address, checked
    /// by the caller's seeds, writable): tokens the caller moved into the escrow vault.
    ///
    /// # Errors
    ///
    /// [`BasaltError::DealMismatch`] when there is no deal there, [`BasaltError::Overflow`].
    pub fn credit(info: &AccountInfo, amount: u64) -> Result<()> {
        let mut deal = Self::read(info)?.ok_or(BasaltError::DealMismatch)?;
        deal.balance = deal
            .balance
            .checked_add(amount)
            .ok_or(BasaltError::Overflow)?;
        deal.try_serialize(&mut &mut info.try_borrow_mut_data()?[..])
    }

    /// The deal at `info`, or `None` when the program holds no account there (never funded,
    /// or refunded and closed).
    fn read(info: &AccountInfo) -> Result<Option<Deal>> {
        if info.owner != &crate::ID || info.data_is_empty() {
            return Ok(None);
        }
        Ok(Some(Deal::try_deserialize(
            &mut &info.try_borrow_data()?[..],
        )?))
    }
}
