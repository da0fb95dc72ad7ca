//! The Solana program's Job account as the planner reads it.

use basalt::anchor_lang::prelude::Pubkey;
use basalt::state::{Job, JobStatus};
use basalt_sandbox::Failure;

use crate::plan::{JobView, MyPlace};

/// `job` seen by the worker whose authority is `me`.
pub fn job_view(job: &Job, me: &Pubkey) -> JobView {
    JobView {
        deadlines: job.deadlines(),
        open: job.status == JobStatus::Open,
        selection_done: job.selection_done,
        fuel_limit: job.fuel_limit,
        applicant_stakes: job.workers.iter().map(|w| u128::from(w.stake)).collect(),
        settled: job.workers.iter().map(|w| w.settled).collect(),
        me: job.worker_index(me).map(|i| {
            let w = &job.workers[i];
            let agreed = job.agreed(me);
            MyPlace {
                selected: w.selected,
                committed: w.committed,
                revealed: w.revealed,
                settled: w.settled,
                agreed,
                agreed_on_output: agreed && Failure::from_result(&job.result_hash).is_none(),
                output_rank: job.workers[..i]
                    .iter()
                    .filter(|other| job.agreed(&other.worker))
                    .count(),
            }
        }),
        agreeing_workers: job.workers.iter().filter(|w| job.agreed(&w.worker)).count(),
        everyone_revealed: job.everyone_revealed(),
        // Storing the output and publishing it as a version are one step of the work.
        output_deadline: (job.status == JobStatus::Succeeded
            && ((job.output_budget > 0 && !job.output_stored())
                || job.publication.as_ref().is_some_and(|p| !p.published())))
        .then_some(job.output_deadline_slot),
    }
}

#[cfg(test)]
mod tests {
    use basalt::state::JobWorker;

    use super::*;
    use crate::plan::{next_step, Step, WorkerLimits};

    fn job(workers: Vec<JobWorker>) -> Job {
        Job {
            requester: Pubkey::new_unique(),
            nonce: 1,
            module_cid: [1; 32],
            input_cid: [2; 32],
            fuel_limit: 500,
            n: 2,
            k: 2,
            reward_per_worker: 10,
            escrow: 20,
            apply_deadline_slot: 100,
            commit_deadline_slot: 200,
            reveal_deadline_slot: 300,
            status: JobStatus::Open,
            result_hash: [0; 32],
            selection_done: true,
            output_budget: 0,
            output_price_per_shard_epoch: 0,
            output_deadline_slot: 0,
            output_encrypted: false,
            output_blob: Pubkey::default(),
            input_version: Pubkey::default(),
            publication: None,
            bump: 255,
            workers,
        }
    }

    #[test]
    fn the_workers_own_entry_is_found_among_the_applicants() {
        let me = Pubkey::new_unique();
        let other = JobWorker {
            worker: Pubkey::new_unique(),
            stake: 70,
            selected: true,
            ..JobWorker::default()
        };
        let mine = JobWorker {
            worker: me,
            stake: 30,
            selected: true,
            committed: true,
            ..JobWorker::default()
        };
        let view = job_view(&job(vec![other, mine]), &me);
        assert_eq!(view.applicant_stakes, vec![70, 30]);
        assert_eq!(
            view.me,
            Some(MyPlace {
                selected: true,
                committed: true,
                ..MyPlace::default()
            })
        );
        assert!(!view.everyone_revealed);
        let limits = WorkerLimits {
            max_fuel: 1_000,
            busy: 1,
            capacity: 4,
            stake: 30,
        };
        assert_eq!(next_step(&view, 250, true, &limits), Step::Reveal);
        let stranger = job_view(&job(vec![other]), &me);
        assert_eq!(stranger.me, None);
        assert_eq!(next_step(&stranger, 250, false, &limits), Step::Done);
    }
}
