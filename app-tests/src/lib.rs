//! Helpers of the end-to-end tests: a local network with a funded wallet, and put/get of
//! in-memory files through the SDK exactly as the CLI does them.

pub mod browser;
pub mod faults;
pub mod s3;

use std::sync::Arc;

use anyhow::Result;
use basalt_core::BlobId;
use basalt_localnet::{Localnet, LocalnetOptions, NodeSettings};
use basalt_sdk::{GetOptions, GetReport, PutOptions, PutReport};
use rand_core::{OsRng, RngCore};
use solana_keypair::Keypair;
use solana_signer::Signer;

/// A local network in a temporary directory, with wallets funded on it.
pub struct TestNet {
    pub net: Localnet,
    pub wallets: Vec<Keypair>,
    pub dir: tempfile::TempDir,
}

/// Options for a test network of `nodes` nodes: fast ACL cache, no GC surprises.
pub fn options(dir: &std::path::Path, nodes: usize, wallets: &[Keypair]) -> LocalnetOptions {
    let mut options = LocalnetOptions::new(dir.join("net"));
    options.nodes = nodes;
    options.fund = wallets.iter().map(Signer::pubkey).collect();
    // Job tests run their workers in process (tests/jobs.rs).
    options.workers = 0;
    options.node_settings = NodeSettings {
        acl_cache_ms: 200,
        ..NodeSettings::default()
    };
    options
}

/// Short epochs, for tests that watch proofs, payouts and repairs: 4-second epochs whose
/// proofs are due in the first 2.5 s, with provers and cranks passing every second.
pub fn fast_epochs(options: &mut LocalnetOptions) {
    options.params.epoch_slots = 40;
    options.params.proof_window_slots = 25;
    options.node_settings = NodeSettings {
        acl_cache_ms: 200,
        prove_interval_secs: 1,
        crank_interval_secs: 1,
        ..NodeSettings::default()
    };
}

impl TestNet {
    /// Starts `nodes` storage nodes and funds `wallets` fresh wallets.
    ///
    /// # Errors
    ///
    /// When the network does not start.
    pub async fn start(nodes: usize, wallets: usize) -> Result<Self> {
        Self::start_with(nodes, wallets, |_| {}).await
    }

    /// Like [`TestNet::start`], with `adjust` changing the network's options first.
    ///
    /// # Errors
    ///
    /// When the network does not start.
    pub async fn start_with(
        nodes: usize,
        wallets: usize,
        adjust: impl FnOnce(&mut LocalnetOptions),
    ) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let wallets: Vec<Keypair> = (0..wallets).map(|_| Keypair::new()).collect();
        let mut options = options(dir.path(), nodes, &wallets);
        adjust(&mut options);
        let net = Localnet::start(&options).await?;
        Ok(Self { net, wallets, dir })
    }

    /// Shards stored on each running node, from its signed `/v1/stats`.
    ///
    /// # Errors
    ///
    /// When a node does not answer.
    pub async fn shards_per_node(&self, wallet: &Keypair) -> Result<Vec<u64>> {
        let key = basalt_sdk::put::wallet_signing_key(wallet);
        let http = reqwest::Client::new();
        let mut counts = Vec::new();
        for node in &self.net.nodes {
            let client = basalt_sdk::NodeClient::new(http.clone(), &node.url, key.clone());
            let stats = client.stats(std::time::Duration::from_secs(10)).await?;
            counts.push(stats.shards);
        }
        Ok(counts)
    }

    /// Put options for a small blob over few nodes: RS(`k`, `m`) in 64 KiB chunks, paid
    /// for 1000 epochs.
    pub fn rs_options(&self, k: u16, m: u16) -> PutOptions {
        PutOptions {
            k: Some(k),
            m: Some(m),
            chunk_size: 64 << 10,
            epochs: 1_000,
            ..self.put_options()
        }
    }

    /// The index in `net.nodes` of the node whose identity is `address`.
    ///
    /// # Errors
    ///
    /// When no node of the network has it.
    pub fn node_of(&self, address: &str) -> Result<usize> {
        self.net
            .nodes
            .iter()
            .position(|n| n.address == address)
            .ok_or_else(|| anyhow::anyhow!("no node of the network is {address}"))
    }

    /// Put options that use the network's lookup table.
    pub fn put_options(&self) -> PutOptions {
        PutOptions {
            lookup_table: self.net.lookup_table(),
            ..PutOptions::default()
        }
    }

    /// Stores `data` as `wallet`.
    ///
    /// # Errors
    ///
    /// As [`basalt_sdk::put`].
    pub async fn put(
        &self,
        wallet: &Keypair,
        data: Vec<u8>,
        options: &PutOptions,
    ) -> Result<PutReport, basalt_sdk::PutError> {
        let size = data.len() as u64;
        let data = Arc::new(data);
        basalt_sdk::put(
            &self.net.client(),
            wallet,
            move || Ok(std::io::Cursor::new(SharedBytes(Arc::clone(&data)))),
            size,
            options,
            |_| {},
        )
        .await
    }

    /// Reads blob `id` as `wallet` into memory.
    ///
    /// # Errors
    ///
    /// As [`basalt_sdk::get`].
    pub async fn get(
        &self,
        wallet: &Keypair,
        id: &BlobId,
    ) -> Result<(Vec<u8>, GetReport), basalt_sdk::GetError> {
        let out = SharedBuf::default();
        let report = basalt_sdk::get(
            &self.net.client(),
            wallet,
            id,
            out.clone(),
            &GetOptions::default(),
            |_| {},
        )
        .await?;
        Ok((out.take(), report))
    }
}

/// Bytes shared between the two passes of a put without copying them.
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// A network benchmark's file size in MiB: `BENCH_SIZE_MIB`, else `bench` under
/// `cargo bench` (which passes `--bench`) and `smoke` under `cargo test`, where the
/// benchmark runs as a quick smoke test.
pub fn bench_size_mib(bench: usize, smoke: usize) -> usize {
    let benching = std::env::args().any(|a| a == "--bench");
    std::env::var("BENCH_SIZE_MIB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { bench } else { smoke })
}

/// `len` random bytes.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut data = vec![0u8; len];
    OsRng.fill_bytes(&mut data);
    data
}

/// A `Write` whose bytes the test can take back after the writer was moved away.
pub type SharedBuf = basalt_sdk::get::MemoryWriter;

/// Flips a bit in the middle of every copy of `needle` in the table and blob files of
/// `dir` (a stopped node's RocksDB directory): bytes rotting on disk where the data rests.
/// Its write-ahead log is left alone (a torn log is a crash, not rot). Returns how many
/// copies it changed.
///
/// # Errors
///
/// When a file cannot be read or written.
pub fn flip_on_disk(dir: &std::path::Path, needle: &[u8]) -> Result<usize> {
    use std::io::{Read, Write};
    let mut flipped = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let data_file = path.extension().is_some_and(|e| e == "sst" || e == "blob");
        if !path.is_file() || !data_file {
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
