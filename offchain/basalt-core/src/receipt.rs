//! Storage receipts: a node's signed statement that it durably holds one shard.
//!
//! The client collects one receipt per shard before it registers a blob on chain, so it
//! never pays for placement a node did not acknowledge. The signed message is
//! `"basalt-receipt-v1" || node || blob id || chunk (u32 LE) || shard (u16 LE) ||
//! shard root`; its domain tag keeps it apart from request signatures.

use basalt_proof::Hash;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::blob_id::BlobId;
use crate::header::ShardHeader;

const DOMAIN: &[u8] = b"basalt-receipt-v1";
/// Encoded receipt length: node, blob, chunk, shard, shard root, signature.
pub const RECEIPT_LEN: usize = 32 + 32 + 4 + 2 + 32 + 64;

/// Why a receipt was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("receipt is {actual} bytes, expected {RECEIPT_LEN}")]
    Length { actual: usize },
    #[error("receipt signature is not the node's")]
    BadSignature,
    #[error("receipt is for a different shard than the one uploaded")]
    WrongShard,
}

/// A node's signature over one stored shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The node's public key (its Solana identity).
    pub node: [u8; 32],
    /// The blob.
    pub blob: BlobId,
    /// Chunk index.
    pub chunk: u32,
    /// Shard index.
    pub shard: u16,
    /// Merkle root of the shard data.
    pub shard_root: Hash,
    /// The node's signature over the fields above.
    pub signature: [u8; 64],
}

impl Receipt {
    fn message(node: &[u8; 32], blob: &BlobId, chunk: u32, shard: u16, root: &Hash) -> Vec<u8> {
        let mut m = Vec::with_capacity(DOMAIN.len() + RECEIPT_LEN);
        m.extend_from_slice(DOMAIN);
        m.extend_from_slice(node);
        m.extend_from_slice(blob.as_bytes());
        m.extend_from_slice(&chunk.to_le_bytes());
        m.extend_from_slice(&shard.to_le_bytes());
        m.extend_from_slice(root);
        m
    }

    /// Signs the receipt for the shard `header` describes.
    pub fn sign(node: &SigningKey, header: &ShardHeader) -> Self {
        let key = node.verifying_key().to_bytes();
        let message = Self::message(
            &key,
            &header.blob,
            header.chunk,
            header.shard,
            &header.shard_root,
        );
        Self {
            node: key,
            blob: header.blob,
            chunk: header.chunk,
            shard: header.shard,
            shard_root: header.shard_root,
            signature: node.sign(&message).to_bytes(),
        }
    }

    /// Checks the signature, and that the receipt covers the shard `header` describes.
    ///
    /// # Errors
    ///
    /// [`ReceiptError::WrongShard`] or [`ReceiptError::BadSignature`].
    pub fn verify(&self, header: &ShardHeader) -> Result<(), ReceiptError> {
        if (self.blob, self.chunk, self.shard, self.shard_root)
            != (header.blob, header.chunk, header.shard, header.shard_root)
        {
            return Err(ReceiptError::WrongShard);
        }
        let key = VerifyingKey::from_bytes(&self.node).map_err(|_| ReceiptError::BadSignature)?;
        let message = Self::message(
            &self.node,
            &self.blob,
            self.chunk,
            self.shard,
            &self.shard_root,
        );
        key.verify(&message, &Signature::from_bytes(&self.signature))
            .map_err(|_| ReceiptError::BadSignature)
    }

    /// The fixed binary encoding.
    pub fn to_bytes(&self) -> [u8; RECEIPT_LEN] {
        let mut out = [0u8; RECEIPT_LEN];
        out[0..32].copy_from_slice(&self.node);
        out[32..64].copy_from_slice(self.blob.as_bytes());
        out[64..68].copy_from_slice(&self.chunk.to_le_bytes());
        out[68..70].copy_from_slice(&self.shard.to_le_bytes());
        out[70..102].copy_from_slice(&self.shard_root);
        out[102..].copy_from_slice(&self.signature);
        out
    }

    /// Parses [`Self::to_bytes`]; the signature is checked by [`Self::verify`].
    ///
    /// # Errors
    ///
    /// [`ReceiptError::Length`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ReceiptError> {
        let b: &[u8; RECEIPT_LEN] = bytes.try_into().map_err(|_| ReceiptError::Length {
            actual: bytes.len(),
        })?;
        let mut digest = [0u8; 32];
        digest.copy_from_slice(&b[32..64]);
        let mut node = [0u8; 32];
        node.copy_from_slice(&b[0..32]);
        let mut root = [0u8; 32];
        root.copy_from_slice(&b[70..102]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&b[102..]);
        Ok(Self {
            node,
            blob: BlobId::from_bytes(digest),
            chunk: u32::from_le_bytes([b[64], b[65], b[66], b[67]]),
            shard: u16::from_le_bytes([b[68], b[69]]),
            shard_root: root,
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BlobLayout;

    fn header(shard: u16) -> ShardHeader {
        ShardHeader {
            blob: BlobId::from_bytes([1; 32]),
            layout: BlobLayout::new(1 << 20, 1 << 20, 10, 4).expect("valid layout"),
            encrypted: true,
            chunk: 0,
            shard,
            shard_root: [shard as u8; 32],
        }
    }

    #[test]
    fn receipt_round_trips_and_verifies() -> Result<(), ReceiptError> {
        let node = SigningKey::from_bytes(&[3; 32]);
        let r = Receipt::sign(&node, &header(2));
        let back = Receipt::from_bytes(&r.to_bytes())?;
        assert_eq!(back, r);
        back.verify(&header(2))
    }

    #[test]
    fn forged_or_misapplied_receipts_fail() {
        let node = SigningKey::from_bytes(&[3; 32]);
        let r = Receipt::sign(&node, &header(2));
        assert_eq!(r.verify(&header(3)), Err(ReceiptError::WrongShard));
        let mut forged = r;
        forged.node = SigningKey::from_bytes(&[4; 32]).verifying_key().to_bytes();
        assert_eq!(forged.verify(&header(2)), Err(ReceiptError::BadSignature));
        assert_eq!(
            Receipt::from_bytes(&r.to_bytes()[1..]),
            Err(ReceiptError::Length {
                actual: RECEIPT_LEN - 1
            })
        );
    }
}
