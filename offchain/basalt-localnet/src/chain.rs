//! The embedded local chain: surfpool's in-process validator (LiteSVM behind the full
//! Solana JSON-RPC and websocket API) on 127.0.0.1, offline, with the Basalt program
//! registered as a native builtin.
//!
//! Everything else talks to it with the stock Solana RPC clients, exactly as it would to
//! devnet or mainnet; nothing in the rest of the code base knows the chain is embedded.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::account_mirror::AccountMirror;
use anyhow::{anyhow, bail, Context, Result};
use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};
use surfpool_core::storage::StorageFifoMap;
use surfpool_core::surfnet::svm::{
    SurfnetSvm, SurfnetSvmConfig, GARBAGE_COLLECTION_INTERVAL_SLOTS,
};
use surfpool_types::{RpcConfig, SimnetCommand, SimnetConfig, SimnetEvent, SurfpoolConfig};

/// How the chain runs.
#[derive(Debug, Clone)]
pub struct ChainOptions {
    /// Directory for the chain's SQLite state (accounts, blocks, transactions); `None` keeps
    /// everything in memory and loses it on stop.
    pub state_dir: Option<PathBuf>,
    /// JSON-RPC port on 127.0.0.1; 0 picks a free one.
    pub rpc_port: u16,
    /// Websocket port on 127.0.0.1; 0 picks a free one.
    pub ws_port: u16,
    /// Milliseconds per slot. Mainnet runs at about 400; a shorter slot makes
    /// confirmations (one slot here) and epochs come sooner.
    pub slot_ms: u64,
}

impl Default for ChainOptions {
    fn default() -> Self {
        Self {
            state_dir: None,
            rpc_port: 0,
            ws_port: 0,
            slot_ms: 100,
        }
    }
}

/// A running local chain. Dropping it without [`LocalChain::stop`] also stops it.
pub struct LocalChain {
    rpc_url: String,
    ws_url: String,
    commands: Sender<SimnetCommand>,
    runloop: Option<JoinHandle<()>>,
}

/// With a database, surfpool rebuilds its LiteSVM every this many slots to bound memory,
/// which drops native builtins (they are code, not accounts). The local network keeps its
/// accounts in SQLite anyway, so the rebuild buys nothing: push it past any run's length.
/// [`AccountMirror`] counts on it: an account stays in the SVM until it is closed.
const NO_GARBAGE_COLLECTION: &str = "18446744073709551615";
/// surfpool records the latest slot every this many slots (default 150); a restart resumes
/// from the last record, so a short interval keeps the clock from going back far.
const SLOT_CHECKPOINT_INTERVAL: &str = "10";

/// surfpool profiles each instruction of every transaction by default: it runs the
/// transaction again once per instruction, each time on a copy of the whole ledger, so a
/// transaction costs more the more accounts the chain holds. Nothing here reads profiles.
const INSTRUCTION_PROFILING: bool = false;
/// Transaction profiles kept (in memory, the oldest dropped first).
const PROFILES_KEPT: usize = 200;

/// With a database, surfpool writes every executed transaction's profile (each account it
/// touched, before and after, as JSON with one number per byte) into it, on the one thread
/// that also executes transactions and makes blocks: under the S3 benchmark's load that
/// was most of the thread's time. It fell behind, transactions waited in its queue past
/// their blockhash and failed ("Blockhash not found"), heartbeats lapsed and providers
/// counted as offline. The profiles are kept in memory instead, the last
/// [`PROFILES_KEPT`], as surfpool does without a database: nothing here reads them.
fn keep_profiles_in_memory(svm: &mut SurfnetSvm) {
    svm.executed_transaction_profiles = Box::new(StorageFifoMap::new(PROFILES_KEPT));
    svm.simulated_transaction_profiles = Box::new(StorageFifoMap::new(PROFILES_KEPT));
    svm.profile_tag_map = Box::new(StorageFifoMap::new(PROFILES_KEPT));
}

/// The name of the SQLite file inside `state_dir`.
const STATE_FILE: &str = "chain.sqlite";

impl LocalChain {
    /// Starts the chain and waits until its RPC answers.
    ///
    /// # Errors
    ///
    /// When a port is taken, the state directory cannot be opened, or surfpool does not
    /// report ready within 60 s.
    pub fn start(options: &ChainOptions) -> Result<Self> {
        let database_url = match &options.state_dir {
            Some(dir) => Some(prepare_state_dir(dir)?),
            None => None,
        };
        disable_builtin_dropping_gc()?;
        let rpc_port = port_or_free(options.rpc_port)?;
        let ws_port = port_or_free(options.ws_port)?;

        basalt_native::install_syscall_stubs();
        let svm_config = SurfnetSvmConfig {
            slot_time: options.slot_ms,
            instruction_profiling_enabled: INSTRUCTION_PROFILING,
            ..SurfnetSvmConfig::default()
        };
        let (mut svm, events, geyser_events) =
            SurfnetSvm::new_with_db(database_url.as_deref(), svm_config)
                .map_err(|e| anyhow!("opening the chain state: {e}"))?;
        keep_profiles_in_memory(&mut svm);
        // A closed account read before surfpool mirrored its closing came back (account_mirror.rs).
        svm.inner.db = svm.inner.db.take().map(AccountMirror::wrap);
        // Native builtins are code, not state: register the program at every start.
        svm.inner.svm.add_builtin(
            basalt_native::PROGRAM_ID,
            basalt_native::builtin_entrypoint(),
        );

        let config = SurfpoolConfig {
            simnets: vec![SimnetConfig {
                offline_mode: true,
                remote_rpc_url: None,
                slot_time: options.slot_ms,
                instruction_profiling_enabled: INSTRUCTION_PROFILING,
                ..SimnetConfig::default()
            }],
            rpc: RpcConfig {
                bind_host: "127.0.0.1".into(),
                bind_port: rpc_port,
                ws_port,
                ..RpcConfig::default()
            },
            ..SurfpoolConfig::default()
        };
        let (commands, commands_rx) = unbounded();
        let runloop_commands = commands.clone();
        let runloop = std::thread::Builder::new()
            .name("basalt-chain".into())
            .spawn(move || {
                // surfpool's shutdown path uses block_in_place: it needs a multi-thread runtime.
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("basalt-chain-rt")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!("chain runtime: {e}");
                        return;
                    }
                };
                let run = surfpool_core::start_local_surfnet(
                    svm,
                    config,
                    runloop_commands,
                    commands_rx,
                    geyser_events,
                );
                if let Err(e) = runtime.block_on(run) {
                    tracing::error!("local chain stopped: {e}");
                }
            })
            .context("spawning the chain thread")?;

        wait_ready(&events, Duration::from_secs(60))?;
        drain_events(events, rpc_port);
        Ok(Self {
            rpc_url: format!("http://127.0.0.1:{rpc_port}"),
            ws_url: format!("ws://127.0.0.1:{ws_port}"),
            commands,
            runloop: Some(runloop),
        })
    }

    /// The JSON-RPC URL, for `solana_rpc_client` or `--url`.
    pub fn rpc_url(&self) -> &str {
        &self.rpc_url
    }

    /// The websocket URL, for pubsub clients.
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    /// Stops the chain, checkpoints its state to disk and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(runloop) = self.runloop.take() else {
            return;
        };
        let _ = self.commands.send(SimnetCommand::Terminate(None));
        if runloop.join().is_err() {
            tracing::error!("the chain thread panicked while stopping");
        }
    }
}

impl Drop for LocalChain {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn prepare_state_dir(dir: &Path) -> Result<String> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the chain state directory {}", dir.display()))?;
    let file = dir.join(STATE_FILE);
    let path = file
        .to_str()
        .ok_or_else(|| anyhow!("{} is not valid UTF-8", file.display()))?;
    if path.contains('?') || path.contains('#') {
        bail!("the chain state path {path} may not contain '?' or '#' (SQLite URI syntax)");
    }
    // surfpool keeps one connection pool per connection string for the life of the
    // process, and its shutdown deletes the WAL files under that pool's open connections.
    // A chain started again in the same process (tests do) must not reuse that pool: a
    // query parameter SQLite ignores makes each start's connection string unique.
    static STARTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let start = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(format!("file:{path}?basalt_start={start}"))
}

/// surfpool reads its collection interval once per process, at first use; set it before
/// any chain of this process starts (every chain starts here, so the first call does it),
/// and refuse to run if something read it first.
fn disable_builtin_dropping_gc() -> Result<()> {
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| {
        // Written once, before surfpool's lazy statics read them; nothing else in the
        // process reads these variables.
        std::env::set_var(
            "SURFPOOL_GARBAGE_COLLECTION_INTERVAL_SLOTS",
            NO_GARBAGE_COLLECTION,
        );
        if std::env::var_os("SURFPOOL_CHECKPOINT_INTERVAL_SLOTS").is_none() {
            std::env::set_var(
                "SURFPOOL_CHECKPOINT_INTERVAL_SLOTS",
                SLOT_CHECKPOINT_INTERVAL,
            );
        }
    });
    if *GARBAGE_COLLECTION_INTERVAL_SLOTS != u64::MAX {
        bail!(
            "surfpool's collection interval was read before the local chain set it ({} slots); \
             a persistent chain would lose the Basalt program at the first collection",
            *GARBAGE_COLLECTION_INTERVAL_SLOTS
        );
    }
    Ok(())
}

fn port_or_free(port: u16) -> Result<u16> {
    if port != 0 {
        return Ok(port);
    }
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn wait_ready(events: &Receiver<SimnetEvent>, limit: Duration) -> Result<()> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match events.recv_timeout(left) {
            Ok(SimnetEvent::Ready(_)) => return Ok(()),
            Ok(SimnetEvent::Aborted(why)) => bail!("the local chain aborted: {why}"),
            Ok(SimnetEvent::ErrorLog(_, why)) => tracing::warn!("chain: {why}"),
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => {
                bail!("the local chain did not become ready in {limit:?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                bail!("the local chain stopped before it became ready (a port may be taken)")
            }
        }
    }
}

/// surfpool's event channel is bounded and its sender blocks when full: keep reading it for
/// the chain's life, passing warnings and errors on to the log.
/// Logs the chain's warnings and errors, each with the chain's RPC port: a test process
/// runs several chains at once.
fn drain_events(events: Receiver<SimnetEvent>, rpc_port: u16) {
    let spawned = std::thread::Builder::new()
        .name("basalt-chain-events".into())
        .spawn(move || {
            for event in events {
                match event {
                    SimnetEvent::ErrorLog(_, msg) => tracing::error!(rpc_port, "chain: {msg}"),
                    SimnetEvent::WarnLog(_, msg) => tracing::warn!(rpc_port, "chain: {msg}"),
                    SimnetEvent::Aborted(msg) => tracing::error!(rpc_port, "chain aborted: {msg}"),
                    _ => {}
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot read chain events: {e}");
    }
}

/// Sends this process's standard output to `log` and returns a handle on the original
/// standard output.
///
/// Natively hosted, the program's `msg!` lines (Anchor logs every instruction's name) are
/// printed to the process's stdout rather than into transaction logs, because that is what
/// `solana-msg` does off chain. A process that runs the chain and also prints for a user or
/// a script (`basalt localnet --json`, `basalt demo`) moves them aside with this, and
/// writes its own output to the returned handle.
///
/// # Errors
///
/// When `log` cannot be opened or the descriptors cannot be duplicated.
#[cfg(unix)]
pub fn redirect_program_stdout(log: &Path) -> Result<std::fs::File> {
    use std::io::Write;
    use std::os::fd::{AsRawFd, FromRawFd};
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    std::io::stdout().flush()?;
    // SAFETY: plain descriptor calls on descriptors this process owns; the duplicate is
    // owned by the returned File from here on.
    let console = unsafe { libc::dup(libc::STDOUT_FILENO) };
    if console < 0 {
        return Err(std::io::Error::last_os_error()).context("duplicating stdout");
    }
    if unsafe { libc::dup2(file.as_raw_fd(), libc::STDOUT_FILENO) } < 0 {
        return Err(std::io::Error::last_os_error()).context("redirecting stdout");
    }
    Ok(unsafe { std::fs::File::from_raw_fd(console) })
}
