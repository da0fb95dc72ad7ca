//! The dataset routes over a seeded index: typed rows, a dataset's history, the
//! publications of a version id, and lineage walks up and down that stop at the depth,
//! survive a cycle and show a parent the index never saw as missing.

use crate::common;

use anyhow::{Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::decode::BasaltEvent;
use basalt::events::{DatasetCreated, VersionPublished, VersionRetracted};
use basalt_core::Cid;
use basalt_indexer::Store;
use common::db::TempDb;
use common::tx;

const PROGRAM: &str = "BasngbvH8ed8WMm4vC7dqjFgrkdGkYGDJnGPUZ1C4kps";

fn published(
    dataset: Pubkey,
    version: Pubkey,
    tag: &str,
    seq: u64,
    id: u8,
    parents: Vec<Pubkey>,
) -> BasaltEvent {
    BasaltEvent::VersionPublished(VersionPublished {
        dataset,
        version,
        tag: tag.into(),
        seq,
        version_id: [id; 32],
        manifest_blob: Pubkey::new_unique(),
        parents,
        job: None,
        message: String::new(),
        publisher: Pubkey::new_unique(),
        slot: 0,
    })
}

fn cid(id: u8) -> String {
    Cid::from_digest([id; 32]).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dataset_routes_list_histories_and_walk_lineage_both_ways() -> Result<()> {
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let (corpus, clean) = (Pubkey::new_unique(), Pubkey::new_unique());
    let owner = Pubkey::new_unique();
    let v: Vec<Pubkey> = (0..4).map(|_| Pubkey::new_unique()).collect();
    let ghost = Pubkey::new_unique();
    let created = |dataset, name: &str| {
        BasaltEvent::DatasetCreated(DatasetCreated {
            dataset,
            owner,
            name: name.into(),
            public: false,
            slot: 0,
        })
    };
    // corpus: v1.0 ← v1.1 (which also names a parent the index never saw) ;
    // clean: clean ← v1.1 ; merge ← (v1.1, clean).
    let history = vec![
        tx(1, vec![created(corpus, "corpus"), created(clean, "clean")]),
        tx(2, vec![published(corpus, v[0], "v1.0", 0, 1, vec![])]),
        tx(
            3,
            vec![published(corpus, v[1], "v1.1", 1, 2, vec![v[0], ghost])],
        ),
        tx(
            4,
            vec![published(clean, v[2], "v1.1-clean", 0, 3, vec![v[1]])],
        ),
        tx(
            5,
            vec![published(corpus, v[3], "merge", 2, 4, vec![v[1], v[2]])],
        ),
        tx(
            6,
            vec![BasaltEvent::VersionRetracted(VersionRetracted {
                dataset: corpus,
                version: v[0],
                retracted_by: owner,
                slot: 0,
            })],
        ),
    ];
    store.write_batch(PROGRAM, &history).await?;
    let base = common::serve(&db.url, PROGRAM).await?;

    let (status, list) = common::get(format!("{base}/v1/datasets?owner={owner}")).await?;
    assert_eq!(
        (status, list["items"].as_array().map(Vec::len)),
        (200, Some(2)),
        "{list}"
    );
    let (_, one) = common::get(format!("{base}/v1/datasets/{corpus}")).await?;
    assert_eq!(
        (one["name"].as_str(), one["versions"].as_i64()),
        (Some("corpus"), Some(3)),
        "{one}"
    );
    let (status, _) = common::get(format!("{base}/v1/datasets/{ghost}")).await?;
    assert_eq!(status, 404);

    // History, newest first, paged by sequence number.
    let (_, page) = common::get(format!("{base}/v1/datasets/{corpus}/versions?limit=2")).await?;
    let tags: Vec<&str> = page["items"]
        .as_array()
        .context("items")?
        .iter()
        .filter_map(|v| v["tag"].as_str())
        .collect();
    assert_eq!(tags, ["merge", "v1.1"], "{page}");
    let next = page["next"].as_str().context("a next page")?;
    let (_, rest) = common::get(format!(
        "{base}/v1/datasets/{corpus}/versions?limit=2&after={next}"
    ))
    .await?;
    assert_eq!(rest["items"][0]["tag"], "v1.0");
    assert_eq!(
        rest["items"][0]["retracted"], true,
        "retracted, still listed"
    );
    assert!(rest.get("next").is_none(), "{rest}");
    let (status, bad) =
        common::get(format!("{base}/v1/datasets/{corpus}/versions?after=x")).await?;
    assert_eq!(status, 400, "{bad}");

    let (_, found) = common::get(format!("{base}/v1/versions/{}", cid(2))).await?;
    assert_eq!(found["items"][0]["address"], v[1].to_string().as_str());
    assert_eq!(found["items"][0]["dataset_name"], "corpus");
    assert_eq!(found["items"][0]["parents"][1], ghost.to_string().as_str());

    // Up from the merge: everything, the missing parent shown, not failed on.
    let (_, up) = common::get(format!("{base}/v1/versions/{}/lineage", cid(4))).await?;
    assert_eq!(up["versions"].as_array().map(Vec::len), Some(4), "{up}");
    assert_eq!(up["missing"], serde_json::json!([ghost.to_string()]));
    assert_eq!(up["edges"].as_array().map(Vec::len), Some(5), "{up}");
    assert_eq!(up["truncated"], false);
    // One generation only: the merge and its two parents; more lay beyond.
    let (_, near) = common::get(format!("{base}/v1/versions/{}/lineage?depth=1", cid(4))).await?;
    assert_eq!(
        (
            near["versions"].as_array().map(Vec::len),
            near["truncated"].as_bool()
        ),
        (Some(3), Some(true)),
        "{near}"
    );
    // Down from v1.0: what was made from it.
    let (_, down) = common::get(format!("{base}/v1/versions/{}/lineage?dir=down", cid(1))).await?;
    assert_eq!(down["versions"].as_array().map(Vec::len), Some(4), "{down}");
    for bad in ["dir=sideways", "depth=0", "depth=1001"] {
        let (status, body) =
            common::get(format!("{base}/v1/versions/{}/lineage?{bad}", cid(1))).await?;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, _) = common::get(format!("{base}/v1/versions/{}/lineage", cid(9))).await?;
    assert_eq!(status, 404);
    Ok(())
}

/// A cycle cannot be published (a parent must exist first), but an index is read, not
/// trusted: a walk over one ends at the depth instead of looping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lineage_walk_over_a_cycle_ends() -> Result<()> {
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let ds = Pubkey::new_unique();
    let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
    let history = vec![
        tx(1, vec![published(ds, a, "a", 0, 1, vec![b])]),
        tx(2, vec![published(ds, b, "b", 1, 2, vec![a])]),
    ];
    store.write_batch(PROGRAM, &history).await?;
    let lineage = store
        .lineage(&cid(1), basalt_indexer::db::Direction::Up, 1_000)
        .await?
        .context("a lineage")?;
    assert_eq!(lineage.versions.len(), 2);
    assert_eq!(lineage.edges.len(), 2);
    Ok(())
}
