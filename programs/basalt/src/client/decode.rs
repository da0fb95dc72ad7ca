//! Decoding account data and `emit_cpi!` events with the program's own types.

use anchor_lang::event::EVENT_IX_TAG_LE;
use anchor_lang::{AccountDeserialize, AnchorDeserialize, Discriminator};

use crate::events::*;

/// Why bytes did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The discriminator names no account or event of this program.
    Unknown([u8; 8]),
    /// The discriminator matched but the body did not decode (truncated or corrupt).
    Malformed(&'static str),
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Unknown(d) => write!(f, "unknown discriminator {d:02x?}"),
            Self::Malformed(what) => write!(f, "malformed {what}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Decodes an account of type `T` (checks its discriminator).
///
/// # Errors
///
/// [`DecodeError::Malformed`] when the data is not a `T`.
pub fn account<T: AccountDeserialize>(data: &[u8]) -> Result<T, DecodeError> {
    T::try_deserialize(&mut &data[..])
        .map_err(|_| DecodeError::Malformed(core::any::type_name::<T>()))
}

macro_rules! events {
    ($($name:ident),* $(,)?) => {
        /// Every event the program emits.
        #[derive(Debug)]
        #[allow(clippy::large_enum_variant)]
        pub enum BasaltEvent {
            $($name($name),)*
        }

        impl BasaltEvent {
            /// Every event's name, as [`BasaltEvent::name`] gives it.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];

            /// The event's name, as the indexer stores it.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$name(_) => stringify!($name),)*
                }
            }
        }

        fn decode_body(disc: &[u8], mut body: &[u8]) -> Result<BasaltEvent, DecodeError> {
            $(
                if disc == $name::DISCRIMINATOR {
                    let event = $name::deserialize(&mut body)
                        .map_err(|_| DecodeError::Malformed(stringify!($name)))?;
                    return Ok(BasaltEvent::$name(event));
                }
            )*
            let mut d = [0u8; 8];
            d[..disc.len().min(8)].copy_from_slice(&disc[..disc.len().min(8)]);
            Err(DecodeError::Unknown(d))
        }
    };
}

events!(
    ConfigInitialized,
    ConfigUpdated,
    ProviderRegistered,
    ProviderUpdated,
    StakeAdded,
    UnstakeRequested,
    StakeWithdrawn,
    ProviderHeartbeat,
    ProviderDeregistered,
    ProviderUnjailed,
    ProviderSlashed,
    BlobRegistered,
    ShardPlaced,
    ShardAccepted,
    ShardReleased,
    ShardEvicted,
    BlobActivated,
    BlobAccessChanged,
    BlobDeleted,
    GrantCreated,
    GrantRevoked,
    DealFunded,
    DealSettled,
    DealRefunded,
    ProofAccepted,
    ProofMissed,
    JobPosted,
    JobApplied,
    JobSelected,
    JobCommitted,
    JobRevealed,
    JobFinalized,
    JobWorkerSettled,
    JobOutputRegistered,
    DatasetCreated,
    DatasetAccessChanged,
    DatasetGrantCreated,
    DatasetGrantRevoked,
    VersionPublished,
    VersionRetracted,
);

/// Decodes the data of an inner instruction to this program. `Ok(None)` when it is not an
/// `emit_cpi!` event (a real instruction of the program).
///
/// # Errors
///
/// [`DecodeError::Unknown`] for an event this build does not know (a newer program),
/// [`DecodeError::Malformed`] for a truncated or corrupt one.
pub fn event(ix_data: &[u8]) -> Result<Option<BasaltEvent>, DecodeError> {
    let Some(rest) = ix_data.strip_prefix(EVENT_IX_TAG_LE) else {
        return Ok(None);
    };
    if rest.len() < 8 {
        return Err(DecodeError::Malformed("event discriminator"));
    }
    let (disc, body) = rest.split_at(8);
    decode_body(disc, body).map(Some)
}

#[cfg(test)]
mod tests {
    use anchor_lang::prelude::Pubkey;
    use anchor_lang::Event;

    use super::*;
    use crate::state::JobStatus;

    /// The bytes `emit_cpi!` puts in its self-CPI: tag, discriminator, borsh body.
    fn emitted(event: &impl Event) -> Vec<u8> {
        let mut data = EVENT_IX_TAG_LE.to_vec();
        data.extend(event.data());
        data
    }

    #[test]
    fn events_round_trip_through_their_inner_instruction_bytes() {
        let slashed = ProviderSlashed {
            provider: Pubkey::new_unique(),
            amount: 1_000,
            bounty: 200,
            beneficiary: Pubkey::new_unique(),
            subject: Pubkey::new_unique(),
            reputation: -3,
            slot: 77,
        };
        match event(&emitted(&slashed)) {
            Ok(Some(BasaltEvent::ProviderSlashed(e))) => {
                assert_eq!(
                    (e.provider, e.amount, e.reputation),
                    (slashed.provider, 1_000, -3)
                );
            }
            other => panic!("decoded {other:?}"),
        }
        let finalized = JobFinalized {
            job: Pubkey::new_unique(),
            status: JobStatus::Succeeded,
            result_hash: [9; 32],
            agreeing: 2,
            refunded: 100,
            job_closed: false,
            slot: 5,
        };
        let decoded = event(&emitted(&finalized)).unwrap().unwrap();
        assert_eq!(decoded.name(), "JobFinalized");
    }

    #[test]
    fn instructions_unknown_and_truncated_events_are_told_apart() {
        // A real instruction of the program (no event tag) is not an event.
        assert!(matches!(event(&[1, 2, 3, 4, 5, 6, 7, 8, 9]), Ok(None)));
        // An event this build does not know.
        let mut unknown = EVENT_IX_TAG_LE.to_vec();
        unknown.extend([0xEE; 8]);
        assert_eq!(
            event(&unknown).unwrap_err(),
            DecodeError::Unknown([0xEE; 8])
        );
        // A known event cut short (what a truncated record looks like).
        let heartbeat = emitted(&ProviderHeartbeat {
            provider: Pubkey::new_unique(),
            slot: 1,
        });
        assert!(matches!(
            event(&heartbeat[..heartbeat.len() - 3]),
            Err(DecodeError::Malformed("ProviderHeartbeat"))
        ));
        assert!(matches!(
            event(&heartbeat[..12]),
            Err(DecodeError::Malformed(_))
        ));
    }
}
