//! The NEAR driver: the built contract wasm in [`NearVm`], actors as `<name>.near`
//! accounts, and the stake token played by the driver (see [`NearChain::tokens`]).
//!
//! Chain differences the driver bridges (the contract's crate docs say why):
//! - tokens arrive by `ft_on_transfer` from `token.near` (the driver calls it as the token
//!   contract would after an `ft_transfer_call`), and payouts are credited to the
//!   recipient's withdrawable balance;
//! - every call that creates state attaches a storage deposit (0.1 NEAR here);
//! - before proving, the holder draws the epoch's challenge seed (`challenge_seed_draw`),
//!   which Solana reads from SlotHashes without a call.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context, Result};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};

use crate::blob::TestBlob;
use crate::chain::*;
use crate::near_vm::NearVm;

/// A job output's registration as `blob` describes it (`JobOutputArgs`).
fn output_args(blob: &TestBlob) -> Value {
    let layout = blob.manifest.layout();
    json!({
        "cid_digest": b58(&blob.cid_digest()),
        "size": layout.size(),
        "chunk_size": layout.chunk_size(),
        "leaf_size": layout.leaf_size(),
        "k": layout.k(),
        "m": layout.m(),
        "commitment_root": b58(&blob.manifest.commitment.commitment_root()),
    })
}

const CONTRACT: &str = "basalt.near";
const TOKEN: &str = "token.near";
/// Attached to state-creating calls; what is not spent stays in the storage balance.
const STORAGE_DEPOSIT: u128 = 100_000_000_000_000_000_000_000; // 0.1 NEAR

pub struct NearChain {
    pub vm: NearVm,
    /// The NEP-141 balances the token contract would hold for each actor.
    wallets: BTreeMap<String, u64>,
    /// The owner of the latest registration that landed of each content (by CID digest): a
    /// blob is one owner's registration of some content, and a scenario names it by its
    /// content.
    registrants: BTreeMap<[u8; 32], String>,
}

fn account(name: &str) -> String {
    format!("{name}.near")
}

fn b58(bytes: &[u8; 32]) -> String {
    bs58::encode(bytes).into_string()
}

/// Maps a contract panic (`"Name: message"`) to the error name.
fn refusal(message: &str) -> String {
    message
        .split_once(':')
        .map_or(message, |(name, _)| name)
        .to_string()
}

impl NearChain {
    /// Deploys `wasm` and initializes it with the scenario parameters.
    ///
    /// # Errors
    ///
    /// When initialization fails.
    pub fn new(wasm: Vec<u8>) -> Result<Self> {
        let mut chain = Self {
            vm: NearVm::new(wasm, CONTRACT)?,
            wallets: BTreeMap::new(),
            registrants: BTreeMap::new(),
        };
        let params = json!({
            "admin": account("admin"),
            "stake_token": TOKEN,
            "epoch_blocks": EPOCH,
            "proof_window_blocks": PROOF_WINDOW,
            "params": {
                "min_stake": MIN_STAKE.to_string(),
                "unbonding_epochs": UNBONDING_EPOCHS,
                "proof_slash_bps": PROOF_SLASH_BPS,
                "job_slash_bps": JOB_SLASH_BPS,
                "bounty_bps": BOUNTY_BPS,
                "default_k": 10,
                "default_m": 4,
                "max_deal_epochs": MAX_DEAL_EPOCHS,
                "max_slashes_per_epoch": MAX_SLASHES_PER_EPOCH,
                "accept_window_ticks": ACCEPT_WINDOW,
                "offline_ticks": OFFLINE_TICKS,
            },
        });
        chain
            .vm
            .call(CONTRACT, "new", &params, 0)?
            .map_err(|f| anyhow!("init failed: {f}"))?;
        Ok(chain)
    }

    /// Calls `method` as actor `who`.
    fn call(&mut self, who: &str, method: &str, args: Value, deposit: u128) -> Outcome {
        let out = self.vm.call(&account(who), method, &args, deposit)?;
        Ok(out.map(|_| ()).map_err(|f| refusal(&f.message)))
    }

    /// The token contract delivers `amount` from `who` with `msg`; a refusal leaves the
    /// tokens with the sender (the token contract refunds a failed `ft_on_transfer`).
    fn transfer_call(&mut self, who: &str, amount: u64, msg: Value) -> Outcome {
        let balance = self.wallet(who);
        if balance < amount {
            bail!("{who} holds {balance} tokens, not {amount}");
        }
        let args = json!({
            "sender_id": account(who),
            "amount": amount.to_string(),
            "msg": msg.to_string(),
        });
        let out = self.vm.call(TOKEN, "ft_on_transfer", &args, 0)?;
        match out {
            Ok(o) => {
                let unused: u64 = o
                    .value
                    .as_str()
                    .context("ft_on_transfer returns the unused amount")?
                    .parse()?;
                *self.wallets.entry(who.to_string()).or_insert(FUNDS) -= amount - unused;
                Ok(Ok(()))
            }
            Err(f) => Ok(Err(refusal(&f.message))),
        }
    }

    /// The `ft_transfer_call` message posting job `nonce` over the module `[1; 32]` and the
    /// input `[2; 32]` (after the requester's storage deposit).
    fn job_msg(
        &mut self,
        requester: &str,
        nonce: u64,
        (n, k): (u8, u8),
        reward: u64,
        [apply_in, commit_in, reveal_in]: [u64; 3],
        output: Option<&OutputAsk>,
    ) -> Result<Value> {
        if let Err(e) = self.call(requester, "storage_deposit", json!({}), STORAGE_DEPOSIT)? {
            bail!("storage_deposit refused: {e}");
        }
        let height = self.vm.block_height;
        Ok(json!({
            "action": "job_post",
            "nonce": nonce,
            "module_cid": b58(&[1; 32]),
            "input_cid": b58(&[2; 32]),
            "fuel_limit": 1_000_000,
            "n": n,
            "k": k,
            "reward_per_worker": reward.to_string(),
            "apply_deadline_block": height + apply_in,
            "commit_deadline_block": height + commit_in,
            "reveal_deadline_block": height + reveal_in,
            "output_budget": output.map_or(0, |o| o.budget).to_string(),
            "output_price_per_shard_epoch": output.map_or(0, |o| o.price).to_string(),
            "output_deadline_block": output.map_or(0, |o| height + o.deadline_in),
            "output_encrypted": output.is_some_and(|o| o.encrypted),
        }))
    }

    fn wallet(&mut self, who: &str) -> u64 {
        *self.wallets.entry(who.to_string()).or_insert(FUNDS)
    }

    /// The contract's id of the latest registration of `blob`'s content (of an account
    /// nobody uses when it was never registered): `basalt_proof::blob_id` of owner and CID.
    fn blob_id(&self, blob: &TestBlob) -> String {
        let cid = blob.cid_digest();
        let owner = self
            .registrants
            .get(&cid)
            .map_or_else(|| account("nobody"), |name| account(name));
        b58(&basalt_proof::blob_id(owner.as_bytes(), &cid))
    }

    /// The id of `owner`'s dataset `name` (`basalt_proof::dataset_id`).
    fn dataset_id(owner: &str, name: &str) -> [u8; 32] {
        basalt_proof::dataset_id(account(owner).as_bytes(), name)
    }

    /// The key of `v` (`basalt_proof::version_key`).
    fn version_key(v: VersionRef<'_>) -> String {
        b58(&basalt_proof::version_key(
            &Self::dataset_id(v.owner, v.name),
            v.tag,
        ))
    }

    /// The NEP-297 events of a call's logs, by name.
    pub fn event_names(logs: &[String]) -> Vec<String> {
        logs.iter()
            .filter_map(|l| l.strip_prefix("EVENT_JSON:"))
            .filter_map(|j| serde_json::from_str::<Value>(j).ok())
            .filter_map(|v| v["event"].as_str().map(str::to_string))
            .collect()
    }
}

impl Chain for NearChain {
    fn name(&self) -> &'static str {
        "near"
    }

    fn go_to(&mut self, epoch: u64, offset: u64) -> Result<()> {
        let height = epoch * EPOCH + offset;
        if height < self.vm.block_height {
            bail!(
                "time only moves forward ({} -> {height})",
                self.vm.block_height
            );
        }
        self.advance(height - self.vm.block_height)
    }

    fn advance(&mut self, blocks: u64) -> Result<()> {
        self.vm.block_height += blocks;
        // About one block a second, as on NEAR.
        self.vm.block_timestamp += blocks * 1_000_000_000;
        // Each block has its own randomness.
        self.vm.random_seed = *blake3::hash(&self.vm.block_height.to_le_bytes()).as_bytes();
        Ok(())
    }

    fn register_provider(&mut self, who: &str, roles: u8) -> Outcome {
        let args = json!({
            "endpoint": format!("https://{who}.example"),
            "region": "eu",
            "roles": roles,
            "capacity": 1u64 << 40,
        });
        self.call(who, "provider_register", args, STORAGE_DEPOSIT)
    }

    fn stake(&mut self, who: &str, amount: u64) -> Outcome {
        self.transfer_call(who, amount, json!({"action": "stake"}))
    }

    fn unstake(&mut self, who: &str, amount: u64) -> Outcome {
        self.call(
            who,
            "provider_unstake",
            json!({"amount": amount.to_string()}),
            0,
        )
    }

    fn withdraw_stake(&mut self, who: &str) -> Outcome {
        self.call(who, "provider_withdraw", json!({}), 0)
    }

    fn unjail(&mut self, who: &str) -> Outcome {
        self.call(who, "provider_unjail", json!({}), 0)
    }

    fn deregister(&mut self, who: &str) -> Outcome {
        self.call(who, "provider_deregister", json!({}), 0)
    }

    fn is_registered(&mut self, who: &str) -> Result<bool> {
        let p = self
            .vm
            .view("provider_get", &json!({"account_id": account(who)}))?;
        Ok(!p.is_null())
    }

    fn provider(&mut self, who: &str) -> Result<ProviderView> {
        let p = self
            .vm
            .view("provider_get", &json!({"account_id": account(who)}))?;
        let num = |key: &str| -> Result<u64> {
            p[key]
                .as_str()
                .with_context(|| format!("provider.{key}"))?
                .parse()
                .with_context(|| format!("provider.{key}"))
        };
        Ok(ProviderView {
            stake: num("stake")?,
            unbonding: num("unbonding_amount")?,
            status: p["status"].as_str().context("status")?.to_string(),
            reputation: p["reputation"].as_i64().context("reputation")?,
        })
    }

    fn register_blob(&mut self, owner: &str, blob: &TestBlob, expiry_epoch: u64) -> Outcome {
        let layout = blob.manifest.layout();
        let args = json!({"args": {
            "cid_digest": b58(&blob.cid_digest()),
            "size": layout.size(),
            "chunk_size": layout.chunk_size(),
            "leaf_size": layout.leaf_size(),
            "k": layout.k(),
            "m": layout.m(),
            "commitment_root": b58(&blob.manifest.commitment.commitment_root()),
            "expiry_epoch": expiry_epoch,
            "public": false,
            "encrypted": false,
        }});
        let outcome = self.call(owner, "blob_register", args, STORAGE_DEPOSIT);
        if matches!(outcome, Ok(Ok(()))) {
            self.registrants.insert(blob.cid_digest(), owner.to_owned());
        }
        outcome
    }

    fn place(&mut self, signer: &str, blob: &TestBlob, first: u16, holders: &[&str]) -> Outcome {
        let start = usize::from(first);
        let roots = blob
            .column_roots()
            .get(start..start + holders.len())
            .context("shard range")?;
        let args = json!({
            "blob_id": self.blob_id(blob),
            "first": first,
            "providers": holders.iter().map(|h| account(h)).collect::<Vec<_>>(),
            "column_roots": roots.iter().map(b58).collect::<Vec<_>>(),
        });
        self.call(signer, "blob_place", args, STORAGE_DEPOSIT)
    }

    fn accept(&mut self, holder: &str, blob: &TestBlob, index: u16, terms: &Terms) -> Outcome {
        let args = json!({
            "blob_id": self.blob_id(blob),
            "index": index,
            "column_root": b58(&terms.column_root),
            "expiry_epoch": terms.expiry_epoch,
            "price_per_shard_epoch": terms.price_per_shard_epoch.to_string(),
        });
        self.call(holder, "shard_accept", args, 0)
    }

    fn release(&mut self, holder: &str, blob: &TestBlob, index: u16) -> Outcome {
        let args = json!({ "blob_id": self.blob_id(blob), "index": index });
        self.call(holder, "shard_release", args, 0)
    }

    fn heartbeat(&mut self, who: &str) -> Outcome {
        self.call(who, "provider_heartbeat", json!({}), 0)
    }

    fn evict(&mut self, cranker: &str, blob: &TestBlob, index: u16) -> Outcome {
        let args = json!({ "blob_id": self.blob_id(blob), "index": index });
        self.call(cranker, "shard_evict", args, 0)
    }

    fn grant(&mut self, signer: &str, blob: &TestBlob, grantee: &str, roles: u8) -> Outcome {
        let args = json!({
            "blob_id": self.blob_id(blob),
            "grantee": account(grantee),
            "roles": roles,
            "expires_at": null,
            // A sealed 32-byte key is 80 bytes.
            "wrapped_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        });
        self.call(signer, "grant_create", args, STORAGE_DEPOSIT)
    }

    fn revoke(&mut self, signer: &str, blob: &TestBlob, grantee: &str) -> Outcome {
        let args = json!({"blob_id": self.blob_id(blob), "grantee": account(grantee)});
        self.call(signer, "grant_revoke", args, 0)
    }

    fn can_read(&mut self, blob: &TestBlob, who: &str) -> Result<bool> {
        let args = json!({"blob_id": self.blob_id(blob), "account_id": account(who)});
        self.vm
            .view("can_read", &args)?
            .as_bool()
            .context("can_read")
    }

    fn fund_deal(&mut self, payer: &str, blob: &TestBlob, price: u64, amount: u64) -> Outcome {
        let msg = json!({
            "action": "deal_fund",
            "blob_id": self.blob_id(blob),
            "price_per_shard_epoch": price.to_string(),
        });
        // The deal record is paid from the payer's storage balance: deposit first.
        if let Err(e) = self.call(payer, "storage_deposit", json!({}), STORAGE_DEPOSIT)? {
            bail!("storage_deposit refused: {e}");
        }
        self.transfer_call(payer, amount, msg)
    }

    fn top_up(&mut self, payer: &str, blob: &TestBlob, amount: u64) -> Outcome {
        let msg = json!({"action": "deal_top_up", "blob_id": self.blob_id(blob)});
        self.transfer_call(payer, amount, msg)
    }

    fn deal_balance(&mut self, blob: &TestBlob) -> Result<Option<u64>> {
        let deal = self
            .vm
            .view("deal_get", &json!({"blob_id": self.blob_id(blob)}))?;
        if deal.is_null() {
            return Ok(None);
        }
        let balance = deal["balance"].as_str().context("deal.balance")?;
        Ok(Some(balance.parse().context("deal.balance")?))
    }

    fn settle_deal(&mut self, blob: &TestBlob, index: u16) -> Outcome {
        let args = json!({"blob_id": self.blob_id(blob), "index": index});
        self.call("cranker", "deal_settle", args, 0)
    }

    fn refund_deal(&mut self, signer: &str, blob: &TestBlob) -> Outcome {
        self.call(
            signer,
            "deal_refund",
            json!({"blob_id": self.blob_id(blob)}),
            0,
        )
    }

    fn delete_blob(&mut self, signer: &str, blob: &TestBlob) -> Outcome {
        self.call(
            signer,
            "blob_delete",
            json!({"blob_id": self.blob_id(blob)}),
            0,
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
        let drawn = self
            .vm
            .call(&account(holder), "challenge_seed_draw", &json!({}), 0)?;
        let seed_text = match drawn {
            Ok(o) => o.value.as_str().context("seed")?.to_string(),
            Err(f) => return Ok(Err(refusal(&f.message))),
        };
        let seed: [u8; 32] = bs58::decode(&seed_text)
            .into_vec()?
            .try_into()
            .map_err(|_| anyhow!("seed is not 32 bytes"))?;
        let proof = blob.proof(&seed, index, epoch, data_of)?;
        let args = json!({
            "blob_id": self.blob_id(blob),
            "index": index,
            "epoch": epoch,
            "leaf": BASE64.encode(&proof.leaf),
            "path": proof.path.iter().map(b58).collect::<Vec<_>>(),
        });
        self.call(holder, "proof_submit", args, 0)
    }

    fn slash_missed(&mut self, cranker: &str, blob: &TestBlob, index: u16, epoch: u64) -> Outcome {
        let args = json!({"blob_id": self.blob_id(blob), "index": index, "epoch": epoch});
        self.call(cranker, "proof_slash", args, STORAGE_DEPOSIT)
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
        let msg = self.job_msg(
            requester,
            nonce,
            (n, k),
            reward,
            [apply_in, commit_in, reveal_in],
            output,
        )?;
        let budget = output.map_or(0, |o| o.budget);
        self.transfer_call(requester, reward * u64::from(n) + budget, msg)
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
        let mut msg = self.job_msg(
            requester,
            nonce,
            workers,
            reward,
            deadlines,
            Some(&ask.output),
        )?;
        if let Some((version, id)) = ask.input {
            msg["input_cid"] = json!(b58(&id));
            msg["input_version"] = json!(Self::version_key(version));
        }
        msg["publication"] = json!({
            "dataset": b58(&Self::dataset_id(ask.publish.owner, ask.publish.name)),
            "tag": ask.publish.tag,
            "budget": ask.budget.to_string(),
        });
        let amount = reward * u64::from(workers.0) + ask.output.budget + ask.budget;
        self.transfer_call(requester, amount, msg)
    }

    fn publish_output(
        &mut self,
        worker: &str,
        requester: &str,
        nonce: u64,
        ask: &PublicationAsk<'_>,
        manifest: &TestBlob,
    ) -> Outcome {
        let args = json!({
            "requester": account(requester),
            "nonce": nonce,
            "tag": ask.publish.tag,
            "manifest": output_args(manifest),
        });
        let outcome = self.call(worker, "job_output_publish", args, STORAGE_DEPOSIT);
        if matches!(outcome, Ok(Ok(()))) {
            self.registrants
                .insert(manifest.cid_digest(), requester.to_owned());
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
        let args = json!({
            "requester": account(requester),
            "nonce": nonce,
            "args": output_args(blob),
        });
        let outcome = self.call(worker, "job_output_register", args, STORAGE_DEPOSIT);
        if matches!(outcome, Ok(Ok(()))) {
            self.registrants
                .insert(blob.cid_digest(), requester.to_owned());
        }
        outcome
    }

    fn link_output(
        &mut self,
        worker: &str,
        requester: &str,
        nonce: u64,
        _blob: &TestBlob,
    ) -> Outcome {
        let args = json!({"requester": account(requester), "nonce": nonce});
        self.call(worker, "job_output_link", args, STORAGE_DEPOSIT)
    }

    fn apply(&mut self, worker: &str, requester: &str, nonce: u64) -> Outcome {
        let args = json!({"requester": account(requester), "nonce": nonce});
        self.call(worker, "job_apply", args, STORAGE_DEPOSIT)
    }

    fn select(&mut self, requester: &str, nonce: u64) -> Outcome {
        let args = json!({"requester": account(requester), "nonce": nonce});
        self.call("cranker", "job_select", args, 0)
    }

    fn selected(&mut self, requester: &str, nonce: u64) -> Result<Vec<String>> {
        let args = json!({"requester": account(requester), "nonce": nonce});
        let job = self.vm.view("job_get", &args)?;
        let workers = job["workers"].as_array().context("job_get: workers")?;
        Ok(workers
            .iter()
            .filter(|w| w["selected"] == true)
            .filter_map(|w| w["worker"].as_str())
            .map(|a| a.trim_end_matches(".near").to_owned())
            .collect())
    }

    fn job_exists(&mut self, requester: &str, nonce: u64) -> Result<bool> {
        let args = json!({"requester": account(requester), "nonce": nonce});
        Ok(!self.vm.view("job_get", &args)?.is_null())
    }

    fn commit(&mut self, worker: &str, requester: &str, nonce: u64, result: [u8; 32]) -> Outcome {
        let commitment = basalt_proof::hash::sha256v(&[&result, account(worker).as_bytes(), &SALT]);
        let args = json!({
            "requester": account(requester),
            "nonce": nonce,
            "commitment": b58(&commitment),
        });
        self.call(worker, "job_commit", args, STORAGE_DEPOSIT)
    }

    fn reveal(&mut self, worker: &str, requester: &str, nonce: u64, result: [u8; 32]) -> Outcome {
        let args = json!({
            "requester": account(requester),
            "nonce": nonce,
            "result_hash": b58(&result),
            "salt": b58(&SALT),
        });
        self.call(worker, "job_reveal", args, STORAGE_DEPOSIT)
    }

    fn finalize(&mut self, requester: &str, nonce: u64) -> Outcome {
        let args = json!({"requester": account(requester), "nonce": nonce});
        self.call("cranker", "job_finalize", args, 0)
    }

    fn settle_worker(&mut self, requester: &str, nonce: u64, worker: &str) -> Outcome {
        let args = json!({
            "requester": account(requester),
            "nonce": nonce,
            "worker": account(worker),
        });
        self.call("cranker", "job_settle", args, 0)
    }

    fn tokens(&mut self, who: &str) -> Result<u64> {
        let credited: u64 = self
            .vm
            .view("tokens_of", &json!({"account_id": account(who)}))?
            .as_str()
            .context("tokens_of")?
            .parse()?;
        Ok(self.wallet(who) + credited)
    }

    fn create_dataset(&mut self, owner: &str, name: &str, public: bool) -> Outcome {
        let args = json!({"name": name, "public": public});
        self.call(owner, "dataset_create", args, STORAGE_DEPOSIT)
    }

    fn grant_dataset(
        &mut self,
        signer: &str,
        owner: &str,
        name: &str,
        grantee: &str,
        roles: u8,
    ) -> Outcome {
        let args = json!({
            "dataset": b58(&Self::dataset_id(owner, name)),
            "grantee": account(grantee),
            "roles": roles,
            "expires_at": null,
            "wrapped_key": BASE64.encode([0u8; 80]),
        });
        self.call(signer, "dataset_grant_create", args, STORAGE_DEPOSIT)
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
        let args = json!({"args": {
            "dataset": b58(&Self::dataset_id(version.owner, version.name)),
            "tag": version.tag,
            "version_id": b58(&version_id),
            "message": format!("{} by {publisher}", version.tag),
            "manifest_blob": self.blob_id(manifest),
            "parents": parents.iter().map(|p| Self::version_key(*p)).collect::<Vec<_>>(),
            "job": job.map(|(requester, nonce)| json!({"requester": account(requester), "nonce": nonce})),
        }});
        self.call(publisher, "version_publish", args, STORAGE_DEPOSIT)
    }

    fn retract(&mut self, signer: &str, version: VersionRef<'_>) -> Outcome {
        let args = json!({
            "dataset": b58(&Self::dataset_id(version.owner, version.name)),
            "tag": version.tag,
        });
        self.call(signer, "version_retract", args, 0)
    }

    fn version(&mut self, version: VersionRef<'_>) -> Result<Option<VersionView>> {
        let v = self.vm.view(
            "version_by_key",
            &json!({"version": Self::version_key(version)}),
        )?;
        if v.is_null() {
            return Ok(None);
        }
        let id: [u8; 32] = bs58::decode(v["version_id"].as_str().context("version_id")?)
            .into_vec()?
            .try_into()
            .map_err(|_| anyhow!("a version id is 32 bytes"))?;
        Ok(Some(VersionView {
            seq: v["seq"].as_u64().context("seq")?,
            version_id: id,
            parents: v["parents"].as_array().context("parents")?.len(),
            retracted: v["retracted"].as_bool().context("retracted")?,
            derived_by_job: !v["job"].is_null(),
        }))
    }
}
