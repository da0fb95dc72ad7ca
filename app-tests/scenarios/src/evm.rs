//! The EVM driver: Basalt's Solidity contracts (`contracts/evm`, compiled artifacts through
//! `basalt-evm-client`) deployed in an in-process EVM (revm, real gas metering), actors as
//! addresses holding the ERC-20 stake token, and time as block numbers. A refusal is named
//! by the contracts' custom error, which carries the Solana program's name.

use std::collections::BTreeMap;

use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::sol_types::{SolCall, SolInterface};
use anyhow::{anyhow, bail, Context, Result};
use basalt_evm_client::alloy;
use basalt_evm_client::deploy::Network;
use basalt_evm_client::in_process::{self, Evm, Outcome as EvmOutcome};
use basalt_evm_client::BasaltBlobs::{self, BasaltBlobsErrors};
use basalt_evm_client::BasaltConfig::{BasaltConfigErrors, Params};
use basalt_evm_client::BasaltDatasets::{self, BasaltDatasetsErrors};
use basalt_evm_client::BasaltJobs::{self, BasaltJobsErrors};
use basalt_evm_client::BasaltProviders::{self, BasaltProvidersErrors};
use basalt_evm_client::BasaltTestToken::{self, BasaltTestTokenErrors};

use crate::blob::TestBlob;
use crate::chain::*;

/// Deploys and administers the contracts; mints the stake token (and sends cranks).
const DEPLOYER: Address = Address::repeat_byte(0xde);
const TREASURY: Address = Address::repeat_byte(0x7e);

pub struct EvmChain {
    pub evm: Evm,
    token: Address,
    providers: Address,
    blobs: Address,
    jobs: Address,
    datasets: Address,
    /// Actors by name, funded on first use.
    actors: BTreeMap<String, Address>,
    /// Every registration that landed, as (CID digest, owner), oldest first (see the Solana
    /// driver: a scenario names a blob by its content, meaning its latest registration).
    registrations: Vec<([u8; 32], Address)>,
    /// Gas of every successful call, by method.
    pub gas: BTreeMap<String, Vec<u64>>,
}

/// The scenarios' parameters as the configuration takes them.
fn params() -> Params {
    Params {
        min_stake: u128::from(MIN_STAKE),
        unbonding_epochs: UNBONDING_EPOCHS,
        proof_slash_bps: PROOF_SLASH_BPS,
        job_slash_bps: JOB_SLASH_BPS,
        bounty_bps: BOUNTY_BPS,
        default_k: crate::blob::K,
        default_m: crate::blob::M,
        max_deal_epochs: MAX_DEAL_EPOCHS,
        max_slashes_per_epoch: MAX_SLASHES_PER_EPOCH,
        accept_window_ticks: ACCEPT_WINDOW,
        offline_ticks: OFFLINE_TICKS,
    }
}

/// The name of the contracts' error `data` encodes (every contract shares one error list;
/// the token's are OpenZeppelin's).
fn error_name(data: &[u8]) -> Option<String> {
    let debug = BasaltBlobsErrors::abi_decode(data)
        .map(|e| format!("{e:?}"))
        .or_else(|_| BasaltProvidersErrors::abi_decode(data).map(|e| format!("{e:?}")))
        .or_else(|_| BasaltConfigErrors::abi_decode(data).map(|e| format!("{e:?}")))
        .or_else(|_| BasaltJobsErrors::abi_decode(data).map(|e| format!("{e:?}")))
        .or_else(|_| BasaltDatasetsErrors::abi_decode(data).map(|e| format!("{e:?}")))
        .or_else(|_| BasaltTestTokenErrors::abi_decode(data).map(|e| format!("{e:?}")))
        .ok()?;
    debug.split(['(', ' ']).next().map(str::to_owned)
}

fn to_u64(value: impl TryInto<u64>, what: &str) -> Result<u64> {
    value
        .try_into()
        .map_err(|_| anyhow!("{what} does not fit a u64"))
}

impl EvmChain {
    /// The token, configuration, registry, storage, datasets and jobs contracts deployed
    /// and bound.
    ///
    /// # Errors
    ///
    /// When a deployment fails.
    pub fn new() -> Result<Self> {
        let mut evm = Evm::new();
        let network = Network {
            epoch_blocks: EPOCH,
            proof_window_blocks: PROOF_WINDOW,
            treasury: TREASURY,
            params: params(),
        };
        let deployed = in_process::deploy(&mut evm, DEPLOYER, &network)?;
        Ok(Self {
            evm,
            token: deployed.token,
            providers: deployed.providers,
            blobs: deployed.blobs,
            jobs: deployed.jobs,
            datasets: deployed.datasets,
            actors: BTreeMap::new(),
            registrations: Vec::new(),
            gas: BTreeMap::new(),
        })
    }

    /// The address of actor `who`, funded with [`FUNDS`] tokens approved to the contracts
    /// on first use.
    fn actor(&mut self, who: &str) -> Result<Address> {
        if let Some(address) = self.actors.get(who) {
            return Ok(*address);
        }
        let address = Address::from_slice(&keccak256(who.as_bytes())[12..]);
        let mint = BasaltTestToken::mintCall {
            to: address,
            amount: U256::from(FUNDS),
        };
        self.evm.ok(DEPLOYER, self.token, &mint)?;
        for spender in [self.providers, self.blobs, self.jobs] {
            let approve = BasaltTestToken::approveCall {
                spender,
                value: U256::MAX,
            };
            self.evm.ok(address, self.token, &approve)?;
        }
        self.actors.insert(who.to_owned(), address);
        Ok(address)
    }

    /// Sends `call` to `to` as `who`; a revert with a contract error is a refusal.
    fn send<C: SolCall>(&mut self, who: &str, to: Address, call: &C) -> Outcome {
        let from = self.actor(who)?;
        self.send_from(from, to, call)
    }

    fn send_from<C: SolCall>(&mut self, from: Address, to: Address, call: &C) -> Outcome {
        match self.evm.call(from, to, call)? {
            EvmOutcome::Returned { gas_used, .. } => {
                self.record_gas::<C>(to, gas_used);
                Ok(Ok(()))
            }
            EvmOutcome::Reverted(data) => match error_name(&data) {
                Some(name) => Ok(Err(name)),
                None => Err(anyhow!(
                    "{} reverted with unknown data {data}",
                    C::SIGNATURE
                )),
            },
        }
    }

    /// Sends a crank, which anyone may send: from the deployer, which no scenario names.
    fn crank<C: SolCall>(&mut self, to: Address, call: &C) -> Outcome {
        self.send_from(DEPLOYER, to, call)
    }

    /// The id of `requester`'s job `nonce`.
    fn job_id(&mut self, requester: &str, nonce: u64) -> Result<B256> {
        Ok(basalt_evm_client::job_id(self.actor(requester)?, nonce))
    }

    /// The name of the actor at `address`, if one is.
    fn name_of(&self, address: Address) -> Option<String> {
        self.actors
            .iter()
            .find(|(_, a)| **a == address)
            .map(|(name, _)| name.clone())
    }

    /// Counts `gas_used` by a call of `C` to `to` under `Contract.method`.
    fn record_gas<C: SolCall>(&mut self, to: Address, gas_used: u64) {
        let contract = match to {
            t if t == self.blobs => "BasaltBlobs",
            t if t == self.providers => "BasaltProviders",
            t if t == self.jobs => "BasaltJobs",
            t if t == self.datasets => "BasaltDatasets",
            t if t == self.token => "BasaltTestToken",
            _ => "?",
        };
        let method = C::SIGNATURE.split('(').next().unwrap_or(C::SIGNATURE);
        self.gas
            .entry(format!("{contract}.{method}"))
            .or_default()
            .push(gas_used);
    }

    /// Whether the view `call` finds its record: it answers, or reverts with `not_found`.
    fn exists<C: SolCall>(&mut self, to: Address, call: &C, not_found: &str) -> Result<bool> {
        Ok(self.find(to, call, not_found)?.is_some())
    }

    /// The record the view `call` answers with; `None` when it reverts with `not_found`.
    fn find<C: SolCall>(
        &mut self,
        to: Address,
        call: &C,
        not_found: &str,
    ) -> Result<Option<C::Return>> {
        match self.evm.call(DEPLOYER, to, call)? {
            EvmOutcome::Returned { output, .. } => Ok(Some(C::abi_decode_returns(&output)?)),
            EvmOutcome::Reverted(data) if error_name(&data).as_deref() == Some(not_found) => {
                Ok(None)
            }
            EvmOutcome::Reverted(data) => bail!("{} reverted: {data}", C::SIGNATURE),
        }
    }

    /// Notes that `owner` registered `blob`'s content: the scenarios' name for the blob
    /// from now on.
    fn note_registration(&mut self, blob: &TestBlob, owner: Address) {
        let registration = (blob.cid_digest(), owner);
        self.registrations.retain(|r| *r != registration);
        self.registrations.push(registration);
    }

    /// Sends `worker`'s jobs `call` that registers `blob` for `requester` (a job's output,
    /// or the manifest of its publication): once it lands, the blob is the requester's
    /// registration of its content.
    fn register_for<C: SolCall>(
        &mut self,
        worker: &str,
        requester: &str,
        call: &C,
        blob: &TestBlob,
    ) -> Outcome {
        let outcome = self.send(worker, self.jobs, call);
        if matches!(outcome, Ok(Ok(()))) {
            let requester = self.actor(requester)?;
            self.note_registration(blob, requester);
        }
        outcome
    }

    /// The id of `owner`'s dataset `name`.
    fn dataset_id(&mut self, owner: &str, name: &str) -> Result<B256> {
        Ok(basalt_evm_client::dataset_id(self.actor(owner)?, name))
    }

    /// The id of `version`'s record.
    fn version_key(&mut self, version: VersionRef<'_>) -> Result<B256> {
        let dataset = self.dataset_id(version.owner, version.name)?;
        Ok(basalt_evm_client::version_key(dataset, version.tag))
    }

    /// Posts `requester`'s job `nonce` over `input` (a version key and its manifest id),
    /// storing the output as `output` asks and publishing it as `publication` asks.
    #[allow(clippy::too_many_arguments)]
    fn post_job(
        &mut self,
        requester: &str,
        nonce: u64,
        (n, k): (u8, u8),
        reward: u64,
        [apply_in, commit_in, reveal_in]: [u64; 3],
        output: Option<&OutputAsk>,
        input: Option<(B256, [u8; 32])>,
        publication: Option<(B256, &str, u64)>,
    ) -> Outcome {
        let now = self.evm.block();
        let call = BasaltJobs::postCall {
            args: BasaltJobs::JobArgs {
                nonce,
                moduleCid: B256::repeat_byte(1),
                inputCid: input.map_or(B256::repeat_byte(2), |(_, id)| id.into()),
                fuelLimit: 1_000_000,
                n,
                k,
                rewardPerWorker: u128::from(reward),
                applyDeadline: now + apply_in,
                commitDeadline: now + commit_in,
                revealDeadline: now + reveal_in,
                outputBudget: output.map_or(0, |o| u128::from(o.budget)),
                outputPrice: output.map_or(0, |o| u128::from(o.price)),
                outputDeadline: output.map_or(0, |o| now + o.deadline_in),
                outputEncrypted: output.is_some_and(|o| o.encrypted),
                inputVersion: input.map_or(B256::ZERO, |(key, _)| key),
                publishDataset: publication.map_or(B256::ZERO, |(dataset, _, _)| dataset),
                publishTag: publication.map_or(String::new(), |(_, tag, _)| tag.into()),
                publishBudget: publication.map_or(0, |(_, _, budget)| u128::from(budget)),
            },
        };
        self.send(requester, self.jobs, &call)
    }

    /// A view's answer.
    fn view<C: SolCall>(&mut self, to: Address, call: &C) -> Result<C::Return> {
        Ok(self.evm.ok(DEPLOYER, to, call)?.0)
    }

    /// The id of the latest registration of `blob`'s content (an id no blob has when it
    /// was never registered).
    fn blob_id(&self, blob: &TestBlob) -> B256 {
        let cid = blob.cid_digest();
        let owner = self
            .registrations
            .iter()
            .rev()
            .find(|(c, _)| *c == cid)
            .map_or(Address::ZERO, |(_, owner)| *owner);
        basalt_evm_client::blob_id(owner, B256::from(cid))
    }

    fn blobs_call<C: SolCall>(&mut self, who: &str, call: &C) -> Outcome {
        let to = self.blobs;
        self.send(who, to, call)
    }

    fn providers_call<C: SolCall>(&mut self, who: &str, call: &C) -> Outcome {
        let to = self.providers;
        self.send(who, to, call)
    }
}

impl Chain for EvmChain {
    fn name(&self) -> &'static str {
        "evm"
    }

    fn go_to(&mut self, epoch: u64, offset: u64) -> Result<()> {
        let target = epoch * EPOCH + offset;
        let now = self.evm.block();
        if target < now {
            bail!("time only moves forward ({now} -> {target})");
        }
        self.evm.set_block(target);
        Ok(())
    }

    fn advance(&mut self, blocks: u64) -> Result<()> {
        let now = self.evm.block();
        self.evm.set_block(now + blocks);
        Ok(())
    }

    fn register_provider(&mut self, who: &str, roles: u8) -> Outcome {
        let call = BasaltProviders::registerCall {
            endpoint: format!("https://{who}.example"),
            region: "eu".into(),
            roles,
            capacity: 1 << 40,
        };
        self.providers_call(who, &call)
    }

    fn stake(&mut self, who: &str, amount: u64) -> Outcome {
        let call = BasaltProviders::stakeCall {
            amount: U256::from(amount),
        };
        self.providers_call(who, &call)
    }

    fn unstake(&mut self, who: &str, amount: u64) -> Outcome {
        let call = BasaltProviders::unstakeCall {
            amount: U256::from(amount),
        };
        self.providers_call(who, &call)
    }

    fn withdraw_stake(&mut self, who: &str) -> Outcome {
        self.providers_call(who, &BasaltProviders::withdrawCall {})
    }

    fn unjail(&mut self, who: &str) -> Outcome {
        self.providers_call(who, &BasaltProviders::unjailCall {})
    }

    fn deregister(&mut self, who: &str) -> Outcome {
        self.providers_call(who, &BasaltProviders::deregisterCall {})
    }

    fn is_registered(&mut self, who: &str) -> Result<bool> {
        let who = self.actor(who)?;
        self.exists(
            self.providers,
            &BasaltProviders::providerCall { who },
            "ProviderNotFound",
        )
    }

    fn provider(&mut self, who: &str) -> Result<ProviderView> {
        let address = self.actor(who)?;
        let call = BasaltProviders::providerCall { who: address };
        let p = self
            .view(self.providers, &call)
            .with_context(|| format!("{who} is not registered"))?;
        let status = match p.status {
            0 => "Active",
            1 => "Unbonding",
            2 => "Jailed",
            other => bail!("unknown provider status {other}"),
        };
        Ok(ProviderView {
            stake: to_u64(p.stake, "stake")?,
            unbonding: to_u64(p.unbondingAmount, "unbonding")?,
            status: status.to_owned(),
            reputation: p.reputation,
        })
    }

    fn register_blob(&mut self, owner: &str, blob: &TestBlob, expiry_epoch: u64) -> Outcome {
        let owner_address = self.actor(owner)?;
        let layout = blob.manifest.layout();
        let call = BasaltBlobs::registerCall {
            args: BasaltBlobs::BlobArgs {
                cidDigest: blob.cid_digest().into(),
                size: layout.size(),
                chunkSize: layout.chunk_size(),
                leafSize: layout.leaf_size(),
                k: layout.k(),
                m: layout.m(),
                commitmentRoot: blob.manifest.commitment.commitment_root().into(),
                expiryEpoch: expiry_epoch,
                isPublic: false,
                encrypted: false,
            },
        };
        let outcome = self.blobs_call(owner, &call);
        if matches!(outcome, Ok(Ok(()))) {
            self.note_registration(blob, owner_address);
        }
        outcome
    }

    fn place(&mut self, signer: &str, blob: &TestBlob, first: u16, holders: &[&str]) -> Outcome {
        let start = usize::from(first);
        let roots = blob
            .column_roots()
            .get(start..start + holders.len())
            .context("shard range")?
            .iter()
            .map(|r| B256::from(*r))
            .collect();
        let holders = holders
            .iter()
            .map(|h| self.actor(h))
            .collect::<Result<Vec<_>>>()?;
        let call = BasaltBlobs::placeCall {
            id: self.blob_id(blob),
            first,
            holders,
            columnRoots: roots,
        };
        self.blobs_call(signer, &call)
    }

    fn accept(&mut self, holder: &str, blob: &TestBlob, index: u16, terms: &Terms) -> Outcome {
        let call = BasaltBlobs::acceptCall {
            id: self.blob_id(blob),
            index,
            terms: BasaltBlobs::Terms {
                columnRoot: terms.column_root.into(),
                expiryEpoch: terms.expiry_epoch,
                pricePerShardEpoch: terms.price_per_shard_epoch,
            },
        };
        self.blobs_call(holder, &call)
    }

    fn release(&mut self, holder: &str, blob: &TestBlob, index: u16) -> Outcome {
        let call = BasaltBlobs::releaseCall {
            id: self.blob_id(blob),
            index,
        };
        self.blobs_call(holder, &call)
    }

    fn heartbeat(&mut self, who: &str) -> Outcome {
        self.providers_call(who, &BasaltProviders::heartbeatCall {})
    }

    fn evict(&mut self, cranker: &str, blob: &TestBlob, index: u16) -> Outcome {
        let call = BasaltBlobs::evictCall {
            id: self.blob_id(blob),
            index,
        };
        self.blobs_call(cranker, &call)
    }

    fn grant(&mut self, signer: &str, blob: &TestBlob, grantee: &str, roles: u8) -> Outcome {
        let call = BasaltBlobs::createGrantCall {
            id: self.blob_id(blob),
            grantee: self.actor(grantee)?,
            roles,
            expiresAt: 0,
            wrappedKey: vec![0; 80].into(),
        };
        self.blobs_call(signer, &call)
    }

    fn revoke(&mut self, signer: &str, blob: &TestBlob, grantee: &str) -> Outcome {
        let call = BasaltBlobs::revokeGrantCall {
            id: self.blob_id(blob),
            grantee: self.actor(grantee)?,
        };
        self.blobs_call(signer, &call)
    }

    fn can_read(&mut self, blob: &TestBlob, who: &str) -> Result<bool> {
        let call = BasaltBlobs::readDecisionCall {
            id: self.blob_id(blob),
            reader: self.actor(who)?,
        };
        // ReadDecision: Owner, Public, Grant and TokenGate admit.
        Ok(self.view(self.blobs, &call)? <= 3)
    }

    fn fund_deal(&mut self, payer: &str, blob: &TestBlob, price: u64, amount: u64) -> Outcome {
        let call = BasaltBlobs::fundDealCall {
            id: self.blob_id(blob),
            price: u128::from(price),
            amount: u128::from(amount),
        };
        self.blobs_call(payer, &call)
    }

    fn top_up(&mut self, payer: &str, blob: &TestBlob, amount: u64) -> Outcome {
        let call = BasaltBlobs::topUpCall {
            id: self.blob_id(blob),
            amount: u128::from(amount),
        };
        self.blobs_call(payer, &call)
    }

    fn deal_balance(&mut self, blob: &TestBlob) -> Result<Option<u64>> {
        let call = BasaltBlobs::dealCall {
            id: self.blob_id(blob),
        };
        let deal = self.view(self.blobs, &call)?;
        if deal.payer == Address::ZERO {
            return Ok(None);
        }
        Ok(Some(to_u64(deal.balance, "a deal's balance")?))
    }

    fn settle_deal(&mut self, blob: &TestBlob, index: u16) -> Outcome {
        let call = BasaltBlobs::settleCall {
            id: self.blob_id(blob),
            index,
        };
        self.crank(self.blobs, &call)
    }

    fn refund_deal(&mut self, signer: &str, blob: &TestBlob) -> Outcome {
        let call = BasaltBlobs::refundCall {
            id: self.blob_id(blob),
        };
        self.blobs_call(signer, &call)
    }

    fn delete_blob(&mut self, signer: &str, blob: &TestBlob) -> Outcome {
        let call = BasaltBlobs::deleteBlobCall {
            id: self.blob_id(blob),
            grantees: Vec::new(),
        };
        self.blobs_call(signer, &call)
    }

    fn prove(
        &mut self,
        holder: &str,
        blob: &TestBlob,
        index: u16,
        epoch: u64,
        data_of: u16,
    ) -> Outcome {
        // The seed as a node reads it: the hash of the epoch's first block.
        let seed = self.evm.block_hash(epoch * EPOCH)?;
        let proof = blob.proof(&seed, index, epoch, data_of)?;
        let call = BasaltBlobs::submitProofCall {
            id: self.blob_id(blob),
            index,
            epoch,
            leaf: proof.leaf.into(),
            path: proof.path.into_iter().map(B256::from).collect(),
        };
        self.blobs_call(holder, &call)
    }

    fn slash_missed(&mut self, cranker: &str, blob: &TestBlob, index: u16, epoch: u64) -> Outcome {
        let call = BasaltBlobs::slashMissedProofCall {
            id: self.blob_id(blob),
            index,
            epoch,
        };
        self.blobs_call(cranker, &call)
    }

    fn post_job_storing(
        &mut self,
        requester: &str,
        nonce: u64,
        workers: (u8, u8),
        reward: u64,
        deadlines: [u64; 3],
        output: Option<&OutputAsk>,
    ) -> Outcome {
        self.post_job(
            requester, nonce, workers, reward, deadlines, output, None, None,
        )
    }

    fn register_output(
        &mut self,
        worker: &str,
        requester: &str,
        nonce: u64,
        blob: &TestBlob,
    ) -> Outcome {
        let call = BasaltJobs::registerOutputCall {
            id: self.job_id(requester, nonce)?,
            args: output_args(blob),
        };
        self.register_for(worker, requester, &call, blob)
    }

    fn link_output(&mut self, worker: &str, requester: &str, nonce: u64, _: &TestBlob) -> Outcome {
        let call = BasaltJobs::linkOutputCall {
            id: self.job_id(requester, nonce)?,
        };
        self.send(worker, self.jobs, &call)
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
        let input = match ask.input {
            Some((version, id)) => Some((self.version_key(version)?, id)),
            None => None,
        };
        let dataset = self.dataset_id(ask.publish.owner, ask.publish.name)?;
        let publication = Some((dataset, ask.publish.tag, ask.budget));
        self.post_job(
            requester,
            nonce,
            workers,
            reward,
            deadlines,
            Some(&ask.output),
            input,
            publication,
        )
    }

    fn publish_output(
        &mut self,
        worker: &str,
        requester: &str,
        nonce: u64,
        _: &PublicationAsk<'_>,
        manifest: &TestBlob,
    ) -> Outcome {
        let call = BasaltJobs::publishOutputCall {
            id: self.job_id(requester, nonce)?,
            manifest: output_args(manifest),
        };
        self.register_for(worker, requester, &call, manifest)
    }

    fn apply(&mut self, worker: &str, requester: &str, nonce: u64) -> Outcome {
        let call = BasaltJobs::applyForCall {
            id: self.job_id(requester, nonce)?,
        };
        self.send(worker, self.jobs, &call)
    }

    fn select(&mut self, requester: &str, nonce: u64) -> Outcome {
        let call = BasaltJobs::selectCall {
            id: self.job_id(requester, nonce)?,
        };
        self.crank(self.jobs, &call)
    }

    fn selected(&mut self, requester: &str, nonce: u64) -> Result<Vec<String>> {
        let call = BasaltJobs::workersCall {
            id: self.job_id(requester, nonce)?,
        };
        let workers = self.view(self.jobs, &call)?;
        workers
            .iter()
            .filter(|w| w.selected)
            .map(|w| {
                self.name_of(w.worker)
                    .with_context(|| format!("{} is no actor", w.worker))
            })
            .collect()
    }

    fn job_exists(&mut self, requester: &str, nonce: u64) -> Result<bool> {
        let call = BasaltJobs::jobCall {
            id: self.job_id(requester, nonce)?,
        };
        self.exists(self.jobs, &call, "JobNotFound")
    }

    fn commit(&mut self, worker: &str, requester: &str, nonce: u64, result: [u8; 32]) -> Outcome {
        let address = self.actor(worker)?;
        let commitment = job_commitment(&result, address, &SALT);
        let call = BasaltJobs::commitCall {
            id: self.job_id(requester, nonce)?,
            commitment: commitment.into(),
        };
        self.send(worker, self.jobs, &call)
    }

    fn reveal(&mut self, worker: &str, requester: &str, nonce: u64, result: [u8; 32]) -> Outcome {
        let call = BasaltJobs::revealCall {
            id: self.job_id(requester, nonce)?,
            resultHash: result.into(),
            salt: SALT.into(),
        };
        self.send(worker, self.jobs, &call)
    }

    fn finalize(&mut self, requester: &str, nonce: u64) -> Outcome {
        let call = BasaltJobs::finalizeCall {
            id: self.job_id(requester, nonce)?,
        };
        self.crank(self.jobs, &call)
    }

    fn settle_worker(&mut self, requester: &str, nonce: u64, worker: &str) -> Outcome {
        let call = BasaltJobs::settleCall {
            id: self.job_id(requester, nonce)?,
            worker: self.actor(worker)?,
        };
        self.crank(self.jobs, &call)
    }

    fn create_dataset(&mut self, owner: &str, name: &str, public: bool) -> Outcome {
        let call = BasaltDatasets::createCall {
            name: name.into(),
            isPublic: public,
        };
        self.send(owner, self.datasets, &call)
    }

    fn grant_dataset(
        &mut self,
        signer: &str,
        owner: &str,
        name: &str,
        grantee: &str,
        roles: u8,
    ) -> Outcome {
        let call = BasaltDatasets::createGrantCall {
            id: self.dataset_id(owner, name)?,
            grantee: self.actor(grantee)?,
            roles,
            expiresAt: 0,
            wrappedKey: Default::default(),
        };
        self.send(signer, self.datasets, &call)
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
        let parents = parents
            .iter()
            .map(|p| self.version_key(*p))
            .collect::<Result<Vec<_>>>()?;
        let job = match job {
            Some((requester, nonce)) => self.job_id(requester, nonce)?,
            None => B256::ZERO,
        };
        let call = BasaltDatasets::publishCall {
            id: self.dataset_id(version.owner, version.name)?,
            args: BasaltDatasets::VersionArgs {
                tag: version.tag.into(),
                versionId: version_id.into(),
                manifestBlob: self.blob_id(manifest),
                parents,
                job,
                message: format!("{} by {publisher}", version.tag),
            },
        };
        self.send(publisher, self.datasets, &call)
    }

    fn retract(&mut self, signer: &str, version: VersionRef<'_>) -> Outcome {
        let call = BasaltDatasets::retractCall {
            key: self.version_key(version)?,
        };
        self.send(signer, self.datasets, &call)
    }

    fn version(&mut self, version: VersionRef<'_>) -> Result<Option<VersionView>> {
        let call = BasaltDatasets::versionCall {
            key: self.version_key(version)?,
        };
        let found = self.find(self.datasets, &call, "VersionNotFound")?;
        Ok(found.map(|v| VersionView {
            seq: v.seq,
            version_id: v.args.versionId.into(),
            parents: v.args.parents.len(),
            retracted: v.retracted,
            derived_by_job: v.args.job != B256::ZERO,
        }))
    }

    fn tokens(&mut self, who: &str) -> Result<u64> {
        let account = self.actor(who)?;
        let call = BasaltTestToken::balanceOfCall { account };
        to_u64(self.view(self.token, &call)?, "a balance")
    }
}

/// What a worker registers as a job's output (or publishes as its manifest): `blob`.
fn output_args(blob: &TestBlob) -> BasaltJobs::OutputArgs {
    let layout = blob.manifest.layout();
    BasaltJobs::OutputArgs {
        cidDigest: blob.cid_digest().into(),
        size: layout.size(),
        chunkSize: layout.chunk_size(),
        leafSize: layout.leaf_size(),
        k: layout.k(),
        m: layout.m(),
        commitmentRoot: blob.manifest.commitment.commitment_root().into(),
    }
}

/// What a worker commits to, as `BasaltJobs.commitmentOf`: `sha256(result || worker || salt)`.
fn job_commitment(result: &[u8; 32], worker: Address, salt: &[u8; 32]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::new()
        .chain_update(result)
        .chain_update(worker)
        .chain_update(salt)
        .finalize()
        .into()
}
