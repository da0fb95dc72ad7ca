//! The explorer's browser checks: Playwright scripts (`app-tests/explorer/`) driving Debian's
//! Chromium, from the virtual environment `scripts/api-clients.sh` makes.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

/// Longest a browser script may run.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(600);

/// The Python of the environment with Playwright (`BASALT_VENV`, by default
/// `~/.cache/basalt-venv`).
///
/// # Errors
///
/// When it is not there: `scripts/api-clients.sh` (scripts/test.sh runs it) makes it.
pub fn python() -> Result<PathBuf> {
    let venv = match std::env::var_os("BASALT_VENV") {
        Some(v) => PathBuf::from(v),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?)
            .join(".cache/basalt-venv"),
    };
    let python = venv.join("bin/python");
    ensure!(
        python.is_file(),
        "no Playwright in {}: run scripts/api-clients.sh (scripts/test.sh does)",
        venv.display()
    );
    Ok(python)
}

/// `scripts/`, where the scripts' shared `chromium.py` is: their `PYTHONPATH`.
pub fn python_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts")
}

/// The path of `app-tests/explorer/<name>`.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("explorer")
        .join(name)
}

/// Starts script `name` with `args`, its output (stdout and stderr) in `log`.
///
/// # Errors
///
/// When there is no Playwright environment or the script cannot start.
pub fn spawn(name: &str, args: &[impl AsRef<OsStr>], log: &Path) -> Result<Child> {
    let file = std::fs::File::create(log)?;
    Command::new(python()?)
        .arg(script(name))
        .args(args)
        .env("PYTHONPATH", python_path())
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .spawn()
        .with_context(|| format!("starting {name}"))
}

/// Runs script `name` with `args` to its end (blocking, at most [`SCRIPT_TIMEOUT`]), its
/// output in `log`; returns its last line.
///
/// # Errors
///
/// When it cannot start, runs too long or fails (with its output).
pub fn run(name: &str, args: &[String], log: &Path) -> Result<String> {
    let mut child = spawn(name, args, log)?;
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("{name} ran past {SCRIPT_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = std::fs::read_to_string(log)?;
    ensure!(status.success(), "{name}: {status}\n{output}");
    Ok(output.lines().last().unwrap_or_default().to_owned())
}
