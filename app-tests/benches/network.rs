//! Put and get of one file (1 GiB by default, `BENCH_SIZE_MIB`) through a local network of
//! 14 storage nodes, next to the raw loopback throughput of the same shard bytes to a
//! trivial HTTP sink measured in the same run; the chain confirmation of the registration
//! is reported on its own, next to the wait for the holders' acceptances that follows it.
//!
//! `cargo bench -p basalt-app-tests --bench network` (env: BENCH_SIZE_MIB,
//! BENCH_PUT_CONCURRENCY, BENCH_GET_CHUNKS).

use std::io::Write;
use std::time::Instant;

use anyhow::{ensure, Result};
use axum::body::Bytes;
use axum::routing::put;
use axum::Router;
use basalt_app_tests::{random_bytes, SharedBuf, TestNet};
use basalt_node::metrics::latency_totals;
use basalt_sdk::{GetOptions, PutOptions};
use futures::stream::{self, StreamExt};

/// A server that accepts any PUT body and answers GET with `size` bytes.
async fn start_sink(size: usize) -> Result<String> {
    let payload = Bytes::from(vec![7u8; size]);
    let app = Router::new()
        .route(
            "/{shard}",
            put(|body: Bytes| async move { body.len().to_string() }).get(move || {
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

/// Moves `count` bodies of `shard_len` bytes to the sink and back with `concurrency`
/// requests in flight; returns (put s, get s).
async fn raw_loopback(shard_len: usize, count: usize, concurrency: usize) -> Result<(f64, f64)> {
    let url = start_sink(shard_len).await?;
    let http = reqwest::Client::new();
    let body = Bytes::from(vec![1u8; shard_len]);
    let start = Instant::now();
    let puts: Vec<_> = stream::iter(0..count)
        .map(|i| http.put(format!("{url}/{i}")).body(body.clone()).send())
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let put_s = start.elapsed().as_secs_f64();
    for r in puts {
        ensure!(r?.status().is_success());
    }
    let start = Instant::now();
    let gets: Vec<Result<usize>> = stream::iter(0..count)
        .map(|i| {
            let req = http.get(format!("{url}/{i}"));
            async move { Ok(req.send().await?.bytes().await?.len()) }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let get_s = start.elapsed().as_secs_f64();
    let got: usize = gets.into_iter().sum::<Result<usize>>()?;
    ensure!(got == shard_len * count);
    Ok((put_s, get_s))
}

/// The nodes' own view of the run, from their `/metrics`: mean handler time and store
/// time per put and per get across every node, in milliseconds.
async fn node_latency(urls: &[String]) -> Result<String> {
    let http = reqwest::Client::new();
    let mut totals = [[(0.0f64, 0u64); 2]; 2]; // [put, get] x [request, store]: (sum s, count)
    for url in urls {
        let text = http
            .get(format!("{url}/metrics"))
            .send()
            .await?
            .text()
            .await?;
        for (o, op) in ["put", "get"].into_iter().enumerate() {
            for (h, name) in ["request_seconds", "store_seconds"].into_iter().enumerate() {
                if let Some((sum, count)) = latency_totals(&text, name, op) {
                    totals[o][h].0 += sum;
                    totals[o][h].1 += count;
                }
            }
        }
    }
    let ms = |(sum, count): (f64, u64)| 1e3 * sum / count.max(1) as f64;
    Ok(format!(
        "node side, mean per request: put {:.2} ms ({:.2} ms in the store), get {:.2} ms ({:.2} ms in the store)",
        ms(totals[0][0]),
        ms(totals[0][1]),
        ms(totals[1][0]),
        ms(totals[1][1])
    ))
}

#[tokio::main]
async fn main() -> Result<()> {
    let mib = basalt_app_tests::bench_size_mib(1024, 8);
    println!(
        "put concurrency {} (BENCH_PUT_CONCURRENCY), get chunks in flight {} (BENCH_GET_CHUNKS)",
        std::env::var("BENCH_PUT_CONCURRENCY").unwrap_or_else(|_| "default".into()),
        std::env::var("BENCH_GET_CHUNKS").unwrap_or_else(|_| "default".into())
    );
    let size = mib << 20;
    let t = TestNet::start(14, 1).await?;
    let wallet = t.wallets[0].insecure_clone();
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let options = PutOptions {
        concurrency: env("BENCH_PUT_CONCURRENCY", PutOptions::default().concurrency),
        ..t.put_options()
    };
    let get_options = GetOptions {
        parallel_chunks: env("BENCH_GET_CHUNKS", GetOptions::default().parallel_chunks),
        ..GetOptions::default()
    };
    let data = random_bytes(size);

    // Start from no dirty pages in the OS cache, so that an earlier run's unwritten pages do
    // not throttle this one's writes to the disk's speed.
    let synced = std::process::Command::new("sync").status()?;
    ensure!(synced.success(), "sync(1) failed: {synced}");
    let put = t.put(&wallet, data.clone(), &options).await?;
    let out = SharedBuf::default();
    let get = basalt_sdk::get(
        &t.net.client(),
        &wallet,
        &put.id,
        out.clone(),
        &get_options,
        |_| {},
    )
    .await?;
    ensure!(out.take() == data, "the file read back differs");
    let node_urls: Vec<String> = t.net.info.nodes.iter().map(|n| n.url.clone()).collect();
    let node_side = node_latency(&node_urls).await?;

    // The same shard bytes (k + m shards of every chunk) over raw loopback HTTP.
    let n = put.providers.len();
    let chunks = size.div_ceil(options.chunk_size as usize).max(1);
    let shard_len = (put.shard_bytes as usize / (chunks * n)).max(1);
    let (raw_put_s, raw_get_s) = raw_loopback(shard_len, chunks * n, options.concurrency).await?;
    // A get moves k of the k + m shards.
    let k = n - 4;
    let raw_get_s = raw_get_s * k as f64 / n as f64;

    let mb = size as f64 / 1e6;
    let put_s = put.upload.as_secs_f64();
    let get_s = get.elapsed.as_secs_f64();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "file {mib} MiB through {n} local nodes; shard bytes {:.1} MB",
        put.shard_bytes as f64 / 1e6
    )?;
    writeln!(out, "{:<28}{:>12}{:>12}", "", "put MB/s", "get MB/s")?;
    writeln!(
        out,
        "{:<28}{:>12.1}{:>12.1}",
        "raw loopback (same bytes)",
        mb / raw_put_s,
        mb / raw_get_s
    )?;
    writeln!(
        out,
        "{:<28}{:>12.1}{:>12.1}",
        "basalt",
        mb / put_s,
        mb / get_s
    )?;
    writeln!(
        out,
        "{:<28}{:>11.0}%{:>11.0}%",
        "basalt / raw",
        100.0 * raw_put_s / put_s,
        100.0 * raw_get_s / get_s
    )?;
    writeln!(
        out,
        "chain confirmation of the registration: {} ms",
        put.confirm.as_millis()
    )?;
    // The holders' nodes accept after they see the registration; a put that waits for them
    // should take about one more confirmation (theirs), measured here beside the
    // registration's own.
    writeln!(
        out,
        "holders' acceptances after it: {} ms ({} of {n} accepted) = {:.2}x the registration's confirmation",
        put.acceptance.as_millis(),
        put.accepted,
        put.acceptance.as_secs_f64() / put.confirm.as_secs_f64().max(1e-3)
    )?;
    writeln!(out, "{node_side}")?;
    writeln!(
        out,
        "targets on 2 cores: put >= 250 MB/s, get >= 400 MB/s (file bytes)"
    )?;
    Ok(())
}
