//! When a shard index of a blob may be (re)placed on a provider, and when its holder may
//! accept it. A placement is only an offer: the holder becomes answerable for the shard
//! (proofs, slashes, payment) once it accepts with its own signature, which its node does
//! after it stored the column and checked it against the placed column root.

use crate::RuleError;

/// The deadline of an offer made at chain tick `now` (a Solana slot, a NEAR block) under a
/// configuration's `accept_window_ticks`: the last tick its holder may accept it at. Fixed
/// at placement, so a later change of the window does not move an open offer.
pub fn accept_by(now: u64, accept_window_ticks: u64) -> u64 {
    now.saturating_add(accept_window_ticks)
}

/// Whether a placed index was accepted by its holder, and until when it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acceptance {
    /// The holder accepted the placement (signed for the obligation).
    // INV: never together with needs_repair: a slash or a release ends the acceptance
    pub accepted: bool,
    /// The holder missed a proof or released the index: it awaits a new placement.
    pub needs_repair: bool,
    /// Last chain tick the holder may accept the placement at ([`accept_by`]).
    pub accept_by: u64,
}

impl Acceptance {
    /// Whether the holder may still accept the index at tick `now`: neither accepted, nor in
    /// repair, nor lapsed. What a node looks for in a blob it holds data of.
    pub fn awaits_acceptance(&self, now: u64) -> bool {
        !self.accepted && !self.needs_repair && !self.lapsed(now)
    }

    /// Unaccepted and past its deadline at tick `now`: nobody answers for the index, and it
    /// may be placed again.
    pub fn lapsed(&self, now: u64) -> bool {
        !self.accepted && now > self.accept_by
    }
}

/// The terms a holder signs for when it accepts a shard index: the column it stores, until
/// when, and for what pay. The instruction binds the rest (the program or contract it is
/// sent to, the blob, the index, the signer), so an acceptance holds for these terms of
/// that one placement and nothing else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Terms {
    /// The root the holder checked its stored column against.
    pub column_root: [u8; 32],
    /// The blob's expiry epoch: the holder answers for no epoch from it on.
    pub expiry_epoch: u64,
    /// What the blob's deal pays the holder per proven epoch (u128: NEAR's token amounts).
    pub price_per_shard_epoch: u128,
}

/// The blob an offer belongs to, as the chain holds it when the holder accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferedBlob {
    pub expiry_epoch: u64,
    /// The price of the blob's deal; `None` while no deal is open (nothing would pay the
    /// holder).
    pub deal_price: Option<u128>,
    /// The blob was active before this acceptance: the offer is a repair (every index of
    /// an active blob was accepted once, and moves only to repair).
    pub active: bool,
}

/// Shard-epochs of pay the deal owes a holder that accepts a repaired index: the rebuild
/// (k shards of every chunk read from the other holders, the column computed and stored)
/// is paid like one proven epoch, settled with the others by `deal_settle`. Anyone may
/// place a repair, but only the holder that accepts it (having checked the rebuilt column
/// against the column root) is paid, once.
pub const REPAIR_CREDIT_EPOCHS: u64 = 1;

/// Whether placing indices of a blob needs the owner's (or a WRITE grantee's) signature:
/// until the blob is active, the owner chooses its holders; once it is active only indices
/// awaiting repair can move (`check_placement`), and anyone may move them, so a blob
/// whose owner is gone is still repaired.
pub fn placement_needs_owner(blob_active: bool) -> bool {
    !blob_active
}

/// What both chains keep of one shard index beside its holder: its column root, its proof
/// record and its acceptance. Each chain's `ShardSlot` converts to and from it, so the
/// transitions below are the only place its fields change on a placement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlotState {
    pub column_root: [u8; 32],
    /// First epoch the holder owes a proof of.
    pub assigned_epoch: u64,
    pub last_proven_epoch: u64,
    pub proven_mask: u64,
    /// Proven epochs the deal has not paid yet.
    pub unpaid_epochs: u64,
    pub needs_repair: bool,
    pub accepted: bool,
    pub accept_by: u64,
    /// The price per shard-epoch the holder signed for ([`Terms`]); 0 until it accepted.
    /// The holder answers for the index only while the deal pays at least this
    /// (`check_slashable`), whatever the owner does to the deal afterwards.
    pub accepted_price: u128,
}

/// A placement of one index by `blob_place`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewPlacement {
    /// The blob was active before this placement.
    pub blob_active: bool,
    /// The index had a holder before this placement.
    pub replaces: bool,
    pub column_root: [u8; 32],
    /// Chain tick and epoch of the placement.
    pub now: u64,
    pub epoch: u64,
    /// The configuration's `accept_window_ticks`.
    pub accept_window_ticks: u64,
}

impl SlotState {
    /// The index's acceptance, for [`Acceptance`]'s rules.
    pub fn acceptance(&self) -> Acceptance {
        Acceptance {
            accepted: self.accepted,
            needs_repair: self.needs_repair,
            accept_by: self.accept_by,
        }
    }

    /// The index once `placement` put it on a (new) holder: checked by [`check_placement`],
    /// it starts over as an offer, owed from the next epoch if accepted in time, with no
    /// proof record.
    ///
    /// # Errors
    ///
    /// As [`check_placement`]; [`RuleError::Overflow`].
    pub fn place(&self, placement: &NewPlacement) -> Result<SlotState, RuleError> {
        check_placement(&SlotBeforePlacement {
            blob_active: placement.blob_active,
            accepted: self.accepted,
            needs_repair: self.needs_repair,
            acceptance_lapsed: placement.replaces && self.acceptance().lapsed(placement.now),
            same_column_root: self.column_root == placement.column_root,
            unpaid_epochs: self.unpaid_epochs,
        })?;
        Ok(SlotState {
            column_root: placement.column_root,
            assigned_epoch: placement.epoch.checked_add(1).ok_or(RuleError::Overflow)?,
            last_proven_epoch: 0,
            proven_mask: 0,
            unpaid_epochs: 0,
            needs_repair: false,
            accepted: false,
            accept_by: accept_by(placement.now, placement.accept_window_ticks),
            accepted_price: 0,
        })
    }

    /// The index once its holder accepted it at tick `now`, in `epoch`, signing `signed`:
    /// an obligation from the next epoch (or its own later `assigned_epoch`) on, at the
    /// signed price; a repair of an active blob is owed [`REPAIR_CREDIT_EPOCHS`] of pay.
    ///
    /// # Errors
    ///
    /// [`RuleError::AlreadyAccepted`], [`RuleError::ShardNeedsRepair`] (the holder already
    /// lost or gave up the index), [`RuleError::AcceptanceLapsed`],
    /// [`RuleError::ColumnRootChanged`] (the placement changed since the holder checked its
    /// data), [`RuleError::DealLapsed`] (no deal pays for the index) or
    /// [`RuleError::TermsChanged`] (the blob's expiry or its deal's price are not the signed
    /// ones); [`RuleError::Overflow`].
    pub fn accept(
        &self,
        now: u64,
        epoch: u64,
        signed: &Terms,
        blob: &OfferedBlob,
    ) -> Result<SlotState, RuleError> {
        let acceptance = self.acceptance();
        if acceptance.accepted {
            return Err(RuleError::AlreadyAccepted);
        }
        if acceptance.needs_repair {
            return Err(RuleError::ShardNeedsRepair);
        }
        if acceptance.lapsed(now) {
            return Err(RuleError::AcceptanceLapsed);
        }
        if signed.column_root != self.column_root {
            return Err(RuleError::ColumnRootChanged);
        }
        let deal_price = blob.deal_price.ok_or(RuleError::DealLapsed)?;
        if signed.expiry_epoch != blob.expiry_epoch || signed.price_per_shard_epoch != deal_price {
            return Err(RuleError::TermsChanged);
        }
        let next = epoch.checked_add(1).ok_or(RuleError::Overflow)?;
        let repair_credit = if blob.active { REPAIR_CREDIT_EPOCHS } else { 0 };
        Ok(SlotState {
            assigned_epoch: next.max(self.assigned_epoch),
            accepted: true,
            accepted_price: deal_price,
            unpaid_epochs: self
                .unpaid_epochs
                .checked_add(repair_credit)
                .ok_or(RuleError::Overflow)?,
            ..*self
        })
    }
}

/// Whether a blob not yet active becomes active, given each of its indices as
/// `(placed, accepted)`: once every index is placed and every holder has accepted. Until
/// then no index is an obligation (no proof is due, no deal pays, nothing is slashed), so a
/// blob whose placement a holder never accepted binds nobody. Once active a blob stays
/// active; a repaired index is then an offer to its new holder alone.
pub fn activates(slots: impl IntoIterator<Item = (bool, bool)>) -> bool {
    slots
        .into_iter()
        .all(|(placed, accepted)| placed && accepted)
}

/// The first epoch a holder owes a proof of, for a blob that becomes active in `epoch`:
/// the next one, or the slot's own `assigned_epoch` when that is later. No epoch before the
/// activation can ever be judged, since no proof of it was possible.
///
/// # Errors
///
/// [`RuleError::Overflow`].
pub fn assigned_at_activation(assigned_epoch: u64, epoch: u64) -> Result<u64, RuleError> {
    let next = epoch.checked_add(1).ok_or(RuleError::Overflow)?;
    Ok(next.max(assigned_epoch))
}

/// What a shard index looks like when a proof or a slash of one epoch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotUnderProof {
    /// Every index of the blob was placed.
    pub blob_active: bool,
    /// First epoch the blob is no longer stored.
    pub expiry_epoch: u64,
    /// The index names the prover (`proof_submit`) or the provider being slashed.
    pub names_holder: bool,
    pub acceptance: Acceptance,
    /// First epoch the holder owes a proof of.
    pub assigned_epoch: u64,
}

/// Checks that the index is an obligation of its holder for `epoch`, which `proof_submit`
/// and `proof_slash` both require: the blob is active and not expired by `epoch`, the index
/// names the holder, who accepted it, it does not await repair, and the holder owed proofs
/// from `epoch` on.
///
/// # Errors
///
/// [`RuleError::BlobNotActive`], [`RuleError::BlobExpired`], [`RuleError::NotShardHolder`],
/// [`RuleError::ShardNeedsRepair`], [`RuleError::ShardNotAccepted`] or
/// [`RuleError::EpochBeforeAssignment`].
pub fn check_provable(slot: &SlotUnderProof, epoch: u64) -> Result<(), RuleError> {
    if !slot.blob_active {
        return Err(RuleError::BlobNotActive);
    }
    if epoch >= slot.expiry_epoch {
        return Err(RuleError::BlobExpired);
    }
    if !slot.names_holder {
        return Err(RuleError::NotShardHolder);
    }
    // Before the acceptance check: a slashed or released index was accepted once, and the
    // caller learns why it is no obligation any more.
    if slot.acceptance.needs_repair {
        return Err(RuleError::ShardNeedsRepair);
    }
    if !slot.acceptance.accepted {
        return Err(RuleError::ShardNotAccepted);
    }
    if epoch < slot.assigned_epoch {
        return Err(RuleError::EpochBeforeAssignment);
    }
    Ok(())
}

/// What a shard index looks like when a placement names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotBeforePlacement {
    /// The blob is active: every index was placed and the commitment checked.
    pub blob_active: bool,
    /// The index's holder accepted it: an obligation, which only a slash or a release ends.
    pub accepted: bool,
    /// The index's holder missed a proof and the index awaits repair.
    pub needs_repair: bool,
    /// The index was placed but its holder never accepted within the window
    /// ([`Acceptance::lapsed`]).
    pub acceptance_lapsed: bool,
    /// The placement keeps the index's column root.
    pub same_column_root: bool,
    /// Proven epochs the deal has not paid yet.
    pub unpaid_epochs: u64,
}

/// Checks a placement of one shard index. An index its holder accepted never moves: the
/// holder signed for it, and only a slash or a release (which send it to repair) end that.
/// Otherwise, before activation any index may be placed again (the owner completes or
/// corrects the placement); after it, only an index awaiting repair or whose placement
/// lapsed unaccepted, with the same column root. Either way the index's proven epochs must
/// be paid first: they belong to the holder that proved them, never to the next one.
///
/// # Errors
///
/// [`RuleError::ShardNotRepairable`], [`RuleError::ColumnRootChanged`] or
/// [`RuleError::UnsettledPayouts`].
pub fn check_placement(slot: &SlotBeforePlacement) -> Result<(), RuleError> {
    if slot.accepted {
        return Err(RuleError::ShardNotRepairable);
    }
    if slot.blob_active {
        if !slot.needs_repair && !slot.acceptance_lapsed {
            return Err(RuleError::ShardNotRepairable);
        }
        if !slot.same_column_root {
            return Err(RuleError::ColumnRootChanged);
        }
    }
    if slot.unpaid_epochs != 0 {
        return Err(RuleError::UnsettledPayouts);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placements() {
        let fresh = SlotBeforePlacement {
            blob_active: false,
            accepted: false,
            needs_repair: false,
            acceptance_lapsed: false,
            same_column_root: false,
            unpaid_epochs: 0,
        };
        assert_eq!(check_placement(&fresh), Ok(()));
        let owed = SlotBeforePlacement {
            unpaid_epochs: 1,
            ..fresh
        };
        assert_eq!(check_placement(&owed), Err(RuleError::UnsettledPayouts));
        let active = SlotBeforePlacement {
            blob_active: true,
            ..fresh
        };
        assert_eq!(check_placement(&active), Err(RuleError::ShardNotRepairable));
        let repair = SlotBeforePlacement {
            needs_repair: true,
            ..active
        };
        assert_eq!(check_placement(&repair), Err(RuleError::ColumnRootChanged));
        let same = SlotBeforePlacement {
            same_column_root: true,
            ..repair
        };
        assert_eq!(check_placement(&same), Ok(()));
        let same_owed = SlotBeforePlacement {
            unpaid_epochs: 2,
            ..same
        };
        assert_eq!(
            check_placement(&same_owed),
            Err(RuleError::UnsettledPayouts)
        );
        let lapsed = SlotBeforePlacement {
            acceptance_lapsed: true,
            same_column_root: true,
            ..active
        };
        assert_eq!(check_placement(&lapsed), Ok(()));
        let lapsed_other_root = SlotBeforePlacement {
            same_column_root: false,
            ..lapsed
        };
        assert_eq!(
            check_placement(&lapsed_other_root),
            Err(RuleError::ColumnRootChanged)
        );
        for blob_active in [false, true] {
            let accepted = SlotBeforePlacement {
                blob_active,
                accepted: true,
                same_column_root: true,
                ..fresh
            };
            assert_eq!(
                check_placement(&accepted),
                Err(RuleError::ShardNotRepairable),
                "an accepted index is its holder's until a slash or a release"
            );
        }
    }

    #[test]
    fn a_placement_starts_the_index_over_as_an_offer() {
        let proven = SlotState {
            column_root: [1; 32],
            assigned_epoch: 2,
            last_proven_epoch: 5,
            proven_mask: 0b111,
            unpaid_epochs: 0,
            needs_repair: true,
            accepted: false,
            accept_by: 40,
            accepted_price: 10,
        };
        let repair = NewPlacement {
            blob_active: true,
            replaces: true,
            column_root: [1; 32],
            now: 700,
            epoch: 7,
            accept_window_ticks: 150,
        };
        assert_eq!(
            proven.place(&repair),
            Ok(SlotState {
                column_root: [1; 32],
                assigned_epoch: 8,
                accept_by: 850,
                ..SlotState::default()
            })
        );
        let moved = NewPlacement {
            column_root: [2; 32],
            ..repair
        };
        assert_eq!(proven.place(&moved), Err(RuleError::ColumnRootChanged));
        let owed = SlotState {
            unpaid_epochs: 1,
            ..proven
        };
        assert_eq!(owed.place(&repair), Err(RuleError::UnsettledPayouts));
    }

    #[test]
    fn a_blob_activates_once_every_index_is_placed_and_accepted() {
        assert!(activates([(true, true), (true, true)]));
        assert!(
            !activates([(true, true), (true, false)]),
            "one holder has not signed"
        );
        assert!(
            !activates([(true, true), (false, false)]),
            "one index unplaced"
        );
        assert_eq!(assigned_at_activation(3, 7), Ok(8));
        assert_eq!(assigned_at_activation(9, 7), Ok(9));
        assert_eq!(
            assigned_at_activation(0, u64::MAX),
            Err(RuleError::Overflow)
        );
    }

    #[test]
    fn only_an_accepted_index_of_a_live_blob_is_provable() {
        let owed = SlotUnderProof {
            blob_active: true,
            expiry_epoch: 20,
            names_holder: true,
            acceptance: Acceptance {
                accepted: true,
                needs_repair: false,
                accept_by: 30,
            },
            assigned_epoch: 5,
        };
        assert_eq!(check_provable(&owed, 5), Ok(()));
        assert_eq!(check_provable(&owed, 19), Ok(()));
        let offered = Acceptance {
            accepted: false,
            ..owed.acceptance
        };
        let in_repair = Acceptance {
            accepted: false,
            needs_repair: true,
            ..owed.acceptance
        };
        for (slot, epoch, expected) in [
            (
                SlotUnderProof {
                    blob_active: false,
                    ..owed
                },
                5,
                RuleError::BlobNotActive,
            ),
            (owed, 20, RuleError::BlobExpired),
            (
                SlotUnderProof {
                    names_holder: false,
                    ..owed
                },
                5,
                RuleError::NotShardHolder,
            ),
            (
                SlotUnderProof {
                    acceptance: offered,
                    ..owed
                },
                5,
                RuleError::ShardNotAccepted,
            ),
            (
                SlotUnderProof {
                    acceptance: in_repair,
                    ..owed
                },
                5,
                RuleError::ShardNeedsRepair,
            ),
            (owed, 4, RuleError::EpochBeforeAssignment),
        ] {
            assert_eq!(
                check_provable(&slot, epoch),
                Err(expected),
                "{slot:?} at {epoch}"
            );
        }
    }

    #[test]
    fn a_placement_is_accepted_once_by_its_deadline_on_its_terms() {
        let offer = SlotState {
            column_root: [3; 32],
            assigned_epoch: 11,
            accept_by: accept_by(1_000, 150),
            ..SlotState::default()
        };
        let signed = Terms {
            column_root: [3; 32],
            expiry_epoch: 50,
            price_per_shard_epoch: 10,
        };
        let blob = OfferedBlob {
            expiry_epoch: 50,
            deal_price: Some(10),
            active: false,
        };
        assert!(offer.acceptance().awaits_acceptance(1_150));
        assert!(!offer.acceptance().awaits_acceptance(1_151));
        let accepted = offer.accept(1_000, 10, &signed, &blob);
        assert_eq!(
            accepted,
            Ok(SlotState {
                accepted: true,
                accepted_price: 10,
                ..offer
            })
        );
        let at = |now, epoch, assigned_epoch| {
            SlotState {
                assigned_epoch,
                ..offer
            }
            .accept(now, epoch, &signed, &blob)
            .map(|s| s.assigned_epoch)
        };
        assert_eq!(at(1_150, 11, 11), Ok(12), "at the deadline");
        assert_eq!(at(1_000, 10, 15), Ok(15), "assigned later");
        assert_eq!(at(1_151, 11, 11), Err(RuleError::AcceptanceLapsed));
        assert_eq!(at(1_000, u64::MAX, 0), Err(RuleError::Overflow));
        assert!(offer.acceptance().lapsed(1_151));

        // Terms other than the offer's: refused, whichever differs.
        for (terms, blob, expected) in [
            (
                Terms {
                    column_root: [4; 32],
                    ..signed
                },
                blob,
                RuleError::ColumnRootChanged,
            ),
            (
                Terms {
                    expiry_epoch: 51,
                    ..signed
                },
                blob,
                RuleError::TermsChanged,
            ),
            (
                Terms {
                    price_per_shard_epoch: 9,
                    ..signed
                },
                blob,
                RuleError::TermsChanged,
            ),
            (
                signed,
                OfferedBlob {
                    deal_price: Some(1),
                    ..blob
                },
                RuleError::TermsChanged,
            ),
            (
                signed,
                OfferedBlob {
                    deal_price: None,
                    ..blob
                },
                RuleError::DealLapsed,
            ),
        ] {
            assert_eq!(
                offer.accept(1_000, 10, &terms, &blob),
                Err(expected),
                "{terms:?} for {blob:?}"
            );
        }

        let accepted = accepted.unwrap_or_default();
        assert_eq!(
            accepted.accept(1_000, 10, &signed, &blob),
            Err(RuleError::AlreadyAccepted)
        );

        // A repair of an active blob: the new holder is owed the rebuild.
        let repair = OfferedBlob {
            active: true,
            ..blob
        };
        assert_eq!(
            offer
                .accept(1_000, 10, &signed, &repair)
                .map(|s| s.unpaid_epochs),
            Ok(REPAIR_CREDIT_EPOCHS)
        );
        assert!(placement_needs_owner(false));
        assert!(!placement_needs_owner(true));
        assert!(
            !accepted.acceptance().lapsed(u64::MAX),
            "an accepted placement never lapses"
        );
        assert!(!accepted.acceptance().awaits_acceptance(1_000));
        let lost = SlotState {
            needs_repair: true,
            ..offer
        };
        assert!(!lost.acceptance().awaits_acceptance(1_000));
        assert_eq!(
            lost.accept(1_000, 10, &signed, &blob),
            Err(RuleError::ShardNeedsRepair),
            "a slashed or released holder cannot take the index back"
        );
        assert_eq!(accept_by(u64::MAX, 5), u64::MAX, "saturates");
    }
}
