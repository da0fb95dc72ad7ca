//! Streaming put path: bytes in, encrypted and erasure-coded shards out, one chunk at a time.
//!
//! Memory stays at one chunk's shards however long the input is: a 10 GiB file is read
//! 4 MiB at a time into the chunk's shard buffer, sealed where it lies, coded, hashed and
//! handed out before the next chunk is read.

use std::io::{self, Read};

use basalt_proof::{BlobLayout, Hash, LayoutError};

use crate::blob_id::BlobId;
use crate::cid::{Cid, CidHasher};
use crate::encryption::{ChunkCipher, DataKey, TAG_LEN};
use crate::erasure::{ErasureCodec, ErasureError};
use crate::header::ShardHeader;
use crate::merkle::{shard_root, BlobCommitment};

/// A failure while encoding.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("invalid blob layout: {0}")]
    Layout(#[from] LayoutError),
    #[error("chunk size {0} leaves no room for plaintext after the {TAG_LEN}-byte tag")]
    ChunkTooSmallForTag(u32),
    #[error("input ended after {read} bytes; {expected} were announced")]
    Truncated { read: u64, expected: u64 },
    #[error("input is longer than the {expected} bytes announced")]
    TrailingData { expected: u64 },
    #[error("reading input: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Erasure(#[from] ErasureError),
    #[error("finish() called before every chunk was taken ({done} of {total})")]
    Unfinished { done: u32, total: u32 },
}

/// Stored size of a `plain_size`-byte input: the same for public blobs, plus one tag per
/// chunk for encrypted ones (an empty encrypted blob still has one chunk: its tag proves
/// the stream ended there).
///
/// # Errors
///
/// [`EncodeError::ChunkTooSmallForTag`] if an encrypted chunk cannot hold a tag.
pub fn stored_size(plain_size: u64, chunk_size: u32, encrypted: bool) -> Result<u64, EncodeError> {
    if !encrypted {
        return Ok(plain_size);
    }
    let per_chunk = u64::from(chunk_size)
        .checked_sub(TAG_LEN as u64)
        .filter(|p| *p > 0)
        .ok_or(EncodeError::ChunkTooSmallForTag(chunk_size))?;
    let chunks = plain_size.div_ceil(per_chunk).max(1);
    Ok(plain_size + chunks * TAG_LEN as u64)
}

/// Plaintext size of a blob stored as `stored` bytes in `chunk_count` chunks: the inverse
/// of [`stored_size`] (each encrypted chunk carries one tag).
pub fn plain_size(stored: u64, chunk_count: u32, encrypted: bool) -> u64 {
    if !encrypted {
        return stored;
    }
    stored.saturating_sub(u64::from(chunk_count) * TAG_LEN as u64)
}

/// The shards of one chunk, in one buffer.
#[derive(Debug)]
pub struct EncodedChunk {
    /// Chunk index.
    pub index: u32,
    /// Length of each shard.
    pub shard_len: usize,
    // INV: buf.len() = roots.len() * shard_len; shard j is buf[j * shard_len..][..shard_len].
    buf: Vec<u8>,
    /// Merkle root of each shard.
    pub roots: Vec<Hash>,
}

impl EncodedChunk {
    /// Shard `j` (data for `j < k`, parity after).
    pub fn shard(&self, j: usize) -> &[u8] {
        &self.buf[j * self.shard_len..(j + 1) * self.shard_len]
    }
    /// Every shard in index order.
    pub fn shards(&self) -> impl Iterator<Item = &[u8]> {
        self.buf.chunks_exact(self.shard_len)
    }
}

/// What a finished encode commits to: the CID and every root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobManifest {
    /// BLAKE3 CID of the stored bytes.
    pub cid: Cid,
    /// Whether the stored bytes are ciphertext.
    pub encrypted: bool,
    /// Input length before encryption.
    pub plain_size: u64,
    /// Layout, shard roots, column roots and commitment root.
    pub commitment: BlobCommitment,
}

/// Shard data that [`BlobManifest::check_shard`] found to be the committed shard at its
/// position: the type carries the check, so decoding does not repeat it.
#[derive(Debug, Clone)]
pub struct CheckedShard {
    // INV: data is exactly shard `shard` of chunk `chunk` of blob `blob` as its manifest
    // commits (length and Merkle root); only `check_shard` builds this value.
    blob: Cid,
    chunk: u32,
    shard: u16,
    data: Vec<u8>,
}

impl CheckedShard {
    /// (blob, chunk, shard index) the data was checked as.
    pub fn position(&self) -> (Cid, u32, u16) {
        (self.blob, self.chunk, self.shard)
    }

    /// The shard data.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The shard data, unwrapped.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }
}

impl BlobManifest {
    /// The blob's layout.
    pub fn layout(&self) -> &BlobLayout {
        self.commitment.layout()
    }

    /// Whether `data` is exactly shard `shard` of chunk `chunk` as committed (right length,
    /// right Merkle root). Needs no data key.
    pub fn verify_shard(&self, chunk: u32, shard: u16, data: &[u8]) -> bool {
        let layout = self.layout();
        data.len() == layout.shard_len(chunk) as usize
            && Some(shard_root(data, layout.leaf_size() as usize))
                == self.commitment.shard_root(chunk, shard)
    }

    /// Checks `data` as shard `shard` of chunk `chunk` (as [`Self::verify_shard`]) and, when
    /// it passes, wraps it so that [`crate::ChunkDecoder::decode_checked`] need not hash
    /// it again.
    ///
    /// # Errors
    ///
    /// Gives `data` back when it is not the committed shard.
    pub fn check_shard(
        &self,
        chunk: u32,
        shard: u16,
        data: Vec<u8>,
    ) -> Result<CheckedShard, Vec<u8>> {
        if self.verify_shard(chunk, shard, &data) {
            Ok(CheckedShard {
                blob: self.cid,
                chunk,
                shard,
                data,
            })
        } else {
            Err(data)
        }
    }

    /// The header that goes in front of shard `shard` of chunk `chunk` of `blob` (the
    /// owner's registration of this content), on disk and on the wire; `None` if either
    /// index is out of range.
    pub fn shard_header(&self, blob: BlobId, chunk: u32, shard: u16) -> Option<ShardHeader> {
        Some(ShardHeader {
            blob,
            layout: *self.layout(),
            encrypted: self.encrypted,
            chunk,
            shard,
            shard_root: self.commitment.shard_root(chunk, shard)?,
        })
    }
}

/// Encodes a byte stream of known length into chunks of shards.
pub struct BlobEncoder<R> {
    reader: R,
    layout: BlobLayout,
    cipher: Option<ChunkCipher>,
    codec: ErasureCodec,
    plain_size: u64,
    // INV: plain_read = plaintext bytes consumed so far; next = chunks handed out so far.
    plain_read: u64,
    next: u32,
    cid: CidHasher,
    shard_roots: Vec<Hash>,
}

impl<R: Read> BlobEncoder<R> {
    /// An encoder for `plain_size` bytes from `reader`, coded RS(`k`, `m`) in `chunk_size`
    /// stored chunks, encrypted under `key` if given. The leaf size is the largest whose
    /// proof fits in one transaction ([`BlobLayout::new`]).
    ///
    /// # Errors
    ///
    /// [`EncodeError::Layout`] for parameters no layout accepts (including blobs too large to
    /// prove in one transaction), [`EncodeError::ChunkTooSmallForTag`], or an erasure setup
    /// error.
    pub fn new(
        reader: R,
        plain_size: u64,
        chunk_size: u32,
        k: u16,
        m: u16,
        key: Option<&DataKey>,
    ) -> Result<Self, EncodeError> {
        let size = stored_size(plain_size, chunk_size, key.is_some())?;
        let layout = BlobLayout::new(size, chunk_size, k, m)?;
        Ok(Self {
            reader,
            layout,
            cipher: key.map(DataKey::cipher),
            codec: ErasureCodec::new(k, m)?,
            plain_size,
            plain_read: 0,
            next: 0,
            cid: CidHasher::new(),
            shard_roots: Vec::with_capacity(layout.chunk_count() as usize * usize::from(k + m)),
        })
    }

    /// The layout being produced.
    pub fn layout(&self) -> &BlobLayout {
        &self.layout
    }

    /// Reads, seals and codes the next chunk; `None` after the last.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Truncated`] if the input ends early, [`EncodeError::Io`] on a read
    /// error, or an erasure error.
    pub fn next_chunk(&mut self) -> Result<Option<EncodedChunk>, EncodeError> {
        let index = self.next;
        if index >= self.layout.chunk_count() {
            return Ok(None);
        }
        let n = usize::from(self.layout.total_shards());
        let shard_len = self.layout.shard_len(index) as usize;
        let mut buf = vec![0u8; n * shard_len];
        self.read_sealed(index, &mut buf)?;
        self.cid
            .update(&buf[..self.layout.chunk_len(index) as usize]);
        self.codec.encode(&mut buf, shard_len)?;
        let leaf_size = self.layout.leaf_size() as usize;
        let roots: Vec<Hash> = buf
            .chunks_exact(shard_len)
            .map(|s| shard_root(s, leaf_size))
            .collect();
        self.shard_roots.extend_from_slice(&roots);
        self.next += 1;
        Ok(Some(EncodedChunk {
            index,
            shard_len,
            buf,
            roots,
        }))
    }

    /// Reads, seals and hashes the rest of the input without erasure coding, and returns
    /// the blob's CID: the first pass of a streaming put, which must name the blob in every
    /// shard header before the first shard is sent. Sealing is deterministic for a given
    /// key, so a second encoder over the same input and key produces the same CID.
    ///
    /// Runs on two threads: this one reads and seals chunk `i + 1` while a second hashes
    /// chunk `i`. Nothing else can start before this pass ends, and on one thread it left
    /// the second core idle: reading, AES-GCM and BLAKE3 took about a third of the pass each
    /// (perf, 1 GiB put through the local network), so the pass now takes about as long as
    /// reading and sealing alone. Three chunk buffers at most are alive at once.
    ///
    /// # Errors
    ///
    /// As [`BlobEncoder::next_chunk`] and [`BlobEncoder::finish`].
    pub fn into_cid(mut self) -> Result<Cid, EncodeError> {
        let mut cid = std::mem::take(&mut self.cid);
        let chunks = self.layout.chunk_count();
        std::thread::scope(|scope| {
            // INV: at most one sealed chunk waits in `full` and one is being hashed, so with
            // the one being sealed, at most three buffers exist.
            let (full, to_hash) = std::sync::mpsc::sync_channel::<Vec<u8>>(1);
            let (recycle, hashed) = std::sync::mpsc::channel::<Vec<u8>>();
            let hashing = scope.spawn(move || {
                for buf in to_hash {
                    cid.update(&buf);
                    // The sealer may have stopped on an error: then nobody takes it back.
                    let _ = recycle.send(buf);
                }
                cid
            });
            let sealing = (|| {
                while self.next < chunks {
                    let mut buf = hashed.try_recv().unwrap_or_default();
                    buf.resize(self.layout.chunk_len(self.next) as usize, 0);
                    self.read_sealed(self.next, &mut buf)?;
                    self.next += 1;
                    if full.send(buf).is_err() {
                        break; // the hashing thread panicked; joining it below says so
                    }
                }
                self.check_input_ended()
            })();
            drop(full);
            let cid = hashing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            sealing.map(|()| cid.finish())
        })
    }

    /// Checks the input ended where announced and returns the manifest.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unfinished`] if chunks remain, [`EncodeError::TrailingData`] if the
    /// input has more bytes than announced.
    pub fn finish(mut self) -> Result<BlobManifest, EncodeError> {
        if self.next < self.layout.chunk_count() {
            return Err(EncodeError::Unfinished {
                done: self.next,
                total: self.layout.chunk_count(),
            });
        }
        self.check_input_ended()?;
        Ok(BlobManifest {
            cid: self.cid.finish(),
            encrypted: self.cipher.is_some(),
            plain_size: self.plain_size,
            commitment: BlobCommitment::from_shard_roots(self.layout, self.shard_roots),
        })
    }

    /// Reads chunk `index`'s plaintext into the front of `buf` (at least the chunk's
    /// length) and seals it in place when encrypting: `buf[..chunk_len]` is then the stored
    /// bytes, which the caller adds to the CID.
    fn read_sealed(&mut self, index: u32, buf: &mut [u8]) -> Result<(), EncodeError> {
        let chunk_len = self.layout.chunk_len(index) as usize;
        let plain_len = if self.cipher.is_some() {
            chunk_len - TAG_LEN
        } else {
            chunk_len
        };
        self.read_exact(&mut buf[..plain_len])?;
        let last = index + 1 == self.layout.chunk_count();
        if let Some(cipher) = &self.cipher {
            cipher
                .seal_in_place(index, last, &mut buf[..chunk_len])
                .expect("chunk_len includes the tag");
        }
        Ok(())
    }

    fn check_input_ended(&mut self) -> Result<(), EncodeError> {
        let mut probe = [0u8; 1];
        loop {
            match self.reader.read(&mut probe) {
                Ok(0) => return Ok(()),
                Ok(_) => {
                    return Err(EncodeError::TrailingData {
                        expected: self.plain_size,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn read_exact(&mut self, mut dst: &mut [u8]) -> Result<(), EncodeError> {
        while !dst.is_empty() {
            match self.reader.read(dst) {
                Ok(0) => {
                    return Err(EncodeError::Truncated {
                        read: self.plain_read,
                        expected: self.plain_size,
                    })
                }
                Ok(read) => {
                    self.plain_read += read as u64;
                    dst = &mut dst[read..];
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// Encodes an in-memory blob whole: the put pipeline (encrypt, code, hash, CID) without I/O.
/// Calls `sink` with every chunk as it is produced.
///
/// # Errors
///
/// As [`BlobEncoder::new`] and [`BlobEncoder::next_chunk`].
pub fn encode_blob(
    data: &[u8],
    chunk_size: u32,
    k: u16,
    m: u16,
    key: Option<&DataKey>,
    mut sink: impl FnMut(EncodedChunk),
) -> Result<BlobManifest, EncodeError> {
    let mut encoder = BlobEncoder::new(data, data.len() as u64, chunk_size, k, m, key)?;
    while let Some(chunk) = encoder.next_chunk()? {
        sink(chunk);
    }
    encoder.finish()
}
