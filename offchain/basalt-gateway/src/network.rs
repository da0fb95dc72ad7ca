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

use basalt::anchor_lang::prelude::Pubkey;
use basalt_core::encryption::TAG_LEN;
use basalt_core::proof::layout::{DEFAULT_K, DEFAULT_M};
use basalt_core::{BlobId, BlobLayout};
use basalt_sdk::{ChainClient, GetOptions, PutOptions};
use bytes::Bytes;
use futures::Stream;
use solana_keypair::Keypair;
use tokio::sync::mpsc;

use crate::config::StorageConfig;
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
        }
    }

    pub fn chain(&self) -> &ChainClient {
        &self.chain
    }

    /// Stores the spooled body as `wallet`'s blobs, one per piece, each beginning with
    /// `record` naming its place. On a failure, the pieces already stored are deleted.
    ///
    /// # Errors
    ///
    /// [`NetworkError::Put`] (nothing of the object is left registered), a record over its
    /// size limit.
    pub async fn store(
        &self,
        wallet: &Arc<Keypair>,
        spool: &Spool,
        record: &ObjectRecord,
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
            match self.store_blob(wallet, header, body).await {
                Ok((blob, offset)) => stored.push(Piece { blob, offset, len }),
                Err(source) => {
                    // Best effort: whatever stays behind is found by recovery.
                    let _ = self.delete(wallet, &stored).await;
                    return Err(NetworkError::Put {
                        piece,
                        pieces,
                        source,
                    });
                }
            }
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
    ) -> Result<Piece, NetworkError> {
        let header = record.encode()?;
        let (blob, offset) = self
            .store_blob(wallet, header, Body::Inline(body))
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
        let report = basalt_sdk::put(&self.chain, wallet, open, size, &self.put, |_| {}).await?;
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
    /// The first piece's read failed before any byte of it arrived.
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
        let (tx, mut rx) = mpsc::channel(GET_FRAMES);
        let (chain, wallet, options) = (
            Arc::clone(&self.chain),
            Arc::clone(wallet),
            self.get.clone(),
        );
        let task = tokio::spawn(async move {
            for (id, local) in reads {
                let options = GetOptions {
                    range: Some(local),
                    ..options.clone()
                };
                let out = FrameWriter(tx.clone());
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

    /// Deletes the blobs of `pieces` (their deals settled and refunded to the wallet).
    ///
    /// # Errors
    ///
    /// The first deletion that failed; the others are still attempted.
    pub async fn delete(
        &self,
        wallet: &Arc<Keypair>,
        pieces: &[Piece],
    ) -> Result<(), NetworkError> {
        let mut first_error = None;
        for piece in pieces {
            let result = match piece.blob.parse::<BlobId>() {
                Ok(id) => basalt_sdk::access::delete(&self.chain, wallet, &id)
                    .await
                    .map(drop)
                    .map_err(|source| NetworkError::Delete {
                        blob: piece.blob.clone(),
                        source,
                    }),
                Err(_) => Err(NetworkError::BadBlobId(piece.blob.clone())),
            };
            if let Err(e) = result {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// The most object bytes one blob of this code holds after its record: what one proof
/// transaction covers (`BlobLayout::max_size`), less the encryption tags and the record.
fn max_piece(chunk_size: u32, k: u16, m: u16) -> u64 {
    let stored = BlobLayout::max_size(chunk_size, k, m);
    let tags = stored.div_ceil(u64::from(chunk_size)) * TAG_LEN as u64;
    let record = (MAX_RECORD_LEN + MAGIC.len() + 4) as u64;
    stored.saturating_sub(tags + record).max(1)
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
/// (the client hung up) ends the read.
struct FrameWriter(mpsc::Sender<Result<Bytes, NetworkError>>);

impl std::io::Write for FrameWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client left"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Aborts the read when the response is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

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
