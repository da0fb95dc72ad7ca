//! The Solana driver: the Basalt program hosted natively in solana-program-test
//! (`basalt_native::harness`), actors as keypairs with a token account of the stake mint
//! each, and time as warped slots. Every call is a real signed transaction; a refusal is
//! named with the program's own error type, as the SDK names it.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context, Result};
use basalt::anchor_lang::prelude::{Pubkey, SlotHashes};
use basalt::anchor_lang::solana_program::sysvar::SysvarId;
use basalt::client::access::may_read;
use basalt::client::decode::BasaltEvent;
use basalt::client::ix::{self, JobPostSources};
use basalt::client::pda;
use basalt::instructions::{
    BlobRegisterArgs, JobOutputArgs, JobOutputPublishArgs, JobPostArgs, JobPublicationArgs,
    VersionPublishArgs,
};
use basalt::state::{Blob, Dataset, DatasetGrant, Deal, Grant, Job, Provider, Version};
use basalt_native::harness::{self, code_of, Net};
use solana_keypair::Keypair;
use solana_program_test::BanksClientError;
use solana_signer::Signer;

use crate::blob::TestBlob;
use crate::chain::*;

/// A job output's registration as `blob` describes it.
fn output_args(blob: &TestBlob) -> JobOutputArgs {
    let layout = blob.manifest.layout();
    JobOutputArgs {
        cid_digest: blob.cid_digest(),
        size: layout.size(),
        chunk_size: layout.chunk_size(),
        leaf_size: layout.leaf_size(),
        k: layout.k(),
        m: layout.m(),
        commitment_root: blob.manifest.commitment.commitment_root(),
    }
}

struct Actor {
    key: Keypair,
    /// Its token account of the stake mint, funded with [`FUNDS`].
    tokens: Pubkey,
}

pub struct SolanaChain {
    runtime: tokio::runtime::Runtime,
    net: Net,
    actors: BTreeMap<String, Actor>,
    /// Every registration that landed, as (CID digest, owner), oldest first: a blob is one
    /// owner's registration of some content, and a scenario names it by its content, meaning
    /// the latest registration of it.
    registrations: Vec<([u8; 32], Pubkey)>,
}

/// The name of a program error code, from the program's error type; Anchor's own codes
/// (below 6000) keep their number.
fn error_name(code: u32) -> String {
    basalt::client::errors::program_error(code)
        .map_or_else(|| format!("AnchorError{code}"), |e| e.name())
}

impl SolanaChain {
    /// A fresh program-test chain with the Config initialized.
    ///
    /// # Errors
    ///
    /// When the chain does not start or its parameters differ from the scenarios'.
    pub fn new() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let net = runtime.block_on(Net::start())?;
        let params = harness::params();
        ensure_same(
            (
                harness::EPOCH_SLOTS,
                harness::PROOF_WINDOW,
                harness::MIN_STAKE,
            ),
            (EPOCH, PROOF_WINDOW, MIN_STAKE),
        )?;
        ensure_same(
            (
                params.unbonding_epochs,
                params.proof_slash_bps,
                params.job_slash_bps,
                params.bounty_bps,
                params.max_deal_epochs,
                params.max_slashes_per_epoch,
                params.accept_window_ticks,
                params.offline_ticks,
            ),
            (
                UNBONDING_EPOCHS,
                PROOF_SLASH_BPS,
                JOB_SLASH_BPS,
                BOUNTY_BPS,
                MAX_DEAL_EPOCHS,
                MAX_SLASHES_PER_EPOCH,
                ACCEPT_WINDOW,
                OFFLINE_TICKS,
            ),
        )?;
        Ok(Self {
            runtime,
            net,
            actors: BTreeMap::new(),
            registrations: Vec::new(),
        })
    }

    /// The actor `who`, created (funded wallet and token account) on first use.
    fn actor(&mut self, who: &str) -> Result<(Keypair, Pubkey)> {
        if !self.actors.contains_key(who) {
            let key = self.runtime.block_on(self.net.wallet())?;
            let tokens = self
                .runtime
                .block_on(self.net.tokens(&key.pubkey(), FUNDS))?;
            self.actors.insert(who.to_string(), Actor { key, tokens });
        }
        let actor = &self.actors[who];
        Ok((actor.key.insecure_clone(), actor.tokens))
    }

    fn pubkey(&mut self, who: &str) -> Result<Pubkey> {
        Ok(self.actor(who)?.0.pubkey())
    }

    /// Sends one instruction signed by `signer`; a program error is a refusal.
    fn send(
        &mut self,
        ix: basalt::anchor_lang::solana_program::instruction::Instruction,
        signer: &Keypair,
    ) -> Outcome {
        let result = self.runtime.block_on(self.net.send(&[ix], &[signer]));
        refusal(result)
    }

    /// Sends a crank instruction, which needs no signer but the fee payer.
    fn crank(
        &mut self,
        ix: basalt::anchor_lang::solana_program::instruction::Instruction,
    ) -> Outcome {
        let result = self.runtime.block_on(self.net.send(&[ix], &[]));
        refusal(result)
    }

    fn account<T: basalt::anchor_lang::AccountDeserialize>(
        &mut self,
        address: &Pubkey,
    ) -> Result<Option<T>> {
        if !self.runtime.block_on(self.net.exists(address))? {
            return Ok(None);
        }
        Ok(Some(self.runtime.block_on(self.net.account(address))?))
    }

    /// The Blob account of the latest registration of `blob`'s content (an address nobody
    /// owns when it was never registered).
    fn blob_address(&self, blob: &TestBlob) -> Pubkey {
        self.addresses_of(blob)
            .last()
            .copied()
            .unwrap_or_else(|| pda::blob(&Pubkey::default(), &blob.cid_digest()))
    }

    /// The Blob account of every registration of `blob`'s content, oldest first.
    fn addresses_of(&self, blob: &TestBlob) -> Vec<Pubkey> {
        let cid = blob.cid_digest();
        self.registrations
            .iter()
            .filter(|(c, _)| *c == cid)
            .map(|(c, owner)| pda::blob(owner, c))
            .collect()
    }

    /// Whether `signer` acts on `blob` through its grant (it is not the owner and holds
    /// one), as a client decides which accounts to pass.
    fn via_grant(&mut self, signer: &Pubkey, blob: &Pubkey) -> Result<bool> {
        let owner = self.account::<Blob>(blob)?.map(|b| b.owner);
        if owner.as_ref() == Some(signer) {
            return Ok(false);
        }
        Ok(self.account::<Grant>(&pda::grant(blob, signer))?.is_some())
    }

    /// The Dataset account of `owner`'s dataset `name`.
    fn dataset_address(&mut self, owner: &str, name: &str) -> Result<Pubkey> {
        Ok(pda::dataset(&self.pubkey(owner)?, name))
    }

    /// Job `nonce`'s parameters over the module `[1; 32]` and the input `[2; 32]`.
    fn job_args(
        &mut self,
        nonce: u64,
        (n, k): (u8, u8),
        reward: u64,
        [apply_in, commit_in, reveal_in]: [u64; 3],
        output: Option<&OutputAsk>,
    ) -> Result<JobPostArgs> {
        let slot = self.slot()?;
        Ok(JobPostArgs {
            nonce,
            module_cid: [1; 32],
            input_cid: [2; 32],
            fuel_limit: 1_000_000,
            n,
            k,
            reward_per_worker: reward,
            apply_deadline_slot: slot + apply_in,
            commit_deadline_slot: slot + commit_in,
            reveal_deadline_slot: slot + reveal_in,
            output_budget: output.map_or(0, |o| o.budget),
            output_price_per_shard_epoch: output.map_or(0, |o| o.price),
            output_deadline_slot: output.map_or(0, |o| slot + o.deadline_in),
            output_encrypted: output.is_some_and(|o| o.encrypted),
            publication: None,
        })
    }

    /// The Version account of `v`.
    fn version_address(&mut self, v: VersionRef<'_>) -> Result<Pubkey> {
        Ok(pda::version(&self.dataset_address(v.owner, v.name)?, v.tag))
    }

    /// Whether `signer` acts on the dataset through a grant (it is not the owner and has
    /// one), as a client decides which accounts to pass.
    fn via_dataset_grant(&mut self, signer: &Pubkey, dataset: &Pubkey) -> Result<bool> {
        let owner = self.account::<Dataset>(dataset)?.map(|d| d.owner);
        if owner.as_ref() == Some(signer) {
            return Ok(false);
        }
        Ok(self
            .account::<DatasetGrant>(&pda::dataset_grant(dataset, signer))?
            .is_some())
    }

    /// The authority holding shard `index` of the blob at `address`.
    fn holder_of(&mut self, address: &Pubkey, index: u16) -> Result<Pubkey> {
        let account: Blob = self.account(address)?.context("no blob")?;
        Ok(account
            .shards
            .get(usize::from(index))
            .context("shard index")?
            .provider)
    }

    fn slot(&mut self) -> Result<u64> {
        self.runtime.block_on(self.net.slot())
    }

    /// The current slot.
    ///
    /// # Errors
    ///
    /// When the bank cannot be read.
    pub fn now(&mut self) -> Result<u64> {
        self.slot()
    }

    /// The actor holding shard `index` of `blob`, if the blob exists and the holder is one.
    ///
    /// # Errors
    ///
    /// When the blob account cannot be read.
    pub fn holder_name(&mut self, blob: &TestBlob, index: u16) -> Result<Option<String>> {
        let Some(account) = self.account::<Blob>(&self.blob_address(blob))? else {
            return Ok(None);
        };
        let Some(slot) = account.shards.get(usize::from(index)) else {
            return Ok(None);
        };
        Ok(self.name_of(&slot.provider))
    }

    /// The name of the actor whose key is `key`, if one is.
    fn name_of(&self, key: &Pubkey) -> Option<String> {
        self.actors
            .iter()
            .find(|(_, a)| a.key.pubkey() == *key)
            .map(|(name, _)| name.clone())
    }

    /// Every event the program emitted so far, in order.
    pub fn events(&self) -> &[BasaltEvent] {
        &self.net.events
    }

    /// What the program's vaults hold and what its accounts say they owe, over the
    /// providers of `actors`, the deals of `blobs` and the jobs of `jobs`.
    ///
    /// # Errors
    ///
    /// When an account cannot be read.
    pub fn books(
        &mut self,
        actors: &[&str],
        blobs: &[&TestBlob],
        jobs: &[(&str, u64)],
    ) -> Result<Books> {
        let stake_vault = self
            .runtime
            .block_on(self.net.balance(&pda::stake_vault()))?;
        let escrow_vault = self
            .runtime
            .block_on(self.net.balance(&pda::escrow_vault()))?;
        let mut books = Books {
            stake_vault,
            escrow_vault,
            ..Books::default()
        };
        for who in actors {
            let authority = self.pubkey(who)?;
            if let Some(p) = self.account::<Provider>(&pda::provider(&authority))? {
                books.stakes += u128::from(p.stake) + u128::from(p.unbonding_amount);
            }
        }
        let addresses: Vec<Pubkey> = blobs.iter().flat_map(|b| self.addresses_of(b)).collect();
        for address in addresses {
            if let Some(d) = self.account::<Deal>(&pda::deal(&address))? {
                books.deals += u128::from(d.balance);
            }
        }
        for (requester, nonce) in jobs {
            let job = pda::job(&self.pubkey(requester)?, *nonce);
            if let Some(j) = self.account::<Job>(&job)? {
                books.job_escrows += u128::from(j.escrow);
            }
        }
        Ok(books)
    }
}

/// What the program's vaults hold against what its accounts owe (`SolanaChain::books`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Books {
    pub stake_vault: u64,
    pub escrow_vault: u64,
    /// Bonded plus unbonding stake of every provider.
    pub stakes: u128,
    /// Balances of every deal.
    pub deals: u128,
    /// Escrow left in every job.
    pub job_escrows: u128,
}

fn ensure_same<T: PartialEq + std::fmt::Debug>(harness: T, scenarios: T) -> Result<()> {
    if harness != scenarios {
        bail!("the Solana harness runs with {harness:?}, the scenarios assume {scenarios:?}");
    }
    Ok(())
}

fn refusal(result: std::result::Result<(), BanksClientError>) -> Outcome {
    match result {
        Ok(()) => Ok(Ok(())),
        Err(e) => match code_of(&e) {
            Some(code) => Ok(Err(error_name(code))),
            None => Err(anyhow!("the transaction failed outside the program: {e:?}")),
        },
    }
}

impl Chain for SolanaChain {
    fn name(&self) -> &'static str {
        "solana"
    }

    fn go_to(&mut self, epoch: u64, offset: u64) -> Result<()> {
        let target = epoch * EPOCH + offset;
        let now = self.slot()?;
        if target < now {
            bail!("time only moves forward ({now} -> {target})");
        }
        self.advance(target - now)
    }

    fn advance(&mut self, blocks: u64) -> Result<()> {
        let target = self.slot()? + blocks;
        self.runtime.block_on(self.net.warp(target))
    }

    fn register_provider(&mut self, who: &str, roles: u8) -> Outcome {
        let (key, _) = self.actor(who)?;
        let endpoint = format!("https://{who}.example");
        self.send(
            ix::provider_register(&key.pubkey(), &endpoint, "eu", roles, 1 << 40),
            &key,
        )
    }

    fn stake(&mut self, who: &str, amount: u64) -> Outcome {
        let (key, tokens) = self.actor(who)?;
        self.send(ix::provider_stake(&key.pubkey(), &tokens, amount), &key)
    }

    fn unstake(&mut self, who: &str, amount: u64) -> Outcome {
        let (key, _) = self.actor(who)?;
        self.send(ix::provider_unstake(&key.pubkey(), amount), &key)
    }

    fn withdraw_stake(&mut self, who: &str) -> Outcome {
        let (key, tokens) = self.actor(who)?;
        self.send(ix::provider_withdraw(&key.pubkey(), &tokens), &key)
    }

    fn unjail(&mut self, who: &str) -> Outcome {
        let (key, _) = self.actor(who)?;
        self.send(ix::provider_unjail(&key.pubkey()), &key)
    }

    fn deregister(&mut self, who: &str) -> Outcome {
        let (key, _) = self.actor(who)?;
        self.send(ix::provider_deregister(&key.pubkey()), &key)
    }

    fn is_registered(&mut self, who: &str) -> Result<bool> {
        let authority = self.pubkey(who)?;
        Ok(self
            .account::<Provider>(&pda::provider(&authority))?
            .is_some())
    }

    fn provider(&mut self, who: &str) -> Result<ProviderView> {
        let authority = self.pubkey(who)?;
        let p: Provider = self
            .account(&pda::provider(&authority))?
            .with_context(|| format!("{who} is not registered"))?;
        Ok(ProviderView {
            stake: p.stake,
            unbonding: p.unbonding_amount,
            status: format!("{:?}", p.status),
            reputation: p.reputation,
        })
    }

    fn register_blob(&mut self, owner: &str, blob: &TestBlob, expiry_epoch: u64) -> Outcome {
        let (key, _) = self.actor(owner)?;
        let layout = blob.manifest.layout();
        let args = BlobRegisterArgs {
            cid_digest: blob.cid_digest(),
            size: layout.size(),
            chunk_size: layout.chunk_size(),
            leaf_size: layout.leaf_size(),
            k: layout.k(),
            m: layout.m(),
            commitment_root: blob.manifest.commitment.commitment_root(),
            expiry_epoch,
            public: false,
            encrypted: false,
        };
        let outcome = self.send(ix::blob_register(&key.pubkey(), args), &key);
        if matches!(outcome, Ok(Ok(()))) {
            let registration = (blob.cid_digest(), key.pubkey());
            self.registrations.retain(|r| *r != registration);
            self.registrations.push(registration);
        }
        outcome
    }

    fn place(&mut self, signer: &str, blob: &TestBlob, first: u16, holders: &[&str]) -> Outcome {
        let (key, _) = self.actor(signer)?;
        let address = self.blob_address(blob);
        let start = usize::from(first);
        let roots = blob
            .column_roots()
            .get(start..start + holders.len())
            .context("shard range")?
            .to_vec();
        let providers = holders
            .iter()
            .map(|h| self.pubkey(h))
            .collect::<Result<Vec<_>>>()?;
        let via_grant = self.via_grant(&key.pubkey(), &address)?;
        self.send(
            ix::blob_place(&key.pubkey(), &address, first, roots, &providers, via_grant),
            &key,
        )
    }

    fn accept(&mut self, holder: &str, blob: &TestBlob, index: u16, terms: &Terms) -> Outcome {
        let (key, _) = self.actor(holder)?;
        let address = self.blob_address(blob);
        self.send(
            ix::shard_accept(&key.pubkey(), &address, index, terms),
            &key,
        )
    }

    fn release(&mut self, holder: &str, blob: &TestBlob, index: u16) -> Outcome {
        let (key, _) = self.actor(holder)?;
        let address = self.blob_address(blob);
        self.send(ix::shard_release(&key.pubkey(), &address, index), &key)
    }

    fn heartbeat(&mut self, who: &str) -> Outcome {
        let (key, _) = self.actor(who)?;
        self.send(ix::provider_heartbeat(&key.pubkey()), &key)
    }

    fn evict(&mut self, cranker: &str, blob: &TestBlob, index: u16) -> Outcome {
        let (key, _) = self.actor(cranker)?;
        let address = self.blob_address(blob);
        let holder = self.holder_of(&address, index)?;
        self.send(
            ix::shard_evict(&key.pubkey(), &address, &holder, index),
            &key,
        )
    }

    fn grant(&mut self, signer: &str, blob: &TestBlob, grantee: &str, roles: u8) -> Outcome {
        let (key, _) = self.actor(signer)?;
        let grantee = self.pubkey(grantee)?;
        let address = self.blob_address(blob);
        let via_grant = self.via_grant(&key.pubkey(), &address)?;
        let ix = ix::grant_create(
            &key.pubkey(),
            &address,
            &grantee,
            roles,
            None,
            vec![0; 80],
            via_grant,
        );
        self.send(ix, &key)
    }

    fn revoke(&mut self, signer: &str, blob: &TestBlob, grantee: &str) -> Outcome {
        let (key, _) = self.actor(signer)?;
        let grantee = self.pubkey(grantee)?;
        let address = self.blob_address(blob);
        let grant: Grant = self
            .account(&pda::grant(&address, &grantee))?
            .context("no such grant")?;
        let via_grant = grantee != key.pubkey() && self.via_grant(&key.pubkey(), &address)?;
        let ix = ix::grant_revoke(&key.pubkey(), &address, &grantee, &grant.payer, via_grant);
        self.send(ix, &key)
    }

    fn can_read(&mut self, blob: &TestBlob, who: &str) -> Result<bool> {
        let requester = self.pubkey(who)?;
        let address = self.blob_address(blob);
        let account: Option<Blob> = self.account(&address)?;
        let grant: Option<Grant> = self.account(&pda::grant(&address, &requester))?;
        let slot = self.slot()?;
        let unix_now = self.runtime.block_on(self.net.unix_time())?;
        let decision = may_read(
            account.as_ref(),
            &address,
            &requester,
            grant.as_ref(),
            None,
            slot,
            unix_now,
        );
        Ok(decision.allowed())
    }

    fn fund_deal(&mut self, payer: &str, blob: &TestBlob, price: u64, amount: u64) -> Outcome {
        let (key, tokens) = self.actor(payer)?;
        let ix = ix::deal_fund(
            &key.pubkey(),
            &self.blob_address(blob),
            &tokens,
            price,
            amount,
        );
        self.send(ix, &key)
    }

    fn top_up(&mut self, payer: &str, blob: &TestBlob, amount: u64) -> Outcome {
        let (key, tokens) = self.actor(payer)?;
        let address = self.blob_address(blob);
        let via_grant = self.via_grant(&key.pubkey(), &address)?;
        let ix = ix::deal_top_up(&key.pubkey(), &address, &tokens, amount, via_grant);
        self.send(ix, &key)
    }

    fn settle_deal(&mut self, blob: &TestBlob, index: u16) -> Outcome {
        let address = self.blob_address(blob);
        let holder = self.holder_of(&address, index)?;
        let holder_name = self
            .name_of(&holder)
            .context("the holder is not a scenario actor")?;
        let (_, holder_tokens) = self.actor(&holder_name)?;
        self.crank(ix::deal_settle(&address, index, &holder_tokens))
    }

    fn deal_balance(&mut self, blob: &TestBlob) -> Result<Option<u64>> {
        let address = self.blob_address(blob);
        Ok(self
            .account::<Deal>(&pda::deal(&address))?
            .map(|deal| deal.balance))
    }

    fn refund_deal(&mut self, signer: &str, blob: &TestBlob) -> Outcome {
        let (key, _) = self.actor(signer)?;
        let address = self.blob_address(blob);
        let deal: Deal = self.account(&pda::deal(&address))?.context("no deal")?;
        let payer_tokens = self
            .actors
            .values()
            .find(|a| a.key.pubkey() == deal.payer)
            .map(|a| a.tokens)
            .context("the payer is not a scenario actor")?;
        let via_grant = self.via_grant(&key.pubkey(), &address)?;
        let ix = ix::deal_refund(
            &key.pubkey(),
            &address,
            &deal.payer,
            &payer_tokens,
            via_grant,
        );
        self.send(ix, &key)
    }

    fn delete_blob(&mut self, signer: &str, blob: &TestBlob) -> Outcome {
        let (key, _) = self.actor(signer)?;
        let address = self.blob_address(blob);
        let record = self.account::<Blob>(&address)?.context("no blob")?;
        let via_grant = self.via_grant(&key.pubkey(), &address)?;
        self.send(
            ix::blob_delete(
                &key.pubkey(),
                &address,
                &record.owner,
                via_grant,
                &record.accepted_holders(),
                &[],
            ),
            &key,
        )
    }

    fn prove(
        &mut self,
        holder: &str,
        blob: &TestBlob,
        index: u16,
        epoch: u64,
        data_of: u16,
    ) -> Outcome {
        let (key, _) = self.actor(holder)?;
        let sysvar = self
            .runtime
            .block_on(self.net.account_data(&SlotHashes::id()))?
            .context("no SlotHashes sysvar")?;
        let seed = basalt::randomness::slot_hash_at_or_before(&sysvar, epoch * EPOCH)
            .context("the epoch's seed slot is not in SlotHashes")?;
        let proof = blob.proof(&seed, index, epoch, data_of)?;
        let ix = ix::proof_submit(
            &key.pubkey(),
            &self.blob_address(blob),
            index,
            epoch,
            proof.leaf,
            proof.path,
        );
        self.send(ix, &key)
    }

    fn slash_missed(&mut self, cranker: &str, blob: &TestBlob, index: u16, epoch: u64) -> Outcome {
        let (key, tokens) = self.actor(cranker)?;
        let address = self.blob_address(blob);
        let holder = self.holder_of(&address, index)?;
        let ix = ix::proof_slash(&key.pubkey(), &address, &holder, &tokens, index, epoch);
        self.send(ix, &key)
    }

    fn post_job_storing(
        &mut self,
        requester: &str,
        nonce: u64,
        (n, k): (u8, u8),
        reward: u64,
        [apply_in, commit_in, reveal_in]: [u64; 3],
        output: Option<&OutputAsk>,
    ) -> Outcome {
        let (key, tokens) = self.actor(requester)?;
        let args = self.job_args(
            nonce,
            (n, k),
            reward,
            [apply_in, commit_in, reveal_in],
            output,
        )?;
        self.send(ix::job_post(&key.pubkey(), &tokens, args), &key)
    }

    fn post_job_publishing(
        &mut self,
        requester: &str,
        nonce: u64,
        workers: (u8, u8),
        reward: u64,
        deadlines: [u64; 3],
        ask: &PublicationAsk<'_>,
    ) -> Outcome {
        let (key, tokens) = self.actor(requester)?;
        let mut args = self.job_args(nonce, workers, reward, deadlines, Some(&ask.output))?;
        let input_version = match ask.input {
            Some((version, id)) => {
                args.input_cid = id;
                Some(self.version_address(version)?)
            }
            None => None,
        };
        args.publication = Some(JobPublicationArgs {
            tag: ask.publish.tag.to_owned(),
            budget: ask.budget,
        });
        let dataset = self.dataset_address(ask.publish.owner, ask.publish.name)?;
        let sources = JobPostSources {
            input_version,
            publish_dataset: Some(dataset),
            via_grant: self.via_dataset_grant(&key.pubkey(), &dataset)?,
        };
        self.send(
            ix::job_post_over(&key.pubkey(), &tokens, args, &sources),
            &key,
        )
    }

    fn publish_output(
        &mut self,
        worker: &str,
        requester: &str,
        nonce: u64,
        ask: &PublicationAsk<'_>,
        manifest: &TestBlob,
    ) -> Outcome {
        let (key, _) = self.actor(worker)?;
        let requester = self.pubkey(requester)?;
        let dataset = self.dataset_address(ask.publish.owner, ask.publish.name)?;
        let via_grant = self.via_dataset_grant(&requester, &dataset)?;
        let input = match ask.input {
            Some((version, _)) => Some(self.version_address(version)?),
            None => None,
        };
        let args = JobOutputPublishArgs {
            tag: ask.publish.tag.to_owned(),
            manifest: output_args(manifest),
        };
        let job = pda::job(&requester, nonce);
        let ix = ix::job_output_publish(
            &key.pubkey(),
            &job,
            &requester,
            &dataset,
            input.as_ref(),
            via_grant,
            args,
        );
        let outcome = self.send(ix, &key);
        if matches!(outcome, Ok(Ok(()))) {
            self.registrations.push((manifest.cid_digest(), requester));
        }
        outcome
    }

    fn register_output(
        &mut self,
        worker: &str,
        requester: &str,
        nonce: u64,
        blob: &TestBlob,
    ) -> Outcome {
        let (key, _) = self.actor(worker)?;
        let requester = self.pubkey(requester)?;
        let job = pda::job(&requester, nonce);
        let outcome = self.send(
            ix::job_output_register(&key.pubkey(), &job, &requester, output_args(blob)),
            &key,
        );
        if matches!(outcome, Ok(Ok(()))) {
            self.registrations.push((blob.cid_digest(), requester));
        }
        outcome
    }

    fn link_output(
        &mut self,
        worker: &str,
        requester: &str,
        nonce: u64,
        blob: &TestBlob,
    ) -> Outcome {
        let (key, _) = self.actor(worker)?;
        let requester = self.pubkey(requester)?;
        let job = pda::job(&requester, nonce);
        self.send(
            ix::job_output_link(&key.pubkey(), &job, &requester, &blob.cid_digest()),
            &key,
        )
    }

    fn apply(&mut self, worker: &str, requester: &str, nonce: u64) -> Outcome {
        let (key, _) = self.actor(worker)?;
        let job = pda::job(&self.pubkey(requester)?, nonce);
        // Into a full list the program wants the Provider account of whom it displaces;
        // whatever is missing here, the program refuses with its own error.
        let provider = pda::provider(&key.pubkey());
        let stake = self
            .runtime
            .block_on(self.net.account::<Provider>(&provider));
        let applicants = self.runtime.block_on(self.net.account::<Job>(&job));
        let displaced = match (stake, applicants) {
            (Ok(p), Ok(job)) => {
                let stakes = job.workers.iter().map(|w| u128::from(w.stake));
                match basalt_rules::admit(stakes, p.stake.into()) {
                    Ok(basalt_rules::Admission::Displace(i)) => Some(job.workers[i].worker),
                    _ => None,
                }
            }
            _ => None,
        };
        self.send(ix::job_apply(&key.pubkey(), &job, displaced.as_ref()), &key)
    }

    fn select(&mut self, requester: &str, nonce: u64) -> Outcome {
        let job = pda::job(&self.pubkey(requester)?, nonce);
        self.crank(ix::job_select(&job))
    }

    fn selected(&mut self, requester: &str, nonce: u64) -> Result<Vec<String>> {
        let job = pda::job(&self.pubkey(requester)?, nonce);
        let job: Job = self.runtime.block_on(self.net.account(&job))?;
        job.workers
            .iter()
            .filter(|w| w.selected)
            .map(|w| {
                self.name_of(&w.worker)
                    .with_context(|| format!("{} is no actor", w.worker))
            })
            .collect()
    }

    fn job_exists(&mut self, requester: &str, nonce: u64) -> Result<bool> {
        let job = pda::job(&self.pubkey(requester)?, nonce);
        self.runtime.block_on(self.net.exists(&job))
    }

    fn commit(&mut self, worker: &str, requester: &str, nonce: u64, result: [u8; 32]) -> Outcome {
        let (key, _) = self.actor(worker)?;
        let job = pda::job(&self.pubkey(requester)?, nonce);
        let commitment = basalt::instructions::job_commitment(&result, &key.pubkey(), &SALT);
        self.send(ix::job_commit(&key.pubkey(), &job, commitment), &key)
    }

    fn reveal(&mut self, worker: &str, requester: &str, nonce: u64, result: [u8; 32]) -> Outcome {
        let (key, _) = self.actor(worker)?;
        let job = pda::job(&self.pubkey(requester)?, nonce);
        self.send(ix::job_reveal(&key.pubkey(), &job, result, SALT), &key)
    }

    fn finalize(&mut self, requester: &str, nonce: u64) -> Outcome {
        let (requester_key, requester_tokens) = self.actor(requester)?;
        let requester = requester_key.pubkey();
        let job = pda::job(&requester, nonce);
        self.crank(ix::job_finalize(&job, &requester, &requester_tokens))
    }

    fn settle_worker(&mut self, requester: &str, nonce: u64, worker: &str) -> Outcome {
        let (requester_key, requester_tokens) = self.actor(requester)?;
        let requester = requester_key.pubkey();
        let job = pda::job(&requester, nonce);
        let (worker_key, worker_tokens) = self.actor(worker)?;
        self.crank(ix::job_settle(
            &job,
            &requester,
            &requester_tokens,
            &worker_key.pubkey(),
            &worker_tokens,
        ))
    }

    fn tokens(&mut self, who: &str) -> Result<u64> {
        let (_, tokens) = self.actor(who)?;
        self.runtime.block_on(self.net.balance(&tokens))
    }

    fn create_dataset(&mut self, owner: &str, name: &str, public: bool) -> Outcome {
        let (key, _) = self.actor(owner)?;
        self.send(ix::dataset_create(&key.pubkey(), name, public), &key)
    }

    fn grant_dataset(
        &mut self,
        signer: &str,
        owner: &str,
        name: &str,
        grantee: &str,
        roles: u8,
    ) -> Outcome {
        let (key, _) = self.actor(signer)?;
        let grantee = self.pubkey(grantee)?;
        let dataset = self.dataset_address(owner, name)?;
        let via_grant = self.via_dataset_grant(&key.pubkey(), &dataset)?;
        let ix = ix::dataset_grant_create(
            &key.pubkey(),
            &dataset,
            &grantee,
            roles,
            None,
            vec![0; 80],
            via_grant,
        );
        self.send(ix, &key)
    }

    fn publish(
        &mut self,
        publisher: &str,
        version: VersionRef<'_>,
        version_id: [u8; 32],
        manifest: &TestBlob,
        parents: &[VersionRef<'_>],
        job: Option<(&str, u64)>,
    ) -> Outcome {
        let (key, _) = self.actor(publisher)?;
        let dataset = self.dataset_address(version.owner, version.name)?;
        let via_grant = self.via_dataset_grant(&key.pubkey(), &dataset)?;
        let parents = parents
            .iter()
            .map(|p| self.version_address(*p))
            .collect::<Result<Vec<_>>>()?;
        let job = match job {
            Some((requester, nonce)) => Some(pda::job(&self.pubkey(requester)?, nonce)),
            None => None,
        };
        let args = VersionPublishArgs {
            tag: version.tag.to_string(),
            version_id,
            message: format!("{} by {publisher}", version.tag),
        };
        let ix = ix::version_publish(
            &key.pubkey(),
            &dataset,
            &self.blob_address(manifest),
            &parents,
            job.as_ref(),
            args,
            via_grant,
        );
        self.send(ix, &key)
    }

    fn retract(&mut self, signer: &str, version: VersionRef<'_>) -> Outcome {
        let (key, _) = self.actor(signer)?;
        let dataset = self.dataset_address(version.owner, version.name)?;
        let address = self.version_address(version)?;
        let via_grant = self.via_dataset_grant(&key.pubkey(), &dataset)?;
        self.send(
            ix::version_retract(&key.pubkey(), &dataset, &address, via_grant),
            &key,
        )
    }

    fn version(&mut self, version: VersionRef<'_>) -> Result<Option<VersionView>> {
        let address = self.version_address(version)?;
        Ok(self.account::<Version>(&address)?.map(|v| VersionView {
            seq: v.seq,
            version_id: v.version_id,
            parents: v.parents.len(),
            retracted: v.retracted,
            derived_by_job: v.job.is_some(),
        }))
    }
}
