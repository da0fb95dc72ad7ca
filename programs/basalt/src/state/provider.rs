use anchor_lang::prelude::*;
use basalt_rules::{Slash, SlashCounter};

use crate::errors::BasaltError;
use crate::state::{narrow, Config};

pub use basalt_rules::{MAX_ENDPOINT_LEN, MAX_REGION_LEN, ROLE_COMPUTE, ROLE_STORAGE};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum ProviderStatus {
    /// Can be given work if its stake is at least the minimum.
    Active,
    /// Part of its stake is unbonding: it gets no new work until it withdraws.
    Unbonding,
    /// Slashed for a fault: no new work until it unjails.
    Jailed,
}

/// A storage and/or compute provider: `["provider", authority]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Provider {
    /// The wallet that registered, stakes, signs proofs and job results.
    pub authority: Pubkey,
    /// Where its node or worker listens (`https://...`).
    #[max_len(MAX_ENDPOINT_LEN)]
    pub endpoint: String,
    #[max_len(MAX_REGION_LEN)]
    pub region: String,
    /// ROLE_STORAGE | ROLE_COMPUTE.
    // INV: non-zero, no other bits
    pub roles: u8,
    /// Advertised capacity in bytes.
    pub capacity: u64,
    /// Bonded stake, in the config's stake mint, held in the stake vault.
    pub stake: u64,
    /// Stake waiting out the unbonding period (still slashable).
    pub unbonding_amount: u64,
    /// First epoch in which `unbonding_amount` may be withdrawn.
    pub unbonding_until_epoch: u64,
    pub status: ProviderStatus,
    /// Last epoch of the current jail term.
    pub jailed_until_epoch: u64,
    /// Raised for each agreeing job result, lowered for each fault or no-show.
    pub reputation: i64,
    pub last_heartbeat_slot: u64,
    pub registered_slot: u64,
    pub bump: u8,
    /// Epoch of the latest proof slash, and how many took stake in it.
    // INV: slashes_in_epoch <= the max_slashes_per_epoch in force when it was counted
    pub slash_epoch: u64,
    pub slashes_in_epoch: u16,
    /// Obligations the provider signed for and still carries: shard slots it accepted
    /// (until a slash, a release or the blob's deletion) and job places it took (until
    /// settled). While any is open its bonded stake may not fall below the minimum.
    // INV: == accepted slots naming this provider + its unsettled job places
    pub open_obligations: u32,
}

/// Checks what `provider_register` and `provider_update` store: a non-empty endpoint URL and
/// a region within their limits, and a non-empty role set of known bits.
///
/// # Errors
///
/// [`BasaltError::InvalidEndpoint`], [`BasaltError::InvalidRegion`] or
/// [`BasaltError::InvalidRoles`].
pub fn validate_profile(endpoint: &str, region: &str, roles: u8) -> Result<()> {
    basalt_rules::validate_profile(endpoint, region, roles).map_err(|e| BasaltError::from(e).into())
}

impl Provider {
    /// Whether the provider may be given new work of `role`: active (neither unbonding nor
    /// jailed), holding that role, with at least the minimum stake.
    pub fn is_eligible(&self, config: &Config, role: u8) -> bool {
        self.status == ProviderStatus::Active
            && self.roles & role != 0
            && self.stake >= config.min_stake
    }

    /// Takes `bps` of the provider's slashable tokens (bonded first, then unbonding) and
    /// returns the amount, which the caller moves out of the stake vault.
    pub fn slash(&mut self, bps: u16) -> u64 {
        self.take(Slash::of(
            self.stake.into(),
            self.unbonding_amount.into(),
            bps,
        ))
    }

    /// Takes up to `amount` of the provider's slashable tokens, as [`Provider::slash`] does,
    /// and returns what it took: all of them when they are fewer.
    pub fn charge(&mut self, amount: u128) -> u64 {
        self.take(Slash::up_to(
            self.stake.into(),
            self.unbonding_amount.into(),
            amount,
        ))
    }

    fn take(&mut self, slash: Slash) -> u64 {
        self.stake -= narrow(slash.from_stake);
        self.unbonding_amount -= narrow(slash.from_unbonding);
        narrow(slash.amount)
    }

    /// Counts a proof slash in `epoch` (the current one) and says whether it may take stake:
    /// no more than `cap` (the configuration's `max_slashes_per_epoch`) do in one epoch.
    pub fn count_slash(&mut self, epoch: u64, cap: u16) -> bool {
        let mut counter = SlashCounter {
            epoch: self.slash_epoch,
            count: self.slashes_in_epoch,
        };
        let takes_stake = counter.record(epoch, cap);
        self.slash_epoch = counter.epoch;
        self.slashes_in_epoch = counter.count;
        takes_stake
    }

    /// Counts an obligation the provider just signed for.
    ///
    /// # Errors
    ///
    /// [`BasaltError::Overflow`].
    pub fn open_obligation(&mut self) -> Result<()> {
        self.open_obligations = self
            .open_obligations
            .checked_add(1)
            .ok_or(BasaltError::Overflow)?;
        Ok(())
    }

    /// Counts an obligation that ended (slashed, released, deleted, settled).
    pub fn close_obligation(&mut self) {
        // INV above: every close follows its open, so this never saturates.
        self.open_obligations = self.open_obligations.saturating_sub(1);
    }

    /// Checks that `bonded_after`, the provider's bonded stake once an unstake or a
    /// withdrawal went through, still secures its open obligations
    /// (`basalt_rules::check_stake_kept`).
    ///
    /// # Errors
    ///
    /// [`BasaltError::ObligationsOpen`].
    pub fn check_stake_kept(&self, bonded_after: u64, config: &Config) -> Result<()> {
        basalt_rules::check_stake_kept(
            bonded_after.into(),
            config.min_stake.into(),
            self.open_obligations,
        )
        .map_err(|e| BasaltError::from(e).into())
    }

    /// Jails the provider for the rest of `epoch` and the next one.
    pub fn jail(&mut self, epoch: u64) {
        self.status = ProviderStatus::Jailed;
        self.jailed_until_epoch = epoch.saturating_add(1);
    }
}
