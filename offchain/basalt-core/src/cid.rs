//! Content IDs: BLAKE3 digests written as CIDv1 strings.
//!
//! Binary form: `0x01` (CIDv1) `0x55` (codec raw) `0x1e` (multihash blake3) `0x20`
//! (32-byte digest) followed by the digest; text form: multibase `b` (RFC 4648 base32,
//! lower case, no padding) over those 36 bytes, so every Basalt CID reads `bafkr4i…`.
//!
//! A blob's CID is the BLAKE3 hash of its *stored* bytes: the ciphertext for an encrypted
//! blob, the content itself for a public one. It is public on chain, so it must not reveal
//! the plaintext; it still lets anyone holding the stored bytes check them.

use core::fmt;
use core::str::FromStr;
use std::sync::LazyLock;

use data_encoding::Encoding;

/// Multicodec of raw bytes.
const CODEC_RAW: u8 = 0x55;
/// Multihash code of BLAKE3 (256-bit output).
const MULTIHASH_BLAKE3: u8 = 0x1e;
/// The 4-byte prefix of every Basalt CID in binary form.
const PREFIX: [u8; 4] = [0x01, CODEC_RAW, MULTIHASH_BLAKE3, 32];
/// Binary CID length.
const BINARY_LEN: usize = PREFIX.len() + 32;

/// RFC 4648 base32, lower-case alphabet, no padding (multibase `b`).
static BASE32_LOWER: LazyLock<Encoding> = LazyLock::new(|| {
    let mut spec = data_encoding::Specification::new();
    spec.symbols.push_str("abcdefghijklmnopqrstuvwxyz234567");
    spec.encoding()
        .expect("RFC 4648 base32 alphabet is a valid specification")
});

/// A parse failure, naming what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidError {
    #[error("empty CID string")]
    Empty,
    #[error("unsupported multibase prefix {0:?}: Basalt CIDs are base32 lower case ('b')")]
    Multibase(char),
    #[error("CID is not valid base32: {0}")]
    Base32(String),
    #[error("CID is {actual} bytes, expected {BINARY_LEN}")]
    Length { actual: usize },
    #[error("unsupported CID version {0}: expected CIDv1")]
    Version(u8),
    #[error("unsupported codec 0x{0:02x}: expected raw (0x55)")]
    Codec(u8),
    #[error("unsupported multihash 0x{0:02x}: expected blake3 (0x1e)")]
    Multihash(u8),
    #[error("unsupported digest length {0}: expected 32")]
    DigestLength(u8),
}

/// The content ID of a blob: a 32-byte BLAKE3 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cid([u8; 32]);

impl Cid {
    /// The CID of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(*blake3::hash(bytes).as_bytes())
    }

    /// Wraps a BLAKE3 digest computed elsewhere (for example by [`CidHasher`]).
    pub const fn from_digest(digest: [u8; 32]) -> Self {
        Self(digest)
    }

    /// The BLAKE3 digest (what the chain stores).
    pub const fn digest(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 36-byte binary CIDv1.
    pub fn to_bytes(&self) -> [u8; BINARY_LEN] {
        let mut out = [0u8; BINARY_LEN];
        out[..PREFIX.len()].copy_from_slice(&PREFIX);
        out[PREFIX.len()..].copy_from_slice(&self.0);
        out
    }

    /// Parses a 36-byte binary CIDv1.
    ///
    /// # Errors
    ///
    /// [`CidError`] naming the first field that is not Basalt's (CIDv1, raw, blake3, 32).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CidError> {
        if bytes.len() != BINARY_LEN {
            return Err(CidError::Length {
                actual: bytes.len(),
            });
        }
        // All four prefix values are below 0x80, so each varint is exactly one byte and a
        // byte with the continuation bit set is simply a wrong value.
        type FieldError = fn(u8) -> CidError;
        let checks: [(u8, FieldError); 4] = [
            (PREFIX[0], CidError::Version),
            (PREFIX[1], CidError::Codec),
            (PREFIX[2], CidError::Multihash),
            (PREFIX[3], CidError::DigestLength),
        ];
        for (i, (expected, error)) in checks.into_iter().enumerate() {
            if bytes[i] != expected {
                return Err(error(bytes[i]));
            }
        }
        let mut digest = [0u8; 32];
        digest.copy_from_slice(&bytes[PREFIX.len()..]);
        Ok(Self(digest))
    }
}

impl fmt::Display for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b{}", BASE32_LOWER.encode(&self.to_bytes()))
    }
}

impl fmt::Debug for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cid({self})")
    }
}

impl FromStr for Cid {
    type Err = CidError;

    fn from_str(s: &str) -> Result<Self, CidError> {
        let mut chars = s.chars();
        match chars.next() {
            None => Err(CidError::Empty),
            Some('b') => {
                let bytes = BASE32_LOWER
                    .decode(chars.as_str().as_bytes())
                    .map_err(|e| CidError::Base32(e.to_string()))?;
                Self::from_bytes(&bytes)
            }
            Some(other) => Err(CidError::Multibase(other)),
        }
    }
}

/// Incremental CID computation over a stream.
#[derive(Default, Clone)]
pub struct CidHasher(blake3::Hasher);

impl CidHasher {
    /// A hasher over no bytes yet.
    pub fn new() -> Self {
        Self::default()
    }
    /// Feeds the next bytes of the stream.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    /// The CID of everything fed so far.
    pub fn finish(&self) -> Cid {
        Cid(*self.0.finalize().as_bytes())
    }
}

/// As its text form, so manifests and answers carry it readably.
impl serde::Serialize for Cid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Cid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_vector() {
        // BLAKE3("") = af1349b9…; the multibase form starts with the fixed prefix bafkr4i.
        let cid = Cid::of(b"");
        assert_eq!(
            cid.digest()[..4],
            [0xaf, 0x13, 0x49, 0xb9],
            "BLAKE3 of the empty string"
        );
        assert!(cid.to_string().starts_with("bafkr4i"), "{cid}");
    }

    #[test]
    fn malformed_strings_are_typed_errors() {
        let good = Cid::of(b"x").to_string();
        assert_eq!("".parse::<Cid>(), Err(CidError::Empty));
        assert_eq!("z123".parse::<Cid>(), Err(CidError::Multibase('z')));
        assert!(matches!(
            good.to_uppercase().parse::<Cid>(),
            Err(CidError::Multibase('B'))
        ));
        assert!(matches!("b!!!".parse::<Cid>(), Err(CidError::Base32(_))));
        assert!(good[..good.len() - 4].parse::<Cid>().is_err());
        let mut sha256_cid = Cid::of(b"x").to_bytes();
        sha256_cid[2] = 0x12;
        assert_eq!(Cid::from_bytes(&sha256_cid), Err(CidError::Multihash(0x12)));
        let mut v0 = Cid::of(b"x").to_bytes();
        v0[0] = 0;
        assert_eq!(Cid::from_bytes(&v0), Err(CidError::Version(0)));
        let mut dag_pb = Cid::of(b"x").to_bytes();
        dag_pb[1] = 0x70;
        assert_eq!(Cid::from_bytes(&dag_pb), Err(CidError::Codec(0x70)));
        let mut short = Cid::of(b"x").to_bytes();
        short[3] = 20;
        assert_eq!(Cid::from_bytes(&short), Err(CidError::DigestLength(20)));
    }
}
