//! Reed-Solomon encode and decode (m shards missing): reed-solomon-simd and
//! reed-solomon-erasure (simd-accel) side by side with Basalt's own erasure layer, at the
//! shard sizes the default 4 MiB chunk gives. Target: the layer >= 0.95x the faster library
//! everywhere, and RS(10, 4) encode >= 7 GiB/s on one core.

mod support;

use basalt_core::proof::layout::DEFAULT_CHUNK_SIZE;
use basalt_core::{Backend, BlobLayout, ClassicKernel, ErasureCodec};
use criterion::{black_box, criterion_group, BenchmarkId, Criterion, Throughput};
use reed_solomon_erasure::galois_8::ReedSolomon;
use reed_solomon_simd::{ReedSolomonDecoder, ReedSolomonEncoder};
use support::{side_by_side, Contender};

const CODES: [(u16, u16); 3] = [(10, 4), (20, 10), (32, 32)];

struct Case {
    k: usize,
    m: usize,
    shard_len: usize,
    data: Vec<Vec<u8>>,
}

impl Case {
    fn new(k: u16, m: u16) -> Self {
        let leaf = 64; // shard sizes of large blobs, where throughput matters
        let shard_len = BlobLayout::shard_len_for(DEFAULT_CHUNK_SIZE, k, leaf) as usize;
        let data = (0..k)
            .map(|i| support::bytes(shard_len, u64::from(i)))
            .collect();
        Self {
            k: usize::from(k),
            m: usize::from(m),
            shard_len,
            data,
        }
    }
    fn original_bytes(&self) -> u64 {
        (self.k * self.shard_len) as u64
    }
    fn label(&self) -> String {
        format!(
            "RS({},{}) {} KiB shards",
            self.k,
            self.m,
            self.shard_len / 1024
        )
    }
}

fn encode_contenders(case: &Case) -> Vec<Contender<'_>> {
    let (k, m, len) = (case.k, case.m, case.shard_len);
    let mut contenders = Vec::new();
    let classic = ReedSolomon::new(k, m).ok();
    if let Some(rs) = classic {
        let mut parity = vec![vec![0u8; len]; m];
        contenders.push(Contender::new(
            "reed-solomon-erasure (simd-accel)",
            move || {
                rs.encode_sep(&case.data, &mut parity).unwrap();
                black_box(&parity);
            },
        ));
    }
    let mut encoder = ReedSolomonEncoder::new(k, m, len).unwrap();
    contenders.push(Contender::new("reed-solomon-simd", move || {
        encoder.reset(k, m, len).unwrap();
        for shard in &case.data {
            encoder.add_original_shard(shard).unwrap();
        }
        let result = encoder.encode().unwrap();
        for recovery in result.recovery_iter() {
            black_box(recovery);
        }
    }));
    contenders.push(layer_encode(case, None));
    contenders
}

/// The layer's coder for `case`, on `kernel` if given (reed-solomon-erasure codes only), else
/// on the fastest this CPU runs.
fn layer(case: &Case, kernel: Option<ClassicKernel>) -> ErasureCodec {
    let codec = ErasureCodec::new(case.k as u16, case.m as u16).unwrap();
    match kernel {
        Some(kernel) => codec.on_kernel(kernel).unwrap(),
        None => codec,
    }
}

fn layer_name(codec: &ErasureCodec) -> String {
    match codec.classic_kernel() {
        Some(kernel) => format!("basalt ErasureCodec (Classic, {kernel:?} kernel)"),
        None => format!("basalt ErasureCodec ({:?})", codec.backend()),
    }
}

fn layer_encode(case: &Case, kernel: Option<ClassicKernel>) -> Contender<'_> {
    let (k, m, len) = (case.k, case.m, case.shard_len);
    let mut codec = layer(case, kernel);
    let mut buf = vec![0u8; (k + m) * len];
    for (dst, src) in buf.chunks_exact_mut(len).zip(&case.data) {
        dst.copy_from_slice(src);
    }
    Contender::new(layer_name(&codec), move || {
        codec.encode(&mut buf, len).unwrap();
        black_box(&buf);
    })
}

/// Shards with the first m data shards lost (the worst case: all of them must be rebuilt).
fn damaged(case: &Case, parity: &[Vec<u8>]) -> Vec<Option<Vec<u8>>> {
    let mut shards: Vec<Option<Vec<u8>>> =
        case.data.iter().chain(parity).cloned().map(Some).collect();
    for slot in shards.iter_mut().take(case.m.min(case.k)) {
        *slot = None;
    }
    shards
}

fn decode_contenders(case: &Case) -> Vec<Contender<'_>> {
    let (k, m, len) = (case.k, case.m, case.shard_len);
    let mut contenders = Vec::new();
    if let Ok(rs) = ReedSolomon::new(k, m) {
        let mut parity = vec![vec![0u8; len]; m];
        rs.encode_sep(&case.data, &mut parity).unwrap();
        let template = damaged(case, &parity);
        let mut work = template.clone();
        contenders.push(Contender::new(
            "reed-solomon-erasure (simd-accel)",
            move || {
                for (slot, original) in work.iter_mut().zip(&template).take(m) {
                    *slot = original.clone();
                }
                rs.reconstruct_data(&mut work).unwrap();
                black_box(&work);
            },
        ));
    }
    // reed-solomon-simd's parity differs from reed-solomon-erasure's: compute its own.
    let mut encoder = ReedSolomonEncoder::new(k, m, len).unwrap();
    for shard in &case.data {
        encoder.add_original_shard(shard).unwrap();
    }
    let simd_parity: Vec<Vec<u8>> = encoder
        .encode()
        .unwrap()
        .recovery_iter()
        .map(<[u8]>::to_vec)
        .collect();
    let simd_shards = damaged(case, &simd_parity);
    let mut decoder = ReedSolomonDecoder::new(k, m, len).unwrap();
    let present = simd_shards.clone();
    contenders.push(Contender::new("reed-solomon-simd", move || {
        decoder.reset(k, m, len).unwrap();
        for (i, shard) in present.iter().enumerate() {
            match shard {
                Some(s) if i < k => decoder.add_original_shard(i, s).unwrap(),
                Some(s) => decoder.add_recovery_shard(i - k, s).unwrap(),
                None => {}
            }
        }
        for restored in decoder.decode().unwrap().restored_original_iter() {
            black_box(restored);
        }
    }));
    contenders.push(layer_decode(case, None));
    contenders
}

fn layer_decode(case: &Case, kernel: Option<ClassicKernel>) -> Contender<'_> {
    let (k, m, len) = (case.k, case.m, case.shard_len);
    let mut codec = layer(case, kernel);
    let mut buf = vec![0u8; (k + m) * len];
    for (dst, src) in buf.chunks_exact_mut(len).zip(&case.data) {
        dst.copy_from_slice(src);
    }
    codec.encode(&mut buf, len).unwrap();
    let full: Vec<Option<Vec<u8>>> = buf.chunks_exact(len).map(|s| Some(s.to_vec())).collect();
    let mut work = full.clone();
    Contender::new(layer_name(&codec), move || {
        // Same per-call setup as the library contenders: knock out the first m data shards.
        for slot in work.iter_mut().take(m.min(k)) {
            *slot = None;
        }
        // The call `ChunkDecoder` makes: restored shards are lent, as the library lends them.
        codec
            .reconstruct_data_with(&mut work, len, |_, restored| {
                black_box(restored);
            })
            .unwrap();
        black_box(&work);
    })
}

/// reed-solomon-erasure's code on each kernel this CPU runs, side by side (the layer picks
/// the fastest; the others are what CPUs without GFNI, or without AVX2, get).
fn kernel_tables() {
    println!("\nreed-solomon-erasure's code on each kernel this CPU runs, one core:");
    for (k, m) in CODES {
        if Backend::preferred(k, m) != Backend::Classic {
            continue;
        }
        let case = Case::new(k, m);
        let kernels: Vec<ClassicKernel> = [
            ClassicKernel::Library,
            ClassicKernel::Avx2,
            ClassicKernel::Gfni,
        ]
        .into_iter()
        .filter(|kernel| kernel.runs_here())
        .collect();
        let encode = kernels.iter().map(|&kr| layer_encode(&case, Some(kr)));
        side_by_side(
            &format!("{} encode", case.label()),
            case.original_bytes(),
            encode.collect(),
        );
        let decode = kernels.iter().map(|&kr| layer_decode(&case, Some(kr)));
        side_by_side(
            &format!("{} decode, m lost", case.label()),
            case.original_bytes(),
            decode.collect(),
        );
    }
}

fn ratio_tables() {
    println!("\nErasure layer vs the faster library (target >= 0.95x), one core:");
    for (k, m) in CODES {
        let case = Case::new(k, m);
        for (what, contenders) in [
            ("encode", encode_contenders(&case)),
            ("decode, m lost", decode_contenders(&case)),
        ] {
            let gib = side_by_side(
                &format!("{} {what}", case.label()),
                case.original_bytes(),
                contenders,
            );
            let libraries = &gib[..gib.len() - 1];
            let best_lib = libraries.iter().copied().fold(f64::MIN, f64::max);
            println!(
                "  -> basalt layer / faster library = {:.3}  (picked {:?})",
                gib[gib.len() - 1] / best_lib,
                Backend::preferred(k, m)
            );
        }
    }
}

fn criterion_encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("erasure_encode");
    group.sample_size(10);
    for (k, m) in CODES {
        let case = Case::new(k, m);
        group.throughput(Throughput::Bytes(case.original_bytes()));
        for backend in [Backend::Classic, Backend::Simd] {
            let Ok(mut codec) = ErasureCodec::with_backend(k, m, backend) else {
                continue;
            };
            let len = case.shard_len;
            let mut buf = vec![0u8; (case.k + case.m) * len];
            group.bench_function(
                BenchmarkId::new(format!("{backend:?}"), case.label()),
                |b| b.iter(|| codec.encode(&mut buf, len).unwrap()),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, criterion_encode);

fn main() {
    if !support::quick() {
        benches();
    }
    ratio_tables();
    kernel_tables();
}
