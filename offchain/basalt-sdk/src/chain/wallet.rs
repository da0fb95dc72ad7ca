//! A wallet's own accounts: SOL balance and airdrops, the slot, token accounts.

use std::time::Duration;

use anchor_spl::token::spl_token;
use basalt::anchor_lang::prelude::Pubkey;
use basalt::anchor_lang::solana_program::instruction::Instruction;
use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_signer::Signer;

use super::{ChainClient, ChainError};

impl ChainClient {
    /// The current slot at `confirmed`.
    ///
    /// # Errors
    ///
    /// When the endpoint fails.
    pub async fn slot(&self) -> Result<u64, ChainError> {
        self.rpc.get_slot().await.map_err(|e| self.rpc_error(e))
    }

    /// Asks the cluster's faucet for `lamports` and waits for them (local and test
    /// clusters only).
    ///
    /// # Errors
    ///
    /// When the cluster has no faucet or the airdrop does not land within 30 s.
    pub async fn airdrop(&self, to: &Pubkey, lamports: u64) -> Result<(), ChainError> {
        let signature = self
            .rpc
            .request_airdrop(to, lamports)
            .await
            .map_err(|e| self.rpc_error(e))?;
        for _ in 0..300 {
            let confirmed = self
                .rpc
                .confirm_transaction(&signature)
                .await
                .map_err(|e| self.rpc_error(e))?;
            if confirmed {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(ChainError::Invalid {
            what: "airdrop to",
            address: *to,
            why: format!("signature {signature} not confirmed within 30 s"),
        })
    }

    /// The SOL balance of `address` in lamports.
    ///
    /// # Errors
    ///
    /// When the endpoint fails.
    pub async fn balance(&self, address: &Pubkey) -> Result<u64, ChainError> {
        self.rpc
            .get_balance(address)
            .await
            .map_err(|e| self.rpc_error(e))
    }

    /// Creates `owner`'s associated token account for `mint` if it does not exist yet, and
    /// returns its address.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`].
    pub async fn token_account(
        &self,
        payer: &Keypair,
        owner: &Pubkey,
        mint: &Pubkey,
    ) -> Result<Pubkey, ChainError> {
        let ata = associated_token_address(owner, mint);
        let create = create_token_account(&payer.pubkey(), owner, mint);
        self.send(&[create], payer, &[]).await?;
        Ok(ata)
    }

    /// The token balance of a token account, in base units.
    ///
    /// # Errors
    ///
    /// [`ChainError::Missing`] when the account does not exist.
    pub async fn token_balance(&self, account: &Pubkey) -> Result<u64, ChainError> {
        let data = self.account_data(account, "token account").await?;
        let state = spl_token::state::Account::unpack(&data).map_err(|e| ChainError::Invalid {
            what: "token account",
            address: *account,
            why: e.to_string(),
        })?;
        Ok(state.amount)
    }
}

/// The instruction that creates `owner`'s associated token account for `mint`, paid by
/// `payer`; a no-op when it exists.
pub fn create_token_account(payer: &Pubkey, owner: &Pubkey, mint: &Pubkey) -> Instruction {
    spl_associated_token_account_interface::instruction::create_associated_token_account_idempotent(
        payer,
        owner,
        mint,
        &spl_token::ID,
    )
}

/// `owner`'s associated token account for `mint` (SPL Token).
pub fn associated_token_address(owner: &Pubkey, mint: &Pubkey) -> Pubkey {
    spl_associated_token_account_interface::address::get_associated_token_address(owner, mint)
}
