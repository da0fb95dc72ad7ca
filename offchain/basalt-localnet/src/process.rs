//! Child processes of the local network (storage nodes, the indexer): spawned with their
//! log in a file, ready once they print their first line on stdout, stopped with SIGTERM
//! (so they finish what they are doing) and killed when dropped. They also die with the
//! process that started them, however it ends ([`die_with_parent`]): a `basalt localnet`
//! killed with SIGKILL leaves nothing running.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

/// A running child process.
pub struct Service {
    child: Option<Child>,
    /// What it printed first (its address line).
    pub first_line: String,
}

impl Service {
    /// Spawns `command` with stderr appended to `log`, and waits up to `timeout` for its
    /// first line on stdout.
    ///
    /// # Errors
    ///
    /// When it cannot be spawned or prints nothing in time (its log says why).
    pub fn spawn(mut command: Command, what: &str, log: &Path, timeout: Duration) -> Result<Self> {
        die_with_parent(&mut command, libc::SIGTERM);
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .with_context(|| format!("spawning {what}"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep draining so the child never blocks on a full pipe.
            for _ in lines {}
        });
        match rx.recv_timeout(timeout) {
            Ok(first_line) => Ok(Self {
                child: Some(child),
                first_line,
            }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "{what} did not start within {} s; see {}",
                    timeout.as_secs(),
                    log.display()
                )
            }
        }
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// SIGSTOP (`frozen`) or SIGCONT: the process stays alive, its sockets keep
    /// accepting connections in the kernel, and nothing answers them: a gray failure, for
    /// fault injection.
    ///
    /// # Errors
    ///
    /// When the process is gone.
    pub fn freeze(&mut self, frozen: bool) -> Result<()> {
        let signal = if frozen { libc::SIGSTOP } else { libc::SIGCONT };
        self.signal(signal)
    }

    fn signal(&mut self, signal: libc::c_int) -> Result<()> {
        let child = self.child.as_ref().ok_or_else(|| anyhow!("not running"))?;
        let pid = libc::pid_t::try_from(child.id()).context("process id")?;
        // SAFETY: kill(2) with the pid of our own child, which we have not reaped.
        if unsafe { libc::kill(pid, signal) } != 0 {
            bail!(
                "signal {signal} to process {pid}: {}",
                std::io::Error::last_os_error()
            );
        }
        Ok(())
    }

    /// SIGTERM, then wait up to 30 s for it to finish (SIGKILL after). A frozen process
    /// is thawed to receive it.
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub fn stop(&mut self) -> Result<()> {
        if self.signal(libc::SIGTERM).is_err() {
            if let Some(child) = self.child.as_mut() {
                let _ = child.kill();
            }
        }
        let _ = self.signal(libc::SIGCONT);
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill()?;
        child.wait()?;
        Ok(())
    }

    /// SIGKILL: a crash, for fault injection.
    ///
    /// # Errors
    ///
    /// When the process cannot be killed.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// Makes the child `command` starts receive `signal` when the thread that starts it ends,
/// which for the local network is its process: the nodes, workers and indexer are started
/// from the thread that runs the network (the CLI's main thread, a test's thread), never
/// from a pool thread that could end before it (Linux's `PR_SET_PDEATHSIG`, which a
/// credentials change resets: a child that changes user sets it after).
pub(crate) fn die_with_parent(command: &mut Command, signal: libc::c_int) {
    // SAFETY: getpid is async-signal-safe and cannot fail.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the forked child before exec and calls only
    // async-signal-safe functions (prctl, getppid).
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl: nobody would signal us.
            if libc::getppid() != parent {
                return Err(std::io::Error::other("the parent exited while starting"));
            }
            Ok(())
        });
    }
}

/// Finds a binary of the workspace: `$env_var`, else next to the running executable,
/// else one directory up (where cargo puts binaries when tests run from
/// `target/<profile>/deps`).
///
/// # Errors
///
/// When none exists, with what to do about it.
pub fn sibling_binary(name: &str, env_var: &str) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(env_var) {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("locating the running executable")?;
    let dir = exe
        .parent()
        .ok_or_else(|| anyhow!("executable has no directory"))?;
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    for candidate in [dir.join(&file), dir.join("..").join(&file)] {
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "cannot find the {name} binary next to {}: build it (`cargo build --workspace`) or set {env_var}",
        exe.display()
    )
}
