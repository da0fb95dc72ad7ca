//! The protocol's scenarios, written once. Each runs against any [`Chain`] and checks what
//! the protocol promises: who may do what, which error names a refusal, and where every
//! token goes. Where the chains must differ, the drivers bridge it and say so (see
//! `near.rs`); nothing here depends on the chain.

use anyhow::{bail, ensure, Context, Result};

use crate::blob::{TestBlob, K, M};
use crate::chain::*;

/// Fails unless the call succeeded.
fn ok(outcome: Outcome, what: &str) -> Result<()> {
    match outcome.with_context(|| what.to_string())? {
        Ok(()) => Ok(()),
        Err(name) => bail!("{what}: refused with {name}"),
    }
}

/// Fails unless the protocol refused the call with error `expected`.
fn refused(outcome: Outcome, expected: &str, what: &str) -> Result<()> {
    match outcome.with_context(|| what.to_string())? {
        Ok(()) => bail!("{what}: succeeded, expected {expected}"),
        Err(name) if name == expected => Ok(()),
        Err(name) => bail!("{what}: refused with {name}, expected {expected}"),
    }
}

/// A scenario: runs on any chain, fails with what went differently from the protocol.
pub type Scenario = fn(&mut dyn Chain) -> Result<()>;

/// Every scenario, by name, for the drivers' tests.
pub const ALL: &[(&str, Scenario)] = &[
    (
        "providers_stake_unbond_withdraw",
        providers_stake_unbond_withdraw,
    ),
    (
        "put_grant_prove_settle_refund",
        put_grant_prove_settle_refund,
    ),
    (
        "missed_proof_is_slashed_and_repaired",
        missed_proof_is_slashed_and_repaired,
    ),
    (
        "job_two_of_three_with_a_cheater",
        job_two_of_three_with_a_cheater,
    ),
    ("job_without_quorum_refunds", job_without_quorum_refunds),
    (
        "no_proofs_before_activation_or_after_expiry",
        no_proofs_before_activation_or_after_expiry,
    ),
];

/// Register, stake, unbond, wait, withdraw; stake moves only by the rules.
pub fn providers_stake_unbond_withdraw(chain: &mut dyn Chain) -> Result<()> {
    refused(
        chain.register_provider("p", 4),
        "InvalidRoles",
        "unknown role bit",
    )?;
    ok(chain.register_provider("p", ROLE_STORAGE), "register")?;
    ok(chain.stake("p", 1_500), "stake")?;
    ensure!(chain.tokens("p")? == FUNDS - 1_500, "stake left the wallet");
    refused(
        chain.unstake("p", 2_000),
        "InsufficientStake",
        "unstake too much",
    )?;
    chain.go_to(3, 5)?;
    ok(chain.unstake("p", 600), "unstake")?;
    let p = chain.provider("p")?;
    ensure!(
        (p.stake, p.unbonding, p.status.as_str()) == (900, 600, "Unbonding"),
        "after unstake: {p:?}"
    );
    chain.go_to(4, 99)?;
    refused(
        chain.withdraw_stake("p"),
        "StillUnbonding",
        "withdraw early",
    )?;
    chain.go_to(3 + UNBONDING_EPOCHS, 0)?;
    ok(chain.withdraw_stake("p"), "withdraw")?;
    ensure!(
        chain.tokens("p")? == FUNDS - 900,
        "unbonded stake came back"
    );
    ensure!(chain.provider("p")?.status == "Active", "active again");
    refused(
        chain.withdraw_stake("p"),
        "NothingUnbonding",
        "withdraw twice",
    )?;
    Ok(())
}

/// Registers six storage providers with `2_000` staked each.
fn storage_providers(chain: &mut dyn Chain, names: &[&str]) -> Result<()> {
    for name in names {
        ok(
            chain.register_provider(name, ROLE_STORAGE),
            "register holder",
        )?;
        ok(chain.stake(name, 2_000), "stake holder")?;
    }
    Ok(())
}

const HOLDERS: [&str; 6] = ["h0", "h1", "h2", "h3", "h4", "h5"];

/// Puts a blob on six holders (register + place), funded at 10 per shard-epoch.
fn put(chain: &mut dyn Chain, blob: &TestBlob, escrow: u64) -> Result<()> {
    ensure!(usize::from(K + M) == HOLDERS.len(), "one holder per shard");
    storage_providers(chain, &HOLDERS)?;
    ok(chain.register_blob("owner", blob, 50), "register blob")?;
    refused(
        chain.place("mallory", blob, 0, &HOLDERS),
        "Unauthorized",
        "a stranger places",
    )?;
    ok(chain.place("owner", blob, 0, &HOLDERS), "place")?;
    // Issue 28, finding 7: a stranger cannot open the deal first, at a price of its choosing.
    refused(
        chain.fund_deal("mallory", blob, 1_000_000, 1),
        "Unauthorized",
        "a stranger opens the owner's deal",
    )?;
    ok(chain.fund_deal("owner", blob, 10, escrow), "fund")?;
    Ok(())
}

/// Put, grant a reader, revoke; prove, reject a false proof, get paid once; refund.
pub fn put_grant_prove_settle_refund(chain: &mut dyn Chain) -> Result<()> {
    let blob = TestBlob::new(100_000, 1)?;
    put(chain, &blob, 100)?;
    ensure!(
        chain.tokens("owner")? == FUNDS - 100,
        "escrow left the wallet"
    );

    ensure!(!chain.can_read(&blob, "reader")?, "no grant, no read");
    refused(
        chain.grant("mallory", &blob, "mallory", ROLE_READ),
        "Unauthorized",
        "a stranger grants itself",
    )?;
    ok(chain.grant("owner", &blob, "reader", ROLE_READ), "grant")?;
    ensure!(chain.can_read(&blob, "reader")?, "granted reader reads");
    ok(chain.revoke("owner", &blob, "reader"), "revoke")?;
    ensure!(!chain.can_read(&blob, "reader")?, "revoked reader does not");

    chain.go_to(1, 10)?;
    refused(
        chain.prove("h1", &blob, 2, 1, 2),
        "NotShardHolder",
        "wrong holder",
    )?;
    refused(
        chain.prove("h2", &blob, 2, 1, 3),
        "InvalidProof",
        "another shard's data",
    )?;
    ok(chain.prove("h2", &blob, 2, 1, 2), "prove")?;
    refused(
        chain.prove("h2", &blob, 2, 1, 2),
        "AlreadyProven",
        "prove twice",
    )?;
    chain.go_to(1, PROOF_WINDOW + 1)?;
    refused(
        chain.prove("h3", &blob, 3, 1, 3),
        "OutsideProofWindow",
        "late proof",
    )?;

    let before = chain.tokens("h2")?;
    ok(chain.settle_deal(&blob, 2), "settle")?;
    ok(chain.settle_deal(&blob, 2), "settle again")?;
    ensure!(
        chain.tokens("h2")? == before + 10,
        "one proven epoch paid once"
    );

    refused(
        chain.refund_deal("mallory", &blob),
        "Unauthorized",
        "stranger refunds",
    )?;
    ok(chain.refund_deal("owner", &blob), "refund")?;
    ensure!(
        chain.tokens("owner")? == FUNDS - 10,
        "the unspent 90 came back"
    );
    ok(chain.delete_blob("owner", &blob), "delete")?;
    Ok(())
}

/// A holder misses a proof: slashed with a bounty, jailed, unjailed after the term; the
/// shard is repaired onto a spare provider.
pub fn missed_proof_is_slashed_and_repaired(chain: &mut dyn Chain) -> Result<()> {
    let blob = TestBlob::new(100_000, 2)?;
    put(chain, &blob, 100)?;
    chain.go_to(1, 10)?;
    ok(chain.prove("h0", &blob, 0, 1, 0), "h0 proves")?;
    refused(
        chain.slash_missed("cranker", &blob, 1, 1),
        "DeadlineNotPassed",
        "slash inside the window",
    )?;
    chain.go_to(1, PROOF_WINDOW + 1)?;
    refused(
        chain.slash_missed("cranker", &blob, 0, 1),
        "EpochWasProven",
        "slash a proven epoch",
    )?;
    // Issue 28, finding 8: the holder cannot crank its own slash to take the bounty back.
    refused(
        chain.slash_missed("h1", &blob, 1, 1),
        "SelfSlash",
        "the slashed holder cranks",
    )?;
    let cranker_before = chain.tokens("cranker")?;
    ok(chain.slash_missed("cranker", &blob, 1, 1), "slash h1")?;
    // 10 % of 2000 = 200, of which 20 % is the bounty.
    ensure!(
        chain.tokens("cranker")? == cranker_before + 40,
        "bounty paid"
    );
    let h1 = chain.provider("h1")?;
    ensure!(
        (h1.stake, h1.status.as_str(), h1.reputation) == (1_800, "Jailed", -1),
        "after slash: {h1:?}"
    );
    refused(
        chain.slash_missed("cranker", &blob, 1, 1),
        "ShardNeedsRepair",
        "slash twice",
    )?;
    chain.go_to(2, 50)?;
    refused(chain.unjail("h1"), "CannotUnjail", "unjail during the term")?;
    chain.go_to(3, 0)?;
    ok(chain.unjail("h1"), "unjail")?;
    storage_providers(chain, &["spare"])?;
    refused(
        chain.place("owner", &blob, 0, &["spare"]),
        "ShardNotRepairable",
        "move a healthy shard",
    )?;
    ok(chain.place("owner", &blob, 1, &["spare"]), "repair")?;
    Ok(())
}

fn compute_providers(chain: &mut dyn Chain, names: &[&str]) -> Result<()> {
    for name in names {
        ok(
            chain.register_provider(name, ROLE_COMPUTE),
            "register worker",
        )?;
        ok(chain.stake(name, 2_000), "stake worker")?;
    }
    Ok(())
}

/// Two of three agree; the cheater is slashed, the quorum paid, the excess refunded.
pub fn job_two_of_three_with_a_cheater(chain: &mut dyn Chain) -> Result<()> {
    compute_providers(chain, &["w1", "w2", "w3", "w4"])?;
    ok(chain.post_job("req", 7, 3, 2, 100, 10, 20), "post")?;
    ensure!(chain.tokens("req")? == FUNDS - 300, "escrow taken");
    for w in ["w1", "w2", "w3"] {
        ok(chain.claim(w, "req", 7), "claim")?;
    }
    refused(chain.claim("w4", "req", 7), "JobFull", "a fourth claim")?;
    let (good, bad) = ([0xAA; 32], [0xBB; 32]);
    ok(chain.commit("w1", "req", 7, good), "commit w1")?;
    ok(chain.commit("w2", "req", 7, good), "commit w2")?;
    ok(chain.commit("w3", "req", 7, bad), "commit w3")?;
    refused(
        chain.reveal("w1", "req", 7, good),
        "CommitPhaseOpen",
        "early reveal",
    )?;
    chain.advance(11)?;
    refused(
        chain.reveal("w1", "req", 7, bad),
        "RevealMismatch",
        "reveal another result",
    )?;
    ok(chain.reveal("w1", "req", 7, good), "reveal w1")?;
    ok(chain.reveal("w2", "req", 7, good), "reveal w2")?;
    refused(
        chain.finalize("req", 7),
        "TooEarlyToFinalize",
        "finalize early",
    )?;
    ok(chain.reveal("w3", "req", 7, bad), "reveal w3")?;
    ok(chain.finalize("req", 7), "finalize")?;
    ensure!(
        chain.tokens("req")? == FUNDS - 200,
        "the cheater's reward came back"
    );
    let before = [chain.tokens("w1")?, chain.tokens("w3")?];
    for w in ["w1", "w2", "w3"] {
        ok(chain.settle_worker("req", 7, w), "settle")?;
    }
    refused(
        chain.settle_worker("req", 7, "w1"),
        "AlreadySettled",
        "settle twice",
    )?;
    ensure!(chain.tokens("w1")? == before[0] + 100, "w1 paid");
    ensure!(chain.tokens("w3")? == before[1], "the cheater is not paid");
    let w3 = chain.provider("w3")?;
    ensure!(
        (w3.stake, w3.reputation) == (1_900, -1),
        "cheater slashed 5 %: {w3:?}"
    );
    ensure!(
        chain.provider("w1")?.reputation == 1,
        "agreeing worker gains reputation"
    );
    Ok(())
}

/// No result reaches the quorum: everything goes back; the no-show loses reputation.
pub fn job_without_quorum_refunds(chain: &mut dyn Chain) -> Result<()> {
    compute_providers(chain, &["w1", "w2"])?;
    ok(chain.post_job("req", 1, 2, 2, 100, 10, 20), "post")?;
    ok(chain.claim("w1", "req", 1), "claim w1")?;
    ok(chain.claim("w2", "req", 1), "claim w2")?;
    ok(chain.commit("w1", "req", 1, [1; 32]), "commit w1")?;
    chain.advance(11)?;
    ok(chain.reveal("w1", "req", 1, [1; 32]), "reveal w1")?;
    chain.advance(10)?;
    refused(
        chain.reveal("w2", "req", 1, [1; 32]),
        "RevealPhaseOver",
        "late reveal",
    )?;
    ok(chain.finalize("req", 1), "finalize")?;
    ensure!(chain.tokens("req")? == FUNDS, "everything refunded");
    refused(chain.finalize("req", 1), "JobNotOpen", "finalize twice")?;
    ok(chain.settle_worker("req", 1, "w1"), "settle w1")?;
    ok(chain.settle_worker("req", 1, "w2"), "settle w2")?;
    ensure!(
        chain.provider("w2")?.reputation == -1,
        "the no-show loses reputation"
    );
    ensure!(
        chain.provider("w1")?.reputation == 0,
        "no quorum: no change"
    );
    Ok(())
}

/// Issue 28, finding 4: a holder of an incompletely placed blob cannot prove (nothing is
/// paid for yet, and its proven epochs would pass to whoever the index is re-placed on), and
/// nobody proves or is slashed past the blob's expiry.
pub fn no_proofs_before_activation_or_after_expiry(chain: &mut dyn Chain) -> Result<()> {
    let blob = TestBlob::new(100_000, 3)?;
    ensure!(usize::from(K + M) == HOLDERS.len(), "one holder per shard");
    storage_providers(chain, &HOLDERS)?;
    ok(chain.register_blob("owner", &blob, 3), "register blob")?;
    ok(
        chain.place("owner", &blob, 0, &HOLDERS[..5]),
        "place all but one",
    )?;
    chain.go_to(1, 10)?;
    refused(
        chain.prove("h0", &blob, 0, 1, 0),
        "BlobNotActive",
        "prove an inactive blob",
    )?;
    ok(chain.place("owner", &blob, 5, &HOLDERS[5..]), "complete")?;
    ok(chain.fund_deal("owner", &blob, 10, 100), "fund")?;
    chain.go_to(2, 10)?;
    ok(chain.prove("h0", &blob, 0, 2, 0), "prove while paid for")?;
    chain.go_to(3, 10)?;
    refused(
        chain.prove("h0", &blob, 0, 3, 0),
        "BlobExpired",
        "prove after expiry",
    )?;
    chain.go_to(3, PROOF_WINDOW + 1)?;
    refused(
        chain.slash_missed("cranker", &blob, 1, 3),
        "BlobExpired",
        "slash after expiry",
    )?;
    Ok(())
}
