//! What a worker does next about one job. The chain enforces every phase; this reads the
//! same rules (`basalt_rules::JobDeadlines`, `basalt_rules::admit`) so the worker only sends
//! what the chain will take, and never lets a deadline pass that it could have met.

use basalt_rules::{admit, Admission, JobDeadlines};

/// A job as the worker reads it from its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobView {
    pub deadlines: JobDeadlines,
    /// Not finalized yet.
    pub open: bool,
    /// The workers were drawn (`job_select`).
    pub selection_done: bool,
    pub fuel_limit: u64,
    /// The applicants' bonded stakes at application, in the job's order.
    pub applicant_stakes: Vec<u128>,
    /// This worker's entry among the applicants.
    pub me: Option<MyPlace>,
    /// Which applicants' places are settled, in the job's order.
    pub settled: Vec<bool>,
    /// Every selected worker revealed (the job may finalize before the reveal deadline).
    pub everyone_revealed: bool,
    /// The output deadline of a succeeded job whose output is wanted and not stored yet
    /// (`basalt_rules::OutputTerms`); `None` otherwise.
    pub output_deadline: Option<u64>,
    /// Workers that revealed the agreed result.
    pub agreeing_workers: usize,
}

/// This worker's entry in a job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MyPlace {
    pub selected: bool,
    pub committed: bool,
    pub revealed: bool,
    pub settled: bool,
    /// Revealed the result the finalized job agreed on: paid once the output is stored
    /// (or its deadline passed).
    pub agreed: bool,
    /// The agreed result is an output (not a failure), which this worker can store.
    pub agreed_on_output: bool,
    /// How many agreeing workers come before this one in the job's order: its turn to
    /// store the output ([`output_turn`]).
    pub output_rank: usize,
}

/// What the worker brings to a job it has not applied to yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerLimits {
    /// The most fuel it runs a job with: longer jobs would not finish before their commit
    /// deadline on its machine.
    pub max_fuel: u64,
    /// Places it holds in unsettled jobs, and the most it takes at once.
    pub busy: usize,
    pub capacity: usize,
    /// Its bonded stake, its weight among the applicants.
    pub stake: u128,
}

/// The next thing to do about a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Apply, taking the place of applicant `displace` when the list is full.
    Apply { displace: Option<usize> },
    /// Draw the workers (anyone may; an applicant has the reason to).
    Select,
    /// Fetch the module and input, run them, and journal the result with a fresh salt.
    Run,
    /// Send the commitment of the journaled result.
    Commit,
    /// Send the journaled result and salt.
    Reveal,
    /// Close the job: pay the agreed result or refund the requester.
    Finalize,
    /// Store the output this worker agreed on as the requester's blob, paid by the job.
    StoreOutput,
    /// Settle this worker's place: paid, penalized or released.
    Settle,
    /// Settle the place of applicant `index`, which has not settled itself (a worker that
    /// died): the job closes, and its rent goes back to the requester, only once every
    /// place is settled. Anyone may; the job's other workers do.
    SettleOther { index: usize },
    /// Committed, but the journal lost the salt: the reveal cannot be made. The worker
    /// reports it; the job's deadline path takes its course.
    Unrevealable,
    /// Nothing to do yet.
    Wait,
    /// Nothing to do any more: not taken, or settled.
    Done,
}

/// The next step about `job` at chain tick `now`, for a worker whose journal holds a
/// pledge for it (`pledged`) or not.
pub fn next_step(job: &JobView, now: u64, pledged: bool, limits: &WorkerLimits) -> Step {
    let d = &job.deadlines;
    if !job.open {
        // Agreeing workers are paid once the output is stored or its deadline passed:
        // until then settling them is refused, so nobody tries.
        let output_pending = job.output_deadline.is_some_and(|deadline| now <= deadline);
        return match job.me {
            Some(me) if !me.settled && output_pending && me.agreed_on_output => {
                if now >= output_turn(job, me.output_rank) {
                    Step::StoreOutput
                } else {
                    Step::Wait
                }
            }
            Some(me) if !me.settled && output_pending && me.agreed => Step::Wait,
            Some(me) if !me.settled => Step::Settle,
            Some(_) if output_pending => Step::Wait,
            Some(_) => job
                .settled
                .iter()
                .position(|settled| !settled)
                .map_or(Step::Done, |index| Step::SettleOther { index }),
            None => Step::Done,
        };
    }
    let Some(me) = job.me else {
        return apply_step(job, now, limits);
    };
    if d.check_apply_open(now).is_ok() {
        return Step::Wait;
    }
    if !job.selection_done {
        if d.check_select_open(now).is_ok() {
            return Step::Select;
        }
        return finalize_step(job, now);
    }
    if !me.selected {
        return finalize_step(job, now);
    }
    if !me.committed {
        if d.check_commit_open(now).is_ok() {
            return if pledged { Step::Commit } else { Step::Run };
        }
        return finalize_step(job, now);
    }
    if !me.revealed && d.check_reveal_open(now).is_ok() {
        return if pledged {
            Step::Reveal
        } else {
            Step::Unrevealable
        };
    }
    if !me.revealed && d.check_commit_open(now).is_ok() {
        // Committed; reveals open after the commit deadline.
        return Step::Wait;
    }
    finalize_step(job, now)
}

/// The tick from which the agreeing worker of `rank` stores the job's output. Every
/// agreeing worker may register it, but only the first registration lands, and each
/// would upload the same bytes first: so the first in the job's order stores at once, and
/// each next one only once a further share of the output window (from the reveal deadline
/// to the output deadline) passed with the output still missing, which leaves a worker
/// time when those before it died.
pub fn output_turn(job: &JobView, rank: usize) -> u64 {
    let Some(deadline) = job.output_deadline else {
        return 0;
    };
    if rank == 0 {
        return 0;
    }
    let start = job.deadlines.reveal;
    let share = deadline.saturating_sub(start) / (job.agreeing_workers.max(rank) as u64 + 1);
    start.saturating_add(share.saturating_mul(rank as u64))
}

fn apply_step(job: &JobView, now: u64, limits: &WorkerLimits) -> Step {
    if job.deadlines.check_apply_open(now).is_err() || job.fuel_limit > limits.max_fuel {
        return Step::Done;
    }
    if limits.busy >= limits.capacity {
        // A place may free up before the deadline.
        return Step::Wait;
    }
    match admit(job.applicant_stakes.iter().copied(), limits.stake) {
        Ok(Admission::Append) => Step::Apply { displace: None },
        Ok(Admission::Displace(i)) => Step::Apply { displace: Some(i) },
        Err(_) => Step::Done,
    }
}

fn finalize_step(job: &JobView, now: u64) -> Step {
    if job
        .deadlines
        .check_finalizable(now, job.everyone_revealed)
        .is_ok()
    {
        Step::Finalize
    } else {
        Step::Wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEADLINES: JobDeadlines = JobDeadlines {
        apply: 100,
        commit: 200,
        reveal: 300,
    };

    fn limits() -> WorkerLimits {
        WorkerLimits {
            max_fuel: 1_000,
            busy: 0,
            capacity: 2,
            stake: 50,
        }
    }

    fn job(me: Option<MyPlace>) -> JobView {
        JobView {
            deadlines: DEADLINES,
            open: true,
            selection_done: false,
            fuel_limit: 1_000,
            applicant_stakes: vec![10, 20],
            settled: vec![false, false],
            me,
            everyone_revealed: false,
            output_deadline: None,
            agreeing_workers: 0,
        }
    }

    fn selected() -> MyPlace {
        MyPlace {
            selected: true,
            ..MyPlace::default()
        }
    }

    #[test]
    fn a_worker_applies_only_to_jobs_it_can_finish_while_applications_are_open() {
        assert_eq!(
            next_step(&job(None), 100, false, &limits()),
            Step::Apply { displace: None }
        );
        assert_eq!(next_step(&job(None), 101, false, &limits()), Step::Done);
        let long = JobView {
            fuel_limit: 1_001,
            ..job(None)
        };
        assert_eq!(next_step(&long, 50, false, &limits()), Step::Done);
        let busy = WorkerLimits {
            busy: 2,
            ..limits()
        };
        assert_eq!(next_step(&job(None), 50, false, &busy), Step::Wait);
        // A full list: the worker takes the place of the least staked, if it stakes more.
        let full = JobView {
            applicant_stakes: (0..basalt_rules::MAX_JOB_APPLICANTS as u128)
                .map(|i| 30 + i)
                .collect(),
            ..job(None)
        };
        assert_eq!(
            next_step(&full, 50, false, &limits()),
            Step::Apply { displace: Some(0) }
        );
        let poor = WorkerLimits {
            stake: 30,
            ..limits()
        };
        assert_eq!(next_step(&full, 50, false, &poor), Step::Done);
    }

    #[test]
    fn an_applicant_draws_the_workers_after_the_apply_deadline() {
        let applied = job(Some(MyPlace::default()));
        assert_eq!(next_step(&applied, 100, false, &limits()), Step::Wait);
        assert_eq!(next_step(&applied, 101, false, &limits()), Step::Select);
        assert_eq!(next_step(&applied, 200, false, &limits()), Step::Select);
        // Nobody drew before the commit deadline: the job can only fail.
        assert_eq!(next_step(&applied, 201, false, &limits()), Step::Wait);
        assert_eq!(next_step(&applied, 301, false, &limits()), Step::Finalize);
    }

    #[test]
    fn a_selected_worker_runs_journals_commits_then_reveals() {
        let drawn = JobView {
            selection_done: true,
            ..job(Some(selected()))
        };
        assert_eq!(next_step(&drawn, 150, false, &limits()), Step::Run);
        assert_eq!(
            next_step(&drawn, 150, true, &limits()),
            Step::Commit,
            "the pledge is on disk before the commitment leaves"
        );
        assert_eq!(
            next_step(&drawn, 201, true, &limits()),
            Step::Wait,
            "too late to commit: wait for the finalization"
        );
        let committed = JobView {
            me: Some(MyPlace {
                committed: true,
                ..selected()
            }),
            ..drawn.clone()
        };
        assert_eq!(next_step(&committed, 200, true, &limits()), Step::Wait);
        assert_eq!(next_step(&committed, 201, true, &limits()), Step::Reveal);
        assert_eq!(next_step(&committed, 300, true, &limits()), Step::Reveal);
        assert_eq!(
            next_step(&committed, 250, false, &limits()),
            Step::Unrevealable
        );
        assert_eq!(next_step(&committed, 301, true, &limits()), Step::Finalize);
    }

    #[test]
    fn an_agreeing_worker_stores_the_output_before_it_is_paid() {
        let agreed = MyPlace {
            committed: true,
            revealed: true,
            agreed: true,
            agreed_on_output: true,
            ..selected()
        };
        let finalized = JobView {
            open: false,
            selection_done: true,
            output_deadline: Some(400),
            ..job(Some(agreed))
        };
        assert_eq!(
            next_step(&finalized, 301, true, &limits()),
            Step::StoreOutput
        );
        let on_failure = JobView {
            me: Some(MyPlace {
                agreed_on_output: false,
                ..agreed
            }),
            ..finalized.clone()
        };
        assert_eq!(
            next_step(&on_failure, 301, true, &limits()),
            Step::Wait,
            "an agreed failure has no output: the pay waits for the deadline"
        );
        assert_eq!(next_step(&on_failure, 401, true, &limits()), Step::Settle);
        let dissenter = JobView {
            me: Some(MyPlace {
                agreed: false,
                agreed_on_output: false,
                ..agreed
            }),
            ..finalized.clone()
        };
        assert_eq!(
            next_step(&dissenter, 301, true, &limits()),
            Step::Settle,
            "only agreeing workers wait for the output"
        );
        let stored = JobView {
            output_deadline: None,
            ..finalized
        };
        assert_eq!(next_step(&stored, 301, true, &limits()), Step::Settle);
    }

    #[test]
    fn agreeing_workers_take_turns_to_store_the_output() {
        // Three agreeing workers; the output window runs from the reveal deadline (300) to
        // 400, a quarter of it per turn.
        let place = |output_rank| MyPlace {
            committed: true,
            revealed: true,
            agreed: true,
            agreed_on_output: true,
            output_rank,
            ..selected()
        };
        let finalized = |rank| JobView {
            open: false,
            selection_done: true,
            output_deadline: Some(400),
            agreeing_workers: 3,
            ..job(Some(place(rank)))
        };
        assert_eq!(
            next_step(&finalized(0), 250, true, &limits()),
            Step::StoreOutput,
            "the first stores at once, even when the job finalized early"
        );
        assert_eq!(next_step(&finalized(1), 324, true, &limits()), Step::Wait);
        assert_eq!(
            next_step(&finalized(1), 325, true, &limits()),
            Step::StoreOutput
        );
        assert_eq!(next_step(&finalized(2), 349, true, &limits()), Step::Wait);
        assert_eq!(
            next_step(&finalized(2), 350, true, &limits()),
            Step::StoreOutput
        );
        assert!(
            output_turn(&finalized(2), 2) < 400,
            "the last turn is before the deadline"
        );
    }

    #[test]
    fn a_job_finalizes_early_once_everyone_revealed_and_then_each_place_is_settled() {
        let revealed = JobView {
            selection_done: true,
            everyone_revealed: true,
            ..job(Some(MyPlace {
                committed: true,
                revealed: true,
                ..selected()
            }))
        };
        assert_eq!(next_step(&revealed, 201, true, &limits()), Step::Finalize);
        let not_selected = JobView {
            selection_done: true,
            ..job(Some(MyPlace::default()))
        };
        assert_eq!(next_step(&not_selected, 150, false, &limits()), Step::Wait);
        let finalized = JobView {
            open: false,
            ..revealed.clone()
        };
        assert_eq!(next_step(&finalized, 201, true, &limits()), Step::Settle);
        let settled = JobView {
            me: Some(MyPlace {
                settled: true,
                ..selected()
            }),
            settled: vec![true, false],
            ..finalized
        };
        assert_eq!(
            next_step(&settled, 400, true, &limits()),
            Step::SettleOther { index: 1 },
            "a dead worker's place is settled by the others, so the job closes"
        );
        let all = JobView {
            settled: vec![true, true],
            ..settled
        };
        assert_eq!(next_step(&all, 400, true, &limits()), Step::Done);
        assert_eq!(
            next_step(
                &JobView {
                    open: false,
                    ..job(None)
                },
                50,
                false,
                &limits()
            ),
            Step::Done
        );
    }
}
