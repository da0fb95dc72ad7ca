use anyhow::Result;
use basalt_sandbox::{Failure, JobEnv, Outcome, Sandbox};
use sha2::{Digest, Sha256};

use crate::common::{env, example, output, FUEL};

#[test]
fn wordcount_counts_like_wc() -> Result<()> {
    let sandbox = Sandbox::new(4)?;
    let module = example("wordcount.wat")?;
    for (input, expected) in [
        (&b""[..], "0 0 0\n"),
        (b"one", "0 1 3\n"),
        (b"  two words\n\tand\r\nthree  \n", "3 4 26\n"),
    ] {
        let run = sandbox.run(&module, input.to_vec(), &env())?;
        assert_eq!(output(&run)?, expected.as_bytes(), "{input:?}");
    }
    // More than one read: the buffer is 64 KiB.
    let big = b"lorem ipsum\n".repeat(20_000);
    let run = sandbox.run(&module, big.clone(), &env())?;
    assert_eq!(
        output(&run)?,
        format!("20000 40000 {}\n", big.len()).as_bytes()
    );
    Ok(())
}

#[test]
fn sha256_matches_the_reference_implementation() -> Result<()> {
    let sandbox = Sandbox::new(4)?;
    let module = example("sha256.wat")?;
    let mut inputs: Vec<Vec<u8>> = vec![Vec::new(), b"abc".to_vec()];
    // Every length around the padding's block boundaries, and one input over many reads.
    inputs.extend((50..=130).map(|n| (0..n).map(|i| (i * 31 % 251) as u8).collect()));
    inputs.push((0..300_000u32).map(|i| (i % 253) as u8).collect());
    for input in inputs {
        let expected = format!("{:x}\n", Sha256::digest(&input));
        let run = sandbox.run(&module, input.clone(), &env())?;
        assert_eq!(
            String::from_utf8_lossy(output(&run)?),
            expected,
            "{} bytes",
            input.len()
        );
    }
    Ok(())
}

#[test]
fn matmul_computes_ieee_products_with_canonical_nans() -> Result<()> {
    let sandbox = Sandbox::new(4)?;
    let module = example("matmul.wat")?;
    // Rows 0-3 of A are non-negative (bytes of 120 and more), so columns 0-3 of B and C
    // are numbers; the other rows hold negative entries, whose square roots are NaN.
    let input: Vec<u8> = (0..64u8)
        .map(|i| {
            if i < 32 {
                120 + i * 4
            } else {
                i.wrapping_mul(37)
            }
        })
        .collect();
    let run = sandbox.run(&module, input.clone(), &env())?;
    let out = output(&run)?;
    assert_eq!(out.len(), 512);
    let got: Vec<u64> = out
        .chunks(8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    // The same arithmetic in Rust, in the same order: IEEE 754 makes every number equal
    // to the bit.
    let a = |i: usize, j: usize| f64::from(input[i * 8 + j]) / 3.0 - 40.0;
    let b = |i: usize, j: usize| a(j, i).sqrt();
    let mut nans = 0;
    for i in 0..8 {
        for j in 0..8 {
            let expected = (0..8).fold(0.0, |sum, k| sum + a(i, k) * b(k, j));
            let bits = got[i * 8 + j];
            if expected.is_nan() {
                nans += 1;
                assert_eq!(
                    bits, 0x7ff8_0000_0000_0000,
                    "C[{i}][{j}] is the canonical NaN"
                );
            } else {
                assert_eq!(bits, expected.to_bits(), "C[{i}][{j}]");
            }
        }
    }
    assert_eq!(nans, 32, "columns 4-7");
    Ok(())
}

#[test]
fn runs_are_byte_identical_across_sandboxes_and_cache_states() -> Result<()> {
    let input: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 256) as u8).collect();
    for name in ["wordcount.wat", "sha256.wat", "matmul.wat"] {
        let module = example(name)?;
        // A cold sandbox that compiles, one that keeps nothing, and a warm cache.
        let cold = Sandbox::new(4)?.run(&module, input.clone(), &env())?;
        let uncached = Sandbox::new(0)?;
        let warm = Sandbox::new(4)?;
        warm.run(&module, input.clone(), &env())?;
        for run in [
            uncached.run(&module, input.clone(), &env())?,
            warm.run(&module, input.clone(), &env())?,
        ] {
            assert_eq!(run.outcome, cold.outcome, "{name}");
            assert_eq!(
                run.fuel_used, cold.fuel_used,
                "{name}: fuel is deterministic"
            );
        }
        assert!(cold.fuel_used > 0 && cold.fuel_used < FUEL, "{name}");
    }
    Ok(())
}

#[test]
fn the_result_is_the_output_cid_or_the_failure() -> Result<()> {
    let sandbox = Sandbox::new(1)?;
    let run = sandbox.run(&example("wordcount.wat")?, b"a b".to_vec(), &env())?;
    assert_eq!(
        run.outcome.result(),
        *basalt_core::Cid::of(b"0 2 3\n").digest()
    );
    let starved = JobEnv { fuel: 10, ..env() };
    let run = sandbox.run(&example("wordcount.wat")?, b"a b".to_vec(), &starved)?;
    assert_eq!(run.outcome, Outcome::Failure(Failure::OutOfFuel));
    assert_eq!(run.fuel_used, 10, "all of it");
    assert_eq!(
        Failure::from_result(&run.outcome.result()),
        Some(Failure::OutOfFuel)
    );
    assert_eq!(
        Failure::from_result(&Failure::Exit(3).result()),
        Some(Failure::Exit(3))
    );
    let every = [
        Failure::InvalidModule,
        Failure::UnsupportedImport,
        Failure::OutOfFuel,
        Failure::ResourceLimit,
        Failure::OutputLimit,
        Failure::Trap,
        Failure::Exit(1),
    ];
    let results: std::collections::BTreeSet<_> = every.iter().map(Failure::result).collect();
    assert_eq!(results.len(), every.len(), "distinct results");
    Ok(())
}
