//! The API as a dApp sees it, on a populated Solana index and a populated NEAR index:
//! - schemathesis sends every route requests its document allows (and some it does not) and
//!   checks every answer against the document: status, content type, and the response
//!   schema of every row;
//! - a TypeScript client generated from `/openapi.json` by a stock generator
//!   (openapi-typescript) and `tests/client/read_every_route.ts` over it pass `tsc --strict`,
//!   then read one row of every route.
//!
//! The tools come from `scripts/api-clients.sh` (scripts/test.sh runs it; `BASALT_VENV` and
//! `BASALT_API_CLIENTS` name other places).

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::decode::BasaltEvent;
use basalt::events::{DatasetCreated, VersionPublished};
use basalt_indexer::Store;
use common::db::TempDb;
use common::tx;

const PROGRAM: &str = "BasngbvH8ed8WMm4vC7dqjFgrkdGkYGDJnGPUZ1C4kps";
/// Longest a tool may run before the test fails.
const TOOL_TIMEOUT: Duration = Duration::from_secs(600);

/// Every route the client script reads.
const ROUTES: &[&str] = &[
    "/v1/providers",
    "/v1/providers/{id}",
    "/v1/blobs",
    "/v1/blobs/{blob}",
    "/v1/blobs/{blob}/grants",
    "/v1/deals",
    "/v1/payouts",
    "/v1/proofs",
    "/v1/slashes",
    "/v1/jobs",
    "/v1/jobs/{address}",
    "/v1/datasets",
    "/v1/datasets/{dataset}",
    "/v1/datasets/{dataset}/versions",
    "/v1/versions/{cid}",
    "/v1/versions/{cid}/lineage",
    "/v1/events",
    "/v1/search",
    "/v1/history",
    "/v1/stats",
    "/health",
];

pub(crate) fn cache_dir(variable: &str, default: &str) -> Result<PathBuf> {
    match std::env::var_os(variable) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(
            PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?)
                .join(".cache")
                .join(default),
        ),
    }
}

/// A tool `scripts/api-clients.sh` installs.
pub(crate) fn tool(path: PathBuf) -> Result<PathBuf> {
    ensure!(
        path.is_file(),
        "{} is missing: run scripts/api-clients.sh (scripts/test.sh does)",
        path.display()
    );
    Ok(path)
}

fn schemathesis() -> Result<PathBuf> {
    tool(cache_dir("BASALT_VENV", "basalt-venv")?.join("bin/st"))
}

fn node_tool(name: &str) -> Result<PathBuf> {
    tool(
        cache_dir("BASALT_API_CLIENTS", "basalt-api-clients")?
            .join("node_modules/.bin")
            .join(name),
    )
}

/// Runs `command` to its end within [`TOOL_TIMEOUT`], its output in `log`; returns the
/// output, or fails with it.
pub(crate) fn run(mut command: Command, log: &Path) -> Result<String> {
    let file = std::fs::File::create(log)?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let deadline = Instant::now() + TOOL_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("{command:?} ran past {TOOL_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = std::fs::read_to_string(log)?;
    ensure!(status.success(), "{command:?}: {status}\n{output}");
    Ok(output)
}

/// A Solana index holding a row of every kind: the store tests' history of every event
/// kind, and a dataset with two versions, the second derived from the first.
pub(crate) async fn populated_solana_index() -> Result<(TempDb, String)> {
    let db = TempDb::create().await?;
    let store = Store::connect(&db.url).await?;
    let mut history = crate::store::scenario(&crate::store::keys());
    let (dataset, owner) = (Pubkey::new_unique(), Pubkey::new_unique());
    let (first, second) = (Pubkey::new_unique(), Pubkey::new_unique());
    let publish = |version, seq: u64, parents| {
        BasaltEvent::VersionPublished(VersionPublished {
            dataset,
            version,
            tag: format!("v{seq}"),
            seq,
            version_id: [seq as u8 + 1; 32],
            manifest_blob: Pubkey::new_unique(),
            parents,
            job: None,
            message: String::new(),
            publisher: owner,
            slot: 0,
        })
    };
    history.extend([
        tx(
            900,
            vec![BasaltEvent::DatasetCreated(DatasetCreated {
                dataset,
                owner,
                name: "corpus".into(),
                public: true,
                slot: 0,
            })],
        ),
        tx(901, vec![publish(first, 0, vec![])]),
        tx(902, vec![publish(second, 1, vec![first])]),
    ]);
    store.write_batch(PROGRAM, &history).await?;
    let base = common::serve(&db.url, PROGRAM).await?;
    Ok((db, base))
}

/// Generates the client from `base`'s document, type-checks the script over it, runs it
/// against `base`; returns the rows each route gave.
async fn read_every_route(base: &str) -> Result<BTreeMap<String, u64>> {
    let (generate, tsc) = (node_tool("openapi-typescript")?, node_tool("tsc")?);
    let dir = tempfile::tempdir()?;
    let document = reqwest::get(format!("{base}/openapi.json"))
        .await?
        .error_for_status()?
        .text()
        .await?;
    std::fs::write(dir.path().join("openapi.json"), document)?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/client/read_every_route.ts");
    std::fs::copy(&script, dir.path().join("read_every_route.ts"))?;
    let (dir_path, base) = (dir.path().to_owned(), base.to_owned());
    let output = tokio::task::spawn_blocking(move || -> Result<String> {
        let mut command = Command::new(generate);
        command
            .current_dir(&dir_path)
            .args(["openapi.json", "--output", "api.d.ts"]);
        run(command, &dir_path.join("generate.log"))?;
        let mut command = Command::new(tsc);
        command.current_dir(&dir_path).args([
            "--strict",
            "--noUnusedLocals",
            "--target",
            "es2022",
            "--module",
            "commonjs",
            "--lib",
            "es2022,dom",
            "read_every_route.ts",
        ]);
        run(command, &dir_path.join("tsc.log"))?;
        let mut command = Command::new("node");
        command
            .current_dir(&dir_path)
            .args(["read_every_route.js", &base]);
        run(command, &dir_path.join("read.log"))
    })
    .await??;
    let last = output.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("the script's output: {output}"))
}

/// The first row's `field` of the list at `path` of `base`.
pub(crate) async fn first(base: &str, path: &str, field: &str) -> Result<String> {
    let (status, page) = common::get(format!("{base}{path}")).await?;
    ensure!(status == 200, "{path}: {status} {page}");
    page["items"][0][field]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no {field} in the first row of {path}: {page}"))
}

/// Runs schemathesis against `base` with every check, response-schema conformance among
/// them, a fixed seed (a failure reproduces), and the routes' path parameters set to rows
/// the index holds, so that the single-row routes answer rows rather than 404s.
async fn schemathesis_passes(base: &str) -> Result<()> {
    let st = schemathesis()?;
    let dataset = first(base, "/v1/datasets", "address").await?;
    let version = first(
        base,
        &format!("/v1/datasets/{dataset}/versions"),
        "version_id",
    )
    .await?;
    let config = format!(
        "# Written by indexer/tests/typed_client.rs for one run.\n\
         [parameters]\n\
         \"path.id\" = \"{}\"\n\
         \"path.blob\" = \"{}\"\n\
         \"path.address\" = \"{}\"\n\
         \"path.dataset\" = \"{dataset}\"\n\
         \"path.cid\" = \"{version}\"\n\
         # Its inferred links feed a list's fields into other routes' parameters without\n\
         # checking them against those parameters' schemas (a dataset's `name` as `{{dataset}}`)\n\
         # and report the 400 as a valid request refused.\n\
         [phases.stateful]\n\
         enabled = false\n",
        first(base, "/v1/providers", "authority").await?,
        first(base, "/v1/blobs", "address").await?,
        first(base, "/v1/jobs", "address").await?,
    );
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("schemathesis.toml"), config)?;
    let (dir_path, base) = (dir.path().to_owned(), base.to_owned());
    let output = tokio::task::spawn_blocking(move || -> Result<String> {
        let mut command = Command::new(st);
        command.current_dir(&dir_path).args([
            "--config-file",
            "schemathesis.toml",
            "run",
            &format!("{base}/openapi.json"),
            "--checks",
            "all",
            // It never ends, so no answer completes; its parameters are the list's.
            "--exclude-path",
            "/v1/events/stream",
            "--seed",
            "20261207",
            "--max-examples",
            "30",
            "--workers",
            "2",
            "--generation-database",
            "none",
            "--no-color",
        ]);
        run(command, &dir_path.join("schemathesis.log"))
    })
    .await??;
    ensure!(
        !output.contains("Missing test data"),
        "a route answered only 404s: the index lacks its rows\n{output}"
    );
    Ok(())
}

fn assert_every_route_read(rows: &BTreeMap<String, u64>) {
    let unread: Vec<&&str> = ROUTES
        .iter()
        .filter(|route| rows.get(**route).is_none_or(|n| *n == 0))
        .collect();
    assert!(unread.is_empty(), "no row from {unread:?}: {rows:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_client_reads_every_route_of_a_solana_index() -> Result<()> {
    let (_db, base) = populated_solana_index().await?;
    assert_every_route_read(&read_every_route(&base).await?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_client_reads_every_route_of_a_near_index() -> Result<()> {
    let (_db, base) = crate::near_follow::populated_index().await?;
    assert_every_route_read(&read_every_route(&base).await?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_of_a_solana_index_is_as_documented() -> Result<()> {
    let (_db, base) = populated_solana_index().await?;
    schemathesis_passes(&base).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_of_a_near_index_is_as_documented() -> Result<()> {
    let (_db, base) = crate::near_follow::populated_index().await?;
    schemathesis_passes(&base).await
}
