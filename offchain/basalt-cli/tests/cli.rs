//! The `basalt` command end to end: `basalt localnet` in the background (stopped with
//! Ctrl-C and resumed), and every user command against it, as a user would type them.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, ensure, Context, Result};
use serde_json::Value;

const BASALT: &str = env!("CARGO_BIN_EXE_basalt");

/// The tests' local networks take the default chain port: one at a time.
static ONE_LOCALNET: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_localnet() -> std::sync::MutexGuard<'static, ()> {
    ONE_LOCALNET.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `basalt --json ARGS` with the test's wallet and network directory.
fn basalt(home: &Path, wallet: &str, args: &[&str]) -> Result<Output> {
    Ok(Command::new(BASALT)
        .args(["--json", "--localnet-dir"])
        .arg(home.join("net"))
        .arg("--keypair")
        .arg(home.join(wallet))
        .args(args)
        .output()?)
}

/// Runs a command that must succeed and returns its JSON output.
fn ok(home: &Path, wallet: &str, args: &[&str]) -> Result<Value> {
    let out = basalt(home, wallet, args)?;
    ensure!(
        out.status.success(),
        "basalt {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "basalt {args:?} printed {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Runs a command that must fail and returns its stderr.
fn fails(home: &Path, wallet: &str, args: &[&str]) -> Result<String> {
    let out = basalt(home, wallet, args)?;
    ensure!(
        !out.status.success(),
        "basalt {args:?} unexpectedly succeeded"
    );
    Ok(String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `basalt localnet` in the background; returns once it printed its description.
fn start_localnet(home: &Path) -> Result<(Child, Value)> {
    start_localnet_with(home, &["--nodes", "6"])
}

/// Starts `basalt localnet ARGS` in `home`; returns once it printed its network.
fn start_localnet_with(home: &Path, args: &[&str]) -> Result<(Child, Value)> {
    let mut child = Command::new(BASALT)
        .args(["--json", "--localnet-dir"])
        .arg(home.join("net"))
        .arg("--keypair")
        .arg(home.join("owner.json"))
        .arg("localnet")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(home.join("localnet.err"))?)
        .spawn()?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(120)).map_err(|_| {
        let log = std::fs::read_to_string(home.join("localnet.err")).unwrap_or_default();
        anyhow!("basalt localnet printed nothing within 120 s; its stderr:\n{log}")
    })?;
    Ok((child, serde_json::from_str(&line)?))
}

/// Ctrl-C, as a user would stop it; it must exit cleanly.
fn interrupt(mut child: Child) -> Result<()> {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()?;
    ensure!(status.success(), "kill -INT failed");
    for _ in 0..600 {
        if let Some(status) = child.try_wait()? {
            ensure!(status.success(), "basalt localnet exited with {status}");
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill()?;
    bail!("basalt localnet did not stop within 60 s of Ctrl-C")
}

/// `GET url` with curl: the HTTP status and the body as JSON (Null when it is not JSON).
fn http_get(url: &str) -> Result<(u16, Value)> {
    let out = Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}", url])
        .output()
        .context("running curl")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    Ok((
        status.trim().parse()?,
        serde_json::from_str(body).unwrap_or(Value::Null),
    ))
}

/// Waits until the indexer's API shows the blob `blob` (its id) with `status`.
fn indexed(indexer: &str, blob: &str, status: &str) -> Result<()> {
    for _ in 0..150 {
        let (code, row) = http_get(&format!("{indexer}/v1/blobs/{blob}"))?;
        if code == 200 && row["status"] == status {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("the indexer at {indexer} did not show {blob} as {status} within 15 s")
}

#[test]
fn every_command_against_a_local_network_that_stops_and_resumes() -> Result<()> {
    let _one = one_localnet();
    let home = tempfile::tempdir()?;
    let home = home.path();
    // Run as root, the network's PostgreSQL runs as the `postgres` user, which must be able
    // to reach its directory (a temporary directory is private to its owner).
    std::fs::set_permissions(home, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let keygen = ok(home, "reader.json", &["keygen"])?;
    let reader = keygen["address"].as_str().unwrap_or_default().to_owned();
    ensure!(
        fails(home, "reader.json", &["keygen"])?.contains("already exists"),
        "keygen must not overwrite a wallet"
    );

    let (net, info) = start_localnet(home)?;
    ensure!(
        info["network"]["nodes"].as_array().map(Vec::len) == Some(6)
            && info["network"]["workers"].as_array().map(Vec::len) == Some(3),
        "{info}"
    );
    let owner = info["wallet"].as_str().unwrap_or_default().to_owned();
    let indexer = info["network"]["indexer_url"]
        .as_str()
        .ok_or_else(|| anyhow!("no indexer in {info}"))?
        .to_owned();
    let (code, health) = http_get(&format!("{indexer}/health"))?;
    ensure!(code == 200, "indexer health: {code} {health}");
    ensure!(ok(home, "owner.json", &["address"])?["address"] == owner.as_str());
    ensure!(ok(home, "owner.json", &["balance"])?["stake_tokens"].as_u64() > Some(0));
    ok(home, "reader.json", &["airdrop", "2"])?;

    let file = home.join("notes.txt");
    std::fs::write(&file, b"basalt end to end, through the CLI".repeat(1_000))?;
    let file = file.to_str().ok_or_else(|| anyhow!("path"))?;
    let put = ok(home, "owner.json", &["put", file, "--k", "4", "--m", "2"])?;
    // A blob is named by its id (the wallet's registration of the content), its content by
    // the CID.
    let blob = put["id"].as_str().unwrap_or_default().to_owned();
    let cid = put["cid"].as_str().unwrap_or_default().to_owned();
    let copy = home.join("copy.txt");
    let copy_s = copy.to_str().ok_or_else(|| anyhow!("path"))?;
    let got = ok(home, "owner.json", &["get", &blob, "-o", copy_s, "-v"])?;
    ensure!(
        std::fs::read(&copy)? == std::fs::read(file)?,
        "owner's copy differs"
    );
    // Per holder, what it did: RS(4, 2) has 6, at least 4 of which served.
    let holders = got["holders"].as_array().cloned().unwrap_or_default();
    ensure!(
        holders.len() == 6
            && holders
                .iter()
                .filter(|h| h["served"].as_u64() > Some(0))
                .count()
                >= 4,
        "{got}"
    );
    ensure!(ok(home, "owner.json", &["ls"])?.as_array().map(Vec::len) == Some(1));
    let info = ok(home, "owner.json", &["info", &blob])?;
    ensure!(
        info["encrypted"] == true && info["cid"] == cid.as_str(),
        "{info}"
    );
    ensure!(
        fails(home, "owner.json", &["get", &cid, "-o", copy_s])?.contains("not a blob id"),
        "a CID is refused with a clear error"
    );
    indexed(&indexer, &blob, "active")?;

    // The reader needs a grant; a failed get leaves no partial file behind.
    let denied = fails(home, "reader.json", &["get", &blob, "-o", copy_s])?;
    ensure!(
        denied.contains("may not read") || denied.contains("grant"),
        "{denied}"
    );
    ok(home, "owner.json", &["grant", &blob, &reader])?;
    std::thread::sleep(Duration::from_secs(3)); // the nodes' ACL cache
    std::fs::remove_file(&copy)?;
    ok(home, "reader.json", &["get", &blob, "-o", copy_s])?;
    ensure!(
        std::fs::read(&copy)? == std::fs::read(file)?,
        "reader's copy differs"
    );
    ok(home, "owner.json", &["revoke", &blob, &reader])?;

    // A compute job over a public input, run by the network's three worker processes.
    run_a_job(home)?;
    // A private dataset: two versions, their history, a pull, a grant, a retraction.
    run_a_dataset(home, &reader)?;
    // The judged flow of issue 44: a job over v1.1 publishes v1.1-clean.
    run_a_derived_dataset(home, &indexer)?;

    // Stop with Ctrl-C and resume: the blob is still there and readable.
    interrupt(net)?;
    let (net, info) = start_localnet(home)?;
    let indexer = info["network"]["indexer_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ok(home, "owner.json", &["get", &blob, "-o", copy_s])?;
    ensure!(
        std::fs::read(&copy)? == std::fs::read(file)?,
        "copy after restart differs"
    );
    let status = ok(home, "owner.json", &["provider", "status"]);
    ensure!(status.is_err(), "the owner is not a provider");
    // A node's identity is its provider's wallet; the node heartbeats, so it is online.
    let node = ok(home, "net/nodes/0/identity.json", &["provider", "status"])?;
    ensure!(node["liveness"] == "online", "{node}");
    ensure!(node["silent_secs"].as_u64() < Some(60), "{node}");
    let deleted = ok(home, "owner.json", &["delete", &blob])?;
    ensure!(deleted["shards_deleted"].as_u64() == Some(6));
    // The restarted indexer resumed from its cursor in the kept database.
    indexed(&indexer, &blob, "deleted")?;
    let (_, grants) = http_get(&format!("{indexer}/v1/blobs/{blob}/grants"))?;
    ensure!(grants["items"][0]["grantee"] == reader.as_str(), "{grants}");
    ensure!(grants["items"][0]["active"] == false, "{grants}");
    ensure!(fails(home, "owner.json", &["info", &blob])?.contains("no blob"));
    ensure!(fails(home, "owner.json", &["get", "not-a-cid", "-o", copy_s])?.contains("not base58"));
    interrupt(net)?;
    Ok(())
}

/// `basalt job submit` of the word count example over an encrypted input (granted to the
/// drawn workers by `submit`), followed with `basalt job status` until the workers settled
/// it; the agreed result is the CID of the word count.
fn run_a_job(home: &Path) -> Result<()> {
    let input = home.join("words.txt");
    std::fs::write(&input, b"one two three\nfour five\n")?;
    let input = input.to_str().ok_or_else(|| anyhow!("path"))?;
    let put = ok(home, "owner.json", &["put", input, "--k", "2", "--m", "2"])?;
    let cid = put["cid"].as_str().unwrap_or_default().to_owned();
    let module = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/jobs/wordcount.wat"
    );
    let submitted = ok(
        home,
        "owner.json",
        &[
            "job",
            "submit",
            "--module",
            module,
            "--input",
            &cid,
            "--reward",
            "1000",
            "--fuel",
            "10000000",
            "--apply-slots",
            "30",
            "--commit-slots",
            "60",
            "--reveal-slots",
            "60",
            "--k",
            "2",
            "--m",
            "2",
        ],
    )?;
    let job = submitted["job"].as_str().unwrap_or_default().to_owned();
    ensure!(
        submitted["granted"].as_array().map(Vec::len) == Some(3),
        "the three drawn workers were granted the input: {submitted}"
    );
    ensure!(
        ok(home, "owner.json", &["job", "ls"])?
            .as_array()
            .is_some_and(|jobs| jobs.iter().any(|j| j["job"] == job.as_str())),
        "job ls lists the job"
    );
    let status = closed_job(home, &job, 120)?;
    let expected = basalt_core::Cid::of(b"2 5 24\n").to_string();
    ensure!(
        status["status"] == "Succeeded" && status["result"]["output_cid"] == expected.as_str(),
        "{status}"
    );
    Ok(())
}

/// `basalt job status` of `job` once its workers settled it (its account closed), polled
/// for up to `seconds`.
fn closed_job(home: &Path, job: &str, seconds: u64) -> Result<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        let status = ok(home, "owner.json", &["job", "status", job])?;
        if status["phase"] == "closed" {
            return Ok(status);
        }
        if std::time::Instant::now() > deadline {
            bail!("the job did not close in {seconds} s: {status}");
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// `basalt dataset` as a new user tries it: create, push v1.0, change two files, push v1.1
/// (only they are stored), log, diff, lineage, pull byte-exact, grant a reader who pulls,
/// retract.
fn run_a_dataset(home: &Path, reader: &str) -> Result<()> {
    let src = home.join("corpus");
    let write = |path: &str, bytes: &[u8]| -> Result<()> {
        let full = src.join(path);
        std::fs::create_dir_all(full.parent().ok_or_else(|| anyhow!("parent"))?)?;
        Ok(std::fs::write(full, bytes)?)
    };
    for i in 0..20 {
        write(
            &format!("rows/{i}.csv"),
            format!("row {i}\n").repeat(100).as_bytes(),
        )?;
    }
    write("README.md", b"a small corpus")?;
    let dir = src.to_str().ok_or_else(|| anyhow!("path"))?;
    ok(home, "owner.json", &["dataset", "create", "corpus"])?;
    let push = |tag: &str| {
        let mut args = vec!["dataset", "push", dir, "--name", "corpus", "--tag", tag];
        args.extend(["-m", "from the CLI test", "--k", "4", "--m", "2"]);
        ok(home, "owner.json", &args)
    };
    let v1 = push("v1.0")?;
    ensure!(v1["stored_files"] == 21 && v1["files"] == 21, "{v1}");
    write("rows/3.csv", b"fixed")?;
    write("rows/4.csv", b"fixed too")?;
    let v11 = push("v1.1")?;
    ensure!(
        v11["stored_files"] == 2 && v11["reused_files"] == 19 && v11["parents"][0] == "v1.0",
        "{v11}"
    );
    let log = ok(home, "owner.json", &["dataset", "log", "corpus"])?;
    ensure!(log[0]["tag"] == "v1.1" && log[1]["tag"] == "v1.0", "{log}");
    let diff = ok(
        home,
        "owner.json",
        &["dataset", "diff", "corpus@v1.0", "v1.1"],
    )?;
    ensure!(
        diff["changed"].as_array().map(Vec::len) == Some(2),
        "{diff}"
    );
    let lineage = ok(home, "owner.json", &["dataset", "lineage", "corpus@v1.1"])?;
    ensure!(lineage["parents"][0]["label"] == "corpus@v1.0", "{lineage}");
    let out = home.join("corpus-out");
    let out_s = out.to_str().ok_or_else(|| anyhow!("path"))?;
    let pulled = ok(
        home,
        "owner.json",
        &["dataset", "pull", "corpus@v1.1", out_s],
    )?;
    ensure!(pulled["fetched_files"] == 21, "{pulled}");
    for f in ["README.md", "rows/3.csv", "rows/19.csv"] {
        ensure!(
            std::fs::read(out.join(f))? == std::fs::read(src.join(f))?,
            "{f} differs"
        );
    }
    let owner = ok(home, "owner.json", &["address"])?["address"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let theirs = format!("{owner}/corpus@v1.1");
    let reader_out = home.join("corpus-reader");
    let reader_s = reader_out.to_str().ok_or_else(|| anyhow!("path"))?;
    ensure!(
        fails(home, "reader.json", &["dataset", "pull", &theirs, reader_s])?.contains("no key"),
        "a reader without a grant holds no key"
    );
    ok(home, "owner.json", &["dataset", "grant", "corpus", reader])?;
    ok(home, "reader.json", &["dataset", "pull", &theirs, reader_s])?;
    ensure!(
        std::fs::read(reader_out.join("rows/4.csv"))? == b"fixed too",
        "the reader's copy"
    );
    ok(home, "owner.json", &["dataset", "retract", "corpus@v1.0"])?;
    let log = ok(home, "owner.json", &["dataset", "log", "corpus"])?;
    ensure!(log[1]["retracted"] == true, "{log}");
    Ok(())
}

/// Issue 44's flow: push v1.0 and v1.1 of a public dataset, run the redact example over
/// v1.1 publishing v1.1-clean (`basalt job run … --publish`), then the lineage shows
/// v1.1-clean ← job ← v1.1 ← v1.0 and a pull of v1.1-clean is v1.1 redacted, byte-exact.
fn run_a_derived_dataset(home: &Path, indexer: &str) -> Result<()> {
    let src = home.join("survey");
    let write = |path: &str, bytes: &[u8]| -> Result<()> {
        let full = src.join(path);
        std::fs::create_dir_all(full.parent().ok_or_else(|| anyhow!("parent"))?)?;
        Ok(std::fs::write(full, bytes)?)
    };
    for i in 0..5 {
        write(
            &format!("answers/{i}.csv"),
            format!(
                "id,phone
{i},555-010{i}
"
            )
            .as_bytes(),
        )?;
    }
    let dir = src.to_str().ok_or_else(|| anyhow!("path"))?;
    ok(
        home,
        "owner.json",
        &["dataset", "create", "survey", "--public"],
    )?;
    let push = |tag: &str| {
        let args = [
            "dataset", "push", dir, "--name", "survey", "--tag", tag, "--k", "2", "--m", "2",
        ];
        ok(home, "owner.json", &args)
    };
    push("v1.0")?;
    write(
        "answers/2.csv",
        b"id,phone
2,555-9999
",
    )?;
    push("v1.1")?;
    let module = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/jobs/redact.wat"
    );
    let submitted = ok(
        home,
        "owner.json",
        &[
            "job",
            "run",
            "--module",
            module,
            "--input",
            "survey@v1.1",
            "--publish",
            "survey@v1.1-clean",
            "--reward",
            "1000",
            "--fuel",
            "50000000",
            "--apply-slots",
            "30",
            "--commit-slots",
            "60",
            "--reveal-slots",
            "60",
            "--k",
            "2",
            "--m",
            "2",
        ],
    )?;
    let job = submitted["job"].as_str().unwrap_or_default().to_owned();
    ensure!(submitted["input_version"].is_string(), "{submitted}");
    let status = closed_job(home, &job, 180)?;
    ensure!(status["status"] == "Succeeded", "{status}");
    let lineage = ok(
        home,
        "owner.json",
        &["dataset", "lineage", "survey@v1.1-clean"],
    )?;
    let v11 = &lineage["parents"][0];
    ensure!(
        lineage["label"] == "survey@v1.1-clean"
            && lineage["job"] == job.as_str()
            && v11["label"] == "survey@v1.1"
            && v11["parents"][0]["label"] == "survey@v1.0",
        "v1.1-clean ← job ← v1.1 ← v1.0: {lineage}"
    );
    let out = home.join("survey-clean");
    let out_s = out.to_str().ok_or_else(|| anyhow!("path"))?;
    let pulled = ok(
        home,
        "owner.json",
        &["dataset", "pull", "survey@v1.1-clean", out_s],
    )?;
    ensure!(pulled["files"] == 5, "{pulled}");
    for i in 0..5 {
        let path = format!("answers/{i}.csv");
        let redacted: Vec<u8> = std::fs::read(src.join(&path))?
            .into_iter()
            .map(|b| if b.is_ascii_digit() { b'#' } else { b })
            .collect();
        ensure!(
            std::fs::read(out.join(&path))? == redacted,
            "{path} is v1.1's, redacted"
        );
    }
    let clean_id = lineage["version_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    indexed_lineage(indexer, &clean_id, &job)?;

    // A derivation made by hand names its transform and its script.
    let script = home.join("drop-phones.sh");
    std::fs::write(&script, b"cut -d, -f1 \"$1\"\n")?;
    for i in 0..5 {
        write(&format!("answers/{i}.csv"), format!("id\n{i}\n").as_bytes())?;
    }
    let script_s = script.to_str().ok_or_else(|| anyhow!("path"))?;
    let pushed = ok(
        home,
        "owner.json",
        &[
            "dataset",
            "push",
            dir,
            "--name",
            "survey",
            "--tag",
            "v1.2",
            "--parent",
            "v1.1-clean",
            "--transform",
            "dropped the phone column",
            "--script",
            script_s,
            "--k",
            "2",
            "--m",
            "2",
        ],
    )?;
    let derivation = &pushed["derivation"];
    let script_cid = basalt_core::Cid::of(&std::fs::read(&script)?).to_string();
    ensure!(
        derivation["kind"] == "manual"
            && derivation["transform"] == "dropped the phone column"
            && derivation["inputs"][0] == clean_id.as_str()
            && derivation["script"] == script_cid.as_str(),
        "{pushed}"
    );
    Ok(())
}

/// Waits until the indexer's lineage of version `version_id` upwards shows what the chain
/// does: it, derived by `job`, from v1.1, from v1.0; and the job's row, its input and the
/// version it published.
fn indexed_lineage(indexer: &str, version_id: &str, job: &str) -> Result<()> {
    let url = format!("{indexer}/v1/versions/{version_id}/lineage?dir=up&depth=10");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (code, graph) = http_get(&url)?;
        let versions = graph["versions"].as_array().cloned().unwrap_or_default();
        if code == 200 && versions.len() == 3 {
            let tag = |t: &str| versions.iter().find(|v| v["tag"] == t).cloned();
            let (Some(clean), Some(v11), Some(v10)) = (tag("v1.1-clean"), tag("v1.1"), tag("v1.0"))
            else {
                bail!("the indexed lineage lacks a version: {graph}");
            };
            ensure!(
                clean["job"] == job
                    && clean["parents"][0] == v11["address"]
                    && v11["parents"][0] == v10["address"]
                    && graph["edges"].as_array().map(Vec::len) == Some(2)
                    && graph["missing"].as_array().is_some_and(Vec::is_empty),
                "the indexed lineage is not the chain's: {graph}"
            );
            let (_, row) = http_get(&format!("{indexer}/v1/jobs/{job}"))?;
            ensure!(
                row["input_version"] == v11["address"]
                    && row["publish_tag"] == "v1.1-clean"
                    && row["published_version"] == clean["address"],
                "the indexed job names its input and the version it published: {row}"
            );
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("the indexer did not show the lineage within 30 s: {code} {graph}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The processes below `root` (its children, theirs, …), from /proc.
fn descendants(root: u32) -> Result<Vec<u32>> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Some(pid) = entry?.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if let Some(ppid) = parent_of(pid) {
            parents.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    found.remove(0);
    Ok(found)
}

/// The parent of `pid`, unless it is gone or a zombie.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid …": comm may hold spaces and parentheses.
    let mut rest = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = rest.next()?;
    (state != "Z").then(|| rest.next()?.parse().ok())?
}

/// Waits up to 30 s for every process of `pids` to be gone; returns those still running.
fn survivors(pids: &[u32]) -> Vec<u32> {
    for _ in 0..300 {
        if pids.iter().all(|p| parent_of(*p).is_none()) {
            return Vec::new();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    pids.iter()
        .copied()
        .filter(|p| parent_of(*p).is_some())
        .collect()
}

/// Issue 31: a `basalt localnet` ended by SIGKILL (nothing of it runs to clean up) or by
/// SIGTERM leaves no node, worker, indexer or database process behind.
#[test]
fn a_killed_or_terminated_localnet_leaves_no_process_behind() -> Result<()> {
    let _one = one_localnet();
    let home = tempfile::tempdir()?;
    let home = home.path();
    for (signal, name) in [(libc::SIGKILL, "SIGKILL"), (libc::SIGTERM, "SIGTERM")] {
        let (mut net, _) = start_localnet_with(home, &["--nodes", "4", "--workers", "1"])?;
        let children = descendants(net.id())?;
        ensure!(
            children.len() >= 7,
            "4 nodes, a worker, the indexer and PostgreSQL run below it: {children:?}"
        );
        // SAFETY: kill(2) on our own child.
        ensure!(unsafe { libc::kill(net.id() as libc::pid_t, signal) } == 0);
        let status = net.wait()?;
        if signal == libc::SIGTERM {
            ensure!(status.success(), "an orderly stop on SIGTERM: {status}");
        }
        let left = survivors(&children);
        for pid in &left {
            // SAFETY: kill(2); the test's own orphans must not outlive a failed run.
            unsafe { libc::kill(*pid as libc::pid_t, libc::SIGKILL) };
        }
        ensure!(left.is_empty(), "after {name}, still running: {left:?}");
    }
    Ok(())
}

/// Runs `basalt --json --chain evm --key KEY ARGS` with the test's network directory.
fn evm(home: &Path, key: &str, args: &[&str]) -> Result<Output> {
    Ok(Command::new(BASALT)
        .args(["--json", "--chain", "evm", "--localnet-dir"])
        .arg(home.join("net"))
        .arg("--key")
        .arg(home.join(key))
        .args(args)
        .output()?)
}

/// An EVM command that must succeed; its JSON output.
fn evm_ok(home: &Path, key: &str, args: &[&str]) -> Result<Value> {
    let out = evm(home, key, args)?;
    ensure!(
        out.status.success(),
        "basalt --chain evm {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// An EVM command that must fail; its stderr.
fn evm_fails(home: &Path, key: &str, args: &[&str]) -> Result<String> {
    let out = evm(home, key, args)?;
    ensure!(
        !out.status.success(),
        "basalt --chain evm {args:?} unexpectedly succeeded"
    );
    Ok(String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Issue 34: `basalt --chain evm localnet` (anvil, the contracts, three nodes, the
/// indexer) and the data commands against it with Ethereum keys: a hex key file for the
/// owner, a keystore for the reader.
#[test]
fn the_data_commands_on_an_evm_local_network() -> Result<()> {
    let home = tempfile::tempdir()?;
    let home = home.path();
    std::fs::set_permissions(home, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    ensure!(
        evm_fails(home, "owner.key", &["address"])?.contains("keygen"),
        "a missing key says how to make one"
    );
    let made = evm_ok(home, "reader.key", &["keygen"])?;
    let reader = made["address"].as_str().unwrap_or_default().to_owned();
    let reader_key = made["public_key"].as_str().unwrap_or_default().to_owned();
    ensure!(reader.starts_with("0x") && reader_key.len() == 68, "{made}");
    ensure!(evm_fails(home, "reader.key", &["keygen"])?.contains("already exists"));
    ensure!(
        evm_fails(home, "reader.key", &["ls"])?.contains("Solana only"),
        "a command without an EVM form says so"
    );

    let mut child = Command::new(BASALT)
        .args(["--json", "--chain", "evm", "--localnet-dir"])
        .arg(home.join("net"))
        .arg("--key")
        .arg(home.join("owner.key"))
        .args(["localnet", "--nodes", "3"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(home.join("localnet.err"))?)
        .spawn()?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = match rx.recv_timeout(Duration::from_secs(180)) {
        Ok(line) => line,
        Err(_) => {
            let _ = child.kill();
            let log = std::fs::read_to_string(home.join("localnet.err")).unwrap_or_default();
            bail!("basalt --chain evm localnet printed nothing within 180 s:\n{log}");
        }
    };
    let result = evm_session(home, &serde_json::from_str(&line)?, &reader, &reader_key);
    let stopped = interrupt(child);
    result?;
    stopped
}

/// The commands against a running EVM local network described by `info`.
fn evm_session(home: &Path, info: &Value, reader: &str, reader_key: &str) -> Result<()> {
    ensure!(
        info["network"]["nodes"].as_array().map(Vec::len) == Some(3),
        "{info}"
    );
    let owner = info["wallet"].as_str().unwrap_or_default().to_owned();
    ensure!(evm_ok(home, "owner.key", &["address"])?["address"] == owner.as_str());
    let indexer = info["network"]["indexer_url"]
        .as_str()
        .ok_or_else(|| anyhow!("no indexer in {info}"))?
        .to_owned();

    let file = home.join("notes.txt");
    std::fs::write(&file, b"basalt on the EVM, through the CLI".repeat(1_000))?;
    let file = file.to_str().ok_or_else(|| anyhow!("path"))?;
    let put = evm_ok(home, "owner.key", &["put", file, "--k", "2", "--m", "1"])?;
    let blob = put["id"].as_str().unwrap_or_default().to_owned();
    ensure!(put["accepted"] == 3, "every holder accepted: {put}");
    let copy = home.join("copy.txt");
    let copy_s = copy.to_str().ok_or_else(|| anyhow!("path"))?;
    evm_ok(home, "owner.key", &["get", &blob, "-o", copy_s])?;
    ensure!(
        std::fs::read(&copy)? == std::fs::read(file)?,
        "owner's copy differs"
    );
    indexed(&indexer, &blob, "active")?;

    // The reader signs with a keystore; refused until granted, by its public key.
    let keystore_dir = home.join("keystore");
    std::fs::create_dir_all(&keystore_dir)?;
    let reader_hex = std::fs::read_to_string(home.join("reader.key"))?;
    write_keystore(
        &keystore_dir.join("reader.json"),
        reader_hex.trim(),
        "s3cret",
    )?;
    let as_reader = |args: &[&str]| -> Result<Output> {
        Ok(Command::new(BASALT)
            .args(["--json", "--chain", "evm", "--localnet-dir"])
            .arg(home.join("net"))
            .arg("--key")
            .arg(keystore_dir.join("reader.json"))
            .env("BASALT_KEYSTORE_PASSWORD", "s3cret")
            .args(args)
            .output()?)
    };
    let address = as_reader(&["address"])?;
    ensure!(
        serde_json::from_slice::<Value>(&address.stdout)?["address"] == reader,
        "the keystore opens to the reader's key: {}",
        String::from_utf8_lossy(&address.stderr)
    );
    let denied = as_reader(&["get", &blob, "-o", copy_s])?;
    ensure!(!denied.status.success(), "an ungranted reader is refused");
    ensure!(
        evm_fails(home, "owner.key", &["grant", &blob, reader])?.contains("public key"),
        "a READ grant to a bare address says it needs the key"
    );
    evm_ok(home, "owner.key", &["grant", &blob, reader_key])?;
    std::fs::remove_file(&copy)?;
    let read = as_reader(&["get", &blob, "-o", copy_s])?;
    ensure!(
        read.status.success(),
        "the grantee reads: {}",
        String::from_utf8_lossy(&read.stderr)
    );
    ensure!(
        std::fs::read(&copy)? == std::fs::read(file)?,
        "reader's copy differs"
    );
    evm_ok(home, "owner.key", &["revoke", &blob, reader])?;
    let revoked = as_reader(&["get", &blob, "-o", copy_s])?;
    ensure!(!revoked.status.success(), "a revoked reader is refused");

    let deleted = evm_ok(home, "owner.key", &["delete", &blob])?;
    ensure!(deleted["shards_deleted"].as_u64() > Some(0), "{deleted}");
    indexed(&indexer, &blob, "deleted")?;
    ensure!(evm_fails(home, "owner.key", &["get", &blob, "-o", copy_s])?.contains("no blob"));
    Ok(())
}

/// Writes the hex key `hex` as a Web3 Secret Storage keystore at `path` under `password`,
/// as geth and `cast wallet import` write them (alloy's local signer, the same library
/// `basalt` opens it with; the fixed test vector of the format is checked in
/// `basalt_evm_client::keys`).
fn write_keystore(path: &Path, hex: &str, password: &str) -> Result<()> {
    use basalt_evm_client::alloy::signers::local::PrivateKeySigner;
    let digits = hex.strip_prefix("0x").unwrap_or(hex);
    let bytes: Vec<u8> = (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16))
        .collect::<Result<_, _>>()?;
    let dir = path.parent().ok_or_else(|| anyhow!("no directory"))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow!("no file name"))?;
    PrivateKeySigner::encrypt_keystore(dir, &mut rand_core::OsRng, bytes, password, Some(name))?;
    Ok(())
}

/// Issue 34: `basalt --chain evm demo` end to end — proofs and payouts, a holder killed for
/// good and its shard repaired onto a spare node (slashed, evicted and placed by the
/// nodes' cranks, the column rebuilt from the other holders' shards, accepted), 4 more
/// holders killed and the file read back identical.
#[test]
fn the_evm_demo_proves_pays_repairs_and_reads_back() -> Result<()> {
    let out = Command::new(BASALT)
        .args(["--json", "--chain", "evm", "demo", "--size-mib", "4"])
        .output()?;
    ensure!(
        out.status.success(),
        "basalt --chain evm demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout)?;
    ensure!(report["identical"] == true, "{report}");
    ensure!(report["proofs"]["paid"] != "0", "{report}");
    let repair = &report["repair"];
    ensure!(
        repair["holder"]
            .as_str()
            .is_some_and(|h| h.starts_with("0x"))
            && repair["holder"] != repair["lost"],
        "{report}"
    );
    ensure!(
        report["killed"].as_array().map(Vec::len) == Some(4),
        "{report}"
    );
    Ok(())
}
