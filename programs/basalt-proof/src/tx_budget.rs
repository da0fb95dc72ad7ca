//! The byte budget of a `submit_proof` transaction (legacy message, no lookup tables),
//! including the two compute-budget instructions a prover sends with it (a compute-unit
//! limit and a priority fee), so a proof still lands when blocks are contested.
//!
//! | part | bytes |
//! |---|---|
//! | signature count + one ed25519 signature (the prover signs and pays) | 1 + 64 |
//! | message header | 3 |
//! | account keys: count + [`PROOF_TX_ACCOUNTS`] keys + the compute-budget program | 1 + 32 * 6 |
//! | recent blockhash | 32 |
//! | instruction count | 1 |
//! | `SetComputeUnitLimit`: program id index, no accounts, data length, tag + u32 | 1 + 1 + 1 + 5 |
//! | `SetComputeUnitPrice`: program id index, no accounts, data length, tag + u64 | 1 + 1 + 1 + 9 |
//! | proof: program id index | 1 |
//! | proof: account indices, count + one per account | 1 + 5 |
//! | proof: data length (compact-u16; 2 bytes above 127) | 2 |
//! | proof: Anchor discriminator, shard index (u16), epoch (u64) | 8 + 2 + 8 |
//! | proof: leaf as borsh `Vec<u8>` | 4 + leaf_size |
//! | proof: path as borsh `Vec<[u8; 32]>` | 4 + 32 * path_len |
//!
//! Fixed part: 349 bytes; Solana's packet limit is 1232, leaving 883 for leaf and path.
//!
//! The five proof accounts are the prover (signer), the blob, the SlotHashes sysvar (the
//! challenge seed), the program's event authority and the program itself (the last two are
//! what `emit_cpi!` needs). Everything else the check needs is in the blob account: the
//! holder of each shard index is recorded there by its authority key (so no Provider account
//! is read) and the epoch length is copied there at registration (so no Config account is
//! read). A sixth account costs 33 bytes, a path step at the largest blob.
//!
//! Why not a lookup table instead of the compute-budget room: the invoked programs (Basalt,
//! the compute-budget program) and the signer cannot come from a table, and a network-wide
//! table of the two constant accounts saves 26 bytes, less than the 52 the two instructions
//! take. The room costs two path steps: the largest blob at RS(10, 4) in 4 MiB chunks is
//! 16 GiB (64 GiB without it).

/// Solana's maximum serialized transaction size (IPv6 MTU minus headers).
pub const SOLANA_TX_MAX: usize = 1232;

/// Account keys a `submit_proof` transaction is budgeted for.
pub const PROOF_TX_ACCOUNTS: usize = 5;

/// The compute-budget instructions in front of the proof: `SetComputeUnitLimit` (tag + u32)
/// and `SetComputeUnitPrice` (tag + u64), each with a program id index, an empty account
/// list and a data length.
pub const COMPUTE_BUDGET_IXS: usize = (1 + 1 + 1 + 5) + (1 + 1 + 1 + 9);

/// The proof instruction's data around the leaf and path: discriminator, shard index, epoch
/// and the two borsh length prefixes.
pub const PROOF_IX_FIXED_DATA: usize = 8 + 2 + 8 + 4 + 4;

/// Everything in a `submit_proof` transaction except the leaf and path bytes.
pub const PROOF_TX_OVERHEAD: usize = (1 + 64) // signatures
    + 3 // header
    + (1 + 32 * (PROOF_TX_ACCOUNTS + 1)) // account keys, the compute-budget program's too
    + 32 // blockhash
    + 1 // instruction count
    + COMPUTE_BUDGET_IXS
    + 1 // proof: program id index
    + (1 + PROOF_TX_ACCOUNTS) // proof: account indices
    + 2 // proof: data length
    + PROOF_IX_FIXED_DATA;

/// Serialized size of a `submit_proof` transaction carrying one `leaf_size` leaf and a path
/// of `path_len` siblings.
pub const fn proof_tx_size(leaf_size: u32, path_len: u32) -> usize {
    PROOF_TX_OVERHEAD + leaf_size as usize + 32 * path_len as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overhead_is_as_documented() {
        assert_eq!(PROOF_TX_OVERHEAD, 349);
        assert_eq!(SOLANA_TX_MAX - PROOF_TX_OVERHEAD, 883);
    }
}
