//! Where storage challenges get their randomness, and how much a party can bias it.
//!
//! The seed of epoch `e` is the bank hash of the newest slot at or before the epoch's first
//! slot `S = e * epoch_slots`, read from the SlotHashes sysvar. Proofs of epoch `e` are
//! accepted in slots `S + 1 ..= S + proof_window_slots`; the window is at most 500 slots
//! and SlotHashes keeps the newest 512 banks, so the seed is always still there (if `S` was
//! skipped, the bank before it is older but every bank newer than it is newer than `S`, of
//! which there are at most 511).
//!
//! Why SlotHashes and not a recent blockhash: a program cannot read blockhashes (the
//! RecentBlockhashes sysvar is deprecated), and SlotHashes is the same source the
//! Solana vote program trusts. Bias: the leader of slot `S` can try alternative blocks (or
//! skip the slot, which selects the previous bank) and so choose among a few seeds. That
//! lets it move the challenged leaf of shards it holds only if it is the leader of exactly
//! that slot; the challenged position is `(x * leaves) >> 64` of a SHA-256 output, off
//! uniform by at most `leaves / 2^64` (see `basalt_proof::derive_challenge`). A holder that
//! drops a fraction f of its leaves is caught with probability about f per epoch even
//! with that leader advantage for one slot per epoch.

use basalt_proof::Hash;

/// Bytes of one SlotHashes entry: slot (u64 LE) then the 32-byte hash.
const ENTRY_LEN: usize = 40;

/// The hash of the newest slot at or before `slot` in raw SlotHashes sysvar data (`u64`
/// count, then entries newest first). `None` if every entry is newer than `slot` or the
/// data is malformed. Reads in place: the sysvar is 20 KiB, too large to deserialize on
/// chain.
pub fn slot_hash_at_or_before(data: &[u8], slot: u64) -> Option<Hash> {
    let count = usize::try_from(u64::from_le_bytes(data.get(..8)?.try_into().ok()?)).ok()?;
    let entries = data.get(8..8 + count.checked_mul(ENTRY_LEN)?)?;
    let slot_of = |i: usize| {
        let at = i * ENTRY_LEN;
        u64::from_le_bytes(entries[at..at + 8].try_into().unwrap_or_default())
    };
    // Entries are sorted by slot, descending: find the first with slot_of(i) <= slot.
    let (mut lo, mut hi) = (0usize, count);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if slot_of(mid) <= slot {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    if lo == count {
        return None;
    }
    let at = lo * ENTRY_LEN + 8;
    entries.get(at..at + 32)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sysvar(entries: &[(u64, u8)]) -> Vec<u8> {
        let mut data = (entries.len() as u64).to_le_bytes().to_vec();
        for (slot, fill) in entries {
            data.extend_from_slice(&slot.to_le_bytes());
            data.extend_from_slice(&[*fill; 32]);
        }
        data
    }

    #[test]
    fn finds_the_newest_slot_at_or_before() {
        let data = sysvar(&[(50, 5), (40, 4), (30, 3)]);
        assert_eq!(slot_hash_at_or_before(&data, 50), Some([5; 32]));
        assert_eq!(slot_hash_at_or_before(&data, 45), Some([4; 32]));
        assert_eq!(slot_hash_at_or_before(&data, 99), Some([5; 32]));
        assert_eq!(slot_hash_at_or_before(&data, 30), Some([3; 32]));
        assert_eq!(slot_hash_at_or_before(&data, 29), None);
    }

    #[test]
    fn malformed_data_is_none_not_a_panic() {
        assert_eq!(slot_hash_at_or_before(&[], 1), None);
        assert_eq!(
            slot_hash_at_or_before(&[1, 0, 0, 0, 0, 0, 0, 0, 9], 1),
            None
        );
        assert_eq!(slot_hash_at_or_before(&u64::MAX.to_le_bytes(), 1), None);
    }
}
