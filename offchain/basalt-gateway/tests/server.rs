//! The `basalt-gateway` binary on its own (no network behind it): a configuration it
//! cannot use is refused with the reason, and every request must be signed by a
//! configured key before anything else happens. The S3 operations themselves are tested
//! with real clients against a local network (app-tests/tests/s3_gateway.rs).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::{ensure, Context, Result};
use solana_keypair::{write_keypair_file, Keypair};

const BINARY: &str = env!("CARGO_BIN_EXE_basalt-gateway");

/// Kills the gateway when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn config(dir: &std::path::Path, wallet: &std::path::Path) -> String {
    format!(
        "listen = \"127.0.0.1:0\"\nurl = \"http://127.0.0.1:9\"\nindex = {:?}\nspool = {:?}\n[limits]\nheader_timeout_secs = 1\n[[keys]]\naccess_key = \"BASALTTEST1\"\nsecret_key = \"0123456789abcdef0123\"\nwallet = {:?}\n",
        dir.join("index"),
        dir.join("spool"),
        wallet
    )
}

/// Starts the binary on `dir`'s configuration with a fresh wallet; returns it and its URL.
async fn start(dir: &std::path::Path) -> Result<(Running, String)> {
    let wallet = dir.join("wallet.json");
    write_keypair_file(&Keypair::new(), &wallet).map_err(|e| anyhow::anyhow!("{e}"))?;
    let path = dir.join("gateway.toml");
    std::fs::write(&path, config(dir, &wallet))?;
    let mut child = Running(
        Command::new(BINARY)
            .arg("--config")
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let stdout = child.0.stdout.take().context("stdout")?;
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await??;
    let url = line
        .trim()
        .strip_prefix("basalt-gateway listening on ")
        .with_context(|| format!("first line: {line}"))?
        .to_owned();
    Ok((child, url))
}

/// Now as SigV4's `x-amz-date` and credential-scope date (UTC), so that the requests are
/// judged by their key and signature, not refused as skewed.
fn amz_now() -> (String, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let date = format!("{year:04}{month:02}{day:02}");
    let time = format!("T{:02}{:02}{:02}Z", rest / 3600, rest / 60 % 60, rest % 60);
    (format!("{date}{time}"), date)
}

/// A SigV4 `Authorization` header for `access_key` with a signature that is not one.
fn forged(access_key: &str, date: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/{date}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={}",
        "0".repeat(64)
    )
}

#[test]
fn a_wallet_that_does_not_load_stops_the_gateway_with_the_reason() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, config(dir.path(), &dir.path().join("missing.json")))?;
    let output = Command::new(BINARY).arg("--config").arg(&path).output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(!output.status.success(), "it started");
    ensure!(
        stderr.contains("BASALTTEST1") && stderr.contains("missing.json"),
        "the error names the key and the file: {stderr}"
    );
    Ok(())
}

#[tokio::test]
async fn an_unsigned_or_unknown_request_is_refused_with_s3_errors() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (_gateway, url) = start(dir.path()).await?;
    let http = reqwest::Client::new();

    let anonymous = http.get(format!("{url}/")).send().await?;
    let status = anonymous.status();
    let body = anonymous.text().await?;
    ensure!(
        status == 403 && body.contains("<Code>AccessDenied</Code>"),
        "unsigned: {status} {body}"
    );

    let (stamp, date) = amz_now();
    for (key, code) in [
        ("NOSUCHKEY1", "InvalidAccessKeyId"),
        ("BASALTTEST1", "SignatureDoesNotMatch"),
    ] {
        let answer = http
            .get(format!("{url}/photos"))
            .header("x-amz-date", &stamp)
            .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
            .header("authorization", forged(key, &date))
            .send()
            .await?;
        let status = answer.status();
        let body = answer.text().await?;
        ensure!(
            status == 403 && body.contains(&format!("<Code>{code}</Code>")),
            "{key}: {status} {body}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() -> Result<()> {
    use std::io::{Read, Write};

    let dir = tempfile::tempdir()?;
    let (_gateway, url) = start(dir.path()).await?;
    let address = url
        .strip_prefix("http://")
        .context("an http URL")?
        .to_owned();
    let answer = tokio::task::spawn_blocking(move || -> Result<String> {
        let mut slow = std::net::TcpStream::connect(&address)?;
        slow.write_all(b"GET /photos HTTP/1.1\r\nHost: x\r\n")?;
        // The configuration gives headers 1 s; the gateway closes the connection (with or
        // without a 408 first) well before this read's own deadline.
        slow.set_read_timeout(Some(std::time::Duration::from_secs(20)))?;
        let mut answer = Vec::new();
        match slow.read_to_end(&mut answer) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => anyhow::bail!("the connection was still open after 20 s: {e}"),
        }
        Ok(String::from_utf8_lossy(&answer).into_owned())
    })
    .await??;
    ensure!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "answered {answer}"
    );
    Ok(())
}
