use near_sdk::json_types::U128;

use super::*;
use crate::methods::job_commitment;
use crate::state::{Digest, JobStatus, WorkerOutcome, ROLE_COMPUTE, ROLE_STORAGE};

const REWARD: u128 = 100;

fn post(chain: &mut Chain, nonce: u64, n: u8, k: u8, amount: u128) -> Result<u128, BasaltError> {
    let msg = format!(
        r#"{{"action":"job_post","nonce":{nonce},"module_cid":"{m}","input_cid":"{i}","fuel_limit":1000000,"n":{n},"k":{k},"reward_per_worker":"{REWARD}","commit_deadline_block":{c},"reveal_deadline_block":{r}}}"#,
        m = Digest::from([1; 32]),
        i = Digest::from([2; 32]),
        c = chain.height + 10,
        r = chain.height + 20,
    );
    chain.transfer("req", amount, &msg)
}

fn commit(chain: &mut Chain, who: &str, nonce: u64, result: [u8; 32]) {
    let c = job_commitment(&result, &account(who), &[5; 32]);
    chain
        .paying(who)
        .job_commit(account("req"), nonce, Digest::from(c))
        .expect("commit");
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
        chain.paying("storage-only").job_claim(req.clone(), 7),
        Err(BasaltError::ProviderNotEligible)
    );
    for w in ["w1", "w2", "w3"] {
        chain.paying(w).job_claim(req.clone(), 7).unwrap();
    }
    assert_eq!(
        chain.paying("w1").job_claim(req.clone(), 7),
        Err(BasaltError::AlreadyClaimed)
    );
    assert_eq!(
        chain.paying("w4").job_claim(req.clone(), 7),
        Err(BasaltError::JobFull)
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
    let reveal = |chain: &mut Chain, who: &str, result: [u8; 32]| {
        chain
            .paying(who)
            .job_reveal(req.clone(), 7, Digest::from(result), Digest::from([5; 32]))
    };
    assert_eq!(
        reveal(&mut chain, "w1", good),
        Err(BasaltError::CommitPhaseOpen)
    );
    chain.height += 11;
    assert_eq!(
        chain.paying("w4").job_claim(req.clone(), 7),
        Err(BasaltError::CommitPhaseOver)
    );
    // A reveal must open the worker's own commitment.
    assert_eq!(
        reveal(&mut chain, "w1", bad),
        Err(BasaltError::RevealMismatch)
    );
    reveal(&mut chain, "w1", good).unwrap();
    reveal(&mut chain, "w2", good).unwrap();
    assert_eq!(
        chain.by("x").job_finalize(req.clone(), 7),
        Err(BasaltError::TooEarlyToFinalize)
    );
    reveal(&mut chain, "w3", bad).unwrap();
    assert_eq!(
        reveal(&mut chain, "w3", bad),
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
    assert_eq!(
        chain.by("x").job_settle(req.clone(), 7, account("w4")),
        Err(BasaltError::NotJobWorker)
    );
    assert_eq!(
        chain.by("x").job_settle(req.clone(), 7, account("w1")),
        Ok(WorkerOutcome::Paid)
    );
    assert_eq!(
        chain.by("x").job_settle(req.clone(), 7, account("w1")),
        Err(BasaltError::AlreadySettled)
    );
    assert_eq!(
        chain.by("x").job_settle(req.clone(), 7, account("w2")),
        Ok(WorkerOutcome::Paid)
    );
    assert_eq!(
        chain.by("x").job_settle(req.clone(), 7, account("w3")),
        Ok(WorkerOutcome::Disagreed)
    );
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
    chain.paying("w1").job_claim(req.clone(), 1).unwrap();
    chain.paying("w2").job_claim(req.clone(), 1).unwrap();
    commit(&mut chain, "w1", 1, [1; 32]);
    chain.height += 11;
    chain
        .paying("w1")
        .job_reveal(req.clone(), 1, Digest::from([1; 32]), Digest::from([5; 32]))
        .unwrap();
    assert_eq!(
        chain.by("x").job_finalize(req.clone(), 1),
        Err(BasaltError::TooEarlyToFinalize)
    );
    chain.height += 10;
    assert_eq!(
        chain
            .paying("w2")
            .job_reveal(req.clone(), 1, Digest::from([1; 32]), Digest::from([5; 32])),
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
    assert_eq!(
        chain.by("x").job_settle(req.clone(), 1, account("w1")),
        Ok(WorkerOutcome::NoQuorum)
    );
    assert_eq!(
        chain.by("x").job_settle(req.clone(), 1, account("w2")),
        Ok(WorkerOutcome::NoShow)
    );
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
}
