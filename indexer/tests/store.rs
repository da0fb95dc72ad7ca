//! The store against the real PostgreSQL server: every event kind reaches its derived
//! tables exactly as the program's state changes, a batch is all or nothing, and writing
//! the same events again (in any batch split) changes nothing.

use crate::common;

use anyhow::{Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::decode::BasaltEvent;
use basalt::events::*;
use basalt::state::{ConfigParams, JobStatus, TokenGate};
use basalt_core::Cid;
use basalt_indexer::db::{
    BlobRow, CursorRow, DealRow, EventRow, GrantRow, InsertMethod, JobResultRow, JobRow,
    PageRequest, PayoutRow, PlacementRow, ProofRow, ProviderFilter, ProviderRow, SlashRow,
};
use basalt_indexer::record::{TxRecord, Undecoded};
use basalt_indexer::Store;
use common::{count, db::TempDb, snapshot, tx};
use serde_json::Value;
use sqlx::PgPool;
use utoipa::openapi::{RefOr, Schema};
use utoipa::PartialSchema;

const PROGRAM: &str = "BasngbvH8ed8WMm4vC7dqjFgrkdGkYGDJnGPUZ1C4kps";

/// The accounts of the scenario.
pub(crate) struct Keys {
    p1: Pubkey,
    a1: Pubkey,
    p2: Pubkey,
    a2: Pubkey,
    blob: Pubkey,
    deal: Pubkey,
    owner: Pubkey,
    grantee: Pubkey,
    job: Pubkey,
    /// The job's output blob.
    output: Pubkey,
    mint: Pubkey,
}

/// A chain history that emits each of the 31 event kinds at least once, in an order the
/// program allows.
pub(crate) fn scenario(k: &Keys) -> Vec<TxRecord> {
    let s = 0;
    let params = ConfigParams {
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
    };
    let admin = Pubkey::new_unique();
    let registered = |provider, authority, endpoint: &str| {
        vec![
            BasaltEvent::ProviderRegistered(ProviderRegistered {
                provider,
                authority,
                endpoint: endpoint.into(),
                region: "eu".into(),
                roles: 3,
                capacity: 1 << 30,
                slot: s,
            }),
            BasaltEvent::StakeAdded(StakeAdded {
                provider,
                amount: 2_000,
                stake: 2_000,
                slot: s,
            }),
        ]
    };
    let placed = |index, provider, previous| {
        BasaltEvent::ShardPlaced(ShardPlaced {
            blob: k.blob,
            index,
            provider,
            previous,
            assigned_epoch: 1,
            slot: s,
        })
    };
    let applied = |worker| {
        BasaltEvent::JobApplied(JobApplied {
            job: k.job,
            worker,
            stake: 1_000,
            displaced: None,
            slot: s,
        })
    };
    let committed = |worker| {
        BasaltEvent::JobCommitted(JobCommitted {
            job: k.job,
            worker,
            commitment: [1; 32],
            slot: s,
        })
    };
    let revealed = |worker, hash| {
        BasaltEvent::JobRevealed(JobRevealed {
            job: k.job,
            worker,
            result_hash: [hash; 32],
            slot: s,
        })
    };
    vec![
        tx(
            1,
            vec![BasaltEvent::ConfigInitialized(ConfigInitialized {
                admin,
                stake_mint: k.mint,
                epoch_slots: 600,
                proof_window_slots: 300,
                params: params.clone(),
                slot: s,
            })],
        ),
        tx(
            2,
            vec![BasaltEvent::ConfigUpdated(ConfigUpdated {
                admin,
                pending_admin: None,
                params: params.clone(),
                pending_params: Some(params),
                pending_params_at: 700,
                slot: s,
            })],
        ),
        tx(3, registered(k.p1, k.a1, "http://one")),
        tx(4, registered(k.p2, k.a2, "http://two\twith\\odd\nchars")),
        tx(
            5,
            vec![BasaltEvent::ProviderUpdated(ProviderUpdated {
                provider: k.p1,
                endpoint: "http://one.example".into(),
                region: "us".into(),
                roles: 1,
                capacity: 1 << 31,
                slot: s,
            })],
        ),
        tx(
            6,
            vec![BasaltEvent::UnstakeRequested(UnstakeRequested {
                provider: k.p1,
                amount: 500,
                stake: 1_500,
                unbonding_until_epoch: 5,
                slot: s,
            })],
        ),
        tx(
            7,
            vec![BasaltEvent::ProviderHeartbeat(ProviderHeartbeat {
                provider: k.p1,
                slot: s,
            })],
        ),
        tx(
            8,
            vec![
                BasaltEvent::BlobRegistered(BlobRegistered {
                    blob: k.blob,
                    owner: k.owner,
                    cid_digest: [9; 32],
                    size: 1_000,
                    k: 1,
                    m: 1,
                    chunk_count: 1,
                    commitment_root: [2; 32],
                    expiry_epoch: 50,
                    public: false,
                    encrypted: true,
                    slot: s,
                }),
                placed(0, k.a1, None),
                placed(1, k.a2, None),
                BasaltEvent::BlobActivated(BlobActivated {
                    blob: k.blob,
                    slot: s,
                }),
                BasaltEvent::DealFunded(DealFunded {
                    deal: k.deal,
                    blob: k.blob,
                    payer: k.owner,
                    price_per_shard_epoch: 10,
                    amount: 100,
                    balance: 100,
                    slot: s,
                }),
            ],
        ),
        tx(
            9,
            vec![
                BasaltEvent::BlobAccessChanged(BlobAccessChanged {
                    blob: k.blob,
                    public: true,
                    token_gate: Some(TokenGate {
                        mint: k.mint,
                        min_balance: 5,
                    }),
                    slot: s,
                }),
                // A top-up by someone else: the payer refunds go to does not change.
                BasaltEvent::DealFunded(DealFunded {
                    deal: k.deal,
                    blob: k.blob,
                    payer: k.grantee,
                    price_per_shard_epoch: 10,
                    amount: 20,
                    balance: 120,
                    slot: s,
                }),
            ],
        ),
        tx(
            10,
            vec![BasaltEvent::GrantCreated(GrantCreated {
                blob: k.blob,
                grantee: k.grantee,
                roles: 1,
                expires_at: Some(1_900_000_000),
                granted_by: k.owner,
                slot: s,
            })],
        ),
        tx(
            11,
            vec![BasaltEvent::ProofAccepted(ProofAccepted {
                blob: k.blob,
                index: 0,
                provider: k.a1,
                epoch: 2,
                chunk: 0,
                leaf: 3,
                slot: s,
            })],
        ),
        tx(
            12,
            vec![
                BasaltEvent::DealSettled(DealSettled {
                    deal: k.deal,
                    blob: k.blob,
                    index: 0,
                    provider: k.a1,
                    epochs_paid: 1,
                    epochs_owed: 0,
                    amount: 10,
                    balance: 110,
                    slot: s,
                }),
                // p1 went silent: evicted, it pays the repair credit into the deal.
                BasaltEvent::ShardEvicted(ShardEvicted {
                    blob: k.blob,
                    index: 0,
                    provider: k.a1,
                    last_heartbeat_slot: 0,
                    charged: 10,
                    cranker: k.owner,
                    slot: s,
                }),
            ],
        ),
        tx(
            13,
            vec![
                BasaltEvent::ProviderSlashed(ProviderSlashed {
                    provider: k.p2,
                    amount: 200,
                    bounty: 40,
                    beneficiary: k.owner,
                    subject: k.blob,
                    reputation: -1,
                    slot: s,
                }),
                BasaltEvent::ProofMissed(ProofMissed {
                    blob: k.blob,
                    index: 1,
                    provider: k.a2,
                    epoch: 2,
                    cranker: k.owner,
                    slot: s,
                }),
            ],
        ),
        tx(14, vec![placed(1, k.a1, Some(k.a2))]),
        tx(
            15,
            vec![BasaltEvent::ProviderUnjailed(ProviderUnjailed {
                provider: k.p2,
                slot: s,
            })],
        ),
        tx(
            16,
            vec![BasaltEvent::StakeWithdrawn(StakeWithdrawn {
                provider: k.p1,
                amount: 500,
                slot: s,
            })],
        ),
        tx(
            17,
            vec![
                BasaltEvent::JobPosted(JobPosted {
                    job: k.job,
                    requester: k.owner,
                    nonce: 7,
                    module_cid: [4; 32],
                    input_cid: [5; 32],
                    fuel_limit: 1_000_000,
                    n: 2,
                    k: 1,
                    reward_per_worker: 30,
                    apply_deadline_slot: 400,
                    commit_deadline_slot: 500,
                    reveal_deadline_slot: 600,
                    output_budget: 60,
                    output_price_per_shard_epoch: 5,
                    output_deadline_slot: 700,
                    output_encrypted: false,
                    input_version: None,
                    publish_dataset: None,
                    publish_tag: None,
                    publish_budget: 0,
                    slot: s,
                }),
                applied(k.a1),
                applied(k.a2),
                BasaltEvent::JobSelected(JobSelected {
                    job: k.job,
                    seed: [6; 32],
                    workers: vec![k.a1, k.a2],
                    slot: s,
                }),
            ],
        ),
        tx(18, vec![committed(k.a1), committed(k.a2)]),
        tx(19, vec![revealed(k.a1, 7), revealed(k.a2, 8)]),
        tx(
            20,
            vec![
                BasaltEvent::JobFinalized(JobFinalized {
                    job: k.job,
                    status: JobStatus::Succeeded,
                    result_hash: [7; 32],
                    agreeing: 1,
                    refunded: 0,
                    job_closed: false,
                    slot: s,
                }),
                BasaltEvent::JobOutputRegistered(JobOutputRegistered {
                    job: k.job,
                    blob: k.output,
                    worker: k.a1,
                    cid_digest: [7; 32],
                    budget: 60,
                    rent_refunded: 1_000,
                    slot: s,
                }),
                BasaltEvent::JobWorkerSettled(JobWorkerSettled {
                    job: k.job,
                    worker: k.a1,
                    outcome: WorkerOutcome::Paid,
                    paid: 30,
                    slashed: 0,
                    reputation: 1,
                    job_closed: false,
                    output_refunded: 0,
                    slot: s,
                }),
            ],
        ),
        tx(
            21,
            vec![
                BasaltEvent::ProviderSlashed(ProviderSlashed {
                    provider: k.p2,
                    amount: 90,
                    bounty: 0,
                    beneficiary: admin,
                    subject: k.job,
                    reputation: -2,
                    slot: s,
                }),
                BasaltEvent::JobWorkerSettled(JobWorkerSettled {
                    job: k.job,
                    worker: k.a2,
                    outcome: WorkerOutcome::Disagreed,
                    paid: 0,
                    slashed: 90,
                    reputation: -2,
                    job_closed: true,
                    output_refunded: 0,
                    slot: s,
                }),
            ],
        ),
        tx(
            22,
            vec![BasaltEvent::GrantRevoked(GrantRevoked {
                blob: k.blob,
                grantee: k.grantee,
                revoked_by: k.owner,
                slot: s,
            })],
        ),
        tx(
            23,
            vec![
                BasaltEvent::DealRefunded(DealRefunded {
                    deal: k.deal,
                    blob: k.blob,
                    payer: k.owner,
                    amount: 120,
                    slot: s,
                }),
                BasaltEvent::BlobDeleted(BlobDeleted {
                    blob: k.blob,
                    by: k.owner,
                    refunded: 120,
                    slot: s,
                }),
            ],
        ),
    ]
}

pub(crate) fn keys() -> Keys {
    Keys {
        p1: Pubkey::new_unique(),
        a1: Pubkey::new_unique(),
        p2: Pubkey::new_unique(),
        a2: Pubkey::new_unique(),
        blob: Pubkey::new_unique(),
        deal: Pubkey::new_unique(),
        owner: Pubkey::new_unique(),
        grantee: Pubkey::new_unique(),
        job: Pubkey::new_unique(),
        output: Pubkey::new_unique(),
        mint: Pubkey::new_unique(),
    }
}

async fn row(pool: &PgPool, sql: &str, key: &Pubkey) -> Result<Value> {
    Ok(
        sqlx::query_scalar(&format!("SELECT to_jsonb(t) FROM ({sql}) t"))
            .bind(key.to_string())
            .fetch_one(pool)
            .await?,
    )
}

#[tokio::test]
async fn every_event_kind_lands_once_in_its_tables() -> Result<()> {
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let k = keys();
    let history = scenario(&k);
    let kinds: std::collections::BTreeSet<_> = history
        .iter()
        .flat_map(|t| t.events.iter().map(|(_, e)| e.kind))
        .collect();
    assert_eq!(kinds.len(), 31, "the scenario covers every event kind");

    let written = store.write_batch(PROGRAM, &history).await?;
    let events: usize = history.iter().map(|t| t.events.len()).sum();
    assert_eq!(written.events as usize, events);
    let pool = store.pool();

    let p1 = row(pool, "SELECT * FROM providers WHERE address = $1", &k.p1).await?;
    assert_eq!(p1["region"], "us");
    assert_eq!(p1["endpoint"], "http://one.example");
    assert_eq!(p1["stake"], 1_500 - 10, "the eviction's repair charge");
    assert_eq!(p1["unbonding"], 0, "withdrawn");
    assert_eq!(p1["status"], "active");
    assert_eq!(p1["reputation"], 1);
    let p2 = row(pool, "SELECT * FROM providers WHERE address = $1", &k.p2).await?;
    assert_eq!(p2["endpoint"], "http://two\twith\\odd\nchars");
    assert_eq!(p2["stake"], 2_000 - 200 - 90);
    assert_eq!(p2["slashed_total"], 290);
    assert_eq!(
        p2["status"], "active",
        "jailed by the missed proof, then unjailed"
    );
    assert_eq!(p2["reputation"], -2);
    // The API's figures of each provider, by the authority its events name.
    let figures = |p: &ProviderRow| {
        (
            p.proofs_accepted,
            p.proofs_missed,
            p.earned.0.clone(),
            p.shards_held,
        )
    };
    let a1 = store.provider(&k.a1.to_string()).await?.expect("p1");
    assert_eq!(figures(&a1), (1, 0, "10".into(), 0), "the blob is deleted");
    let a2 = store.provider(&k.a2.to_string()).await?.expect("p2");
    assert_eq!(figures(&a2), (0, 1, "0".into(), 0));
    // The charts' series: the blob stored then deleted, its one payout, epoch 2's proofs.
    let history = store.network_history(10, 10).await?;
    assert!(history.points.len() <= 10, "{history:?}");
    let stored: Vec<&str> = history
        .points
        .iter()
        .map(|p| p.stored_bytes.0.as_str())
        .collect();
    assert!(stored.contains(&"1000"), "{stored:?}");
    assert_eq!(stored.last(), Some(&"0"), "deleted by the end");
    let paid: u64 = history
        .points
        .iter()
        .map(|p| p.paid.0.parse::<u64>().unwrap_or(0))
        .sum();
    assert_eq!(paid, 10);
    let epoch2 = history
        .epochs
        .iter()
        .find(|e| e.epoch == 2)
        .context("epoch 2")?;
    assert_eq!((epoch2.accepted, epoch2.missed), (1, 1));

    let blob = row(pool, "SELECT * FROM blobs WHERE address = $1", &k.blob).await?;
    assert_eq!(blob["cid"], Cid::from_digest([9; 32]).to_string());
    assert_eq!(blob["status"], "deleted");
    assert_eq!(blob["public"], true);
    assert_eq!(blob["token_gate_mint"], k.mint.to_string());
    assert_eq!(
        count(pool, "placements").await?,
        0,
        "a deleted blob has no holders"
    );
    let deal = row(pool, "SELECT * FROM deals WHERE address = $1", &k.deal).await?;
    assert_eq!(
        (
            &deal["payer"],
            &deal["funded_total"],
            &deal["paid_total"],
            &deal["refunded"]
        ),
        (
            &Value::from(k.owner.to_string()),
            &Value::from(120),
            &Value::from(10),
            &Value::from(120)
        )
    );
    assert_eq!(deal["status"], "refunded");
    let grant = row(pool, "SELECT * FROM grants WHERE grantee = $1", &k.grantee).await?;
    assert_eq!(
        (&grant["active"], &grant["roles"]),
        (&Value::from(false), &Value::from(1))
    );

    let job = row(pool, "SELECT * FROM jobs WHERE address = $1", &k.job).await?;
    assert_eq!(job["status"], "succeeded");
    assert_eq!(job["module_cid"], Cid::from_digest([4; 32]).to_string());
    let worker2 = row(pool, "SELECT * FROM job_results WHERE worker = $1", &k.a2).await?;
    assert_eq!(
        (&worker2["outcome"], &worker2["slashed"]),
        (&Value::from("disagreed"), &Value::from(90))
    );
    assert_eq!(worker2["result_hash"], "08".repeat(32));
    assert_eq!(
        (&worker2["selected"], &worker2["stake"]),
        (&Value::from(true), &Value::from(1_000))
    );
    assert_eq!(job["seed"], "06".repeat(32));
    assert_eq!(job["apply_deadline_slot"], 400);
    assert_eq!(
        (&job["output_budget"], &job["output_deadline_slot"]),
        (&Value::from(60), &Value::from(700))
    );
    assert_eq!(job["output_blob"], k.output.to_string());
    assert_eq!(job["output_cid"], Cid::from_digest([7; 32]).to_string());
    assert_eq!(job["output_worker"], k.a1.to_string());
    assert!(
        job["closed_slot"].is_i64(),
        "the last settlement closed the job"
    );

    for (table, rows) in [
        ("stake_changes", 7),
        ("slashes", 2),
        ("payouts", 1),
        ("proofs", 2),
        ("reputation", 4),
        ("transactions", 23),
        ("events", events as i64),
    ] {
        assert_eq!(count(pool, table).await?, rows, "{table}");
    }
    let missed: Value =
        sqlx::query_scalar("SELECT to_jsonb(p) FROM proofs p WHERE outcome = 'missed'")
            .fetch_one(pool)
            .await?;
    assert_eq!(missed["cranker"], k.owner.to_string());

    // The API's reads over the same rows.
    let page = store
        .events(Some("ShardPlaced"), None, &PageRequest::first(2))
        .await?;
    assert_eq!(page.items.len(), 2);
    let rest = store
        .events(
            Some("ShardPlaced"),
            None,
            &PageRequest::first(2).after(page.next.as_deref().unwrap()),
        )
        .await?;
    assert_eq!((rest.items.len(), rest.next.as_ref()), (1, None));
    let named = store
        .events(None, Some(&k.grantee.to_string()), &PageRequest::first(50))
        .await?;
    assert_eq!(
        named.items.len(),
        3,
        "a top-up, a grant and its revocation name the grantee"
    );
    Ok(())
}

/// Every read the API serves decodes the rows of a populated index into its row type: a
/// field a type names and its query does not select fails here.
#[tokio::test]
async fn every_api_read_decodes_a_populated_index_into_its_row_type() -> Result<()> {
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let k = keys();
    store.write_batch(PROGRAM, &scenario(&k)).await?;
    let page = PageRequest::first(50);
    let (blob, owner) = (k.blob.to_string(), k.owner.to_string());

    let providers = store.providers(&ProviderFilter::default(), &page).await?;
    assert_eq!(providers.items.len(), 2);
    let p1 = store
        .provider(&k.a1.to_string())
        .await?
        .context("a provider by its authority")?;
    assert_eq!(p1.address, k.p1.to_string());
    assert_eq!(p1.role_names, ["storage"], "compute dropped by an update");
    assert!(p1.stake.value() > 0, "{p1:?}");
    let shown = store.blob(&blob).await?.context("the blob")?;
    assert_eq!(shown.blob.owner, owner);
    // The scenario ends by deleting the blob: its shards are released.
    assert_eq!(shown.blob.status, "deleted");
    assert!(shown.placements.is_empty(), "{shown:?}");
    let deal = shown.deal.context("the blob's deal")?;
    assert_eq!(deal.cid.as_deref(), Some(shown.blob.cid.as_str()));
    assert_eq!(store.blobs(Some(&owner), None, &page).await?.items.len(), 1);
    assert!(!store.grants(&blob, &page).await?.items.is_empty());
    assert_eq!(store.deals(Some(&owner), &page).await?.items, [deal]);
    let payouts = store.payouts(None, Some(&blob), &page).await?;
    assert!(payouts.items.iter().all(|p| p.amount.value() > 0));
    assert_eq!(payouts.items.len(), 1);
    assert_eq!(store.proofs(None, Some(&blob), &page).await?.items.len(), 2);
    assert_eq!(store.slashes(None, &page).await?.items.len(), 2);
    assert_eq!(store.jobs(Some(&owner), None, &page).await?.items.len(), 1);
    let job = store.job(&k.job.to_string()).await?.context("the job")?;
    assert_eq!(job.job.output_budget.0, "60");
    assert!(!job.results.is_empty());
    let events = store.events(None, None, &PageRequest::first(10)).await?;
    assert_eq!(events.items.len(), 10);
    assert_eq!(events.next, Some(events.items[9].id.to_string()));
    let stats = store.stats().await?;
    assert_eq!((stats.providers.total, stats.jobs.succeeded), (2, 1));
    assert!(stats.cursor.is_some());
    Ok(())
}

/// Every column of a table the API serves is a field of its row type (and so of the
/// OpenAPI document), unless it is the key the row is nested under: a migration that adds
/// a column cannot leave the API behind.
#[tokio::test]
async fn every_column_of_a_served_table_is_a_field_of_its_row() -> Result<()> {
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    for (table, schema, nested_under) in [
        ("providers", ProviderRow::schema(), None),
        ("blobs", BlobRow::schema(), None),
        ("placements", PlacementRow::schema(), Some("blob")),
        ("deals", DealRow::schema(), None),
        ("grants", GrantRow::schema(), None),
        ("payouts", PayoutRow::schema(), None),
        ("proofs", ProofRow::schema(), None),
        ("slashes", SlashRow::schema(), None),
        ("jobs", JobRow::schema(), None),
        ("job_results", JobResultRow::schema(), Some("job")),
        // `accounts` is the filter index behind `?account=`, its content in `payload`.
        ("events", EventRow::schema(), Some("accounts")),
        ("cursors", CursorRow::schema(), None),
    ] {
        let RefOr::T(Schema::Object(object)) = schema else {
            panic!("{table}: its row's schema is not an object");
        };
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1",
        )
        .bind(table)
        .fetch_all(store.pool())
        .await?;
        assert!(!columns.is_empty(), "{table}: no such table");
        let missing: Vec<&String> = columns
            .iter()
            .filter(|c| !object.properties.contains_key(*c) && Some(c.as_str()) != nested_under)
            .collect();
        assert!(
            missing.is_empty(),
            "{table}: {missing:?} not in its row type"
        );
    }
    Ok(())
}

#[tokio::test]
async fn writing_again_in_any_split_changes_nothing() -> Result<()> {
    let k = keys();
    let history = scenario(&k);
    let once = TempDb::create().await?;
    let once_store = Store::connect(&once.url).await?;
    once_store.write_batch(PROGRAM, &history).await?;

    let again = TempDb::create().await?;
    let store = Store::connect(&again.url).await?;
    // Overlapping batches, with every insert method, as a crash-and-replay would send.
    for (i, window) in history.windows(4).enumerate().step_by(3) {
        let method = [
            InsertMethod::Unnest,
            InsertMethod::Copy,
            InsertMethod::RowByRow,
        ][i % 3];
        store.write_batch_with(PROGRAM, window, method).await?;
    }
    let replay = store.write_batch(PROGRAM, &history).await?;
    assert!(
        replay.events > 0,
        "the windows left some events for the full replay"
    );
    let nothing = store.write_batch(PROGRAM, &history).await?;
    assert_eq!((nothing.events, nothing.transactions), (0, 0));
    common::assert_same(
        &snapshot(once_store.pool()).await?,
        &snapshot(store.pool()).await?,
    );
    Ok(())
}

#[tokio::test]
async fn a_batch_is_all_or_nothing() -> Result<()> {
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let k = keys();
    let history = scenario(&k);
    store.write_batch(PROGRAM, &history[..3]).await?;
    let before = snapshot(store.pool()).await?;

    // An event the derived tables refuse (a kind no migration knows) in the middle of a
    // batch: the whole batch, cursor included, is rolled back.
    let mut poisoned = history[3..6].to_vec();
    poisoned[1].events[0].1.kind = "NotAnEvent";
    let err = store.write_batch(PROGRAM, &poisoned).await.unwrap_err();
    assert!(
        err.to_string().contains("no derivation for event kind"),
        "{err}"
    );
    common::assert_same(&before, &snapshot(store.pool()).await?);
    assert_eq!(store.cursor(PROGRAM).await?.unwrap().signature, "tx0003");
    Ok(())
}

#[tokio::test]
async fn undecodable_events_are_kept_aside_and_failed_transactions_recorded() -> Result<()> {
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let mut odd = tx(1, Vec::new());
    odd.undecoded.push(Undecoded {
        inner_index: 4,
        reason: "unknown discriminator".into(),
        data: vec![0xE4, 0x45, 1, 2, 3],
    });
    let failed =
        basalt_indexer::solana::extract::failed("tx0002", 102, None, "Custom(6001)".into());
    let written = store.write_batch(PROGRAM, &[odd, failed]).await?;
    assert_eq!(
        (written.transactions, written.events, written.undecoded),
        (2, 0, 1)
    );
    let data: Vec<u8> = sqlx::query_scalar("SELECT data FROM undecoded")
        .fetch_one(store.pool())
        .await?;
    assert_eq!(data, vec![0xE4, 0x45, 1, 2, 3]);
    let error: Option<String> =
        sqlx::query_scalar("SELECT error FROM transactions WHERE signature = 'tx0002'")
            .fetch_one(store.pool())
            .await?;
    assert_eq!(error.as_deref(), Some("Custom(6001)"));
    let cursor = store.cursor(PROGRAM).await?.unwrap();
    assert_eq!((cursor.signature.as_str(), cursor.slot), ("tx0002", 102));
    Ok(())
}

/// Issue 44: datasets, their grants and versions reach their tables; each version's
/// parents are edges (a merge has two), a retraction marks the row and keeps it.
#[tokio::test]
async fn dataset_events_land_in_their_tables_with_parent_edges() -> Result<()> {
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let (dataset, owner, writer) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let (v1, v2, merge) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let publish = |version: Pubkey, tag: &str, seq: u64, parents: Vec<Pubkey>| {
        BasaltEvent::VersionPublished(VersionPublished {
            dataset,
            version,
            tag: tag.into(),
            seq,
            version_id: [seq as u8 + 1; 32],
            manifest_blob: Pubkey::new_unique(),
            parents,
            job: None,
            message: format!("{tag} message"),
            publisher: owner,
            slot: 0,
        })
    };
    let history = vec![
        tx(
            1,
            vec![BasaltEvent::DatasetCreated(DatasetCreated {
                dataset,
                owner,
                name: "corpus".into(),
                public: false,
                slot: 0,
            })],
        ),
        tx(
            2,
            vec![BasaltEvent::DatasetGrantCreated(DatasetGrantCreated {
                dataset,
                grantee: writer,
                roles: 3,
                expires_at: None,
                granted_by: owner,
                slot: 0,
            })],
        ),
        tx(3, vec![publish(v1, "v1", 0, vec![])]),
        tx(4, vec![publish(v2, "v2", 1, vec![v1])]),
        tx(5, vec![publish(merge, "merge", 2, vec![v1, v2])]),
        tx(
            6,
            vec![
                BasaltEvent::VersionRetracted(VersionRetracted {
                    dataset,
                    version: v1,
                    retracted_by: owner,
                    slot: 0,
                }),
                BasaltEvent::DatasetGrantRevoked(DatasetGrantRevoked {
                    dataset,
                    grantee: writer,
                    revoked_by: owner,
                    slot: 0,
                }),
                BasaltEvent::DatasetAccessChanged(DatasetAccessChanged {
                    dataset,
                    public: true,
                    slot: 0,
                }),
            ],
        ),
    ];
    store.write_batch(PROGRAM, &history).await?;
    let pool = store.pool();
    let d = row(pool, "SELECT * FROM datasets WHERE address = $1", &dataset).await?;
    assert_eq!(
        (
            d["name"].as_str(),
            d["versions"].as_i64(),
            d["public"].as_bool()
        ),
        (Some("corpus"), Some(3), Some(true))
    );
    let g = row(
        pool,
        "SELECT * FROM dataset_grants WHERE dataset = $1",
        &dataset,
    )
    .await?;
    assert_eq!(
        (g["roles"].as_i64(), g["active"].as_bool()),
        (Some(3), Some(false))
    );
    let first = row(pool, "SELECT * FROM versions WHERE address = $1", &v1).await?;
    assert_eq!(
        (first["tag"].as_str(), first["retracted"].as_bool()),
        (Some("v1"), Some(true)),
        "a retracted version stays, marked"
    );
    assert_eq!(
        first["version_id"],
        Cid::from_digest([1; 32]).to_string().as_str()
    );
    let parents: Vec<String> = sqlx::query_scalar(
        "SELECT parent FROM version_parents WHERE version = $1 ORDER BY position",
    )
    .bind(merge.to_string())
    .fetch_all(pool)
    .await?;
    assert_eq!(
        parents,
        [v1.to_string(), v2.to_string()],
        "a merge's two parents, in order"
    );
    // Written again: nothing changes.
    let before = snapshot(pool).await?;
    store.write_batch(PROGRAM, &history).await?;
    assert_eq!(snapshot(pool).await?, before);
    Ok(())
}

/// Issue 44: a job over a dataset version shows its input version and the publication its
/// requester asked for, then the version an agreeing worker published; a version naming
/// the job under another tag (a requester's own publication) is not the job's.
#[tokio::test]
async fn a_job_shows_its_input_version_and_the_version_it_published() -> Result<()> {
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let (dataset, owner, job) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let (input, clean, other) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let publish = |version: Pubkey, tag: &str, seq: u64, job: Option<Pubkey>| {
        BasaltEvent::VersionPublished(VersionPublished {
            dataset,
            version,
            tag: tag.into(),
            seq,
            version_id: [seq as u8 + 1; 32],
            manifest_blob: Pubkey::new_unique(),
            parents: job.map_or_else(Vec::new, |_| vec![input]),
            job,
            message: String::new(),
            publisher: owner,
            slot: 0,
        })
    };
    let history = vec![
        tx(
            1,
            vec![
                BasaltEvent::DatasetCreated(DatasetCreated {
                    dataset,
                    owner,
                    name: "survey".into(),
                    public: true,
                    slot: 0,
                }),
                publish(input, "v1.1", 0, None),
            ],
        ),
        tx(
            2,
            vec![BasaltEvent::JobPosted(JobPosted {
                job,
                requester: owner,
                nonce: 1,
                module_cid: [4; 32],
                input_cid: [1; 32],
                fuel_limit: 1_000,
                n: 1,
                k: 1,
                reward_per_worker: 30,
                apply_deadline_slot: 400,
                commit_deadline_slot: 500,
                reveal_deadline_slot: 600,
                output_budget: 60,
                output_price_per_shard_epoch: 5,
                output_deadline_slot: 700,
                output_encrypted: false,
                input_version: Some(input),
                publish_dataset: Some(dataset),
                publish_tag: Some("v1.1-clean".into()),
                publish_budget: 20,
                slot: 0,
            })],
        ),
        tx(3, vec![publish(other, "by-hand", 1, Some(job))]),
    ];
    store.write_batch(PROGRAM, &history).await?;
    const JOB: &str = "SELECT * FROM jobs WHERE address = $1";
    let asked = row(store.pool(), JOB, &job).await?;
    assert_eq!(
        (
            &asked["input_version"],
            &asked["publish_dataset"],
            &asked["publish_tag"],
            &asked["publish_budget"],
            &asked["published_version"],
        ),
        (
            &Value::from(input.to_string()),
            &Value::from(dataset.to_string()),
            &Value::from("v1.1-clean"),
            &Value::from(20),
            &Value::Null,
        ),
        "the request is shown; a version under another tag is not the job's publication"
    );
    store
        .write_batch(
            PROGRAM,
            &[tx(4, vec![publish(clean, "v1.1-clean", 2, Some(job))])],
        )
        .await?;
    let published = row(store.pool(), JOB, &job).await?;
    assert_eq!(published["published_version"], clean.to_string());
    Ok(())
}
