//! Basalt CIDs agree with the reference `cid` and `multihash` implementations.

use basalt_core::Cid;
use proptest::prelude::*;

fn reference(bytes: &[u8]) -> cid::Cid {
    let digest = blake3::hash(bytes);
    let mh = multihash::Multihash::<64>::wrap(0x1e, digest.as_bytes()).unwrap();
    cid::Cid::new_v1(0x55, mh)
}

#[test]
fn fixed_vectors_match_the_reference() {
    for input in [&b""[..], b"a", b"hello basalt", &[0u8; 1000]] {
        let ours = Cid::of(input);
        let theirs = reference(input);
        assert_eq!(ours.to_string(), theirs.to_string());
        assert_eq!(ours.to_bytes().to_vec(), theirs.to_bytes());
        assert_eq!(theirs.to_string().parse::<Cid>().unwrap(), ours);
    }
    // Pinned (computed independently with Python: base32 of 0x01551e20 ++ BLAKE3("")) so a
    // change of encoding cannot slip through with both sides changed.
    assert_eq!(
        Cid::of(b"").to_string(),
        "bafkr4ifpcne3t5pzugtkaqcn5i3nzskjtpfslsnnyejlpte2spfoihzsmi"
    );
}

proptest! {
    #[test]
    fn random_inputs_match_the_reference_and_round_trip(input in proptest::collection::vec(any::<u8>(), 0..512)) {
        let ours = Cid::of(&input);
        prop_assert_eq!(ours.to_string(), reference(&input).to_string());
        prop_assert_eq!(ours.to_string().parse::<Cid>().unwrap(), ours);
        prop_assert_eq!(Cid::from_bytes(&ours.to_bytes()).unwrap(), ours);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,80}") {
        let _ = s.parse::<Cid>();
    }
}
