//! Streaming get path: shards in, verified, decoded and decrypted bytes out.

use std::io::{self, Read};

use crate::cid::CidHasher;
use crate::encoder::{BlobManifest, CheckedShard};
use crate::encryption::{ChunkCipher, CryptoError, DataKey, TAG_LEN};
use crate::erasure::{ErasureCodec, ErasureError};

/// A failure while decoding.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("chunk {chunk} out of range: blob has {chunk_count} chunks")]
    ChunkOutOfRange { chunk: u32, chunk_count: u32 },
    #[error(
        "chunk {chunk}: only {good} verified shards, {needed} needed \
         (corrupt: {rejected:?}, missing: {missing:?})"
    )]
    NotEnoughShards {
        chunk: u32,
        good: usize,
        needed: usize,
        rejected: Vec<u16>,
        missing: Vec<u16>,
    },
    #[error("expected {expected} shard slots, got {actual}")]
    ShardCount { expected: usize, actual: usize },
    #[error(transparent)]
    Erasure(#[from] ErasureError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("the blob is encrypted: a data key is needed to read it")]
    KeyRequired,
    #[error(
        "decoded bytes do not hash to the blob's CID {expected}: the manifest is inconsistent"
    )]
    CidMismatch { expected: crate::Cid },
}

impl From<DecodeError> for io::Error {
    fn from(e: DecodeError) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

/// Where shards come from: a set of storage nodes, a directory, memory.
pub trait ShardSource {
    /// Shard `shard` of chunk `chunk`, or `None` if it cannot be had (node down, missing).
    /// Returned bytes are verified by the caller; a source need not check them.
    fn shard(&mut self, chunk: u32, shard: u16) -> Option<Vec<u8>>;
}

impl<S: ShardSource + ?Sized> ShardSource for &mut S {
    fn shard(&mut self, chunk: u32, shard: u16) -> Option<Vec<u8>> {
        (**self).shard(chunk, shard)
    }
}

/// One decoded chunk.
#[derive(Debug)]
pub struct DecodedChunk {
    /// The plaintext (decrypted when the blob is encrypted).
    pub data: Vec<u8>,
    /// Shard indices that were present but did not match their committed root.
    pub rejected: Vec<u16>,
}

/// Decodes chunks of one blob against its manifest.
pub struct ChunkDecoder<'a> {
    manifest: &'a BlobManifest,
    cipher: Option<ChunkCipher>,
    codec: ErasureCodec,
}

impl<'a> ChunkDecoder<'a> {
    /// A decoder for `manifest`'s blob; `key` is required for an encrypted blob.
    ///
    /// # Errors
    ///
    /// [`DecodeError::KeyRequired`] for an encrypted blob without a key, or an erasure
    /// setup error.
    pub fn new(manifest: &'a BlobManifest, key: Option<&DataKey>) -> Result<Self, DecodeError> {
        if manifest.encrypted && key.is_none() {
            return Err(DecodeError::KeyRequired);
        }
        let layout = manifest.layout();
        Ok(Self {
            manifest,
            cipher: key.filter(|_| manifest.encrypted).map(DataKey::cipher),
            codec: ErasureCodec::new(layout.k(), layout.m())?,
        })
    }

    /// Whether `data` is exactly shard `shard` of chunk `chunk` as committed.
    pub fn verify_shard(&self, chunk: u32, shard: u16, data: &[u8]) -> bool {
        self.manifest.verify_shard(chunk, shard, data)
    }

    /// Decodes chunk `chunk` from whatever shards are present (`None` for missing ones).
    /// Every present shard is checked against its root first; corrupt ones are dropped and
    /// listed in [`DecodedChunk::rejected`].
    ///
    /// # Errors
    ///
    /// [`DecodeError::NotEnoughShards`] with fewer than k good shards, or a decryption error.
    pub fn decode_chunk(
        &mut self,
        chunk: u32,
        shards: Vec<Option<Vec<u8>>>,
    ) -> Result<DecodedChunk, DecodeError> {
        self.check_slots(chunk, shards.len())?;
        let mut rejected = Vec::new();
        let checked = shards
            .into_iter()
            .enumerate()
            .map(|(j, slot)| {
                let data = slot?;
                self.manifest
                    .check_shard(chunk, j as u16, data)
                    .map_err(|_| rejected.push(j as u16))
                    .ok()
            })
            .collect();
        self.decode_checked_after(chunk, checked, rejected)
    }

    /// Decodes chunk `chunk` from shards already checked by
    /// [`BlobManifest::check_shard`] (`None` for missing ones), without hashing them again.
    /// A shard checked as another blob's, chunk's or index's is dropped and listed in
    /// [`DecodedChunk::rejected`].
    ///
    /// # Errors
    ///
    /// As [`ChunkDecoder::decode_chunk`].
    pub fn decode_checked(
        &mut self,
        chunk: u32,
        shards: Vec<Option<CheckedShard>>,
    ) -> Result<DecodedChunk, DecodeError> {
        self.check_slots(chunk, shards.len())?;
        self.decode_checked_after(chunk, shards, Vec::new())
    }

    /// Decodes checked shards; `rejected` lists those already dropped by the caller.
    fn decode_checked_after(
        &mut self,
        chunk: u32,
        shards: Vec<Option<CheckedShard>>,
        mut rejected: Vec<u16>,
    ) -> Result<DecodedChunk, DecodeError> {
        let blob = self.manifest.cid;
        let shards = shards
            .into_iter()
            .enumerate()
            .map(|(j, slot)| {
                let s = slot?;
                if s.position() == (blob, chunk, j as u16) {
                    Some(s.into_data())
                } else {
                    rejected.push(j as u16);
                    None
                }
            })
            .collect();
        let stored = self.decode_verified(chunk, shards, rejected.clone())?;
        Ok(DecodedChunk {
            data: self.open(chunk, stored)?,
            rejected,
        })
    }

    /// Fetches shards of `chunk` from `source`, data shards first (no decoding needed when
    /// they are all good), then parity, verifying each, until k good ones are in hand.
    ///
    /// # Errors
    ///
    /// As [`ChunkDecoder::decode_chunk`].
    pub fn fetch_chunk(
        &mut self,
        chunk: u32,
        source: &mut impl ShardSource,
    ) -> Result<DecodedChunk, DecodeError> {
        let (stored, rejected) = self.fetch_stored(chunk, source)?;
        Ok(DecodedChunk {
            data: self.open(chunk, stored)?,
            rejected,
        })
    }

    /// Fetches and decodes chunk `chunk`'s stored bytes (still encrypted, if the blob is);
    /// also returns the indices of shards that were served corrupt.
    fn fetch_stored(
        &mut self,
        chunk: u32,
        source: &mut impl ShardSource,
    ) -> Result<(Vec<u8>, Vec<u16>), DecodeError> {
        self.check_chunk(chunk)?;
        let layout = self.manifest.layout();
        let (k, n) = (usize::from(layout.k()), usize::from(layout.total_shards()));
        let mut shards: Vec<Option<Vec<u8>>> = vec![None; n];
        let mut rejected = Vec::new();
        let mut good = 0;
        for j in 0..n as u16 {
            if good == k {
                break;
            }
            match source.shard(chunk, j) {
                Some(data) if self.verify_shard(chunk, j, &data) => {
                    shards[usize::from(j)] = Some(data);
                    good += 1;
                }
                Some(_) => rejected.push(j),
                None => {}
            }
        }
        let stored = self.decode_verified(chunk, shards, rejected.clone())?;
        Ok((stored, rejected))
    }

    /// Checks that `chunk` exists and `slots` is one slot per shard index.
    fn check_slots(&self, chunk: u32, slots: usize) -> Result<(), DecodeError> {
        self.check_chunk(chunk)?;
        let n = usize::from(self.manifest.layout().total_shards());
        if slots != n {
            return Err(DecodeError::ShardCount {
                expected: n,
                actual: slots,
            });
        }
        Ok(())
    }

    fn check_chunk(&self, chunk: u32) -> Result<(), DecodeError> {
        let chunk_count = self.manifest.layout().chunk_count();
        if chunk >= chunk_count {
            return Err(DecodeError::ChunkOutOfRange { chunk, chunk_count });
        }
        Ok(())
    }

    /// Reassembles a chunk's stored bytes from shards that all passed verification.
    fn decode_verified(
        &mut self,
        chunk: u32,
        mut shards: Vec<Option<Vec<u8>>>,
        rejected: Vec<u16>,
    ) -> Result<Vec<u8>, DecodeError> {
        let layout = *self.manifest.layout();
        let (k, shard_len) = (usize::from(layout.k()), layout.shard_len(chunk) as usize);
        let good = shards.iter().filter(|s| s.is_some()).count();
        if good < k {
            let missing = (0..shards.len() as u16)
                .filter(|j| shards[usize::from(*j)].is_none() && !rejected.contains(j))
                .collect();
            return Err(DecodeError::NotEnoughShards {
                chunk,
                good,
                needed: k,
                rejected,
                missing,
            });
        }
        // The data shards back to back, each copied once: restored ones straight from the
        // erasure library's buffer, then the ones that were present from their slots.
        let present: Vec<bool> = shards[..k].iter().map(Option::is_some).collect();
        let mut data = vec![0u8; k * shard_len];
        self.codec
            .reconstruct_data_with(&mut shards, shard_len, |index, restored| {
                data[index * shard_len..(index + 1) * shard_len].copy_from_slice(restored);
            })?;
        for ((dst, shard), present) in data.chunks_exact_mut(shard_len).zip(&shards).zip(present) {
            if let (true, Some(shard)) = (present, shard) {
                dst.copy_from_slice(shard);
            }
        }
        data.truncate(layout.chunk_len(chunk) as usize);
        Ok(data)
    }

    /// Decrypts a chunk's stored bytes in place (a no-op for public blobs).
    fn open(&self, chunk: u32, mut stored: Vec<u8>) -> Result<Vec<u8>, DecodeError> {
        if let Some(cipher) = &self.cipher {
            let last = chunk + 1 == self.manifest.layout().chunk_count();
            cipher.open_in_place(chunk, last, &mut stored)?;
            stored.truncate(stored.len() - TAG_LEN);
        }
        Ok(stored)
    }
}

/// Reads a whole blob as a byte stream, fetching and decoding one chunk at a time, and
/// checks the stored bytes against the blob's CID at the end.
pub struct BlobReader<'a, S> {
    decoder: ChunkDecoder<'a>,
    source: S,
    next: u32,
    buffered: Vec<u8>,
    pos: usize,
    cid: CidHasher,
    rejected: Vec<(u32, u16)>,
}

impl<'a, S: ShardSource> BlobReader<'a, S> {
    /// A reader of `manifest`'s blob from `source`.
    ///
    /// # Errors
    ///
    /// As [`ChunkDecoder::new`].
    pub fn new(
        manifest: &'a BlobManifest,
        key: Option<&DataKey>,
        source: S,
    ) -> Result<Self, DecodeError> {
        // A blob without chunks is never fetched, so check its CID here.
        if manifest.layout().chunk_count() == 0 && manifest.cid != crate::Cid::of(b"") {
            return Err(DecodeError::CidMismatch {
                expected: manifest.cid,
            });
        }
        Ok(Self {
            decoder: ChunkDecoder::new(manifest, key)?,
            source,
            next: 0,
            buffered: Vec::new(),
            pos: 0,
            cid: CidHasher::new(),
            rejected: Vec::new(),
        })
    }

    /// (chunk, shard) pairs that were served corrupt so far: candidates for repair.
    pub fn rejected_shards(&self) -> &[(u32, u16)] {
        &self.rejected
    }

    fn fill(&mut self) -> Result<bool, DecodeError> {
        let manifest = self.decoder.manifest;
        let layout = *manifest.layout();
        if self.next >= layout.chunk_count() {
            return Ok(false);
        }
        let chunk = self.next;
        let (stored, rejected) = self.decoder.fetch_stored(chunk, &mut self.source)?;
        self.rejected.extend(rejected.iter().map(|j| (chunk, *j)));
        // The CID covers the stored bytes, so hash them before decryption.
        self.cid.update(&stored);
        self.next += 1;
        if self.next == layout.chunk_count() && self.cid.finish() != manifest.cid {
            return Err(DecodeError::CidMismatch {
                expected: manifest.cid,
            });
        }
        self.buffered = self.decoder.open(chunk, stored)?;
        self.pos = 0;
        Ok(true)
    }
}

impl<S: ShardSource> Read for BlobReader<'_, S> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buffered.len() {
            if !self.fill()? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buffered.len() - self.pos);
        out[..n].copy_from_slice(&self.buffered[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
