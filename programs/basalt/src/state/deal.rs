use anchor_lang::prelude::*;

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
