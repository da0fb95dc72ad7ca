//! The node's NEAR chain adapter against recorded NEAR JSON-RPC answers
//! (tests/fixtures/near, nearcore's wire format; written by
//! offchain/basalt-near-client/tests/fixtures/generate.py).

use std::sync::Arc;
use std::time::Duration;

use basalt_core::{BlobId, Caller, LinkMonitor};
use basalt_near_client::replay::{Recording, ReplayServer};
use basalt_node::chain::{
    BlobState, Chain, Deadlines, DecisionCache, NearChain, ReadDecision, WatchedChain,
};
use basalt_node::config::{ChainKind, NodeConfig};

type TestResult = Result<(), Box<dyn std::error::Error>>;

macro_rules! recordings {
    ($($name:literal),* $(,)?) => {
        vec![$(Recording::parse(include_str!(concat!("fixtures/near/", $name, ".json")))),*]
    };
}

/// The recorded requesters: implicit accounts of keys filled with one byte.
const OWNER: Caller = Caller::Ed25519([0x01; 32]);
const STRANGER: Caller = Caller::Ed25519([0x02; 32]);
const RICH: Caller = Caller::Ed25519([0x03; 32]);
const POOR: Caller = Caller::Ed25519([0x04; 32]);

/// The node's key (these tests send nothing).
fn identity() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[9; 32])
}

/// The recorded blobs: stored, never registered (or deleted), expired.
fn stored() -> BlobId {
    BlobId::from_bytes([7; 32])
}
fn gone() -> BlobId {
    BlobId::from_bytes([9; 32])
}
fn old() -> BlobId {
    BlobId::from_bytes([8; 32])
}

/// The node's chain over the recordings, caching read decisions for `ttl`.
async fn chain(ttl: Duration) -> Result<(ReplayServer, WatchedChain), std::io::Error> {
    let server = ReplayServer::start(recordings!(
        "read_access_owner",
        "read_access_stranger",
        "read_access_rich",
        "read_access_poor",
        "ft_balance_rich",
        "ft_balance_poor",
        "read_access_unregistered",
        "read_access_expired",
        "may_act_owner",
        "may_act_stranger",
        "may_act_unregistered",
        "blob_state_live",
        "blob_state_unregistered",
        "blob_state_expired",
    ))
    .await?;
    let contract = "basalt.testnet".parse().expect("account id");
    let chain = WatchedChain::new(
        Arc::new(NearChain::new(server.url(), contract, identity())),
        Arc::new(LinkMonitor::new(server.url())),
        Deadlines::new(Duration::from_secs(5)),
        DecisionCache::new(ttl, ttl),
    );
    Ok((server, chain))
}

#[tokio::test]
async fn reads_are_decided_by_the_contract_and_the_gate_at_the_same_block() -> TestResult {
    let (server, chain) = chain(Duration::ZERO).await?;
    assert_eq!(
        chain.read_access(&stored(), &OWNER).await?,
        ReadDecision::Owner
    );
    assert_eq!(
        chain.read_access(&stored(), &STRANGER).await?,
        ReadDecision::Deny
    );
    assert_eq!(
        chain.read_access(&stored(), &RICH).await?,
        ReadDecision::TokenGate
    );
    assert_eq!(
        chain.read_access(&stored(), &POOR).await?,
        ReadDecision::Deny
    );
    assert_eq!(
        chain.read_access(&gone(), &OWNER).await?,
        ReadDecision::DenyUnregistered
    );
    assert_eq!(
        chain.read_access(&old(), &OWNER).await?,
        ReadDecision::DenyExpired
    );

    let requests = server.requests();
    // The requester is the key's implicit account.
    assert_eq!(
        requests[0]["params"]["args_json"]["account_id"],
        "01".repeat(32)
    );
    // The gate's balance is read at the block the contract answered at, on the token.
    let gated = &requests[2]["params"];
    let balance = &requests[3]["params"];
    assert_eq!(gated["method_name"], "read_access");
    assert_eq!(balance["method_name"], "ft_balance_of");
    assert_eq!(balance["account_id"], "usdc.basalt.testnet");
    let rich = recordings!("read_access_rich").remove(0);
    assert_eq!(
        balance["block_id"],
        rich.block_hash().expect("a block hash")
    );
    assert_eq!(requests.len(), 8);
    Ok(())
}

#[tokio::test]
async fn read_decisions_are_cached_deletions_never() -> TestResult {
    let (server, chain) = chain(Duration::from_secs(60)).await?;
    for _ in 0..3 {
        assert_eq!(
            chain.read_access(&stored(), &OWNER).await?,
            ReadDecision::Owner
        );
        assert_eq!(chain.may_delete(&stored(), &OWNER).await?, Some(true));
    }
    let asked = |method: &str| {
        server
            .requests()
            .iter()
            .filter(|r| r["params"]["method_name"] == method)
            .count()
    };
    assert_eq!(asked("read_access"), 1);
    assert_eq!(asked("may_act"), 3);
    Ok(())
}

#[tokio::test]
async fn deletion_and_gc_questions() -> TestResult {
    let (server, chain) = chain(Duration::ZERO).await?;
    assert_eq!(chain.may_delete(&stored(), &OWNER).await?, Some(true));
    assert_eq!(chain.may_delete(&stored(), &STRANGER).await?, Some(false));
    assert_eq!(chain.may_delete(&gone(), &STRANGER).await?, None);
    assert_eq!(
        server.requests()[0]["params"]["args_json"]["roles"],
        basalt_near::state::ROLE_DELETE
    );
    assert_eq!(chain.blob_state(&stored()).await?, BlobState::Live);
    assert_eq!(chain.blob_state(&gone()).await?, BlobState::Unregistered);
    assert_eq!(chain.blob_state(&old()).await?, BlobState::Expired);
    Ok(())
}

#[tokio::test]
async fn an_unreachable_or_silent_rpc_is_an_error_not_a_decision() -> TestResult {
    let (_server, chain) = chain(Duration::ZERO).await?;
    // Nothing recorded for this blob: the RPC answers with an error.
    let unknown = BlobId::from_bytes([5; 32]);
    let err = chain
        .read_access(&unknown, &OWNER)
        .await
        .expect_err("no answer is not a denial");
    assert!(err.why.contains("no recorded response"), "{err}");
    let closed = NearChain::new(
        "http://127.0.0.1:9",
        "basalt.testnet".parse().expect("account id"),
        identity(),
    );
    assert!(closed.blob_state(&stored()).await.is_err());
    Ok(())
}

#[test]
fn a_near_node_needs_the_contract_account() {
    let config = NodeConfig {
        chain: ChainKind::Near,
        ..NodeConfig::default()
    };
    let err = basalt_node::connect_chain(&config, &identity().into())
        .err()
        .expect("near without a contract");
    assert!(format!("{err:#}").contains("near_contract"), "{err:#}");
    let config = NodeConfig {
        chain: ChainKind::Near,
        near_contract: Some("Not An Account".into()),
        ..NodeConfig::default()
    };
    let err = basalt_node::connect_chain(&config, &identity().into())
        .err()
        .expect("a bad account id");
    assert!(
        format!("{err:#}").contains("not a NEAR account id"),
        "{err:#}"
    );
}
