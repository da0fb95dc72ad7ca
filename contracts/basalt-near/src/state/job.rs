use near_sdk::{near, AccountId};

use crate::state::Digest;

/// Most workers a job may ask for, and most applicants it keeps.
pub use basalt_rules::{MAX_JOB_APPLICANTS, MAX_JOB_WORKERS};

#[near(serializers = [borsh, json])]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    /// Applications, the selection, commits and reveals are accepted.
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
    /// Revealed another result: reputation down, and slashed when the agreeing results
    /// were a strict majority of those revealed.
    Disagreed,
    /// Selected but never revealed.
    NoShow,
    /// The job failed; nobody is paid or slashed.
    NoQuorum,
    /// Applied but was not selected: its obligation ends, nothing else happens.
    NotSelected,
}

basalt_rules::impl_from_job_outcome!(WorkerOutcome);

#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobWorker {
    /// The compute provider's account, which applied (and paid for this entry's bytes).
    pub worker: AccountId,
    /// Its bonded stake when it applied: its weight in the selection.
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub stake: u128,
    /// Drawn by `job_select`: only selected applicants commit, reveal and are paid.
    pub selected: bool,
    /// SHA-256(result_hash || worker || salt), unset until committed.
    pub commitment: Option<Digest>,
    /// The opened result, set by a matching reveal.
    pub result_hash: Option<Digest>,
    /// Paid, penalized or (not selected) released; its obligation ended.
    pub settled: bool,
}

/// The requester's request to publish a job's output as a version of a public dataset
/// (`basalt_rules::NewPublication`), and its outcome (the Solana program's
/// `JobPublication`).
#[near(serializers = [borsh, json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobPublication {
    pub dataset: Digest,
    // INV: passes basalt_rules::check_version_tag
    pub tag: String,
    /// Escrowed for the manifest blob's deal; it moves into that deal at publication and
    /// back to the requester when the job closes without one.
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub budget: u128,
    /// The published version's key once published.
    pub version: Option<Digest>,
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
    /// Applications are accepted up to and including this block; the selection after it.
    // INV: apply_deadline_block < commit_deadline_block
    pub apply_deadline_block: u64,
    /// Commits are accepted up to and including this block; reveals after it.
    // INV: commit_deadline_block < reveal_deadline_block
    pub commit_deadline_block: u64,
    pub reveal_deadline_block: u64,
    pub status: JobStatus,
    /// The agreed result when `status == Succeeded`. A fixed-size field (as on Solana), so
    /// finalizing, which anyone may crank, adds no storage for the cranker to pay.
    // INV: all zero unless status == Succeeded
    pub result_hash: Digest,
    /// `job_select` ran: the selected applicants are marked.
    pub selection_done: bool,
    /// Escrowed beside `escrow` for the output blob's deal (`basalt_rules::OutputTerms`):
    /// it moves into that deal when an agreeing worker registers the output, and back to
    /// the requester when the job ends without one. Zero: the output is not stored.
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub output_budget: u128,
    #[serde_as(as = "near_sdk::serde_with::DisplayFromStr")]
    pub output_price_per_shard_epoch: u128,
    /// Last block the output may be registered at; until then agreeing workers wait for
    /// their pay.
    // INV: output_deadline_block > reveal_deadline_block when output_budget > 0
    pub output_deadline_block: u64,
    /// The output is sealed for the requester (a private blob) instead of stored plain
    /// and public.
    pub output_encrypted: bool,
    /// The output blob's id once registered.
    pub output_blob: Option<Digest>,
    /// The key of the dataset version whose files are the job's input (as one archive),
    /// or `None` when the input is the requester's blob of `input_cid`.
    // INV: when set, input_cid is that version's version_id
    pub input_version: Option<Digest>,
    /// The dataset version the output is to be published as, when the requester asked.
    pub publication: Option<JobPublication>,
    /// The applicants, in application order (a displaced one's entry is taken over).
    // INV: at most MAX_JOB_APPLICANTS; at most n selected, and only once selection_done
    pub workers: Vec<JobWorker>,
}

impl Job {
    /// The job's deadlines, for the phase checks in `basalt_rules`.
    pub fn deadlines(&self) -> basalt_rules::JobDeadlines {
        basalt_rules::JobDeadlines {
            apply: self.apply_deadline_block,
            commit: self.commit_deadline_block,
            reveal: self.reveal_deadline_block,
        }
    }

    /// What the requester asked for the job's output.
    pub fn output_terms(&self) -> basalt_rules::OutputTerms {
        basalt_rules::OutputTerms {
            budget: self.output_budget,
            price_per_shard_epoch: self.output_price_per_shard_epoch,
            deadline: self.output_deadline_block,
        }
    }

    /// Whether a succeeded job's agreeing workers still wait, at `block`, for the output
    /// to be stored or published before they are paid.
    pub fn pay_waits(&self, block: u64) -> bool {
        let publication = self.publication.as_ref().is_some_and(|p| {
            basalt_rules::publication_pending(
                true,
                p.version.is_some(),
                self.output_deadline_block,
                block,
            )
        });
        self.output_terms()
            .pending(self.output_blob.is_some(), block)
            || publication
    }

    /// Whether `worker` was selected and revealed the agreed result.
    pub fn agreed(&self, worker: &AccountId) -> bool {
        self.status == JobStatus::Succeeded
            && self.workers.iter().any(|w| {
                w.worker == *worker && w.selected && w.result_hash == Some(self.result_hash)
            })
    }

    pub fn worker_index(&self, worker: &AccountId) -> Option<usize> {
        self.workers.iter().position(|w| w.worker == *worker)
    }

    /// The results the selected workers revealed (only selected ones can).
    fn revealed(&self) -> impl Iterator<Item = Digest> + Clone + '_ {
        self.workers
            .iter()
            .filter(|w| w.selected)
            .filter_map(|w| w.result_hash)
    }

    /// Whether every selected worker revealed, which lets the job finalize early.
    pub fn everyone_revealed(&self) -> bool {
        self.selection_done
            && self
                .workers
                .iter()
                .all(|w| !w.selected || w.result_hash.is_some())
    }

    /// The result at least `k` reveals agree on, if exactly one result does, with its
    /// vote count.
    pub fn quorum_result(&self) -> Option<(Digest, usize)> {
        basalt_rules::quorum(self.revealed(), usize::from(self.k))
    }

    /// Whether the workers that revealed another result than the succeeded job's are
    /// slashed (`basalt_rules::dissent_is_slashable`).
    pub fn dissent_is_slashable(&self) -> bool {
        let votes = self.revealed().filter(|r| *r == self.result_hash).count();
        basalt_rules::dissent_is_slashable(votes, self.revealed().count())
    }

    /// Whether every applicant was settled, so the record may go.
    pub fn all_settled(&self) -> bool {
        self.workers.iter().all(|w| w.settled)
    }
}
