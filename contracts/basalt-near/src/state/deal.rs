use basalt_rules::DealCover;
use near_sdk::{near, AccountId};

use crate::state::Blob;

/// A blob's storage deal, keyed by the blob's CID digest. Its tokens are in the contract's
/// escrow books; `balance` is this deal's share.
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deal {
    /// Funded the deal; receives the refund and gets the deal's storage back.
    pub payer: AccountId,
    /// Paid to a shard's holder for each epoch it proves.
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub price_per_shard_epoch: u128,
    /// Escrow not yet paid out.
    // INV: the escrow books hold at least the sum of every deal's and job's balance
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub balance: u128,
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub total_paid: u128,
}

impl Deal {
    /// What the deal holds for `blob`'s shards, for `basalt_rules::check_slashable`.
    pub fn cover(&self, blob: &Blob) -> DealCover {
        DealCover {
            balance: self.balance,
            price_per_shard_epoch: self.price_per_shard_epoch,
            owed_epochs: blob
                .shards
                .iter()
                .map(|s| u128::from(s.unpaid_epochs))
                .sum(),
        }
    }
}
