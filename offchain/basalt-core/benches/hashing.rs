//! Per-core throughput of the hashes and ciphers on the put path: BLAKE3 (CIDs), SHA-256
//! (sha2 with its run-time SHA-NI detection), shard Merkle roots at each leaf size (batched
//! through tape-sha256, as `shard_root` builds them, against leaf by leaf through sha2, as the
//! on-chain builder does), and the AEADs (AES-256-GCM through ring, chosen, against
//! RustCrypto's aes-gcm and XChaCha20-Poly1305).

mod support;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use basalt_core::encryption::TAG_LEN;
use basalt_core::proof::hash_leaf;
use basalt_core::proof::merkle::MerkleRootBuilder;
use basalt_core::{shard_root, DataKey};
use chacha20poly1305::XChaCha20Poly1305;
use criterion::{black_box, criterion_group, Criterion, Throughput};
use sha2::{Digest, Sha256};
use support::{side_by_side, Contender};

const LEN: usize = 4 << 20;

fn ratio_tables() {
    let data = support::bytes(LEN, 1);
    let hashes = vec![
        Contender::new("BLAKE3 (one thread)", || {
            black_box(blake3::hash(&data));
        }),
        Contender::new("SHA-256 (sha2, SHA-NI)", || {
            black_box(Sha256::digest(&data));
        }),
    ];
    side_by_side("hashes, 4 MiB input", LEN as u64, hashes);

    for leaf in [64usize, 256, 1024, 4096] {
        let data = &data;
        let merkle = vec![
            Contender::new("batched, tape-sha256 (shard_root)", move || {
                black_box(shard_root(data, leaf));
            }),
            Contender::new("leaf by leaf, sha2 (on-chain builder)", move || {
                let mut builder = MerkleRootBuilder::new();
                for l in data.chunks_exact(leaf) {
                    builder.push(hash_leaf(l));
                }
                black_box(builder.finish());
            }),
        ];
        side_by_side(
            &format!(
                "shard Merkle root, {leaf}-byte leaves, 4 MiB input ({})",
                tape_sha256::backend()
            ),
            LEN as u64,
            merkle,
        );
    }

    let mut chunk = data.clone();
    chunk.extend_from_slice(&[0; TAG_LEN]);
    let mut a = data.clone();
    let mut b = data.clone();
    let cipher = DataKey::generate().cipher();
    let aes = aes_gcm::Aes256Gcm::new(&[7u8; 32].into());
    let xchacha = XChaCha20Poly1305::new(&[7u8; 32].into());
    let aeads = vec![
        Contender::new("AES-256-GCM, ring (chosen: ChunkCipher)", move || {
            cipher.seal_in_place(0, false, &mut chunk).unwrap();
        }),
        Contender::new("AES-256-GCM, RustCrypto aes-gcm", move || {
            black_box(
                aes.encrypt_in_place_detached(&[0u8; 12].into(), b"ad", &mut a)
                    .unwrap(),
            );
        }),
        Contender::new("XChaCha20-Poly1305, RustCrypto", move || {
            black_box(
                xchacha
                    .encrypt_in_place_detached(&[0u8; 24].into(), b"ad", &mut b)
                    .unwrap(),
            );
        }),
    ];
    side_by_side("AEAD seal, 4 MiB chunk", LEN as u64, aeads);
}

fn criterion_hashes(c: &mut Criterion) {
    let data = support::bytes(LEN, 1);
    let mut group = c.benchmark_group("hashes");
    group
        .sample_size(10)
        .throughput(Throughput::Bytes(LEN as u64));
    group.bench_function("blake3", |b| b.iter(|| blake3::hash(&data)));
    group.bench_function("sha256", |b| b.iter(|| Sha256::digest(&data)));
    group.bench_function("merkle_64", |b| b.iter(|| shard_root(&data, 64)));
    group.finish();
}

criterion_group!(benches, criterion_hashes);

fn main() {
    if !support::quick() {
        benches();
    }
    ratio_tables();
}
