//! The chain-neutral driver the scenarios are written against. Each chain's driver maps
//! actor names to its own keys or accounts, token moves to its token standard, and time to
//! its slots or block heights; the scenarios only see what the protocol promises.

use anyhow::Result;
pub use basalt_rules::{Terms, REPAIR_CREDIT_EPOCHS};

use crate::blob::TestBlob;

/// Blocks (NEAR) or slots (Solana) per Basalt epoch in every scenario.
pub const EPOCH: u64 = 100;
/// Proof window in blocks or slots.
pub const PROOF_WINDOW: u64 = 40;
pub const MIN_STAKE: u64 = 1_000;
pub const UNBONDING_EPOCHS: u64 = 2;
pub const PROOF_SLASH_BPS: u16 = 1_000;
pub const JOB_SLASH_BPS: u16 = 500;
pub const BOUNTY_BPS: u16 = 2_000;
/// Most epochs ahead a blob may expire.
pub const MAX_DEAL_EPOCHS: u64 = 10_000;
/// Most proof slashes that take stake from one provider in one epoch.
pub const MAX_SLASHES_PER_EPOCH: u16 = 1;
/// Blocks or slots a holder has to accept a placement.
pub const ACCEPT_WINDOW: u64 = 150;
/// Blocks or slots a provider may go without a heartbeat before its shards may be evicted.
pub const OFFLINE_TICKS: u64 = 150;
/// Stake tokens every actor starts with.
pub const FUNDS: u64 = 1_000_000;

pub const ROLE_STORAGE: u8 = 1;
pub const ROLE_COMPUTE: u8 = 2;
pub const ROLE_READ: u8 = 1;
pub const ROLE_WRITE: u8 = 2;
pub const ROLE_DELETE: u8 = 4;
pub const ROLE_ADMIN: u8 = 7;

/// A call's result: `Ok(Err(name))` is the protocol refusing with error `name` (the
/// `BasaltError` variant, the same on both chains); `Err` is the driver failing.
pub type Outcome = Result<std::result::Result<(), String>>;

/// A provider as the scenarios see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderView {
    pub stake: u64,
    pub unbonding: u64,
    /// `Active`, `Unbonding` or `Jailed`.
    pub status: String,
    pub reputation: i64,
}

/// What a scenario's requester asks for its job's output (`basalt_rules::OutputTerms`).
#[derive(Debug, Clone, Copy)]
pub struct OutputAsk {
    pub budget: u64,
    pub price: u64,
    /// Blocks or slots from posting to the output deadline.
    pub deadline_in: u64,
    pub encrypted: bool,
}

/// A version of a dataset, as a scenario names it.
#[derive(Debug, Clone, Copy)]
pub struct VersionRef<'a> {
    /// The dataset owner's actor name.
    pub owner: &'a str,
    pub name: &'a str,
    pub tag: &'a str,
}

/// A job over a dataset version whose output is to be published as another version.
#[derive(Debug, Clone, Copy)]
pub struct PublicationAsk<'a> {
    pub output: OutputAsk,
    /// The input version and its version id (the job's input CID).
    pub input: Option<(VersionRef<'a>, [u8; 32])>,
    /// The version to publish the output as.
    pub publish: VersionRef<'a>,
    /// Escrowed for the published version's manifest blob.
    pub budget: u64,
}

/// A published version as the scenarios see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionView {
    pub seq: u64,
    pub version_id: [u8; 32],
    /// How many parents it names.
    pub parents: usize,
    pub retracted: bool,
    /// It names the job it was derived by.
    pub derived_by_job: bool,
}

/// One chain running the Basalt protocol.
pub trait Chain {
    /// The chain's name, for messages.
    fn name(&self) -> &'static str;

    /// Moves time to `offset` blocks or slots into `epoch`.
    fn go_to(&mut self, epoch: u64, offset: u64) -> Result<()>;

    fn register_provider(&mut self, who: &str, roles: u8) -> Outcome;
    fn stake(&mut self, who: &str, amount: u64) -> Outcome;
    fn unstake(&mut self, who: &str, amount: u64) -> Outcome;
    fn withdraw_stake(&mut self, who: &str) -> Outcome;
    fn unjail(&mut self, who: &str) -> Outcome;
    /// `who` closes its provider record, its rent or storage back to it.
    fn deregister(&mut self, who: &str) -> Outcome;
    /// Whether `who` has a provider record.
    fn is_registered(&mut self, who: &str) -> Result<bool>;
    fn provider(&mut self, who: &str) -> Result<ProviderView>;

    fn register_blob(&mut self, owner: &str, blob: &TestBlob, expiry_epoch: u64) -> Outcome;
    /// Places shards `first ..` on `holders`, with their real column roots.
    fn place(&mut self, signer: &str, blob: &TestBlob, first: u16, holders: &[&str]) -> Outcome;
    /// `holder` accepts shard `index` on `terms`: the root it checked its stored column
    /// against (a node passes the placed one once its data matches it), the blob's expiry
    /// and its deal's price, as the holder read them.
    fn accept(&mut self, holder: &str, blob: &TestBlob, index: u16, terms: &Terms) -> Outcome;
    /// `holder` walks away from shard `index`, whose deal lapsed.
    fn release(&mut self, holder: &str, blob: &TestBlob, index: u16) -> Outcome;
    /// `who`'s node heartbeats.
    fn heartbeat(&mut self, who: &str) -> Outcome;
    /// `cranker` sends shard `index`, whose holder went silent, to repair.
    fn evict(&mut self, cranker: &str, blob: &TestBlob, index: u16) -> Outcome;
    fn grant(&mut self, signer: &str, blob: &TestBlob, grantee: &str, roles: u8) -> Outcome;
    fn revoke(&mut self, signer: &str, blob: &TestBlob, grantee: &str) -> Outcome;
    /// Whether `who` may read by owner, public flag or grant.
    fn can_read(&mut self, blob: &TestBlob, who: &str) -> Result<bool>;
    fn fund_deal(&mut self, payer: &str, blob: &TestBlob, price: u64, amount: u64) -> Outcome;
    /// `payer` adds `amount` to the blob's open deal.
    fn top_up(&mut self, payer: &str, blob: &TestBlob, amount: u64) -> Outcome;
    /// The balance of the blob's deal; `None` without one.
    fn deal_balance(&mut self, blob: &TestBlob) -> Result<Option<u64>>;
    fn settle_deal(&mut self, blob: &TestBlob, index: u16) -> Outcome;
    fn refund_deal(&mut self, signer: &str, blob: &TestBlob) -> Outcome;
    fn delete_blob(&mut self, signer: &str, blob: &TestBlob) -> Outcome;

    /// `holder` proves shard `index` for the current epoch `epoch` with the data of shard
    /// `data_of` (another index's data makes a false proof), reading the epoch's challenge
    /// seed as a node would.
    fn prove(
        &mut self,
        holder: &str,
        blob: &TestBlob,
        index: u16,
        epoch: u64,
        data_of: u16,
    ) -> Outcome;
    fn slash_missed(&mut self, cranker: &str, blob: &TestBlob, index: u16, epoch: u64) -> Outcome;

    /// Posts job `nonce` for `workers.0` workers with quorum `workers.1`; applications close
    /// at `deadlines[0]` blocks or slots from now, commits at `deadlines[1]`, reveals at
    /// `deadlines[2]`.
    fn post_job(
        &mut self,
        requester: &str,
        nonce: u64,
        workers: (u8, u8),
        reward: u64,
        deadlines: [u64; 3],
    ) -> Outcome {
        self.post_job_storing(requester, nonce, workers, reward, deadlines, None)
    }
    /// As [`Chain::post_job`], escrowing `output`'s budget to store the output.
    fn post_job_storing(
        &mut self,
        requester: &str,
        nonce: u64,
        workers: (u8, u8),
        reward: u64,
        deadlines: [u64; 3],
        output: Option<&OutputAsk>,
    ) -> Outcome;
    /// `worker` registers `blob` as the output of the requester's job `nonce`; the blob
    /// is then the requester's registration of its content.
    fn register_output(
        &mut self,
        worker: &str,
        requester: &str,
        nonce: u64,
        blob: &TestBlob,
    ) -> Outcome;
    /// `worker` records the requester's own blob `blob` (its content the agreed result) as
    /// the output of the requester's job `nonce` (`job_output_link`).
    fn link_output(
        &mut self,
        worker: &str,
        requester: &str,
        nonce: u64,
        blob: &TestBlob,
    ) -> Outcome;
    /// As [`Chain::post_job_storing`], over `ask.input`'s files, asking for the output to be
    /// published as `ask.publish`.
    fn post_job_publishing(
        &mut self,
        requester: &str,
        nonce: u64,
        workers: (u8, u8),
        reward: u64,
        deadlines: [u64; 3],
        ask: &PublicationAsk<'_>,
    ) -> Outcome;
    /// `worker` publishes the output of the requester's job `nonce` (posted with `ask`) as
    /// the version the job asked for, its manifest `manifest`; the manifest is then the
    /// requester's registration of its content.
    fn publish_output(
        &mut self,
        worker: &str,
        requester: &str,
        nonce: u64,
        ask: &PublicationAsk<'_>,
        manifest: &TestBlob,
    ) -> Outcome;
    /// `worker` applies; into a full list, displacing whom the protocol says.
    fn apply(&mut self, worker: &str, requester: &str, nonce: u64) -> Outcome;
    /// Anyone draws the job's workers among its applicants.
    fn select(&mut self, requester: &str, nonce: u64) -> Outcome;
    /// The applicants the draw selected, by actor name, in application order.
    fn selected(&mut self, requester: &str, nonce: u64) -> Result<Vec<String>>;
    /// Whether the job's record is still on chain (the last settlement removes it).
    fn job_exists(&mut self, requester: &str, nonce: u64) -> Result<bool>;
    fn commit(&mut self, worker: &str, requester: &str, nonce: u64, result: [u8; 32]) -> Outcome;
    fn reveal(&mut self, worker: &str, requester: &str, nonce: u64, result: [u8; 32]) -> Outcome;
    fn finalize(&mut self, requester: &str, nonce: u64) -> Outcome;
    fn settle_worker(&mut self, requester: &str, nonce: u64, worker: &str) -> Outcome;
    /// Moves time `blocks` blocks or slots forward.
    fn advance(&mut self, blocks: u64) -> Result<()>;

    /// `owner` creates the dataset `name`, readable by anyone when `public`.
    fn create_dataset(&mut self, owner: &str, name: &str, public: bool) -> Outcome;
    /// `signer` gives `grantee` `roles` on `owner`'s dataset `name`.
    fn grant_dataset(
        &mut self,
        signer: &str,
        owner: &str,
        name: &str,
        grantee: &str,
        roles: u8,
    ) -> Outcome;
    /// `publisher` publishes `version` with id `version_id`, its manifest stored in the
    /// latest registration of `manifest`, on `parents`, derived by the job (requester,
    /// nonce) if given.
    fn publish(
        &mut self,
        publisher: &str,
        version: VersionRef<'_>,
        version_id: [u8; 32],
        manifest: &TestBlob,
        parents: &[VersionRef<'_>],
        job: Option<(&str, u64)>,
    ) -> Outcome;
    /// `signer` retracts `version`.
    fn retract(&mut self, signer: &str, version: VersionRef<'_>) -> Outcome;
    /// The published `version`; `None` when there is none.
    fn version(&mut self, version: VersionRef<'_>) -> Result<Option<VersionView>>;

    /// Stake tokens `who` holds outside the protocol's books: on Solana its token
    /// account; on NEAR its NEP-141 balance plus what the contract credited it to withdraw.
    fn tokens(&mut self, who: &str) -> Result<u64>;
}

/// The salt every scenario worker commits with.
pub const SALT: [u8; 32] = [5; 32];
