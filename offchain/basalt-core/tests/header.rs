//! Shard headers round-trip, and nothing malformed panics or gets through.

use basalt_core::{BlobId, BlobLayout, HeaderError, ShardHeader, HEADER_LEN};
use proptest::prelude::*;

fn header(chunk: u32, shard: u16, encrypted: bool) -> ShardHeader {
    ShardHeader {
        blob: BlobId::from_bytes([1; 32]),
        layout: BlobLayout::new(10 << 20, 4 << 20, 10, 4).unwrap(),
        encrypted,
        chunk,
        shard,
        shard_root: [7; 32],
    }
}

proptest! {
    #[test]
    fn round_trip(chunk in 0u32..3, shard in 0u16..14, encrypted in any::<bool>(), tail in proptest::collection::vec(any::<u8>(), 0..64)) {
        let h = header(chunk, shard, encrypted);
        let mut wire = h.encode().to_vec();
        wire.extend_from_slice(&tail);
        let (decoded, rest) = ShardHeader::decode(&wire).unwrap();
        prop_assert_eq!(decoded, h);
        prop_assert_eq!(rest, &tail[..]);
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = ShardHeader::decode(&bytes);
    }

    #[test]
    fn any_truncation_is_an_error(cut in 0usize..HEADER_LEN) {
        let wire = header(1, 2, false).encode();
        prop_assert_eq!(ShardHeader::decode(&wire[..cut]).unwrap_err(), HeaderError::Truncated { actual: cut });
    }

    #[test]
    fn any_changed_byte_is_an_error(pos in 0usize..HEADER_LEN, flip in 1u8..=255) {
        let mut wire = header(1, 2, true).encode();
        wire[pos] ^= flip;
        prop_assert!(ShardHeader::decode(&wire).is_err());
    }
}

#[test]
fn inconsistent_fields_are_named_even_with_a_valid_checksum() {
    // Re-encode headers whose fields contradict the layout: the checksum is right, the
    // content is not.
    let mut h = header(0, 0, false);
    h.chunk = 3; // a 10 MiB blob in 4 MiB chunks has chunks 0..3
    assert_eq!(
        ShardHeader::decode(&h.encode()).unwrap_err(),
        HeaderError::Chunk {
            chunk: 3,
            chunk_count: 3
        }
    );
    let mut h = header(0, 0, false);
    h.shard = 14;
    assert_eq!(
        ShardHeader::decode(&h.encode()).unwrap_err(),
        HeaderError::Shard {
            shard: 14,
            total: 14
        }
    );
}

#[test]
fn data_is_checked_against_the_header() {
    let layout = BlobLayout::new(1000, 1000, 3, 2).unwrap();
    let data = vec![5u8; layout.shard_len(0) as usize];
    let h = ShardHeader {
        blob: BlobId::from_bytes([2; 32]),
        layout,
        encrypted: false,
        chunk: 0,
        shard: 1,
        shard_root: basalt_core::shard_root(&data, layout.leaf_size() as usize),
    };
    assert_eq!(h.verify_data(&data), Ok(()));
    assert!(matches!(
        h.verify_data(&data[1..]),
        Err(HeaderError::DataLen { .. })
    ));
    let mut bad = data.clone();
    bad[10] ^= 1;
    assert_eq!(h.verify_data(&bad), Err(HeaderError::Root));
}
