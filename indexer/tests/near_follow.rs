//! Following a NEAR deployment into PostgreSQL: a real database, and a NEAR JSON-RPC
//! endpoint on loopback answering recorded responses whose logs are the contract's own
//! events (`basalt_near::events::Event`, serialized by near-sdk's NEP-297 code exactly as the
//! contract logs them).
//!
//! No NEAR node or sandbox runs here (see the README); the answers' shapes come from the
//! recordings in `offchain/basalt-near-client/tests/fixtures`.

use crate::common;

use std::sync::Arc;

use anyhow::{ensure, Result};
use basalt_indexer::near::follow::NearFollowError;
use basalt_indexer::{Metrics, NearFollowOptions, NearFollower, Store};
use basalt_near::events::Event;
use basalt_near::state::{ConfigParams, Digest, JobStatus, WorkerOutcome};
use basalt_near_client::replay::{Recording, ReplayServer};
use common::db::TempDb;
use common::{assert_same, count, snapshot};
use near_sdk::json_types::U128;
use near_sdk::AccountId;
use serde_json::{json, Value};

const CONTRACT: &str = "basalt.testnet";
const TOKEN: &str = "usdc.basalt.testnet";
const START: u64 = 190_000_000;
/// 10^27: a thousand tokens of 24 decimals, far above u64 (and NUMERIC(20, 0)).
const BIG: u128 = 1_000_000_000_000_000_000_000_000_000;

fn template(text: &str) -> Value {
    serde_json::from_str(text).expect("a recording")
}

fn account(name: &str) -> AccountId {
    name.parse().expect("a valid account id")
}

/// A distinct base58 hash per label.
fn hash(label: &str) -> String {
    let mut bytes = [0u8; 32];
    let digest = blake3::hash(label.as_bytes());
    bytes.copy_from_slice(digest.as_bytes());
    bs58::encode(bytes).into_string()
}

fn digest(label: &str) -> Digest {
    Digest::from(*blake3::hash(label.as_bytes()).as_bytes())
}

/// A transaction of the recorded chain: who signed it, and the log lines of its one
/// receipt executed by the contract.
struct Tx {
    label: &'static str,
    signer: &'static str,
    logs: Vec<String>,
    failed: bool,
}

fn tx(label: &'static str, signer: &'static str, events: &[Event]) -> Tx {
    Tx {
        label,
        signer,
        logs: events
            .iter()
            .map(|e| format!("EVENT_JSON:{}", e.to_json()))
            .collect(),
        failed: false,
    }
}

/// The recorded answers of a chain of blocks.
#[derive(Default)]
struct Chain {
    recordings: Vec<Recording>,
}

impl Chain {
    fn push(&mut self, method: &str, params: Value, once: bool, response: Value) {
        self.recordings.push(Recording {
            method: method.to_owned(),
            params,
            once,
            response,
        });
    }

    /// An error for `block` at `height`, answered once, before the real answer.
    fn flaky(&mut self, height: u64) {
        let error = json!({ "jsonrpc": "2.0", "id": "x",
            "error": { "name": "INTERNAL_ERROR", "cause": { "name": "INTERNAL_ERROR",
                "info": { "error_message": "node is syncing" } },
                "code": -32000, "message": "Server error", "data": "node is syncing" } });
        self.push("block", json!({ "block_id": height }), true, error);
    }

    fn final_at(&mut self, height: u64) {
        let mut r = template(include_str!(
            "../../offchain/basalt-near-client/tests/fixtures/block_final.json"
        ));
        r["response"]["result"]["header"]["height"] = json!(height);
        self.push("block", r["params"].clone(), false, r["response"].clone());
    }

    fn skipped(&mut self, height: u64) {
        let r = template(include_str!(
            "../../offchain/basalt-near-client/tests/fixtures/block_187000201_skipped.json"
        ));
        self.push(
            "block",
            json!({ "block_id": height }),
            false,
            r["response"].clone(),
        );
    }

    fn block(&mut self, height: u64, txs: &[Tx]) {
        let block_hash = hash(&format!("block {height}"));
        let chunk_hash = hash(&format!("chunk {height}"));

        let mut block = template(include_str!(
            "../../offchain/basalt-near-client/tests/fixtures/block_187000200.json"
        ))["response"]
            .clone();
        let header = &mut block["result"]["header"];
        header["height"] = json!(height);
        header["hash"] = json!(block_hash);
        header["timestamp_nanosec"] =
            json!((1_764_608_400 + height - START).to_string() + "000000000");
        let mut chunk_header = block["result"]["chunks"][0].clone();
        chunk_header["chunk_hash"] = json!(chunk_hash);
        chunk_header["height_created"] = json!(height);
        chunk_header["height_included"] = json!(height);
        block["result"]["chunks"] = json!([chunk_header.clone()]);
        self.push("block", json!({ "block_id": height }), false, block);

        let mut chunk = template(include_str!(
            "../../offchain/basalt-near-client/tests/fixtures/chunk_a.json"
        ))["response"]
            .clone();
        let tx_template = chunk["result"]["transactions"][0].clone();
        chunk["result"]["header"] = chunk_header;
        chunk["result"]["transactions"] = txs
            .iter()
            .map(|t| {
                let mut v = tx_template.clone();
                v["signer_id"] = json!(t.signer);
                v["receiver_id"] = json!(CONTRACT);
                v["hash"] = json!(hash(t.label));
                v["actions"] = json!([{ "FunctionCall": {
                    "method_name": t.label, "args": "e30=", "gas": 30_000_000_000_000_u64,
                    "deposit": "0" } }]);
                v
            })
            .collect();
        self.push("chunk", json!({ "chunk_id": chunk_hash }), false, chunk);

        let status_template = template(include_str!(
            "../../offchain/basalt-near-client/tests/fixtures/tx_status_staked.json"
        ))["response"]
            .clone();
        let failure = template(include_str!(
            "../../offchain/basalt-near-client/tests/fixtures/send_tx_refused.json"
        ))["response"]["result"]["status"]
            .clone();
        for t in txs {
            let mut status = status_template.clone();
            let result = &mut status["result"];
            let ok = json!({ "SuccessValue": "" });
            result["status"] = if t.failed {
                failure.clone()
            } else {
                ok.clone()
            };
            result["transaction"]["signer_id"] = json!(t.signer);
            result["transaction"]["receiver_id"] = json!(CONTRACT);
            result["transaction"]["hash"] = json!(hash(t.label));
            result["transaction_outcome"]["id"] = json!(hash(t.label));
            let mut receipt = result["receipts_outcome"][1].clone();
            receipt["id"] = json!(hash(&format!("receipt {}", t.label)));
            receipt["block_hash"] = json!(block_hash);
            receipt["outcome"]["logs"] = json!(t.logs);
            receipt["outcome"]["status"] = if t.failed { failure.clone() } else { ok };
            result["receipts_outcome"] = json!([receipt]);
            self.push(
                "tx",
                json!({ "tx_hash": hash(t.label), "sender_account_id": t.signer }),
                false,
                status,
            );
        }
    }
}

fn params() -> ConfigParams {
    ConfigParams {
        min_stake: 1_000,
        unbonding_epochs: 2,
        proof_slash_bps: 1_000,
        job_slash_bps: 500,
        bounty_bps: 2_000,
        default_k: 1,
        default_m: 1,
        max_deal_epochs: 10_000,
        max_slashes_per_epoch: 1,
        accept_window_ticks: 150,
        offline_ticks: 750,
    }
}

/// Registration, staking, a blob with two shards, a grant, a deal, a proof and a missed
/// proof with its slash, a job, a payout leaving the contract, a failed transaction and an
/// event of a version this indexer does not read: heights START..=START+4, START+1 skipped.
fn protocol_chain() -> Chain {
    let (alice, bob, carol, dave) = (
        account("alice.testnet"),
        account("bob.testnet"),
        account("carol.testnet"),
        account("dave.testnet"),
    );
    let blob = digest("blob");
    let mut chain = Chain::default();
    chain.block(
        START,
        &[tx(
            "new",
            "admin.testnet",
            &[Event::ConfigInitialized {
                admin: account("admin.testnet"),
                stake_token: account(TOKEN),
                epoch_blocks: 100,
                proof_window_blocks: 50,
                params: params(),
                block: START,
            }],
        )],
    );
    chain.skipped(START + 1);
    let h = START + 2;
    let register = |p: &AccountId| Event::ProviderRegistered {
        provider: p.clone(),
        endpoint: format!("https://{p}.example:8700"),
        region: "eu-west".into(),
        roles: 3,
        capacity: 1 << 40,
        block: h,
    };
    let stake = |p: &AccountId| Event::StakeAdded {
        provider: p.clone(),
        amount: U128(BIG),
        stake: U128(BIG),
        block: h,
    };
    chain.block(
        h,
        &[
            tx(
                "register alice",
                "alice.testnet",
                &[register(&alice), stake(&alice)],
            ),
            tx(
                "register bob",
                "bob.testnet",
                &[register(&bob), stake(&bob)],
            ),
        ],
    );
    let h = START + 3;
    let placed = |index: u16, p: &AccountId| Event::ShardPlaced {
        blob,
        index,
        provider: p.clone(),
        previous: None,
        assigned_epoch: 1,
        block: h,
    };
    let mut refused = tx("grant refused", "dave.testnet", &[]);
    refused.failed = true;
    chain.block(
        h,
        &[
            tx(
                "put",
                "carol.testnet",
                &[
                    Event::BlobRegistered {
                        blob,
                        cid_digest: digest("content"),
                        owner: carol.clone(),
                        size: 5_000_000,
                        k: 1,
                        m: 1,
                        chunk_count: 2,
                        commitment_root: digest("root"),
                        expiry_epoch: 90,
                        public: false,
                        encrypted: true,
                        block: h,
                    },
                    placed(0, &alice),
                    placed(1, &bob),
                    Event::BlobActivated { blob, block: h },
                    Event::DealFunded {
                        blob,
                        payer: carol.clone(),
                        price_per_shard_epoch: U128(BIG / 1_000),
                        amount: U128(BIG / 10),
                        balance: U128(BIG / 10),
                        block: h,
                    },
                ],
            ),
            tx(
                "grant",
                "carol.testnet",
                &[Event::GrantCreated {
                    blob,
                    grantee: dave.clone(),
                    roles: 1,
                    expires_at: Some(1_800_000_000),
                    granted_by: carol.clone(),
                    block: h,
                }],
            ),
            refused,
        ],
    );
    let h = START + 4;
    let mut newer = tx("newer event", "carol.testnet", &[]);
    newer.logs.push(
        r#"EVENT_JSON:{"standard":"basalt","version":"2.0.0","event":"blob_touched","data":{}}"#
            .into(),
    );
    let job = |event: fn(AccountId, u64) -> Event| event(carol.clone(), 1);
    chain.block(
        h,
        &[
            tx(
                "prove",
                "alice.testnet",
                &[
                    Event::ChallengeSeedDrawn {
                        epoch: 1,
                        seed: digest("seed"),
                        by: alice.clone(),
                        block: h,
                    },
                    Event::ProofAccepted {
                        blob,
                        index: 0,
                        provider: alice.clone(),
                        epoch: 1,
                        chunk: 1,
                        leaf: 7,
                        block: h,
                    },
                    Event::DealSettled {
                        blob,
                        index: 0,
                        provider: alice.clone(),
                        epochs_paid: 1,
                        epochs_owed: 0,
                        amount: U128(BIG / 1_000),
                        balance: U128(BIG / 10 - BIG / 1_000),
                        block: h,
                    },
                ],
            ),
            tx(
                "crank",
                "alice.testnet",
                &[
                    Event::ProofMissed {
                        blob,
                        index: 1,
                        provider: bob.clone(),
                        epoch: 1,
                        cranker: alice.clone(),
                        block: h,
                    },
                    Event::ProviderSlashed {
                        provider: bob.clone(),
                        amount: U128(BIG / 10),
                        bounty: U128(BIG / 50),
                        beneficiary: alice.clone(),
                        subject: blob.to_string(),
                        reputation: -1,
                        block: h,
                    },
                ],
            ),
            tx(
                "job",
                "carol.testnet",
                &[
                    job(|requester, nonce| Event::JobPosted {
                        requester,
                        nonce,
                        module_cid: digest("module"),
                        input_cid: digest("input"),
                        fuel_limit: 1_000_000,
                        n: 1,
                        k: 1,
                        reward_per_worker: U128(BIG / 100),
                        apply_deadline_block: START + 20,
                        commit_deadline_block: START + 50,
                        reveal_deadline_block: START + 90,
                        output_budget: U128(0),
                        output_price_per_shard_epoch: U128(0),
                        output_deadline_block: 0,
                        output_encrypted: false,
                        input_version: None,
                        publish_dataset: None,
                        publish_tag: None,
                        publish_budget: U128(0),
                        block: START + 4,
                    }),
                    job(|requester, nonce| Event::JobApplied {
                        requester,
                        nonce,
                        worker: account("alice.testnet"),
                        stake: U128(BIG),
                        displaced: None,
                        block: START + 4,
                    }),
                    job(|requester, nonce| Event::JobSelected {
                        requester,
                        nonce,
                        seed: digest("seed"),
                        workers: vec![account("alice.testnet")],
                        block: START + 4,
                    }),
                    job(|requester, nonce| Event::JobFinalized {
                        requester,
                        nonce,
                        status: JobStatus::Succeeded,
                        result_hash: digest("result"),
                        agreeing: 1,
                        refunded: U128(0),
                        job_closed: false,
                        block: START + 4,
                    }),
                    job(|requester, nonce| Event::JobWorkerSettled {
                        requester,
                        nonce,
                        worker: account("alice.testnet"),
                        outcome: WorkerOutcome::Paid,
                        paid: U128(BIG / 100),
                        slashed: U128(0),
                        reputation: 1,
                        job_closed: true,
                        output_refunded: U128(0),
                        block: START + 4,
                    }),
                ],
            ),
            tx("dataset", "carol.testnet", &dataset_events(&carol, h)),
            tx(
                "withdraw",
                "alice.testnet",
                &[Event::TokensWithdrawn {
                    account: alice.clone(),
                    amount: U128(BIG / 100),
                    block: h,
                }],
            ),
            newer,
        ],
    );
    chain
}

/// carol's dataset with two versions, the second derived from the first.
fn dataset_events(owner: &AccountId, block: u64) -> [Event; 3] {
    let dataset = digest("dataset");
    let publish = |seq: u64, parents: Vec<Digest>| Event::VersionPublished {
        dataset,
        version: digest(&format!("version {seq}")),
        tag: format!("v{seq}"),
        seq,
        version_id: digest(&format!("manifest {seq}")),
        manifest_blob: digest(&format!("manifest blob {seq}")),
        parents,
        job: None,
        message: String::new(),
        publisher: owner.clone(),
        block,
    };
    [
        Event::DatasetCreated {
            dataset,
            owner: owner.clone(),
            name: "corpus".into(),
            public: true,
            block,
        },
        publish(0, vec![]),
        publish(1, vec![digest("version 0")]),
    ]
}

fn options(url: &str, batch: u64) -> NearFollowOptions {
    let mut o = NearFollowOptions::new(url, account(CONTRACT), account(TOKEN));
    o.start_height = Some(START);
    o.batch = batch;
    o
}

/// Passes until caught up; returns how many passes that took.
async fn follow_to_the_end(follower: &NearFollower) -> Result<usize> {
    for passes in 1..=20 {
        if follower.pass().await?.behind == 0 {
            return Ok(passes);
        }
    }
    anyhow::bail!("still behind after 20 passes")
}

async fn text(store: &Store, sql: &str) -> Result<String> {
    Ok(sqlx::query_scalar(sql).fetch_one(store.pool()).await?)
}

/// The protocol chain followed to its end, and its API served: for tests of the API.
pub(crate) async fn populated_index() -> Result<(TempDb, String)> {
    let (_server, db, _store, follower) = protocol_follower().await?;
    follow_to_the_end(&follower).await?;
    let base = common::serve(&db.url, CONTRACT).await?;
    Ok((db, base))
}

/// The protocol chain, final up to its last height, served by a replay server; a follower of
/// it into a new database (which lives as long as the returned `TempDb`).
async fn protocol_follower() -> Result<(ReplayServer, TempDb, Store, NearFollower)> {
    let mut chain = protocol_chain();
    chain.final_at(START + 4);
    let server = ReplayServer::start(chain.recordings).await?;
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let follower = NearFollower::new(store.clone(), options(server.url(), 2), Arc::default());
    Ok((server, db, store, follower))
}

#[tokio::test]
async fn a_near_deployment_fills_the_same_tables_as_solana() -> Result<()> {
    let (server, _db, store, follower) = protocol_follower().await?;

    // Two heights per batch: START..+1, +2..+3, +4.
    assert_eq!(follow_to_the_end(&follower).await?, 3);
    let cursor = store.cursor(CONTRACT).await?.expect("a cursor");
    assert_eq!((cursor.slot, cursor.finalized_slot), (START + 4, START + 4));
    assert_eq!(cursor.signature, hash(&format!("block {}", START + 4)));

    // Every transaction that reached the contract, the failed one with its error.
    assert_eq!(count(store.pool(), "transactions").await?, 12);
    let error = text(
        &store,
        "SELECT error FROM transactions WHERE event_count = 0 AND error IS NOT NULL",
    )
    .await?;
    assert!(error.contains("neither the owner nor a grantee"), "{error}");
    // All events are final on arrival; the newer version is kept aside, not dropped.
    assert_eq!(count(store.pool(), "events").await?, 25);
    assert_eq!(
        text(
            &store,
            "SELECT string_agg(DISTINCT commitment, ',') FROM events"
        )
        .await?,
        "finalized"
    );
    let reason = text(&store, "SELECT reason FROM undecoded").await?;
    assert!(reason.contains("version 2.0.0"), "{reason}");

    // Providers: u128 stakes exact; bob jailed and slashed by a tenth.
    let alice = store.provider("alice.testnet").await?.expect("alice");
    assert_eq!(
        alice.stake.0,
        BIG.to_string(),
        "the API's amounts are exact past 2^64"
    );
    assert_eq!(alice.authority, "alice.testnet");
    assert_eq!(alice.reputation, 1);
    let bob: (String, String, String) = sqlx::query_as(
        "SELECT status, stake::text, slashed_total::text FROM providers WHERE address = 'bob.testnet'",
    )
    .fetch_one(store.pool())
    .await?;
    assert_eq!(
        bob,
        (
            "jailed".into(),
            (BIG - BIG / 10).to_string(),
            (BIG / 10).to_string()
        )
    );

    // The blob is known by its id (base58, as Solana's by its address), its content by
    // its CID, its digests are hex, its shards are placed.
    let id = basalt_core::BlobId::from_bytes(*blake3::hash(b"blob").as_bytes()).to_string();
    let blob = store.blob(&id).await?.expect("the blob by id").blob;
    assert_eq!(
        blob.cid,
        basalt_core::Cid::from_digest(*blake3::hash(b"content").as_bytes()).to_string()
    );
    assert_eq!(blob.status, "active");
    assert_eq!(blob.owner, "carol.testnet");
    assert_eq!(
        blob.commitment_root,
        blake3::hash(b"root").to_hex().as_str()
    );
    let placements: Vec<(i32, String, Option<i64>, bool)> = sqlx::query_as(
        "SELECT shard_index, holder, last_proven_epoch, needs_repair FROM placements \
         ORDER BY shard_index",
    )
    .fetch_all(store.pool())
    .await?;
    assert_eq!(
        placements,
        [
            (0, "alice.testnet".into(), Some(1), false),
            (1, "bob.testnet".into(), None, true)
        ]
    );
    let grant: (bool, i16) =
        sqlx::query_as("SELECT active, roles FROM grants WHERE grantee = 'dave.testnet'")
            .fetch_one(store.pool())
            .await?;
    assert_eq!(grant, (true, 1));
    // One deal per blob, named by it; the payout and the slash name it by its id too.
    let deal: (String, String, String) =
        sqlx::query_as("SELECT address, balance::text, paid_total::text FROM deals")
            .fetch_one(store.pool())
            .await?;
    assert_eq!(
        deal,
        (
            id.clone(),
            (BIG / 10 - BIG / 1_000).to_string(),
            (BIG / 1_000).to_string()
        )
    );
    assert_eq!(text(&store, "SELECT subject FROM slashes").await?, id);
    // The job is `requester:nonce`, with its worker paid.
    let job = store.job("carol.testnet:1").await?.expect("the job");
    assert_eq!(job.job.status, "succeeded");
    assert!(job.results[0].selected);
    assert!(
        job.job.closed_slot.is_some(),
        "its last settlement closed it"
    );
    assert_eq!(
        text(
            &store,
            "SELECT outcome FROM job_results WHERE worker = 'alice.testnet'"
        )
        .await?,
        "paid"
    );
    // NEAR's own kinds are stored and listed, and derive nothing.
    for kind in ["ChallengeSeedDrawn", "TokensWithdrawn"] {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE kind = $1")
            .bind(kind)
            .fetch_one(store.pool())
            .await?;
        assert_eq!(n, 1, "{kind}");
    }

    // Caught up: another pass reads nothing and changes nothing.
    let before = snapshot(store.pool()).await?;
    let pass = follower.pass().await?;
    assert_eq!((pass.heights, pass.transactions, pass.behind), (0, 0, 0));
    // A restarted follower resumes after the cursor: no block at or below it is read again.
    let seen = server.requests().len();
    let restarted = NearFollower::new(store.clone(), options(server.url(), 2), Arc::default());
    restarted.pass().await?;
    ensure!(
        server.requests()[seen..]
            .iter()
            .all(|r| r["params"]["block_id"]
                .as_u64()
                .is_none_or(|h| h > START + 4)),
        "a restarted follower read a block below its cursor"
    );
    assert_same(&before, &snapshot(store.pool()).await?);
    Ok(())
}

/// The API of a NEAR index, over HTTP: every route that names a wallet, provider or job
/// takes NEAR's names (account IDs, `requester:nonce`), and `?kind=` takes every kind the
/// index stored, NEAR's own included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_near_index_is_queried_over_http_by_near_names() -> Result<()> {
    let (_server, db, store, follower) = protocol_follower().await?;
    follow_to_the_end(&follower).await?;
    let base = common::serve(&db.url, CONTRACT).await?;
    let get = |path: &str| common::get(format!("{base}{path}"));

    let (status, job) = get("/v1/jobs/carol.testnet:1").await?;
    assert_eq!(
        (status, job["status"].as_str()),
        (200, Some("succeeded")),
        "{job}"
    );
    let (status, _) = get("/v1/jobs/carol.testnet:2").await?;
    assert_eq!(status, 404, "a job the index does not hold");
    let (status, jobs) = get("/v1/jobs?requester=carol.testnet").await?;
    assert_eq!(
        (status, jobs["items"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    let (status, alice) = get("/v1/providers/alice.testnet").await?;
    assert_eq!(
        (status, alice["authority"].as_str()),
        (200, Some("alice.testnet"))
    );
    let (status, blobs) = get("/v1/blobs?owner=carol.testnet").await?;
    assert_eq!(
        (status, blobs["items"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{blobs}"
    );
    let id = blobs["items"][0]["address"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, _) = get(&format!("/v1/blobs/{id}")).await?;
    assert_eq!(status, 200, "the blob by its id");
    let (status, slashes) = get("/v1/slashes?provider=bob.testnet").await?;
    assert_eq!(
        (status, slashes["items"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    let (status, events) = get("/v1/events?account=carol.testnet:1").await?;
    assert_eq!(status, 200);
    assert!(
        !events["items"].as_array().is_none_or(Vec::is_empty),
        "the job's events: {events}"
    );

    let kinds: Vec<String> = sqlx::query_scalar("SELECT DISTINCT kind FROM events")
        .fetch_all(store.pool())
        .await?;
    assert!(kinds.iter().any(|k| k == "TokensWithdrawn"), "{kinds:?}");
    for kind in &kinds {
        let (status, page) = get(&format!("/v1/events?kind={kind}")).await?;
        assert_eq!(status, 200, "?kind={kind}: {page}");
        assert!(
            !page["items"].as_array().is_none_or(Vec::is_empty),
            "?kind={kind}"
        );
    }

    // Neither chain's form: refused with the reason.
    for bad in [
        "/v1/jobs/Carol.testnet:1",
        "/v1/providers/-alice",
        "/v1/blobs?owner=a",
    ] {
        let (status, body) = get(bad).await?;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains("NEAR")),
            "{bad}: {body}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn an_rpc_failure_keeps_nothing_of_its_batch_and_the_retry_loses_nothing() -> Result<()> {
    // The reference: the same chain followed without failures.
    let mut clean = protocol_chain();
    clean.final_at(START + 4);
    let server = ReplayServer::start(clean.recordings).await?;
    let reference_db = TempDb::create().await?;
    let reference = Store::connect(&reference_db.url).await?;
    follow_to_the_end(&NearFollower::new(
        reference.clone(),
        options(server.url(), 5),
        Arc::default(),
    ))
    .await?;

    let mut flaky = Chain::default();
    flaky.flaky(START + 3);
    flaky.recordings.extend(protocol_chain().recordings);
    flaky.final_at(START + 4);
    let server = ReplayServer::start(flaky.recordings).await?;
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let metrics = Arc::new(Metrics::new());
    let follower = NearFollower::new(store.clone(), options(server.url(), 5), metrics);

    // The whole batch fails at START+3: not even START..+2, read fine, is kept.
    let err = follower.pass().await.expect_err("the RPC failed");
    assert!(matches!(err, NearFollowError::Rpc(_)), "{err}");
    assert!(store.cursor(CONTRACT).await?.is_none());
    assert_eq!(count(store.pool(), "events").await?, 0);

    // The retry reads the same heights and ends with the same index as the clean run.
    follow_to_the_end(&follower).await?;
    assert_same(
        &snapshot(reference.pool()).await?,
        &snapshot(store.pool()).await?,
    );
    Ok(())
}

#[tokio::test]
async fn a_new_database_without_a_start_height_is_refused() -> Result<()> {
    let mut chain = Chain::default();
    chain.final_at(START);
    let server = ReplayServer::start(chain.recordings).await?;
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let mut o = options(server.url(), 5);
    o.start_height = None;
    let err = NearFollower::new(store, o, Arc::default())
        .pass()
        .await
        .expect_err("no start height");
    assert!(err.to_string().contains("--near-start-block"), "{err}");
    // Nothing was asked of the chain either.
    assert!(server.requests().is_empty());
    Ok(())
}
