//! Jobs on the EVM where the Solidity could drift from the Rust every other chain runs:
//! the stake-weighted draw of the workers (`basalt_rules::select_weighted` over
//! `basalt_proof::selection_draw`) and the displacement of the least-staked applicant from
//! a full list (`basalt_rules::admit`). The job's whole life is the shared scenarios'
//! (`app-tests/scenarios/tests/evm.rs`).

use alloy::primitives::{Address, B256, U256};
use alloy::sol_types::{SolCall, SolEvent};
use anyhow::Result;
use basalt_evm_client::BasaltJobs::{self, BasaltJobsErrors};
use sha2::{Digest, Sha256};

use crate::deployment::{deploy, fund, register_as, Deployment, MIN_STAKE};

const REQUESTER: Address = Address::repeat_byte(0x5e);

fn refusal<C: SolCall>(d: &mut Deployment, who: Address, call: &C) -> Result<String> {
    let to = d.jobs;
    crate::deployment::refusal::<C, BasaltJobsErrors>(d, who, to, call)
}

/// A compute provider staking `stake`.
fn worker(d: &mut Deployment, i: usize, stake: u64) -> Result<Address> {
    let who = Address::left_padding_from(&[0xc0, i as u8]);
    fund(d, who)?;
    register_as(d, who, 2)?;
    let call = basalt_evm_client::BasaltProviders::stakeCall {
        amount: U256::from(stake),
    };
    d.evm.ok(who, d.providers, &call)?;
    Ok(who)
}

/// Job `nonce` of `REQUESTER` for `n` workers, applications until block `apply`.
fn post(d: &mut Deployment, nonce: u64, n: u8, apply: u64) -> Result<B256> {
    fund(d, REQUESTER)?;
    let call = BasaltJobs::postCall {
        args: BasaltJobs::JobArgs {
            nonce,
            moduleCid: B256::repeat_byte(1),
            inputCid: B256::repeat_byte(2),
            fuelLimit: 1,
            n,
            k: 1,
            rewardPerWorker: 1,
            applyDeadline: apply,
            commitDeadline: apply + 10,
            revealDeadline: apply + 20,
            outputBudget: 0,
            outputPrice: 0,
            outputDeadline: 0,
            outputEncrypted: false,
            inputVersion: B256::ZERO,
            publishDataset: B256::ZERO,
            publishTag: String::new(),
            publishBudget: 0,
        },
    };
    Ok(d.evm.ok(REQUESTER, d.jobs, &call)?.0)
}

#[test]
fn the_draw_selects_whom_basalt_rules_selects() -> Result<()> {
    let mut d = deploy()?;
    // Stakes from the minimum to ten times it, so the weights matter.
    let stakes: Vec<u64> = (0..12).map(|i| MIN_STAKE as u64 * (1 + i % 10)).collect();
    let workers = stakes
        .iter()
        .enumerate()
        .map(|(i, stake)| worker(&mut d, i, *stake))
        .collect::<Result<Vec<_>>>()?;
    for (nonce, n) in [(1u64, 1u8), (2, 3), (3, 7), (4, 12)] {
        let apply = d.evm.block() + 5;
        let id = post(&mut d, nonce, n, apply)?;
        assert_eq!(id, basalt_evm_client::job_id(REQUESTER, nonce));
        for who in &workers {
            d.evm.ok(*who, d.jobs, &BasaltJobs::applyForCall { id })?;
        }
        d.evm.set_block(apply + 1);
        d.evm
            .ok(REQUESTER, d.jobs, &BasaltJobs::selectCall { id })?;
        let bank_hash = d.evm.block_hash(apply)?;
        let seed: [u8; 32] = Sha256::new()
            .chain_update(bank_hash)
            .chain_update(id)
            .finalize()
            .into();
        let weights: Vec<u128> = stakes.iter().map(|s| u128::from(*s)).collect();
        let want = basalt_rules::select_weighted(&weights, usize::from(n), |i| {
            basalt_proof::selection_draw(&seed, i)
        });
        let chosen = d
            .evm
            .ok(REQUESTER, d.jobs, &BasaltJobs::workersCall { id })?
            .0;
        let got = chosen
            .iter()
            .enumerate()
            .filter(|(_, w)| w.selected)
            .fold(0u64, |set, (i, _)| set | 1 << i);
        assert_eq!(got, want, "{n} of {} applicants", stakes.len());
        assert_eq!(got.count_ones(), u32::from(n));
        d.evm.set_block(apply + 2);
    }
    Ok(())
}

#[test]
fn a_full_list_admits_a_newcomer_only_over_the_least_staked() -> Result<()> {
    let mut d = deploy()?;
    let apply = 50;
    let id = post(&mut d, 9, 16, apply)?;
    let max = basalt_rules::MAX_JOB_APPLICANTS;
    // A full list: the least stake (the minimum) at index 3 and 7.
    let mut applicants = Vec::new();
    for i in 0..max {
        let stake = if i == 3 || i == 7 {
            MIN_STAKE as u64
        } else {
            300
        };
        let who = worker(&mut d, i, stake)?;
        d.evm.ok(who, d.jobs, &BasaltJobs::applyForCall { id })?;
        applicants.push(who);
    }
    let equal = worker(&mut d, 100, MIN_STAKE as u64)?;
    assert_eq!(
        refusal(&mut d, equal, &BasaltJobs::applyForCall { id })?,
        "ApplicantsFull"
    );
    assert_eq!(
        refusal(&mut d, applicants[0], &BasaltJobs::applyForCall { id })?,
        "AlreadyApplied"
    );
    let richer = worker(&mut d, 101, 200)?;
    let (_, logs) = d.evm.ok(richer, d.jobs, &BasaltJobs::applyForCall { id })?;
    let applied = logs
        .iter()
        .find_map(|l| BasaltJobs::JobApplied::decode_log(l).ok())
        .expect("JobApplied");
    assert_eq!(
        applied.displaced, applicants[3],
        "the earliest of the least staked"
    );
    let list = d.evm.ok(richer, d.jobs, &BasaltJobs::workersCall { id })?.0;
    assert_eq!((list.len(), list[3].worker), (max, richer));
    // The displaced provider's obligation ended with its place.
    let record = crate::deployment::record(&mut d, applicants[3])?;
    assert_eq!(record.openObligations, 0);
    d.evm.set_block(apply + 1);
    assert_eq!(
        refusal(&mut d, applicants[3], &BasaltJobs::applyForCall { id })?,
        "ApplyPhaseOver"
    );
    Ok(())
}
