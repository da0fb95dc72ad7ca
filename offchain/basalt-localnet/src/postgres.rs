//! The local network's own PostgreSQL for the indexer: a private cluster inside the
//! network's directory, created with `initdb` and run with `pg_ctl` from the installed
//! server binaries (Debian: /usr/lib/postgresql/<version>/bin; `apt-get install
//! postgresql`), on 127.0.0.1 and a free port, trust authentication for local users.
//!
//! PostgreSQL refuses to run as root. When the network runs as root, the cluster is run
//! as the `postgres` system user (which the server package creates); its directory must
//! then be reachable by that user.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// A running private cluster. Stopped (fast shutdown) when dropped.
pub struct LocalPostgres {
    data: PathBuf,
    bin: PathBuf,
    port: u16,
    /// Run the server commands as this user (when we are root).
    run_as: Option<&'static str>,
    running: bool,
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
            running: false,
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
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=on",
            dir.display()
        );
        let log = dir.join("postgres.log").display().to_string();
        let data = pg.data.display().to_string();
        pg.run(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-o", &options, "-w", "-t", "60", "start",
            ],
            true,
        )
        .with_context(|| format!("starting the local PostgreSQL; see {log}"))?;
        let mut pg = pg;
        pg.running = true;
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
    /// When `pg_ctl stop` fails.
    pub fn stop(&mut self) -> Result<()> {
        if !std::mem::take(&mut self.running) {
            return Ok(());
        }
        let data = self.data.display().to_string();
        self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"], true)
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
