//! Real `basalt-node` processes on loopback, and a client that signs its requests the way
//! the SDK does.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use basalt_core::{encode_blob, BlobId, BlobManifest, RequestAuth, ShardHeader};
use ed25519_dalek::SigningKey;
use rand_core::{OsRng, RngCore};

/// A running node process. Killed when dropped.
pub struct NodeProcess {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub address: String,
    pub dir: PathBuf,
    args: Vec<String>,
}

/// An RPC endpoint nothing listens on: every chain question fails, so only uploaders can
/// read their own shards.
pub const NO_CHAIN: &str = "http://127.0.0.1:9";

impl NodeProcess {
    /// Starts a node whose data and identity live in `dir`, with `extra` flags.
    pub fn start(dir: &Path, extra: &[&str]) -> Result<Self> {
        let mut args: Vec<String> = vec![
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--data-dir".into(),
            dir.join("data").display().to_string(),
            "--keypair".into(),
            dir.join("identity.json").display().to_string(),
            "--gc-interval-secs".into(),
            "0".into(),
        ];
        if !extra.contains(&"--rpc-url") {
            args.extend(["--rpc-url".into(), NO_CHAIN.into()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        Self::spawn(dir, args)
    }

    fn spawn(dir: &Path, args: Vec<String>) -> Result<Self> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_basalt-node"))
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("spawning basalt-node")?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep draining so the node never blocks on a full pipe.
            for _ in lines {}
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| anyhow!("basalt-node did not report its address within 30 s"))?;
        // "basalt-node listening on ADDR as ADDRESS"
        let words: Vec<&str> = line.split_whitespace().collect();
        let (Some(addr), Some(address)) = (words.get(3), words.get(5)) else {
            bail!("unexpected first line from basalt-node: {line}");
        };
        Ok(Self {
            addr: addr.parse()?,
            address: address.to_string(),
            child: Some(child),
            dir: dir.to_path_buf(),
            args,
        })
    }

    /// Base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends SIGTERM without waiting.
    pub fn terminate(&self) -> Result<()> {
        let child = self
            .child
            .as_ref()
            .ok_or_else(|| anyhow!("already stopped"))?;
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        if !status.success() {
            bail!("kill -TERM failed");
        }
        Ok(())
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop(&mut self) -> Result<ExitStatus> {
        self.terminate()?;
        self.stop_wait()
    }

    /// Waits for an exit already requested with [`Self::terminate`].
    pub fn stop_wait(&mut self) -> Result<ExitStatus> {
        let mut child = self
            .child
            .take()
            .ok_or_else(|| anyhow!("already stopped"))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                child.kill()?;
                bail!("node did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: a crash.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Starts the same node again (same directory, identity and flags, new port).
    pub fn restart(&mut self) -> Result<()> {
        if self.child.is_some() {
            bail!("stop or kill the node first");
        }
        let mut args = self.args.clone();
        if let Some(i) = args.iter().position(|a| a == "--listen") {
            args[i + 1] = "127.0.0.1:0".into();
        }
        *self = Self::spawn(&self.dir.clone(), args)?;
        Ok(())
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// A client holding a wallet key.
pub struct Client {
    pub http: reqwest::Client,
    pub key: SigningKey,
}

impl Client {
    pub fn new() -> Self {
        Self::with_key(SigningKey::generate(&mut OsRng))
    }

    pub fn with_key(key: SigningKey) -> Self {
        Self {
            http: reqwest::Client::new(),
            key,
        }
    }

    /// The signed headers for a request.
    pub fn auth(&self, method: &str, path: &str, body: &[u8]) -> RequestAuth {
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_millis() as u64;
        RequestAuth::sign(
            &self.key,
            method,
            path,
            blake3::hash(body).as_bytes(),
            now,
            nonce,
        )
    }

    /// Sends a request signed with `auth`.
    pub async fn send_with(
        &self,
        node: &NodeProcess,
        method: &str,
        path: &str,
        body: Vec<u8>,
        auth: &RequestAuth,
        headers: &[(&str, &str)],
    ) -> Result<reqwest::Response> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut req = self.http.request(method, format!("{}{path}", node.url()));
        for (name, value) in auth.headers() {
            req = req.header(name, value);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        Ok(req.body(body).send().await?)
    }

    /// `GET /v1/stats`, signed.
    pub async fn stats(&self, node: &NodeProcess) -> Result<basalt_core::wire::StatsAnswer> {
        Ok(self
            .send(node, "GET", "/v1/stats", vec![])
            .await?
            .json()
            .await?)
    }

    /// `GET /metrics` (unsigned, as a scraper asks).
    pub async fn metrics(&self, node: &NodeProcess) -> Result<String> {
        let url = format!("{}/metrics", node.url());
        Ok(self.http.get(url).send().await?.text().await?)
    }

    /// Checks that the node serves exactly each shard's header ‖ data.
    pub async fn expect_served<'a>(
        &self,
        node: &NodeProcess,
        shards: impl IntoIterator<Item = &'a (ShardHeader, Vec<u8>)>,
    ) -> Result<()> {
        for (h, body) in shards {
            let path = format!("/v1/shards/{}/{}/{}", h.blob, h.chunk, h.shard);
            let got = self.send(node, "GET", &path, vec![]).await?;
            let status = got.status();
            ensure!(status == reqwest::StatusCode::OK, "GET {path}: {status}");
            ensure!(
                got.bytes().await?.as_ref() == body.as_slice(),
                "GET {path}: bytes differ"
            );
        }
        Ok(())
    }

    /// Signs and sends a request.
    pub async fn send(
        &self,
        node: &NodeProcess,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> Result<reqwest::Response> {
        let auth = self.auth(method, path, &body);
        self.send_with(node, method, path, body, &auth, &[]).await
    }
}

/// A blob encoded into shards, each with its header, ready to upload.
pub struct TestBlob {
    /// The blob's id (as a tester's registration of the content would have it; these tests
    /// run without a chain).
    pub id: BlobId,
    pub manifest: BlobManifest,
    /// (header, header ‖ data) for every (chunk, shard), chunk-major.
    pub shards: Vec<(ShardHeader, Vec<u8>)>,
}

impl TestBlob {
    /// `size` random bytes in chunks of `chunk_size`, RS(k, m), not encrypted.
    pub fn random(size: usize, chunk_size: u32, k: u16, m: u16) -> Result<Self> {
        Self::random_with_id(size, chunk_size, k, m, |digest| {
            BlobId::from_bytes(basalt_core::proof::blob_id(b"tester", digest))
        })
    }

    /// As [`Self::random`], with the id a chain gives content of CID digest `digest`.
    pub fn random_with_id(
        size: usize,
        chunk_size: u32,
        k: u16,
        m: u16,
        id: impl FnOnce(&[u8; 32]) -> BlobId,
    ) -> Result<Self> {
        let mut data = vec![0u8; size];
        OsRng.fill_bytes(&mut data);
        let mut chunks = Vec::new();
        let manifest = encode_blob(&data, chunk_size, k, m, None, |c| chunks.push(c))?;
        let id = id(manifest.cid.digest());
        let mut shards = Vec::new();
        for chunk in &chunks {
            for (j, shard) in chunk.shards().enumerate() {
                let header = manifest
                    .shard_header(id, chunk.index, j as u16)
                    .expect("indices from the encoder");
                let mut body = header.encode().to_vec();
                body.extend_from_slice(shard);
                shards.push((header, body));
            }
        }
        Ok(Self {
            id,
            manifest,
            shards,
        })
    }

    /// The API path of shard (chunk, shard).
    pub fn path(&self, chunk: u32, shard: u16) -> String {
        basalt_core::wire::shard_path(&self.id, chunk, shard)
    }
}

/// Opens a raw HTTP/1.1 connection and sends a signed PUT of `body` whose headers promise
/// the whole body, but only its first half: the caller then finishes, stalls or drops it.
pub fn start_raw_put(
    node: &NodeProcess,
    path: &str,
    auth: &RequestAuth,
    body: &[u8],
) -> Result<std::net::TcpStream> {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(node.addr)?;
    let mut request = format!(
        "PUT {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
        node.addr,
        body.len()
    );
    for (name, value) in auth.headers() {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(&body[..body.len() / 2])?;
    Ok(stream)
}
