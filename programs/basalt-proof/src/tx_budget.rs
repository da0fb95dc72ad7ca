//! The byte budget of a `submit_proof` transaction (legacy message, no lookup tables).
//!
//! | part | bytes |
//! |---|---|
//! | signature count + one ed25519 signature (the prover signs and pays) | 1 + 64 |
//! | message header | 3 |
//! | account keys: count + [`PROOF_TX_ACCOUNTS`] keys | 1 + 32 * 5 |
//! | recent blockhash | 32 |
//! | instruction count, program id index | 1 + 1 |
//! | instruction account indices: count + one per account | 1 + 5 |
//! | instruction data length (compact-u16; 2 bytes above 127) | 2 |
//! | Anchor discriminator, shard index (u16), epoch (u64) | 8 + 2 + 8 |
//! | leaf as borsh `Vec<u8>` | 4 + leaf_size |
//! | path as borsh `Vec<[u8; 32]>` | 4 + 32 * path_len |
//!
//! Fixed part: 297 bytes; Solana's packet limit is 1232, leaving 935 for leaf and path.
//!
//! The five accounts are the prover (signer), the blob, the SlotHashes sysvar (the challenge
//! seed), the program's event authority and the program itself (the last two are what
//! `emit_cpi!` needs). Everything else the check needs is in the blob account: the holder
//! of each shard index is recorded there by its authority key (so no Provider account is
//! read) and the epoch length is copied there at registration (so no Config account is
//! read). A sixth account costs 33 bytes and the 64 GiB guarantee with it.

/// Solana's maximum serialized transaction size (IPv6 MTU minus headers).
pub const SOLANA_TX_MAX: usize = 1232;

/// Account keys a `submit_proof` transaction is budgeted for.
pub const PROOF_TX_ACCOUNTS: usize = 5;

/// Everything in a `submit_proof` transaction except the leaf and path bytes.
pub const PROOF_TX_OVERHEAD: usize = (1 + 64) // signatures
    + 3 // header
    + (1 + 32 * PROOF_TX_ACCOUNTS) // account keys
    + 32 // blockhash
    + (1 + 1) // instruction count, program id index
    + (1 + PROOF_TX_ACCOUNTS) // instruction account indices
    + 2 // data length
    + (8 + 2 + 8) // discriminator, shard index, epoch
    + 4 // leaf length prefix
    + 4; // path length prefix

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
        assert_eq!(PROOF_TX_OVERHEAD, 297);
        assert_eq!(SOLANA_TX_MAX - PROOF_TX_OVERHEAD, 935);
    }
}
