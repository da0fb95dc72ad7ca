use anchor_lang::prelude::*;

use basalt_rules::MAX_VERSION_TAG_LEN;
/// Most workers a job may ask for, and most applicants it keeps.
pub use basalt_rules::{MAX_JOB_APPLICANTS, MAX_JOB_WORKERS};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum JobStatus {
    /// Applications, the selection, commits and reveals are accepted.
    Open,
    /// k or more reveals agreed on `result_hash`.
    Succeeded,
    /// No quorum by the reveal deadline; the escrow went back to the requester.
    Failed,
}

#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct JobWorker {
    /// Authority of the compute provider that applied.
    pub worker: Pubkey,
    /// Its bonded stake when it applied: its weight in the selection.
    pub stake: u64,
    /// Drawn by `job_select`: only selected applicants commit, reveal and are paid.
    pub selected: bool,
    /// SHA-256(result_hash || worker || salt), zero until committed.
    pub commitment: [u8; 32],
    pub committed: bool,
    pub revealed: bool,
    pub result_hash: [u8; 32],
    /// Paid, penalized or (not selected) released; its obligation ended.
    pub settled: bool,
}

/// The requester's request to publish a job's output as a version of a public dataset
/// (`basalt_rules::NewPublication`), and its outcome.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq, InitSpace)]
pub struct JobPublication {
    pub dataset: Pubkey,
    #[max_len(MAX_VERSION_TAG_LEN)]
    pub tag: String,
    /// Escrowed for the manifest blob's deal; it moves into that deal at publication and
    /// back to the requester when the job closes without one.
    pub budget: u64,
    /// The published Version; the default key until then.
    pub version: Pubkey,
}

impl JobPublication {
    pub fn published(&self) -> bool {
        self.version != Pubkey::default()
    }
}

/// A compute job: `["job", requester, nonce]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Job {
    pub requester: Pubkey,
    pub nonce: u64,
    /// BLAKE3 digests of the WASM module and the input blob.
    pub module_cid: [u8; 32],
    pub input_cid: [u8; 32],
    pub fuel_limit: u64,
    /// Workers wanted (redundancy) and the quorum that must agree.
    // INV: 1 <= k <= n <= MAX_JOB_WORKERS
    pub n: u8,
    pub k: u8,
    pub reward_per_worker: u64,
    /// Escrow left; payouts and refunds come out of it and never exceed it.
    pub escrow: u64,
    /// Applications are accepted up to and including this slot; the selection after it.
    // INV: apply_deadline_slot < commit_deadline_slot
    pub apply_deadline_slot: u64,
    /// Commits are accepted up to and including this slot; reveals after it.
    // INV: commit_deadline_slot < reveal_deadline_slot
    pub commit_deadline_slot: u64,
    pub reveal_deadline_slot: u64,
    pub status: JobStatus,
    /// The agreed result when `status == Succeeded`.
    pub result_hash: [u8; 32],
    /// `job_select` ran: the selected applicants are marked.
    pub selection_done: bool,
    /// Escrowed beside `escrow` for the output blob's deal (`basalt_rules::OutputTerms`):
    /// it moves into that deal when an agreeing worker registers the output, and back to
    /// the requester when the job ends without one. Zero: the output is not stored.
    pub output_budget: u64,
    pub output_price_per_shard_epoch: u64,
    /// Last slot the output may be registered at; until then agreeing workers wait for
    /// their pay. The job account also holds the lamports for the output's Blob and Deal
    /// accounts, which the registering worker is paid back.
    // INV: output_deadline_slot > reveal_deadline_slot when output_budget > 0
    pub output_deadline_slot: u64,
    /// The output is sealed for the requester (a private blob) instead of stored plain
    /// and public.
    pub output_encrypted: bool,
    /// The output's Blob account once registered; the default key until then.
    pub output_blob: Pubkey,
    /// The Version account whose files are the job's input (as one archive, see
    /// `basalt_core::archive`), or the default key when the input is the requester's blob
    /// of `input_cid`.
    // INV: when set, input_cid is that version's version_id
    pub input_version: Pubkey,
    /// The dataset version the output is to be published as, when the requester asked.
    pub publication: Option<JobPublication>,
    pub bump: u8,
    /// The applicants, in application order (a displaced one's entry is taken over).
    // INV: at most n entries are selected, and only once selection_done
    #[max_len(MAX_JOB_APPLICANTS)]
    pub workers: Vec<JobWorker>,
}

impl Job {
    /// The job's deadlines, for the phase checks in `basalt_rules`.
    pub fn deadlines(&self) -> basalt_rules::JobDeadlines {
        basalt_rules::JobDeadlines {
            apply: self.apply_deadline_slot,
            commit: self.commit_deadline_slot,
            reveal: self.reveal_deadline_slot,
        }
    }

    /// What the requester asked for the job's output.
    pub fn output_terms(&self) -> basalt_rules::OutputTerms {
        basalt_rules::OutputTerms {
            budget: u128::from(self.output_budget),
            price_per_shard_epoch: u128::from(self.output_price_per_shard_epoch),
            deadline: self.output_deadline_slot,
        }
    }

    /// Whether the output blob is registered.
    pub fn output_stored(&self) -> bool {
        self.output_blob != Pubkey::default()
    }

    /// Whether a succeeded job's agreeing workers still wait, at `slot`, for the output to
    /// be stored or published before they are paid.
    pub fn pay_waits(&self, slot: u64) -> bool {
        let publication = self.publication.as_ref().is_some_and(|p| {
            basalt_rules::publication_pending(true, p.published(), self.output_deadline_slot, slot)
        });
        self.output_terms().pending(self.output_stored(), slot) || publication
    }

    /// Whether `worker` was selected and revealed the agreed result.
    pub fn agreed(&self, worker: &Pubkey) -> bool {
        self.status == JobStatus::Succeeded
            && self.workers.iter().any(|w| {
                w.worker == *worker && w.selected && w.revealed && w.result_hash == self.result_hash
            })
    }

    pub fn worker_index(&self, worker: &Pubkey) -> Option<usize> {
        self.workers.iter().position(|w| w.worker == *worker)
    }

    /// The selected workers that revealed (only selected ones can).
    fn revealed(&self) -> impl Iterator<Item = &JobWorker> + Clone {
        self.workers.iter().filter(|w| w.selected && w.revealed)
    }

    /// Whether every selected worker revealed, which lets the job finalize early.
    pub fn everyone_revealed(&self) -> bool {
        self.selection_done && self.workers.iter().all(|w| !w.selected || w.revealed)
    }

    /// The result at least `k` reveals agree on, if exactly one result does.
    pub fn quorum_result(&self) -> Option<([u8; 32], usize)> {
        let hashes = self.revealed().map(|w| w.result_hash);
        basalt_rules::quorum(hashes, usize::from(self.k))
    }

    /// Whether the workers that revealed another result than the succeeded job's are
    /// slashed (`basalt_rules::dissent_is_slashable`).
    pub fn dissent_is_slashable(&self) -> bool {
        let votes = self
            .revealed()
            .filter(|w| w.result_hash == self.result_hash)
            .count();
        basalt_rules::dissent_is_slashable(votes, self.revealed().count())
    }

    /// Whether every applicant was settled, so the account may close.
    pub fn all_settled(&self) -> bool {
        self.workers.iter().all(|w| w.settled)
    }
}
