//! Unit tests (near-sdk's mocked host): every method's checks and arithmetic. The same
//! flows run against the built wasm in NEAR's real runtime in `app-tests` (gas metered).

mod blobs;
mod jobs;
mod providers;

use near_sdk::json_types::U128;
use near_sdk::test_utils::{get_logs, VMContextBuilder};
use near_sdk::{testing_env, AccountId, NearToken, PromiseOrValue};

use crate::errors::BasaltError;
use crate::state::ConfigParams;
use crate::Contract;

pub const EPOCH_BLOCKS: u64 = 100;
pub const PROOF_WINDOW: u64 = 40;
/// Blocks a provider may go without a heartbeat before its shards may be evicted.
pub const OFFLINE_TICKS: u64 = 150;
pub const MIN_STAKE: u128 = 1_000;
/// Enough NEAR for any record these tests create.
pub const STORAGE: NearToken = NearToken::from_millinear(100);

pub fn account(name: &str) -> AccountId {
    format!("{name}.near").parse().expect("valid account id")
}

pub fn params() -> ConfigParams {
    ConfigParams {
        min_stake: MIN_STAKE,
        unbonding_epochs: 2,
        proof_slash_bps: 1_000, // 10 %
        job_slash_bps: 500,     // 5 %
        bounty_bps: 2_000,      // 20 % of the slashed amount
        default_k: 10,
        default_m: 4,
        max_deal_epochs: 10_000,
        max_slashes_per_epoch: 1,
        accept_window_ticks: 150,
        offline_ticks: OFFLINE_TICKS,
    }
}

/// Parameter sets both the initializer and `config_update` must refuse, each with its
/// error: `basalt_rules::invalid_params!`, the list both chains are tested against.
pub fn bad_params() -> Vec<(&'static str, ConfigParams, BasaltError)> {
    basalt_rules::invalid_params!(ConfigParams, params())
        .into_iter()
        .map(|(what, p, rule)| (what, p, BasaltError::from(rule)))
        .collect()
}

/// A contract plus the mocked chain around it: block height, time and who is calling.
pub struct Chain {
    pub c: Contract,
    pub height: u64,
    pub seed: [u8; 32],
}

impl Chain {
    pub fn new() -> Self {
        set_context("basalt", NearToken::from_yoctonear(0), 1, [9; 32]);
        let c = Contract::new(
            account("admin"),
            account("token"),
            EPOCH_BLOCKS,
            PROOF_WINDOW,
            params(),
        )
        .expect("init");
        Self {
            c,
            height: 1,
            seed: [9; 32],
        }
    }

    /// Sets the context of the next call: `who` calls with `deposit` attached at the
    /// current height (unix time = height seconds).
    pub fn as_caller(&mut self, who: &str, deposit: NearToken) -> &mut Contract {
        set_context(who, deposit, self.height, self.seed);
        &mut self.c
    }

    /// `who` calls with nothing attached.
    pub fn by(&mut self, who: &str) -> &mut Contract {
        self.as_caller(who, NearToken::from_yoctonear(0))
    }

    /// `who` calls with [`STORAGE`] attached.
    pub fn paying(&mut self, who: &str) -> &mut Contract {
        self.as_caller(who, STORAGE)
    }

    /// The stake token contract delivers `amount` from `sender` with `msg`.
    pub fn transfer(&mut self, sender: &str, amount: u128, msg: &str) -> Result<u128, BasaltError> {
        let out =
            self.by("token")
                .ft_on_transfer(account(sender), U128(amount), msg.to_string())?;
        match out {
            PromiseOrValue::Value(unused) => Ok(unused.0),
            PromiseOrValue::Promise(_) => panic!("ft_on_transfer returned a promise"),
        }
    }

    /// Registers `who` with `roles` and stakes `stake`.
    pub fn provider(&mut self, who: &str, roles: u8, stake: u128) {
        self.paying(who)
            .provider_register(
                format!("https://{who}.example"),
                "eu".into(),
                roles,
                1 << 40,
            )
            .expect("register");
        if stake > 0 {
            assert_eq!(self.transfer(who, stake, r#"{"action":"stake"}"#), Ok(0));
        }
    }

    pub fn at_epoch(&mut self, epoch: u64, offset: u64) {
        self.height = epoch * EPOCH_BLOCKS + offset;
    }

    /// `who`'s unspent storage balance (yoctoNEAR); panics when it has none.
    pub fn storage(&mut self, who: &str) -> u128 {
        let balance = self.by("anyone").storage_balance_of(account(who));
        balance.expect("a storage entry").available.0
    }

    pub fn tokens(&mut self, who: &str) -> u128 {
        self.by("anyone").tokens_of(account(who)).0
    }
}

/// The mocked host of the next call. Storage carries over from the previous call.
fn set_context(who: &str, deposit: NearToken, height: u64, seed: [u8; 32]) {
    testing_env!(VMContextBuilder::new()
        .current_account_id(account("basalt"))
        .predecessor_account_id(account(who))
        .signer_account_id(account(who))
        .attached_deposit(deposit)
        .block_height(height)
        .block_timestamp(height * 1_000_000_000)
        .random_seed(seed)
        .build());
}

/// The `event` names of the NEP-297 logs of the last call, in order.
pub fn event_names() -> Vec<String> {
    get_logs()
        .iter()
        .filter_map(|l| l.strip_prefix("EVENT_JSON:"))
        .map(|j| {
            let v: near_sdk::serde_json::Value = near_sdk::serde_json::from_str(j).expect("json");
            assert_eq!(v["standard"], "basalt");
            assert_eq!(v["version"], "1.0.0");
            v["event"].as_str().expect("event name").to_string()
        })
        .collect()
}

#[test]
fn errors_read_as_name_then_message() {
    assert_eq!(
        BasaltError::InsufficientStake.to_string(),
        "InsufficientStake: the provider does not have that much stake"
    );
}

/// Issue 41, item 6: the initializer refuses what `config_update` refuses, and an epoch
/// geometry that would let stake leave before its last miss is slashable.
#[test]
fn init_checks_epoch_geometry_and_parameters() {
    let _ = Chain::new();
    let init = |epoch_blocks, window, p| {
        Contract::new(account("a"), account("t"), epoch_blocks, window, p).err()
    };
    for (what, bad, error) in bad_params() {
        assert_eq!(init(100, 40, bad), Some(error), "{what}");
    }
    for (what, epoch_blocks, window) in [
        ("a window as long as the epoch", 100, 100),
        ("a window longer than the epoch", 10, 40),
        ("no window", 10, 0),
        (
            "an epoch beyond the limit",
            basalt_rules::MAX_EPOCH_TICKS + 1,
            40,
        ),
    ] {
        assert_eq!(
            init(epoch_blocks, window, params()),
            Some(BasaltError::InvalidEpochParams),
            "{what}"
        );
    }
    assert_eq!(init(100, 99, params()), None);
}

#[test]
fn only_the_admin_updates_the_config() {
    let mut chain = Chain::new();
    let mut p = params();
    p.min_stake = 5;
    assert_eq!(
        chain.by("mallory").config_update(p.clone(), None),
        Err(BasaltError::NotAdmin)
    );
    for (what, bad, error) in bad_params() {
        assert_eq!(
            chain.by("admin").config_update(bad, None),
            Err(error),
            "{what}"
        );
    }
    chain
        .by("admin")
        .config_update(p.clone(), Some(account("admin2")))
        .expect("update");
    assert_eq!(event_names(), ["config_updated"]);
    // Issue 42, finding 8: the parameters apply one epoch after their proposal, sent by
    // anyone.
    let config = chain.by("x").config();
    assert_eq!(config.min_stake, params().min_stake, "not yet in force");
    assert_eq!(config.pending_params.as_ref(), Some(&p));
    assert_eq!(config.pending_params_at, chain.height + EPOCH_BLOCKS);
    chain.height += EPOCH_BLOCKS - 1;
    assert_eq!(chain.by("x").config_apply(), Err(BasaltError::ParamsNotDue));
    chain.height += 1;
    chain.by("x").config_apply().expect("apply");
    assert_eq!(event_names(), ["config_updated"]);
    assert_eq!(
        chain.by("x").config_apply(),
        Err(BasaltError::NoPendingParams)
    );
    // The role moves in two steps: proposed, then accepted by the proposed account.
    let config = chain.by("x").config();
    assert_eq!(
        (config.min_stake, &config.admin, &config.pending_admin),
        (5, &account("admin"), &Some(account("admin2")))
    );
    assert_eq!((config.pending_params, config.pending_params_at), (None, 0));
    assert_eq!(
        chain.by("mallory").admin_accept(),
        Err(BasaltError::NotPendingAdmin)
    );
    chain.by("admin2").admin_accept().expect("accept");
    assert_eq!(event_names(), ["config_updated"]);
    let config = chain.by("x").config();
    assert_eq!(
        (config.admin, config.pending_admin),
        (account("admin2"), None)
    );
    assert_eq!(
        chain.by("admin2").admin_accept(),
        Err(BasaltError::NotPendingAdmin),
        "accepted once"
    );
    assert_eq!(
        chain.by("admin").config_update(p, None),
        Err(BasaltError::NotAdmin)
    );
}
