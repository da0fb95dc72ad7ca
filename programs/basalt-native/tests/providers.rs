//! Config and provider lifecycle in a real Solana runtime: happy paths and attacks.
// solana-program-test 3.x marks its whole API deprecated ("agave-unstable-api"); it is
// still the runtime the project measured and hosts the program in.
#![allow(deprecated)]

use crate::common;

use anyhow::Result;
use basalt::anchor_lang::error::ErrorCode as AnchorError;
use basalt::client::{ix, pda};
use basalt::errors::BasaltError;
use basalt::state::{Config, Provider, ProviderStatus, ROLE_STORAGE};
use common::{
    assert_basalt_err, bad_params, code, code_of, params, Net, EPOCH_SLOTS, MIN_STAKE, PROOF_WINDOW,
};
use solana_signer::Signer;

fn anchor_code(e: AnchorError) -> u32 {
    e as u32
}

#[tokio::test]
async fn config_is_initialized_once_and_only_the_admin_updates_it() -> Result<()> {
    let mut net = Net::start().await?;
    let config: Config = net.account(&pda::config()).await?;
    assert_eq!(config.admin, net.admin.pubkey());
    assert_eq!(config.stake_mint, net.mint);
    assert_eq!((config.epoch_slots, config.proof_window_slots), (100, 40));

    // A second initialize cannot overwrite it.
    let intruder = net.wallet().await?;
    let mint = net.mint;
    let again = net
        .send(
            &[ix::config_initialize(
                &intruder.pubkey(),
                &mint,
                10,
                5,
                params(),
                None,
            )],
            &[&intruder],
        )
        .await;
    assert!(again.is_err());

    let mut changed = params();
    changed.min_stake = 5;
    assert_basalt_err(
        net.send(
            &[ix::config_update(&intruder.pubkey(), changed.clone(), None)],
            &[&intruder],
        )
        .await,
        BasaltError::NotAdmin,
    );
    let admin = net.admin.insecure_clone();
    for (what, bad, error) in bad_params() {
        let refused = net
            .send(&[ix::config_update(&admin.pubkey(), bad, None)], &[&admin])
            .await;
        assert_eq!(
            code_of(&refused.expect_err(what)),
            Some(code(error)),
            "{what}"
        );
    }
    // Issue 42, finding 8: a change is announced one epoch before it applies.
    assert_basalt_err(
        net.send(&[ix::config_apply()], &[]).await,
        BasaltError::NoPendingParams,
    );
    let proposed_at = net.slot().await?;
    net.send(
        &[ix::config_update(&admin.pubkey(), changed.clone(), None)],
        &[&admin],
    )
    .await?;
    let config = net.account::<Config>(&pda::config()).await?;
    assert_eq!(config.min_stake, params().min_stake, "not yet in force");
    assert_eq!(config.pending_params.as_ref(), Some(&changed));
    let due = config.pending_params_at;
    assert!(due >= proposed_at + EPOCH_SLOTS, "a whole epoch of notice");
    net.warp(due - 1).await?;
    assert_basalt_err(
        net.send(&[ix::config_apply()], &[]).await,
        BasaltError::ParamsNotDue,
    );
    net.warp(due).await?;
    // Sent by the test's fee payer: anyone may apply.
    net.send(&[ix::config_apply()], &[]).await?;
    let config = net.account::<Config>(&pda::config()).await?;
    assert_eq!(config.min_stake, 5);
    assert_eq!((config.pending_params, config.pending_params_at), (None, 0));

    // Issue 42, finding 8: the admin role moves in two steps. A proposed key holds no
    // power until it accepts; nobody else can accept for it.
    let next = net.wallet().await?;
    net.send(
        &[ix::config_update(
            &admin.pubkey(),
            changed.clone(),
            Some(next.pubkey()),
        )],
        &[&admin],
    )
    .await?;
    let config = net.account::<Config>(&pda::config()).await?;
    assert_eq!(
        (config.admin, config.pending_admin),
        (admin.pubkey(), Some(next.pubkey()))
    );
    assert_basalt_err(
        net.send(&[ix::admin_accept(&intruder.pubkey())], &[&intruder])
            .await,
        BasaltError::NotPendingAdmin,
    );
    assert_basalt_err(
        net.send(
            &[ix::config_update(&next.pubkey(), changed.clone(), None)],
            &[&next],
        )
        .await,
        BasaltError::NotAdmin,
    );
    net.send(&[ix::admin_accept(&next.pubkey())], &[&next])
        .await?;
    let config = net.account::<Config>(&pda::config()).await?;
    assert_eq!((config.admin, config.pending_admin), (next.pubkey(), None));
    assert_basalt_err(
        net.send(
            &[ix::config_update(&admin.pubkey(), changed, None)],
            &[&admin],
        )
        .await,
        BasaltError::NotAdmin,
    );
    Ok(())
}

/// Issue 41, item 6: the initializer refuses what `config_update` refuses, and an epoch
/// geometry that would let stake leave before its last miss is slashable.
#[tokio::test]
async fn the_initializer_checks_what_the_update_checks() -> Result<()> {
    let mut net = Net::start_uninitialized().await?;
    let admin = net.admin.insecure_clone();
    let mint = net.mint;
    let init = |epoch_slots, window, p| {
        ix::config_initialize(&admin.pubkey(), &mint, epoch_slots, window, p, None)
    };
    for (what, bad, error) in bad_params() {
        let refused = net
            .send(&[init(EPOCH_SLOTS, PROOF_WINDOW, bad)], &[&admin])
            .await;
        assert_eq!(
            code_of(&refused.expect_err(what)),
            Some(code(error)),
            "{what}"
        );
    }
    for (what, epoch_slots, window) in [
        ("a window as long as the epoch", 100, 100),
        ("a window longer than the epoch", 100, 101),
        ("no window", 100, 0),
        ("a window beyond the slot-hash history", 1_000, 501),
        (
            "an epoch beyond the limit",
            basalt_rules::MAX_EPOCH_TICKS + 1,
            40,
        ),
    ] {
        assert_basalt_err(
            net.send(&[init(epoch_slots, window, params())], &[&admin])
                .await,
            BasaltError::InvalidEpochParams,
        );
        assert!(!net.exists(&pda::config()).await?, "{what}");
    }
    net.send(&[init(EPOCH_SLOTS, EPOCH_SLOTS - 1, params())], &[&admin])
        .await?;
    let config: Config = net.account(&pda::config()).await?;
    assert_eq!(
        (config.proof_window_slots, config.max_slashes_per_epoch),
        (EPOCH_SLOTS - 1, 1)
    );
    Ok(())
}

#[tokio::test]
async fn provider_registers_stakes_unbonds_and_withdraws() -> Result<()> {
    let mut net = Net::start().await?;
    let (alice, tokens) = net.provider(ROLE_STORAGE, 2 * MIN_STAKE).await?;
    let a = alice.pubkey();
    let p: Provider = net.account(&pda::provider(&a)).await?;
    assert_eq!(
        (p.stake, p.status, p.roles),
        (2 * MIN_STAKE, ProviderStatus::Active, ROLE_STORAGE)
    );
    assert_eq!(net.balance(&pda::stake_vault()).await?, 2 * MIN_STAKE);

    // Registering twice fails; bad roles and endpoints are refused.
    assert!(net
        .send(
            &[ix::provider_register(&a, "https://x", "", ROLE_STORAGE, 1)],
            &[&alice]
        )
        .await
        .is_err());
    let bob = net.wallet().await?;
    assert_basalt_err(
        net.send(
            &[ix::provider_register(&bob.pubkey(), "https://x", "", 0, 1)],
            &[&bob],
        )
        .await,
        BasaltError::InvalidRoles,
    );
    assert_basalt_err(
        net.send(
            &[ix::provider_register(
                &bob.pubkey(),
                &"x".repeat(129),
                "",
                1,
                1,
            )],
            &[&bob],
        )
        .await,
        BasaltError::InvalidEndpoint,
    );

    net.warp(250).await?; // epoch 2
    net.send(&[ix::provider_heartbeat(&a)], &[&alice]).await?;
    assert!(
        net.account::<Provider>(&pda::provider(&a))
            .await?
            .last_heartbeat_slot
            >= 250
    );
    net.send(
        &[ix::provider_update(
            &a,
            "https://new.example",
            "us-east",
            3,
            7,
        )],
        &[&alice],
    )
    .await?;
    let p: Provider = net.account(&pda::provider(&a)).await?;
    assert_eq!(
        (p.endpoint.as_str(), p.roles, p.capacity),
        ("https://new.example", 3, 7)
    );

    assert_basalt_err(
        net.send(&[ix::provider_unstake(&a, 3 * MIN_STAKE)], &[&alice])
            .await,
        BasaltError::InsufficientStake,
    );
    net.send(&[ix::provider_unstake(&a, MIN_STAKE)], &[&alice])
        .await?;
    let p: Provider = net.account(&pda::provider(&a)).await?;
    assert_eq!(
        (p.stake, p.unbonding_amount, p.status),
        (MIN_STAKE, MIN_STAKE, ProviderStatus::Unbonding)
    );
    assert_eq!(p.unbonding_until_epoch, 4);

    // Withdrawing while unbonding fails; after the period it pays out.
    assert_basalt_err(
        net.send(&[ix::provider_withdraw(&a, &tokens)], &[&alice])
            .await,
        BasaltError::StillUnbonding,
    );
    net.warp(410).await?; // epoch 4
    let before = net.balance(&tokens).await?;
    net.send(&[ix::provider_withdraw(&a, &tokens)], &[&alice])
        .await?;
    assert_eq!(net.balance(&tokens).await? - before, MIN_STAKE);
    let p: Provider = net.account(&pda::provider(&a)).await?;
    assert_eq!((p.unbonding_amount, p.status), (0, ProviderStatus::Active));
    assert_basalt_err(
        net.send(&[ix::provider_withdraw(&a, &tokens)], &[&alice])
            .await,
        BasaltError::NothingUnbonding,
    );
    Ok(())
}

#[tokio::test]
async fn staking_attacks_are_refused() -> Result<()> {
    let mut net = Net::start().await?;
    let (alice, alice_tokens) = net.provider(ROLE_STORAGE, MIN_STAKE).await?;
    let (mallory, mallory_tokens) = net.provider(ROLE_STORAGE, MIN_STAKE).await?;
    let (a, m) = (alice.pubkey(), mallory.pubkey());

    // Wrong signer: Alice's unstake without Alice's signature.
    let mut unsigned = ix::provider_unstake(&a, 1);
    unsigned.accounts[0].is_signer = false;
    let err = net.send(&[unsigned], &[]).await.unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(anchor_code(AnchorError::AccountNotSigner))
    );

    // Another user's PDA: Mallory signs but points at Alice's provider account.
    let mut theft = ix::provider_unstake(&m, 1);
    theft.accounts[2].pubkey = pda::provider(&a);
    let err = net.send(&[theft], &[&mallory]).await.unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(anchor_code(AnchorError::ConstraintSeeds))
    );

    // Withdrawing into someone else's token account.
    net.send(&[ix::provider_unstake(&m, 1)], &[&mallory])
        .await?;
    net.warp(500).await?;
    let err = net
        .send(&[ix::provider_withdraw(&m, &alice_tokens)], &[&mallory])
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(anchor_code(AnchorError::ConstraintTokenOwner))
    );

    // Wrong mint: staking tokens of another mint.
    let other_authority = net.wallet().await?;
    let other_mint = net.create_mint_with(&other_authority.pubkey()).await?;
    let fake = net
        .tokens_of(&other_mint, &other_authority, &m, 5_000)
        .await?;
    let err = net
        .send(&[ix::provider_stake(&m, &fake, 5_000)], &[&mallory])
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(anchor_code(AnchorError::ConstraintTokenMint))
    );

    // Wrong vault: "staking" into a token account Mallory controls.
    let mut fake_vault = ix::provider_stake(&m, &mallory_tokens, 10);
    fake_vault.accounts[4].pubkey = alice_tokens;
    let err = net.send(&[fake_vault], &[&mallory]).await.unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(anchor_code(AnchorError::ConstraintSeeds))
    );

    assert_basalt_err(
        net.send(&[ix::provider_stake(&m, &mallory_tokens, 0)], &[&mallory])
            .await,
        BasaltError::ZeroAmount,
    );
    Ok(())
}
