//! Dataset push (issue 44) on a local network of 14 storage nodes, side by side in one run:
//!
//! 1. a directory of 10,000 small files (1 GiB in all by default) pushed as a private
//!    dataset's first version;
//! 2. one file of the same size pushed the same way (one blob, the bound of the storage
//!    path for those bytes);
//! 3. the directory again after 1 % of its files changed: bytes stored and time, against
//!    the first push;
//! 4. the directory unchanged: nothing stored.
//!
//! `BENCH_FILES` (default 10,000) and `BENCH_SIZE_MIB` (default 1024). Under `cargo test`
//! (no `--bench`) it runs a small smoke pass: 200 files, 8 MiB.

use std::path::Path;

use anyhow::{ensure, Result};
use basalt_app_tests::{random_bytes, TestNet};
use basalt_sdk::dataset::{self, DatasetRef, PushOptions, PushReport};
use solana_signer::Signer;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn line(what: &str, r: &PushReport, first: Option<&PushReport>) {
    let secs = r.elapsed.as_secs_f64();
    let vs = first.map_or(String::new(), |f| {
        format!(
            "  ({:.2} % of the bytes, {:.2}x the time of the first push)",
            100.0 * r.stored_bytes as f64 / f.stored_bytes.max(1) as f64,
            secs / f.elapsed.as_secs_f64()
        )
    });
    println!(
        "{what:<34} {:>7} files {:>7} stored {:>12} bytes stored {:>3} blobs {:>7.2} s (hash {:.2} s) {:>7.1} MB/s{vs}",
        r.files,
        r.stored_files,
        r.stored_bytes,
        r.stored_blobs,
        secs,
        r.hashing.as_secs_f64(),
        r.stored_bytes as f64 / 1e6 / secs
    );
}

fn write_files(dir: &Path, files: usize, each: usize) -> Result<()> {
    for i in 0..files {
        let path = dir.join(format!("part-{:03}/{i:05}.bin", i / 1_000));
        std::fs::create_dir_all(path.parent().unwrap_or(dir))?;
        std::fs::write(path, random_bytes(each))?;
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let benching = std::env::args().any(|a| a == "--bench");
    let (files, mib) = if benching {
        (env("BENCH_FILES", 10_000), env("BENCH_SIZE_MIB", 1024))
    } else {
        (200, 8)
    };
    let each = (mib << 20) / files;
    let t = TestNet::start(14, 1).await?;
    let chain = t.net.client();
    let wallet = &t.wallets[0];
    let options = PushOptions {
        put: t.put_options(),
        ..PushOptions::default()
    };
    let work = tempfile::tempdir()?;
    let many = work.path().join("many");
    write_files(&many, files, each)?;
    let one = work.path().join("one");
    std::fs::create_dir_all(&one)?;
    std::fs::write(one.join("all.bin"), random_bytes(files * each))?;
    println!(
        "dataset push on 14 local nodes, RS(10, 4), private (sealed): {files} files of {each} bytes vs one file of {} bytes",
        files * each
    );
    for name in ["many", "one"] {
        chain.create_dataset(wallet, name, false).await?;
    }
    let of = |name: &str| DatasetRef {
        owner: wallet.pubkey(),
        name: name.into(),
    };

    let first = dataset::push(&chain, wallet, &of("many"), &many, "v1", &options).await?;
    line(&format!("{files} small files, first push"), &first, None);
    let single = dataset::push(&chain, wallet, &of("one"), &one, "v1", &options).await?;
    line("one file of the same bytes", &single, None);
    println!(
        "  small files / one file: {:.2}x the time",
        first.elapsed.as_secs_f64() / single.elapsed.as_secs_f64()
    );

    // 1 % of the files changed.
    let changed = (files / 100).max(1);
    for i in (0..files).step_by(files / changed).take(changed) {
        let path = many.join(format!("part-{:03}/{i:05}.bin", i / 1_000));
        std::fs::write(path, random_bytes(each))?;
    }
    let second = dataset::push(&chain, wallet, &of("many"), &many, "v2", &options).await?;
    line(
        &format!("after {changed} files changed"),
        &second,
        Some(&first),
    );
    ensure!(second.stored_files == changed, "{second:?}");
    let again = dataset::push(&chain, wallet, &of("many"), &many, "v3", &options).await?;
    line("unchanged", &again, Some(&first));
    ensure!(
        again.version.is_none() && again.stored_bytes == 0,
        "{again:?}"
    );
    Ok(())
}
