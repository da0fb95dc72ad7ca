//! The forced-obligation attack of issue 41, replayed against a local network as a stranger
//! would, with a stock client: the one `anchor_lang::declare_program!` generates from the
//! committed IDL (`programs/basalt/idl/basalt.json`, linked as `app-tests/idls/basalt.json`),
//! not the project's own client module. The stranger registers a blob naming six staked
//! providers that never received any of its data, waits out the proof window and cranks
//! their slashes: each is refused with a named program error, and nobody loses stake.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use basalt::anchor_lang::{InstructionData, ToAccountMetas};
use basalt_app_tests::{random_bytes, TestNet};
use basalt_core::encode_blob;
use basalt_sdk::chain::associated_token_address;
use basalt_sdk::{ChainClient, ChainError};
use solana_signer::Signer;

// The generated module tests `target_os = "solana"` and `feature = "idl-build"`, which
// this crate does not declare.
#[allow(unexpected_cfgs)]
mod stock {
    use ::anchor_lang;
    anchor_lang::declare_program!(basalt);
}

use stock::basalt::{accounts, client, types, ID};

fn pda(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &ID).0
}

fn provider(authority: &Pubkey) -> Pubkey {
    pda(&[b"provider", authority.as_ref()])
}

/// A provider's bonded and unbonding stake, read with the stock client's account type.
async fn stake_of(chain: &ChainClient, authority: &Pubkey) -> Result<(u64, u64)> {
    let p: accounts::Provider = chain
        .program_account(&provider(authority), "Provider")
        .await?
        .context("a registered provider")?;
    Ok((p.stake, p.unbonding_amount))
}

fn instruction(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_cannot_slash_providers_that_never_accepted_its_placement() -> Result<()> {
    // Two-second epochs with a one-second proof window, so the window closes in the test.
    let t = TestNet::start_with(6, 1, |o| {
        o.params.epoch_slots = 20;
        o.params.proof_window_slots = 10;
    })
    .await?;
    let stranger = &t.wallets[0];
    let chain = t.net.client();
    let victims: Vec<Pubkey> = t
        .net
        .nodes
        .iter()
        .map(|n| n.address.parse())
        .collect::<Result<_, _>>()?;
    let mut before = Vec::new();
    for v in &victims {
        before.push(stake_of(&chain, v).await?);
    }

    // A blob of six shards (RS 4 + 2) placed on the six providers; none of them has its data.
    let manifest = encode_blob(&random_bytes(30_000), 64 << 10, 4, 2, None, |_| {})?;
    let layout = manifest.layout();
    let blob = pda(&[
        b"blob",
        stranger.pubkey().as_ref(),
        manifest.cid.digest().as_ref(),
    ]);
    let config = pda(&[b"config"]);
    let event_authority = pda(&[b"__event_authority"]);
    let config_account: accounts::Config = chain
        .program_account(&config, "Config")
        .await?
        .context("the network's config")?;
    let epoch = |slot: u64| slot / config_account.epoch_slots;
    let register = instruction(
        client::accounts::BlobRegister {
            owner: stranger.pubkey(),
            config,
            blob,
            system_program: basalt::anchor_lang::system_program::ID,
            event_authority,
            program: ID,
        },
        client::args::BlobRegister {
            args: types::BlobRegisterArgs {
                cid_digest: *manifest.cid.digest(),
                size: layout.size(),
                chunk_size: layout.chunk_size(),
                leaf_size: layout.leaf_size(),
                k: layout.k(),
                m: layout.m(),
                commitment_root: manifest.commitment.commitment_root(),
                expiry_epoch: epoch(chain.slot().await?) + 50,
                public: false,
                encrypted: false,
            },
        },
    );
    let mut place = instruction(
        client::accounts::BlobPlace {
            signer: stranger.pubkey(),
            config,
            blob,
            grant: None,
            event_authority,
            program: ID,
        },
        client::args::BlobPlace {
            first: 0,
            column_roots: manifest.commitment.column_roots().to_vec(),
        },
    );
    place.accounts.extend(
        victims
            .iter()
            .map(|v| AccountMeta::new_readonly(provider(v), false)),
    );
    chain.send(&[register, place], stranger, &[]).await?;
    let placed_at = chain.slot().await?;
    let registered: accounts::Blob = chain
        .program_account(&blob, "Blob")
        .await?
        .context("the registered blob")?;
    ensure!(
        !registered.active,
        "placed on providers that never accepted"
    );

    // Past the proof window of the epoch after the placement.
    let judged = epoch(placed_at) + 1;
    let after_window = (judged * config_account.epoch_slots) + config_account.proof_window_slots;
    while chain.slot().await? <= after_window {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mint = chain.stake_mint().await?;
    let bounty_to = associated_token_address(&stranger.pubkey(), &mint);
    for (index, victim) in (0u16..).zip(&victims) {
        let slash = instruction(
            client::accounts::ProofSlash {
                cranker: stranger.pubkey(),
                config,
                blob,
                provider: provider(victim),
                deal: pda(&[b"deal", blob.as_ref()]),
                bounty_to,
                stake_vault: pda(&[b"stake_vault"]),
                treasury: pda(&[b"treasury"]),
                token_program: Pubkey::from_str_const(
                    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
                ),
                event_authority,
                program: ID,
            },
            client::args::ProofSlash {
                index,
                epoch: judged,
            },
        );
        match chain.send(&[slash], stranger, &[]).await {
            Err(ChainError::Program { name, .. }) if name == "BlobNotActive" => {}
            other => anyhow::bail!("slash of shard {index}: expected BlobNotActive, got {other:?}"),
        }
    }
    for (v, was) in victims.iter().zip(before) {
        ensure!(stake_of(&chain, v).await? == was, "provider {v} lost stake");
    }
    Ok(())
}
