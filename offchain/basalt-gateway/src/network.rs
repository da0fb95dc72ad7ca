//! An object's bytes on the network: stored as one blob per piece, each beginning with its
//! object record ([`crate::record`]); read back as one stream of a byte range across the
//! pieces; deleted with their deals refunded. Everything goes through the SDK's `put`,
//! `get` and `delete`, so an object is encrypted, erasure-coded, placed, registered and paid
//! for exactly as `basalt put` stores a file.

use std::ops::Range;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use basalt::anchor_lang::prelude::Pubkey;
use basalt_core::encryption::TAG_LEN;
use basalt_core::proof::layout::{DEFAULT_K, DEFAULT_M};
use basalt_core::{BlobId, BlobLayout};
use basalt_sdk::get::MemoryWriter;
use basalt_sdk::{BeforeRegister, ChainClient, GetOptions, PutOptions};
use bytes::Bytes;
use futures::Stream;
use solana_keypair::Keypair;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::SendTimeoutError;

use crate::config::{ConfigError, GatewayConfig, StorageConfig};
use crate::index::Piece;
use crate::record::{ObjectRecord, RecordError, MAGIC, MAX_RECORD_LEN};
use crate::spool::Spool;

/// Frames of a GET in flight between the SDK's reader and the response: with the SDK's
/// own window of chunks, what a download holds in memory.
const GET_FRAMES: usize = 2;

/// The network the gateway stores into, and how.
pub struct Network {
    chain: Arc<ChainClient>,
    put: PutOptions,
    get: GetOptions,
    // INV: 0 < piece_size, and a piece plus its record is a blob the network proves
    piece_size: u64,
    /// A GET whose client takes nothing for this long is cut.
    idle: Duration,
    /// One permit per blob stored at once (`storage.concurrent_puts`).
    puts: tokio::sync::Semaphore,
    /// Object reads streamed at once (`storage.concurrent_gets`).
    gets: ReadTurns,
}

/// Turns for streaming object reads: at most so many at once, each held by its read's
/// task until the read ends or its client goes; a read waits at most `wait` for one.
struct ReadTurns {
    // INV: never closed
    turns: Arc<tokio::sync::Semaphore>,
    wait: Duration,
}

impl ReadTurns {
    fn new(at_once: usize, wait: Duration) -> Self {
        Self {
            turns: Arc::new(tokio::sync::Semaphore::new(at_once.max(1))),
            wait,
        }
    }

    /// # Errors
    ///
    /// [`NetworkError::Busy`] when no turn came free within the wait.
    async fn take(&self) -> Result<tokio::sync::OwnedSemaphorePermit, NetworkError> {
        match tokio::time::timeout(self.wait, Arc::clone(&self.turns).acquire_owned()).await {
            Ok(Ok(turn)) => Ok(turn),
            Ok(Err(_)) | Err(_) => Err(NetworkError::Busy(self.wait)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("storing piece {piece} of {pieces}: {source}")]
    Put {
        piece: u32,
        pieces: u32,
        source: basalt_sdk::PutError,
    },
    #[error("reading blob {blob}: {source}")]
    Get {
        blob: String,
        source: basalt_sdk::GetError,
    },
    #[error("deleting blob {blob}: {source}")]
    Delete {
        blob: String,
        source: basalt_sdk::GetError,
    },
    #[error("every object read allowed at once is streaming, and none ended within {0:?}")]
    Busy(Duration),
    #[error("the index names {0:?}, which is not a blob id")]
    BadBlobId(String),
    #[error("an object of {size} bytes needs more than {max} pieces")]
    TooManyPieces { size: u64, max: u32 },
    #[error(transparent)]
    Record(#[from] RecordError),
}

impl Network {
    /// A network reached through `chain`, storing as `storage` says.
    pub fn new(
        chain: Arc<ChainClient>,
        storage: &StorageConfig,
        lookup_table: Option<Pubkey>,
        idle: Duration,
    ) -> Self {
        let put = PutOptions {
            k: storage.k,
            m: storage.m,
            epochs: storage.epochs,
            price_per_shard_epoch: storage.price_per_shard_epoch,
            lookup_table,
            ..PutOptions::default()
        };
        Self {
            chain,
            put,
            get: GetOptions::default(),
            piece_size: storage.piece_size.clamp(
                1,
                max_piece(
                    PutOptions::default().chunk_size,
                    storage.k.unwrap_or(DEFAULT_K),
                    storage.m.unwrap_or(DEFAULT_M),
                ),
            ),
            idle,
            puts: tokio::sync::Semaphore::new(storage.concurrent_puts.max(1)),
            gets: ReadTurns::new(storage.concurrent_gets, idle),
        }
    }

    /// The network `config` names, stored into as it says.
    ///
    /// # Errors
    ///
    /// [`ConfigError::LookupTable`].
    pub fn from_config(config: &GatewayConfig) -> Result<Self, ConfigError> {
        let chain = Arc::new(ChainClient::new(&config.url));
        let idle = Duration::from_secs(config.limits.idle_timeout_secs);
        Ok(Self::new(
            chain,
            &config.storage,
            config.lookup_table_address()?,
            idle,
        ))
    }

    pub fn chain(&self) -> &ChainClient {
        &self.chain
    }

    /// Stores the spooled body as `wallet`'s blobs, one per piece, each beginning with
    /// `record` naming its place; `before_register` is told each blob's id before it is
    /// registered (on a failure, the blobs it was told of are the caller's to delete).
    ///
    /// # Errors
    ///
    /// [`NetworkError::Put`], a record over its size limit.
    pub async fn store(
        &self,
        wallet: &Arc<Keypair>,
        spool: &Spool,
        record: &ObjectRecord,
        before_register: &BeforeRegister,
    ) -> Result<Vec<Piece>, NetworkError> {
        let count = spool.size.div_ceil(self.piece_size).max(1);
        let pieces = u32::try_from(count).map_err(|_| NetworkError::TooManyPieces {
            size: spool.size,
            max: u32::MAX,
        })?;
        let mut stored = Vec::new();
        for piece in 0..pieces {
            let offset = u64::from(piece) * self.piece_size;
            let len = self.piece_size.min(spool.size - offset);
            let header = ObjectRecord {
                piece,
                pieces,
                ..record.clone()
            }
            .encode()?;
            let body = Body::Spooled {
                path: spool.path().to_owned(),
                offset,
                len,
            };
            let (blob, offset) = self
                .store_blob(wallet, header, body, before_register)
                .await
                .map_err(|source| NetworkError::Put {
                    piece,
                    pieces,
                    source,
                })?;
            stored.push(Piece { blob, offset, len });
        }
        Ok(stored)
    }

    /// Stores `record` as a blob of its own whose bytes after the record are `body`, not
    /// object bytes (a multipart upload's completion: its parts' blob ids). Returns it as a
    /// piece holding none of the object.
    ///
    /// # Errors
    ///
    /// [`NetworkError::Put`]; a record over its size limit.
    pub async fn store_record(
        &self,
        wallet: &Arc<Keypair>,
        record: &ObjectRecord,
        body: Vec<u8>,
        before_register: &BeforeRegister,
    ) -> Result<Piece, NetworkError> {
        let header = record.encode()?;
        let (blob, offset) = self
            .store_blob(wallet, header, Body::Inline(body), before_register)
            .await
            .map_err(|source| NetworkError::Put {
                piece: record.piece,
                pieces: record.pieces,
                source,
            })?;
        Ok(Piece {
            blob,
            offset,
            len: 0,
        })
    }

    /// Stores `header` followed by `body` as one blob of `wallet`'s; returns its id and
    /// where the body ends.
    async fn store_blob(
        &self,
        wallet: &Arc<Keypair>,
        header: Vec<u8>,
        body: Body,
        before_register: &BeforeRegister,
    ) -> Result<(String, u64), basalt_sdk::PutError> {
        let size = header.len() as u64 + body.len();
        let end_of_record = match &body {
            Body::Spooled { .. } => header.len() as u64,
            Body::Inline(_) => size,
        };
        let header = Arc::new(header);
        let open = move || {
            let head = std::io::Cursor::new(Arc::clone(&header).to_vec());
            let rest: Box<dyn std::io::Read + Send> = match &body {
                Body::Spooled { path, offset, len } => {
                    Box::new(Spool::read_range(path, *offset, *len)?)
                }
                Body::Inline(bytes) => Box::new(std::io::Cursor::new(bytes.clone())),
            };
            Ok(std::io::Read::chain(head, rest))
        };
        let options = PutOptions {
            before_register: Some(before_register.clone()),
            ..self.put.clone()
        };
        // INV: the semaphore is never closed.
        let _turn = self.puts.acquire().await.ok();
        let report = basalt_sdk::put(&self.chain, wallet, open, size, &options, |_| {}).await?;
        if !report.fully_accepted() {
            tracing::warn!(
                blob = %report.id,
                accepted = report.accepted,
                holders = report.providers.len(),
                "not every holder accepted its shard before the put returned"
            );
        }
        Ok((report.id.to_string(), end_of_record))
    }

    /// Bytes `range` of the object stored as `pieces`, as a stream, read as `wallet`.
    /// The first frame (or the first failure) is awaited before returning, so a blob that
    /// cannot be read is an error, not a response that breaks off at its first byte.
    ///
    /// # Errors
    ///
    /// [`NetworkError::Busy`] when no read ended within the idle timeout while
    /// `storage.concurrent_gets` streamed; otherwise the first piece's read failed before
    /// any byte of it arrived.
    pub async fn read(
        &self,
        wallet: &Arc<Keypair>,
        pieces: &[Piece],
        range: Range<u64>,
    ) -> Result<ObjectStream, NetworkError> {
        let mut reads = Vec::new();
        let mut start = 0u64;
        for piece in pieces {
            let end = start + piece.len;
            let (from, to) = (range.start.max(start), range.end.min(end));
            if from < to {
                let id = piece
                    .blob
                    .parse::<BlobId>()
                    .map_err(|_| NetworkError::BadBlobId(piece.blob.clone()))?;
                let local = piece.offset + (from - start)..piece.offset + (to - start);
                reads.push((id, local));
            }
            start = end;
        }
        let turn = self.gets.take().await?;
        let (tx, mut rx) = mpsc::channel(GET_FRAMES);
        let (chain, wallet, options, idle) = (
            Arc::clone(&self.chain),
            Arc::clone(wallet),
            self.get.clone(),
            self.idle,
        );
        let runtime = tokio::runtime::Handle::current();
        let task = tokio::spawn(async move {
            // The turn ends with the task: when the last frame is handed over, the
            // client goes (the stream aborts the task) or a read fails.
            let _turn = turn;
            for (id, local) in reads {
                let options = GetOptions {
                    range: Some(local),
                    ..options.clone()
                };
                let out = FrameWriter {
                    tx: tx.clone(),
                    runtime: runtime.clone(),
                    idle,
                };
                if let Err(source) =
                    basalt_sdk::get(&chain, &wallet, &id, out, &options, |_| {}).await
                {
                    let error = NetworkError::Get {
                        blob: id.to_string(),
                        source,
                    };
                    let _ = tx.send(Err(error)).await;
                    return;
                }
            }
        });
        let first = match rx.recv().await {
            Some(Err(error)) => return Err(error),
            other => other,
        };
        Ok(ObjectStream {
            first: first.map(|f| f.map_err(std::io::Error::other)),
            rx,
            _task: AbortOnDrop(task),
        })
    }

    /// The object record `blob` (of `plain` plaintext bytes) begins with, where the bytes
    /// after it begin, and, for a multipart completion record, the parts' blob ids it
    /// lists. `None` for a blob that is not a gateway object (stored by `basalt put`, say).
    ///
    /// # Errors
    ///
    /// [`NetworkError::Get`] when the blob cannot be read; a completion record whose list
    /// does not decode.
    pub async fn read_record(
        &self,
        wallet: &Arc<Keypair>,
        blob: &BlobId,
        plain: u64,
    ) -> Result<Option<(ObjectRecord, u64, Vec<String>)>, NetworkError> {
        let head = self
            .read_bytes(wallet, blob, 0..plain.min(MAX_HEADER_LEN))
            .await?;
        let (record, offset) = match ObjectRecord::decode(&head) {
            Ok(found) => found,
            Err(RecordError::NotARecord) => return Ok(None),
            Err(e) => {
                tracing::warn!(%blob, "a blob with a malformed object record: {e}");
                return Ok(None);
            }
        };
        let offset = offset as u64;
        let mut parts = Vec::new();
        if record.upload.is_some() && record.part.is_none() {
            let list = if plain <= MAX_HEADER_LEN {
                head[offset as usize..].to_vec()
            } else {
                self.read_bytes(wallet, blob, offset..plain).await?
            };
            parts = serde_json::from_slice(&list)
                .map_err(|e| RecordError::Malformed(format!("a completion's parts: {e}")))?;
        }
        Ok(Some((record, offset, parts)))
    }

    /// Bytes `range` of `blob`, in memory.
    async fn read_bytes(
        &self,
        wallet: &Keypair,
        blob: &BlobId,
        range: Range<u64>,
    ) -> Result<Vec<u8>, NetworkError> {
        let options = GetOptions {
            range: Some(range),
            ..self.get.clone()
        };
        let out = MemoryWriter::default();
        basalt_sdk::get(&self.chain, wallet, blob, out.clone(), &options, |_| {})
            .await
            .map_err(|source| NetworkError::Get {
                blob: blob.to_string(),
                source,
            })?;
        Ok(out.take())
    }

    /// Deletes `wallet`'s blob `blob` (its deal settled and refunded to the wallet).
    /// Returns whether it was registered: deleting a blob that is not is no error.
    ///
    /// # Errors
    ///
    /// [`NetworkError::BadBlobId`], or the deletion's failure.
    pub async fn delete(&self, wallet: &Keypair, blob: &str) -> Result<bool, NetworkError> {
        let id = blob
            .parse::<BlobId>()
            .map_err(|_| NetworkError::BadBlobId(blob.to_owned()))?;
        match basalt_sdk::access::delete(&self.chain, wallet, &id).await {
            Ok(_) => Ok(true),
            Err(basalt_sdk::GetError::NotFound(_)) => Ok(false),
            Err(source) => Err(NetworkError::Delete {
                blob: blob.to_owned(),
                source,
            }),
        }
    }
}

/// The longest header a blob can begin with: the magic, the length, the record.
const MAX_HEADER_LEN: u64 = (MAGIC.len() + 4 + MAX_RECORD_LEN) as u64;

/// The most object bytes one blob of this code holds after its record: what one proof
/// transaction covers (`BlobLayout::max_size`), less the encryption tags and the record.
fn max_piece(chunk_size: u32, k: u16, m: u16) -> u64 {
    let stored = BlobLayout::max_size(chunk_size, k, m);
    let tags = stored.div_ceil(u64::from(chunk_size)) * TAG_LEN as u64;
    stored.saturating_sub(tags + MAX_HEADER_LEN).max(1)
}

/// What follows a blob's record.
enum Body {
    /// Bytes `offset..offset + len` of a spooled request body.
    Spooled {
        path: PathBuf,
        offset: u64,
        len: u64,
    },
    /// Bytes at hand.
    Inline(Vec<u8>),
}

impl Body {
    fn len(&self) -> u64 {
        match self {
            Self::Spooled { len, .. } => *len,
            Self::Inline(bytes) => bytes.len() as u64,
        }
    }
}

/// The SDK's reader writes the decoded bytes here (on a blocking thread): each write is one
/// frame of the response, waiting while [`GET_FRAMES`] are unsent. A response that is gone
/// (the client hung up) or that its client stopped reading for `idle` ends the read.
struct FrameWriter {
    tx: mpsc::Sender<Result<Bytes, NetworkError>>,
    runtime: tokio::runtime::Handle,
    idle: Duration,
}

impl std::io::Write for FrameWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let frame = Ok(Bytes::copy_from_slice(buf));
        self.runtime
            .block_on(self.tx.send_timeout(frame, self.idle))
            .map_err(|e| match e {
                SendTimeoutError::Timeout(_) => {
                    std::io::Error::new(std::io::ErrorKind::TimedOut, "the client stopped reading")
                }
                SendTimeoutError::Closed(_) => {
                    std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client left")
                }
            })?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Aborts a task when dropped (a read when its response is).
pub(crate) struct AbortOnDrop(pub(crate) tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// An object's bytes as they are read: a response body.
pub struct ObjectStream {
    first: Option<std::io::Result<Bytes>>,
    rx: mpsc::Receiver<Result<Bytes, NetworkError>>,
    _task: AbortOnDrop,
}

impl Stream for ObjectStream {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(first));
        }
        self.rx
            .poll_recv(cx)
            .map(|frame| frame.map(|f| f.map_err(std::io::Error::other)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_read_past_the_limit_waits_for_a_turn_or_is_told_busy() -> Result<(), NetworkError> {
        let wait = Duration::from_millis(200);
        let turns = ReadTurns::new(2, wait);
        let first = turns.take().await?;
        let _second = turns.take().await?;
        // Both turns are out: a third read waits its while, then is refused.
        match turns.take().await {
            Err(NetworkError::Busy(waited)) => assert_eq!(waited, wait),
            other => panic!("a third read at once should be busy, got {other:?}"),
        }
        // A read that ends hands its turn to one that waits.
        let waiting = tokio::spawn(async move { turns.take().await.map(drop) });
        tokio::time::sleep(wait / 4).await;
        drop(first);
        waiting.await.expect("the waiting read's task")?;
        Ok(())
    }
}
