//! Storage receipts: a node's signed statement that it durably holds one shard.
//!
//! The client collects one receipt per shard before it registers a blob on chain, so it
//! never pays for placement a node did not acknowledge. The signed message is
//! `"basalt-receipt-v1" || node || blob id || chunk (u32 LE) || shard (u16 LE) ||
//! shard root`, `node` the signer's [`Caller::word`]; its domain tag keeps it apart from
//! request signatures. A node signs with its provider's key, of its chain's kind: ed25519
//! on Solana and NEAR, an EVM account's secp256k1 key (as a wallet signs a message,
//! [`crate::evm_auth::personal_sign`]) on the EVM, so a client ties a receipt to the
//! provider its chain lists.

use basalt_proof::Hash;
use ed25519_dalek::{Signature, Signer, Verifier, VerifyingKey};

use crate::blob_id::BlobId;
use crate::caller::{Caller, RequestKey};
use crate::evm_auth::{personal_sign, recover_signer};
use crate::header::ShardHeader;

const DOMAIN: &[u8] = b"basalt-receipt-v1";
/// Encoded length of a receipt signed by an ed25519 key: node, blob, chunk, shard, shard
/// root, signature.
pub const RECEIPT_LEN: usize = 32 + 32 + 4 + 2 + 32 + 64;
/// Encoded length of a receipt signed by an EVM account: its signature is `r ‖ s ‖ v`.
pub const EVM_RECEIPT_LEN: usize = RECEIPT_LEN + 1;

/// Why a receipt was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error(
        "receipt is {actual} bytes, expected {RECEIPT_LEN} (ed25519) or {EVM_RECEIPT_LEN} (EVM)"
    )]
    Length { actual: usize },
    #[error("receipt signature is not the node's")]
    BadSignature,
    #[error("receipt is for a different shard than the one uploaded")]
    WrongShard,
}

/// A receipt's signature, of its node's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptSignature {
    Ed25519([u8; 64]),
    /// `r ‖ s ‖ v` over the EIP-191 digest of the message.
    Evm([u8; 65]),
}

/// A node's signature over one stored shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The provider that signed.
    // INV: a verified receipt's signature is of this caller's kind
    pub node: Caller,
    /// The blob.
    pub blob: BlobId,
    /// Chunk index.
    pub chunk: u32,
    /// Shard index.
    pub shard: u16,
    /// Merkle root of the shard data.
    pub shard_root: Hash,
    /// The node's signature over the fields above.
    pub signature: ReceiptSignature,
}

impl Receipt {
    fn message(node: &Caller, blob: &BlobId, chunk: u32, shard: u16, root: &Hash) -> Vec<u8> {
        let mut m = Vec::with_capacity(DOMAIN.len() + RECEIPT_LEN);
        m.extend_from_slice(DOMAIN);
        m.extend_from_slice(&node.word());
        m.extend_from_slice(blob.as_bytes());
        m.extend_from_slice(&chunk.to_le_bytes());
        m.extend_from_slice(&shard.to_le_bytes());
        m.extend_from_slice(root);
        m
    }

    /// Signs the receipt for the shard `header` describes with `node`'s key.
    pub fn sign(node: &RequestKey, header: &ShardHeader) -> Self {
        let caller = node.caller();
        let message = Self::message(
            &caller,
            &header.blob,
            header.chunk,
            header.shard,
            &header.shard_root,
        );
        let signature = match node {
            RequestKey::Ed25519(key) => ReceiptSignature::Ed25519(key.sign(&message).to_bytes()),
            RequestKey::Evm(key) => ReceiptSignature::Evm(personal_sign(key, &message)),
        };
        Self {
            node: caller,
            blob: header.blob,
            chunk: header.chunk,
            shard: header.shard,
            shard_root: header.shard_root,
            signature,
        }
    }

    /// Checks the signature, and that the receipt covers the shard `header` describes.
    ///
    /// # Errors
    ///
    /// [`ReceiptError::WrongShard`] or [`ReceiptError::BadSignature`] (which includes a
    /// signature of the other kind than its node's).
    pub fn verify(&self, header: &ShardHeader) -> Result<(), ReceiptError> {
        if (self.blob, self.chunk, self.shard, self.shard_root)
            != (header.blob, header.chunk, header.shard, header.shard_root)
        {
            return Err(ReceiptError::WrongShard);
        }
        let message = Self::message(
            &self.node,
            &self.blob,
            self.chunk,
            self.shard,
            &self.shard_root,
        );
        let valid = match (&self.node, &self.signature) {
            (Caller::Ed25519(key), ReceiptSignature::Ed25519(signature)) => {
                VerifyingKey::from_bytes(key).is_ok_and(|key| {
                    key.verify(&message, &Signature::from_bytes(signature))
                        .is_ok()
                })
            }
            (Caller::Evm(address), ReceiptSignature::Evm(signature)) => {
                recover_signer(&message, signature) == Some(*address)
            }
            _ => false,
        };
        if valid {
            Ok(())
        } else {
            Err(ReceiptError::BadSignature)
        }
    }

    /// The binary encoding: node word, blob, chunk and shard (little-endian), shard root,
    /// signature; [`RECEIPT_LEN`] or [`EVM_RECEIPT_LEN`] bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(EVM_RECEIPT_LEN);
        out.extend_from_slice(&self.node.word());
        out.extend_from_slice(self.blob.as_bytes());
        out.extend_from_slice(&self.chunk.to_le_bytes());
        out.extend_from_slice(&self.shard.to_le_bytes());
        out.extend_from_slice(&self.shard_root);
        match &self.signature {
            ReceiptSignature::Ed25519(signature) => out.extend_from_slice(signature),
            ReceiptSignature::Evm(signature) => out.extend_from_slice(signature),
        }
        out
    }

    /// Parses [`Self::to_bytes`]; the signature is checked by [`Self::verify`].
    ///
    /// # Errors
    ///
    /// [`ReceiptError::Length`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ReceiptError> {
        let length = ReceiptError::Length {
            actual: bytes.len(),
        };
        let (fields, signature) = bytes
            .split_at_checked(RECEIPT_LEN - 64)
            .ok_or(length.clone())?;
        let signature = if let Ok(s) = <[u8; 64]>::try_from(signature) {
            ReceiptSignature::Ed25519(s)
        } else if let Ok(s) = <[u8; 65]>::try_from(signature) {
            ReceiptSignature::Evm(s)
        } else {
            return Err(length);
        };
        let array = |range: std::ops::Range<usize>| -> [u8; 32] {
            let mut a = [0u8; 32];
            a.copy_from_slice(&fields[range]);
            a
        };
        Ok(Self {
            node: Caller::from_word(array(0..32)),
            blob: BlobId::from_bytes(array(32..64)),
            chunk: u32::from_le_bytes([fields[64], fields[65], fields[66], fields[67]]),
            shard: u16::from_le_bytes([fields[68], fields[69]]),
            shard_root: array(70..102),
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::evm_auth::SigningKey as EvmKey;
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

    fn keys(seed: u8) -> [RequestKey; 2] {
        [
            RequestKey::from(SigningKey::from_bytes(&[seed; 32])),
            RequestKey::from(EvmKey::from_slice(&[seed; 32]).expect("a valid scalar")),
        ]
    }

    #[test]
    fn receipts_of_either_kind_round_trip_and_verify() -> Result<(), ReceiptError> {
        for (node, len) in keys(3).iter().zip([RECEIPT_LEN, EVM_RECEIPT_LEN]) {
            let r = Receipt::sign(node, &header(2));
            assert_eq!(r.node, node.caller());
            assert_eq!(r.to_bytes().len(), len);
            let back = Receipt::from_bytes(&r.to_bytes())?;
            assert_eq!(back, r);
            back.verify(&header(2))?;
        }
        Ok(())
    }

    #[test]
    fn an_ed25519_receipt_is_the_bytes_it_always_was() {
        // The message binds the key itself (its word), as before EVM nodes existed.
        let key = SigningKey::from_bytes(&[3; 32]);
        let r = Receipt::sign(&RequestKey::from(key.clone()), &header(2));
        let message = Receipt::message(&r.node, &r.blob, 0, 2, &[2; 32]);
        assert_eq!(
            &message[DOMAIN.len()..DOMAIN.len() + 32],
            key.verifying_key().as_bytes()
        );
        assert_eq!(
            r.signature,
            ReceiptSignature::Ed25519(key.sign(&message).to_bytes())
        );
    }

    #[test]
    fn forged_or_misapplied_receipts_fail() {
        let others = keys(4);
        for (node, other) in keys(3).iter().zip(&others) {
            let r = Receipt::sign(node, &header(2));
            assert_eq!(r.verify(&header(3)), Err(ReceiptError::WrongShard));
            let mut forged = r;
            forged.node = other.caller();
            assert_eq!(forged.verify(&header(2)), Err(ReceiptError::BadSignature));
            // Cut short, it is refused whole or does not verify (an EVM receipt one byte
            // short is as long as an ed25519 one).
            let bytes = r.to_bytes();
            for cut in [&bytes[1..], &bytes[..bytes.len() - 1]] {
                assert!(Receipt::from_bytes(cut).map_or(true, |r| r.verify(&header(2)).is_err()));
            }
        }
        assert_eq!(
            Receipt::from_bytes(&[0; RECEIPT_LEN - 1]),
            Err(ReceiptError::Length {
                actual: RECEIPT_LEN - 1
            })
        );
        // A signature of the other kind than its node's never verifies.
        let [ed, evm] = keys(3);
        let mut mixed = Receipt::sign(&evm, &header(2));
        mixed.signature = Receipt::sign(&ed, &header(2)).signature;
        assert_eq!(mixed.verify(&header(2)), Err(ReceiptError::BadSignature));
        assert!(Receipt::from_bytes(&[0; 100]).is_err());
    }
}
