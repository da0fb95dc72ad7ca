use near_sdk::json_types::U128;
use near_sdk::test_utils::get_logs;
use near_sdk::NearToken;

use super::*;
use crate::state::{ProviderStatus, ROLE_COMPUTE, ROLE_STORAGE};

#[test]
fn register_checks_profile_and_storage_deposit() {
    let mut chain = Chain::new();
    assert_eq!(
        chain
            .paying("p")
            .provider_register(String::new(), "eu".into(), ROLE_STORAGE, 1),
        Err(BasaltError::InvalidEndpoint)
    );
    assert_eq!(
        chain
            .paying("p")
            .provider_register("https://p".into(), "x".repeat(33), ROLE_STORAGE, 1),
        Err(BasaltError::InvalidRegion)
    );
    assert_eq!(
        chain
            .paying("p")
            .provider_register("https://p".into(), "eu".into(), 4, 1),
        Err(BasaltError::InvalidRoles)
    );
    // Nothing attached and no storage balance: the record is not paid for.
    assert_eq!(
        chain
            .by("q")
            .provider_register("https://q".into(), "eu".into(), ROLE_STORAGE, 1),
        Err(BasaltError::InsufficientStorageDeposit)
    );

    chain.provider("p", ROLE_STORAGE, 0);
    assert_eq!(event_names(), ["provider_registered"]);
    let left = chain
        .by("p")
        .storage_balance_of(account("p"))
        .expect("entry");
    let spent = STORAGE.as_yoctonear() - left.available.0;
    // The provider record, its token entry and its storage entry: a few hundred bytes at
    // 10^19 yoctoNEAR per byte.
    let bytes = spent / near_sdk::env::storage_byte_cost().as_yoctonear();
    assert!((150..600).contains(&bytes), "{bytes} bytes charged");
    assert_eq!(spent % near_sdk::env::storage_byte_cost().as_yoctonear(), 0);
    assert_eq!(
        chain
            .paying("p")
            .provider_register("https://p".into(), "eu".into(), ROLE_STORAGE, 1),
        Err(BasaltError::ProviderExists)
    );
}

#[test]
fn stake_comes_only_from_the_stake_token_with_a_known_action() {
    let mut chain = Chain::new();
    chain.provider("p", ROLE_STORAGE, 0);
    let wrong_token = chain.by("other-token").ft_on_transfer(
        account("p"),
        U128(10),
        r#"{"action":"stake"}"#.into(),
    );
    assert_eq!(wrong_token.err(), Some(BasaltError::WrongToken));
    assert_eq!(
        chain.transfer("p", 10, r#"{"action":"mint"}"#),
        Err(BasaltError::InvalidTransferMessage)
    );
    assert_eq!(
        chain.transfer("p", 0, r#"{"action":"stake"}"#),
        Err(BasaltError::ZeroAmount)
    );
    assert_eq!(
        chain.transfer("nobody", 10, r#"{"action":"stake"}"#),
        Err(BasaltError::ProviderNotFound)
    );
    assert_eq!(chain.transfer("p", 1_500, r#"{"action":"stake"}"#), Ok(0));
    assert_eq!(event_names(), ["stake_added"]);
    assert_eq!(
        chain.by("p").provider_get(account("p")).unwrap().stake,
        1_500
    );
    assert_eq!(chain.by("p").books().stake, 1_500);
}

#[test]
fn unstake_waits_out_unbonding_then_withdraws_to_tokens() {
    let mut chain = Chain::new();
    chain.provider("p", ROLE_STORAGE | ROLE_COMPUTE, 1_500);
    assert_eq!(
        chain.by("p").provider_unstake(U128(2_000)),
        Err(BasaltError::InsufficientStake)
    );
    assert_eq!(
        chain.by("p").provider_unstake(U128(0)),
        Err(BasaltError::ZeroAmount)
    );
    chain.at_epoch(3, 5);
    chain.by("p").provider_unstake(U128(600)).expect("unstake");
    let p = chain.by("p").provider_get(account("p")).unwrap();
    assert_eq!(
        (
            p.stake,
            p.unbonding_amount,
            p.unbonding_until_epoch,
            p.status
        ),
        (900, 600, 5, ProviderStatus::Unbonding)
    );
    chain.at_epoch(4, 99);
    assert_eq!(
        chain.by("p").provider_withdraw(),
        Err(BasaltError::StillUnbonding)
    );
    chain.at_epoch(5, 0);
    assert_eq!(chain.by("p").provider_withdraw(), Ok(U128(600)));
    assert_eq!(chain.tokens("p"), 600);
    assert_eq!(chain.by("p").books().stake, 900);
    assert_eq!(
        chain.by("p").provider_get(account("p")).unwrap().status,
        ProviderStatus::Active
    );
    assert_eq!(
        chain.by("p").provider_withdraw(),
        Err(BasaltError::NothingUnbonding)
    );
}

#[test]
fn token_withdraw_needs_one_yocto_and_a_failed_transfer_is_credited_back() {
    let mut chain = Chain::new();
    chain.provider("p", ROLE_STORAGE, 1_500);
    chain.by("p").provider_unstake(U128(500)).unwrap();
    chain.at_epoch(2, 0);
    chain.by("p").provider_withdraw().unwrap();
    assert_eq!(
        chain.by("p").token_withdraw(None).err(),
        Some(BasaltError::OneYoctoRequired)
    );
    let one = NearToken::from_yoctonear(1);
    assert_eq!(
        chain
            .as_caller("p", one)
            .token_withdraw(Some(U128(501)))
            .err(),
        Some(BasaltError::InsufficientTokens)
    );
    chain
        .as_caller("p", one)
        .token_withdraw(None)
        .expect("withdraw")
        .detach();
    assert_eq!(chain.tokens("p"), 0);
    assert_eq!(chain.by("p").books().withdrawable, 0);
    // The token contract refused the transfer: the callback puts the tokens back.
    chain.by("basalt");
    let credited =
        chain
            .c
            .on_tokens_withdrawn(account("p"), U128(500), Err(near_sdk::PromiseError::Failed));
    assert!(!credited);
    assert_eq!(chain.tokens("p"), 500);
    assert_eq!(chain.by("p").books().withdrawable, 500);
    chain.by("basalt");
    assert!(chain.c.on_tokens_withdrawn(account("p"), U128(500), Ok(())));
    assert!(get_logs()[0].contains("tokens_withdrawn"));
}

#[test]
fn storage_deposits_are_withdrawable_and_never_overdrawn() {
    let mut chain = Chain::new();
    let balance = chain
        .as_caller("u", NearToken::from_millinear(10))
        .storage_deposit(None)
        .expect("deposit");
    // The entry itself was paid from the deposit.
    assert!(balance.available.0 < NearToken::from_millinear(10).as_yoctonear());
    let one = NearToken::from_yoctonear(1);
    assert_eq!(
        chain
            .as_caller("u", one)
            .storage_withdraw(Some(U128(balance.available.0 + 1)))
            .err(),
        Some(BasaltError::InsufficientStorageDeposit)
    );
    let after = chain.as_caller("u", one).storage_withdraw(None).unwrap();
    assert_eq!(after.available.0, 0);
}

#[test]
fn heartbeat_and_unjail_follow_the_rules() {
    let mut chain = Chain::new();
    chain.provider("p", ROLE_STORAGE, 1_500);
    chain.height = 77;
    chain.by("p").provider_heartbeat().unwrap();
    assert_eq!(
        chain
            .by("p")
            .provider_get(account("p"))
            .unwrap()
            .last_heartbeat_block,
        77
    );
    assert_eq!(
        chain.by("x").provider_heartbeat(),
        Err(BasaltError::ProviderNotFound)
    );
    assert_eq!(chain.by("p").provider_unjail(), Err(BasaltError::NotJailed));
}
