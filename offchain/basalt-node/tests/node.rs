//! Storage-node behaviour against real `basalt-node` processes on loopback.

use crate::common;

use std::io::{Read, Write};

use anyhow::{ensure, Result};
use basalt_core::wire::{ErrorAnswer, LeafProofAnswer, PutShardAnswer};
use basalt_core::{Receipt, HEADER_LEN};
use common::{Client, NodeProcess, TestBlob};
use reqwest::StatusCode;

async fn put_all(client: &Client, node: &NodeProcess, blob: &TestBlob) -> Result<Vec<Receipt>> {
    let mut receipts = Vec::new();
    for (header, body) in &blob.shards {
        let resp = client
            .send(
                node,
                "PUT",
                &blob.path(header.chunk, header.shard),
                body.clone(),
            )
            .await?;
        ensure!(
            resp.status() == StatusCode::CREATED,
            "put: {}",
            resp.text().await?
        );
        let answer: PutShardAnswer = resp.json().await?;
        let receipt = answer.receipt()?;
        receipt.verify(header)?;
        ensure!(
            receipt.node.to_string() == node.address,
            "receipt from another key"
        );
        receipts.push(receipt);
    }
    Ok(receipts)
}

async fn error_code(resp: reqwest::Response) -> Result<(StatusCode, String)> {
    let status = resp.status();
    let answer: ErrorAnswer = resp.json().await?;
    Ok((status, answer.error))
}

#[tokio::test]
async fn round_trip_range_head_and_idempotent_put() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let node = NodeProcess::start(dir.path(), &[])?;
    let client = Client::new();
    let blob = TestBlob::random(300_000, 128 << 10, 4, 2)?;
    put_all(&client, &node, &blob).await?;

    client.expect_served(&node, &blob.shards).await?;

    let (header, body) = &blob.shards[1];
    let path = blob.path(header.chunk, header.shard);
    let auth = client.auth("GET", &path, b"");
    let ranged = client
        .send_with(
            &node,
            "GET",
            &path,
            vec![],
            &auth,
            &[("range", "bytes=10-19")],
        )
        .await?;
    ensure!(ranged.status() == StatusCode::PARTIAL_CONTENT);
    ensure!(ranged.bytes().await?.as_ref() == &body[HEADER_LEN + 10..HEADER_LEN + 20]);

    let head = client.send(&node, "HEAD", &path, vec![]).await?;
    ensure!(head.status() == StatusCode::OK);
    ensure!(head.headers()["content-length"] == body.len().to_string().as_str());

    let again = client.send(&node, "PUT", &path, body.clone()).await?;
    ensure!(
        again.status() == StatusCode::OK,
        "a repeated put is idempotent"
    );

    // Whether the uploader may still delete depends on the blob being unregistered, which
    // only the chain can say; with no chain reachable the node keeps the shard.
    let refused = client.send(&node, "DELETE", &path, vec![]).await?;
    ensure!(
        error_code(refused).await? == (StatusCode::SERVICE_UNAVAILABLE, "chain_unavailable".into())
    );
    let kept = client.send(&node, "GET", &path, vec![]).await?;
    ensure!(kept.status() == StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn concurrent_puts_all_land() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut node = NodeProcess::start(dir.path(), &["--rate-limit-per-second", "10000"])?;
    let client = Client::new();
    let blobs: Vec<TestBlob> = (0..6)
        .map(|_| TestBlob::random(200_000, 64 << 10, 10, 4))
        .collect::<Result<_>>()?;
    let puts = blobs.iter().map(|b| put_all(&client, &node, b));
    for r in futures::future::join_all(puts).await {
        r?;
    }
    let json = client.stats(&node).await?;
    let expected: usize = blobs.iter().map(|b| b.shards.len()).sum();
    ensure!(json.shards == expected as u64, "stats: {json:?}");
    for blob in &blobs {
        client.expect_served(&node, &blob.shards).await?;
    }
    // Concurrent puts share WAL syncs (the store writes unsynced, then syncs): each one
    // acknowledged is still there after a crash.
    node.kill()?;
    node.restart()?;
    for blob in &blobs {
        client.expect_served(&node, &blob.shards).await?;
    }
    Ok(())
}

#[tokio::test]
async fn restart_and_crash_keep_every_acknowledged_shard() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut node = NodeProcess::start(dir.path(), &[])?;
    let client = Client::new();
    let first = TestBlob::random(100_000, 64 << 10, 4, 2)?;
    put_all(&client, &node, &first).await?;
    let status = node.stop()?;
    ensure!(status.success(), "SIGTERM exit: {status}");
    node.restart()?;

    let second = TestBlob::random(100_000, 64 << 10, 4, 2)?;
    put_all(&client, &node, &second).await?;
    node.kill()?; // no flush, no clean shutdown: only the fsynced WAL survives
    node.restart()?;
    for blob in [&first, &second] {
        client.expect_served(&node, &blob.shards).await?;
    }
    Ok(())
}

#[tokio::test]
async fn forged_expired_replayed_and_unsigned_requests_are_refused() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let node = NodeProcess::start(dir.path(), &["--signature-window-secs", "5"])?;
    let client = Client::new();
    let blob = TestBlob::random(10_000, 64 << 10, 2, 1)?;
    let (h, body) = &blob.shards[0];
    let path = blob.path(h.chunk, h.shard);

    let mut forged = client.auth("PUT", &path, body);
    forged.signature[10] ^= 1;
    let r = client
        .send_with(&node, "PUT", &path, body.clone(), &forged, &[])
        .await?;
    ensure!(error_code(r).await? == (StatusCode::UNAUTHORIZED, "bad_signature".into()));

    // Signed for one body, sent with another.
    let other = client.auth("PUT", &path, b"something else");
    let r = client
        .send_with(&node, "PUT", &path, body.clone(), &other, &[])
        .await?;
    ensure!(error_code(r).await? == (StatusCode::UNAUTHORIZED, "bad_signature".into()));

    let mut stale = client.auth("PUT", &path, body);
    stale.timestamp_ms -= 60_000;
    let resigned = basalt_core::RequestAuth::sign(
        &client.key,
        "PUT",
        &path,
        blake3::hash(body).as_bytes(),
        stale.timestamp_ms,
        stale.nonce,
    );
    let r = client
        .send_with(&node, "PUT", &path, body.clone(), &resigned, &[])
        .await?;
    ensure!(error_code(r).await? == (StatusCode::UNAUTHORIZED, "expired".into()));

    let good = client.auth("PUT", &path, body);
    let r = client
        .send_with(&node, "PUT", &path, body.clone(), &good, &[])
        .await?;
    ensure!(r.status() == StatusCode::CREATED);
    let r = client
        .send_with(&node, "PUT", &path, body.clone(), &good, &[])
        .await?;
    ensure!(error_code(r).await? == (StatusCode::UNAUTHORIZED, "replayed".into()));

    let r = client
        .http
        .get(format!("{}{path}", node.url()))
        .send()
        .await?;
    ensure!(error_code(r).await? == (StatusCode::UNAUTHORIZED, "unauthenticated".into()));

    // Nothing above reached the store except the one good put.
    let stats = client.stats(&node).await?;
    ensure!(stats.shards == 1, "{stats:?}");
    let metrics = client.metrics(&node).await?;
    ensure!(
        metrics.contains("basalt_node_refusals_total{reason=\"replayed\"} 1"),
        "{metrics}"
    );
    // The latency histograms saw every put request, and one store call.
    ensure!(
        metrics.contains("basalt_node_store_seconds_count{op=\"put\"} 1\n"),
        "{metrics}"
    );
    ensure!(
        metrics.contains("basalt_node_request_seconds_count{op=\"put\"} "),
        "{metrics}"
    );
    Ok(())
}

#[tokio::test]
async fn another_key_is_not_served_without_the_chain_saying_so() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let node = NodeProcess::start(dir.path(), &[])?;
    let owner = Client::new();
    let stranger = Client::new();
    let blob = TestBlob::random(10_000, 64 << 10, 2, 1)?;
    put_all(&owner, &node, &blob).await?;
    let path = blob.path(0, 0);
    // The chain cannot be reached: the node refuses rather than guessing.
    let r = stranger.send(&node, "GET", &path, vec![]).await?;
    ensure!(error_code(r).await? == (StatusCode::SERVICE_UNAVAILABLE, "chain_unavailable".into()));
    let r = stranger.send(&node, "DELETE", &path, vec![]).await?;
    ensure!(r.status() == StatusCode::SERVICE_UNAVAILABLE);
    let r = owner.send(&node, "GET", &path, vec![]).await?;
    ensure!(
        r.status() == StatusCode::OK,
        "the uploader still reads its own shard"
    );
    Ok(())
}

/// Flips one byte inside every on-disk copy of `needle` under `dir`. Returns how many.
fn flip_on_disk(dir: &std::path::Path, needle: &[u8]) -> Result<usize> {
    let mut flipped = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.is_file() {
            continue;
        }
        let mut bytes = Vec::new();
        std::fs::File::open(&path)?.read_to_end(&mut bytes)?;
        let mut changed = false;
        let mut at = 0;
        while let Some(pos) = bytes[at..].windows(needle.len()).position(|w| w == needle) {
            bytes[at + pos + needle.len() / 2] ^= 0x40;
            at += pos + needle.len();
            changed = true;
            flipped += 1;
        }
        if changed {
            std::fs::File::create(&path)?.write_all(&bytes)?;
        }
    }
    Ok(flipped)
}

#[tokio::test]
async fn corrupted_bytes_on_disk_are_detected_and_never_served() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut node = NodeProcess::start(dir.path(), &[])?;
    let client = Client::new();
    let blob = TestBlob::random(200_000, 128 << 10, 4, 2)?;
    put_all(&client, &node, &blob).await?;
    node.stop()?; // flushes memtables: the shards now sit in RocksDB's files

    let (victim_header, victim) = &blob.shards[2];
    let needle = &victim[HEADER_LEN + 1000..HEADER_LEN + 1064];
    let flipped = flip_on_disk(&dir.path().join("data"), needle)?;
    ensure!(flipped >= 1, "the shard's bytes were not found on disk");
    node.restart()?;

    let path = blob.path(victim_header.chunk, victim_header.shard);
    let r = client.send(&node, "GET", &path, vec![]).await?;
    ensure!(error_code(r).await? == (StatusCode::INTERNAL_SERVER_ERROR, "corrupt".into()));
    let auth = client.auth("GET", &path, b"");
    let r = client
        .send_with(
            &node,
            "GET",
            &path,
            vec![],
            &auth,
            &[("range", "bytes=0-9")],
        )
        .await?;
    ensure!(
        r.status() == StatusCode::INTERNAL_SERVER_ERROR,
        "not even a range of it is served"
    );

    let healthy = blob.shards.iter().filter(|(h, _)| h != victim_header);
    client.expect_served(&node, healthy).await?;
    let stats = client.stats(&node).await?;
    ensure!(stats.marked_for_repair == 1, "{stats:?}");
    let metrics = client.metrics(&node).await?;
    ensure!(
        metrics.contains("basalt_node_corrupt_shards_total 2"),
        "{metrics}"
    );

    // A fresh upload of the same shard heals it.
    let r = client.send(&node, "PUT", &path, victim.clone()).await?;
    ensure!(r.status().is_success(), "{}", r.text().await?);
    let got = client.send(&node, "GET", &path, vec![]).await?;
    ensure!(got.bytes().await?.as_ref() == victim.as_slice());
    Ok(())
}

#[tokio::test]
async fn a_full_node_says_so_and_keeps_what_it_has() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let blob = TestBlob::random(200_000, 64 << 10, 4, 2)?;
    let shard_len = blob.shards[0].0.shard_len() as u64;
    let capacity = (shard_len * 5).to_string();
    let node = NodeProcess::start(dir.path(), &["--capacity", &capacity])?;
    let client = Client::new();
    let mut stored = 0;
    for (h, body) in &blob.shards {
        let r = client
            .send(&node, "PUT", &blob.path(h.chunk, h.shard), body.clone())
            .await?;
        if r.status() == StatusCode::CREATED {
            stored += 1;
        } else {
            ensure!(error_code(r).await? == (StatusCode::INSUFFICIENT_STORAGE, "full".into()));
        }
    }
    ensure!(stored == 5, "stored {stored}");
    client.expect_served(&node, &blob.shards[..5]).await?;
    Ok(())
}

/// Issue 41: a node states its terms on its stats route and stores no shard of a blob
/// larger than it signs for, saying why; what it already holds stays.
#[tokio::test]
async fn a_blob_beyond_the_nodes_terms_is_refused_and_its_terms_are_published() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let node = NodeProcess::start(
        dir.path(),
        &[
            "--max-blob-bytes",
            "100000",
            "--min-price-per-shard-epoch",
            "7",
        ],
    )?;
    let client = Client::new();
    let stats = client.stats(&node).await?;
    ensure!(
        (
            stats.terms.max_blob_bytes,
            stats.terms.min_price_per_shard_epoch
        ) == (100_000, 7),
        "{stats:?}"
    );
    let small = TestBlob::random(50_000, 64 << 10, 4, 2)?;
    let (h, body) = &small.shards[0];
    let r = client
        .send(&node, "PUT", &small.path(h.chunk, h.shard), body.clone())
        .await?;
    ensure!(r.status() == StatusCode::CREATED, "{}", r.status());
    let large = TestBlob::random(200_000, 64 << 10, 4, 2)?;
    let (h, body) = &large.shards[0];
    let r = client
        .send(&node, "PUT", &large.path(h.chunk, h.shard), body.clone())
        .await?;
    ensure!(error_code(r).await? == (StatusCode::PAYLOAD_TOO_LARGE, "blob_too_large".into()));
    client.expect_served(&node, &small.shards[..1]).await?;
    ensure!(
        client.stats(&node).await?.shards == 1,
        "nothing of the large blob stored"
    );
    Ok(())
}

#[tokio::test]
async fn malformed_truncated_and_oversized_uploads_store_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let node = NodeProcess::start(dir.path(), &["--max-shard-bytes", "100000"])?;
    let client = Client::new();
    let blob = TestBlob::random(30_000, 64 << 10, 2, 1)?;
    let (h, body) = &blob.shards[0];
    let path = blob.path(h.chunk, h.shard);

    let mut garbage = body.clone();
    garbage[0] = b'X';
    let r = client.send(&node, "PUT", &path, garbage).await?;
    ensure!(error_code(r).await? == (StatusCode::BAD_REQUEST, "bad_header".into()));

    let r = client
        .send(&node, "PUT", &blob.path(0, 1), body.clone())
        .await?;
    ensure!(error_code(r).await? == (StatusCode::BAD_REQUEST, "header_mismatch".into()));

    let mut flipped = body.clone();
    flipped[HEADER_LEN + 5] ^= 1;
    let r = client.send(&node, "PUT", &path, flipped).await?;
    ensure!(error_code(r).await? == (StatusCode::UNPROCESSABLE_ENTITY, "invalid_shard".into()));

    let r = client
        .send(&node, "PUT", &path, body[..HEADER_LEN + 10].to_vec())
        .await?;
    ensure!(error_code(r).await? == (StatusCode::UNPROCESSABLE_ENTITY, "invalid_shard".into()));

    let big = TestBlob::random(1_000_000, 1 << 20, 2, 1)?;
    let (bh, bbody) = &big.shards[0];
    // The node answers 413 without reading the rest; the client may see that answer or,
    // if it was still sending, a reset connection. Either way nothing is stored.
    // A separate connection pool: the refused connection must not be reused below.
    let sender = Client::with_key(client.key.clone());
    match sender
        .send(&node, "PUT", &big.path(bh.chunk, bh.shard), bbody.clone())
        .await
    {
        Ok(r) => ensure!(
            r.status() == StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            r.status()
        ),
        Err(e) => ensure!(format!("{e:#}").contains("error sending request"), "{e:#}"),
    }

    // A client that dies mid-upload: Content-Length promises the whole body, half arrives.
    let auth = client.auth("PUT", &path, body);
    let mut stream = common::start_raw_put(&node, &path, &auth, body)?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    drop(stream);

    let stats = client.stats(&node).await?;
    ensure!(stats.shards == 0, "nothing may be stored: {stats:?}");
    let r = client.send(&node, "HEAD", &path, vec![]).await?;
    ensure!(r.status() != StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn each_key_has_its_own_rate_limit() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let node = NodeProcess::start(dir.path(), &["--rate-limit-per-second", "5"])?;
    let greedy = Client::new();
    let mut limited = 0;
    for _ in 0..20 {
        let r = greedy.send(&node, "GET", "/v1/stats", vec![]).await?;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        } else {
            ensure!(r.status() == StatusCode::OK);
        }
    }
    ensure!(limited >= 10, "only {limited} of 20 requests were limited");
    let polite = Client::new();
    let r = polite.send(&node, "GET", "/v1/stats", vec![]).await?;
    ensure!(r.status() == StatusCode::OK, "another key is not affected");
    Ok(())
}

#[tokio::test]
async fn shutdown_finishes_an_upload_in_flight() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut node = NodeProcess::start(dir.path(), &[])?;
    let client = Client::new();
    let blob = TestBlob::random(100_000, 128 << 10, 2, 1)?;
    let (h, body) = &blob.shards[0];
    let path = blob.path(h.chunk, h.shard);
    let auth = client.auth("PUT", &path, body);
    let mut stream = common::start_raw_put(&node, &path, &auth, body)?;
    std::thread::sleep(std::time::Duration::from_millis(200));
    node.terminate()?; // mid-upload
    std::thread::sleep(std::time::Duration::from_millis(200));
    stream.write_all(&body[body.len() / 2..])?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    ensure!(
        reply.starts_with("HTTP/1.1 201"),
        "in-flight upload answered: {reply}"
    );
    let status = node.stop_wait()?;
    ensure!(status.success(), "exit: {status}");

    node.restart()?;
    let got = client.send(&node, "GET", &path, vec![]).await?;
    ensure!(
        got.bytes().await?.as_ref() == body.as_slice(),
        "the acknowledged shard survived"
    );
    Ok(())
}

#[tokio::test]
async fn manifests_are_checked_against_the_shards_held_and_served_to_readers() -> Result<()> {
    use basalt_core::StoredManifest;
    let dir = tempfile::tempdir()?;
    let node = NodeProcess::start(dir.path(), &[])?;
    let client = Client::new();
    let blob = TestBlob::random(300_000, 128 << 10, 4, 2)?;
    put_all(&client, &node, &blob).await?;
    let path = basalt_core::wire::manifest_path(&blob.id);
    let stored = StoredManifest {
        blob: blob.id,
        manifest: blob.manifest.clone(),
        owner_key: Vec::new(),
    };
    let bytes = stored.encode();

    // Malformed, for another blob, or contradicting a held shard: refused, nothing stored.
    let bad = client
        .send(&node, "PUT", &path, b"not a manifest".to_vec())
        .await?;
    ensure!(
        error_code(bad).await? == (StatusCode::UNPROCESSABLE_ENTITY, "invalid_manifest".into())
    );
    let other = TestBlob::random(1_000, 128 << 10, 4, 2)?;
    let foreign = StoredManifest {
        blob: other.id,
        manifest: other.manifest.clone(),
        owner_key: Vec::new(),
    };
    let wrong_blob = client.send(&node, "PUT", &path, foreign.encode()).await?;
    ensure!(wrong_blob.status() == StatusCode::UNPROCESSABLE_ENTITY);
    let mut roots = bytes.clone();
    let last = roots.len() - 1;
    roots[last] ^= 1; // the last shard root no longer matches the shard held here
    let contradicting = client.send(&node, "PUT", &path, roots).await?;
    ensure!(contradicting.status() == StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing stored, so nothing shows this key uploaded it: the chain would have to say,
    // and it cannot be reached.
    let missing = client.send(&node, "GET", &path, vec![]).await?;
    ensure!(
        missing.status() == StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        missing.status()
    );

    let first = client.send(&node, "PUT", &path, bytes.clone()).await?;
    ensure!(
        first.status() == StatusCode::CREATED,
        "{}",
        first.text().await?
    );
    let again = client.send(&node, "PUT", &path, bytes.clone()).await?;
    ensure!(again.status() == StatusCode::OK, "a second put is a no-op");
    let got = client.send(&node, "GET", &path, vec![]).await?;
    ensure!(got.status() == StatusCode::OK);
    ensure!(got.bytes().await?.as_ref() == bytes.as_slice());

    // Another key is not the uploader and the chain cannot be asked: never an allow.
    let stranger = Client::new();
    let refused = stranger.send(&node, "GET", &path, vec![]).await?;
    ensure!(
        refused.status() == StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        refused.status()
    );
    Ok(())
}

#[tokio::test]
async fn leaf_proofs_over_http_verify_against_the_column_root() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let node = NodeProcess::start(dir.path(), &[])?;
    let client = Client::new();
    let blob = TestBlob::random(300_000, 128 << 10, 4, 2)?;
    put_all(&client, &node, &blob).await?;
    let layout = *blob.manifest.layout();
    let (chunk, shard, leaf) = (layout.chunk_count() - 1, 5u16, 1u32);
    let path = basalt_core::wire::leaf_proof_path(&blob.id, chunk, shard, leaf);
    let resp = client.send(&node, "GET", &path, vec![]).await?;
    ensure!(resp.status() == StatusCode::OK, "{}", resp.text().await?);
    let answer: LeafProofAnswer = resp.json().await?;
    let hex = data_encoding::HEXLOWER;
    let column_root = blob.manifest.commitment.column_roots()[usize::from(shard)];
    ensure!(answer.column_root == hex.encode(&column_root));
    let proof_path = answer
        .path
        .iter()
        .map(|h| {
            let bytes = hex.decode(h.as_bytes())?;
            <[u8; 32]>::try_from(bytes).map_err(|_| anyhow::anyhow!("not 32 bytes"))
        })
        .collect::<Result<Vec<[u8; 32]>>>()?;
    basalt_core::proof::verify_storage_proof(
        &layout,
        &column_root,
        answer.chunk,
        answer.leaf_index,
        &hex.decode(answer.leaf.as_bytes())?,
        &proof_path,
    )?;

    let beyond = basalt_core::wire::leaf_proof_path(&blob.id, chunk, shard, 1 << 20);
    let resp = client.send(&node, "GET", &beyond, vec![]).await?;
    ensure!(error_code(resp).await? == (StatusCode::NOT_FOUND, "out_of_range".to_string()));
    Ok(())
}
