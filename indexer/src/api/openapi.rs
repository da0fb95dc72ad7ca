//! The OpenAPI document served at `/openapi.json`: its header and the event kinds. The
//! operations come from the handlers themselves (`#[utoipa::path]`), registered together
//! with their routes, so the document lists exactly what the router serves.

use std::sync::LazyLock;

use basalt::client::decode::BasaltEvent;

/// Every event kind any chain's index stores (`kind` filter values), each once: the
/// Solana program's, as its event decoder lists them (what the follower stores), then the
/// NEAR contract's own (`basalt_near::events::kinds`), then the EVM contracts' own, then
/// the indexer's own notice of a reorg's rollback.
pub fn event_kinds() -> &'static [&'static str] {
    static KINDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        let mut kinds = BasaltEvent::NAMES.to_vec();
        for kind in basalt_near::events::kinds() {
            if !kinds.contains(kind) {
                kinds.push(kind);
            }
        }
        kinds.extend(crate::evm::payload::EVM_OWN_KINDS);
        kinds.push(crate::db::REORG_NOTICE);
        kinds
    });
    &KINDS
}

/// The document's header; utoipa adds every route's operation and the schemas they use
/// (`api/mod.rs`).
pub fn base() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{InfoBuilder, OpenApiBuilder};
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Basalt indexer API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Read-only views of the Basalt program's state, mirrored from the chain \
                     into PostgreSQL. Addresses are base58, hashes hex, amounts integers in base \
                     units. Every row carries the slot of its last change and `finalized`. An \
                     index of a NEAR deployment has the same fields: wallets and providers are \
                     account IDs, a blob and its deal are named by the blob's id (base58 of \
                     `basalt_proof::blob_id`), a job by `requester:nonce`, slots are block \
                     heights, and amounts in event payloads are decimal strings (u128). An index \
                     of an EVM deployment likewise: wallets and providers are lower-case hex \
                     addresses, blobs, deals, datasets, versions and jobs their bytes32 ids in \
                     base58, slots are block numbers, amounts in event payloads decimal \
                     strings (uint256). Parameters accept every chain's forms; another \
                     chain's matches nothing.",
                ))
                .build(),
        )
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kinds_are_every_event_of_the_committed_idl_and_the_near_contracts_own() {
        let idl: serde_json::Value =
            serde_json::from_str(include_str!("../../../programs/basalt/idl/basalt.json"))
                .expect("the IDL is JSON");
        let in_idl: Vec<&str> = idl["events"]
            .as_array()
            .expect("the IDL lists events")
            .iter()
            .filter_map(|e| e["name"].as_str())
            .collect();
        assert!(!in_idl.is_empty());
        for kind in &in_idl {
            assert!(event_kinds().contains(kind), "{kind} of the IDL");
        }
        for kind in ["ChallengeSeedDrawn", "TokensWithdrawn"] {
            assert!(event_kinds().contains(&kind), "NEAR's own {kind}");
        }
        let mut unique = event_kinds().to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), event_kinds().len(), "each kind once");
        assert_eq!(
            event_kinds().len(),
            in_idl.len() + 2 + crate::evm::payload::EVM_OWN_KINDS.len() + 1,
            "the NEAR contract has two kinds of its own, the EVM contracts theirs, the indexer one"
        );
    }
}
