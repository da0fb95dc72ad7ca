use near_sdk::json_types::U128;

use super::*;
use crate::methods::job_commitment;
use crate::state::{
    Digest, JobStatus, WorkerOutcome, MAX_JOB_APPLICANTS, ROLE_COMPUTE, ROLE_STORAGE,
};

const REWARD: u128 = 100;

/// Posts job `nonce` at the current height: applications for 5 blocks, commits until 10,
/// reveals until 20.
fn post(chain: &mut Chain, nonce: u64, n: u8, k: u8, amount: u128) -> Result<u128, BasaltError> {
    let msg = format!(
        r#"{{"action":"job_post","nonce":{nonce},"module_cid":"{m}","input_cid":"{i}","fuel_limit":1000000,"n":{n},"k":{k},"reward_per_worker":"{REWARD}","apply_deadline_block":{a},"commit_deadline_block":{c},"reveal_deadline_block":{r}}}"#,
        m = Digest::from([1; 32]),
        i = Digest::from([2; 32]),
        a = chain.height + 5,
        c = chain.height + 10,
        r = chain.height + 20,
    );
    chain.transfer("req", amount, &msg)
}

fn apply(chain: &mut Chain, who: &str, nonce: u64) -> Result<(), BasaltError> {
    chain.paying(who).job_apply(account("req"), nonce)
}

fn commit(chain: &mut Chain, who: &str, nonce: u64, result: [u8; 32]) {
    let c = job_commitment(&result, &account(who), &[5; 32]);
    chain
        .paying(who)
        .job_commit(account("req"), nonce, Digest::from(c))
        .expect("commit");
}

fn reveal(chain: &mut Chain, who: &str, nonce: u64, result: [u8; 32]) -> Result<(), BasaltError> {
    chain.paying(who).job_reveal(
        account("req"),
        nonce,
        Digest::from(result),
        Digest::from([5; 32]),
    )
}

fn settle(chain: &mut Chain, nonce: u64, who: &str) -> Result<WorkerOutcome, BasaltError> {
    chain
        .by("x")
        .job_settle(account("req"), nonce, account(who))
}

fn obligations(chain: &mut Chain, who: &str) -> u32 {
    let p = chain.by("x").provider_get(account(who)).expect("provider");
    p.open_obligations
}

#[test]
fn posting_checks_parameters_and_returns_the_excess() {
    let mut chain = Chain::new();
    chain.paying("req").storage_deposit(None).unwrap();
    assert_eq!(
        post(&mut chain, 1, 2, 3, 300),
        Err(BasaltError::InvalidJobParams)
    );
    assert_eq!(
        post(&mut chain, 1, 17, 1, 9_999),
        Err(BasaltError::InvalidJobParams)
    );
    assert_eq!(
        post(&mut chain, 1, 3, 2, 299),
        Err(BasaltError::InsufficientTokens)
    );
    // 350 sent for a 300 escrow: 50 go back through the token contract.
    assert_eq!(post(&mut chain, 1, 3, 2, 350), Ok(50));
    assert_eq!(event_names(), ["job_posted"]);
    assert_eq!(post(&mut chain, 1, 3, 2, 300), Err(BasaltError::JobExists));
    assert_eq!(chain.by("x").books().escrow, 300);
}

#[test]
fn two_of_three_with_a_cheater_pays_the_quorum_and_slashes_the_cheater() {
    let mut chain = Chain::new();
    for w in ["w1", "w2", "w3", "w4"] {
        chain.provider(w, ROLE_COMPUTE, 2_000);
    }
    chain.provider("storage-only", ROLE_STORAGE, 2_000);
    chain.paying("req").storage_deposit(None).unwrap();
    assert_eq!(post(&mut chain, 7, 3, 2, 300), Ok(0));
    let req = account("req");

    assert_eq!(
        apply(&mut chain, "storage-only", 7),
        Err(BasaltError::ProviderNotEligible)
    );
    let storage_before = chain.storage("w1");
    for w in ["w1", "w2", "w3"] {
        apply(&mut chain, w, 7).unwrap();
        assert_eq!(obligations(&mut chain, w), 1, "applying is consent");
    }
    assert_eq!(apply(&mut chain, "w1", 7), Err(BasaltError::AlreadyApplied));
    assert_eq!(
        chain.by("x").job_select(req.clone(), 7),
        Err(BasaltError::ApplyPhaseOpen)
    );
    assert_eq!(
        chain
            .paying("w1")
            .job_commit(req.clone(), 7, Digest::from([0; 32])),
        Err(BasaltError::NotSelected)
    );
    chain.height += 6;
    assert_eq!(apply(&mut chain, "w4", 7), Err(BasaltError::ApplyPhaseOver));
    let selected = chain.by("x").job_select(req.clone(), 7).unwrap();
    assert_eq!(selected, [account("w1"), account("w2"), account("w3")]);
    assert_eq!(event_names(), ["job_selected"]);
    assert_eq!(
        chain.by("x").job_select(req.clone(), 7),
        Err(BasaltError::AlreadySelected)
    );

    let good = [0xAA; 32];
    let bad = [0xBB; 32];
    commit(&mut chain, "w1", 7, good);
    commit(&mut chain, "w2", 7, good);
    commit(&mut chain, "w3", 7, bad);
    assert_eq!(
        chain
            .paying("w1")
            .job_commit(req.clone(), 7, Digest::from([0; 32])),
        Err(BasaltError::AlreadyCommitted)
    );
    assert_eq!(
        reveal(&mut chain, "w1", 7, good),
        Err(BasaltError::CommitPhaseOpen)
    );
    chain.height += 5;
    // A reveal must open the worker's own commitment.
    assert_eq!(
        reveal(&mut chain, "w1", 7, bad),
        Err(BasaltError::RevealMismatch)
    );
    reveal(&mut chain, "w1", 7, good).unwrap();
    reveal(&mut chain, "w2", 7, good).unwrap();
    assert_eq!(
        chain.by("x").job_finalize(req.clone(), 7),
        Err(BasaltError::TooEarlyToFinalize)
    );
    reveal(&mut chain, "w3", 7, bad).unwrap();
    assert_eq!(
        reveal(&mut chain, "w3", 7, bad),
        Err(BasaltError::AlreadyRevealed)
    );

    // Everyone revealed: finalize early. Two agree: 200 reserved, 100 back.
    assert_eq!(chain.by("x").job_finalize(req.clone(), 7), Ok(U128(100)));
    assert_eq!(chain.tokens("req"), 100);
    let job = chain.by("x").job_get(req.clone(), 7).unwrap();
    assert_eq!(
        (job.status, job.escrow, job.result_hash),
        (JobStatus::Succeeded, 200, Digest::from(good))
    );
    assert_eq!(settle(&mut chain, 7, "w4"), Err(BasaltError::NotJobWorker));
    assert_eq!(settle(&mut chain, 7, "w1"), Ok(WorkerOutcome::Paid));
    assert_eq!(
        settle(&mut chain, 7, "w1"),
        Err(BasaltError::AlreadySettled)
    );
    assert_eq!(settle(&mut chain, 7, "w2"), Ok(WorkerOutcome::Paid));
    // Two of three agree, a strict majority: the dissenter is slashed.
    assert_eq!(settle(&mut chain, 7, "w3"), Ok(WorkerOutcome::Disagreed));
    assert_eq!(event_names(), ["provider_slashed", "job_worker_settled"]);
    assert_eq!(
        (chain.tokens("w1"), chain.tokens("w2"), chain.tokens("w3")),
        (100, 100, 0)
    );
    let w3 = chain.by("x").provider_get(account("w3")).unwrap();
    assert_eq!((w3.stake, w3.reputation), (1_900, -1)); // 5 % of 2000
    assert_eq!(
        chain
            .by("x")
            .provider_get(account("w1"))
            .unwrap()
            .reputation,
        1
    );
    let books = chain.by("x").books();
    assert_eq!((books.escrow, books.treasury), (0, 100));
    // The last settlement removed the job; each applicant got back the storage its three
    // calls (apply, commit, reveal) paid for.
    assert!(chain.by("x").job_get(req.clone(), 7).is_none());
    assert_eq!(obligations(&mut chain, "w1"), 0);
    assert_eq!(
        chain.storage("w1"),
        storage_before + 3 * STORAGE.as_yoctonear()
    );
}

#[test]
fn no_quorum_refunds_everything_and_no_shows_lose_reputation() {
    let mut chain = Chain::new();
    for w in ["w1", "w2"] {
        chain.provider(w, ROLE_COMPUTE, 2_000);
    }
    chain.paying("req").storage_deposit(None).unwrap();
    assert_eq!(post(&mut chain, 1, 2, 2, 200), Ok(0));
    let req = account("req");
    apply(&mut chain, "w1", 1).unwrap();
    apply(&mut chain, "w2", 1).unwrap();
    chain.height += 6;
    chain.by("x").job_select(req.clone(), 1).unwrap();
    commit(&mut chain, "w1", 1, [1; 32]);
    chain.height += 5;
    reveal(&mut chain, "w1", 1, [1; 32]).unwrap();
    assert_eq!(
        chain.by("x").job_finalize(req.clone(), 1),
        Err(BasaltError::TooEarlyToFinalize)
    );
    chain.height += 10;
    assert_eq!(
        reveal(&mut chain, "w2", 1, [1; 32]),
        Err(BasaltError::RevealPhaseOver)
    );
    assert_eq!(chain.by("x").job_finalize(req.clone(), 1), Ok(U128(200)));
    assert_eq!(
        chain.by("x").job_get(req.clone(), 1).unwrap().status,
        JobStatus::Failed
    );
    assert_eq!(
        chain.by("x").job_finalize(req.clone(), 1),
        Err(BasaltError::JobNotOpen)
    );
    assert_eq!(settle(&mut chain, 1, "w1"), Ok(WorkerOutcome::NoQuorum));
    assert_eq!(settle(&mut chain, 1, "w2"), Ok(WorkerOutcome::NoShow));
    assert_eq!(
        chain
            .by("x")
            .provider_get(account("w2"))
            .unwrap()
            .reputation,
        -1
    );
    assert_eq!(chain.tokens("req"), 200);
    assert_eq!(chain.by("x").books().escrow, 0);
    assert!(chain.by("x").job_get(req, 1).is_none(), "closed");
}

/// Issue 42, finding 1: places go by a stake-weighted draw from the selecting call's
/// random seed, not by arrival. The draw is recomputed here from the seed.
#[test]
fn applicants_are_drawn_by_stake_from_the_random_seed() {
    let mut chain = Chain::new();
    let names = ["a1", "a2", "a3", "a4", "a5", "a6"];
    for (i, w) in names.iter().enumerate() {
        chain.provider(w, ROLE_COMPUTE, 1_000 * [1, 2, 3, 4, 5, 30][i]);
    }
    chain.paying("req").storage_deposit(None).unwrap();
    assert_eq!(post(&mut chain, 3, 2, 2, 200), Ok(0));
    for w in names {
        apply(&mut chain, w, 3).unwrap();
    }
    chain.height += 6;
    chain.seed = [42; 32];
    let selected = chain.by("x").job_select(account("req"), 3).unwrap();
    let stakes = [1_000, 2_000, 3_000, 4_000, 5_000, 30_000];
    let set =
        basalt_rules::select_weighted(&stakes, 2, |i| basalt_proof::selection_draw(&[42; 32], i));
    let expected: Vec<AccountId> = (0..6)
        .filter(|i| set & (1 << i) != 0)
        .map(|i| account(names[i]))
        .collect();
    assert_eq!(selected, expected);

    // One passed over cannot commit and is released at once; a selected one stays bound
    // until the job is finalized.
    let out = names[(0..6).find(|i| set & (1 << i) == 0).unwrap()];
    let picked = names[(0..6).find(|i| set & (1 << i) != 0).unwrap()];
    assert_eq!(
        chain
            .paying(out)
            .job_commit(account("req"), 3, Digest::from([0; 32])),
        Err(BasaltError::NotSelected)
    );
    assert_eq!(settle(&mut chain, 3, out), Ok(WorkerOutcome::NotSelected));
    assert_eq!(obligations(&mut chain, out), 0);
    assert_eq!(
        settle(&mut chain, 3, picked),
        Err(BasaltError::JobNotFinalized)
    );
}

/// A full applicant list cannot keep a better-staked worker out: it displaces the least
/// staked applicant, whose obligation ends and whose entry's storage comes back.
#[test]
fn a_full_list_admits_only_a_bigger_stake() {
    let mut chain = Chain::new();
    let names: Vec<String> = (0..=MAX_JOB_APPLICANTS).map(|i| format!("w{i}")).collect();
    for w in &names {
        chain.provider(w, ROLE_COMPUTE, 2_000);
    }
    chain.provider("big", ROLE_COMPUTE, 4_000);
    chain.paying("req").storage_deposit(None).unwrap();
    assert_eq!(post(&mut chain, 4, 3, 2, 300), Ok(0));
    let before = chain.storage("w0");
    for w in &names[..MAX_JOB_APPLICANTS] {
        apply(&mut chain, w, 4).unwrap();
    }
    let equal = &names[MAX_JOB_APPLICANTS];
    assert_eq!(
        apply(&mut chain, equal, 4),
        Err(BasaltError::ApplicantsFull)
    );
    apply(&mut chain, "big", 4).unwrap();
    let job = chain.by("x").job_get(account("req"), 4).unwrap();
    assert_eq!(job.workers.len(), MAX_JOB_APPLICANTS);
    assert_eq!(
        job.workers[0].worker,
        account("big"),
        "the newcomer took the place"
    );
    assert_eq!(obligations(&mut chain, "w0"), 0, "the displaced is free");
    assert_eq!(
        chain.storage("w0"),
        before + STORAGE.as_yoctonear(),
        "the displaced got its entry's storage back"
    );
}

/// Issue 42, finding 1: a quorum that is no strict majority of the reveals decides the
/// job but slashes nobody (it may be the colluding side).
#[test]
fn a_quorum_without_a_majority_slashes_nobody() {
    let mut chain = Chain::new();
    let names = ["w1", "w2", "w3", "w4"];
    for w in names {
        chain.provider(w, ROLE_COMPUTE, 2_000);
    }
    chain.paying("req").storage_deposit(None).unwrap();
    assert_eq!(post(&mut chain, 5, 4, 2, 400), Ok(0));
    for w in names {
        apply(&mut chain, w, 5).unwrap();
    }
    chain.height += 6;
    chain.by("x").job_select(account("req"), 5).unwrap();
    let results = [[1; 32], [1; 32], [2; 32], [3; 32]];
    for (w, r) in names.iter().zip(results) {
        commit(&mut chain, w, 5, r);
    }
    chain.height += 5;
    for (w, r) in names.iter().zip(results) {
        reveal(&mut chain, w, 5, r).unwrap();
    }
    chain.by("x").job_finalize(account("req"), 5).unwrap();
    let outcomes: Vec<_> = names.iter().map(|w| settle(&mut chain, 5, w)).collect();
    assert_eq!(
        outcomes,
        [
            Ok(WorkerOutcome::Paid),
            Ok(WorkerOutcome::Paid),
            Ok(WorkerOutcome::Disagreed),
            Ok(WorkerOutcome::Disagreed)
        ]
    );
    for w in ["w3", "w4"] {
        let p = chain.by("x").provider_get(account(w)).unwrap();
        assert_eq!((p.stake, p.reputation), (2_000, -1), "{w} is not slashed");
    }
    assert_eq!(chain.by("x").books().treasury, 0);
}
