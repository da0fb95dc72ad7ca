use near_sdk::{near, AccountId};

pub use basalt_rules::{bps_of, BPS};

use crate::errors::{BasaltError, Result};

/// The network's parameters (the Solana program's `Config`).
///
/// Chain difference: time is counted in NEAR block heights where Solana counts slots, and
/// stake, escrow and rewards are a NEP-141 token (`stake_token`) where Solana uses an SPL
/// mint.
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// May update the parameters below (not the epoch geometry or the token).
    pub admin: AccountId,
    /// The account the admin proposed to hand its role to (`config_update`'s `new_admin`);
    /// the role moves only when that account calls `admin_accept`.
    pub pending_admin: Option<AccountId>,
    /// The NEP-141 token contract of stakes, deal escrow and job rewards.
    pub stake_token: AccountId,
    /// Least stake a provider needs to be given shards or jobs.
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub min_stake: u128,
    /// Blocks per Basalt epoch. Fixed at initialization: changing it would renumber epochs.
    // INV: MAX_EPOCH_TICKS >= epoch_blocks > proof_window_blocks > 0
    pub epoch_blocks: u64,
    /// Blocks after an epoch starts during which its storage proofs are accepted.
    pub proof_window_blocks: u64,
    /// Whole epochs unstaked tokens stay slashable before they can be withdrawn.
    pub unbonding_epochs: u64,
    // INV: proof_slash_bps, job_slash_bps <= basalt_rules::MAX_SLASH_BPS,
    // bounty_bps <= basalt_rules::MAX_BOUNTY_BPS
    pub proof_slash_bps: u16,
    pub job_slash_bps: u16,
    pub bounty_bps: u16,
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
    /// Blocks a holder has to accept a placement before the owner may place the
    /// index elsewhere (`basalt_rules::accept_by`).
    // INV: 1 <= accept_window_ticks <= basalt_rules::MAX_EPOCH_TICKS
    pub accept_window_ticks: u64,
    /// Blocks a provider may go without a heartbeat before anyone may send its accepted
    /// shards to repair (`shard_evict`, `basalt_rules::HolderSilence`).
    // INV: 1 <= offline_ticks <= basalt_rules::MAX_EPOCH_TICKS
    pub offline_ticks: u64,
    /// Parameters the admin proposed (`config_update`), applied by `config_apply` from
    /// block `pending_params_at` on: one epoch after the proposal. The record has room for
    /// them from `new` on (an `Option` of a fixed-size value), so a proposal adds no
    /// storage of the admin's to the contract's.
    // INV: pending_params_at == 0 exactly when pending_params is None
    pub pending_params: Option<ConfigParams>,
    pub pending_params_at: u64,
}

/// The parameters `new` and `config_update` take (the Solana program's `ConfigParams`).
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigParams {
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub min_stake: u128,
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
        })
        .map_err(BasaltError::from)
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

    /// The Basalt epoch block `height` falls in.
    pub fn epoch_at(&self, height: u64) -> u64 {
        height / self.epoch_blocks
    }

    /// The `ConfigUpdated` event of the configuration as it stands at `block`.
    pub fn updated(&self, block: u64) -> crate::events::Event {
        crate::events::Event::ConfigUpdated {
            admin: self.admin.clone(),
            pending_admin: self.pending_admin.clone(),
            params: self.params(),
            pending_params: self.pending_params.clone(),
            pending_params_at: self.pending_params_at,
            block,
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
}
