use near_sdk::{near, AccountId};

use crate::state::Digest;

/// Most workers a job may ask for.
pub use basalt_rules::MAX_JOB_WORKERS;

#[near(serializers = [borsh, json])]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    /// Claims, commits and reveals are accepted.
    Open,
    /// k or more reveals agreed on `result_hash`.
    Succeeded,
    /// No quorum by the reveal deadline; the escrow went back to the requester.
    Failed,
}

/// How one worker of a finalized job was settled.
#[near(serializers = [borsh, json])]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerOutcome {
    /// Revealed the agreed result: paid its reward.
    Paid,
    /// Revealed another result: slashed.
    Disagreed,
    /// Claimed but never revealed.
    NoShow,
    /// The job failed; nobody is paid or slashed.
    NoQuorum,
}

#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobWorker {
    /// The compute provider's account.
    pub worker: AccountId,
    /// SHA-256(result_hash || worker || salt), unset until committed.
    pub commitment: Option<Digest>,
    /// The opened result, set by a matching reveal.
    pub result_hash: Option<Digest>,
    /// Paid or penalized after finalization.
    pub settled: bool,
}

/// A compute job, keyed by (requester, nonce) (the Solana program's
/// `["job", requester, nonce]`).
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub requester: AccountId,
    pub nonce: u64,
    /// BLAKE3 digests of the WASM module and the input blob.
    pub module_cid: Digest,
    pub input_cid: Digest,
    pub fuel_limit: u64,
    /// Workers wanted (redundancy) and the quorum that must agree.
    // INV: 1 <= k <= n <= MAX_JOB_WORKERS
    pub n: u8,
    pub k: u8,
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub reward_per_worker: u128,
    /// Escrow left; payouts and refunds come out of it and never exceed it.
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub escrow: u128,
    /// Commits are accepted up to and including this block; reveals after it.
    // INV: commit_deadline_block < reveal_deadline_block
    pub commit_deadline_block: u64,
    pub reveal_deadline_block: u64,
    pub status: JobStatus,
    /// The agreed result when `status == Succeeded`. A fixed-size field (as on Solana), so
    /// finalizing, which anyone may crank, adds no storage for the cranker to pay.
    // INV: all zero unless status == Succeeded
    pub result_hash: Digest,
    pub workers: Vec<JobWorker>,
}

impl Job {
    /// The job's deadlines, for the phase checks in `basalt_rules`.
    pub fn deadlines(&self) -> basalt_rules::JobDeadlines {
        basalt_rules::JobDeadlines {
            commit: self.commit_deadline_block,
            reveal: self.reveal_deadline_block,
        }
    }

    pub fn worker_index(&self, worker: &AccountId) -> Option<usize> {
        self.workers.iter().position(|w| w.worker == *worker)
    }

    /// The result at least `k` reveals agree on, if exactly one result does, with its
    /// vote count.
    pub fn quorum_result(&self) -> Option<(Digest, usize)> {
        basalt_rules::quorum(
            self.workers.iter().filter_map(|w| w.result_hash),
            usize::from(self.k),
        )
    }
}
