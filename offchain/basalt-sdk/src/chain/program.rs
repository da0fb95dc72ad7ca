//! The Basalt program's accounts (Config, providers, blobs), read and decoded, and a
//! provider's registration.

use basalt::anchor_lang::prelude::Pubkey;
use basalt::anchor_lang::{AccountDeserialize, Discriminator};
use basalt::client::{decode, ix, pda};
use basalt::state::{Blob, Config, Grant, Provider};
use basalt_core::BlobId;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_signer::Signer;

use super::wallet::associated_token_address;
use super::{ChainClient, ChainError};

/// The id of a Blob account read from the chain: its address, the program address of its
/// owner and CID.
pub fn blob_id(blob: &Blob) -> BlobId {
    BlobId::from_bytes(pda::blob(&blob.owner, &blob.cid_digest).to_bytes())
}

/// The Blob account a blob id names: on Solana the id is the account's address.
pub fn blob_address(id: &BlobId) -> Pubkey {
    Pubkey::new_from_array(*id.as_bytes())
}

impl ChainClient {
    /// The program's Config, or `None` before it is initialized.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or the account does not decode.
    pub async fn config(&self) -> Result<Option<Config>, ChainError> {
        self.program_account(&pda::config(), "Config").await
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

    /// The providers registered by `authorities`, in order (`None` for one that is not),
    /// read in as few `getMultipleAccounts` calls as the RPC's 100-key limit allows.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or an account is not a provider.
    pub async fn providers_of(
        &self,
        authorities: &[Pubkey],
    ) -> Result<Vec<Option<Provider>>, ChainError> {
        let mut providers = Vec::with_capacity(authorities.len());
        for batch in authorities.chunks(100) {
            let addresses: Vec<Pubkey> = batch.iter().map(pda::provider).collect();
            let read = || {
                self.rpc.get_multiple_accounts_with_commitment(
                    &addresses,
                    CommitmentConfig::confirmed(),
                )
            };
            let accounts = self.hedged("getMultipleAccounts", read).await?.value;
            for (address, account) in addresses.iter().zip(accounts) {
                providers.push(match account {
                    Some(a) if a.owner == basalt::ID => {
                        Some(decode_as(&a.data, "Provider", *address)?)
                    }
                    Some(a) => {
                        return Err(ChainError::Invalid {
                            what: "Provider",
                            address: *address,
                            why: format!("owned by {}, not the Basalt program", a.owner),
                        })
                    }
                    None => None,
                });
            }
        }
        Ok(providers)
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
    pub(super) async fn program_accounts<T: AccountDeserialize + Discriminator>(
        &self,
        what: &'static str,
        mut filters: Vec<RpcFilterType>,
    ) -> Result<Vec<T>, ChainError> {
        filters.push(RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
            0,
            T::DISCRIMINATOR.to_vec(),
        )));
        let config = RpcProgramAccountsConfig {
            filters: Some(filters),
            account_config: RpcAccountInfoConfig {
                encoding: Some(solana_rpc_client_api::config::UiAccountEncoding::Base64),
                commitment: Some(CommitmentConfig::confirmed()),
                ..RpcAccountInfoConfig::default()
            },
            ..RpcProgramAccountsConfig::default()
        };
        let read = || {
            self.rpc
                .get_program_ui_accounts_with_config(&basalt::ID, config.clone())
        };
        let accounts = self.hedged("getProgramAccounts", read).await?;
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

    /// Every grant on the blob at `blob`.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or an account does not decode.
    pub async fn grants_of(&self, blob: &Pubkey) -> Result<Vec<Grant>, ChainError> {
        // Grant's first field after the discriminator is its blob.
        let blob_filter = RpcFilterType::Memcmp(Memcmp::new_raw_bytes(8, blob.to_bytes().to_vec()));
        self.program_accounts::<Grant>("Grant", vec![blob_filter])
            .await
    }

    /// The blob `id` names (on Solana, its account's address), if registered.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or the account does not decode.
    pub async fn blob(&self, id: &BlobId) -> Result<Option<Blob>, ChainError> {
        self.program_account(&blob_address(id), "Blob").await
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
