//! The object record each blob of an object begins with (docs/gateway.md, "Objects as
//! blobs"): the bucket, the key, which piece of which object it is and the object's
//! headers, so that a gateway holding only the wallet rebuilds its index from the blobs.
//!
//! Layout: [`MAGIC`], the record's length as a little-endian `u32`, then the record as JSON;
//! the object's bytes follow. A GET reads from [`ObjectRecord::decode`]'s returned length on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What every gateway blob starts with.
pub const MAGIC: &[u8; 8] = b"BSLTS3\x00\x01";

/// The largest record accepted: S3 allows 2 KB of user metadata; keys are at most 1024
/// bytes.
pub const MAX_RECORD_LEN: usize = 16 << 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectRecord {
    pub bucket: String,
    /// Empty in the bucket's own record (a blob holding no object, stored when the bucket
    /// is created so that recovery finds it empty too): no object has an empty key.
    pub key: String,
    /// Fresh for every PUT: tells an overwrite's blobs from the ones it replaced.
    pub object: String,
    /// This blob's place among the object's pieces.
    // INV: piece < pieces
    pub piece: u32,
    pub pieces: u32,
    /// The whole object's size, ETag and headers.
    pub size: u64,
    pub etag: String,
    pub content_type: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// Unix seconds.
    pub created: u64,
    /// The multipart upload this blob belongs to: with `part`, one of its parts; without,
    /// its completion, whose bytes after the record list the parts' blob ids in order.
    pub upload: Option<String>,
    /// The part number (1 to 10,000) of a multipart upload's part.
    #[serde(default)]
    pub part: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("not a gateway object: no record header")]
    NotARecord,
    #[error("the record is cut short")]
    Truncated,
    #[error("a record of {0} bytes is over the {MAX_RECORD_LEN}-byte limit")]
    TooLong(usize),
    #[error("the record does not decode: {0}")]
    Malformed(String),
    #[error("piece {0} of {1}")]
    BadPiece(u32, u32),
}

impl ObjectRecord {
    /// The header to store before the piece's bytes.
    ///
    /// # Errors
    ///
    /// [`RecordError::TooLong`] past [`MAX_RECORD_LEN`]; [`RecordError::BadPiece`].
    pub fn encode(&self) -> Result<Vec<u8>, RecordError> {
        if self.piece >= self.pieces {
            return Err(RecordError::BadPiece(self.piece, self.pieces));
        }
        let json = serde_json::to_vec(self).map_err(|e| RecordError::Malformed(e.to_string()))?;
        if json.len() > MAX_RECORD_LEN {
            return Err(RecordError::TooLong(json.len()));
        }
        let mut out = Vec::with_capacity(MAGIC.len() + 4 + json.len());
        out.extend_from_slice(MAGIC);
        // INV: json.len() <= MAX_RECORD_LEN < u32::MAX
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        Ok(out)
    }

    /// The record at the start of `bytes` (a blob's first bytes) and the header's length:
    /// where the piece's bytes begin.
    ///
    /// # Errors
    ///
    /// [`RecordError`]: no magic, a header cut short, too long or not a record.
    pub fn decode(bytes: &[u8]) -> Result<(Self, usize), RecordError> {
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or(RecordError::NotARecord)?;
        let len: [u8; 4] = rest
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or(RecordError::Truncated)?;
        let len = u32::from_le_bytes(len) as usize;
        if len > MAX_RECORD_LEN {
            return Err(RecordError::TooLong(len));
        }
        let json = rest.get(4..4 + len).ok_or(RecordError::Truncated)?;
        let record: Self =
            serde_json::from_slice(json).map_err(|e| RecordError::Malformed(e.to_string()))?;
        if record.piece >= record.pieces {
            return Err(RecordError::BadPiece(record.piece, record.pieces));
        }
        Ok((record, MAGIC.len() + 4 + len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> ObjectRecord {
        ObjectRecord {
            bucket: "photos".into(),
            key: "2026/12/beach.jpg".into(),
            object: "7f3a".into(),
            piece: 1,
            pieces: 3,
            size: 10 << 30,
            etag: "\"9b2cf535f27731c974343645a3985328-3\"".into(),
            content_type: Some("image/jpeg".into()),
            metadata: BTreeMap::from([("camera".into(), "x100".into())]),
            created: 1_765_000_000,
            upload: None,
            part: None,
        }
    }

    #[test]
    fn a_record_round_trips_and_says_where_the_bytes_begin() -> Result<(), RecordError> {
        let header = record().encode()?;
        let mut blob = header.clone();
        blob.extend_from_slice(b"the piece's bytes");
        let (back, at) = ObjectRecord::decode(&blob)?;
        assert_eq!((back, at), (record(), header.len()));
        assert_eq!(&blob[at..], b"the piece's bytes");
        Ok(())
    }

    #[test]
    fn other_bytes_cut_records_and_bad_pieces_are_refused() -> Result<(), RecordError> {
        let header = record().encode()?;
        assert_eq!(
            ObjectRecord::decode(b"\xff\xd8\xff\xe0 a plain jpeg"),
            Err(RecordError::NotARecord)
        );
        assert_eq!(
            ObjectRecord::decode(&header[..header.len() - 1]),
            Err(RecordError::Truncated)
        );
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            ObjectRecord::decode(&huge),
            Err(RecordError::TooLong(u32::MAX as usize))
        );
        let past = ObjectRecord {
            piece: 3,
            ..record()
        };
        assert_eq!(past.encode(), Err(RecordError::BadPiece(3, 3)));
        let mut garbage = MAGIC.to_vec();
        garbage.extend_from_slice(&3u32.to_le_bytes());
        garbage.extend_from_slice(b"{}x");
        assert!(matches!(
            ObjectRecord::decode(&garbage),
            Err(RecordError::Malformed(_))
        ));
        let long = ObjectRecord {
            metadata: BTreeMap::from([("m".into(), "x".repeat(MAX_RECORD_LEN))]),
            ..record()
        };
        assert!(matches!(long.encode(), Err(RecordError::TooLong(_))));
        Ok(())
    }
}
