//! Property tests of the put/get path: any k of k + m shards give the input back.

use crate::common;

use std::io::Read;

use basalt_core::{
    Backend, BlobReader, ChunkDecoder, ClassicKernel, DataKey, DecodeError, ErasureCodec,
    ErasureError,
};
use common::{bytes, encode_to_memory};
use proptest::prelude::*;

/// Codes the tests cover, narrow and wide, with a chunk size small enough to give many
/// chunks from a few kilobytes.
const CODES: [(u16, u16, u32); 5] = [
    (10, 4, 4096),
    (3, 2, 1000),
    (20, 10, 8192),
    (32, 32, 16384),
    (1, 1, 64),
];

fn read_all(mut reader: impl Read) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    reader.read_to_end(&mut out)?;
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any k of k + m shards decode to the original, for sizes from 0 up across several
    /// chunk boundaries, encrypted or not.
    #[test]
    fn any_k_shards_decode(
        code in 0..CODES.len(),
        chunks in 0u32..5,
        delta in -2i64..=2,
        encrypted in any::<bool>(),
        drop_seed in any::<u64>(),
    ) {
        let (k, m, chunk_size) = CODES[code];
        let size = (i64::from(chunks) * i64::from(chunk_size) + delta).max(0) as usize;
        let data = bytes(size, drop_seed);
        let key = encrypted.then(DataKey::generate);
        let (manifest, mut source) = encode_to_memory(&data, chunk_size, k, m, key.as_ref()).unwrap();

        // Knock out exactly m shards of every chunk, a different set per chunk.
        let n = usize::from(k + m);
        let mut rng = drop_seed;
        for chunk in &mut source.shards {
            let mut alive: Vec<usize> = (0..n).collect();
            for _ in 0..m {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let victim = alive.remove((rng >> 33) as usize % alive.len());
                chunk[victim] = None;
            }
        }
        let reader = BlobReader::new(&manifest, key.as_ref(), source).unwrap();
        prop_assert_eq!(read_all(reader).unwrap(), data);
    }

    /// Flipping any single bit of any shard is detected: the shard is rejected and the
    /// chunk still decodes from the others.
    #[test]
    fn any_flipped_bit_is_detected(
        code in 0..CODES.len(),
        size in 1usize..20_000,
        shard_pick in any::<u16>(),
        bit_pick in any::<u32>(),
    ) {
        let (k, m, chunk_size) = CODES[code];
        let data = bytes(size, u64::from(bit_pick));
        let (manifest, source) = encode_to_memory(&data, chunk_size, k, m, None).unwrap();
        let mut shards = source.shards[0].clone();
        let j = usize::from(shard_pick) % shards.len();
        let shard = shards[j].as_mut().unwrap();
        let bit = bit_pick as usize % (shard.len() * 8);
        shard[bit / 8] ^= 1 << (bit % 8);

        let mut decoder = ChunkDecoder::new(&manifest, None).unwrap();
        prop_assert!(!decoder.verify_shard(0, j as u16, shards[j].as_deref().unwrap()));
        let decoded = decoder.decode_chunk(0, shards).unwrap();
        prop_assert_eq!(decoded.rejected, vec![j as u16]);
        let chunk_len = manifest.layout().chunk_len(0) as usize;
        prop_assert_eq!(&decoded.data[..], &data[..chunk_len]);
    }
}

#[test]
fn fewer_than_k_shards_is_a_clear_error() {
    let data = bytes(10_000, 1);
    let (manifest, mut source) = encode_to_memory(&data, 4096, 10, 4, None).unwrap();
    for j in 0..5 {
        source.shards[1][j] = None;
    }
    source.shards[1][7].as_mut().unwrap()[0] ^= 0xff;
    let mut decoder = ChunkDecoder::new(&manifest, None).unwrap();
    let err = decoder.fetch_chunk(1, &mut source).unwrap_err();
    match err {
        DecodeError::NotEnoughShards {
            chunk,
            good,
            needed,
            rejected,
            missing,
        } => {
            assert_eq!((chunk, good, needed), (1, 8, 10));
            assert_eq!(rejected, vec![7]);
            assert_eq!(missing, vec![0, 1, 2, 3, 4]);
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn encrypted_blob_needs_the_right_key() {
    let data = bytes(9_000, 2);
    let key = DataKey::generate();
    let (manifest, source) = encode_to_memory(&data, 4096, 3, 2, Some(&key)).unwrap();
    assert!(matches!(
        ChunkDecoder::new(&manifest, None),
        Err(DecodeError::KeyRequired)
    ));
    let reader = BlobReader::new(&manifest, Some(&DataKey::generate()), source).unwrap();
    let err = read_all(reader).unwrap_err();
    assert!(err.to_string().contains("failed authentication"), "{err}");
}

#[test]
fn stored_bytes_are_ciphertext() {
    let data = vec![b'A'; 3_000];
    let key = DataKey::generate();
    let (_, source) = encode_to_memory(&data, 4096, 3, 2, Some(&key)).unwrap();
    let first_shard = source.shards[0][0].as_ref().unwrap();
    assert!(
        first_shard.windows(16).all(|w| w != [b'A'; 16]),
        "plaintext leaked into a shard"
    );
}

#[test]
fn manifest_cid_is_checked_at_the_end() {
    let data = bytes(5_000, 3);
    let (mut manifest, source) = encode_to_memory(&data, 4096, 3, 2, None).unwrap();
    manifest.cid = basalt_core::Cid::of(b"something else");
    let err = read_all(BlobReader::new(&manifest, None, source).unwrap()).unwrap_err();
    assert!(err.to_string().contains("CID"), "{err}");
}

#[test]
fn each_backend_restores_data_and_parity_after_losing_m() -> anyhow::Result<()> {
    // each decodes its own parity after losing m shards.
    for backend in [Backend::Classic, Backend::Simd] {
        let mut codec = ErasureCodec::with_backend(10, 4, backend)?;
        let shard_len = 1024;
        let mut buf = bytes(14 * shard_len, 9);
        buf[10 * shard_len..].fill(0);
        codec.encode(&mut buf, shard_len)?;
        let mut shards: Vec<Option<Vec<u8>>> = buf
            .chunks_exact(shard_len)
            .map(|s| Some(s.to_vec()))
            .collect();
        for j in [0, 3, 9, 12] {
            shards[j] = None;
        }
        codec.reconstruct_all(&mut shards, shard_len)?;
        let restored: Vec<u8> = shards.into_iter().flat_map(Option::unwrap).collect();
        assert_eq!(restored, buf, "{backend:?}");
    }
    Ok(())
}

/// reed-solomon-simd codes computed in the layer's own buffer (m a power of two) give the
/// library's parity byte for byte: codes with one, several and a partial later transform
/// chunk, k below, at and above m, tiny and wide; and stale bytes in the parity region do
/// not leak into the result.
#[test]
fn simd_parity_is_the_librarys_byte_for_byte() -> anyhow::Result<()> {
    use reed_solomon_simd::ReedSolomonEncoder;
    for (k, m) in [
        (1, 1),
        (2, 1),
        (2, 2),
        (3, 2),
        (3, 4),
        (5, 4),
        (10, 8),
        (12, 4),
        (17, 16),
        (32, 32),
        (40, 32),
        (64, 32),
        (100, 64),
        (255, 1),
        // Not computed in place (m no power of two; low rate): copied out of the library.
        (20, 10),
        (2, 8),
    ] {
        for shard_len in [64, 128, 960] {
            let data = bytes(k * shard_len, (k * 1000 + m) as u64);
            let mut encoder = ReedSolomonEncoder::new(k, m, shard_len)?;
            for shard in data.chunks_exact(shard_len) {
                encoder.add_original_shard(shard)?;
            }
            let expected: Vec<u8> = encoder
                .encode()?
                .recovery_iter()
                .flatten()
                .copied()
                .collect();

            let mut codec = ErasureCodec::with_backend(k as u16, m as u16, Backend::Simd)?;
            let mut buf = data.clone();
            buf.resize((k + m) * shard_len, 0xA5);
            codec.encode(&mut buf, shard_len)?;
            assert_eq!(
                buf[k * shard_len..],
                expected[..],
                "RS({k}, {m}), {shard_len}-byte shards"
            );
        }
    }
    Ok(())
}

/// Every kernel this CPU runs.
fn classic_kernels_here() -> Vec<ClassicKernel> {
    let kernels: Vec<ClassicKernel> = [
        ClassicKernel::Gfni,
        ClassicKernel::Avx2,
        ClassicKernel::Library,
    ]
    .into_iter()
    .filter(|kernel| {
        let runs = kernel.runs_here();
        if !runs {
            eprintln!("this CPU does not run the {kernel:?} kernel: not tested here");
        }
        runs
    })
    .collect();
    kernels
}

/// reed-solomon-erasure codes on every kernel this CPU runs (GFNI, AVX2, the library's)
/// give the library's parity and restored data byte for byte: parity that takes a kernel
/// one, two and three passes (m up to 8, 9-16, 17-24 rows), shards with a partial last
/// 64-byte block, data restored from data and parity, from parity alone, and from a pattern
/// seen before (the decoding matrix is kept) or new.
#[test]
fn classic_kernels_code_the_librarys_bytes() -> anyhow::Result<()> {
    use reed_solomon_erasure::galois_8::ReedSolomon;
    for (k, m) in [
        (1, 1),
        (2, 1),
        (3, 2),
        (10, 4),
        (8, 8),
        (20, 10),
        (17, 9),
        (30, 20),
        (64, 3),
    ] {
        let rs = ReedSolomon::new(k, m).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let (k16, m16) = (k as u16, m as u16);
        for kernel in classic_kernels_here() {
            let mut codec =
                ErasureCodec::with_backend(k16, m16, Backend::Classic)?.on_kernel(kernel)?;
            assert_eq!(codec.classic_kernel(), Some(kernel));
            for shard_len in [1, 2, 31, 63, 64, 65, 200, 4096 + 17] {
                let what =
                    format!("RS({k}, {m}) on the {kernel:?} kernel, {shard_len}-byte shards");
                let data = bytes(k * shard_len, (k * 1000 + m + shard_len) as u64);
                let data_shards: Vec<&[u8]> = data.chunks_exact(shard_len).collect();
                let mut expected = vec![vec![0u8; shard_len]; m];
                rs.encode_sep(&data_shards, &mut expected)
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;

                let mut buf = data.clone();
                buf.resize((k + m) * shard_len, 0xA5);
                codec.encode(&mut buf, shard_len)?;
                assert_eq!(buf[k * shard_len..], expected.concat()[..], "{what}");

                let full: Vec<Option<Vec<u8>>> = buf
                    .chunks_exact(shard_len)
                    .map(|s| Some(s.to_vec()))
                    .collect();
                // The first data shards (all of them when m >= k); the last data shard and
                // parity; every other shard. The first pattern comes back after the others.
                let first_data: Vec<usize> = (0..m.min(k)).collect();
                let last_and_parity: Vec<usize> = [k - 1].into_iter().chain(k..k + m - 1).collect();
                let every_other: Vec<usize> = (0..k + m).step_by(2).take(m).collect();
                for lost in [
                    &first_data,
                    &first_data,
                    &last_and_parity,
                    &every_other,
                    &first_data,
                ] {
                    let mut shards = full.clone();
                    for &j in lost {
                        shards[j] = None;
                    }
                    codec.reconstruct_data(&mut shards, shard_len)?;
                    assert_eq!(shards[..k], full[..k], "{what}, lost {lost:?}");
                }
            }
        }
    }
    Ok(())
}

/// `reconstruct_data_with` lends exactly the missing data shards, each once and restored,
/// on both libraries and on every kernel this CPU runs, and with every data shard present it
/// lends nothing.
#[test]
fn restored_shards_are_lent_once_each() -> anyhow::Result<()> {
    let classic = classic_kernels_here()
        .into_iter()
        .map(|kernel| (10, 4, Backend::Classic, Some(kernel)));
    let simd = [(10, 4, Backend::Simd, None), (32, 32, Backend::Simd, None)];
    for (k, m, backend, kernel) in classic.chain(simd) {
        let (n, shard_len) = (usize::from(k + m), 512);
        let mut codec = ErasureCodec::with_backend(k, m, backend)?;
        if let Some(kernel) = kernel {
            codec = codec.on_kernel(kernel)?;
        }
        let backend = (backend, kernel);
        let mut buf = bytes(n * shard_len, u64::from(k));
        codec.encode(&mut buf, shard_len)?;
        let full: Vec<Option<Vec<u8>>> = buf
            .chunks_exact(shard_len)
            .map(|s| Some(s.to_vec()))
            .collect();

        let mut lent = Vec::new();
        let mut intact = full.clone();
        codec.reconstruct_data_with(&mut intact, shard_len, |i, _| lent.push(i))?;
        assert!(lent.is_empty(), "{backend:?}: nothing was missing");

        // Lose m shards: the first data shard, the last one, and parity for the rest.
        let lost: Vec<usize> = [0, usize::from(k) - 1]
            .into_iter()
            .chain(usize::from(k)..)
            .take(usize::from(m))
            .collect();
        let mut shards = full.clone();
        for &j in &lost {
            shards[j] = None;
        }
        codec.reconstruct_data_with(&mut shards, shard_len, |i, restored| {
            assert_eq!(Some(restored), full[i].as_deref(), "{backend:?} shard {i}");
            lent.push(i);
        })?;
        assert_eq!(lent, [0, usize::from(k) - 1], "{backend:?}");

        // One shard more lost than the code tolerates: a typed error, and nothing lent.
        let mut too_few = full.clone();
        for slot in too_few.iter_mut().take(usize::from(m) + 1) {
            *slot = None;
        }
        let result = codec.reconstruct_data_with(&mut too_few, shard_len, |i, _| {
            panic!("{backend:?} lent shard {i} without enough shards to restore it")
        });
        assert!(
            matches!(result, Err(ErasureError::NotEnoughShards { present, needed })
                if present == usize::from(k) - 1 && needed == usize::from(k)),
            "{backend:?}: {result:?}"
        );
    }
    Ok(())
}

#[test]
fn codes_above_256_shards_use_reed_solomon_simd() -> anyhow::Result<()> {
    let codec = ErasureCodec::new(200, 100)?;
    assert_eq!(codec.backend(), Backend::Simd);
    assert!(ErasureCodec::with_backend(200, 100, Backend::Classic).is_err());
    assert_eq!(codec.classic_kernel(), None);
    let kernel_on_simd = codec.on_kernel(ClassicKernel::Library);
    assert!(
        matches!(kernel_on_simd, Err(ErasureError::Parameters(_))),
        "reed-solomon-simd has no kernel choice"
    );
    let data = bytes(200 * 64 * 3, 4);
    let (manifest, mut source) = encode_to_memory(&data, 200 * 64, 200, 100, None)?;
    for chunk in &mut source.shards {
        for slot in chunk.iter_mut().step_by(3) {
            *slot = None;
        }
    }
    assert_eq!(read_all(BlobReader::new(&manifest, None, source)?)?, data);
    Ok(())
}

/// The first pass of a streaming put (seal and hash only) names the same CID as the full
/// encode, encrypted or not, and a changed input gives another CID.
#[test]
fn cid_pass_matches_the_full_encode() -> anyhow::Result<()> {
    use basalt_core::BlobEncoder;
    let data = bytes(70_001, 3);
    let key = DataKey::from_bytes(&[4; DataKey::LEN]);
    for key in [None, Some(&key)] {
        // Empty, one byte, one chunk exactly, several chunks with a short last one (the
        // pass recycles its buffers across chunks of different lengths).
        for len in [0, 1, 8192, 8192 * 3, data.len()] {
            let part = &data[..len];
            let full = basalt_core::encode_blob(part, 8192, 3, 2, key, |_| {})?;
            let cid = BlobEncoder::new(part, len as u64, 8192, 3, 2, key)?.into_cid()?;
            assert_eq!(cid, full.cid, "{len} bytes, encrypted: {}", key.is_some());
        }
        let full = basalt_core::encode_blob(&data, 8192, 3, 2, key, |_| {})?;
        let mut changed = data.clone();
        changed[40_000] ^= 1;
        let other =
            BlobEncoder::new(&changed[..], data.len() as u64, 8192, 3, 2, key)?.into_cid()?;
        assert_ne!(other, full.cid);
    }
    let short = BlobEncoder::new(&data[..100], data.len() as u64, 8192, 3, 2, None)?.into_cid();
    assert!(matches!(
        short,
        Err(basalt_core::EncodeError::Truncated { .. })
    ));
    let long = BlobEncoder::new(&data[..], 50_000, 8192, 3, 2, None)?.into_cid();
    assert!(matches!(
        long,
        Err(basalt_core::EncodeError::TrailingData { expected: 50_000 })
    ));
    Ok(())
}

/// Shards checked once against the manifest decode without a second check; a shard checked
/// for another position is refused at decode, and corrupt data never becomes checked.
#[test]
fn checked_shards_decode_and_misplaced_ones_are_rejected() -> Result<(), DecodeError> {
    let data = bytes(10_000, 3);
    let (manifest, source) = encode_to_memory(&data, 4096, 3, 2, None).unwrap();
    let check = |chunk: u32, j: usize| {
        let shard = source.shards[chunk as usize][j].clone().unwrap();
        manifest.check_shard(chunk, j as u16, shard).unwrap()
    };
    let mut slots: Vec<_> = (0..5).map(|j| Some(check(0, j))).collect();
    // Slot 1 holds chunk 1's shard 1, and slot 2 shard 3 of chunk 0: both misplaced.
    slots[1] = Some(check(1, 1));
    slots[2] = Some(check(0, 3));
    let mut decoder = ChunkDecoder::new(&manifest, None)?;
    let decoded = decoder.decode_checked(0, slots)?;
    assert_eq!(decoded.rejected, vec![1, 2]);
    let chunk_len = manifest.layout().chunk_len(0) as usize;
    assert_eq!(&decoded.data[..], &data[..chunk_len]);

    let mut flipped = source.shards[0][0].clone().unwrap();
    flipped[5] ^= 1;
    assert_eq!(
        manifest.check_shard(0, 0, flipped.clone()).err(),
        Some(flipped)
    );
    Ok(())
}
