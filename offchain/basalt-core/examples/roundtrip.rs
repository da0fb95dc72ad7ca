//! The main job until the local network exists: encode a real file into RS(10, 4) shards on
//! disk (each behind its shard header), delete every shard of 4 shard indices, decode the
//! file back from the 10 left, verify it byte for byte, and print the throughput.
//!
//! ```text
//! cargo run --release -p basalt-core --example roundtrip -- [FILE]
//! ```
//! Without FILE, a 256 MiB file of pseudo-random bytes is generated first.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use basalt_core::proof::layout::{DEFAULT_CHUNK_SIZE, DEFAULT_K, DEFAULT_M};
use basalt_core::{BlobEncoder, BlobId, BlobReader, DataKey, ShardHeader, ShardSource};

/// Shard indices whose every shard is deleted (4 of 14: two data, two parity).
const LOST: [u16; 4] = [0, 5, 10, 13];

/// Reads shards back from the directory, checking each header and its data.
struct DirSource {
    dir: PathBuf,
    rejected: u32,
}

impl ShardSource for DirSource {
    fn shard(&mut self, chunk: u32, shard: u16) -> Option<Vec<u8>> {
        let bytes = fs::read(shard_path(&self.dir, chunk, shard)).ok()?;
        match ShardHeader::decode(&bytes) {
            Ok((header, data)) if header.chunk == chunk && header.shard == shard => {
                Some(data.to_vec())
            }
            _ => {
                self.rejected += 1;
                None
            }
        }
    }
}

fn shard_path(dir: &Path, chunk: u32, shard: u16) -> PathBuf {
    dir.join(format!("{chunk:06}-{shard:03}.shard"))
}

fn mib_per_s(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / secs / f64::from(1u32 << 20)
}

fn generate_sample(path: &Path, size: usize) -> Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..size >> 20 {
        for b in &mut block {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
        out.write_all(&block)?;
    }
    out.flush()?;
    Ok(())
}

fn main() -> Result<()> {
    let work = std::env::temp_dir().join(format!("basalt-roundtrip-{}", std::process::id()));
    fs::create_dir_all(&work)?;
    let result = run(&work);
    let _ = fs::remove_dir_all(&work);
    result
}

fn run(work: &Path) -> Result<()> {
    let input = match std::env::args_os().nth(1) {
        Some(path) => PathBuf::from(path),
        None => {
            let path = work.join("sample.bin");
            println!(
                "no FILE given: generating a 256 MiB sample at {}",
                path.display()
            );
            generate_sample(&path, 256 << 20)?;
            path
        }
    };
    let size = fs::metadata(&input)
        .with_context(|| format!("cannot read {}", input.display()))?
        .len();
    let key = DataKey::generate();
    let shard_dir = work.join("shards");
    fs::create_dir_all(&shard_dir)?;

    // Encode: the file is streamed one chunk at a time, never held whole.
    let started = Instant::now();
    let reader = BufReader::new(File::open(&input)?);
    let mut encoder = BlobEncoder::new(
        reader,
        size,
        DEFAULT_CHUNK_SIZE,
        DEFAULT_K,
        DEFAULT_M,
        Some(&key),
    )?;
    let layout = *encoder.layout();
    let mut headers = Vec::new();
    while let Some(chunk) = encoder.next_chunk()? {
        for (j, shard) in chunk.shards().enumerate() {
            // The blob id binds the CID, which is only known once every chunk is sealed:
            // write the header with a placeholder now and patch those 108 bytes in place at
            // the end.
            let header = ShardHeader {
                blob: BlobId::from_bytes([0; 32]),
                layout,
                encrypted: true,
                chunk: chunk.index,
                shard: j as u16,
                shard_root: chunk.roots[j],
            };
            let mut file =
                BufWriter::new(File::create(shard_path(&shard_dir, chunk.index, j as u16))?);
            file.write_all(&header.encode())?;
            file.write_all(shard)?;
            file.flush()?;
            headers.push(header);
        }
    }
    let manifest = encoder.finish()?;
    // This example registers nothing: the CID's digest stands for the blob id.
    let blob = BlobId::from_bytes(*manifest.cid.digest());
    for mut header in headers {
        header.blob = blob;
        let file = OpenOptions::new().write(true).open(shard_path(
            &shard_dir,
            header.chunk,
            header.shard,
        ))?;
        file.write_all_at(&header.encode(), 0)?;
    }
    let encode_secs = started.elapsed().as_secs_f64();

    // Lose 4 of the 14 shard indices, every chunk.
    for chunk in 0..layout.chunk_count() {
        for j in LOST {
            fs::remove_file(shard_path(&shard_dir, chunk, j))?;
        }
    }

    // Decode from the 10 left and compare with the original as it streams out.
    let started = Instant::now();
    let mut source = DirSource {
        dir: shard_dir.clone(),
        rejected: 0,
    };
    let mut decoded = BlobReader::new(&manifest, Some(&key), &mut source)?;
    let mut original = BufReader::new(File::open(&input)?);
    let (mut buf_a, mut buf_b) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    let mut compared = 0u64;
    loop {
        let n = decoded.read(&mut buf_a)?;
        if n == 0 {
            break;
        }
        original
            .read_exact(&mut buf_b[..n])
            .context("decoded output is longer than the file")?;
        if buf_a[..n] != buf_b[..n] {
            bail!(
                "decoded bytes differ from the file within bytes {compared}..{}",
                compared + n as u64
            );
        }
        compared += n as u64;
    }
    drop(decoded);
    let decode_secs = started.elapsed().as_secs_f64();
    if compared != size || original.read(&mut buf_b)? != 0 {
        bail!("decoded {compared} bytes, file has {size}");
    }

    let stored: u64 = (0..layout.chunk_count())
        .map(|c| u64::from(layout.shard_len(c)) * u64::from(layout.total_shards()))
        .sum();
    let out = io::stdout();
    let mut out = out.lock();
    writeln!(out, "file         {} ({size} bytes)", input.display())?;
    writeln!(out, "blob CID     {}", manifest.cid)?;
    writeln!(
        out,
        "layout       RS({},{}), {} chunks of {} MiB, {}-byte Merkle leaves, {} bytes of shards ({:.2}x)",
        layout.k(),
        layout.m(),
        layout.chunk_count(),
        layout.chunk_size() >> 20,
        layout.leaf_size(),
        stored,
        stored as f64 / size.max(1) as f64
    )?;
    writeln!(
        out,
        "commitment   {}",
        data_encoding::HEXLOWER.encode(&manifest.commitment.commitment_root())
    )?;
    writeln!(out, "encode       {encode_secs:.2} s, {:.0} MiB/s (encrypt + Reed-Solomon + Merkle + CID + write)", mib_per_s(size, encode_secs))?;
    writeln!(
        out,
        "lost         every shard of indices {LOST:?} (4 of 14)"
    )?;
    writeln!(
        out,
        "decode       {decode_secs:.2} s, {:.0} MiB/s (read + verify + decode + decrypt + compare)",
        mib_per_s(size, decode_secs)
    )?;
    writeln!(
        out,
        "verified     {compared} bytes identical to the file; {} shards rejected",
        source.rejected
    )?;
    Ok(())
}
