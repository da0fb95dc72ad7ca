//! The encoder's handling of input that does not match what was announced.

use crate::common;

use basalt_core::{plain_size, stored_size, BlobEncoder, DataKey, EncodeError};
use common::bytes;

#[test]
fn short_input_is_reported_with_counts() {
    let data = bytes(5_000, 1);
    let mut encoder = BlobEncoder::new(&data[..], 6_000, 4096, 3, 2, None).unwrap();
    encoder.next_chunk().unwrap().unwrap();
    match encoder.next_chunk() {
        Err(EncodeError::Truncated { read, expected }) => {
            assert_eq!((read, expected), (5_000, 6_000))
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[test]
fn long_input_is_reported_at_finish() {
    let data = bytes(5_000, 1);
    let mut encoder = BlobEncoder::new(&data[..], 4_000, 4096, 3, 2, None).unwrap();
    while encoder.next_chunk().unwrap().is_some() {}
    assert!(matches!(
        encoder.finish(),
        Err(EncodeError::TrailingData { expected: 4_000 })
    ));
}

#[test]
fn finishing_early_is_an_error() {
    let data = bytes(9_000, 1);
    let mut encoder = BlobEncoder::new(&data[..], 9_000, 4096, 3, 2, None).unwrap();
    encoder.next_chunk().unwrap();
    assert!(matches!(
        encoder.finish(),
        Err(EncodeError::Unfinished { done: 1, total: 3 })
    ));
}

#[test]
fn encrypted_sizes_add_one_tag_per_chunk() {
    assert_eq!(stored_size(0, 4096, true).unwrap(), 16);
    assert_eq!(stored_size(4080, 4096, true).unwrap(), 4096);
    assert_eq!(stored_size(4081, 4096, true).unwrap(), 4081 + 32);
    assert_eq!(stored_size(123, 4096, false).unwrap(), 123);
    assert!(matches!(
        stored_size(1, 16, true),
        Err(EncodeError::ChunkTooSmallForTag(16))
    ));
}

#[test]
fn the_plain_size_is_the_stored_size_less_one_tag_per_chunk() {
    for plain in [0, 1, 4079, 4080, 4081, 3 * 4080, 10_000] {
        let stored = stored_size(plain, 4096, true).unwrap();
        let chunks = stored.div_ceil(4096) as u32;
        assert_eq!(plain_size(stored, chunks, true), plain, "{plain} bytes");
    }
    assert_eq!(plain_size(123, 1, false), 123);
}

#[test]
fn encrypted_chunks_fill_the_stored_chunk_exactly() {
    let key = DataKey::generate();
    let data = bytes(3 * 4080, 5);
    let mut encoder =
        BlobEncoder::new(&data[..], data.len() as u64, 4096, 3, 2, Some(&key)).unwrap();
    assert_eq!(encoder.layout().chunk_count(), 3);
    assert_eq!(encoder.layout().size(), 3 * 4096);
    while encoder.next_chunk().unwrap().is_some() {}
    encoder.finish().unwrap();
}
