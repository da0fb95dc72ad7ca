//! The whole in-memory put pipeline (encrypt + Reed-Solomon + Merkle + CID) on one core,
//! next to each of its stages alone on the same bytes, so the pipeline can be read as a
//! fraction of its slowest stage. Target: >= 1 GiB/s.

mod support;

use basalt_core::proof::layout::{DEFAULT_CHUNK_SIZE, DEFAULT_K, DEFAULT_M};
use basalt_core::{encode_blob, shard_root, BlobLayout, DataKey, ErasureCodec};
use criterion::{black_box, criterion_group, Criterion, Throughput};
use support::{side_by_side, Contender};

fn ratio_tables(size: usize) {
    let data = support::bytes(size, 3);
    let key = DataKey::generate();
    let layout = BlobLayout::with_defaults(size as u64).unwrap();
    let (k, m, chunk) = (DEFAULT_K, DEFAULT_M, DEFAULT_CHUNK_SIZE as usize);
    let shard_len = layout.shard_len(0) as usize;
    let n = usize::from(k + m);
    let leaf = layout.leaf_size() as usize;
    println!(
        "\nput pipeline: {} MiB blob, RS({k},{m}), {} MiB chunks, {leaf}-byte leaves",
        size >> 20,
        chunk >> 20
    );

    let cipher = key.cipher();
    let mut sealed = data.clone();
    let mut codec = ErasureCodec::new(k, m).unwrap();
    let mut shards = vec![0u8; n * shard_len];
    let coded = {
        let mut buf = vec![0u8; n * shard_len];
        buf[..chunk].copy_from_slice(&data[..chunk]);
        codec.encode(&mut buf, shard_len).unwrap();
        buf
    };
    let chunks = size / chunk;
    let contenders = vec![
        Contender::new("whole pipeline (encode_blob)", || {
            let manifest = encode_blob(&data, DEFAULT_CHUNK_SIZE, k, m, Some(&key), |c| {
                black_box(c);
            })
            .unwrap();
            black_box(manifest);
        }),
        Contender::new("stage: AES-256-GCM seal", || {
            for (i, c) in sealed.chunks_mut(chunk).enumerate() {
                cipher.seal_in_place(i as u32, false, c).unwrap();
            }
        }),
        Contender::new("stage: Reed-Solomon encode", || {
            for c in data.chunks(chunk) {
                shards[..c.len()].copy_from_slice(c);
                codec.encode(&mut shards, shard_len).unwrap();
            }
        }),
        Contender::new("stage: Merkle roots of all k+m shards", || {
            for _ in 0..chunks {
                for s in coded.chunks_exact(shard_len) {
                    black_box(shard_root(s, leaf));
                }
            }
        }),
        Contender::new("stage: BLAKE3 CID", || {
            black_box(blake3::hash(&data));
        }),
    ];
    let gib = side_by_side(
        "put pipeline and its stages (GiB/s of input)",
        size as u64,
        contenders,
    );
    let slowest = gib[1..].iter().copied().fold(f64::MAX, f64::min);
    let serial = 1.0 / gib[1..].iter().map(|g| 1.0 / g).sum::<f64>();
    println!(
        "  -> pipeline = {:.2} GiB/s = {:.2}x of its slowest stage ({:.2} GiB/s); \
         stages run back to back would give {:.2} GiB/s",
        gib[0],
        gib[0] / slowest,
        slowest,
        serial
    );
}

fn criterion_pipeline(c: &mut Criterion) {
    let size = 64 << 20;
    let data = support::bytes(size, 3);
    let key = DataKey::generate();
    let mut group = c.benchmark_group("put_pipeline");
    group
        .sample_size(10)
        .throughput(Throughput::Bytes(size as u64));
    group.bench_function("encode_blob_64MiB", |b| {
        b.iter(|| {
            encode_blob(
                &data,
                DEFAULT_CHUNK_SIZE,
                DEFAULT_K,
                DEFAULT_M,
                Some(&key),
                |c| {
                    black_box(c);
                },
            )
        })
    });
    group.finish();
}

criterion_group!(benches, criterion_pipeline);

fn main() {
    if !support::quick() {
        benches();
    }
    // Leaf size follows blob size, so measure a mid-size and a large blob.
    ratio_tables(64 << 20);
    if !support::smoke() {
        ratio_tables(1 << 30);
    }
}
