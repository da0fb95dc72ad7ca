//! The `basalt-worker` binary refuses to start without what it needs, saying what is
//! missing. (It runs jobs in `app-tests` and in `basalt localnet`; building this test also
//! makes `cargo test --workspace` build the binary those start.)

use std::process::Command;

const WORKER: &str = env!("CARGO_BIN_EXE_basalt-worker");

#[test]
fn a_missing_wallet_is_a_clear_error() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let out = Command::new(WORKER)
        .arg("--keypair")
        .arg(dir.path().join("missing.json"))
        .arg("--state-dir")
        .arg(dir.path())
        .output()?;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.json"), "{stderr}");
    Ok(())
}

#[test]
fn an_unreachable_chain_fails_the_registration_clearly() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let wallet = dir.path().join("wallet.json");
    solana_keypair::write_keypair_file(&solana_keypair::Keypair::new(), &wallet)?;
    let out = Command::new(WORKER)
        .arg("--keypair")
        .arg(&wallet)
        .arg("--state-dir")
        .arg(dir.path())
        // Nothing listens on port 9 (discard) here.
        .args(["--url", "http://127.0.0.1:9", "--register-stake", "1"])
        .output()?;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("registering as a compute provider"),
        "{stderr}"
    );
    Ok(())
}
