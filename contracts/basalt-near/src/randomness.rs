//! Where storage challenges get their randomness on NEAR, and how much a party can bias it.
//!
//! A contract cannot read past blocks' randomness, so the seed of epoch `e` is drawn once,
//! by the first `challenge_seed_draw` call inside the epoch's proof window, from
//! `env::random_seed()` of that call, and kept in state. Holders read it with
//! `challenge_seed`, build their proofs, and submit them in the same window; anyone may
//! draw (a holder that wants to prove draws it itself, so an undrawn seed is no excuse for a
//! missed proof).
//!
//! Bias: `random_seed` is derived from the block producer's VRF output and the receipt, so
//! neither the caller nor the producer can choose it; the caller only chooses the block its
//! call lands in and cannot see the value before the call executes. A block producer could
//! withhold a block to retry, choosing among a few seeds, the same bound as a Solana leader
//! skipping its slot (the Solana program's `randomness` module). The challenged leaf is
//! derived by `basalt_proof::derive_challenge`, identically on both chains.
//!
//! Chain difference: on Solana the seed is the SlotHashes entry at the epoch's first slot
//! and needs no call; on NEAR it costs one extra call per epoch (about 3 TGas).

use near_sdk::{env, near};

use crate::errors::{ensure, BasaltError, Result};
use crate::events::Event;
use crate::state::Digest;
use crate::{Contract, ContractExt};

#[near]
impl Contract {
    /// Draws the current epoch's challenge seed if nobody has yet, and returns it. Only
    /// inside the epoch's proof window (blocks `start + 1 ..= start + window`).
    #[handle_result]
    pub fn challenge_seed_draw(&mut self) -> Result<Digest> {
        let epoch = self.current_epoch();
        self.ensure_in_proof_window(epoch)?;
        if let Some((seeded, seed)) = self.seed {
            if seeded == epoch {
                return Ok(seed);
            }
        }
        let seed = Digest::from(env::random_seed_array());
        // Overwrites the previous epoch's seed: proofs are only ever taken for the
        // current epoch, so the state stays one fixed-size entry.
        self.seed = Some((epoch, seed));
        Event::ChallengeSeedDrawn {
            epoch,
            seed,
            by: env::predecessor_account_id(),
            block: env::block_height(),
        }
        .emit();
        Ok(seed)
    }

    /// The challenge seed of `epoch`, if it is the current epoch and has been drawn.
    pub fn challenge_seed(&self, epoch: u64) -> Option<Digest> {
        self.seed
            .filter(|(seeded, _)| *seeded == epoch)
            .map(|(_, seed)| seed)
    }
}

impl Contract {
    /// Checks that the current block is inside `epoch`'s proof window.
    pub(crate) fn ensure_in_proof_window(&self, epoch: u64) -> Result<()> {
        let height = env::block_height();
        let start = epoch
            .checked_mul(self.config.epoch_blocks)
            .ok_or(BasaltError::Overflow)?;
        ensure!(
            height > start && height - start <= self.config.proof_window_blocks,
            BasaltError::OutsideProofWindow
        );
        Ok(())
    }

    /// The seed proofs of `epoch` are checked against.
    pub(crate) fn seed_of(&self, epoch: u64) -> Result<[u8; 32]> {
        self.challenge_seed(epoch)
            .map(Into::into)
            .ok_or(BasaltError::SeedUnavailable)
    }
}
