//! [`SolanaBackend`]: the data path's chain side on the Basalt program, signed by an
//! ed25519 wallet.

use basalt::anchor_lang::prelude::Pubkey;
use basalt::anchor_lang::solana_program::instruction::Instruction;
use basalt::client::{ix, pda};
use basalt::instructions::{JobOutputArgs, JobOutputPublishArgs};
use basalt::state::{Blob, Deal, Grant, ProviderStatus, ROLE_STORAGE};
use basalt_core::{BlobId, BlobManifest, Caller, Cid, KeyRecipient, RequestKey};
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;

use super::{BlobRecord, ChainBackend, SlotRecord, StorageProvider, Terms};
use crate::chain::{associated_token_address, blob_address, ChainClient, ChainError};
use crate::put::{PutError, PutOptions, Registrar};

/// The Basalt program on Solana, for `wallet`.
pub struct SolanaBackend<'a> {
    chain: &'a ChainClient,
    wallet: &'a Keypair,
    key: RequestKey,
}

impl<'a> SolanaBackend<'a> {
    pub fn new(chain: &'a ChainClient, wallet: &'a Keypair) -> Self {
        Self {
            chain,
            wallet,
            key: RequestKey::Ed25519(crate::put::wallet_signing_key(wallet)),
        }
    }
}

/// The account an identity names on Solana: an ed25519 key is its address; an EVM
/// address has none.
///
/// # Errors
///
/// [`ChainError::Unsupported`] for an EVM address.
pub fn solana_account(caller: &Caller) -> Result<Pubkey, ChainError> {
    match caller {
        Caller::Ed25519(key) => Ok(Pubkey::new_from_array(*key)),
        Caller::Evm(_) => Err(ChainError::Unsupported(format!(
            "{caller} is an EVM account, which has no Solana account"
        ))),
    }
}

fn caller_of(account: &Pubkey) -> Caller {
    Caller::Ed25519(account.to_bytes())
}

/// A Blob account as the data path reads it.
pub fn blob_record(blob: &Blob) -> BlobRecord {
    BlobRecord {
        owner: caller_of(&blob.owner),
        cid_digest: blob.cid_digest,
        size: blob.size,
        chunk_size: blob.chunk_size,
        leaf_size: blob.leaf_size,
        k: blob.k,
        m: blob.m,
        chunk_count: blob.chunk_count,
        encrypted: blob.encrypted,
        commitment_root: blob.commitment_root,
        slots: blob
            .shards
            .iter()
            .map(|s| SlotRecord {
                provider: s.is_placed().then(|| caller_of(&s.provider)),
                column_root: s.column_root,
                accepted: s.accepted,
            })
            .collect(),
    }
}

impl ChainBackend for SolanaBackend<'_> {
    type Tx = Signature;

    fn wallet(&self) -> &RequestKey {
        &self.key
    }

    async fn terms(&self) -> Result<Terms, ChainError> {
        let config = self.chain.config().await?.ok_or(ChainError::Missing {
            what: "Basalt Config",
            address: pda::config(),
        })?;
        Ok(Terms {
            default_k: config.default_k,
            default_m: config.default_m,
            max_deal_epochs: config.max_deal_epochs,
        })
    }

    fn owner(&self, options: &PutOptions) -> Result<(Caller, KeyRecipient), PutError> {
        let owner = match &options.registrar {
            Registrar::Owner => self.wallet.pubkey(),
            Registrar::JobOutput { requester, .. } => *requester,
            Registrar::JobPublication(target) => target.requester,
        };
        Ok((caller_of(&owner), KeyRecipient::Ed25519(owner.to_bytes())))
    }

    fn blob_id(&self, owner: &Caller, cid: &Cid) -> Result<BlobId, PutError> {
        let owner = solana_account(owner)?;
        Ok(BlobId::from_bytes(
            pda::blob(&owner, cid.digest()).to_bytes(),
        ))
    }

    async fn storage_providers(&self) -> Result<Vec<StorageProvider>, ChainError> {
        let config = self.chain.config().await?.ok_or(ChainError::Missing {
            what: "Basalt Config",
            address: pda::config(),
        })?;
        let providers: Vec<_> = self
            .chain
            .providers()
            .await?
            .into_iter()
            .filter(|p| {
                p.roles & ROLE_STORAGE != 0
                    && p.status == ProviderStatus::Active
                    && p.stake >= config.min_stake
            })
            .collect();
        let silence = self.chain.heartbeat_silence(&providers).await?;
        Ok(providers
            .into_iter()
            .zip(silence)
            .map(|(p, silence)| StorageProvider {
                id: caller_of(&p.authority),
                endpoint: p.endpoint,
                silence,
            })
            .collect())
    }

    async fn blob(&self, id: &BlobId) -> Result<Option<BlobRecord>, ChainError> {
        Ok(self.chain.blob(id).await?.as_ref().map(blob_record))
    }

    async fn endpoints(&self, providers: &[Caller]) -> Result<Vec<Option<String>>, ChainError> {
        let accounts = providers
            .iter()
            .map(solana_account)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self
            .chain
            .providers_of(&accounts)
            .await?
            .into_iter()
            .map(|p| p.map(|p| p.endpoint))
            .collect())
    }

    async fn register(
        &self,
        id: &BlobId,
        manifest: &BlobManifest,
        holders: &[Caller],
        options: &PutOptions,
    ) -> Result<Signature, PutError> {
        let holders = holders
            .iter()
            .map(solana_account)
            .collect::<Result<Vec<_>, _>>()?;
        register(
            self.chain,
            self.wallet,
            manifest,
            &blob_address(id),
            &holders,
            options,
        )
        .await
    }

    async fn create_grant(
        &self,
        id: &BlobId,
        grantee: &Caller,
        roles: u8,
        expires_at: Option<i64>,
        wrapped_key: Vec<u8>,
    ) -> Result<Signature, ChainError> {
        let create = ix::grant_create(
            &self.wallet.pubkey(),
            &blob_address(id),
            &solana_account(grantee)?,
            roles,
            expires_at,
            wrapped_key,
            false,
        );
        self.chain.send(&[create], self.wallet, &[]).await
    }

    async fn revoke_grant(
        &self,
        id: &BlobId,
        grantee: &Caller,
    ) -> Result<Option<Signature>, ChainError> {
        let blob = blob_address(id);
        let grantee = solana_account(grantee)?;
        let grant: Option<Grant> = self
            .chain
            .program_account(&pda::grant(&blob, &grantee), "Grant")
            .await?;
        let Some(grant) = grant else {
            return Ok(None);
        };
        let revoke = ix::grant_revoke(&self.wallet.pubkey(), &blob, &grantee, &grant.payer, false);
        Ok(Some(self.chain.send(&[revoke], self.wallet, &[]).await?))
    }

    /// Its grants are revoked first (the program deletes no blob that has any, so no grant
    /// outlives it), their rent back to their payers. A funded deal is then settled
    /// (providers keep every proven epoch) and its remaining escrow refunded to its payer,
    /// in the same transaction as the deletion, which ends the obligations of the holders
    /// that accepted a shard.
    async fn delete_blob(&self, id: &BlobId) -> Result<Signature, ChainError> {
        let (chain, owner) = (self.chain, self.wallet);
        let address = blob_address(id);
        let blob = chain.blob(id).await?.ok_or(ChainError::Missing {
            what: "Blob",
            address,
        })?;
        // Revoked ahead of the deletion, a few per transaction to keep each within its size
        // (the deletion could close them itself, but would outgrow one transaction).
        let revokes: Vec<_> = chain
            .grants_of(&address)
            .await?
            .iter()
            .map(|g| ix::grant_revoke(&owner.pubkey(), &address, &g.grantee, &g.payer, false))
            .collect();
        for batch in revokes.chunks(6) {
            chain.send(batch, owner, &[]).await?;
        }
        let mut ixs = Vec::new();
        let deal: Option<Deal> = chain.program_account(&pda::deal(&address), "Deal").await?;
        let mint = match &deal {
            Some(_) => Some(chain.stake_mint().await?),
            None => None,
        };
        if let (Some(deal), Some(mint)) = (&deal, &mint) {
            settle_proven(chain, owner, &address, &blob, mint).await?;
            let payer_tokens = associated_token_address(&deal.payer, mint);
            ixs.push(ix::deal_refund(
                &owner.pubkey(),
                &address,
                &deal.payer,
                &payer_tokens,
                false,
            ));
        }
        // The holders that accepted a shard, whose obligations end with the blob. A node may
        // accept between the read and the transaction (the program then refuses it with
        // HoldersMismatch), or prove an epoch after the settlements (the refund then refuses
        // with UnsettledPayouts); either changes nothing: read again, settle what is new,
        // retry.
        let mut accepted = blob.accepted_holders();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut attempt = ixs.clone();
            attempt.push(ix::blob_delete(
                &owner.pubkey(),
                &address,
                &blob.owner,
                false,
                &accepted,
                &[],
            ));
            match chain.send(&attempt, owner, &[]).await {
                Err(ChainError::Program { name, .. })
                    if (name == "HoldersMismatch" || name == "UnsettledPayouts")
                        && attempts < 4 =>
                {
                    let fresh = chain.blob(id).await?.ok_or(ChainError::Missing {
                        what: "Blob",
                        address,
                    })?;
                    if let Some(mint) = &mint {
                        settle_proven(chain, owner, &address, &fresh, mint).await?;
                    }
                    accepted = fresh.accepted_holders();
                }
                sent => return sent,
            }
        }
    }

    async fn wrapped_key(
        &self,
        id: &BlobId,
        reader: &Caller,
    ) -> Result<Option<Vec<u8>>, ChainError> {
        let Ok(reader) = solana_account(reader) else {
            return Ok(None);
        };
        let grant: Option<Grant> = self
            .chain
            .program_account(&pda::grant(&blob_address(id), &reader), "Grant")
            .await?;
        Ok(grant.map(|g| g.wrapped_key).filter(|key| !key.is_empty()))
    }
}

/// Pays every holder of `blob` (at `address`) for the epochs it proved and was not paid
/// for yet, a few settlements per transaction to keep each small.
async fn settle_proven(
    chain: &ChainClient,
    owner: &Keypair,
    address: &Pubkey,
    blob: &Blob,
    mint: &Pubkey,
) -> Result<(), ChainError> {
    let settles: Vec<_> = blob
        .shards
        .iter()
        .enumerate()
        .filter(|(_, s)| s.unpaid_epochs > 0)
        .map(|(i, s)| {
            let tokens = associated_token_address(&s.provider, mint);
            ix::deal_settle(address, i as u16, &tokens)
        })
        .collect();
    for batch in settles.chunks(4) {
        chain.send(batch, owner, &[]).await?;
    }
    Ok(())
}

/// Registers, places and funds the blob in one transaction signed by `wallet` (the
/// program funds a job's output from its budget); `blob` is the Blob account that
/// registration creates (its owner's, for this CID).
async fn register(
    chain: &ChainClient,
    wallet: &Keypair,
    manifest: &BlobManifest,
    blob: &Pubkey,
    providers: &[Pubkey],
    options: &PutOptions,
) -> Result<Signature, PutError> {
    let roots = manifest.commitment.column_roots();
    let signer = wallet.pubkey();
    let place = |first: usize, end: usize| {
        ix::blob_place(
            &signer,
            blob,
            first as u16,
            roots[first..end].to_vec(),
            &providers[first..end],
            false,
        )
    };
    let layout = manifest.layout();
    // The blob as the manifest describes it; an owner's registration adds its terms.
    let described = JobOutputArgs {
        cid_digest: *manifest.cid.digest(),
        size: layout.size(),
        chunk_size: layout.chunk_size(),
        leaf_size: layout.leaf_size(),
        k: layout.k(),
        m: layout.m(),
        commitment_root: manifest.commitment.commitment_root(),
    };
    let register = match &options.registrar {
        Registrar::Owner => None,
        Registrar::JobOutput { job, requester } => Some(ix::job_output_register(
            &signer,
            job,
            requester,
            described.clone(),
        )),
        Registrar::JobPublication(t) => Some(ix::job_output_publish(
            &signer,
            &t.job,
            &t.requester,
            &t.dataset,
            t.input_version.as_ref(),
            t.via_grant,
            JobOutputPublishArgs {
                tag: t.tag.clone(),
                manifest: described.clone(),
            },
        )),
    };
    if let Some(register) = register {
        return send_registration(
            chain,
            wallet,
            register,
            &place,
            None,
            providers.len(),
            options,
        )
        .await;
    }
    let config = chain.config().await?.ok_or(PutError::NoConfig)?;
    let slot = chain.slot().await?;
    let expiry_epoch = slot / config.epoch_slots + options.epochs.max(1);
    let args = described.to_register(expiry_epoch, options.public, manifest.encrypted);
    let owner = wallet.pubkey();
    let amount = crate::put::deal_amount(options, providers.len())?;
    let from = associated_token_address(&owner, &config.stake_mint);
    let register = ix::blob_register(&owner, args);
    let fund = ix::deal_fund(&owner, blob, &from, options.price_per_shard_epoch, amount);
    send_registration(
        chain,
        wallet,
        register,
        &place,
        Some(fund),
        providers.len(),
        options,
    )
    .await
}

/// Sends `register`, the placement of all `n` shards and `fund` in one transaction.
/// Without the network's lookup table a wide blob's provider accounts do not fit in one:
/// half is placed with the registration, the rest with the funding. The blob only becomes
/// active (readable, provable) once every shard is placed.
async fn send_registration(
    chain: &ChainClient,
    wallet: &Keypair,
    register: Instruction,
    place: &(dyn Fn(usize, usize) -> Instruction + Sync),
    fund: Option<Instruction>,
    n: usize,
    options: &PutOptions,
) -> Result<Signature, PutError> {
    let mut all = vec![register.clone(), place(0, n)];
    all.extend(fund.clone());
    match chain
        .send_with_lookup(&all, wallet, &[], options.lookup_table)
        .await
    {
        Err(ChainError::TooLarge {
            with_table: false, ..
        }) => {
            let half = n / 2;
            chain.send(&[register, place(0, half)], wallet, &[]).await?;
            let mut rest = vec![place(half, n)];
            rest.extend(fund);
            Ok(chain.send(&rest, wallet, &[]).await?)
        }
        Err(e) => Err(e.into()),
        Ok(signature) => Ok(signature),
    }
}
