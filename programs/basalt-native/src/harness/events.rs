//! Checks that every Basalt instruction in a successful transaction emitted its events.
//!
//! The events are the `emit_cpi!` self-CPIs the runtime recorded as inner instructions,
//! decoded with the program's own client module, exactly as the indexer reads them.

use basalt::anchor_lang::Discriminator;
use basalt::client::decode::{self, BasaltEvent};
use basalt::instruction as ixs;
use solana_message::inner_instruction::InnerInstructions;
use solana_transaction::Transaction;

/// The events each instruction must emit whenever it succeeds (events that only some
/// outcomes emit, such as `BlobActivated` or a job's `ProviderSlashed`, are not listed).
const REQUIRED: &[(&[u8], &[&str])] = &[
    (ixs::ConfigInitialize::DISCRIMINATOR, &["ConfigInitialized"]),
    (ixs::ConfigUpdate::DISCRIMINATOR, &["ConfigUpdated"]),
    (ixs::ConfigApply::DISCRIMINATOR, &["ConfigUpdated"]),
    (ixs::AdminAccept::DISCRIMINATOR, &["ConfigUpdated"]),
    (
        ixs::ProviderRegister::DISCRIMINATOR,
        &["ProviderRegistered"],
    ),
    (ixs::ProviderUpdate::DISCRIMINATOR, &["ProviderUpdated"]),
    (ixs::ProviderStake::DISCRIMINATOR, &["StakeAdded"]),
    (ixs::ProviderUnstake::DISCRIMINATOR, &["UnstakeRequested"]),
    (ixs::ProviderWithdraw::DISCRIMINATOR, &["StakeWithdrawn"]),
    (
        ixs::ProviderHeartbeat::DISCRIMINATOR,
        &["ProviderHeartbeat"],
    ),
    (ixs::ProviderUnjail::DISCRIMINATOR, &["ProviderUnjailed"]),
    (
        ixs::ProviderDeregister::DISCRIMINATOR,
        &["ProviderDeregistered"],
    ),
    (ixs::BlobRegister::DISCRIMINATOR, &["BlobRegistered"]),
    (ixs::BlobPlace::DISCRIMINATOR, &["ShardPlaced"]),
    (ixs::ShardAccept::DISCRIMINATOR, &["ShardAccepted"]),
    (ixs::ShardRelease::DISCRIMINATOR, &["ShardReleased"]),
    (ixs::ShardEvict::DISCRIMINATOR, &["ShardEvicted"]),
    (ixs::BlobSetAccess::DISCRIMINATOR, &["BlobAccessChanged"]),
    (ixs::BlobDelete::DISCRIMINATOR, &["BlobDeleted"]),
    (ixs::GrantCreate::DISCRIMINATOR, &["GrantCreated"]),
    (ixs::GrantRevoke::DISCRIMINATOR, &["GrantRevoked"]),
    (ixs::DealFund::DISCRIMINATOR, &["DealFunded"]),
    (ixs::DealTopUp::DISCRIMINATOR, &["DealFunded"]),
    (ixs::DealSettle::DISCRIMINATOR, &["DealSettled"]),
    (ixs::DealRefund::DISCRIMINATOR, &["DealRefunded"]),
    (ixs::ProofSubmit::DISCRIMINATOR, &["ProofAccepted"]),
    (
        ixs::ProofSlash::DISCRIMINATOR,
        &["ProviderSlashed", "ProofMissed"],
    ),
    (ixs::JobPost::DISCRIMINATOR, &["JobPosted"]),
    (ixs::JobApply::DISCRIMINATOR, &["JobApplied"]),
    (ixs::JobSelect::DISCRIMINATOR, &["JobSelected"]),
    (ixs::JobCommit::DISCRIMINATOR, &["JobCommitted"]),
    (ixs::JobReveal::DISCRIMINATOR, &["JobRevealed"]),
    (ixs::JobFinalize::DISCRIMINATOR, &["JobFinalized"]),
    (ixs::JobSettle::DISCRIMINATOR, &["JobWorkerSettled"]),
    (
        ixs::JobOutputRegister::DISCRIMINATOR,
        &["BlobRegistered", "DealFunded", "JobOutputRegistered"],
    ),
    (ixs::JobOutputLink::DISCRIMINATOR, &["JobOutputRegistered"]),
    (
        ixs::JobOutputPublish::DISCRIMINATOR,
        &["BlobRegistered", "DealFunded", "VersionPublished"],
    ),
    (ixs::DatasetCreate::DISCRIMINATOR, &["DatasetCreated"]),
    (
        ixs::DatasetSetAccess::DISCRIMINATOR,
        &["DatasetAccessChanged"],
    ),
    (
        ixs::DatasetGrantCreate::DISCRIMINATOR,
        &["DatasetGrantCreated"],
    ),
    (
        ixs::DatasetGrantRevoke::DISCRIMINATOR,
        &["DatasetGrantRevoked"],
    ),
    (ixs::VersionPublish::DISCRIMINATOR, &["VersionPublished"]),
    (ixs::VersionRetract::DISCRIMINATOR, &["VersionRetracted"]),
];

/// The decoded events of each top-level instruction of `tx`, by instruction index.
///
/// Panics on an event that does not decode: the program and its client module disagree.
pub fn by_instruction(tx: &Transaction, inner: &[InnerInstructions]) -> Vec<Vec<BasaltEvent>> {
    let keys = &tx.message.account_keys;
    let mut out: Vec<Vec<BasaltEvent>> = tx.message.instructions.iter().map(|_| vec![]).collect();
    // One list per top-level instruction, in order.
    for (index, group) in inner.iter().enumerate() {
        for ix in group {
            let program = keys[ix.instruction.program_id_index as usize];
            if program != basalt::ID {
                continue;
            }
            match decode::event(&ix.instruction.data) {
                Ok(Some(event)) => out[index].push(event),
                Ok(None) => {}
                Err(e) => panic!("instruction {index} emitted an undecodable event: {e}"),
            }
        }
    }
    out
}

/// Panics unless every top-level Basalt instruction of `tx` emitted its required events.
pub fn check(tx: &Transaction, emitted: &[Vec<BasaltEvent>]) {
    let keys = &tx.message.account_keys;
    for (i, ix) in tx.message.instructions.iter().enumerate() {
        if keys[ix.program_id_index as usize] != basalt::ID {
            continue;
        }
        let (_, required) = REQUIRED
            .iter()
            .find(|(disc, _)| ix.data.starts_with(disc))
            .unwrap_or_else(|| {
                panic!(
                    "instruction {i}: no event expectation for {:02x?}",
                    &ix.data[..8]
                )
            });
        let names: Vec<&str> = emitted[i].iter().map(BasaltEvent::name).collect();
        for name in *required {
            assert!(
                names.contains(name),
                "instruction {i} succeeded without emitting {name}; it emitted {names:?}"
            );
        }
    }
}
