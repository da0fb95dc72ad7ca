//! A shard as it arrives: header ‖ data in one buffer, hashed once.

use basalt_core::{HeaderError, ShardHeader, HEADER_LEN};
use bytes::Bytes;

/// An uploaded shard and the BLAKE3 digest of its body (header ‖ data).
///
/// The digest is computed here, once, from the bytes this value owns. The API checks the
/// request signature against it (the signed body hash), and the store keeps it next to the
/// shard so that every later read is checked with one BLAKE3 pass over the bytes it serves
/// instead of rebuilding the shard's SHA-256 Merkle tree: BLAKE3 runs at several times the
/// speed of SHA-256 over 64- to 256-byte leaves, and the Merkle root itself was checked
/// once, on write.
pub struct ShardUpload {
    header: ShardHeader,
    // INV: body = header.encode() ‖ data. The header encoding is canonical (every byte is
    // a checked field or the checksum), so the received bytes and the re-encoded header
    // agree and `digest` is the digest of what the store keeps.
    body: Bytes,
    // INV: digest = BLAKE3(body).
    digest: [u8; 32],
}

impl ShardUpload {
    /// Hashes a received body and decodes the header at its front.
    ///
    /// The digest comes back even when the header does not decode, so the caller can
    /// authenticate the request (whose signature covers the body hash) before it answers
    /// anything about the body's contents.
    ///
    /// # Errors
    ///
    /// The second element is a [`HeaderError`] when the body does not start with a valid
    /// shard header.
    pub fn from_body(body: Bytes) -> ([u8; 32], Result<Self, HeaderError>) {
        let digest = *blake3::hash(&body).as_bytes();
        (digest, Self::from_hashed(body, digest))
    }

    /// Decodes the header at the front of a body whose digest the caller already computed
    /// (the API hashes every signed body once, to check its signature).
    ///
    /// `digest` must be BLAKE3 of `body`; that is why this is not public.
    ///
    /// # Errors
    ///
    /// [`HeaderError`] when the body does not start with a valid shard header.
    pub(crate) fn from_hashed(body: Bytes, digest: [u8; 32]) -> Result<Self, HeaderError> {
        let (header, _) = ShardHeader::decode(&body)?;
        Ok(Self {
            header,
            body,
            digest,
        })
    }

    /// An upload built from a header and its data held apart (tests use it): copies both
    /// into one buffer and hashes it.
    pub fn new(header: &ShardHeader, data: &[u8]) -> Self {
        let mut body = Vec::with_capacity(HEADER_LEN + data.len());
        body.extend_from_slice(&header.encode());
        body.extend_from_slice(data);
        let digest = *blake3::hash(&body).as_bytes();
        Self {
            header: *header,
            body: body.into(),
            digest,
        }
    }

    /// The decoded header.
    pub fn header(&self) -> &ShardHeader {
        &self.header
    }

    /// The shard data (the body after the header).
    pub fn data(&self) -> &[u8] {
        &self.body[HEADER_LEN..]
    }

    /// BLAKE3 of header ‖ data.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use basalt_core::encode_blob;

    #[test]
    fn a_received_body_and_a_rebuilt_one_have_the_same_digest() -> Result<(), HeaderError> {
        let mut chunks = Vec::new();
        let manifest = encode_blob(&[5u8; 3000], 1024, 2, 1, None, |c| chunks.push(c))
            .expect("encode a small blob");
        let data = chunks[0].shards().next().expect("a shard").to_vec();
        let header = manifest
            .shard_header(basalt_core::BlobId::from_bytes([5; 32]), 0, 0)
            .expect("shard 0 of chunk 0");
        let built = ShardUpload::new(&header, &data);
        let mut body = header.encode().to_vec();
        body.extend_from_slice(&data);
        let (digest, received) = ShardUpload::from_body(body.into());
        let received = received?;
        assert_eq!(&digest, built.digest());
        assert_eq!(received.digest(), built.digest());
        assert_eq!((received.header(), received.data()), (&header, &data[..]));

        let (digest, garbage) = ShardUpload::from_body(Bytes::from_static(b"not a shard"));
        assert_eq!(&digest, blake3::hash(b"not a shard").as_bytes());
        assert!(matches!(garbage, Err(HeaderError::Truncated { .. })));
        Ok(())
    }
}
