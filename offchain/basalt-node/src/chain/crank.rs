//! What a crank sees and does, whichever chain it runs on: the blobs' slots as the
//! program's own rules see them ([`basalt_rules::SlotState`]), and the transactions that
//! settle a holder's proven epochs (`deal_settle`), slash a missed proof (`proof_slash`),
//! send a silent holder's index to repair (`shard_evict`) or place a lost index
//! (`blob_place`).
//!
//! [`plan`] decides from one read of a blob, with the same rules the program applies, so a
//! crank sends only what the chain will take. Several cranks read the same blobs (every
//! holder of a blob runs one); [`plan`] staggers them so that they seldom send the same
//! transaction, and when two do, the loser's is refused once and not sent again: the next
//! read shows the work done.

use basalt_core::BlobId;
use basalt_rules::{
    check_provable, check_slashable, latest_closed_epoch, DealCover, Eviction, HolderSilence,
    ProofRecord, SlotState, SlotUnderProof,
};

/// Unpaid proven epochs after which a crank settles a slot that is not its own: its holder
/// settles it itself sooner, and a holder that does not (no crank, or down) is paid anyway.
pub const LAZY_HOLDER_EPOCHS: u64 = 3;

/// Where the chain is, for the crank: the tick a view was read at and the epoch geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrankClock {
    /// The chain tick (Solana slot, NEAR block) the blobs were read at.
    pub now: u64,
    /// Ticks per epoch.
    pub epoch_ticks: u64,
    /// Ticks after an epoch's first in which its proofs are due.
    pub window_ticks: u64,
    /// The configuration's `offline_ticks`: silence after which a holder may be evicted.
    pub offline_ticks: u64,
}

impl CrankClock {
    /// The last tick at which a proof of `epoch` is accepted (`proof_slash`'s deadline).
    pub fn deadline(&self, epoch: u64) -> u64 {
        epoch
            .saturating_mul(self.epoch_ticks)
            .saturating_add(self.window_ticks)
    }

    /// The epoch the view was read in.
    fn epoch(&self) -> u64 {
        self.now / self.epoch_ticks.max(1)
    }

    /// The latest epoch whose proof window has closed, if any.
    fn latest_closed_epoch(&self) -> Option<u64> {
        latest_closed_epoch(self.now, self.epoch_ticks, self.window_ticks)
    }

    /// Ticks a crank waits per place in the turn order before slashing a miss (a quarter
    /// epoch): the holder next to the missed index goes first.
    fn stagger(&self) -> u64 {
        (self.epoch_ticks / 4).max(1)
    }

    /// Ticks a crank waits per place in the turn order before evicting a silent holder (an
    /// eighth of the offline threshold: an eviction should not wait like a slash can).
    fn eviction_stagger(&self) -> u64 {
        (self.offline_ticks / 8).max(1)
    }
}

/// A storage provider a lost index may be placed on: eligible for new shards (active,
/// staked, storage role) and online by its heartbeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// As the chain names it (a base58 key on Solana, an account on NEAR).
    pub id: String,
    /// Where its node listens.
    pub endpoint: String,
}

/// What one crank read returns: the clock, the blobs, and where a lost index may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrankView {
    pub clock: CrankClock,
    pub blobs: Vec<CrankBlob>,
    pub candidates: Vec<Candidate>,
}

/// One shard index of a blob as the chain holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrankSlot {
    /// The holder as the chain names it (a base58 key on Solana, an account on NEAR);
    /// `None` while the index is unplaced.
    pub holder: Option<String>,
    /// The holder is this crank's provider.
    pub mine: bool,
    pub state: SlotState,
    /// When the chain last heard from the holder; `None` when not read (unplaced, this
    /// crank's own, or not accepted: no eviction is due then).
    pub silence: Option<HolderSilence>,
}

/// A blob as the crank reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrankBlob {
    pub id: BlobId,
    /// Every index was placed and accepted.
    pub active: bool,
    pub expiry_epoch: u64,
    /// What its deal holds; `None` without a deal.
    pub cover: Option<DealCover>,
    /// One per index, in index order.
    pub slots: Vec<CrankSlot>,
}

impl CrankBlob {
    /// Whether an index may have to move (it awaits repair, or is not accepted): only
    /// then does the crank need the registry's candidates.
    pub fn may_need_a_holder(&self) -> bool {
        self.slots
            .iter()
            .any(|s| s.state.needs_repair || !s.state.accepted)
    }
}

/// One transaction the crank sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrankAction {
    /// `deal_settle`: pays the holder of `index` its proven, unpaid epochs.
    Settle {
        blob: BlobId,
        index: u16,
        holder: String,
        /// The holder is this crank's provider.
        mine: bool,
    },
    /// `proof_slash`: the holder of `index` missed its proof of `epoch`.
    Slash {
        blob: BlobId,
        index: u16,
        epoch: u64,
        holder: String,
    },
    /// `shard_evict`: the holder of `index` has been silent past the offline threshold.
    Evict {
        blob: BlobId,
        index: u16,
        holder: String,
    },
    /// `blob_place`: moves `index`, which awaits repair, to `to`, keeping its column root.
    Place {
        blob: BlobId,
        index: u16,
        column_root: [u8; 32],
        to: Candidate,
    },
}

/// A node that was offered a repaired index and has not accepted it yet: told (over its
/// API, not the chain) so that it rebuilds the column. Sent every pass until it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairNotice {
    pub blob: BlobId,
    pub endpoint: String,
}

/// How the chain answered one [`CrankAction`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrankOutcome {
    /// Settled: `amount` was paid to the holder (0 when another crank settled first).
    Settled { amount: u128 },
    /// Slashed: the crank earned `bounty`.
    Slashed { bounty: u128 },
    /// Evicted: the index awaits repair.
    Evicted,
    /// Placed: the index is offered to its new holder.
    Placed,
    /// Landed, but what it paid could not be read back.
    Landed,
    /// Refused or not landed, with why. Nothing is sent again for it until a later read
    /// shows it still due.
    Failed(String),
}

/// What the crank should send for `blob` at `clock`: a settle of every index with proven,
/// unpaid epochs (its own at once, another holder's after [`LAZY_HOLDER_EPOCHS`]), a slash
/// of every other holder's latest missed proof that the program would accept, once this
/// crank's turn for it came; without such a miss, an eviction of every other holder silent
/// past the offline threshold, in turn too; and for each index that awaits repair (its
/// holder was slashed, evicted or released it, or its repair offer lapsed) a placement on
/// the first of `candidates` (in an order every crank computes alike, so racing cranks
/// choose the same one) that holds no index of the blob. An index with unpaid epochs is
/// settled first (`check_placement` wants them paid); its slash or repair waits for the
/// next pass.
pub fn plan(blob: &CrankBlob, clock: &CrankClock, candidates: &[Candidate]) -> Vec<CrankAction> {
    let mine = blob.slots.iter().position(|s| s.mine);
    let mut actions = Vec::new();
    for (index, slot) in (0u16..).zip(&blob.slots) {
        let Some(holder) = slot.holder.clone() else {
            continue;
        };
        let unpaid = slot.state.unpaid_epochs;
        let lost = awaits_repair(blob, &slot.state, clock);
        if blob.cover.is_some() && unpaid > 0 && (slot.mine || lost || unpaid >= LAZY_HOLDER_EPOCHS)
        {
            actions.push(CrankAction::Settle {
                blob: blob.id,
                index,
                holder: holder.clone(),
                mine: slot.mine,
            });
            continue;
        }
        if lost {
            // Only while the deal pays for it: a new holder could not accept it otherwise
            // (`DealLapsed`), and nothing would pay for the rebuild.
            let funded = blob.cover.is_some_and(|c| c.funds_the_shard());
            let replacement = funded
                .then(|| replacement(blob, index, candidates))
                .flatten();
            if let Some(to) = replacement {
                actions.push(CrankAction::Place {
                    blob: blob.id,
                    index,
                    column_root: slot.state.column_root,
                    to,
                });
            }
            continue;
        }
        if slot.mine {
            continue;
        }
        // This crank's place after the index; a crank holding nothing in the blob comes
        // last.
        let n = blob.slots.len();
        let turn = mine.map_or(n, |m| (m + n - usize::from(index)) % n) as u64;
        let waits = |stagger: u64| turn.saturating_sub(1).saturating_mul(stagger);
        if let Some(epoch) = missed_epoch(blob, &slot.state, clock) {
            if clock.now > clock.deadline(epoch).saturating_add(waits(clock.stagger())) {
                actions.push(CrankAction::Slash {
                    blob: blob.id,
                    index,
                    epoch,
                    holder,
                });
            }
            continue;
        }
        let Some(silence) = slot.silence else {
            continue;
        };
        let offline_from = silence
            .last_sign_of_life()
            .saturating_add(clock.offline_ticks)
            .saturating_add(waits(clock.eviction_stagger()));
        let expired = blob.expiry_epoch <= clock.epoch();
        if clock.now > offline_from
            && !expired
            && slot.state.evict(&eviction(blob, clock, silence)).is_ok()
        {
            actions.push(CrankAction::Evict {
                blob: blob.id,
                index,
                holder,
            });
        }
    }
    actions
}

/// What `shard_evict` judges for an index of `blob` whose holder was last heard of as
/// `holder`, at `clock`.
fn eviction(blob: &CrankBlob, clock: &CrankClock, holder: HolderSilence) -> Eviction {
    Eviction {
        holder,
        now: clock.now,
        offline_ticks: clock.offline_ticks,
        blob_active: blob.active,
        expiry_epoch: blob.expiry_epoch,
        latest_closed_epoch: clock.latest_closed_epoch(),
        cover: blob.cover,
    }
}

/// The holders whose silence the crank must know to judge an eviction: every other
/// holder of an accepted index that does not await repair, each named once.
pub fn holders_to_judge(blobs: &[CrankBlob]) -> Vec<String> {
    let mut holders: Vec<String> = blobs
        .iter()
        .flat_map(|b| &b.slots)
        .filter(|s| !s.mine && s.state.accepted && !s.state.needs_repair)
        .filter_map(|s| s.holder.clone())
        .collect();
    holders.sort_unstable();
    holders.dedup();
    holders
}

/// Gives every slot whose holder is in `heard` (read for [`holders_to_judge`]) its
/// holder's silence.
pub fn set_silence(
    blobs: &mut [CrankBlob],
    heard: &std::collections::HashMap<String, HolderSilence>,
) {
    for slot in blobs.iter_mut().flat_map(|b| &mut b.slots) {
        if !slot.mine {
            slot.silence = slot.holder.as_ref().and_then(|h| heard.get(h)).copied();
        }
    }
}

/// Whether the index of an active, unexpired blob awaits a new holder: slashed or
/// released, or a repair offer that lapsed (`basalt_rules::check_placement` allows both).
fn awaits_repair(blob: &CrankBlob, slot: &SlotState, clock: &CrankClock) -> bool {
    blob.active
        && blob.expiry_epoch > clock.epoch()
        && (slot.needs_repair || (!slot.accepted && slot.acceptance().lapsed(clock.now)))
}

/// The candidate a lost index of `blob` goes to: the first, by BLAKE3 of (blob, index,
/// candidate), that holds no index of the blob.
fn replacement(blob: &CrankBlob, index: u16, candidates: &[Candidate]) -> Option<Candidate> {
    candidates
        .iter()
        .filter(|c| {
            !blob
                .slots
                .iter()
                .any(|s| s.holder.as_deref() == Some(c.id.as_str()))
        })
        .min_by_key(|c| {
            let mut h = blake3::Hasher::new();
            h.update(blob.id.as_bytes());
            h.update(&index.to_le_bytes());
            h.update(c.id.as_bytes());
            *h.finalize().as_bytes()
        })
        .cloned()
}

/// The repair offers of `blob` still awaiting their holder's acceptance, with where that
/// holder listens (among `candidates`).
pub fn repair_notices(
    blob: &CrankBlob,
    clock: &CrankClock,
    candidates: &[Candidate],
) -> Vec<RepairNotice> {
    if !blob.active {
        return Vec::new();
    }
    blob.slots
        .iter()
        .filter(|s| s.state.acceptance().awaits_acceptance(clock.now))
        .filter_map(|s| {
            let holder = s.holder.as_deref()?;
            let to = candidates.iter().find(|c| c.id == holder)?;
            Some(RepairNotice {
                blob: blob.id,
                endpoint: to.endpoint.clone(),
            })
        })
        .collect()
}

/// The latest epoch whose window closed without a proof from the slot's holder that
/// `proof_slash` would punish now (`check_provable`, `check_slashable`, the 64-epoch
/// history); `None` when there is none.
fn missed_epoch(blob: &CrankBlob, slot: &SlotState, clock: &CrankClock) -> Option<u64> {
    check_slashable(blob.cover.as_ref(), slot.accepted_price).ok()?;
    let latest = clock
        .latest_closed_epoch()?
        .min(blob.expiry_epoch.checked_sub(1)?);
    let proofs = ProofRecord {
        last_proven_epoch: slot.last_proven_epoch,
        proven_mask: slot.proven_mask,
    };
    let under_proof = SlotUnderProof {
        blob_active: blob.active,
        expiry_epoch: blob.expiry_epoch,
        names_holder: true,
        acceptance: slot.acceptance(),
        assigned_epoch: slot.assigned_epoch,
    };
    let earliest = slot.assigned_epoch.max(latest.saturating_sub(63));
    (earliest..=latest)
        .rev()
        .find(|&e| check_provable(&under_proof, e).is_ok() && proofs.is_proven(e) == Some(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Epochs of 100 ticks, proofs due in the first 40; offline after 80 silent ticks.
    fn clock(now: u64) -> CrankClock {
        CrankClock {
            now,
            epoch_ticks: 100,
            window_ticks: 40,
            offline_ticks: 80,
        }
    }

    fn slot(holder: &str, mine: bool) -> CrankSlot {
        CrankSlot {
            holder: Some(holder.into()),
            mine,
            state: SlotState {
                column_root: [1; 32],
                assigned_epoch: 2,
                last_proven_epoch: 0,
                proven_mask: 0,
                unpaid_epochs: 0,
                needs_repair: false,
                accepted: true,
                accept_by: 0,
                accepted_price: 10,
            },
            silence: None,
        }
    }

    /// A blob of four indices; this crank holds index 1.
    fn blob() -> CrankBlob {
        CrankBlob {
            id: BlobId::from_bytes([7; 32]),
            active: true,
            expiry_epoch: 100,
            cover: Some(DealCover {
                balance: 10_000,
                price_per_shard_epoch: 10,
                owed_epochs: 0,
            }),
            slots: vec![
                slot("a", false),
                slot("me", true),
                slot("c", false),
                slot("d", false),
            ],
        }
    }

    /// Marks epochs `from..=to` proven on every slot.
    fn proven(b: &mut CrankBlob, from: u64, to: u64) {
        for s in &mut b.slots {
            let mut r = ProofRecord::default();
            for e in from..=to {
                r.record(e).unwrap();
            }
            s.state.last_proven_epoch = r.last_proven_epoch;
            s.state.proven_mask = r.proven_mask;
        }
    }

    #[test]
    fn nothing_is_due_while_every_holder_proves() {
        let mut b = blob();
        proven(&mut b, 2, 4);
        // Epoch 5's window is open until tick 540.
        assert_eq!(plan(&b, &clock(540), &[]), vec![]);
    }

    #[test]
    fn a_crank_settles_its_own_slot_at_once_and_others_late() {
        let mut b = blob();
        proven(&mut b, 2, 4);
        b.slots[1].state.unpaid_epochs = 1;
        b.slots[2].state.unpaid_epochs = LAZY_HOLDER_EPOCHS - 1;
        b.slots[3].state.unpaid_epochs = LAZY_HOLDER_EPOCHS;
        let settled: Vec<u16> = plan(&b, &clock(540), &[])
            .into_iter()
            .map(|a| match a {
                CrankAction::Settle { index, .. } => index,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(settled, vec![1, 3]);
        b.cover = None;
        assert_eq!(
            plan(&b, &clock(540), &[]),
            vec![],
            "no deal pays: nothing to settle"
        );
    }

    #[test]
    fn a_miss_is_slashed_in_turn_after_the_window() {
        let mut b = blob();
        proven(&mut b, 2, 4);
        // Index 3 ("d") did not prove epoch 5; its deadline is tick 540.
        let mut r = ProofRecord::default();
        for e in 2..=4 {
            r.record(e).unwrap();
        }
        b.slots[3].state.proven_mask = r.proven_mask;
        for s in [0, 1, 2] {
            b.slots[s].state.last_proven_epoch = 5;
            b.slots[s].state.proven_mask = (r.proven_mask << 1) | 1;
        }
        assert_eq!(
            plan(&b, &clock(540), &[]),
            vec![],
            "the window is still open"
        );
        // This crank (index 1) is two places after index 3: it waits one stagger (25
        // ticks) for index 0's crank.
        assert_eq!(plan(&b, &clock(565), &[]), vec![]);
        let slash = CrankAction::Slash {
            blob: b.id,
            index: 3,
            epoch: 5,
            holder: "d".into(),
        };
        assert_eq!(plan(&b, &clock(566), &[]), vec![slash.clone()]);
        // Index 0's crank is first.
        b.slots[1].mine = false;
        b.slots[0].mine = true;
        assert_eq!(plan(&b, &clock(541), &[]), vec![slash]);
    }

    #[test]
    fn a_lost_index_is_settled_then_placed_on_a_candidate_outside_the_blob() {
        let mut b = blob();
        // Epoch 2 (ticks 200..300) proven by everyone; its window closed at 240.
        proven(&mut b, 2, 2);
        b.slots[2].state.needs_repair = true;
        b.slots[2].state.accepted = false;
        b.slots[2].state.unpaid_epochs = 1;
        let candidate = |id: &str| Candidate {
            id: id.into(),
            endpoint: format!("http://{id}"),
        };
        // "a" holds index 0: never a candidate for another index of the blob.
        let candidates = [candidate("a"), candidate("x"), candidate("y")];
        let actions = plan(&b, &clock(250), &candidates);
        assert!(
            matches!(
                &actions[..],
                [CrankAction::Settle {
                    index: 2,
                    mine: false,
                    ..
                }]
            ),
            "paid first, whoever cranks: {actions:?}"
        );
        b.slots[2].state.unpaid_epochs = 0;
        let placed: Vec<_> = plan(&b, &clock(250), &candidates)
            .into_iter()
            .filter_map(|a| match a {
                CrankAction::Place {
                    index,
                    to,
                    column_root,
                    ..
                } => Some((index, to.id, column_root)),
                _ => None,
            })
            .collect();
        assert_eq!(placed.len(), 1, "{placed:?}");
        assert_eq!(placed[0].0, 2);
        assert_ne!(placed[0].1, "a");
        assert_eq!(placed[0].2, [1; 32], "the column root is kept");
        assert_eq!(
            plan(&b, &clock(250), &candidates[..1]),
            vec![],
            "no candidate outside the blob"
        );
        let unfunded = CrankBlob {
            cover: None,
            ..b.clone()
        };
        assert_eq!(
            plan(&unfunded, &clock(250), &candidates),
            vec![],
            "no deal pays for a new holder"
        );

        // Offered to "x": every pass tells x's node, until it accepts.
        b.slots[2] = CrankSlot {
            holder: Some("x".into()),
            mine: false,
            state: SlotState {
                needs_repair: false,
                accept_by: 255,
                ..b.slots[2].state
            },
            silence: None,
        };
        assert_eq!(
            repair_notices(&b, &clock(250), &candidates),
            vec![RepairNotice {
                blob: b.id,
                endpoint: "http://x".into()
            }]
        );
        assert!(plan(&b, &clock(250), &candidates).is_empty());
        // The offer lapsed: placed again.
        assert!(matches!(
            &plan(&b, &clock(256), &candidates)[..],
            [CrankAction::Place { index: 2, .. }]
        ));
    }

    #[test]
    fn what_the_program_refuses_is_not_sent() {
        let mut b = blob();
        // Never proven from epoch 2 on: the latest closed epoch (6 at tick 700) is missed.
        let missed = |b: &CrankBlob| {
            plan(b, &clock(700), &[])
                .into_iter()
                .filter_map(|a| match a {
                    CrankAction::Slash { index, epoch, .. } => Some((index, epoch)),
                    CrankAction::Settle { .. }
                    | CrankAction::Place { .. }
                    | CrankAction::Evict { .. } => None,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(missed(&b), vec![(0, 6), (2, 6), (3, 6)], "never its own");
        b.slots[0].state.needs_repair = true;
        b.slots[2].state.accepted = false;
        b.slots[3].state.assigned_epoch = 7;
        assert_eq!(missed(&b), vec![], "repair, unaccepted, not yet owed");

        let mut b = blob();
        b.cover = Some(DealCover {
            balance: 10_000,
            price_per_shard_epoch: 9,
            owed_epochs: 0,
        });
        assert_eq!(missed(&b), vec![], "the deal pays less than accepted");
        b.cover = Some(DealCover {
            balance: 10,
            price_per_shard_epoch: 10,
            owed_epochs: 1,
        });
        assert_eq!(missed(&b), vec![], "the deal cannot pay the epoch");
        let mut b = blob();
        b.expiry_epoch = 4;
        assert_eq!(
            missed(&b).into_iter().map(|(_, e)| e).collect::<Vec<_>>(),
            vec![3, 3, 3],
            "the last epoch before expiry"
        );
        b.active = false;
        assert_eq!(missed(&b), vec![], "not active");
    }

    #[test]
    fn a_silent_holder_is_evicted_in_turn_unless_its_miss_is_slashed() {
        let mut b = blob();
        // Everyone proved epochs 2..=5; at tick 541 epoch 5's window has closed.
        proven(&mut b, 2, 5);
        let heard = |tick| {
            Some(HolderSilence {
                last_heartbeat: tick,
                registered: 0,
            })
        };
        b.slots[0].silence = heard(530);
        b.slots[2].silence = heard(450);
        b.slots[3].silence = heard(400);
        let evicted = |b: &CrankBlob, now| {
            plan(b, &clock(now), &[])
                .into_iter()
                .filter_map(|a| match a {
                    CrankAction::Evict { index, .. } => Some(index),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        // "d" (index 3) is silent past 480; this crank (index 1) is second after it and
        // waits one eviction stagger (10 ticks). "c" is silent past 530, and this crank is
        // third after it.
        assert_eq!(evicted(&b, 480), Vec::<u16>::new());
        assert_eq!(evicted(&b, 490), Vec::<u16>::new());
        assert_eq!(evicted(&b, 491), vec![3]);
        assert_eq!(evicted(&b, 550), vec![3]);
        assert_eq!(evicted(&b, 551), vec![2, 3]);
        // Index 3's own successor (index 0's crank) goes first.
        b.slots[1].mine = false;
        b.slots[0].mine = true;
        assert_eq!(evicted(&b, 481), vec![3]);
        b.slots[0].mine = false;
        b.slots[1].mine = true;

        // "d" also missed epoch 6 (window closed at 640): slashed, not evicted.
        let mut missed = b.clone();
        for s in [0, 1, 2] {
            let mut r = ProofRecord {
                last_proven_epoch: missed.slots[s].state.last_proven_epoch,
                proven_mask: missed.slots[s].state.proven_mask,
            };
            r.record(6).unwrap();
            missed.slots[s].state.last_proven_epoch = r.last_proven_epoch;
            missed.slots[s].state.proven_mask = r.proven_mask;
        }
        let actions = plan(&missed, &clock(700), &[]);
        assert!(
            actions.iter().any(|a| matches!(
                a,
                CrankAction::Slash {
                    index: 3,
                    epoch: 6,
                    ..
                }
            )),
            "{actions:?}"
        );
        assert!(
            !actions
                .iter()
                .any(|a| matches!(a, CrankAction::Evict { index: 3, .. })),
            "{actions:?}"
        );

        // Not read (own, unplaced) or already in repair: nothing to evict.
        b.slots[3].silence = None;
        b.slots[2].state.needs_repair = true;
        b.slots[2].state.accepted = false;
        assert!(evicted(&b, 551).is_empty());
        // An expired blob is left alone.
        let mut old = blob();
        old.slots[3].silence = heard(0);
        old.expiry_epoch = 5;
        assert!(evicted(&old, 551).is_empty());
    }
}
