use anchor_lang::prelude::*;

/// Most workers a job may ask for.
pub use basalt_rules::MAX_JOB_WORKERS;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum JobStatus {
    /// Claims, commits and reveals are accepted.
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
    /// Authority of the compute provider.
    pub worker: Pubkey,
    /// SHA-256(result_hash || worker || salt), zero until committed.
    pub commitment: [u8; 32],
    pub committed: bool,
    pub revealed: bool,
    pub result_hash: [u8; 32],
    /// Paid or penalized after finalization.
    pub settled: bool,
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
    /// Commits are accepted up to and including this slot; reveals after it.
    // INV: commit_deadline_slot < reveal_deadline_slot
    pub commit_deadline_slot: u64,
    pub reveal_deadline_slot: u64,
    pub status: JobStatus,
    /// The agreed result when `status == Succeeded`.
    pub result_hash: [u8; 32],
    pub bump: u8,
    #[max_len(MAX_JOB_WORKERS)]
    pub workers: Vec<JobWorker>,
}

impl Job {
    /// The job's deadlines, for the phase checks in `basalt_rules`.
    pub fn deadlines(&self) -> basalt_rules::JobDeadlines {
        basalt_rules::JobDeadlines {
            commit: self.commit_deadline_slot,
            reveal: self.reveal_deadline_slot,
        }
    }

    pub fn worker_index(&self, worker: &Pubkey) -> Option<usize> {
        self.workers.iter().position(|w| w.worker == *worker)
    }

    /// The result at least `k` reveals agree on, if exactly one result does.
    pub fn quorum_result(&self) -> Option<([u8; 32], usize)> {
        let revealed = self.workers.iter().filter(|w| w.revealed);
        basalt_rules::quorum(revealed.map(|w| w.result_hash), usize::from(self.k))
    }
}
