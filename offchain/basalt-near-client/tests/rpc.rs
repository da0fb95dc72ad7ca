//! The NEAR client against recorded JSON-RPC answers (tests/fixtures, nearcore's wire
//! format): views at one block, signed calls, contract refusals by name, retries on a stale
//! nonce, timeouts, and which events count.

use basalt_near_client::replay::{Recording, ReplayServer};
use basalt_near_client::{
    AccountId, FunctionCall, InMemorySigner, NearClient, NearError, SecretKey, Signer,
};
use base64::Engine;
use borsh::BorshDeserialize;
use near_crypto::KeyType;
use near_primitives::transaction::{Action, SignedTransaction};

type TestResult = Result<(), Box<dyn std::error::Error>>;

macro_rules! recording {
    ($name:literal) => {
        Recording::parse(include_str!(concat!("fixtures/", $name, ".json")))
    };
}

fn account(name: &str) -> AccountId {
    name.parse().expect("a valid account id")
}

async fn client(recordings: Vec<Recording>) -> Result<(ReplayServer, NearClient), std::io::Error> {
    let server = ReplayServer::start(recordings).await?;
    let client = NearClient::new(server.url(), account("basalt.testnet"));
    Ok((server, client))
}

fn alice() -> Signer {
    let key = SecretKey::from_seed(KeyType::ED25519, "alice");
    InMemorySigner::from_secret_key(account("alice.testnet"), key)
}

/// The transactions the client sent, decoded from `signed_tx_base64`.
fn sent(server: &ReplayServer) -> Vec<SignedTransaction> {
    server
        .requests()
        .iter()
        .filter(|r| r["method"] == "send_tx")
        .map(|r| {
            let b64 = r["params"]["signed_tx_base64"]
                .as_str()
                .expect("signed_tx_base64");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("base64");
            SignedTransaction::try_from_slice(&bytes).expect("a borsh SignedTransaction")
        })
        .collect()
}

#[tokio::test]
async fn a_view_reports_its_block_and_the_next_read_is_pinned_to_it() -> TestResult {
    let (server, client) = client(vec![
        recording!("view_blob_state_live"),
        recording!("view_ft_balance_at_block"),
    ])
    .await?;
    let args = serde_json::json!({ "cid_digest": "US517G5965aydkZ46HS38QLi7UQiSojurfbQfKCELFx" });
    let (state, at) = client
        .view::<_, basalt_near::state::BlobState>("blob_state", &args, None)
        .await?;
    assert_eq!(state, basalt_near::state::BlobState::Live);
    assert_eq!(at.height, 187_000_120);
    let token = account("usdc.basalt.testnet");
    let balance = client
        .ft_balance_of(&token, &account("alice.testnet"), Some(at))
        .await?;
    assert_eq!(balance, 2_500);
    let requests = server.requests();
    assert_eq!(requests[0]["params"]["finality"], "final");
    assert_eq!(
        requests[1]["params"]["block_id"],
        serde_json::json!(at.hash.to_string())
    );
    Ok(())
}

#[tokio::test]
async fn view_failures_say_what_went_wrong() -> TestResult {
    let (_server, client) = client(vec![
        recording!("view_bad_args_legacy"),
        recording!("view_unknown_account"),
        recording!("view_no_contract_code"),
        recording!("view_ft_balance_not_a_number"),
    ])
    .await?;
    let none = serde_json::json!({});
    let bad = client
        .view::<_, serde_json::Value>("read_access", &none, None)
        .await;
    match bad {
        Err(NearError::Failed { method, why }) => {
            assert_eq!(method, "read_access");
            assert!(
                why.contains("Failed to deserialize input from JSON"),
                "{why}"
            );
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    for missing in ["nobody.testnet", "empty.testnet"] {
        let result = client
            .view_of::<_, serde_json::Value>(&account(missing), "blob_state", &none, None)
            .await;
        assert_eq!(
            result.map(|_| ()),
            Err(NearError::NoContract {
                account: account(missing)
            })
        );
    }
    let token = account("usdc.basalt.testnet");
    let result = client
        .ft_balance_of(&token, &account("bob.testnet"), None)
        .await;
    assert!(
        matches!(result, Err(NearError::Decode { ref method, .. }) if method == "ft_balance_of"),
        "{result:?}"
    );
    // Nothing recorded for this one: the replay refuses and the client says so.
    let result = client
        .view::<_, serde_json::Value>("config", &none, None)
        .await;
    assert!(matches!(result, Err(NearError::Rpc { .. })), "{result:?}");
    Ok(())
}

#[tokio::test]
async fn a_call_is_signed_for_the_next_nonce_and_resent_when_the_nonce_went_stale() -> TestResult {
    let (server, client) = client(vec![
        recording!("access_key_alice_85"),
        recording!("send_tx_invalid_nonce"),
        recording!("access_key_alice_90"),
        recording!("send_tx_grant_revoke"),
    ])
    .await?;
    let args = serde_json::json!({
        "cid_digest": "US517G5965aydkZ46HS38QLi7UQiSojurfbQfKCELFx",
        "grantee": "bob.testnet",
    });
    let signer = alice();
    let outcome = client
        .call(&signer, FunctionCall::new("grant_revoke", &args)?)
        .await?;
    assert!(outcome.value.is_empty());
    assert_eq!(outcome.events.len(), 1);
    assert_eq!(outcome.events[0].event, "grant_revoked");
    assert_eq!(outcome.events[0].data["grantee"], "bob.testnet");
    assert_eq!(
        outcome.gas_burnt,
        308_000_000_000 + 2_613_000_000_000 + 223_000_000_000
    );

    let sent = sent(&server);
    assert_eq!(sent.len(), 2, "the stale transaction is re-signed once");
    assert_eq!(sent[0].transaction.nonce().nonce(), 86);
    let retried = &sent[1];
    assert_eq!(retried.transaction.nonce().nonce(), 91);
    assert_eq!(outcome.tx, retried.get_hash());
    assert_eq!(retried.transaction.signer_id().as_str(), "alice.testnet");
    assert_eq!(retried.transaction.receiver_id().as_str(), "basalt.testnet");
    assert_eq!(retried.transaction.public_key(), &signer.public_key());
    // Signed over the transaction's hash with the signer's key, on the block the fresh
    // nonce was read at.
    let (hash, _) = retried.transaction.get_hash_and_size();
    assert!(retried
        .signature
        .verify(hash.as_ref(), &signer.public_key()));
    assert_eq!(
        retried.transaction.block_hash().to_string(),
        recording!("access_key_alice_90")
            .block_hash()
            .expect("a block hash")
    );
    let [Action::FunctionCall(call)] = retried.transaction.actions() else {
        panic!("one function call");
    };
    assert_eq!(call.method_name, "grant_revoke");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&call.args)?,
        args
    );
    assert_eq!(call.gas, FunctionCall::DEFAULT_GAS);
    Ok(())
}

#[tokio::test]
async fn a_refusal_comes_back_as_the_contracts_error() -> TestResult {
    let (_server, client) = client(vec![
        recording!("access_key_alice_85"),
        recording!("send_tx_refused"),
    ])
    .await?;
    let args = serde_json::json!({ "cid_digest": "US517G5965aydkZ46HS38QLi7UQiSojurfbQfKCELFx" });
    let result = client
        .call(&alice(), FunctionCall::new("blob_delete", &args)?)
        .await;
    match result {
        Err(NearError::Contract {
            method,
            name,
            message,
        }) => {
            assert_eq!(
                (method.as_str(), name.as_str()),
                ("blob_delete", "Unauthorized")
            );
            assert!(message.starts_with("the caller is neither"), "{message}");
        }
        other => panic!("expected the contract's refusal, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn events_of_failed_receipts_and_other_standards_do_not_count() -> TestResult {
    let (server, client) = client(vec![
        recording!("access_key_alice_85"),
        recording!("send_tx_ft_transfer_call_refunded"),
    ])
    .await?;
    let token = account("usdc.basalt.testnet");
    let call = FunctionCall::new(
        "ft_transfer_call",
        &serde_json::json!({
            "receiver_id": "basalt.testnet",
            "amount": "5000",
            "msg": r#"{"action":"stak"}"#,
        }),
    )?
    .with_deposit(1);
    let outcome = client.call_on(&alice(), &token, call).await?;
    // The token refunded everything: the contract's receipt failed, so the event it logged
    // before failing never happened, and the token's nep141 lines are not Basalt's.
    assert_eq!(outcome.json::<String>()?, "0");
    assert!(outcome.events.is_empty(), "{:?}", outcome.events);
    let sent = sent(&server);
    assert_eq!(sent[0].transaction.receiver_id(), &token);
    let [Action::FunctionCall(action)] = sent[0].transaction.actions() else {
        panic!("one function call");
    };
    assert_eq!(action.deposit.as_yoctonear(), 1);
    Ok(())
}

#[tokio::test]
async fn a_callbacks_event_counts_once_the_callback_succeeded() -> TestResult {
    let (_server, client) = client(vec![
        recording!("access_key_alice_85"),
        recording!("send_tx_withdraw"),
    ])
    .await?;
    let call = FunctionCall::new("token_withdraw", &serde_json::json!({ "amount": "700" }))?
        .with_deposit(1);
    let outcome = client.call(&alice(), call).await?;
    assert!(outcome.json::<bool>()?);
    let names: Vec<_> = outcome.events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["tokens_withdrawn"]);
    assert_eq!(outcome.events[0].data["amount"], "700");
    Ok(())
}

#[tokio::test]
async fn unknown_keys_and_timeouts_are_told_apart() -> TestResult {
    let (_server, client) = client(vec![
        recording!("access_key_unknown"),
        recording!("access_key_alice_85"),
        recording!("send_tx_timeout"),
    ])
    .await?;
    let carol = InMemorySigner::from_secret_key(
        account("carol.testnet"),
        SecretKey::from_seed(KeyType::ED25519, "carol"),
    );
    let call = FunctionCall::new("provider_heartbeat", &serde_json::json!({}))?;
    let result = client.call(&carol, call.clone()).await;
    assert!(
        matches!(result, Err(NearError::UnknownKey { ref account, .. }) if account.as_str() == "carol.testnet"),
        "{result:?}"
    );
    // A timeout may still land: the caller gets the hash to look it up, not a failure.
    let result = client.call(&alice(), call).await;
    assert!(
        matches!(result, Err(NearError::Pending { .. })),
        "{result:?}"
    );
    Ok(())
}
