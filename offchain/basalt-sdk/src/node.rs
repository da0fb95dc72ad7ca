//! HTTP client of one storage node (`basalt-node`): every request signed with the caller's
//! wallet key (`basalt_core::auth`), every answer checked before it is believed. Routes and
//! answer bodies are `basalt_core::wire`, the types the node serves.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use basalt_core::wire::{self, ErrorAnswer, PutShardAnswer, StatsAnswer};
use basalt_core::{
    BlobId, BlobManifest, Caller, CheckedShard, Receipt, RequestKey, ShardHeader, HEADER_LEN,
};
use bytes::Bytes;
use rand_core::{OsRng, RngCore};
use reqwest::{Method, StatusCode};

/// Why a node call failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The node could not be reached, or the transfer broke off.
    #[error("storage node {url}: {source}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The node answered with an error (its [`ErrorAnswer`] body).
    #[error("storage node {url} answered {status}: {message}")]
    Refused {
        url: String,
        status: StatusCode,
        message: String,
    },
    /// The node answered success with something that does not check out.
    #[error("storage node {url} sent a bad answer: {why}")]
    BadAnswer { url: String, why: String },
    /// The node took longer than its peers' answers say it should (it may be alive but
    /// hung, or trickling): the caller stopped waiting.
    #[error(
        "storage node {url} did not answer within {after:?}, the bound its peers' answers set"
    )]
    Stalled { url: String, after: Duration },
    /// The node sent data that is not the committed shard (wrong length or Merkle root).
    #[error("storage node {url} sent corrupt data for chunk {chunk} shard {shard}")]
    CorruptShard { url: String, chunk: u32, shard: u16 },
}

impl NodeError {
    /// 404: the node does not hold it.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Refused { status, .. } if *status == StatusCode::NOT_FOUND)
    }

    /// The node sent data that does not match the blob's commitment.
    pub fn is_corrupt(&self) -> bool {
        matches!(self, Self::CorruptShard { .. })
    }

    /// The request ran out its time limit (the node may be alive but not answering).
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Transport { source, .. } => source.is_timeout(),
            Self::Stalled { .. } => true,
            _ => false,
        }
    }

    /// 403: the chain's ACL does not let this key read.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::Refused { status, .. } if *status == StatusCode::FORBIDDEN)
    }
}

/// One storage node, addressed by its base URL, spoken to with one wallet key.
#[derive(Clone)]
pub struct NodeClient {
    http: reqwest::Client,
    url: String,
    wallet: RequestKey,
}

impl NodeClient {
    /// A client of the node at `url` (e.g. `http://127.0.0.1:7001`) signing with `wallet`
    /// (an ed25519 key, or an EVM account's secp256k1 key).
    pub fn new(http: reqwest::Client, url: &str, wallet: impl Into<RequestKey>) -> Self {
        Self {
            http,
            url: url.trim_end_matches('/').to_owned(),
            wallet: wallet.into(),
        }
    }

    /// The node's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<reqwest::Response, NodeError> {
        let hash = blake3::hash(&body);
        self.send_hashed(method, path, body.into(), hash.as_bytes(), None, timeout)
            .await
    }

    /// [`Self::send`] for a body whose BLAKE3 hash the caller computed while building it;
    /// `content_length` is declared for a streamed body (a buffered one carries its own).
    async fn send_hashed(
        &self,
        method: Method,
        path: &str,
        body: reqwest::Body,
        body_hash: &[u8; 32],
        content_length: Option<usize>,
        timeout: Duration,
    ) -> Result<reqwest::Response, NodeError> {
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        let auth = self
            .wallet
            .sign(method.as_str(), path, body_hash, now_ms, nonce);
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .timeout(timeout)
            .body(body);
        if let Some(length) = content_length {
            request = request.header(reqwest::header::CONTENT_LENGTH, length);
        }
        for (name, value) in auth {
            request = request.header(name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|source| NodeError::Transport {
                url: self.url.clone(),
                source,
            })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let message = match response.json::<ErrorAnswer>().await {
            Ok(answer) => format!("{} ({})", answer.message, answer.error),
            Err(_) => "no error body".to_owned(),
        };
        Err(NodeError::Refused {
            url: self.url.clone(),
            status,
            message,
        })
    }

    async fn bytes(&self, response: reqwest::Response) -> Result<Vec<u8>, NodeError> {
        response
            .bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(|source| NodeError::Transport {
                url: self.url.clone(),
                source,
            })
    }

    fn bad(&self, why: impl Into<String>) -> NodeError {
        NodeError::BadAnswer {
            url: self.url.clone(),
            why: why.into(),
        }
    }

    /// Stores one shard and returns the node's receipt, checked: signed by `expected_node`
    /// over exactly this shard. Idempotent: putting the same shard again returns a receipt.
    ///
    /// # Errors
    ///
    /// [`NodeError`]; [`NodeError::BadAnswer`] when the receipt does not verify.
    pub async fn put_shard(
        &self,
        header: &ShardHeader,
        data: Bytes,
        expected_node: &[u8; 32],
        timeout: Duration,
    ) -> Result<Receipt, NodeError> {
        // The body is the header followed by `data`, sent as two pieces: `data` is usually
        // a view into the encoder's chunk buffer, and joining them would allocate and copy
        // every shard once more. The length is declared so the node sees a plain body.
        let head = Bytes::copy_from_slice(&header.encode());
        let length = head.len() + data.len();
        let mut hasher = blake3::Hasher::new();
        hasher.update(&head);
        hasher.update(&data);
        let pieces = futures::stream::iter([Ok::<_, std::io::Error>(head), Ok(data)]);
        let path = wire::shard_path(&header.blob, header.chunk, header.shard);
        let response = self
            .send_hashed(
                Method::PUT,
                &path,
                reqwest::Body::wrap_stream(pieces),
                hasher.finalize().as_bytes(),
                Some(length),
                timeout,
            )
            .await?;
        let answer: PutShardAnswer = response
            .json()
            .await
            .map_err(|e| self.bad(format!("not a put answer: {e}")))?;
        let receipt = answer.receipt().map_err(|e| self.bad(e.to_string()))?;
        receipt
            .verify(header)
            .map_err(|e| self.bad(format!("receipt does not verify: {e}")))?;
        if receipt.node.word() != *expected_node {
            return Err(self.bad(format!(
                "receipt signed by {}, but the chain lists {} at this endpoint",
                receipt.node,
                Caller::from_word(*expected_node)
            )));
        }
        Ok(receipt)
    }

    /// Fetches one shard of `blob`, whose manifest is `manifest`, and checks its data against
    /// the manifest's commitment, the only root that counts (the node's header is not
    /// trusted for it).
    ///
    /// # Errors
    ///
    /// [`NodeError`]; [`NodeError::CorruptShard`] when the data is not the committed shard,
    /// [`NodeError::BadAnswer`] for a malformed answer or another shard's header.
    pub async fn get_shard(
        &self,
        blob: &BlobId,
        manifest: &BlobManifest,
        chunk: u32,
        shard: u16,
        timeout: Duration,
    ) -> Result<CheckedShard, NodeError> {
        let path = wire::shard_path(blob, chunk, shard);
        let response = self.send(Method::GET, &path, Vec::new(), timeout).await?;
        let mut body = self.bytes(response).await?;
        let (header, _) = ShardHeader::decode(&body).map_err(|e| self.bad(e.to_string()))?;
        if header.blob != *blob || header.chunk != chunk || header.shard != shard {
            return Err(self.bad(format!(
                "asked for {blob}/{chunk}/{shard}, got another shard"
            )));
        }
        body.drain(..HEADER_LEN);
        manifest
            .check_shard(chunk, shard, body)
            .map_err(|_| NodeError::CorruptShard {
                url: self.url.clone(),
                chunk,
                shard,
            })
    }

    /// Stores a blob's manifest (encoded `basalt_core::StoredManifest`).
    ///
    /// # Errors
    ///
    /// [`NodeError`].
    pub async fn put_manifest(
        &self,
        blob: &BlobId,
        manifest: Vec<u8>,
        timeout: Duration,
    ) -> Result<(), NodeError> {
        self.send(Method::PUT, &wire::manifest_path(blob), manifest, timeout)
            .await?;
        Ok(())
    }

    /// Fetches a blob's manifest bytes (unchecked: the caller checks them against the chain).
    ///
    /// # Errors
    ///
    /// [`NodeError`].
    pub async fn get_manifest(
        &self,
        blob: &BlobId,
        timeout: Duration,
    ) -> Result<Vec<u8>, NodeError> {
        let path = wire::manifest_path(blob);
        let response = self.send(Method::GET, &path, Vec::new(), timeout).await?;
        self.bytes(response).await
    }

    /// Deletes one shard (owner, DELETE grantee, or the uploader before registration).
    ///
    /// # Errors
    ///
    /// [`NodeError`].
    pub async fn delete_shard(
        &self,
        blob: &BlobId,
        chunk: u32,
        shard: u16,
        timeout: Duration,
    ) -> Result<(), NodeError> {
        let path = wire::shard_path(blob, chunk, shard);
        self.send(Method::DELETE, &path, Vec::new(), timeout)
            .await?;
        Ok(())
    }

    /// Tells the node that `blob` is registered, so it looks for its placement (to accept
    /// it) now rather than at its next pass.
    ///
    /// # Errors
    ///
    /// [`NodeError`]; a node that received no shard of `blob` lately answers 404.
    pub async fn placement_registered(
        &self,
        blob: &BlobId,
        timeout: Duration,
    ) -> Result<(), NodeError> {
        self.send(
            Method::POST,
            &wire::placement_path(blob),
            Vec::new(),
            timeout,
        )
        .await?;
        Ok(())
    }

    /// The node's `/v1/stats` answer.
    ///
    /// # Errors
    ///
    /// [`NodeError`].
    pub async fn stats(&self, timeout: Duration) -> Result<StatsAnswer, NodeError> {
        let response = self
            .send(Method::GET, wire::STATS_ROUTE, Vec::new(), timeout)
            .await?;
        response
            .json()
            .await
            .map_err(|e| self.bad(format!("not a stats answer: {e}")))
    }
}
