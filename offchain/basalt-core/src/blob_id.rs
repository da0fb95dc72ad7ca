//! Blob ids: the name under which the chain, the nodes and every client know one blob.
//!
//! A blob is one owner's registration of some content, so its id binds the two: on Solana
//! it is the blob account's address, the program address of (owner, CID)
//! (`basalt::client::pda::blob`); on NEAR it is [`basalt_proof::blob_id`] of the owner's
//! account id and the CID, the key the contract stores the blob under. Either way only the
//! owner's own signature creates the blob its id names, the same bytes stored by two owners
//! are two blobs, and a stranger who registers a predictable digest first blocks nobody.
//! The [`Cid`] still names the content: a reader checks the bytes it decodes against the
//! CID the chain records for the id.
//!
//! Text form: base58 (Bitcoin alphabet) of the 32 bytes, as Solana writes keys, so an id
//! never reads like a CID (`bafkr4i…`).

use core::fmt;
use core::str::FromStr;

use crate::cid::Cid;

/// A blob's id: its content bound to its owner.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId([u8; 32]);

/// Why a string is not a blob id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobIdError {
    #[error("blob id is not base58: {0}")]
    Base58(String),
    #[error("blob id is {0} bytes, expected 32")]
    Length(usize),
    #[error("a CID names content, not a blob id: a blob is named by its id, which `basalt put` prints first")]
    IsACid,
}

impl BlobId {
    /// Wraps 32 bytes already known to be an id (read from a chain or a header).
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes (what the chain keys the blob by).
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).into_string())
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({self})")
    }
}

impl FromStr for BlobId {
    type Err = BlobIdError;

    fn from_str(s: &str) -> Result<Self, BlobIdError> {
        if s.parse::<Cid>().is_ok() {
            return Err(BlobIdError::IsACid);
        }
        let bytes = bs58::decode(s)
            .into_vec()
            .map_err(|e| BlobIdError::Base58(e.to_string()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| BlobIdError::Length(b.len()))?;
        Ok(Self(bytes))
    }
}

/// As its text form, so manifests and answers carry it readably.
impl serde::Serialize for BlobId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for BlobId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_and_refuses_what_is_not_an_id() {
        let id = BlobId::from_bytes([3; 32]);
        let text = id.to_string();
        assert_eq!(text.parse::<BlobId>(), Ok(id));
        assert!(matches!(
            Cid::of(b"hello").to_string().parse::<BlobId>(),
            Err(BlobIdError::IsACid)
        ));
        assert!(matches!(
            "0OIl".parse::<BlobId>(),
            Err(BlobIdError::Base58(_))
        ));
        assert_eq!("2g".parse::<BlobId>(), Err(BlobIdError::Length(1)));
    }
}
