use anchor_lang::prelude::*;

use crate::errors::BasaltError;

pub use basalt_rules::BPS;

/// SlotHashes keeps the hashes of the last 512 banks. A proof window of at most 511 slots
/// keeps the seed slot of the current epoch inside it (see `randomness`); 500 leaves margin.
pub const MAX_PROOF_WINDOW_SLOTS: u64 = 500;

/// The network's parameters: `["config"]`, one per program.
#[account]
#[derive(InitSpace, Debug)]
pub struct Config {
    /// May update the parameters below (not the epoch geometry).
    pub admin: Pubkey,
    /// The key the admin proposed to hand its role to (`config_update`'s `new_admin`); the
    /// role moves only when that key signs `admin_accept`, so a mistyped key cannot take it.
    pub pending_admin: Option<Pubkey>,
    /// SPL token mint of stakes, deal escrow and job rewards.
    pub stake_mint: Pubkey,
    /// Least stake a provider needs to be given shards or jobs.
    pub min_stake: u64,
    /// Slots per Basalt epoch. Fixed at initialization: changing it would renumber epochs.
    // INV: MAX_EPOCH_TICKS >= epoch_slots > proof_window_slots > 0
    pub epoch_slots: u64,
    /// Slots after an epoch starts during which its storage proofs are accepted; after it
    /// anyone may crank a missed proof. Fixed at initialization.
    // INV: 0 < proof_window_slots <= MAX_PROOF_WINDOW_SLOTS
    pub proof_window_slots: u64,
    /// Whole epochs unstaked tokens stay slashable before they can be withdrawn.
    pub unbonding_epochs: u64,
    /// Fraction of a provider's stake slashed for a missed storage proof.
    // INV: <= basalt_rules::MAX_SLASH_BPS (job_slash_bps too; bounty_bps <= MAX_BOUNTY_BPS)
    pub proof_slash_bps: u16,
    /// Fraction of a compute provider's stake slashed for a result that disagrees with the
    /// quorum.
    pub job_slash_bps: u16,
    /// Fraction of a slashed amount paid to whoever proved the fault; the rest goes to the
    /// treasury.
    pub bounty_bps: u16,
    /// Erasure parameters clients use unless told otherwise.
    pub default_k: u16,
    pub default_m: u16,
    /// Most epochs ahead of registration a blob may expire: how long an owner can bind
    /// holders to a blob.
    // INV: 1 <= max_deal_epochs <= basalt_rules::MAX_DEAL_EPOCHS_LIMIT
    pub max_deal_epochs: u64,
    /// Most proof slashes that take stake from one provider in one epoch
    /// (`basalt_rules::SlashCounter`).
    // INV: 1 <= max_slashes_per_epoch <= basalt_rules::MAX_SLASHES_PER_EPOCH_LIMIT
    pub max_slashes_per_epoch: u16,
    /// Slots a holder has to accept a placement before the owner may place the
    /// index elsewhere (`basalt_rules::accept_by`).
    // INV: 1 <= accept_window_ticks <= basalt_rules::MAX_EPOCH_TICKS
    pub accept_window_ticks: u64,
    /// Slots a provider may go without a heartbeat before anyone may send its accepted
    /// shards to repair (`shard_evict`, `basalt_rules::HolderSilence`).
    // INV: 1 <= offline_ticks <= basalt_rules::MAX_EPOCH_TICKS
    pub offline_ticks: u64,
    /// Parameters the admin proposed (`config_update`), applied by `config_apply` from
    /// slot `pending_params_at` on: one epoch after the proposal.
    // INV: pending_params_at == 0 exactly when pending_params is None
    pub pending_params: Option<ConfigParams>,
    pub pending_params_at: u64,
    pub bump: u8,
    pub stake_vault_bump: u8,
    pub escrow_vault_bump: u8,
    pub treasury_bump: u8,
}

/// The parameters `config_initialize` and `config_update` take.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq, InitSpace)]
pub struct ConfigParams {
    pub min_stake: u64,
    pub unbonding_epochs: u64,
    pub proof_slash_bps: u16,
    pub job_slash_bps: u16,
    pub bounty_bps: u16,
    pub default_k: u16,
    pub default_m: u16,
    pub max_deal_epochs: u64,
    pub max_slashes_per_epoch: u16,
    pub accept_window_ticks: u64,
    pub offline_ticks: u64,
}

impl ConfigParams {
    /// # Errors
    ///
    /// [`BasaltError::ZeroAmount`] for a zero minimum stake,
    /// [`BasaltError::InvalidEpochParams`] for an unbonding period, deal horizon, slash
    /// cap, acceptance window or offline threshold out of bounds,
    /// [`BasaltError::InvalidBps`] for a slash or bounty fraction above its limit,
    /// [`BasaltError::InvalidLayout`] for unusable default erasure parameters.
    pub fn validate(&self) -> Result<()> {
        basalt_rules::validate_params(&basalt_rules::Params {
            min_stake: u128::from(self.min_stake),
            unbonding_epochs: self.unbonding_epochs,
            proof_slash_bps: self.proof_slash_bps,
            job_slash_bps: self.job_slash_bps,
            bounty_bps: self.bounty_bps,
            default_k: self.default_k,
            default_m: self.default_m,
            max_deal_epochs: self.max_deal_epochs,
            max_slashes_per_epoch: self.max_slashes_per_epoch,
            accept_window_ticks: self.accept_window_ticks,
            offline_ticks: self.offline_ticks,
        })
        .map_err(|e| BasaltError::from(e).into())
    }
}

impl Config {
    pub fn apply(&mut self, params: &ConfigParams) {
        self.min_stake = params.min_stake;
        self.unbonding_epochs = params.unbonding_epochs;
        self.proof_slash_bps = params.proof_slash_bps;
        self.job_slash_bps = params.job_slash_bps;
        self.bounty_bps = params.bounty_bps;
        self.default_k = params.default_k;
        self.default_m = params.default_m;
        self.max_deal_epochs = params.max_deal_epochs;
        self.max_slashes_per_epoch = params.max_slashes_per_epoch;
        self.accept_window_ticks = params.accept_window_ticks;
        self.offline_ticks = params.offline_ticks;
    }

    /// The `ConfigUpdated` event of the configuration as it stands at `slot`.
    pub fn updated(&self, slot: u64) -> crate::events::ConfigUpdated {
        crate::events::ConfigUpdated {
            admin: self.admin,
            pending_admin: self.pending_admin,
            params: self.params(),
            pending_params: self.pending_params.clone(),
            pending_params_at: self.pending_params_at,
            slot,
        }
    }

    /// The parameters part, as `config_update` takes it.
    pub fn params(&self) -> ConfigParams {
        ConfigParams {
            min_stake: self.min_stake,
            unbonding_epochs: self.unbonding_epochs,
            proof_slash_bps: self.proof_slash_bps,
            job_slash_bps: self.job_slash_bps,
            bounty_bps: self.bounty_bps,
            default_k: self.default_k,
            default_m: self.default_m,
            max_deal_epochs: self.max_deal_epochs,
            max_slashes_per_epoch: self.max_slashes_per_epoch,
            accept_window_ticks: self.accept_window_ticks,
            offline_ticks: self.offline_ticks,
        }
    }

    /// The Basalt epoch `slot` falls in.
    pub fn epoch_at(&self, slot: u64) -> u64 {
        slot / self.epoch_slots
    }

    /// The current Basalt epoch.
    ///
    /// # Errors
    ///
    /// When the Clock sysvar cannot be read.
    pub fn current_epoch(&self) -> Result<u64> {
        Ok(self.epoch_at(Clock::get()?.slot))
    }
}

/// `amount * bps / 10000`, rounded down ([`basalt_rules::bps_of`] on token amounts).
pub fn bps_of(amount: u64, bps: u16) -> u64 {
    narrow(basalt_rules::bps_of(u128::from(amount), bps))
}

/// A shared-rule result back in token units. Every such result is at most one of its u64
/// inputs, so it always fits.
pub(crate) fn narrow(amount: u128) -> u64 {
    u64::try_from(amount).unwrap_or(u64::MAX)
}
