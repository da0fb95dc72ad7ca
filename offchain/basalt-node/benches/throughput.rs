//! Shard put/get throughput to one `basalt-node` process over loopback, side by side with
//! the same requests to a trivial HTTP sink in the same run (issue target: the node reaches
//! at least 70 % of the sink).
//!
//! `cargo bench -p basalt-node --bench throughput [-- SHARDS CONCURRENCY ROUNDS]`
//!
//! Both servers get identical signed requests from the same client (the sink ignores the
//! signature), so the ratio isolates what the node adds: body hashing, signature and
//! replay checks, Merkle verification of every shard on write and a BLAKE3 check on read,
//! RocksDB writes with the WAL fsynced (the default policy) or only written (`wal`), and the
//! receipt. After each node's run it prints the node's own split of a request's time (whole
//! handler and the store call inside it) from its `/metrics` histograms.
//!
//! Two more lines bound what any node that meets the issue could reach on this machine,
//! measured in the same run:
//! - a *checking sink*: the trivial sink plus only the per-request work the issue demands
//!   before a byte is stored or served (signature, nonce and rate checks; BLAKE3 of the
//!   body; the shard's SHA-256 Merkle root on put, the BLAKE3 check on get), with the
//!   node's own functions, and no storage at all;
//! - the *disk*: the same bytes appended to one file, synced once per as many shards as
//!   there are requests in flight: the fastest durable write of them this disk allows,
//!   which bounds a put acknowledged only when durable (`fsync`).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::put;
use axum::Router;
use basalt_core::{encode_blob, RequestAuth};
use basalt_node::auth::Authenticator;
use basalt_node::metrics::latency_totals;
use basalt_node::store::ShardUpload;
use ed25519_dalek::SigningKey;
use futures::stream::{self, StreamExt};
use rand_core::{OsRng, RngCore};

struct Shard {
    path: String,
    body: Bytes,
}

fn shards(count: usize) -> Result<Vec<Shard>> {
    // The default layout: 4 MiB chunks, RS(10, 4) -> 419 456-byte shards.
    let chunks = count.div_ceil(14);
    let mut data = vec![0u8; chunks * (4 << 20)];
    OsRng.fill_bytes(&mut data);
    let mut encoded = Vec::new();
    let manifest = encode_blob(&data, 4 << 20, 10, 4, None, |c| encoded.push(c))?;
    // No chain here: any id names the blob for the node.
    let id = basalt_core::BlobId::from_bytes(*manifest.cid.digest());
    let mut out = Vec::new();
    for c in &encoded {
        for (j, s) in c.shards().enumerate() {
            let header = manifest
                .shard_header(id, c.index, j as u16)
                .expect("indices from the encoder");
            let mut body = header.encode().to_vec();
            body.extend_from_slice(s);
            out.push(Shard {
                path: basalt_core::wire::shard_path(&id, c.index, j as u16),
                body: body.into(),
            });
        }
    }
    out.truncate(count);
    Ok(out)
}

fn signed(
    http: &reqwest::Client,
    key: &SigningKey,
    method: reqwest::Method,
    url: &str,
    path: &str,
    body: Bytes,
) -> reqwest::RequestBuilder {
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    let auth = RequestAuth::sign(
        key,
        method.as_str(),
        path,
        blake3::hash(&body).as_bytes(),
        basalt_node::auth::now_ms(),
        nonce,
    );
    let mut req = http.request(method, format!("{url}{path}"));
    for (name, value) in auth.headers() {
        req = req.header(name, value);
    }
    req.body(body)
}

/// One pass of puts then gets: MB/s each, and, for a server in its own process, the CPU
/// seconds that process spent per GB moved in each (steadier than MB/s on a shared VM).
/// Background work (RocksDB's flushes) counts in the phase it runs in: a flush still
/// running when the puts end is charged to the gets.
struct Pass {
    put: f64,
    get: f64,
    cpu_per_gb: Option<(f64, f64)>,
}

/// CPU seconds (user + system, every thread) process `pid` has used so far.
fn cpu_seconds(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name sits in parentheses and may hold spaces; the fields after it start
    // at field 3, so utime (field 14) and stime (15) are the 12th and 13th.
    let (_, rest) = stat.rsplit_once(')').context("/proc/PID/stat format")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    // /proc reports in USER_HZ, which is 100 on Linux whatever the kernel's tick rate.
    Ok(ticks as f64 / 100.0)
}

/// Puts every shard, then gets every shard, to the server at `url`, whose process is
/// `server_pid` when it runs apart from this one.
async fn run(
    url: &str,
    shards: &[Shard],
    concurrency: usize,
    server_pid: Option<u32>,
) -> Result<Pass> {
    let cpu = |at: &mut Vec<f64>| -> Result<()> {
        if let Some(pid) = server_pid {
            at.push(cpu_seconds(pid)?);
        }
        Ok(())
    };
    let mut cpu_at = Vec::new();
    cpu(&mut cpu_at)?;
    let http = reqwest::Client::new();
    let key = SigningKey::generate(&mut OsRng);
    let bytes: usize = shards.iter().map(|s| s.body.len()).sum();

    let start = Instant::now();
    let puts = stream::iter(shards)
        .map(|s| {
            signed(
                &http,
                &key,
                reqwest::Method::PUT,
                url,
                &s.path,
                s.body.clone(),
            )
            .send()
        })
        .buffer_unordered(concurrency);
    let results: Vec<_> = puts.collect().await;
    let put_secs = start.elapsed().as_secs_f64();
    cpu(&mut cpu_at)?;
    for r in results {
        let r = r?;
        ensure!(r.status().is_success(), "put: {}", r.status());
    }

    let start = Instant::now();
    let gets = stream::iter(shards)
        .map(|s| {
            let req = signed(
                &http,
                &key,
                reqwest::Method::GET,
                url,
                &s.path,
                Bytes::new(),
            );
            async move {
                let r = req.send().await?;
                ensure!(r.status().is_success(), "get: {}", r.status());
                Ok::<usize, anyhow::Error>(r.bytes().await?.len())
            }
        })
        .buffer_unordered(concurrency);
    let got: Vec<Result<usize>> = gets.collect().await;
    let get_secs = start.elapsed().as_secs_f64();
    cpu(&mut cpu_at)?;
    let received: usize = got.into_iter().sum::<Result<usize>>()?;
    ensure!(received == bytes, "received {received} of {bytes} bytes");
    let mb = bytes as f64 / 1e6;
    let gb = bytes as f64 / 1e9;
    Ok(Pass {
        put: mb / put_secs,
        get: mb / get_secs,
        cpu_per_gb: match cpu_at[..] {
            [a, b, c] => Some(((b - a) / gb, (c - b) / gb)),
            _ => None,
        },
    })
}

/// A server that accepts any PUT body and answers GET with a body of the same size.
async fn start_sink(size: usize) -> Result<String> {
    let payload = Bytes::from(vec![7u8; size]);
    let app =
        Router::new()
            .route(
                basalt_core::wire::SHARD_ROUTE,
                put(|body: Bytes| async move {
                    (axum::http::StatusCode::CREATED, body.len().to_string())
                })
                .get(move || {
                    let p = payload.clone();
                    async move { p }
                }),
            )
            .layer(axum::extract::DefaultBodyLimit::disable());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}"))
}

/// What the checking sink needs: the node's authenticator, and every shard body by its
/// request path with the body's BLAKE3 digest (the node keeps one per shard). Gets serve
/// the shard asked for, so they read as many distinct bytes from memory as the node's do;
/// one body served over and over would stay in the CPU cache and flatter the sink.
struct Checks {
    auth: Authenticator,
    bodies: HashMap<String, (Bytes, [u8; 32])>,
}

/// A sink that does the checks the issue requires of every request and nothing else.
/// A failed check answers an error status, which `run` reports.
async fn start_checking_sink(shards: &[Shard]) -> Result<String> {
    let checks = Arc::new(Checks {
        // The node's default 60 s signature window; the rate limit the bench gives the node.
        auth: Authenticator::new(60_000, 100_000),
        bodies: shards
            .iter()
            .map(|s| {
                let digest = *blake3::hash(&s.body).as_bytes();
                (s.path.clone(), (s.body.clone(), digest))
            })
            .collect(),
    });
    let app = Router::new()
        .route(
            basalt_core::wire::SHARD_ROUTE,
            put(check_put).get(check_get),
        )
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(checks);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}"))
}

fn path_of(uri: &Uri) -> &str {
    uri.path_and_query().map_or("/", |p| p.as_str())
}

/// Put: BLAKE3 of the body, the signature over it, the header, the Merkle root of the data.
async fn check_put(
    State(checks): State<Arc<Checks>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let (body_hash, upload) = ShardUpload::from_body(body);
    if checks
        .auth
        .check(method.as_str(), path_of(&uri), &headers, &body_hash)
        .is_err()
    {
        return StatusCode::UNAUTHORIZED;
    }
    match upload.and_then(|u| u.header().verify_data(u.data())) {
        Ok(()) => StatusCode::CREATED,
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

/// Get: the signature over the empty body, then BLAKE3 of the bytes about to be served.
async fn check_get(
    State(checks): State<Arc<Checks>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Bytes, StatusCode> {
    let path = path_of(&uri);
    let empty = blake3::hash(b"");
    checks
        .auth
        .check(method.as_str(), path, &headers, empty.as_bytes())
        .map_err(|_| StatusCode::UNAUTHORIZED)?;
    let (body, digest) = checks.bodies.get(path).ok_or(StatusCode::NOT_FOUND)?;
    if blake3::hash(body).as_bytes() != digest {
        return Err(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Ok(body.clone())
}

/// Appends every shard body to one new file in `dir`, syncing it after every `group`
/// shards; returns MB/s. With `group` puts in flight, a put acknowledged only when durable
/// shares its sync with at most `group - 1` others, and writing each byte once to one file
/// is the least a store can do: no node's durable put beats this on the same disk.
fn disk_write(dir: &std::path::Path, shards: &[Shard], group: usize) -> Result<f64> {
    write_back_dirty_pages()?;
    let bytes: usize = shards.iter().map(|s| s.body.len()).sum();
    let start = Instant::now();
    let mut file = std::fs::File::create(dir.join("disk-bench"))?;
    for batch in shards.chunks(group.max(1)) {
        for s in batch {
            file.write_all(&s.body)?;
        }
        file.sync_data()?;
    }
    Ok(bytes as f64 / 1e6 / start.elapsed().as_secs_f64())
}

/// Where a node's time per request went, from its own `/metrics`: the whole handler and
/// the store call inside it, per operation, in milliseconds.
async fn latency_split(url: &str) -> Result<String> {
    let text = reqwest::get(format!("{url}/metrics")).await?.text().await?;
    let mut out = Vec::new();
    for op in ["put", "get"] {
        let mean_ms = |name: &str| {
            latency_totals(&text, name, op)
                .map(|(sum, count)| 1e3 * sum / count.max(1) as f64)
                .context(format!("no {name} for {op} in the node's metrics"))
        };
        out.push(format!(
            "{op}: {:.2} ms per request, {:.2} ms of it in the store",
            mean_ms("request_seconds")?,
            mean_ms("store_seconds")?
        ));
    }
    Ok(out.join("; "))
}

/// Writes every dirty page in the OS cache back to disk (`sync(1)`). A node run leaves
/// hundreds of MB of written-but-unflushed pages; when the next run starts on top of them,
/// the kernel throttles its writes to the disk's speed, and back-to-back runs of the same
/// binary measured fsync put at about half the speed of a clean start (`docs/benchmarks.md`).
fn write_back_dirty_pages() -> Result<()> {
    let status = std::process::Command::new("sync").status()?;
    ensure!(status.success(), "sync(1) failed: {status}");
    Ok(())
}

/// The node configurations each round runs: the two sync policies with the default store
/// tuning, then `fsync` with direct-I/O flushes and a 1 GiB blob cache (`StoreTuning`).
const NODES: [(&str, &str, &[&str]); 3] = [
    ("basalt-node, sync = fsync", "fsync", &[]),
    ("basalt-node, sync = wal", "wal", &[]),
    (
        "node, fsync, direct + cache",
        "fsync",
        &[
            "--direct-io-flush",
            "true",
            "--blob-cache-bytes",
            "1073741824",
        ],
    ),
];

fn start_node(
    dir: &std::path::Path,
    sync: &str,
    tuning: &[&str],
) -> Result<(std::process::Child, String)> {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_basalt-node"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--sync",
            sync,
            "--gc-interval-secs",
            "0",
        ])
        .args([
            "--rate-limit-per-second",
            "100000",
            "--rpc-url",
            "http://127.0.0.1:9",
        ])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--keypair")
        .arg(dir.join("id.json"))
        .args(tuning)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut line)?;
    let addr = line
        .split_whitespace()
        .nth(3)
        .context("listening line")?
        .to_string();
    Ok((child, format!("http://{addr}")))
}

/// Per-line ratios to the same round's sink, in percent, across rounds.
#[derive(Default)]
struct Ratios(Vec<(String, Vec<f64>, Vec<f64>)>);

impl Ratios {
    /// Prints one line of a round and records its ratios (`get` is absent for the disk).
    fn line(&mut self, label: &str, put: f64, get: Option<f64>, sink: (f64, f64), note: &str) {
        let (put_pct, get_pct) = (100.0 * put / sink.0, get.map(|g| 100.0 * g / sink.1));
        let get_text = match (get, get_pct) {
            (Some(g), Some(pct)) => format!("   get {g:>8.0} MB/s ({pct:>3.0} %)"),
            _ => String::new(),
        };
        println!("{label:<28} put {put:>8.0} MB/s ({put_pct:>3.0} %){get_text}{note}");
        let entry = match self.0.iter().position(|(l, _, _)| l == label) {
            Some(i) => &mut self.0[i],
            None => {
                self.0.push((label.to_string(), Vec::new(), Vec::new()));
                self.0.last_mut().expect("just pushed")
            }
        };
        entry.1.push(put_pct);
        entry.2.extend(get_pct);
    }

    /// Prints each line's median and range over the rounds.
    fn summary(&self, rounds: usize) {
        fn stats(v: &[f64]) -> String {
            if v.is_empty() {
                return String::new();
            }
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            let mid = v.len() / 2;
            let median = if v.len().is_multiple_of(2) {
                (v[mid - 1] + v[mid]) / 2.0
            } else {
                v[mid]
            };
            format!("{median:>3.0} % ({:.0}-{:.0})", v[0], v[v.len() - 1])
        }
        println!("median over {rounds} rounds, % of the same round's sink (range):");
        for (label, put, get) in &self.0 {
            let get = if get.is_empty() {
                String::new()
            } else {
                format!("   get {}", stats(get))
            };
            println!("{label:<28} put {}{get}", stats(put));
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let count: usize = args.first().map_or(Ok(280), |a| a.parse())?;
    let concurrency: usize = args.get(1).map_or(Ok(8), |a| a.parse())?;
    // One pass moves a few hundred MB in well under a second, and this machine kind's
    // figures move by a third from one pass to the next: rounds give a median.
    let rounds: usize = args.get(2).map_or(Ok(1), |a| a.parse())?;
    let shards = shards(count)?;
    let size = shards[0].body.len();
    let total: usize = shards.iter().map(|s| s.body.len()).sum();
    println!(
        "{} shards of {} bytes ({:.0} MB), {} requests in flight, one client process, {} round(s)",
        shards.len(),
        size,
        total as f64 / 1e6,
        concurrency,
        rounds
    );
    let sink = start_sink(size).await?;
    let checking = start_checking_sink(&shards).await?;
    // Warm the connection pool and both in-process servers once.
    let warm = &shards[..concurrency.min(shards.len())];
    run(&sink, warm, concurrency, None).await?;
    run(&checking, warm, concurrency, None).await?;
    let mut ratios = Ratios::default();
    for round in 1..=rounds.max(1) {
        if rounds > 1 {
            println!("round {round}");
        }
        let Pass {
            put: sink_put,
            get: sink_get,
            ..
        } = run(&sink, &shards, concurrency, None).await?;
        println!(
            "{:<28} put {:>8.0} MB/s          get {:>8.0} MB/s",
            "trivial HTTP sink", sink_put, sink_get
        );
        let sink_mbps = (sink_put, sink_get);
        let checked = run(&checking, &shards, concurrency, None).await?;
        let label = "sink + required checks";
        ratios.line(label, checked.put, Some(checked.get), sink_mbps, "");
        let disk_dir = tempfile::tempdir()?;
        let disk = disk_write(disk_dir.path(), &shards, concurrency)?;
        drop(disk_dir);
        let note = format!("   (same bytes to one file, fdatasync every {concurrency} shards)");
        ratios.line("disk", disk, None, sink_mbps, &note);
        for (label, sync, tuning) in NODES {
            write_back_dirty_pages()?;
            let dir = tempfile::tempdir()?;
            let (mut child, url) = start_node(dir.path(), sync, tuning)?;
            let result = run(&url, &shards, concurrency, Some(child.id())).await;
            let split = latency_split(&url).await;
            let _ = child.kill();
            let _ = child.wait();
            let pass = result?;
            ratios.line(label, pass.put, Some(pass.get), sink_mbps, "");
            println!("{:<28} {}", "", split?);
            if let Some((put_cpu, get_cpu)) = pass.cpu_per_gb {
                println!(
                    "{:<28} node CPU per GB: put {put_cpu:.2} s, get {get_cpu:.2} s",
                    ""
                );
            }
        }
    }
    if rounds > 1 {
        ratios.summary(rounds);
    }
    Ok(())
}
