//! `basalt demo`: a throwaway local network, a sample file stored, 4 storage nodes killed,
//! the file read back and compared byte for byte, with timings.

use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use basalt_localnet::{Localnet, LocalnetOptions};
use basalt_sdk::{GetOptions, PutOptions};
use rand_core::{OsRng, RngCore};
use serde_json::json;
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::output::{mb_per_s, print};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Size of the sample file in MiB.
    #[arg(long, default_value_t = 64)]
    pub size_mib: u64,
    /// Storage nodes to start.
    #[arg(long, default_value_t = 14)]
    pub nodes: usize,
    /// Storage nodes to kill before reading the file back.
    #[arg(long, default_value_t = 4)]
    pub kill: usize,
}

pub async fn run(args: &DemoArgs, json_out: bool) -> Result<()> {
    if args.kill >= args.nodes {
        bail!(
            "cannot kill {} of {} nodes and still read",
            args.kill,
            args.nodes
        );
    }
    let dir = tempfile::Builder::new()
        .prefix("basalt-demo-")
        .tempdir()
        .context("creating a temporary directory")?;
    crate::output::set_console(basalt_localnet::redirect_program_stdout(
        &dir.path().join("program.log"),
    )?);
    let say = |line: String| {
        if !json_out {
            eprintln!("{line}");
        }
    };

    let t = Instant::now();
    let wallet = Keypair::new();
    let mut options = LocalnetOptions::new(dir.path().join("net"));
    options.nodes = args.nodes;
    options.fund = vec![wallet.pubkey()];
    say(format!(
        "starting a local network with {} storage nodes …",
        args.nodes
    ));
    let mut net = Localnet::start(&options).await?;
    let network_s = t.elapsed().as_secs_f64();
    say(format!(
        "  up in {network_s:.1} s (chain on {})",
        net.info.rpc_url
    ));

    let size = args.size_mib << 20;
    let input = dir.path().join("sample.bin");
    write_sample(&input, size)?;
    say(format!("storing a {} MiB sample file …", args.size_mib));
    let chain = net.client();
    let put_options = PutOptions {
        lookup_table: net.lookup_table(),
        ..PutOptions::default()
    };
    let path = input.clone();
    let put = basalt_sdk::put(
        &chain,
        &wallet,
        move || std::fs::File::open(&path),
        size,
        &put_options,
        |_| {},
    )
    .await?;
    say(format!(
        "  {} in {:.2} s ({:.1} MB/s) + {} ms to confirm",
        put.cid,
        put.upload.as_secs_f64(),
        mb_per_s(size, put.upload),
        put.confirm.as_millis()
    ));

    // Kill the holders of `kill` random shard indices.
    let mut victims: Vec<usize> = (0..put.providers.len()).collect();
    for i in (1..victims.len()).rev() {
        victims.swap(i, (OsRng.next_u64() % (i as u64 + 1)) as usize);
    }
    victims.truncate(args.kill);
    victims.sort_unstable();
    let mut killed = Vec::new();
    for &shard in &victims {
        let authority = put.providers[shard].to_string();
        if let Some(node) = net.nodes.iter_mut().find(|n| n.address == authority) {
            node.kill()?;
            killed.push(json!({ "shard": shard, "node": node.url }));
        }
    }
    say(format!(
        "killed {} nodes (holders of shards {victims:?})",
        killed.len()
    ));

    let output = dir.path().join("read-back.bin");
    let file = std::fs::File::create(&output)?;
    let get = basalt_sdk::get(
        &chain,
        &wallet,
        &put.cid,
        std::io::BufWriter::new(file),
        &GetOptions::default(),
        |_| {},
    )
    .await?;
    say(format!(
        "read it back in {:.2} s ({:.1} MB/s) with {} requests failing over to parity",
        get.elapsed.as_secs_f64(),
        mb_per_s(get.bytes, get.elapsed),
        get.failed_requests
    ));
    let identical = same_bytes(&input, &output)?;
    let t_stop = Instant::now();
    tokio::task::spawn_blocking(move || net.stop()).await?;
    let report = json!({
        "file_bytes": size,
        "cid": put.cid.to_string(),
        "network_start_s": network_s,
        "put_s": put.upload.as_secs_f64(),
        "put_mb_s": mb_per_s(size, put.upload),
        "confirm_ms": put.confirm.as_millis() as u64,
        "killed": killed,
        "get_s": get.elapsed.as_secs_f64(),
        "get_mb_s": mb_per_s(get.bytes, get.elapsed),
        "failed_requests": get.failed_requests,
        "identical": identical,
        "stop_s": t_stop.elapsed().as_secs_f64(),
    });
    print(json_out, &report, || {
        format!(
            "\nBasalt demo\n  file:       {} MiB, {}\n  put:        {:.1} MB/s ({:.2} s), chain confirmation {} ms\n  killed:     {} of {} nodes\n  get:        {:.1} MB/s ({:.2} s)\n  byte-for-byte identical: {}",
            args.size_mib,
            put.cid,
            mb_per_s(size, put.upload),
            put.upload.as_secs_f64(),
            put.confirm.as_millis(),
            args.kill,
            args.nodes,
            mb_per_s(get.bytes, get.elapsed),
            get.elapsed.as_secs_f64(),
            if identical { "yes" } else { "NO" }
        )
    });
    if !identical {
        bail!("the file read back differs from the one stored");
    }
    Ok(())
}

/// Writes `size` random bytes to `path`.
fn write_sample(path: &Path, size: u64) -> Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut block = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        OsRng.fill_bytes(&mut block);
        let n = left.min(block.len() as u64) as usize;
        file.write_all(&block[..n])?;
        left -= n as u64;
    }
    file.flush()?;
    Ok(())
}

/// Compares two files byte for byte.
fn same_bytes(a: &Path, b: &Path) -> Result<bool> {
    if std::fs::metadata(a)?.len() != std::fs::metadata(b)?.len() {
        return Ok(false);
    }
    let (mut ra, mut rb) = (
        BufReader::new(std::fs::File::open(a)?),
        BufReader::new(std::fs::File::open(b)?),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = ra.read(&mut ba)?;
        if n == 0 {
            return Ok(true);
        }
        rb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}
