//! When anyone may take a shard index away from a holder whose node went silent: the
//! on-chain side of `offline`. A holder that stops heartbeating for longer than the
//! configuration's `offline_ticks` has its accepted indices sent to repair without waiting
//! for the proof it will miss. Silence is not proven fraud (a node may be down for
//! maintenance): an evicted holder is neither slashed nor jailed, and a pause shorter than
//! `offline_ticks` costs nothing. But walking away from an accepted index is not free
//! either: the holder pays the repair it makes necessary ([`Eviction::repair_charge`]).
//! A miss already slashable is slashed instead (`proof_slash`): an eviction must not let a
//! holder (or a friend cranking for it) escape the slash.

use crate::{
    check_provable, check_slashable, DealCover, ProofRecord, RuleError, SlotState, SlotUnderProof,
    REPAIR_CREDIT_EPOCHS,
};

/// The holder of a shard index, as the chain last heard from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HolderSilence {
    /// Chain tick (Solana slot, NEAR block) of its latest heartbeat; 0 if it never sent one.
    pub last_heartbeat: u64,
    /// Chain tick it registered at: a provider is not silent before it existed.
    pub registered: u64,
}

impl HolderSilence {
    /// The last tick the holder was known to be alive.
    pub fn last_sign_of_life(&self) -> u64 {
        self.last_heartbeat.max(self.registered)
    }

    /// Whether the holder has been silent for more than `offline_ticks` at tick `now`.
    pub fn is_offline(&self, now: u64, offline_ticks: u64) -> bool {
        now.saturating_sub(self.last_sign_of_life()) > offline_ticks
    }
}

/// The latest epoch whose proof window has closed at tick `now`, for epochs of
/// `epoch_ticks` whose proofs are due in their first `window_ticks`; `None` before the
/// first window closed. A proof of an epoch is due until tick
/// `epoch * epoch_ticks + window_ticks` included.
pub fn latest_closed_epoch(now: u64, epoch_ticks: u64, window_ticks: u64) -> Option<u64> {
    let epoch = now / epoch_ticks.max(1);
    let deadline = epoch
        .saturating_mul(epoch_ticks)
        .saturating_add(window_ticks);
    if now > deadline {
        Some(epoch)
    } else {
        epoch.checked_sub(1)
    }
}

/// What the chain knows when someone asks to evict a shard index's holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eviction {
    pub holder: HolderSilence,
    /// The chain tick of the request.
    pub now: u64,
    /// The configuration's `offline_ticks`.
    pub offline_ticks: u64,
    /// The blob is active (its indices are obligations) and expires at `expiry_epoch`.
    pub blob_active: bool,
    pub expiry_epoch: u64,
    /// [`latest_closed_epoch`] at `now`.
    pub latest_closed_epoch: Option<u64>,
    /// What the blob's deal holds; `None` without a deal.
    pub cover: Option<DealCover>,
}

impl Eviction {
    /// What the evicted holder of an index it accepted at `accepted_price` pays into the
    /// blob's deal: the repair credit the deal owes the index's next holder
    /// ([`REPAIR_CREDIT_EPOCHS`] shard-epochs) at the price the holder signed for, so the
    /// owner does not pay for the holder's departure. It comes out of the holder's stake,
    /// bonded first, then unbonding ([`crate::Slash::up_to`]: never more than it holds).
    /// Nothing when the blob is not active (a repair of an inactive blob earns no credit)
    /// or has no deal (nothing pays a repair, nothing receives the charge).
    pub fn repair_charge(&self, accepted_price: u128) -> u128 {
        if self.blob_active && self.cover.is_some() {
            accepted_price.saturating_mul(u128::from(REPAIR_CREDIT_EPOCHS))
        } else {
            0
        }
    }
}

impl SlotState {
    /// The index once its silent holder was evicted (`shard_evict`): no longer the
    /// holder's obligation, awaiting repair. Its proof record and its proven, unpaid epochs
    /// stay: they are the holder's pay, and the index cannot be placed again before a
    /// settle pays them ([`crate::check_placement`]).
    ///
    /// # Errors
    ///
    /// [`RuleError::ShardNeedsRepair`] (already lost or given up),
    /// [`RuleError::ShardNotAccepted`] (an offer binds nobody and lapses on its own),
    /// [`RuleError::HolderNotOffline`], or [`RuleError::MissedProofPending`] when the holder
    /// missed the latest closed epoch's proof and `proof_slash` would take it.
    pub fn evict(&self, e: &Eviction) -> Result<SlotState, RuleError> {
        if self.needs_repair {
            return Err(RuleError::ShardNeedsRepair);
        }
        if !self.accepted {
            return Err(RuleError::ShardNotAccepted);
        }
        if !e.holder.is_offline(e.now, e.offline_ticks) {
            return Err(RuleError::HolderNotOffline);
        }
        if self.slashable_miss(e) {
            return Err(RuleError::MissedProofPending);
        }
        Ok(SlotState {
            accepted: false,
            needs_repair: true,
            ..*self
        })
    }

    /// Whether the holder missed the proof of the latest closed epoch and `proof_slash`
    /// would punish it now (`check_provable`, `check_slashable`).
    fn slashable_miss(&self, e: &Eviction) -> bool {
        let Some(epoch) = e.latest_closed_epoch else {
            return false;
        };
        let under_proof = SlotUnderProof {
            blob_active: e.blob_active,
            expiry_epoch: e.expiry_epoch,
            names_holder: true,
            acceptance: self.acceptance(),
            assigned_epoch: self.assigned_epoch,
        };
        let proofs = ProofRecord {
            last_proven_epoch: self.last_proven_epoch,
            proven_mask: self.proven_mask,
        };
        check_provable(&under_proof, epoch).is_ok()
            && proofs.is_proven(epoch) == Some(false)
            && check_slashable(e.cover.as_ref(), self.accepted_price).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted() -> SlotState {
        SlotState {
            column_root: [3; 32],
            assigned_epoch: 4,
            last_proven_epoch: 0,
            proven_mask: 0,
            unpaid_epochs: 2,
            needs_repair: false,
            accepted: true,
            accept_by: 90,
            accepted_price: 10,
        }
    }

    #[test]
    fn silence_counts_from_the_latest_heartbeat_or_the_registration() {
        let never = HolderSilence {
            last_heartbeat: 0,
            registered: 500,
        };
        assert!(!never.is_offline(800, 300));
        assert!(never.is_offline(801, 300));
        let beating = HolderSilence {
            last_heartbeat: 1_000,
            registered: 500,
        };
        assert_eq!(beating.last_sign_of_life(), 1_000);
        assert!(!beating.is_offline(1_300, 300));
        assert!(beating.is_offline(1_301, 300));
        // A heartbeat later than the reader's tick (another node's clock) is not silence.
        assert!(!beating.is_offline(900, 300));
    }

    /// Epochs of 100 ticks, proofs due in the first 40; the holder was last heard of at
    /// tick 100 and is offline after 300 silent ticks.
    fn eviction(now: u64) -> Eviction {
        Eviction {
            holder: HolderSilence {
                last_heartbeat: 100,
                registered: 10,
            },
            now,
            offline_ticks: 300,
            blob_active: true,
            expiry_epoch: 50,
            latest_closed_epoch: latest_closed_epoch(now, 100, 40),
            cover: Some(DealCover {
                balance: 1_000,
                price_per_shard_epoch: 10,
                owed_epochs: 2,
            }),
        }
    }

    #[test]
    fn the_latest_closed_epoch_is_the_one_whose_window_closed_last() {
        assert_eq!(latest_closed_epoch(0, 100, 40), None);
        assert_eq!(latest_closed_epoch(40, 100, 40), None);
        assert_eq!(latest_closed_epoch(41, 100, 40), Some(0));
        assert_eq!(latest_closed_epoch(140, 100, 40), Some(0));
        assert_eq!(latest_closed_epoch(141, 100, 40), Some(1));
    }

    #[test]
    fn only_an_accepted_index_of_a_silent_holder_is_evicted() {
        // Tick 401: epoch 4's window is open; the latest closed epoch, 3, precedes the
        // assignment, so no proof is missed.
        let evicted = accepted().evict(&eviction(401));
        assert_eq!(
            evicted,
            Ok(SlotState {
                accepted: false,
                needs_repair: true,
                ..accepted()
            }),
            "the proof record and the unpaid epochs stay for the settle"
        );
        assert_eq!(
            accepted().evict(&eviction(400)),
            Err(RuleError::HolderNotOffline)
        );
        let offer = SlotState {
            accepted: false,
            ..accepted()
        };
        assert_eq!(
            offer.evict(&eviction(401)),
            Err(RuleError::ShardNotAccepted)
        );
        let lost = evicted.expect("evicted above");
        assert_eq!(
            lost.evict(&eviction(401)),
            Err(RuleError::ShardNeedsRepair),
            "an index is evicted once"
        );
    }

    #[test]
    fn a_slashable_miss_is_slashed_not_evicted() {
        // Owed from epoch 4, proved 4; at tick 541 epoch 5's window closed unproven.
        let mut proofs = ProofRecord::default();
        proofs.record(4).expect("first proof");
        let owing = SlotState {
            assigned_epoch: 4,
            last_proven_epoch: proofs.last_proven_epoch,
            proven_mask: proofs.proven_mask,
            ..accepted()
        };
        assert!(owing.evict(&eviction(501)).is_ok(), "epoch 5 still open");
        assert_eq!(
            owing.evict(&eviction(541)),
            Err(RuleError::MissedProofPending)
        );
        // The miss is not slashable when the deal no longer pays for the index, nor before
        // the blob is active: the holder owes nothing, and may be evicted.
        let unpaid = Eviction {
            cover: None,
            ..eviction(541)
        };
        assert!(owing.evict(&unpaid).is_ok());
        let inactive = Eviction {
            blob_active: false,
            ..eviction(541)
        };
        assert!(owing.evict(&inactive).is_ok());
        // Proven in time: evicted.
        let mut proven = owing;
        proven.last_proven_epoch = 5;
        proven.proven_mask = 0b11;
        assert!(proven.evict(&eviction(541)).is_ok());
    }

    #[test]
    fn the_evicted_holder_pays_the_repair_credit_of_an_active_blob_with_a_deal() {
        assert_eq!(
            eviction(401).repair_charge(10),
            u128::from(REPAIR_CREDIT_EPOCHS) * 10
        );
        let no_deal = Eviction {
            cover: None,
            ..eviction(401)
        };
        assert_eq!(no_deal.repair_charge(10), 0, "nothing pays a repair");
        let inactive = Eviction {
            blob_active: false,
            ..eviction(401)
        };
        assert_eq!(inactive.repair_charge(10), 0, "no repair credit is owed");
    }
}
