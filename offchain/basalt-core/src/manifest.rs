//! The stored form of a [`BlobManifest`]: what a reader needs besides the chain to verify
//! and decode a blob (every shard root, the plaintext length, and the data key wrapped for
//! the owner). The client stores it on every node that holds a shard of the blob; a reader
//! fetches it from any of them and checks it against the commitment root on chain, so a
//! node can withhold it but not forge it.
//!
//! Explicit little-endian layout (version 2):
//!
//! | offset | size | field |
//! |---:|---:|---|
//! | 0 | 4 | magic `BSLM` |
//! | 4 | 1 | version (2) |
//! | 5 | 1 | flags: bit 0 = encrypted; other bits must be 0 |
//! | 6 | 2 | k |
//! | 8 | 2 | m |
//! | 10 | 4 | chunk size |
//! | 14 | 4 | leaf size |
//! | 18 | 8 | blob size (stored bytes) |
//! | 26 | 8 | plaintext size |
//! | 34 | 32 | content CID (BLAKE3 digest of the stored bytes) |
//! | 66 | 32 | blob id ([`BlobId`]: the content bound to its owner) |
//! | 98 | 2 | length L of the owner's wrapped data key (0 when not encrypted) |
//! | 100 | L | the owner's wrapped data key |
//! | 100 + L | 32 × chunks × (k + m) | shard roots, chunk-major |

use basalt_proof::{BlobLayout, Hash, LayoutError};

use crate::blob_id::BlobId;
use crate::cid::Cid;
use crate::encoder::{stored_size, BlobManifest};
use crate::merkle::BlobCommitment;

const MAGIC: [u8; 4] = *b"BSLM";
// Version 1 had no blob id: a blob was named by its CID.
const VERSION: u8 = 2;
const FLAG_ENCRYPTED: u8 = 1;
const FIXED_LEN: usize = 100;
/// Longest wrapped key accepted (a sealed 32-byte key is 80 bytes).
pub const MAX_WRAPPED_KEY_LEN: usize = 256;

/// Why a stored manifest was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest truncated: {actual} bytes, need at least {needed}")]
    Truncated { actual: usize, needed: usize },
    #[error("not a Basalt manifest (magic {0:02x?})")]
    Magic([u8; 4]),
    #[error("unsupported manifest version {0} (this build reads version {VERSION})")]
    Version(u8),
    #[error("unknown manifest flags 0x{0:02x}")]
    Flags(u8),
    #[error("manifest describes an invalid layout: {0}")]
    Layout(#[from] LayoutError),
    #[error("plaintext size {plain} does not give the stored size {stored}")]
    PlainSize { plain: u64, stored: u64 },
    #[error("wrapped key of {0} bytes is longer than {MAX_WRAPPED_KEY_LEN}")]
    WrappedKey(usize),
    #[error("an encrypted manifest needs the owner's wrapped key, a plain one must not have one")]
    KeyPresence,
    #[error("manifest has {actual} bytes of shard roots, its layout needs {expected}")]
    Roots { actual: usize, expected: usize },
}

/// A manifest as stored on nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredManifest {
    /// The blob (owner's registration) this manifest describes.
    pub blob: BlobId,
    pub manifest: BlobManifest,
    /// The blob's data key wrapped for its owner ([`crate::wrap_key`]); empty when the blob
    /// is not encrypted.
    // INV: empty iff !manifest.encrypted; len <= MAX_WRAPPED_KEY_LEN.
    pub owner_key: Vec<u8>,
}

impl StoredManifest {
    /// The encoding described in the module docs.
    pub fn encode(&self) -> Vec<u8> {
        let m = &self.manifest;
        let l = m.layout();
        let roots = m.commitment.shard_roots();
        let mut out = Vec::with_capacity(FIXED_LEN + self.owner_key.len() + roots.len() * 32);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(if m.encrypted { FLAG_ENCRYPTED } else { 0 });
        out.extend_from_slice(&l.k().to_le_bytes());
        out.extend_from_slice(&l.m().to_le_bytes());
        out.extend_from_slice(&l.chunk_size().to_le_bytes());
        out.extend_from_slice(&l.leaf_size().to_le_bytes());
        out.extend_from_slice(&l.size().to_le_bytes());
        out.extend_from_slice(&m.plain_size.to_le_bytes());
        out.extend_from_slice(m.cid.digest());
        out.extend_from_slice(self.blob.as_bytes());
        let key_len = u16::try_from(self.owner_key.len()).expect("INV: key len <= 256");
        out.extend_from_slice(&key_len.to_le_bytes());
        out.extend_from_slice(&self.owner_key);
        for root in roots {
            out.extend_from_slice(root);
        }
        out
    }

    /// Parses and checks a stored manifest: a valid layout, a plaintext size consistent
    /// with it, a wrapped key exactly when encrypted, and exactly one root per shard.
    ///
    /// # Errors
    ///
    /// [`ManifestError`] for anything short, foreign or inconsistent. Decoding never
    /// panics.
    pub fn decode(bytes: &[u8]) -> Result<Self, ManifestError> {
        if bytes.len() < FIXED_LEN {
            return Err(ManifestError::Truncated {
                actual: bytes.len(),
                needed: FIXED_LEN,
            });
        }
        let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]);
        let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
        let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
        let magic: [u8; 4] = bytes[0..4].try_into().expect("4 bytes");
        if magic != MAGIC {
            return Err(ManifestError::Magic(magic));
        }
        if bytes[4] != VERSION {
            return Err(ManifestError::Version(bytes[4]));
        }
        let flags = bytes[5];
        if flags & !FLAG_ENCRYPTED != 0 {
            return Err(ManifestError::Flags(flags));
        }
        let encrypted = flags & FLAG_ENCRYPTED != 0;
        let layout =
            BlobLayout::with_leaf_size(u64_at(18), u32_at(10), u16_at(6), u16_at(8), u32_at(14))?;
        let plain_size = u64_at(26);
        let stored = stored_size(plain_size, layout.chunk_size(), encrypted).ok();
        if stored != Some(layout.size()) {
            return Err(ManifestError::PlainSize {
                plain: plain_size,
                stored: layout.size(),
            });
        }
        let digest: [u8; 32] = bytes[34..66].try_into().expect("32 bytes");
        let blob: [u8; 32] = bytes[66..98].try_into().expect("32 bytes");
        let key_len = usize::from(u16_at(98));
        if key_len > MAX_WRAPPED_KEY_LEN {
            return Err(ManifestError::WrappedKey(key_len));
        }
        if (key_len > 0) != encrypted {
            return Err(ManifestError::KeyPresence);
        }
        let roots_at = FIXED_LEN + key_len;
        let Some(root_bytes) = bytes.get(roots_at..) else {
            return Err(ManifestError::Truncated {
                actual: bytes.len(),
                needed: roots_at,
            });
        };
        let expected = layout.chunk_count() as usize * usize::from(layout.total_shards()) * 32;
        if root_bytes.len() != expected {
            return Err(ManifestError::Roots {
                actual: root_bytes.len(),
                expected,
            });
        }
        let roots: Vec<Hash> = root_bytes
            .chunks_exact(32)
            .map(|r| r.try_into().expect("32 bytes"))
            .collect();
        Ok(Self {
            blob: BlobId::from_bytes(blob),
            manifest: BlobManifest {
                cid: Cid::from_digest(digest),
                encrypted,
                plain_size,
                commitment: BlobCommitment::from_shard_roots(layout, roots),
            },
            owner_key: bytes[FIXED_LEN..roots_at].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{encode_blob, wrap_key, DataKey};
    use ed25519_dalek::SigningKey;

    fn sample(encrypted: bool) -> Result<StoredManifest, Box<dyn std::error::Error>> {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let key = DataKey::from_bytes(&[9; DataKey::LEN]);
        let manifest = encode_blob(&data, 64 << 10, 3, 2, encrypted.then_some(&key), |_| {})?;
        let owner = SigningKey::from_bytes(&[5; 32]);
        let owner_key = if encrypted {
            wrap_key(
                &key,
                owner.verifying_key().as_bytes(),
                &mut rand_core::OsRng,
            )?
            .to_vec()
        } else {
            Vec::new()
        };
        Ok(StoredManifest {
            blob: BlobId::from_bytes([6; 32]),
            manifest,
            owner_key,
        })
    }

    #[test]
    fn round_trips_plain_and_encrypted() -> Result<(), Box<dyn std::error::Error>> {
        for encrypted in [false, true] {
            let stored = sample(encrypted)?;
            let decoded = StoredManifest::decode(&stored.encode())?;
            assert_eq!(decoded, stored);
        }
        Ok(())
    }

    #[test]
    fn rejects_damaged_manifests() -> Result<(), Box<dyn std::error::Error>> {
        let bytes = sample(true)?.encode();
        assert!(matches!(
            StoredManifest::decode(&bytes[..10]),
            Err(ManifestError::Truncated { .. })
        ));
        let mut foreign = bytes.clone();
        foreign[0] = b'X';
        assert!(matches!(
            StoredManifest::decode(&foreign),
            Err(ManifestError::Magic(_))
        ));
        let mut flipped = bytes.clone();
        flipped[5] = 0; // claims plain but carries a key
        assert!(StoredManifest::decode(&flipped).is_err());
        let mut short = bytes.clone();
        short.pop();
        assert!(matches!(
            StoredManifest::decode(&short),
            Err(ManifestError::Roots { .. })
        ));
        let mut long = bytes.clone();
        long.extend_from_slice(&[0; 32]);
        assert!(matches!(
            StoredManifest::decode(&long),
            Err(ManifestError::Roots { .. })
        ));
        let mut size = bytes;
        size[26] ^= 1; // plaintext size no longer matches the stored size
        assert!(matches!(
            StoredManifest::decode(&size),
            Err(ManifestError::PlainSize { .. })
        ));
        Ok(())
    }
}
