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
        "anyone_repairs_a_lost_shard_paid_by_the_deal",
        anyone_repairs_a_lost_shard_paid_by_the_deal,
    ),
    (
        "job_two_of_three_with_a_cheater",
        job_two_of_three_with_a_cheater,
    ),
    ("job_without_quorum_refunds", job_without_quorum_refunds),
    (
        "a_wallet_farm_cannot_buy_a_job_quorum",
        a_wallet_farm_cannot_buy_a_job_quorum,
    ),
    (
        "a_quorum_without_a_majority_slashes_nobody",
        a_quorum_without_a_majority_slashes_nobody,
    ),
    (
        "no_proofs_before_activation_or_after_expiry",
        no_proofs_before_activation_or_after_expiry,
    ),
    (
        "only_accepted_placements_are_obligations",
        only_accepted_placements_are_obligations,
    ),
    (
        "slashes_per_provider_and_epoch_are_capped",
        slashes_per_provider_and_epoch_are_capped,
    ),
    (
        "obligations_end_with_the_deal",
        obligations_end_with_the_deal,
    ),
    (
        "stake_stays_while_obligations_stay",
        stake_stays_while_obligations_stay,
    ),
    ("acceptance_binds_the_price", acceptance_binds_the_price),
    (
        "a_silent_holder_is_evicted_and_pays_its_repair",
        a_silent_holder_is_evicted_and_pays_its_repair,
    ),
    ("grants_die_with_their_blob", grants_die_with_their_blob),
    (
        "registering_a_digest_first_blocks_nobody",
        registering_a_digest_first_blocks_nobody,
    ),
    (
        "proofs_without_a_deal_are_not_back_paid",
        proofs_without_a_deal_are_not_back_paid,
    ),
    (
        "an_agreeing_worker_stores_the_output_for_the_requester",
        an_agreeing_worker_stores_the_output_for_the_requester,
    ),
    (
        "an_output_budget_nobody_uses_goes_back",
        an_output_budget_nobody_uses_goes_back,
    ),
    (
        "an_output_the_requester_already_stores_is_linked",
        an_output_the_requester_already_stores_is_linked,
    ),
    (
        "dataset_versions_are_published_by_writers_on_real_parents",
        dataset_versions_are_published_by_writers_on_real_parents,
    ),
    (
        "an_agreeing_worker_publishes_the_output_as_the_asked_version",
        an_agreeing_worker_publishes_the_output_as_the_asked_version,
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

    // Issue 42, finding 5: the record closes once nothing is left in it, rent back.
    refused(chain.deregister("p"), "StakeRemaining", "deregister staked")?;
    ok(chain.unstake("p", 900), "unstake the rest")?;
    refused(
        chain.deregister("p"),
        "StakeRemaining",
        "deregister while unbonding",
    )?;
    chain.go_to(3 + 2 * UNBONDING_EPOCHS, 0)?;
    ok(chain.withdraw_stake("p"), "withdraw the rest")?;
    ensure!(chain.tokens("p")? == FUNDS, "every token came back");
    ok(chain.deregister("p"), "deregister")?;
    ensure!(!chain.is_registered("p")?, "the record is gone");
    ok(
        chain.register_provider("p", ROLE_STORAGE),
        "register again, from scratch",
    )?;
    ensure!(
        chain.provider("p")?
            == ProviderView {
                stake: 0,
                unbonding: 0,
                status: "Active".into(),
                reputation: 0,
            },
        "a fresh record"
    );
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

/// The expiry epoch of the scenarios' blobs, unless one says otherwise.
const EXPIRY: u64 = 50;
/// What the scenarios' deals pay per shard-epoch, unless one says otherwise.
const PRICE: u64 = 10;

/// The terms a holder of shard `index` of `blob` signs for: the real column root, expiry
/// `expiry_epoch` and [`PRICE`].
fn terms(blob: &TestBlob, index: u16, expiry_epoch: u64) -> Terms {
    Terms {
        column_root: blob.column_roots()[usize::from(index)],
        expiry_epoch,
        price_per_shard_epoch: u128::from(PRICE),
    }
}

/// Every holder in `holders` (shard `first + i` for the i-th) accepts its placement on the
/// blob's terms (expiring at `expiry_epoch`), as its node does once it stored the column.
fn accept_all(
    chain: &mut dyn Chain,
    blob: &TestBlob,
    expiry_epoch: u64,
    first: u16,
    holders: &[&str],
) -> Result<()> {
    for (index, holder) in (first..).zip(holders) {
        let terms = terms(blob, index, expiry_epoch);
        ok(chain.accept(holder, blob, index, &terms), "accept")?;
    }
    Ok(())
}

/// Puts a blob on six holders (register + place + every holder accepts), funded at 10 per
/// shard-epoch.
fn put(chain: &mut dyn Chain, blob: &TestBlob, escrow: u64) -> Result<()> {
    ensure!(usize::from(K + M) == HOLDERS.len(), "one holder per shard");
    storage_providers(chain, &HOLDERS)?;
    put_on_registered(chain, blob, escrow)
}

/// [`put`] on the already registered [`HOLDERS`].
fn put_on_registered(chain: &mut dyn Chain, blob: &TestBlob, escrow: u64) -> Result<()> {
    ok(chain.register_blob("owner", blob, EXPIRY), "register blob")?;
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
    ok(chain.fund_deal("owner", blob, PRICE, escrow), "fund")?;
    // Issue 42, finding 3: nor keep it alive with money of its own.
    refused(
        chain.top_up("mallory", blob, 1),
        "Unauthorized",
        "a stranger tops up the owner's deal",
    )?;
    accept_all(chain, blob, EXPIRY, 0, &HOLDERS)
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

/// Issue 29, repair: once a blob is active, anyone may move a shard that awaits repair to
/// a new holder (the owner may be long gone), and the deal pays the new holder for the
/// rebuild: [`REPAIR_CREDIT_EPOCHS`] shard-epochs at the price it accepted, owed from its
/// acceptance and settled like proven epochs. Nobody may move a healthy shard, or place a
/// blob that is not active yet.
pub fn anyone_repairs_a_lost_shard_paid_by_the_deal(chain: &mut dyn Chain) -> Result<()> {
    let blob = TestBlob::new(100_000, 2)?;
    put(chain, &blob, 600)?;
    chain.go_to(1, PROOF_WINDOW + 1)?;
    ok(chain.slash_missed("cranker", &blob, 1, 1), "slash h1")?;
    storage_providers(chain, &["spare"])?;
    refused(
        chain.place("mallory", &blob, 0, &["spare"]),
        "ShardNotRepairable",
        "a stranger moves a healthy shard",
    )?;
    ok(
        chain.place("mallory", &blob, 1, &["spare"]),
        "a stranger repairs the lost shard",
    )?;
    let before = chain.tokens("spare")?;
    ok(chain.settle_deal(&blob, 1), "settle before the acceptance")?;
    ensure!(chain.tokens("spare")? == before, "nothing owed to an offer");
    let terms = terms(&blob, 1, EXPIRY);
    ok(
        chain.accept("spare", &blob, 1, &terms),
        "the new holder accepts",
    )?;
    ok(chain.settle_deal(&blob, 1), "settle the repair")?;
    ensure!(
        chain.tokens("spare")? == before + REPAIR_CREDIT_EPOCHS * PRICE,
        "the rebuild is paid from the deal"
    );
    ok(chain.settle_deal(&blob, 1), "settle again")?;
    ensure!(
        chain.tokens("spare")? == before + REPAIR_CREDIT_EPOCHS * PRICE,
        "paid once"
    );

    let unplaced = TestBlob::new(50_000, 3)?;
    ok(chain.register_blob("owner", &unplaced, EXPIRY), "register")?;
    refused(
        chain.place("mallory", &unplaced, 0, &HOLDERS),
        "Unauthorized",
        "a stranger places a blob that is not active",
    )?;
    Ok(())
}

/// Issue 29, heartbeats: a holder silent for more than `offline_ticks` loses its shards to
/// repair before the proof it is going to miss, at anyone's request and without a slash or
/// a jail, but pays the repair credit the deal owes its successor (issue 42: walking away
/// from an accepted shard is not free); its proven epochs are still paid. A holder that heartbeats keeps them, and one that
/// already missed a slashable proof is slashed, not evicted.
pub fn a_silent_holder_is_evicted_and_pays_its_repair(chain: &mut dyn Chain) -> Result<()> {
    let blob = TestBlob::new(100_000, 4)?;
    // Every holder registered, heartbeating once, in epoch 0; the blob is owed from epoch 1.
    put(chain, &blob, 600)?;
    chain.go_to(1, 10)?;
    ok(chain.prove("h0", &blob, 0, 1, 0), "h0 proves epoch 1")?;
    ok(chain.heartbeat("h1"), "h1 heartbeats")?;
    chain.go_to(2, 10)?;
    ok(chain.prove("h0", &blob, 0, 2, 0), "h0 proves epoch 2")?;
    // Epoch 2's window closed; h0 proves but has been silent since epoch 0.
    chain.go_to(2, PROOF_WINDOW + 10)?;
    ensure!(
        (2 * EPOCH + PROOF_WINDOW + 10) - (EPOCH + 10) <= OFFLINE_TICKS,
        "h1's heartbeat (at 1, 10) still counts"
    );
    refused(
        chain.evict("cranker", &blob, 1),
        "HolderNotOffline",
        "evict a holder that heartbeats",
    )?;
    refused(
        chain.evict("cranker", &blob, 2),
        "MissedProofPending",
        "evict a silent holder whose miss is slashable",
    )?;
    let before = chain.provider("h0")?;
    let deal_before = chain.deal_balance(&blob)?.context("the blob has a deal")?;
    ok(chain.evict("cranker", &blob, 0), "evict silent h0")?;
    let charge = REPAIR_CREDIT_EPOCHS * PRICE;
    ensure!(
        chain.provider("h0")?
            == ProviderView {
                stake: before.stake - charge,
                ..before
            },
        "silence costs the shard and its repair, not freedom or reputation"
    );
    ensure!(
        chain.deal_balance(&blob)? == Some(deal_before + charge),
        "the repair charge goes to the deal, which owes the repair credit"
    );
    refused(
        chain.evict("cranker", &blob, 0),
        "ShardNeedsRepair",
        "evict twice",
    )?;
    chain.go_to(3, 10)?;
    refused(
        chain.prove("h0", &blob, 0, 3, 0),
        "ShardNeedsRepair",
        "the evicted holder owes no more proofs",
    )?;

    storage_providers(chain, &["spare"])?;
    refused(
        chain.place("mallory", &blob, 0, &["spare"]),
        "UnsettledPayouts",
        "move the index before h0 is paid",
    )?;
    let h0_before = chain.tokens("h0")?;
    ok(chain.settle_deal(&blob, 0), "settle h0's proven epochs")?;
    ensure!(
        chain.tokens("h0")? == h0_before + 2 * PRICE,
        "both proven epochs paid to the evicted holder"
    );
    ok(chain.place("mallory", &blob, 0, &["spare"]), "repair")?;
    refused(
        chain.evict("cranker", &blob, 0),
        "ShardNotAccepted",
        "evict an offer",
    )?;
    Ok(())
}

/// Issue 42, finding 2: a grant never outlives its blob. A grant left behind by a deletion
/// would give its grantee rights on the next registration at the same address (the same
/// owner storing the same content again): a blob cannot be deleted while it has grants, and
/// revoking them (the rent back to their payers) comes first.
pub fn grants_die_with_their_blob(chain: &mut dyn Chain) -> Result<()> {
    let blob = TestBlob::new(60_000, 5)?;
    ok(chain.register_blob("owner", &blob, EXPIRY), "register")?;
    ok(
        chain.grant("owner", &blob, "admin", ROLE_ADMIN),
        "grant ADMIN",
    )?;
    ok(
        chain.grant("admin", &blob, "reader", ROLE_READ),
        "the ADMIN grants a reader",
    )?;
    refused(
        chain.delete_blob("owner", &blob),
        "GrantsOpen",
        "delete a blob that has grants",
    )?;
    ok(chain.revoke("owner", &blob, "reader"), "revoke the reader")?;
    ok(chain.revoke("owner", &blob, "admin"), "revoke the ADMIN")?;
    ok(chain.delete_blob("owner", &blob), "delete")?;

    // The same content registered again, by its owner (the same address) or by someone
    // else: the old grantees have no rights on either registration.
    for owner in ["owner", "owner2"] {
        ok(
            chain.register_blob(owner, &blob, EXPIRY),
            "register the same content again",
        )?;
        refused(
            chain.grant("admin", &blob, "mallory", ROLE_READ),
            "Unauthorized",
            "the old ADMIN grants on the new registration",
        )?;
    }
    ensure!(
        !chain.can_read(&blob, "reader")?,
        "the old reader reads the new registration"
    );
    ok(
        chain.grant("owner2", &blob, "reader", ROLE_READ),
        "the new owner grants anew",
    )?;
    Ok(())
}

/// Issue 42, finding 3: a blob is one owner's registration of some content. Registering a
/// digest first (a public file's, or one read from a pending transaction) used to take the
/// content's only address and make the owner's own registration fail with an account that
/// already exists; now it takes only the squatter's address and gives no rights on the
/// owner's blob.
pub fn registering_a_digest_first_blocks_nobody(chain: &mut dyn Chain) -> Result<()> {
    let blob = TestBlob::new(60_000, 17)?;
    ok(
        chain.register_blob("mallory", &blob, EXPIRY),
        "a squatter registers the content first",
    )?;
    put(chain, &blob, 100)?;
    ensure!(
        chain.can_read(&blob, "owner")?,
        "the owner reads its own blob"
    );
    refused(
        chain.grant("mallory", &blob, "mallory", ROLE_READ),
        "Unauthorized",
        "the squatter grants itself the owner's blob",
    )?;
    Ok(())
}

/// Issue 42, finding 8: a holder that keeps proving while the blob has no deal (the owner
/// cancelled it) is not paid for those epochs by a deal opened later, at that deal's price:
/// nobody promised to pay them. Epochs proven under the new deal are paid as usual.
pub fn proofs_without_a_deal_are_not_back_paid(chain: &mut dyn Chain) -> Result<()> {
    let blob = TestBlob::new(100_000, 61)?;
    put(chain, &blob, 600)?;
    ok(chain.refund_deal("owner", &blob), "cancel the deal")?;
    chain.go_to(1, 10)?;
    ok(
        chain.prove("h0", &blob, 0, 1, 0),
        "h0 proves without a deal",
    )?;
    ok(
        chain.fund_deal("owner", &blob, 2 * PRICE, 600),
        "reopen it at twice the price",
    )?;
    let before = chain.tokens("h0")?;
    ok(chain.settle_deal(&blob, 0), "settle")?;
    ensure!(
        chain.tokens("h0")? == before,
        "the epoch proven without a deal was paid by the new one"
    );
    chain.go_to(2, 10)?;
    ok(
        chain.prove("h0", &blob, 0, 2, 0),
        "h0 proves under the new deal",
    )?;
    ok(chain.settle_deal(&blob, 0), "settle again")?;
    ensure!(
        chain.tokens("h0")? == before + 2 * PRICE,
        "the epoch proven under the new deal is paid at its price"
    );
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

/// Two of three agree; the cheater is slashed, the quorum paid, the excess refunded, and the
/// finished job's record goes.
pub fn job_two_of_three_with_a_cheater(chain: &mut dyn Chain) -> Result<()> {
    compute_providers(chain, &["w1", "w2", "w3", "w4"])?;
    ok(chain.post_job("req", 7, (3, 2), 100, [5, 10, 20]), "post")?;
    ensure!(chain.tokens("req")? == FUNDS - 300, "escrow taken");
    for w in ["w1", "w2", "w3"] {
        ok(chain.apply(w, "req", 7), "apply")?;
    }
    refused(chain.apply("w1", "req", 7), "AlreadyApplied", "apply twice")?;
    refused(chain.select("req", 7), "ApplyPhaseOpen", "select early")?;
    chain.advance(6)?;
    refused(
        chain.apply("w4", "req", 7),
        "ApplyPhaseOver",
        "a late application",
    )?;
    ok(chain.select("req", 7), "select")?;
    refused(chain.select("req", 7), "AlreadySelected", "select twice")?;
    ensure!(
        chain.selected("req", 7)? == ["w1", "w2", "w3"],
        "n applicants all work"
    );
    let (good, bad) = ([0xAA; 32], [0xBB; 32]);
    ok(chain.commit("w1", "req", 7, good), "commit w1")?;
    ok(chain.commit("w2", "req", 7, good), "commit w2")?;
    ok(chain.commit("w3", "req", 7, bad), "commit w3")?;
    refused(
        chain.reveal("w1", "req", 7, good),
        "CommitPhaseOpen",
        "early reveal",
    )?;
    chain.advance(5)?;
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
    for w in ["w1", "w2"] {
        ok(chain.settle_worker("req", 7, w), "settle")?;
    }
    refused(
        chain.settle_worker("req", 7, "w1"),
        "AlreadySettled",
        "settle twice",
    )?;
    ok(chain.settle_worker("req", 7, "w3"), "settle")?;
    ensure!(
        !chain.job_exists("req", 7)?,
        "the last settlement removed the job"
    );
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

/// A job's output, ten epochs of RS(4, 2) at [`PRICE`].
const OUTPUT: OutputAsk = OutputAsk {
    budget: 600,
    price: PRICE,
    deadline_in: 60,
    encrypted: false,
};

/// Three workers run job `nonce` of "req" (posted with `output`) to a finalized 2-of-3:
/// w1 and w2 reveal `agreed`, w3 another result.
fn run_job_to_quorum(
    chain: &mut dyn Chain,
    nonce: u64,
    output: &OutputAsk,
    agreed: [u8; 32],
) -> Result<()> {
    ok(
        chain.post_job_storing("req", nonce, (3, 2), 100, JOB_DEADLINES, Some(output)),
        "post",
    )?;
    run_posted_job_to_quorum(chain, nonce, agreed)
}

/// What [`run_job_to_quorum`] posts with.
const JOB_DEADLINES: [u64; 3] = [5, 10, 20];

/// As [`run_job_to_quorum`], for job `nonce` already posted.
fn run_posted_job_to_quorum(chain: &mut dyn Chain, nonce: u64, agreed: [u8; 32]) -> Result<()> {
    for w in ["w1", "w2", "w3"] {
        ok(chain.apply(w, "req", nonce), "apply")?;
    }
    chain.advance(6)?;
    ok(chain.select("req", nonce), "select")?;
    let results = [("w1", agreed), ("w2", agreed), ("w3", [0xBB; 32])];
    for (w, result) in results {
        ok(chain.commit(w, "req", nonce, result), "commit")?;
    }
    chain.advance(5)?;
    for (w, result) in results {
        ok(chain.reveal(w, "req", nonce, result), "reveal")?;
    }
    ok(chain.finalize("req", nonce), "finalize")
}

/// Issue 30: the output becomes a blob of the requester's, registered by a worker that
/// agreed, paid by the budget the requester escrowed; only then are the agreeing workers
/// paid. Nobody else registers it, nor anything but the agreed result in the clear.
pub fn an_agreeing_worker_stores_the_output_for_the_requester(chain: &mut dyn Chain) -> Result<()> {
    compute_providers(chain, &["w1", "w2", "w3"])?;
    storage_providers(chain, &HOLDERS)?;
    chain.go_to(1, 0)?;
    let output = TestBlob::new(50_000, 30)?;
    let forged = TestBlob::new(50_000, 31)?;
    run_job_to_quorum(chain, 1, &OUTPUT, output.cid_digest())?;
    ensure!(
        chain.tokens("req")? == FUNDS - 200 - OUTPUT.budget,
        "the rewards of the two agreeing workers and the output budget stay in escrow"
    );
    refused(
        chain.settle_worker("req", 1, "w1"),
        "OutputPending",
        "an agreeing worker is paid before the output is stored",
    )?;
    refused(
        chain.register_output("w3", "req", 1, &output),
        "NotAgreeingWorker",
        "the out-voted worker registers the output",
    )?;
    refused(
        chain.register_output("mallory", "req", 1, &output),
        "NotAgreeingWorker",
        "a stranger registers the output",
    )?;
    refused(
        chain.register_output("w1", "req", 1, &forged),
        "OutputMismatch",
        "a plain output other than the agreed result",
    )?;
    ok(chain.register_output("w1", "req", 1, &output), "register")?;
    ensure!(
        chain.deal_balance(&output)? == Some(OUTPUT.budget),
        "the budget opened the output's deal"
    );
    refused(
        chain.place("w2", &output, 0, &HOLDERS),
        "Unauthorized",
        "another worker places the output",
    )?;
    ok(
        chain.place("w1", &output, 0, &HOLDERS),
        "the registering worker places",
    )?;
    // Registered in epoch 1: ten epochs of six shards at the price.
    accept_all(chain, &output, 11, 0, &HOLDERS)?;
    ensure!(
        chain.can_read(&output, "anyone")?,
        "a plain output is public once its holders accepted"
    );
    publish_the_output(chain, &output)?;
    let before = [chain.tokens("w1")?, chain.tokens("w2")?];
    for w in ["w1", "w2", "w3"] {
        ok(chain.settle_worker("req", 1, w), "settle")?;
    }
    ensure!(
        [chain.tokens("w1")?, chain.tokens("w2")?] == [before[0] + 100, before[1] + 100],
        "the agreeing workers are paid once the output is stored"
    );
    ensure!(!chain.job_exists("req", 1)?, "the job closed");
    ensure!(
        chain.tokens("req")? == FUNDS - 200 - OUTPUT.budget,
        "the budget went into the output's deal, not back"
    );
    Ok(())
}

/// Issue 30: an output whose content the requester already stores as a blob of its own
/// (whose address the output's blob would take) is recorded as that blob by an agreeing
/// worker, once; nothing is funded, the agreeing workers are paid at once and the budget
/// comes back when the job closes.
pub fn an_output_the_requester_already_stores_is_linked(chain: &mut dyn Chain) -> Result<()> {
    compute_providers(chain, &["w1", "w2", "w3"])?;
    chain.go_to(1, 0)?;
    let output = TestBlob::new(20_000, 34)?;
    ok(
        chain.register_blob("req", &output, 20),
        "the requester's own blob",
    )?;
    run_job_to_quorum(chain, 1, &OUTPUT, output.cid_digest())?;
    let before = chain.tokens("req")?;
    refused(
        chain.link_output("w3", "req", 1, &output),
        "NotAgreeingWorker",
        "the out-voted worker links the output",
    )?;
    ok(chain.link_output("w1", "req", 1, &output), "link")?;
    refused(
        chain.link_output("w2", "req", 1, &output),
        "OutputAlreadyStored",
        "a second link",
    )?;
    ensure!(
        chain.deal_balance(&output)?.is_none(),
        "no deal was opened for the linked blob"
    );
    let paid = [chain.tokens("w1")?, chain.tokens("w2")?];
    for w in ["w1", "w2", "w3"] {
        ok(
            chain.settle_worker("req", 1, w),
            "settle before the deadline",
        )?;
    }
    ensure!(
        [chain.tokens("w1")?, chain.tokens("w2")?] == [paid[0] + 100, paid[1] + 100],
        "the agreeing workers are paid at once"
    );
    ensure!(
        chain.tokens("req")? == before + OUTPUT.budget,
        "the budget came back as the job closed"
    );
    Ok(())
}

/// Issue 30: a stored output is registered once (a sealed output's digest is its
/// ciphertext's, so any digest is taken, from an agreeing worker); a budget nobody used by
/// the deadline, or of a job that failed, goes back to the requester, and the agreeing
/// workers are paid after the deadline without the output.
pub fn an_output_budget_nobody_uses_goes_back(chain: &mut dyn Chain) -> Result<()> {
    compute_providers(chain, &["w1", "w2", "w3"])?;
    let sealed = OutputAsk {
        encrypted: true,
        ..OUTPUT
    };
    let (first, second) = (TestBlob::new(20_000, 32)?, TestBlob::new(20_000, 33)?);
    run_job_to_quorum(chain, 1, &sealed, [0xAA; 32])?;
    ok(
        chain.register_output("w1", "req", 1, &first),
        "register sealed",
    )?;
    refused(
        chain.register_output("w2", "req", 1, &second),
        "OutputAlreadyStored",
        "a second output",
    )?;
    for w in ["w1", "w2", "w3"] {
        ok(chain.settle_worker("req", 1, w), "settle")?;
    }

    run_job_to_quorum(chain, 2, &OUTPUT, [0xAA; 32])?;
    refused(
        chain.settle_worker("req", 2, "w1"),
        "OutputPending",
        "pay waits for the output",
    )?;
    chain.advance(OUTPUT.deadline_in)?;
    refused(
        chain.register_output("w1", "req", 2, &second),
        "OutputDeadlinePassed",
        "an output after its deadline",
    )?;
    let before = chain.tokens("req")?;
    for w in ["w1", "w2", "w3"] {
        ok(
            chain.settle_worker("req", 2, w),
            "settle after the deadline",
        )?;
    }
    ensure!(
        chain.tokens("req")? == before + OUTPUT.budget,
        "the unused budget came back as the job closed"
    );

    let before = chain.tokens("req")?;
    ok(
        chain.post_job_storing("req", 3, (2, 2), 100, [5, 10, 20], Some(&OUTPUT)),
        "post",
    )?;
    chain.advance(21)?;
    ok(chain.finalize("req", 3), "finalize without workers")?;
    ensure!(
        chain.tokens("req")? == before,
        "a failed job returns rewards and budget"
    );
    refused(
        chain.post_job_storing(
            "req",
            4,
            (2, 2),
            100,
            [5, 10, 20],
            Some(&OutputAsk {
                deadline_in: 20,
                ..OUTPUT
            }),
        ),
        "InvalidJobParams",
        "an output deadline not after the reveals",
    )?;
    Ok(())
}

/// No result reaches the quorum: everything goes back; the no-show loses reputation.
pub fn job_without_quorum_refunds(chain: &mut dyn Chain) -> Result<()> {
    compute_providers(chain, &["w1", "w2"])?;
    ok(chain.post_job("req", 1, (2, 2), 100, [5, 10, 20]), "post")?;
    ok(chain.apply("w1", "req", 1), "apply w1")?;
    ok(chain.apply("w2", "req", 1), "apply w2")?;
    chain.advance(6)?;
    ok(chain.select("req", 1), "select")?;
    ok(chain.commit("w1", "req", 1, [1; 32]), "commit w1")?;
    chain.advance(5)?;
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

/// Issue 42, finding 1, the attack: one operator's wallets apply first, with the least stake
/// each, to take two of three places and out-vote (and have slashed) an honest worker. On
/// the landed code places went to the first claimants (`job_claim`, first come first
/// served), so the attack always worked. Now places are drawn by stake after the apply
/// deadline: with 2,000 of 4,502,000 staked the farm wins two places with probability
/// about 3 s^2 = 6e-7 (docs/security.md). Honest workers agree, and nobody honest loses
/// stake.
pub fn a_wallet_farm_cannot_buy_a_job_quorum(chain: &mut dyn Chain) -> Result<()> {
    let farm = ["m1", "m2"];
    let honest = ["h1", "h2", "h3", "h4", "h5"];
    for name in farm.iter().chain(&honest) {
        ok(
            chain.register_provider(name, ROLE_COMPUTE),
            "register worker",
        )?;
    }
    for name in farm {
        ok(chain.stake(name, MIN_STAKE), "stake the least")?;
    }
    for name in honest {
        ok(chain.stake(name, 900_000), "stake")?;
    }
    ok(chain.post_job("req", 3, (3, 2), 100, [5, 10, 20]), "post")?;
    for name in farm.iter().chain(&honest) {
        ok(chain.apply(name, "req", 3), "apply, the farm first")?;
    }
    chain.advance(6)?;
    ok(chain.select("req", 3), "select")?;
    let selected = chain.selected("req", 3)?;
    ensure!(selected.len() == 3, "three drawn: {selected:?}");
    let farm_places = selected
        .iter()
        .filter(|w| farm.contains(&w.as_str()))
        .count();
    ensure!(
        farm_places < 2,
        "applying first with many wallets bought a quorum: {selected:?}"
    );
    let (truth, lie) = ([0xAA; 32], [0xBB; 32]);
    for w in &selected {
        let result = if farm.contains(&w.as_str()) {
            lie
        } else {
            truth
        };
        ok(chain.commit(w, "req", 3, result), "commit")?;
    }
    chain.advance(5)?;
    for w in &selected {
        let result = if farm.contains(&w.as_str()) {
            lie
        } else {
            truth
        };
        ok(chain.reveal(w, "req", 3, result), "reveal")?;
    }
    ok(chain.finalize("req", 3), "finalize")?;
    for name in farm.iter().chain(&honest) {
        ok(
            chain.settle_worker("req", 3, name),
            "settle every applicant",
        )?;
    }
    ensure!(
        !chain.job_exists("req", 3)?,
        "the last settlement removed the job"
    );
    for name in honest {
        let p = chain.provider(name)?;
        ensure!(p.stake == 900_000, "{name} kept its stake: {p:?}");
    }
    Ok(())
}

/// Issue 42, finding 1: a quorum of `k` that is no strict majority of the reveals decides
/// the job but slashes nobody: it may be the colluding side.
pub fn a_quorum_without_a_majority_slashes_nobody(chain: &mut dyn Chain) -> Result<()> {
    let workers = ["w1", "w2", "w3", "w4"];
    compute_providers(chain, &workers)?;
    ok(chain.post_job("req", 5, (4, 2), 100, [5, 10, 20]), "post")?;
    for w in workers {
        ok(chain.apply(w, "req", 5), "apply")?;
    }
    chain.advance(6)?;
    ok(chain.select("req", 5), "select")?;
    let results = [[1; 32], [1; 32], [2; 32], [3; 32]];
    for (w, r) in workers.iter().zip(results) {
        ok(chain.commit(w, "req", 5, r), "commit")?;
    }
    chain.advance(5)?;
    for (w, r) in workers.iter().zip(results) {
        ok(chain.reveal(w, "req", 5, r), "reveal")?;
    }
    ok(chain.finalize("req", 5), "finalize: [1; 32] reaches k = 2")?;
    for w in workers {
        ok(chain.settle_worker("req", 5, w), "settle")?;
    }
    for w in ["w3", "w4"] {
        let p = chain.provider(w)?;
        ensure!(
            (p.stake, p.reputation) == (2_000, -1),
            "two of four is no majority: {w} keeps its stake: {p:?}"
        );
    }
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
    ok(chain.fund_deal("owner", &blob, PRICE, 100), "fund")?;
    accept_all(chain, &blob, 3, 0, &HOLDERS)?;
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

/// Issue 28, finding 1: a placement is an offer. The owner who places shards on a provider
/// that never accepted them cannot have it slashed, and the blob binds none of its holders
/// until every one has accepted; only the holder itself accepts, only on the placement's
/// terms (column root, expiry, the deal's price), once, within its window; a lapsed offer is placed again elsewhere, an accepted
/// shard does not move, and the last acceptance activates the blob, with no epoch before it
/// owed.
pub fn only_accepted_placements_are_obligations(chain: &mut dyn Chain) -> Result<()> {
    let blob = TestBlob::new(100_000, 4)?;
    storage_providers(chain, &HOLDERS)?;
    ok(chain.register_blob("owner", &blob, EXPIRY), "register blob")?;
    ok(chain.place("owner", &blob, 0, &HOLDERS), "place")?;
    let offered = terms(&blob, 1, EXPIRY);
    refused(
        chain.accept("h1", &blob, 1, &offered),
        "DealLapsed",
        "accept a placement no deal pays for",
    )?;
    ok(chain.fund_deal("owner", &blob, PRICE, 100), "fund")?;
    storage_providers(chain, &["mallory"])?;
    refused(
        chain.accept("mallory", &blob, 1, &offered),
        "NotShardHolder",
        "another provider accepts for the holder",
    )?;
    // An acceptance holds for the terms it names, and no others.
    for (other, expected, what) in [
        (
            Terms {
                column_root: blob.column_roots()[2],
                ..offered
            },
            "ColumnRootChanged",
            "accept a root the placement does not name",
        ),
        (
            Terms {
                expiry_epoch: EXPIRY + 1,
                ..offered
            },
            "TermsChanged",
            "accept an expiry the blob does not have",
        ),
        (
            Terms {
                price_per_shard_epoch: u128::from(PRICE) + 1,
                ..offered
            },
            "TermsChanged",
            "accept a price the deal does not pay",
        ),
    ] {
        refused(chain.accept("h1", &blob, 1, &other), expected, what)?;
    }
    // Everybody but h1 accepts.
    accept_all(chain, &blob, EXPIRY, 0, &HOLDERS[..1])?;
    accept_all(chain, &blob, EXPIRY, 2, &HOLDERS[2..])?;
    refused(
        chain.accept("h0", &blob, 0, &terms(&blob, 0, EXPIRY)),
        "AlreadyAccepted",
        "accept twice",
    )?;

    chain.go_to(1, PROOF_WINDOW + 1)?;
    // The attack: h1 never signed for shard 1, so its missing proof costs it nothing; and
    // until it does the blob is not active, so nobody's is.
    refused(
        chain.slash_missed("mallory", &blob, 1, 1),
        "BlobNotActive",
        "slash a provider for a placement it never accepted",
    )?;
    refused(
        chain.slash_missed("cranker", &blob, 0, 1),
        "BlobNotActive",
        "slash a holder of a blob not every holder accepted",
    )?;
    for holder in ["h0", "h1"] {
        ensure!(
            chain.provider(holder)?.stake == 2_000,
            "{holder} keeps its stake"
        );
    }

    // Placed early in epoch 0, the offer to h1 lapses ACCEPT_WINDOW blocks or slots later,
    // before epoch 2.
    chain.go_to(2, 0)?;
    refused(
        chain.accept("h1", &blob, 1, &offered),
        "AcceptanceLapsed",
        "accept after the window",
    )?;
    storage_providers(chain, &["spare"])?;
    refused(
        chain.place("owner", &blob, 2, &["spare"]),
        "ShardNotRepairable",
        "move an accepted, healthy shard",
    )?;
    ok(
        chain.place("owner", &blob, 1, &["spare"]),
        "place the lapsed index again",
    )?;
    // The last acceptance (epoch 2) activates the blob: proofs are owed from epoch 3.
    accept_all(chain, &blob, EXPIRY, 1, &["spare"])?;
    chain.go_to(3, PROOF_WINDOW + 1)?;
    refused(
        chain.slash_missed("cranker", &blob, 0, 2),
        "EpochBeforeAssignment",
        "slash an epoch before the activation",
    )?;
    ok(chain.slash_missed("cranker", &blob, 0, 3), "slash h0")?;
    ensure!(chain.provider("h0")?.stake == 1_800, "h0 slashed");
    Ok(())
}

/// Issue 41, item 2: however many shards a provider misses at once (ten here), at most
/// `MAX_SLASHES_PER_EPOCH` slashes take its stake in one epoch; the others still jail it
/// and send their shard to repair.
pub fn slashes_per_provider_and_epoch_are_capped(chain: &mut dyn Chain) -> Result<()> {
    const MISSED: usize = 10;
    let cap = usize::from(MAX_SLASHES_PER_EPOCH);
    storage_providers(chain, &HOLDERS)?;
    // Ten misses in epoch 1, one more judged in epoch 2.
    let blobs = (0..=MISSED)
        .map(|i| TestBlob::new(20_000, 10 + i as u8))
        .collect::<Result<Vec<_>>>()?;
    for blob in &blobs {
        put_on_registered(chain, blob, 100)?;
    }
    chain.go_to(1, PROOF_WINDOW + 1)?;
    let mut stake = 2_000;
    for blob in &blobs[..cap] {
        ok(chain.slash_missed("cranker", blob, 1, 1), "slash h1")?;
        stake -= stake / 10;
        ensure!(chain.provider("h1")?.stake == stake, "10 % taken");
    }
    let cranker = chain.tokens("cranker")?;
    for blob in &blobs[cap..MISSED] {
        ok(
            chain.slash_missed("cranker", blob, 1, 1),
            "a slash beyond the cap",
        )?;
        refused(
            chain.slash_missed("cranker", blob, 1, 1),
            "ShardNeedsRepair",
            "the shard still goes to repair",
        )?;
    }
    let h1 = chain.provider("h1")?;
    ensure!(
        (h1.stake, chain.tokens("cranker")?) == (stake, cranker),
        "beyond the cap nothing is taken and no bounty paid: {h1:?}"
    );
    // A new epoch starts a new count.
    chain.go_to(2, PROOF_WINDOW + 1)?;
    ok(
        chain.slash_missed("cranker", &blobs[MISSED], 1, 2),
        "slash h1 in the next epoch",
    )?;
    ensure!(
        chain.provider("h1")?.stake == stake - stake / 10,
        "a new epoch, a new count"
    );
    Ok(())
}

/// Issue 28, finding 2: a holder answers for a shard only while the blob's deal pays for it.
/// Once the owner drains or cancels the deal, missed proofs cost nothing and the holders
/// may walk away (after settling what they proved); and no owner binds holders further
/// ahead than the configuration's `max_deal_epochs`.
pub fn obligations_end_with_the_deal(chain: &mut dyn Chain) -> Result<()> {
    let blob = TestBlob::new(100_000, 30)?;
    storage_providers(chain, &HOLDERS)?;
    refused(
        chain.register_blob("owner", &blob, MAX_DEAL_EPOCHS + 1),
        "InvalidExpiry",
        "bind holders beyond the configured horizon",
    )?;
    // 60 at 10 per shard-epoch: one epoch of all six holders.
    put_on_registered(chain, &blob, 60)?;
    refused(
        chain.release("h0", &blob, 0),
        "DealStillFunded",
        "walk away from a shard the deal pays for",
    )?;
    storage_providers(chain, &["mallory"])?;
    refused(
        chain.release("mallory", &blob, 0),
        "NotShardHolder",
        "another provider releases a holder's shard",
    )?;

    // Epochs 1 and 2: h2..h5 prove, h0 and h1 do not.
    for epoch in 1..=2 {
        chain.go_to(epoch, 10)?;
        for index in 2..K + M {
            ok(
                chain.prove(HOLDERS[usize::from(index)], &blob, index, epoch, index),
                "prove",
            )?;
        }
        chain.go_to(epoch, PROOF_WINDOW + 1)?;
        if epoch == 1 {
            // Owed 4 epochs (40) of 60: the deal still pays h0's missed epoch.
            ok(
                chain.slash_missed("cranker", &blob, 0, 1),
                "slash a paid miss",
            )?;
        }
    }
    // Owed 8 epochs (80) of 60: the deal no longer pays h1.
    refused(
        chain.slash_missed("cranker", &blob, 1, 2),
        "DealLapsed",
        "slash a holder the deal no longer pays",
    )?;
    ensure!(chain.provider("h1")?.stake == 2_000, "h1 keeps its stake");
    ok(chain.release("h1", &blob, 1), "h1 walks away")?;
    refused(
        chain.release("h2", &blob, 2),
        "UnsettledPayouts",
        "walk away before being paid what the deal covers",
    )?;
    ok(chain.settle_deal(&blob, 2), "settle h2")?;
    ok(chain.release("h2", &blob, 2), "h2 walks away, paid")?;
    ensure!(
        chain.tokens("h2")? == FUNDS - 2_000 + 20,
        "h2 paid its 2 epochs"
    );

    // The escrow covers h3 and h4; h5's two epochs stay owed (issue 42, finding 8: not
    // forfeited), and the owner cannot cancel before paying them.
    for index in 3..K + M {
        ok(chain.settle_deal(&blob, index), "settle")?;
    }
    refused(
        chain.refund_deal("owner", &blob),
        "UnsettledPayouts",
        "cancel while a holder is owed",
    )?;
    ok(chain.top_up("owner", &blob, 20), "pay what is owed")?;
    let before = chain.tokens("h5")?;
    ok(chain.settle_deal(&blob, 5), "settle h5")?;
    ensure!(
        chain.tokens("h5")? == before + 20,
        "h5 paid its owed epochs"
    );
    // The owner cancels: nothing is slashable afterwards, and a holder may leave.
    ok(chain.refund_deal("owner", &blob), "cancel the deal")?;
    chain.go_to(3, 10)?;
    refused(
        chain.prove("h1", &blob, 1, 3, 1),
        "ShardNeedsRepair",
        "a released shard is no obligation",
    )?;
    chain.go_to(3, PROOF_WINDOW + 1)?;
    refused(
        chain.slash_missed("cranker", &blob, 3, 3),
        "DealLapsed",
        "slash after the owner cancelled the deal",
    )?;
    ok(chain.release("h3", &blob, 3), "h3 walks away")?;
    ensure!(
        chain.provider("h3")?.stake == 2_000,
        "no stake moved for an unpaid obligation"
    );
    Ok(())
}

/// Issue 41, item 4: a provider that carries obligations (accepted shards, job places)
/// keeps at least the minimum stake bonded. Each obligation ends with a slash (the shard
/// goes to repair), the blob's deletion or the job's settlement; then the stake may leave.
pub fn stake_stays_while_obligations_stay(chain: &mut dyn Chain) -> Result<()> {
    let first = TestBlob::new(100_000, 50)?;
    let second = TestBlob::new(100_000, 51)?;
    // Every holder accepts a shard of each: two obligations and 2_000 staked apiece.
    put(chain, &first, 600)?;
    put_on_registered(chain, &second, 600)?;
    refused(
        chain.unstake("h0", MIN_STAKE + 1),
        "ObligationsOpen",
        "unstake below the minimum while holding shards",
    )?;
    ok(
        chain.unstake("h0", MIN_STAKE),
        "unstake down to the minimum",
    )?;

    // h0 misses epoch 1 of the first blob: the slash takes it below the minimum, and that
    // shard, no longer its obligation, goes to repair; the second one remains.
    chain.go_to(1, PROOF_WINDOW + 1)?;
    ok(chain.slash_missed("cranker", &first, 0, 1), "slash h0")?;
    let h0 = chain.provider("h0")?;
    ensure!(
        (h0.stake, h0.unbonding) == (MIN_STAKE - 200, MIN_STAKE),
        "10 % of 2_000, from the bonded stake first: {h0:?}"
    );
    chain.go_to(UNBONDING_EPOCHS, 0)?;
    refused(
        chain.withdraw_stake("h0"),
        "ObligationsOpen",
        "withdraw while below the minimum with a shard still held",
    )?;
    ok(chain.stake("h0", 200), "top up to the minimum")?;
    ok(
        chain.withdraw_stake("h0"),
        "withdraw with the minimum bonded",
    )?;

    // Deleting the blobs ends every holder's obligations.
    refused(
        chain.unstake("h2", 2_000),
        "ObligationsOpen",
        "unstake everything while holding shards",
    )?;
    for blob in [&first, &second] {
        ok(chain.refund_deal("owner", blob), "cancel the deal")?;
        ok(chain.delete_blob("owner", blob), "delete")?;
    }
    ok(chain.unstake("h2", 2_000), "nothing held any more")?;
    ok(chain.unstake("h0", MIN_STAKE), "nothing held any more")?;

    // A job place is an obligation until the worker is settled.
    compute_providers(chain, &["w"])?;
    ok(chain.post_job("req", 1, (1, 1), 100, [5, 10, 20]), "post")?;
    ok(chain.apply("w", "req", 1), "apply")?;
    let w = chain.provider("w")?;
    refused(
        chain.unstake("w", w.stake - MIN_STAKE + 1),
        "ObligationsOpen",
        "leave a job place unsecured",
    )?;
    chain.advance(21)?;
    ok(chain.finalize("req", 1), "finalize")?;
    ok(chain.settle_worker("req", 1, "w"), "settle")?;
    ok(chain.unstake("w", w.stake), "the place ended")?;
    Ok(())
}

/// Issue 41, item 1: a holder signs for a price, and the owner cannot lower it afterwards.
/// Cancelling the deal the holders accepted and reopening it at a fraction of the price
/// leaves them answerable for nothing (no slash, free to walk away); a deal reopened at the
/// accepted price or above binds them again.
pub fn acceptance_binds_the_price(chain: &mut dyn Chain) -> Result<()> {
    let blob = TestBlob::new(100_000, 60)?;
    // Every holder accepts 10 per shard-epoch.
    put(chain, &blob, 600)?;
    ok(
        chain.refund_deal("owner", &blob),
        "cancel the accepted deal",
    )?;
    ok(
        chain.fund_deal("owner", &blob, 1, 100_000),
        "reopen it at a tenth of the price",
    )?;
    chain.go_to(1, PROOF_WINDOW + 1)?;
    refused(
        chain.slash_missed("cranker", &blob, 0, 1),
        "DealLapsed",
        "slash a holder the deal pays less than it accepted",
    )?;
    ensure!(chain.provider("h0")?.stake == 2_000, "h0 keeps its stake");
    ok(
        chain.release("h0", &blob, 0),
        "h0 walks away from the cut price",
    )?;

    ok(chain.refund_deal("owner", &blob), "cancel the cheap deal")?;
    ok(
        chain.fund_deal("owner", &blob, 12, 100_000),
        "reopen it above the accepted price",
    )?;
    refused(
        chain.release("h1", &blob, 1),
        "DealStillFunded",
        "walk away from a deal paying more than accepted",
    )?;
    ok(
        chain.slash_missed("cranker", &blob, 1, 1),
        "slash a holder the deal pays what it accepted",
    )?;
    ensure!(chain.provider("h1")?.stake == 1_800, "h1 slashed");
    Ok(())
}

/// Issue 44: the requester publishes job 1's output as a version derived by the job; the
/// chain checks the job succeeded with its output stored, for the publisher. A stranger
/// claiming the job for its own dataset is refused.
fn publish_the_output(chain: &mut dyn Chain, output: &TestBlob) -> Result<()> {
    let clean = VersionRef {
        owner: "req",
        name: "outputs",
        tag: "v1-clean",
    };
    let claimed = VersionRef {
        owner: "mallory",
        ..clean
    };
    for owner in ["req", "mallory"] {
        ok(
            chain.create_dataset(owner, "outputs", false),
            "create a dataset",
        )?;
    }
    let strangers_manifest = TestBlob::new(20_000, 32)?;
    ok(
        chain.register_blob("mallory", &strangers_manifest, EXPIRY),
        "register a manifest",
    )?;
    refused(
        chain.publish(
            "mallory",
            claimed,
            [4; 32],
            &strangers_manifest,
            &[],
            Some(("req", 1)),
        ),
        "DerivationJobMismatch",
        "a stranger claims the requester's job",
    )?;
    ok(
        chain.publish("req", clean, [4; 32], output, &[], Some(("req", 1))),
        "publish the output as a derived version",
    )?;
    let v = chain.version(clean)?.context("the derived version")?;
    ensure!(v.derived_by_job, "the version names its job");
    Ok(())
}

/// Issue 44: a job over a dataset version, whose output an agreeing worker publishes as
/// the version the requester asked for when posting: in the requester's name, derived by
/// the job from its input version, its manifest paid by the budget the requester escrowed;
/// the agreeing workers are paid once it is published. The attacks: publishing into
/// someone else's dataset or a private one, an input version that is not the input, and
/// publication by a worker that did not agree, by a stranger, or twice.
pub fn an_agreeing_worker_publishes_the_output_as_the_asked_version(
    chain: &mut dyn Chain,
) -> Result<()> {
    compute_providers(chain, &["w1", "w2", "w3"])?;
    storage_providers(chain, &HOLDERS)?;
    chain.go_to(1, 0)?;
    let v11 = VersionRef {
        owner: "req",
        name: "corpus",
        tag: "v1.1",
    };
    let input_id = [11; 32];
    let input_manifest = TestBlob::new(20_000, 50)?;
    ok(
        chain.register_blob("req", &input_manifest, EXPIRY),
        "register",
    )?;
    ok(chain.create_dataset("req", "corpus", true), "create")?;
    ok(
        chain.publish("req", v11, input_id, &input_manifest, &[], None),
        "publish v1.1",
    )?;
    let clean = VersionRef {
        tag: "v1.1-clean",
        ..v11
    };
    let ask = PublicationAsk {
        output: OUTPUT,
        input: Some((v11, input_id)),
        publish: clean,
        budget: 60,
    };
    ok(chain.create_dataset("mallory", "corpus", true), "create")?;
    ok(chain.create_dataset("req", "private", false), "create")?;
    let attacks = [
        (
            PublicationAsk {
                publish: VersionRef {
                    owner: "mallory",
                    ..clean
                },
                ..ask
            },
            "NotDatasetWriter",
            "publishing into someone else's dataset",
        ),
        (
            PublicationAsk {
                publish: VersionRef {
                    name: "private",
                    ..clean
                },
                ..ask
            },
            "DatasetNotPublic",
            "publishing a plain output into a private dataset",
        ),
        (
            PublicationAsk {
                input: Some((v11, [12; 32])),
                ..ask
            },
            "InputVersionMismatch",
            "an input version that is not the input",
        ),
    ];
    for (attack, error, what) in attacks {
        refused(
            chain.post_job_publishing("req", 2, (3, 2), 100, JOB_DEADLINES, &attack),
            error,
            what,
        )?;
    }
    ok(
        chain.post_job_publishing("req", 1, (3, 2), 100, JOB_DEADLINES, &ask),
        "post",
    )?;
    ensure!(
        chain.tokens("req")? == FUNDS - 300 - OUTPUT.budget - ask.budget,
        "the rewards and both budgets are escrowed"
    );
    let output = TestBlob::new(50_000, 51)?;
    run_posted_job_to_quorum(chain, 1, output.cid_digest())?;
    ok(chain.register_output("w1", "req", 1, &output), "register")?;
    refused(
        chain.settle_worker("req", 1, "w1"),
        "OutputPending",
        "an agreeing worker is paid before the publication",
    )?;
    let manifest = TestBlob::new(20_000, 52)?;
    for (who, what) in [("w3", "the out-voted worker"), ("mallory", "a stranger")] {
        refused(
            chain.publish_output(who, "req", 1, &ask, &manifest),
            "NotAgreeingWorker",
            what,
        )?;
    }
    ok(
        chain.publish_output("w2", "req", 1, &ask, &manifest),
        "an agreeing worker publishes",
    )?;
    let v = chain.version(clean)?.context("the published version")?;
    ensure!(
        v.derived_by_job && v.parents == 1 && v.version_id == manifest.cid_digest(),
        "derived by the job from v1.1, the manifest's digest its id: {v:?}"
    );
    ensure!(
        chain.deal_balance(&manifest)? == Some(ask.budget),
        "the publication budget opened the manifest's deal"
    );
    refused(
        chain.publish_output("w1", "req", 1, &ask, &TestBlob::new(20_000, 53)?),
        "AlreadyPublished",
        "a second publication",
    )?;
    for w in ["w1", "w2", "w3"] {
        ok(chain.settle_worker("req", 1, w), "settle")?;
    }
    ensure!(!chain.job_exists("req", 1)?, "the job closed");
    ensure!(
        chain.tokens("req")? == FUNDS - 200 - OUTPUT.budget - ask.budget,
        "the agreeing workers were paid; both budgets are deals now"
    );
    Ok(())
}

/// Issue 44: a dataset's versions. Only the owner and WRITE grantees publish, each tag
/// once; every parent is a published, unretracted version; retraction (owner or DELETE)
/// is a tombstone that stays in the history. The attacks: publishing into someone else's
/// dataset, reusing a tag, forging a parent, retracting as a stranger.
pub fn dataset_versions_are_published_by_writers_on_real_parents(
    chain: &mut dyn Chain,
) -> Result<()> {
    let v = |tag| VersionRef {
        owner: "owner",
        name: "corpus",
        tag,
    };
    let manifest = TestBlob::new(20_000, 40)?;
    let writers_manifest = TestBlob::new(20_000, 41)?;
    let strangers_manifest = TestBlob::new(20_000, 42)?;
    ok(chain.register_blob("owner", &manifest, EXPIRY), "register")?;
    ok(
        chain.register_blob("writer", &writers_manifest, EXPIRY),
        "register",
    )?;
    ok(
        chain.register_blob("mallory", &strangers_manifest, EXPIRY),
        "register",
    )?;
    refused(
        chain.create_dataset("owner", "-corpus", false),
        "InvalidDatasetName",
        "a name that is not a plain label",
    )?;
    ok(chain.create_dataset("owner", "corpus", false), "create")?;
    refused(
        chain.publish("mallory", v("v1"), [1; 32], &strangers_manifest, &[], None),
        "NotDatasetWriter",
        "a stranger publishes into someone else's dataset",
    )?;
    ok(
        chain.publish("owner", v("v1"), [1; 32], &manifest, &[], None),
        "publish v1",
    )?;
    refused(
        chain.publish("owner", v("v1"), [9; 32], &manifest, &[], None),
        "VersionTagTaken",
        "reuse a tag",
    )?;
    ensure!(
        chain.version(v("v1"))?.map(|x| x.version_id) == Some([1; 32]),
        "the first publication of the tag stands"
    );
    refused(
        chain.publish("owner", v("v2"), [2; 32], &manifest, &[v("ghost")], None),
        "ParentsMismatch",
        "a parent that was never published",
    )?;
    refused(
        chain.publish(
            "owner",
            v("v2"),
            [2; 32],
            &manifest,
            &[v("v1"), v("v1")],
            None,
        ),
        "DuplicateParent",
        "a parent named twice",
    )?;
    refused(
        chain.publish("owner", v("v2"), [0; 32], &manifest, &[v("v1")], None),
        "InvalidVersionId",
        "a version without a manifest id",
    )?;

    ok(
        chain.grant_dataset("owner", "owner", "corpus", "reader", ROLE_READ),
        "grant READ",
    )?;
    ok(
        chain.grant_dataset("owner", "owner", "corpus", "writer", ROLE_READ | ROLE_WRITE),
        "grant WRITE",
    )?;
    refused(
        chain.grant_dataset("writer", "owner", "corpus", "mallory", ROLE_WRITE),
        "NotDatasetAdmin",
        "a WRITE grantee grants",
    )?;
    refused(
        chain.publish("reader", v("v2"), [2; 32], &manifest, &[v("v1")], None),
        "NotDatasetWriter",
        "a READ grantee publishes",
    )?;
    refused(
        chain.publish(
            "writer",
            v("v2"),
            [2; 32],
            &strangers_manifest,
            &[v("v1")],
            None,
        ),
        "ManifestMismatch",
        "a manifest neither the publisher's nor the owner's",
    )?;
    ok(
        chain.publish(
            "writer",
            v("v2"),
            [2; 32],
            &writers_manifest,
            &[v("v1")],
            None,
        ),
        "a WRITE grantee publishes v2 on v1",
    )?;
    ok(
        chain.publish(
            "owner",
            v("merge"),
            [3; 32],
            &manifest,
            &[v("v1"), v("v2")],
            None,
        ),
        "a merge of two parents",
    )?;
    let merge = chain.version(v("merge"))?.context("the merge")?;
    ensure!(
        (merge.seq, merge.parents, merge.derived_by_job) == (2, 2, false),
        "the merge is the third version, on two parents: {merge:?}"
    );

    for who in ["mallory", "writer"] {
        refused(
            chain.retract(who, v("v1")),
            "NotDatasetAdmin",
            "retract without DELETE",
        )?;
    }
    ok(
        chain.grant_dataset("owner", "owner", "corpus", "curator", ROLE_DELETE),
        "grant DELETE",
    )?;
    ok(
        chain.retract("curator", v("v1")),
        "a DELETE grantee retracts v1",
    )?;
    let v1 = chain.version(v("v1"))?.context("v1 stays in the history")?;
    ensure!(
        v1.retracted && v1.version_id == [1; 32],
        "a tombstone keeps the version"
    );
    refused(
        chain.retract("owner", v("v1")),
        "AlreadyRetracted",
        "retract twice",
    )?;
    refused(
        chain.publish("owner", v("v3"), [5; 32], &manifest, &[v("v1")], None),
        "ParentRetracted",
        "build on a retracted version",
    )?;
    ok(
        chain.publish("owner", v("v3"), [5; 32], &manifest, &[v("merge")], None),
        "build on the merge",
    )?;
    Ok(())
}
