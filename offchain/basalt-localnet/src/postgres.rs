//! The local network's own PostgreSQL for the indexer: a private cluster inside the
//! network's directory, created with `initdb` and run in the foreground as a child of the
//! network's process (so that it ends with it, as the nodes do: `pg_ctl` would detach it)
//! from the installed server binaries (Debian: /usr/lib/postgresql/<version>/bin;
//! `apt-get install postgresql`), on 127.0.0.1 and a free port, trust authentication for
//! local users.
//!
//! PostgreSQL refuses to run as root. When the network runs as root, the cluster is run
//! as the `postgres` system user (which the server package creates); its directory must
//! then be reachable by that user.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::process::die_with_parent;

/// A running private cluster. Stopped (fast shutdown) when dropped.
pub struct LocalPostgres {
    data: PathBuf,
    bin: PathBuf,
    port: u16,
    /// Run the server commands as this user (when we are root).
    run_as: Option<&'static str>,
    /// The postmaster, a child of this process.
    server: Option<Child>,
}

/// The database the indexer uses inside the cluster.
const DATABASE: &str = "basalt";

impl LocalPostgres {
    /// Starts the cluster in `dir` (creating it on first use) on `port`.
    ///
    /// # Errors
    ///
    /// When no server binaries are installed, the cluster cannot be created or does not
    /// start (its log is `dir/postgres.log`).
    pub fn start(dir: &Path, port: u16) -> Result<Self> {
        let bin = server_bin_dir()?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        let pg = Self {
            data: dir.join("data"),
            bin,
            port,
            run_as: root.then_some("postgres"),
            server: None,
        };
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        if let Some(user) = pg.run_as {
            pg.run("chown", &["-R", user, &dir.display().to_string()], false)?;
        }
        if !pg.data.join("PG_VERSION").exists() {
            let data = pg.data.display().to_string();
            pg.run(
                "initdb",
                &["-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                true,
            )
            .with_context(|| match pg.run_as {
                Some(user) => format!(
                    "creating the local PostgreSQL cluster in {} as the `{user}` user (root \
                     cannot run PostgreSQL): that user must be able to reach the directory; \
                     or set DATABASE_URL to a server of yours",
                    dir.display()
                ),
                None => "creating the local PostgreSQL cluster".to_owned(),
            })?;
        }
        let log = dir.join("postgres.log");
        let mut pg = pg;
        pg.server =
            Some(pg.spawn_server(dir, &log).with_context(|| {
                format!("starting the local PostgreSQL; see {}", log.display())
            })?);
        pg.wait_until_ready(&log)?;
        let port_arg = port.to_string();
        let connect = ["-h", "127.0.0.1", "-p", &port_arg, "-U", "postgres"];
        let query = format!("SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'");
        let exists = pg.output("psql", &[&connect[..], &["-tAc", &query]].concat())?;
        if exists.trim() != "1" {
            pg.run("createdb", &[&connect[..], &[DATABASE]].concat(), true)?;
        }
        Ok(pg)
    }

    /// The indexer's database URL.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{DATABASE}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (fast shutdown: open connections are closed, data is flushed).
    ///
    /// # Errors
    ///
    /// When the server does not stop within 60 s (it is then killed).
    pub fn stop(&mut self) -> Result<()> {
        let Some(mut server) = self.server.take() else {
            return Ok(());
        };
        let pid = libc::pid_t::try_from(server.id()).context("process id")?;
        // SAFETY: kill(2) on our own unreaped child. SIGINT is PostgreSQL's fast shutdown.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if server.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        server.kill()?;
        server.wait()?;
        bail!("PostgreSQL did not shut down within 60 s and was killed")
    }

    /// Starts the postmaster in the foreground, its output appended to `log`, as the
    /// cluster's user; it gets SIGINT (a fast shutdown) when this process ends.
    fn spawn_server(&self, dir: &Path, log: &Path) -> Result<Child> {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let mut command = Command::new(self.bin.join("postgres"));
        command
            .arg("-D")
            .arg(&self.data)
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=on"])
            .arg("-k")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        if let Some(user) = self.run_as {
            let (uid, gid) = user_ids(user)?;
            switch_user(&mut command, uid, gid);
        }
        // After the switch: a credentials change resets the parent-death signal.
        die_with_parent(&mut command, libc::SIGINT);
        Ok(command.spawn()?)
    }

    /// Waits until the server accepts connections (`pg_isready`), at most 60 s.
    fn wait_until_ready(&mut self, log: &Path) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let port = self.port.to_string();
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(());
            }
            if let Some(server) = self.server.as_mut() {
                if let Some(status) = server.try_wait()? {
                    self.server = None;
                    bail!(
                        "the local PostgreSQL exited ({status}) while starting; see {}",
                        log.display()
                    );
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "the local PostgreSQL did not accept connections within 60 s; see {}",
                    log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `program` (a server binary when `server`), as the cluster's user.
    fn run(&self, program: &str, args: &[&str], server: bool) -> Result<()> {
        self.output_of(program, args, server).map(drop)
    }

    /// Runs a server binary as the cluster's user and returns what it printed.
    fn output(&self, program: &str, args: &[&str]) -> Result<String> {
        self.output_of(program, args, true)
    }

    fn output_of(&self, program: &str, args: &[&str], server: bool) -> Result<String> {
        let out = self.command(program, args, server).output()?;
        if !out.status.success() {
            bail!(
                "{program} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn command(&self, program: &str, args: &[&str], server: bool) -> Command {
        let program = if server {
            self.bin.join(program)
        } else {
            PathBuf::from(program)
        };
        match self.run_as.filter(|_| server) {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program).args(args);
                c
            }
            None => {
                let mut c = Command::new(program);
                c.args(args);
                c
            }
        }
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::warn!("stopping the local PostgreSQL: {e}");
        }
    }
}

/// The user and group ids of `user`, looked up before forking (getpwnam is not safe to
/// call in the child).
fn user_ids(user: &str) -> Result<(libc::uid_t, libc::gid_t)> {
    let name = std::ffi::CString::new(user)?;
    // SAFETY: getpwnam with a valid C string; the record is read before any other call
    // that could overwrite it.
    let record = unsafe { libc::getpwnam(name.as_ptr()) };
    if record.is_null() {
        bail!("no `{user}` user on this machine (the PostgreSQL server package creates it)");
    }
    // SAFETY: checked non-null above.
    let record = unsafe { &*record };
    Ok((record.pw_uid, record.pw_gid))
}

/// Makes `command`'s child run as `uid`/`gid` (from root), with no supplementary groups.
fn switch_user(command: &mut Command, uid: libc::uid_t, gid: libc::gid_t) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setgroups, setgid and setuid are async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// The newest installed server's binary directory.
fn server_bin_dir() -> Result<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "no PostgreSQL server is installed (looked in /usr/lib/postgresql/*/bin): \
             `apt-get install postgresql`, or set DATABASE_URL to a server of yours"
        ),
    }
}
