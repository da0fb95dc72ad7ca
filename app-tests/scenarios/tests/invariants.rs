//! Issue 42, item 6: random sequences of instructions from several wallets, sent as real
//! transactions to the program hosted in solana-program-test, never break the protocol's
//! promises. After every instruction:
//!
//! - the stake vault holds at least every provider's bonded and unbonding stake, and the
//!   escrow vault at least every deal's balance plus every job's escrow;
//! - no shard index is paid for more epochs than its holder proved (plus the repair credit
//!   of an accepted repair), and no epoch is proven twice;
//! - no provider loses stake for a shard it did not accept or a job it did not apply for.
//!
//! Most instructions of a random sequence are refused; that is part of the test (a
//! refusal must leave the books whole too). The seed is fixed, so CI runs the same
//! sequences; `BASALT_INVARIANT_CASES` and `BASALT_INVARIANT_OPS` ask for more. A failing
//! sequence is shrunk by proptest and printed, one instruction a line.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::decode::BasaltEvent;
use basalt::client::pda;
use basalt_scenarios::blob::{TestBlob, K, M};
use basalt_scenarios::chain::{
    Chain, Outcome, Terms, EPOCH, REPAIR_CREDIT_EPOCHS, ROLE_COMPUTE, ROLE_STORAGE,
};
use basalt_scenarios::solana::{Books, SolanaChain};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

/// Providers (storage and compute), then two wallets that only own, request and crank.
const WALLETS: [&str; 8] = ["p0", "p1", "p2", "p3", "p4", "p5", "o0", "o1"];
const PROVIDERS: usize = 6;
const SHARDS: u8 = (K + M) as u8;
const NONCES: u64 = 4;

/// One step of a sequence: one instruction, or (the last three) the instructions an honest
/// owner, holder set or job round sends, so random sequences reach stored, proven, paid and
/// slashed states often. Small numbers index `WALLETS`, the two test blobs, shard indices
/// and job nonces (each taken modulo its range).
#[derive(Debug, Clone)]
enum Op {
    /// Register the blob, place its shards on providers `shift ..`, fund its deal, and have
    /// every holder accept.
    Store {
        owner: u8,
        blob: u8,
        shift: u8,
        price: u8,
        epochs: u8,
    },
    /// Move into the current (or next) epoch's proof window; every holder but the one of
    /// index `skip` proves (`skip` beyond the shards: all prove).
    ProveRound {
        blob: u8,
        skip: u8,
    },
    /// Post a job, every provider applies, select, the selected commit and reveal (those
    /// whose bit is set in `lie` reveal another result), finalize, settle everyone.
    JobRound {
        requester: u8,
        nonce: u8,
        n: u8,
        k: u8,
        lie: u8,
    },
    Register {
        who: u8,
    },
    Stake {
        who: u8,
        amount: u16,
    },
    Unstake {
        who: u8,
        amount: u16,
    },
    Withdraw {
        who: u8,
    },
    Unjail {
        who: u8,
    },
    Deregister {
        who: u8,
    },
    Heartbeat {
        who: u8,
    },
    RegisterBlob {
        owner: u8,
        blob: u8,
        expiry_in: u8,
    },
    Place {
        signer: u8,
        blob: u8,
        first: u8,
        holders: Vec<u8>,
    },
    Accept {
        who: u8,
        blob: u8,
        index: u8,
        honest: bool,
    },
    Release {
        who: u8,
        blob: u8,
        index: u8,
    },
    Evict {
        cranker: u8,
        blob: u8,
        index: u8,
    },
    Fund {
        payer: u8,
        blob: u8,
        price: u8,
        epochs: u8,
    },
    Settle {
        blob: u8,
        index: u8,
    },
    Refund {
        signer: u8,
        blob: u8,
    },
    Delete {
        signer: u8,
        blob: u8,
    },
    Prove {
        who: u8,
        blob: u8,
        index: u8,
        honest: bool,
    },
    SlashMissed {
        cranker: u8,
        blob: u8,
        index: u8,
        back: u8,
    },
    Advance {
        ticks: u8,
    },
    PostJob {
        requester: u8,
        nonce: u8,
        n: u8,
        k: u8,
        reward: u8,
        phases: [u8; 3],
    },
    Apply {
        who: u8,
        requester: u8,
        nonce: u8,
    },
    Select {
        requester: u8,
        nonce: u8,
    },
    Commit {
        who: u8,
        requester: u8,
        nonce: u8,
        result: bool,
    },
    Reveal {
        who: u8,
        requester: u8,
        nonce: u8,
        result: bool,
    },
    Finalize {
        requester: u8,
        nonce: u8,
    },
    SettleWorker {
        requester: u8,
        nonce: u8,
        who: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let w = || 0u8..8;
    let b = || 0u8..2;
    let i = || 0..SHARDS;
    let n = || 0u8..4;
    prop_oneof![
        3 => (w(), b(), 0u8..6, 1u8..20, 2u8..12)
            .prop_map(|(owner, blob, shift, price, epochs)| Op::Store { owner, blob, shift, price, epochs }),
        6 => (b(), 0u8..12).prop_map(|(blob, skip)| Op::ProveRound { blob, skip }),
        2 => (w(), n(), 1u8..5, 1u8..5, any::<u8>())
            .prop_map(|(requester, nonce, n, k, lie)| Op::JobRound { requester, nonce, n, k: k.min(n), lie }),
        1 => w().prop_map(|who| Op::Register { who }),
        2 => (w(), 1u16..3_000).prop_map(|(who, amount)| Op::Stake { who, amount }),
        1 => (w(), 1u16..6_000).prop_map(|(who, amount)| Op::Unstake { who, amount }),
        1 => w().prop_map(|who| Op::Withdraw { who }),
        1 => w().prop_map(|who| Op::Unjail { who }),
        1 => w().prop_map(|who| Op::Deregister { who }),
        2 => w().prop_map(|who| Op::Heartbeat { who }),
        2 => (w(), b(), 1u8..20).prop_map(|(owner, blob, expiry_in)| Op::RegisterBlob { owner, blob, expiry_in }),
        3 => (w(), b(), i(), proptest::collection::vec(0u8..8, 1..=6))
            .prop_map(|(signer, blob, first, holders)| Op::Place { signer, blob, first, holders }),
        6 => (w(), b(), i(), proptest::bool::weighted(0.9))
            .prop_map(|(who, blob, index, honest)| Op::Accept { who, blob, index, honest }),
        1 => (w(), b(), i()).prop_map(|(who, blob, index)| Op::Release { who, blob, index }),
        1 => (w(), b(), i()).prop_map(|(cranker, blob, index)| Op::Evict { cranker, blob, index }),
        3 => (w(), b(), 1u8..20, 1u8..10).prop_map(|(payer, blob, price, epochs)| Op::Fund { payer, blob, price, epochs }),
        3 => (b(), i()).prop_map(|(blob, index)| Op::Settle { blob, index }),
        1 => (w(), b()).prop_map(|(signer, blob)| Op::Refund { signer, blob }),
        1 => (w(), b()).prop_map(|(signer, blob)| Op::Delete { signer, blob }),
        6 => (w(), b(), i(), proptest::bool::weighted(0.9))
            .prop_map(|(who, blob, index, honest)| Op::Prove { who, blob, index, honest }),
        2 => (w(), b(), i(), 0u8..3).prop_map(|(cranker, blob, index, back)| Op::SlashMissed { cranker, blob, index, back }),
        5 => (1u8..120).prop_map(|ticks| Op::Advance { ticks }),
        2 => (w(), n(), 1u8..5, 1u8..5, 1u8..50, [5u8..30, 5u8..30, 5u8..30])
            .prop_map(|(requester, nonce, n, k, reward, phases)| Op::PostJob { requester, nonce, n, k: k.min(n), reward, phases }),
        3 => (w(), w(), n()).prop_map(|(who, requester, nonce)| Op::Apply { who, requester, nonce }),
        2 => (w(), n()).prop_map(|(requester, nonce)| Op::Select { requester, nonce }),
        3 => (w(), w(), n(), any::<bool>()).prop_map(|(who, requester, nonce, result)| Op::Commit { who, requester, nonce, result }),
        3 => (w(), w(), n(), any::<bool>()).prop_map(|(who, requester, nonce, result)| Op::Reveal { who, requester, nonce, result }),
        2 => (w(), n()).prop_map(|(requester, nonce)| Op::Finalize { requester, nonce }),
        3 => (w(), n(), w()).prop_map(|(requester, nonce, who)| Op::SettleWorker { requester, nonce, who }),
    ]
}

/// What the sequence set up, so its instructions can name real terms.
#[derive(Default)]
struct Model {
    /// Expiry epoch of each blob's latest registration.
    expiry: [u64; 2],
    /// Price of each blob's open deal.
    price: [Option<u64>; 2],
}

/// What the events said so far, to judge the next ones by.
#[derive(Default)]
struct Ledger {
    seen: usize,
    active: BTreeSet<Pubkey>,
    /// (blob, index, holder authority) accepted and not ended since.
    accepted: BTreeSet<(Pubkey, u16, Pubkey)>,
    /// (job, worker authority) that applied.
    applied: BTreeSet<(Pubkey, Pubkey)>,
    /// Epochs each (blob, index, holder) earned: proofs, and repair credits.
    earned: BTreeMap<(Pubkey, u16, Pubkey), u64>,
    paid: BTreeMap<(Pubkey, u16, Pubkey), u64>,
    /// (blob, index, epoch) proven in the blob's current registration.
    proven: BTreeSet<(Pubkey, u16, u64)>,
    slashes: usize,
    payouts: usize,
}

impl Ledger {
    /// Checks the events emitted since the last call against the promises.
    fn check(&mut self, events: &[BasaltEvent]) -> Result<()> {
        for event in &events[self.seen..] {
            self.apply(event)?;
        }
        self.seen = events.len();
        Ok(())
    }

    fn apply(&mut self, event: &BasaltEvent) -> Result<()> {
        match event {
            BasaltEvent::BlobActivated(e) => {
                self.active.insert(e.blob);
            }
            BasaltEvent::BlobDeleted(e) => {
                self.active.remove(&e.blob);
                self.accepted.retain(|(blob, _, _)| *blob != e.blob);
                self.proven.retain(|(blob, _, _)| *blob != e.blob);
            }
            BasaltEvent::ShardPlaced(e) => {
                self.accepted
                    .retain(|(blob, index, _)| (*blob, *index) != (e.blob, e.index));
            }
            BasaltEvent::ShardAccepted(e) => {
                let key = (e.blob, e.index, e.provider);
                self.accepted.insert(key);
                if self.active.contains(&e.blob) {
                    *self.earned.entry(key).or_default() += REPAIR_CREDIT_EPOCHS;
                }
            }
            BasaltEvent::ShardReleased(e) => {
                self.accepted.remove(&(e.blob, e.index, e.provider));
            }
            BasaltEvent::ShardEvicted(e) => {
                let accepted = self.accepted.remove(&(e.blob, e.index, e.provider));
                if e.charged > 0 && !accepted {
                    bail!(
                        "{} charged {} for {} index {}, which it never accepted",
                        e.provider,
                        e.charged,
                        e.blob,
                        e.index
                    );
                }
            }
            BasaltEvent::ProofMissed(e) => {
                self.accepted.remove(&(e.blob, e.index, e.provider));
            }
            BasaltEvent::ProofAccepted(e) => {
                if !self.proven.insert((e.blob, e.index, e.epoch)) {
                    bail!(
                        "epoch {} of {} index {} proven twice",
                        e.epoch,
                        e.blob,
                        e.index
                    );
                }
                *self
                    .earned
                    .entry((e.blob, e.index, e.provider))
                    .or_default() += 1;
            }
            BasaltEvent::DealSettled(e) => {
                let key = (e.blob, e.index, e.provider);
                let paid = self.paid.entry(key).or_default();
                *paid += e.epochs_paid;
                let earned = self.earned.get(&key).copied().unwrap_or(0);
                if *paid > earned {
                    bail!("{key:?} was paid {paid} epochs for {earned} earned");
                }
                self.payouts += usize::from(e.epochs_paid > 0);
            }
            BasaltEvent::JobApplied(e) => {
                self.applied.insert((e.job, e.worker));
            }
            BasaltEvent::ProviderSlashed(e) => {
                let holder = |authority: &Pubkey| pda::provider(authority) == e.provider;
                let consented = self
                    .accepted
                    .iter()
                    .any(|(blob, _, a)| *blob == e.subject && holder(a))
                    || self
                        .applied
                        .iter()
                        .any(|(job, a)| *job == e.subject && holder(a));
                if !consented {
                    bail!(
                        "{} slashed for {}, which it never signed for",
                        e.provider,
                        e.subject
                    );
                }
                self.slashes += usize::from(e.amount > 0);
            }
            _ => {}
        }
        Ok(())
    }
}

fn solvent(books: &Books) -> Result<()> {
    if u128::from(books.stake_vault) < books.stakes {
        bail!("the stake vault holds less than the stakes: {books:?}");
    }
    if u128::from(books.escrow_vault) < books.deals + books.job_escrows {
        bail!("the escrow vault holds less than deals and jobs owe: {books:?}");
    }
    Ok(())
}

/// What a step sent: instructions, and how many the program carried out.
#[derive(Default)]
struct Sent {
    instructions: usize,
    executed: usize,
}

impl Sent {
    fn count(&mut self, outcome: &Outcome) -> bool {
        self.instructions += 1;
        let ok = matches!(outcome, Ok(Ok(())));
        self.executed += usize::from(ok);
        ok
    }
}

/// Sends `op`; a refusal is an outcome like any other, a driver failure (an account the
/// driver needed to build the instruction is missing) counts as a refusal.
fn send(
    chain: &mut SolanaChain,
    blobs: &[TestBlob; 2],
    model: &mut Model,
    op: &Op,
) -> Result<Sent> {
    let mut sent = Sent::default();
    let name = |i: &u8| WALLETS[usize::from(*i) % WALLETS.len()];
    let blob_of = |b: &u8| usize::from(*b) % 2;
    let index_of = |i: &u8| u16::from(*i % SHARDS);
    let nonce_of = |n: &u8| u64::from(*n) % NONCES;
    let epoch = chain.now()? / EPOCH;
    let outcome = match op {
        Op::Store {
            owner,
            blob,
            shift,
            price,
            epochs,
        } => {
            store(
                chain,
                blobs,
                model,
                &mut sent,
                (name(owner), blob_of(blob)),
                (*shift, *price, *epochs),
            )?;
            return Ok(sent);
        }
        Op::ProveRound { blob, skip } => {
            prove_round(chain, &blobs[blob_of(blob)], u16::from(*skip), &mut sent)?;
            return Ok(sent);
        }
        Op::JobRound {
            requester,
            nonce,
            n,
            k,
            lie,
        } => {
            job_round(
                chain,
                (name(requester), nonce_of(nonce)),
                (*n, *k),
                *lie,
                &mut sent,
            )?;
            return Ok(sent);
        }
        Op::Register { who } => chain.register_provider(name(who), ROLE_STORAGE | ROLE_COMPUTE),
        Op::Stake { who, amount } => chain.stake(name(who), u64::from(*amount)),
        Op::Unstake { who, amount } => chain.unstake(name(who), u64::from(*amount)),
        Op::Withdraw { who } => chain.withdraw_stake(name(who)),
        Op::Unjail { who } => chain.unjail(name(who)),
        Op::Deregister { who } => chain.deregister(name(who)),
        Op::Heartbeat { who } => chain.heartbeat(name(who)),
        Op::RegisterBlob {
            owner,
            blob,
            expiry_in,
        } => {
            let b = blob_of(blob);
            let expiry = epoch + u64::from(*expiry_in);
            let out = chain.register_blob(name(owner), &blobs[b], expiry);
            if matches!(out, Ok(Ok(()))) {
                model.expiry[b] = expiry;
                model.price[b] = None;
            }
            out
        }
        Op::Place {
            signer,
            blob,
            first,
            holders,
        } => {
            let first = index_of(first);
            let names: Vec<&str> = holders
                .iter()
                .take(usize::from(SHARDS) - usize::from(first))
                .map(|h| WALLETS[usize::from(*h) % PROVIDERS])
                .collect();
            chain.place(name(signer), &blobs[blob_of(blob)], first, &names)
        }
        Op::Accept {
            who,
            blob,
            index,
            honest,
        } => {
            let b = blob_of(blob);
            let i = index_of(index);
            let root = blobs[b].column_roots()[usize::from(i)];
            let terms = Terms {
                column_root: if *honest { root } else { [7; 32] },
                expiry_epoch: model.expiry[b],
                price_per_shard_epoch: model.price[b].unwrap_or(1).into(),
            };
            chain.accept(name(who), &blobs[b], i, &terms)
        }
        Op::Release { who, blob, index } => {
            chain.release(name(who), &blobs[blob_of(blob)], index_of(index))
        }
        Op::Evict {
            cranker,
            blob,
            index,
        } => chain.evict(name(cranker), &blobs[blob_of(blob)], index_of(index)),
        Op::Fund {
            payer,
            blob,
            price,
            epochs,
        } => {
            let b = blob_of(blob);
            let price = u64::from(*price);
            let amount = price * u64::from(SHARDS) * u64::from(*epochs);
            let out = chain.fund_deal(name(payer), &blobs[b], price, amount);
            if matches!(out, Ok(Ok(()))) {
                model.price[b] = Some(price);
            }
            out
        }
        Op::Settle { blob, index } => chain.settle_deal(&blobs[blob_of(blob)], index_of(index)),
        Op::Refund { signer, blob } => {
            let b = blob_of(blob);
            let out = chain.refund_deal(name(signer), &blobs[b]);
            if matches!(out, Ok(Ok(()))) {
                model.price[b] = None;
            }
            out
        }
        Op::Delete { signer, blob } => chain.delete_blob(name(signer), &blobs[blob_of(blob)]),
        Op::Prove {
            who,
            blob,
            index,
            honest,
        } => {
            let i = index_of(index);
            let data_of = if *honest {
                i
            } else {
                (i + 1) % u16::from(SHARDS)
            };
            chain.prove(name(who), &blobs[blob_of(blob)], i, epoch, data_of)
        }
        Op::SlashMissed {
            cranker,
            blob,
            index,
            back,
        } => {
            let epoch = epoch.saturating_sub(u64::from(*back));
            chain.slash_missed(name(cranker), &blobs[blob_of(blob)], index_of(index), epoch)
        }
        Op::Advance { ticks } => {
            chain.advance(u64::from(*ticks))?;
            return Ok(sent);
        }
        Op::PostJob {
            requester,
            nonce,
            n,
            k,
            reward,
            phases,
        } => {
            let [a, c, r] = phases.map(u64::from);
            let deadlines = [a, a + c, a + c + r];
            chain.post_job(
                name(requester),
                nonce_of(nonce),
                (*n, *k),
                u64::from(*reward),
                deadlines,
            )
        }
        Op::Apply {
            who,
            requester,
            nonce,
        } => chain.apply(name(who), name(requester), nonce_of(nonce)),
        Op::Select { requester, nonce } => chain.select(name(requester), nonce_of(nonce)),
        Op::Commit {
            who,
            requester,
            nonce,
            result,
        } => chain.commit(
            name(who),
            name(requester),
            nonce_of(nonce),
            [u8::from(*result); 32],
        ),
        Op::Reveal {
            who,
            requester,
            nonce,
            result,
        } => chain.reveal(
            name(who),
            name(requester),
            nonce_of(nonce),
            [u8::from(*result); 32],
        ),
        Op::Finalize { requester, nonce } => chain.finalize(name(requester), nonce_of(nonce)),
        Op::SettleWorker {
            requester,
            nonce,
            who,
        } => chain.settle_worker(name(requester), nonce_of(nonce), name(who)),
    };
    sent.count(&outcome);
    Ok(sent)
}

/// `Op::Store`: what an honest owner and its holders send to store `blob`.
fn store(
    chain: &mut SolanaChain,
    blobs: &[TestBlob; 2],
    model: &mut Model,
    sent: &mut Sent,
    (owner, b): (&str, usize),
    (shift, price, epochs): (u8, u8, u8),
) -> Result<()> {
    let expiry = chain.now()? / EPOCH + u64::from(epochs);
    if !sent.count(&chain.register_blob(owner, &blobs[b], expiry)) {
        return Ok(());
    }
    model.expiry[b] = expiry;
    model.price[b] = None;
    let holders: Vec<&str> = (0..usize::from(SHARDS))
        .map(|i| WALLETS[(i + usize::from(shift)) % PROVIDERS])
        .collect();
    sent.count(&chain.place(owner, &blobs[b], 0, &holders));
    let price = u64::from(price);
    let amount = price * u64::from(SHARDS) * (u64::from(epochs) + 2);
    if sent.count(&chain.fund_deal(owner, &blobs[b], price, amount)) {
        model.price[b] = Some(price);
    }
    for (i, holder) in (0u16..).zip(&holders) {
        let terms = Terms {
            column_root: blobs[b].column_roots()[usize::from(i)],
            expiry_epoch: expiry,
            price_per_shard_epoch: price.into(),
        };
        sent.count(&chain.accept(holder, &blobs[b], i, &terms));
    }
    Ok(())
}

/// `Op::ProveRound`: into the current (or next) epoch's proof window, where every holder
/// of `blob` but the one of index `skip` proves and is settled.
fn prove_round(chain: &mut SolanaChain, blob: &TestBlob, skip: u16, sent: &mut Sent) -> Result<()> {
    let offset = chain.now()? % EPOCH;
    if offset == 0 || offset > 30 {
        chain.advance(EPOCH - offset + 1)?;
    }
    let epoch = chain.now()? / EPOCH;
    for i in (0..u16::from(SHARDS)).filter(|i| *i != skip) {
        if let Some(holder) = chain.holder_name(blob, i)? {
            sent.count(&chain.prove(&holder, blob, i, epoch, i));
            sent.count(&chain.settle_deal(blob, i));
        }
    }
    Ok(())
}

/// `Op::JobRound`: a job from post to the last settlement, every provider applying; the
/// selected worker `i` reveals another result when bit `i` of `lie` is set.
fn job_round(
    chain: &mut SolanaChain,
    (requester, nonce): (&str, u64),
    quorum: (u8, u8),
    lie: u8,
    sent: &mut Sent,
) -> Result<()> {
    if !sent.count(&chain.post_job(requester, nonce, quorum, 10, [5, 10, 15])) {
        return Ok(());
    }
    for who in &WALLETS[..PROVIDERS] {
        sent.count(&chain.apply(who, requester, nonce));
    }
    chain.advance(6)?;
    sent.count(&chain.select(requester, nonce));
    let selected = chain.selected(requester, nonce)?;
    let result = |i: usize| [u8::from(lie & (1 << i) != 0); 32];
    for (i, who) in selected.iter().enumerate() {
        sent.count(&chain.commit(who, requester, nonce, result(i)));
    }
    chain.advance(5)?;
    for (i, who) in selected.iter().enumerate() {
        sent.count(&chain.reveal(who, requester, nonce, result(i)));
    }
    chain.advance(5)?;
    sent.count(&chain.finalize(requester, nonce));
    for who in &WALLETS[..PROVIDERS] {
        sent.count(&chain.settle_worker(requester, nonce, who));
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    instructions: usize,
    executed: usize,
    slashes: usize,
    payouts: usize,
}

/// Runs one sequence on a fresh chain, checking every promise after every instruction.
fn run(blobs: &[TestBlob; 2], ops: &[Op], tally: &mut Tally) -> Result<()> {
    let mut chain = SolanaChain::new()?;
    for who in &WALLETS[..PROVIDERS] {
        chain
            .register_provider(who, ROLE_STORAGE | ROLE_COMPUTE)?
            .ok()
            .context("register")?;
        chain.stake(who, 5_000)?.ok().context("stake")?;
    }
    let jobs: Vec<(&str, u64)> = WALLETS
        .iter()
        .flat_map(|r| (0..NONCES).map(move |n| (*r, n)))
        .collect();
    let blob_refs = [&blobs[0], &blobs[1]];
    let mut model = Model::default();
    let mut ledger = Ledger::default();
    for (step, op) in ops.iter().enumerate() {
        let sent = send(&mut chain, blobs, &mut model, op)?;
        tally.instructions += sent.instructions;
        tally.executed += sent.executed;
        let books = chain.books(&WALLETS, &blob_refs, &jobs)?;
        solvent(&books)
            .and_then(|()| ledger.check(chain.events()))
            .with_context(|| format!("after instruction {step}: {op:?}"))?;
    }
    tally.slashes += ledger.slashes;
    tally.payouts += ledger.payouts;
    Ok(())
}

fn env_or(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_instruction_sequences_keep_the_books() -> Result<()> {
    let blobs = [TestBlob::new(40_000, 1)?, TestBlob::new(20_000, 2)?];
    let defaults = std::env::var_os("BASALT_INVARIANT_CASES").is_none()
        && std::env::var_os("BASALT_INVARIANT_OPS").is_none();
    let cases = env_or("BASALT_INVARIANT_CASES", 40);
    let ops = env_or("BASALT_INVARIANT_OPS", 500) as usize;
    let config = Config {
        cases,
        // Each shrinking step replays a sequence from a fresh chain: bounded in time.
        max_shrink_iters: 4_096,
        max_shrink_time: 180_000,
        failure_persistence: None,
        ..Config::default()
    };
    let seed = [42u8; 32];
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let tally = std::cell::RefCell::new(Tally::default());
    // Lengths from 1 up, so a failing sequence shrinks to the few steps that matter.
    let strategy = proptest::collection::vec(op(), 1..=ops);
    let result = runner.run(&strategy, |sequence| {
        run(&blobs, &sequence, &mut tally.borrow_mut())
            .map_err(|e| TestCaseError::fail(format!("{e:#}")))
    });
    let tally = tally.into_inner();
    println!(
        "{} instructions in {cases} sequences of up to {ops} steps: {} executed, {} slashes \
         took stake, {} settlements paid",
        tally.instructions, tally.executed, tally.slashes, tally.payouts
    );
    match result {
        Ok(()) => {
            if defaults && tally.instructions < 10_000 {
                bail!(
                    "CI's run sent {} instructions, fewer than 10,000",
                    tally.instructions
                );
            }
            Ok(())
        }
        Err(TestError::Fail(reason, sequence)) => {
            let lines: Vec<String> = sequence.iter().map(|op| format!("  {op:?}")).collect();
            bail!(
                "{reason}\nshrunk sequence ({} steps):\n{}",
                lines.len(),
                lines.join("\n")
            )
        }
        Err(e) => bail!("{e}"),
    }
}
