//! Signs and sends Basalt and SPL Token instructions with the caller's own keys, and reads
//! the program's accounts, over JSON-RPC at `confirmed` commitment.

use std::time::Duration;

use anchor_spl::token::spl_token;
use basalt::anchor_lang::prelude::Pubkey;
use basalt::anchor_lang::solana_program::instruction::Instruction;
use basalt::anchor_lang::{AccountDeserialize, Discriminator};
use basalt::client::{decode, ix, pda};
use basalt::state::{Blob, Config, ConfigParams, Provider};
use solana_address_lookup_table_interface::instruction as alt;
use solana_address_lookup_table_interface::state::AddressLookupTable;
use solana_commitment_config::CommitmentConfig;
use solana_instruction_error::InstructionError;
use solana_keypair::Keypair;
use solana_message::{v0, AddressLookupTableAccount, VersionedMessage};
use solana_program_pack::Pack;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::Error as RpcError;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSendTransactionConfig,
};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

/// Why a chain call failed, in terms a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The program refused the transaction with one of its own errors.
    #[error("the Basalt program refused: {message} ({name}, error {code})")]
    Program {
        code: u32,
        name: String,
        message: String,
    },
    /// The transaction failed for another on-chain reason (SPL Token, System, Anchor).
    #[error("transaction failed: {0}")]
    Transaction(TransactionError),
    /// The transaction's blockhash expired before it was confirmed: it will never land.
    #[error("transaction {0} expired before it was confirmed; nothing changed, send it again")]
    Expired(Signature),
    /// The transaction is larger than a packet.
    #[error("transaction is {size} bytes, over Solana's 1232-byte limit{hint}", hint = if *with_table { "" } else { " (the network's lookup table would make it fit: pass it)" })]
    TooLarge { size: usize, with_table: bool },
    /// An account the call needs does not exist.
    #[error("{what} {address} does not exist on this chain")]
    Missing { what: &'static str, address: Pubkey },
    /// An account exists but is not what it should be.
    #[error("{what} {address}: {why}")]
    Invalid {
        what: &'static str,
        address: Pubkey,
        why: String,
    },
    /// The RPC endpoint could not be reached or answered with an error.
    #[error("RPC {url}: {source}")]
    Rpc {
        url: String,
        #[source]
        source: Box<RpcError>,
    },
}

/// A connection to the chain at one RPC URL.
pub struct ChainClient {
    rpc: RpcClient,
}

/// Largest serialized transaction Solana accepts.
const PACKET_DATA_SIZE: usize = 1232;

/// The stake mint's decimals. Amounts on chain are in base units; the CLI shows them too.
pub const STAKE_MINT_DECIMALS: u8 = 6;

impl ChainClient {
    /// A client for `url` (an RPC URL; see `basalt` CLI's `--url` for the monikers).
    pub fn new(url: &str) -> Self {
        Self {
            rpc: RpcClient::new_with_timeout_and_commitment(
                url.to_owned(),
                Duration::from_secs(30),
                CommitmentConfig::confirmed(),
            ),
        }
    }

    /// The RPC URL this client talks to.
    pub fn url(&self) -> String {
        self.rpc.url()
    }

    /// The underlying RPC client, for reads this type does not wrap.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    fn rpc_error(&self, source: RpcError) -> ChainError {
        if let Some(tx_err) = source.get_transaction_error() {
            return program_error(tx_err);
        }
        ChainError::Rpc {
            url: self.rpc.url(),
            source: Box::new(source),
        }
    }

    /// Signs `ixs` with `payer` (fee payer, first signer) and `signers`, sends them as one
    /// transaction and waits until it is confirmed.
    ///
    /// # Errors
    ///
    /// [`ChainError::Program`] with the program's own error when it refuses;
    /// [`ChainError::Transaction`] for other failures; [`ChainError::Rpc`] when the
    /// endpoint fails.
    pub async fn send(
        &self,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> Result<Signature, ChainError> {
        let blockhash = self
            .rpc
            .get_latest_blockhash()
            .await
            .map_err(|e| self.rpc_error(e))?;
        let all = signer_list(payer, signers);
        let tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &all, blockhash);
        self.send_and_confirm(&tx).await
    }

    /// Sends a signed transaction (after a preflight simulation, so a refusal comes back
    /// at once with the program's error) and polls its status every 50 ms until it is
    /// confirmed or its blockhash expires. The stock client polls every 500 ms, which
    /// would make every local transaction take half a second.
    async fn send_and_confirm(
        &self,
        tx: &impl solana_rpc_client::rpc_client::SerializableTransaction,
    ) -> Result<Signature, ChainError> {
        let signature = self
            .rpc
            .send_transaction_with_config(
                tx,
                RpcSendTransactionConfig {
                    preflight_commitment: Some(CommitmentConfig::confirmed().commitment),
                    ..RpcSendTransactionConfig::default()
                },
            )
            .await
            .map_err(|e| self.rpc_error(e))?;
        let blockhash = tx.get_recent_blockhash();
        for attempt in 0u32.. {
            let status = self
                .rpc
                .get_signature_status_with_commitment(&signature, CommitmentConfig::confirmed())
                .await
                .map_err(|e| self.rpc_error(e))?;
            match status {
                Some(Ok(())) => return Ok(signature),
                Some(Err(e)) => return Err(program_error(e)),
                None => {}
            }
            // Every second, check that the transaction can still land.
            if attempt % 20 == 19
                && !self
                    .rpc
                    .is_blockhash_valid(blockhash, CommitmentConfig::processed())
                    .await
                    .map_err(|e| self.rpc_error(e))?
            {
                return Err(ChainError::Expired(signature));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        unreachable!("the loop only ends by returning")
    }

    /// Like [`ChainClient::send`], as a version-0 transaction that takes accounts from
    /// `lookup_table` when one is given: a wide blob's registration (one provider account
    /// per shard) only fits in one transaction that way.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`]; [`ChainError::Missing`] or [`ChainError::Invalid`] when
    /// the lookup table cannot be read; [`ChainError::TooLarge`] when the transaction does
    /// not fit even so.
    pub async fn send_with_lookup(
        &self,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
        lookup_table: Option<Pubkey>,
    ) -> Result<Signature, ChainError> {
        let tables = match lookup_table {
            Some(address) => vec![self.lookup_table(&address).await?],
            None => Vec::new(),
        };
        let blockhash = self
            .rpc
            .get_latest_blockhash()
            .await
            .map_err(|e| self.rpc_error(e))?;
        let message =
            v0::Message::try_compile(&payer.pubkey(), ixs, &tables, blockhash).map_err(|e| {
                ChainError::Invalid {
                    what: "transaction",
                    address: payer.pubkey(),
                    why: e.to_string(),
                }
            })?;
        let all = signer_list(payer, signers);
        let tx =
            VersionedTransaction::try_new(VersionedMessage::V0(message), &all).map_err(|e| {
                ChainError::Invalid {
                    what: "transaction signed by",
                    address: payer.pubkey(),
                    why: e.to_string(),
                }
            })?;
        let size = bincode::serialized_size(&tx).unwrap_or(u64::MAX) as usize;
        if size > PACKET_DATA_SIZE {
            return Err(ChainError::TooLarge {
                size,
                with_table: lookup_table.is_some(),
            });
        }
        self.send_and_confirm(&tx).await
    }

    /// Reads an address lookup table.
    ///
    /// # Errors
    ///
    /// [`ChainError::Missing`] or [`ChainError::Invalid`].
    pub async fn lookup_table(
        &self,
        address: &Pubkey,
    ) -> Result<AddressLookupTableAccount, ChainError> {
        let data = self.account_data(address, "lookup table").await?;
        let table = AddressLookupTable::deserialize(&data).map_err(|e| ChainError::Invalid {
            what: "lookup table",
            address: *address,
            why: e.to_string(),
        })?;
        Ok(AddressLookupTableAccount {
            key: *address,
            addresses: table.addresses.to_vec(),
        })
    }

    /// Creates a lookup table owned by `authority` holding `addresses`, and waits until it
    /// can be used (the slot after its last extension).
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`].
    pub async fn create_lookup_table(
        &self,
        authority: &Keypair,
        addresses: &[Pubkey],
    ) -> Result<Pubkey, ChainError> {
        // The table's address derives from a slot that must be in the SlotHashes sysvar
        // (a recent, completed slot): the one before the confirmed tip, once there is one.
        let mut slot = self.slot().await?;
        while slot < 2 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            slot = self.slot().await?;
        }
        let (create, table) =
            alt::create_lookup_table(authority.pubkey(), authority.pubkey(), slot - 1);
        self.send(&[create], authority, &[]).await?;
        // An extension carries at most ~20 addresses within one packet.
        for batch in addresses.chunks(20) {
            let extend = alt::extend_lookup_table(
                table,
                authority.pubkey(),
                Some(authority.pubkey()),
                batch.to_vec(),
            );
            self.send(&[extend], authority, &[]).await?;
        }
        let extended_at = self.slot().await?;
        while self.slot().await? <= extended_at {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(table)
    }

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

    /// Creates a new SPL Token mint with `authority` as mint authority, paid by `payer`.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`].
    pub async fn create_mint(
        &self,
        payer: &Keypair,
        mint: &Keypair,
        authority: &Pubkey,
    ) -> Result<(), ChainError> {
        let rent = self
            .rpc
            .get_minimum_balance_for_rent_exemption(spl_token::state::Mint::LEN)
            .await
            .map_err(|e| self.rpc_error(e))?;
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
        self.send(&ixs, payer, &[mint]).await?;
        Ok(())
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

    /// Mints `amount` base units of `mint` to `owner`'s associated token account,
    /// creating it if needed. `authority` must be the mint authority.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`].
    pub async fn mint_to(
        &self,
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
        self.send(&[create, mint_ix], authority, &[]).await?;
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

    /// Initializes the program's Config (once per deployment) with `admin` as its admin.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`]; the program refuses a second initialization.
    pub async fn initialize_config(
        &self,
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
        self.send(&[init], admin, &[]).await?;
        Ok(())
    }

    /// The program's Config, or `None` before it is initialized.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or the account does not decode.
    pub async fn config(&self) -> Result<Option<Config>, ChainError> {
        self.program_account(&pda::config(), "Config").await
    }

    /// Registers `authority` as a provider and stakes `stake` from its associated token
    /// account, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`]; the program refuses a second registration.
    pub async fn register_provider(
        &self,
        authority: &Keypair,
        registration: &ProviderRegistration,
        stake: u64,
    ) -> Result<(), ChainError> {
        let mut ixs = vec![ix::provider_register(
            &authority.pubkey(),
            &registration.endpoint,
            &registration.region,
            registration.roles,
            registration.capacity,
        )];
        if stake > 0 {
            let mint = self.stake_mint().await?;
            let from = associated_token_address(&authority.pubkey(), &mint);
            ixs.push(ix::provider_stake(&authority.pubkey(), &from, stake));
        }
        self.send(&ixs, authority, &[]).await?;
        Ok(())
    }

    /// The stake mint from the Config.
    ///
    /// # Errors
    ///
    /// [`ChainError::Missing`] before the Config is initialized.
    pub async fn stake_mint(&self) -> Result<Pubkey, ChainError> {
        let config = self.config().await?.ok_or(ChainError::Missing {
            what: "Basalt Config",
            address: pda::config(),
        })?;
        Ok(config.stake_mint)
    }

    /// The provider registered by `authority`, if any.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or the account does not decode.
    pub async fn provider(&self, authority: &Pubkey) -> Result<Option<Provider>, ChainError> {
        self.program_account(&pda::provider(authority), "Provider")
            .await
    }

    /// Every registered provider.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or an account does not decode.
    pub async fn providers(&self) -> Result<Vec<Provider>, ChainError> {
        self.program_accounts::<Provider>("Provider", Vec::new())
            .await
    }

    /// Every program account of type `T` that also passes `filters`.
    async fn program_accounts<T: AccountDeserialize + Discriminator>(
        &self,
        what: &'static str,
        mut filters: Vec<RpcFilterType>,
    ) -> Result<Vec<T>, ChainError> {
        filters.push(RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
            0,
            T::DISCRIMINATOR.to_vec(),
        )));
        let accounts = self
            .rpc
            .get_program_ui_accounts_with_config(
                &basalt::ID,
                RpcProgramAccountsConfig {
                    filters: Some(filters),
                    account_config: RpcAccountInfoConfig {
                        encoding: Some(solana_rpc_client_api::config::UiAccountEncoding::Base64),
                        commitment: Some(CommitmentConfig::confirmed()),
                        ..RpcAccountInfoConfig::default()
                    },
                    ..RpcProgramAccountsConfig::default()
                },
            )
            .await
            .map_err(|e| self.rpc_error(e))?;
        accounts
            .into_iter()
            .map(|(address, account)| {
                let data = account.data.decode().ok_or_else(|| ChainError::Invalid {
                    what,
                    address,
                    why: "the RPC returned data that is not base64".into(),
                })?;
                decode_as(&data, what, address)
            })
            .collect()
    }

    /// Every blob owned by `owner`.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or an account does not decode.
    pub async fn blobs_of(&self, owner: &Pubkey) -> Result<Vec<Blob>, ChainError> {
        // Blob's first field after the discriminator is its owner.
        let owner_filter =
            RpcFilterType::Memcmp(Memcmp::new_raw_bytes(8, owner.to_bytes().to_vec()));
        self.program_accounts::<Blob>("Blob", vec![owner_filter])
            .await
    }

    /// The blob registered under `cid_digest`, if any.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or the account does not decode.
    pub async fn blob(&self, cid_digest: &[u8; 32]) -> Result<Option<Blob>, ChainError> {
        self.program_account(&pda::blob(cid_digest), "Blob").await
    }

    /// The account at `address` at `confirmed`, or `None`.
    async fn account(
        &self,
        address: &Pubkey,
    ) -> Result<Option<solana_account::Account>, ChainError> {
        Ok(self
            .rpc
            .get_account_with_commitment(address, CommitmentConfig::confirmed())
            .await
            .map_err(|e| self.rpc_error(e))?
            .value)
    }

    async fn account_data(
        &self,
        address: &Pubkey,
        what: &'static str,
    ) -> Result<Vec<u8>, ChainError> {
        let found = self.account(address).await?;
        found.map(|a| a.data).ok_or(ChainError::Missing {
            what,
            address: *address,
        })
    }

    /// A program account, checked to be owned by the program, or `None` when absent.
    ///
    /// # Errors
    ///
    /// When the endpoint fails, or the account is not the program's or does not decode.
    pub async fn program_account<T: AccountDeserialize>(
        &self,
        address: &Pubkey,
        what: &'static str,
    ) -> Result<Option<T>, ChainError> {
        let Some(account) = self.account(address).await? else {
            return Ok(None);
        };
        if account.owner != basalt::ID {
            return Err(ChainError::Invalid {
                what,
                address: *address,
                why: format!("owned by {}, not the Basalt program", account.owner),
            });
        }
        decode_as(&account.data, what, *address).map(Some)
    }
}

/// Creates `owner`'s associated token account for `mint`, paid by `payer`; a no-op when
/// it exists.
fn create_token_account(payer: &Pubkey, owner: &Pubkey, mint: &Pubkey) -> Instruction {
    spl_associated_token_account_interface::instruction::create_associated_token_account_idempotent(
        payer,
        owner,
        mint,
        &spl_token::ID,
    )
}

/// The fee payer first, then every other signer once.
fn signer_list<'a>(payer: &'a Keypair, signers: &[&'a Keypair]) -> Vec<&'a Keypair> {
    let mut all = vec![payer];
    all.extend(signers.iter().filter(|s| s.pubkey() != payer.pubkey()));
    all
}

/// `owner`'s associated token account for `mint` (SPL Token).
pub fn associated_token_address(owner: &Pubkey, mint: &Pubkey) -> Pubkey {
    spl_associated_token_account_interface::address::get_associated_token_address(owner, mint)
}

/// What a provider publishes about itself on chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRegistration {
    /// Base URL of its storage node, e.g. `http://127.0.0.1:7001`.
    pub endpoint: String,
    pub region: String,
    /// `basalt::state::ROLE_STORAGE` and/or `ROLE_COMPUTE`.
    pub roles: u8,
    /// Bytes it offers.
    pub capacity: u64,
}

fn decode_as<T: AccountDeserialize>(
    data: &[u8],
    what: &'static str,
    address: Pubkey,
) -> Result<T, ChainError> {
    decode::account(data).map_err(|e| ChainError::Invalid {
        what,
        address,
        why: e.to_string(),
    })
}

/// The program's IDL, generated from its source (`scripts/idl.sh`): its error table names
/// every code the program returns, so messages never drift from the program.
const IDL: &str = include_str!("../../../programs/basalt/idl/basalt.json");

#[derive(serde::Deserialize)]
struct IdlErrors {
    errors: Vec<IdlError>,
}

#[derive(serde::Deserialize)]
struct IdlError {
    code: u32,
    name: String,
    msg: String,
}

/// An SPL Token instruction that could not even be built (bad arguments).
fn token_error(mint: Pubkey, e: impl std::fmt::Display) -> ChainError {
    ChainError::Invalid {
        what: "SPL Token instruction for mint",
        address: mint,
        why: e.to_string(),
    }
}

/// Names the program's own errors; anything else stays a transaction error.
fn program_error(err: TransactionError) -> ChainError {
    if let TransactionError::InstructionError(_, InstructionError::Custom(code)) = &err {
        let known = serde_json::from_str::<IdlErrors>(IDL)
            .ok()
            .and_then(|idl| idl.errors.into_iter().find(|e| e.code == *code));
        if let Some(e) = known {
            return ChainError::Program {
                code: e.code,
                name: e.name,
                message: e.msg,
            };
        }
    }
    ChainError::Transaction(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use basalt::errors::BasaltError;

    #[test]
    fn program_errors_are_named_from_the_idl() {
        let code = u32::from(BasaltError::NotAdmin);
        let err = program_error(TransactionError::InstructionError(
            0,
            InstructionError::Custom(code),
        ));
        match err {
            ChainError::Program { name, message, .. } => {
                assert_eq!(name, "NotAdmin");
                assert_eq!(message, BasaltError::NotAdmin.to_string());
            }
            other => panic!("expected a program error, got {other:?}"),
        }
        let foreign = program_error(TransactionError::InstructionError(
            0,
            InstructionError::Custom(1),
        ));
        assert!(matches!(foreign, ChainError::Transaction(_)));
    }
}
