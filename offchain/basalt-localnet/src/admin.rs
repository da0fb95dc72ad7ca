//! Transactions only a local network's operator sends while bootstrapping: the stake mint,
//! minting to wallets, the program's Config, and the lookup table of provider accounts. A
//! real deployment does these once, with its own tools; they are not part of the SDK.

use std::time::Duration;

use anchor_spl::token::spl_token;
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::ix;
use basalt::state::ConfigParams;
use basalt_sdk::chain::{associated_token_address, create_token_account, STAKE_MINT_DECIMALS};
use basalt_sdk::{ChainClient, ChainError};
use solana_address_lookup_table_interface::instruction as alt;
use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_rpc_client_api::client_error::Error as RpcError;
use solana_signer::Signer;

/// Creates a lookup table owned by `authority` holding `addresses`, and waits until it
/// can be used (the slot after its last extension).
///
/// # Errors
///
/// As [`ChainClient::send`].
pub async fn create_lookup_table(
    client: &ChainClient,
    authority: &Keypair,
    addresses: &[Pubkey],
) -> Result<Pubkey, ChainError> {
    // The table's address derives from a slot that must be in the SlotHashes sysvar
    // (a recent, completed slot): the one before the confirmed tip, once there is one.
    let mut slot = client.slot().await?;
    while slot < 2 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        slot = client.slot().await?;
    }
    let (create, table) =
        alt::create_lookup_table(authority.pubkey(), authority.pubkey(), slot - 1);
    client.send(&[create], authority, &[]).await?;
    // An extension carries at most ~20 addresses within one packet.
    for batch in addresses.chunks(20) {
        let extend = alt::extend_lookup_table(
            table,
            authority.pubkey(),
            Some(authority.pubkey()),
            batch.to_vec(),
        );
        client.send(&[extend], authority, &[]).await?;
    }
    let extended_at = client.slot().await?;
    while client.slot().await? <= extended_at {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(table)
}

/// Creates a new SPL Token mint with `authority` as mint authority, paid by `payer`.
///
/// # Errors
///
/// As [`ChainClient::send`].
pub async fn create_mint(
    client: &ChainClient,
    payer: &Keypair,
    mint: &Keypair,
    authority: &Pubkey,
) -> Result<(), ChainError> {
    let rent = client
        .rpc()
        .get_minimum_balance_for_rent_exemption(spl_token::state::Mint::LEN)
        .await
        .map_err(|e| rpc_error(client, e))?;
    let ixs = [
        solana_system_interface::instruction::create_account(
            &payer.pubkey(),
            &mint.pubkey(),
            rent,
            spl_token::state::Mint::LEN as u64,
            &spl_token::ID,
        ),
        spl_token::instruction::initialize_mint2(
            &spl_token::ID,
            &mint.pubkey(),
            authority,
            None,
            STAKE_MINT_DECIMALS,
        )
        .map_err(|e| token_error(mint.pubkey(), e))?,
    ];
    client.send(&ixs, payer, &[mint]).await?;
    Ok(())
}

/// Mints `amount` base units of `mint` to `owner`'s associated token account,
/// creating it if needed. `authority` must be the mint authority.
///
/// # Errors
///
/// As [`ChainClient::send`].
pub async fn mint_to(
    client: &ChainClient,
    authority: &Keypair,
    mint: &Pubkey,
    owner: &Pubkey,
    amount: u64,
) -> Result<Pubkey, ChainError> {
    let ata = associated_token_address(owner, mint);
    let create = create_token_account(&authority.pubkey(), owner, mint);
    let mint_ix = spl_token::instruction::mint_to(
        &spl_token::ID,
        mint,
        &ata,
        &authority.pubkey(),
        &[],
        amount,
    )
    .map_err(|e| token_error(*mint, e))?;
    client.send(&[create, mint_ix], authority, &[]).await?;
    Ok(ata)
}

/// Initializes the program's Config (once per deployment) with `admin` as its admin.
///
/// # Errors
///
/// As [`ChainClient::send`]; the program refuses a second initialization.
pub async fn initialize_config(
    client: &ChainClient,
    admin: &Keypair,
    stake_mint: &Pubkey,
    epoch_slots: u64,
    proof_window_slots: u64,
    params: ConfigParams,
) -> Result<(), ChainError> {
    let init = ix::config_initialize(
        &admin.pubkey(),
        stake_mint,
        epoch_slots,
        proof_window_slots,
        params,
        None,
    );
    client.send(&[init], admin, &[]).await?;
    Ok(())
}

fn rpc_error(client: &ChainClient, source: RpcError) -> ChainError {
    ChainError::Rpc {
        url: client.url(),
        source: Box::new(source),
    }
}

/// An SPL Token instruction that could not even be built (bad arguments).
fn token_error(mint: Pubkey, e: impl std::fmt::Display) -> ChainError {
    ChainError::Invalid {
        what: "SPL Token instruction for mint",
        address: mint,
        why: e.to_string(),
    }
}
