//! How long ago providers last heartbeat, by the chain's own clock: what placement and
//! `basalt provider status` judge liveness by (`basalt_core::LivenessThresholds`).

use basalt::anchor_lang::prelude::Clock;
use basalt::anchor_lang::solana_program::sysvar::SysvarId;
use basalt::state::Provider;

use super::{ChainClient, ChainError};

impl ChainClient {
    /// Seconds since each of `providers` last heartbeat, in order: the chain's clock now
    /// (the Clock sysvar) less the block time of the heartbeat's slot. `None` for a
    /// provider never heard from, or whose heartbeat's block time the RPC no longer keeps.
    ///
    /// # Errors
    ///
    /// When the Clock sysvar cannot be read.
    pub async fn heartbeat_silence(
        &self,
        providers: &[Provider],
    ) -> Result<Vec<Option<u64>>, ChainError> {
        let clock = self.account_data(&Clock::id(), "Clock sysvar").await?;
        // Clock layout: slot, epoch_start_timestamp, epoch, leader_schedule_epoch,
        // unix_timestamp, each 8 bytes little-endian.
        let now = clock
            .get(32..40)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(i64::from_le_bytes)
            .ok_or(ChainError::Invalid {
                what: "Clock sysvar",
                address: Clock::id(),
                why: "shorter than a Clock".into(),
            })?;
        let times = futures::future::join_all(providers.iter().map(|p| async move {
            if p.last_heartbeat_slot == 0 {
                return None;
            }
            self.rpc.get_block_time(p.last_heartbeat_slot).await.ok()
        }))
        .await;
        // A heartbeat whose block time is ahead of the clock counts as just now.
        Ok(times
            .into_iter()
            .map(|at| at.map(|at| now.saturating_sub(at).max(0).unsigned_abs()))
            .collect())
    }
}
