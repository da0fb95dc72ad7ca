//! Following a NEAR deployment block by block, against recorded JSON-RPC answers.

use basalt_near_client::replay::{Recording, ReplayServer};
use basalt_near_client::{AccountId, NearClient};

type TestResult = Result<(), Box<dyn std::error::Error>>;

macro_rules! recordings {
    ($($name:literal),* $(,)?) => {
        vec![$(Recording::parse(include_str!(concat!("fixtures/", $name, ".json")))),*]
    };
}

fn account(name: &str) -> AccountId {
    name.parse().expect("a valid account id")
}

#[tokio::test]
async fn a_block_gives_the_events_of_the_transactions_that_reached_the_contract() -> TestResult {
    let server = ReplayServer::start(recordings!(
        "block_final",
        "block_187000200",
        "block_187000201_skipped",
        "chunk_a",
        "tx_status_revoke",
        "tx_status_staked",
    ))
    .await?;
    let client = NearClient::new(server.url(), account("basalt.testnet"));
    let token = account("usdc.basalt.testnet");
    assert_eq!(client.final_height().await?, 187_000_205);

    let block = client
        .block_events(187_000_200, &token)
        .await?
        .expect("a block at this height");
    assert_eq!(block.height, 187_000_200);
    assert_eq!(block.timestamp_ns, 1_764_608_400_123_456_789);
    // Of the chunk's four transactions, the direct call and the token transfer to the
    // contract count; a plain transfer and a transfer_call to another contract do not.
    let signers: Vec<_> = block
        .transactions
        .iter()
        .map(|t| t.signer.as_str())
        .collect();
    assert_eq!(signers, ["alice.testnet", "alice.testnet"]);
    let events: Vec<Vec<&str>> = block
        .transactions
        .iter()
        .map(|t| t.events.iter().map(|e| e.event.as_str()).collect())
        .collect();
    assert_eq!(events, [vec!["grant_revoked"], vec!["stake_added"]]);
    assert!(block.transactions.iter().all(|t| t.failure.is_none()));
    assert_eq!(block.transactions[1].events[0].data["stake"], "5000");

    // Only the chunk new in this block is read (the other header repeats a missed chunk),
    // and transactions are looked up at FINAL.
    let requests = server.requests();
    let chunks = requests.iter().filter(|r| r["method"] == "chunk").count();
    assert_eq!(chunks, 1);
    assert!(requests
        .iter()
        .filter(|r| r["method"] == "tx")
        .all(|r| r["params"]["wait_until"] == "FINAL"));

    // NEAR skips heights: no block is not an error.
    assert_eq!(client.block_events(187_000_201, &token).await?, None);
    // An RPC failure is an error, so the follower retries the height instead of skipping.
    assert!(client.block_events(187_000_202, &token).await.is_err());
    Ok(())
}
