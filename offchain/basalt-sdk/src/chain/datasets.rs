//! Datasets on chain: the Dataset, DatasetGrant and Version accounts, and the instructions
//! their owner and grantees send.

use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::{ix, pda};
use basalt::instructions::VersionPublishArgs;
use basalt::state::{Dataset, DatasetGrant, Version};
use solana_keypair::Keypair;
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_signature::Signature;
use solana_signer::Signer;

use super::{ChainClient, ChainError};

/// A version to publish: where its manifest is and what it follows.
#[derive(Debug, Clone)]
pub struct Publication {
    pub tag: String,
    /// The manifest's id (`basalt_core::dataset::DatasetManifest::version_id`).
    pub version_id: [u8; 32],
    /// The Blob account storing the manifest.
    pub manifest_blob: Pubkey,
    /// Parent Version accounts.
    pub parents: Vec<Pubkey>,
    /// The Job account it was derived by.
    pub job: Option<Pubkey>,
    pub message: String,
}

impl ChainClient {
    /// The dataset at `address`, if it exists.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or the account does not decode.
    pub async fn dataset(&self, address: &Pubkey) -> Result<Option<Dataset>, ChainError> {
        self.program_account(address, "Dataset").await
    }

    /// The version at `address`, if it exists.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or the account does not decode.
    pub async fn version(&self, address: &Pubkey) -> Result<Option<Version>, ChainError> {
        self.program_account(address, "Version").await
    }

    /// `grantee`'s grant on the dataset at `dataset`, if it has one.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or the account does not decode.
    pub async fn dataset_grant(
        &self,
        dataset: &Pubkey,
        grantee: &Pubkey,
    ) -> Result<Option<DatasetGrant>, ChainError> {
        self.program_account(&pda::dataset_grant(dataset, grantee), "DatasetGrant")
            .await
    }

    /// Every version of the dataset at `dataset`, in publication order.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or an account does not decode.
    pub async fn versions_of(&self, dataset: &Pubkey) -> Result<Vec<Version>, ChainError> {
        // Version's first field after the discriminator is its dataset.
        let filter = RpcFilterType::Memcmp(Memcmp::new_raw_bytes(8, dataset.to_bytes().to_vec()));
        let mut versions = self
            .program_accounts::<Version>("Version", vec![filter])
            .await?;
        versions.sort_by_key(|v| v.seq);
        Ok(versions)
    }

    /// Creates the dataset `owner` names `name`; returns its address.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`]; the program refuses a name that is not a plain label, and
    /// a name the owner already uses.
    pub async fn create_dataset(
        &self,
        owner: &Keypair,
        name: &str,
        public: bool,
    ) -> Result<Pubkey, ChainError> {
        basalt_rules::check_dataset_name(name).map_err(|_| ChainError::Invalid {
            what: "dataset name",
            address: owner.pubkey(),
            why: format!(
                "{name:?} is not 1 to 32 letters, digits, '.', '_' or '-' starting with a letter or digit"
            ),
        })?;
        let address = pda::dataset(&owner.pubkey(), name);
        if self.dataset(&address).await?.is_some() {
            return Err(ChainError::Invalid {
                what: "dataset",
                address,
                why: format!("{} already has a dataset named {name:?}", owner.pubkey()),
            });
        }
        self.send(
            &[ix::dataset_create(&owner.pubkey(), name, public)],
            owner,
            &[],
        )
        .await?;
        Ok(address)
    }

    /// Publishes a version of the dataset at `dataset`, signed by `publisher` (its owner, or
    /// a WRITE grantee); returns the Version account's address.
    ///
    /// # Errors
    ///
    /// [`ChainError::Invalid`] when the tag is taken (a tag is published once); otherwise as
    /// [`ChainClient::send`].
    pub async fn publish_version(
        &self,
        publisher: &Keypair,
        dataset: &Pubkey,
        owner: &Pubkey,
        publication: Publication,
    ) -> Result<Pubkey, ChainError> {
        let address = pda::version(dataset, &publication.tag);
        if self.version(&address).await?.is_some() {
            return Err(ChainError::Invalid {
                what: "version",
                address,
                why: format!(
                    "the dataset already has a version tagged {:?}; tags are never reused",
                    publication.tag
                ),
            });
        }
        let args = VersionPublishArgs {
            tag: publication.tag,
            version_id: publication.version_id,
            message: publication.message,
        };
        let ix = ix::version_publish(
            &publisher.pubkey(),
            dataset,
            &publication.manifest_blob,
            &publication.parents,
            publication.job.as_ref(),
            args,
            publisher.pubkey() != *owner,
        );
        self.send(&[ix], publisher, &[]).await?;
        Ok(address)
    }

    /// Retracts the version at `version` of the dataset at `dataset` (its owner, or a
    /// DELETE grantee).
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`].
    pub async fn retract_version(
        &self,
        signer: &Keypair,
        dataset: &Pubkey,
        owner: &Pubkey,
        version: &Pubkey,
    ) -> Result<Signature, ChainError> {
        let via_grant = signer.pubkey() != *owner;
        self.send(
            &[ix::version_retract(
                &signer.pubkey(),
                dataset,
                version,
                via_grant,
            )],
            signer,
            &[],
        )
        .await
    }

    /// Gives `grantee` `roles` on the dataset, with `wrapped_key` (the dataset's key
    /// wrapped for it, empty for a public dataset), signed by its owner or an ADMIN.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`].
    pub async fn grant_dataset(
        &self,
        signer: &Keypair,
        dataset: &Pubkey,
        owner: &Pubkey,
        grantee: &Pubkey,
        roles: u8,
        wrapped_key: Vec<u8>,
    ) -> Result<Signature, ChainError> {
        let via_grant = signer.pubkey() != *owner;
        let ix = ix::dataset_grant_create(
            &signer.pubkey(),
            dataset,
            grantee,
            roles,
            None,
            wrapped_key,
            via_grant,
        );
        self.send(&[ix], signer, &[]).await
    }
}
