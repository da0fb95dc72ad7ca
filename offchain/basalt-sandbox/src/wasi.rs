//! The WASI preview 1 a job module sees: stdin is the job's input, stdout its output, stderr
//! a bounded log; no arguments, no environment, no preopened directories (so no files),
//! no sockets; both clocks stand still at the job's time, and `random_get` is a BLAKE3
//! stream seeded by the job. Every call costs fuel ([`HOST_CALL_FUEL`] plus the bytes it
//! moves), so time spent in the host is metered like time spent in wasm.
//!
//! Any other preview 1 function a module imports (`path_open`, `sock_accept`,
//! `poll_oneoff`, ...) answers `ENOSYS`, as a system without that facility would: libraries
//! that import more than they call still run, and what they call fails the same way on every
//! worker.

use wasmtime::{Caller, Extern, FuncType, Linker, Memory, Module, Trap, Val, ValType};

use crate::limits::{HOST_BYTES_PER_FUEL, HOST_CALL_FUEL, MAX_OUTPUT_BYTES, MAX_STDERR_BYTES};
use crate::sandbox::State;
use crate::Failure;

/// The import module name of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// WASI errno values (preview 1).
mod errno {
    pub const SUCCESS: i32 = 0;
    pub const BADF: i32 = 8;
    pub const FAULT: i32 = 21;
    pub const INVAL: i32 = 28;
    pub const NOSYS: i32 = 52;
    pub const SPIPE: i32 = 70;
}

/// Most iovecs one `fd_read` or `fd_write` takes (POSIX's IOV_MAX).
const IOV_MAX: u32 = 1024;

const STDIN: i32 = 0;
const STDOUT: i32 = 1;
const STDERR: i32 = 2;

/// The host side of one run's WASI: its streams, clock and random source.
pub(crate) struct JobIo {
    input: Vec<u8>,
    // INV: read_at <= input.len()
    read_at: usize,
    // INV: stdout.len() <= MAX_OUTPUT_BYTES
    pub(crate) stdout: Vec<u8>,
    // INV: stderr.len() <= MAX_STDERR_BYTES
    pub(crate) stderr: Vec<u8>,
    clock_ns: u64,
    random: blake3::OutputReader,
}

impl JobIo {
    pub(crate) fn new(input: Vec<u8>, clock_ns: u64, seed: &[u8; 32]) -> Self {
        let mut random = blake3::Hasher::new_derive_key("basalt job random_get v1");
        random.update(seed);
        Self {
            input,
            read_at: 0,
            stdout: Vec::new(),
            stderr: Vec::new(),
            clock_ns,
            random: random.finalize_xof(),
        }
    }
}

/// `proc_exit(code)`: ends the run. Code 0 is a success.
#[derive(Debug, thiserror::Error)]
#[error("proc_exit({0})")]
pub(crate) struct Exit(pub u32);

/// The module wrote more than [`MAX_OUTPUT_BYTES`] to stdout.
#[derive(Debug, thiserror::Error)]
#[error("stdout exceeded {MAX_OUTPUT_BYTES} bytes")]
pub(crate) struct OutputLimitExceeded;

/// The preview 1 functions [`add_to_linker`] defines.
const IMPLEMENTED: [&str; 16] = [
    "args_sizes_get",
    "environ_sizes_get",
    "args_get",
    "environ_get",
    "clock_res_get",
    "clock_time_get",
    "random_get",
    "fd_write",
    "fd_read",
    "fd_close",
    "fd_fdstat_get",
    "fd_seek",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "sched_yield",
    "proc_exit",
];

/// Defines the implemented functions in `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "args_sizes_get", sizes_get_empty)?;
    linker.func_wrap(MODULE, "environ_sizes_get", sizes_get_empty)?;
    linker.func_wrap(MODULE, "args_get", list_get_empty)?;
    linker.func_wrap(MODULE, "environ_get", list_get_empty)?;
    linker.func_wrap(MODULE, "clock_res_get", clock_res_get)?;
    linker.func_wrap(MODULE, "clock_time_get", clock_time_get)?;
    linker.func_wrap(MODULE, "random_get", random_get)?;
    linker.func_wrap(MODULE, "fd_write", fd_write)?;
    linker.func_wrap(MODULE, "fd_read", fd_read)?;
    linker.func_wrap(MODULE, "fd_close", fd_close)?;
    linker.func_wrap(MODULE, "fd_fdstat_get", fd_fdstat_get)?;
    linker.func_wrap(MODULE, "fd_seek", fd_seek)?;
    linker.func_wrap(MODULE, "fd_prestat_get", no_preopens)?;
    linker.func_wrap(MODULE, "fd_prestat_dir_name", no_preopen_name)?;
    linker.func_wrap(MODULE, "sched_yield", sched_yield)?;
    linker.func_wrap(MODULE, "proc_exit", proc_exit)?;
    Ok(())
}

/// Defines, in `linker` (which holds [`add_to_linker`]'s functions), an `ENOSYS` answer for
/// every other preview 1 function `module` imports.
///
/// # Errors
///
/// [`Failure::UnsupportedImport`] for an import from another module, or a preview 1 import
/// that is not a function returning one errno.
pub(crate) fn define_unimplemented(
    linker: &mut Linker<State>,
    module: &Module,
) -> Result<(), Failure> {
    for import in module.imports() {
        if import.module() != MODULE {
            return Err(Failure::UnsupportedImport);
        }
        // Their signatures are checked when the module is linked.
        if IMPLEMENTED.contains(&import.name()) {
            continue;
        }
        let Some(ty) = import.ty().func().cloned() else {
            return Err(Failure::UnsupportedImport);
        };
        if !returns_errno(&ty) {
            return Err(Failure::UnsupportedImport);
        }
        linker
            .func_new(MODULE, import.name(), ty, |mut caller, _params, results| {
                charge(&mut caller, 0)?;
                results[0] = Val::I32(errno::NOSYS);
                Ok(())
            })
            .map_err(|_| Failure::UnsupportedImport)?;
    }
    Ok(())
}

fn returns_errno(ty: &FuncType) -> bool {
    let results: Vec<ValType> = ty.results().collect();
    results.len() == 1 && matches!(results[0], ValType::I32)
}

/// Takes the call's fuel: [`HOST_CALL_FUEL`] plus one per [`HOST_BYTES_PER_FUEL`] bytes.
fn charge(caller: &mut Caller<'_, State>, bytes: usize) -> wasmtime::Result<()> {
    let cost = HOST_CALL_FUEL.saturating_add(bytes as u64 / HOST_BYTES_PER_FUEL);
    let left = caller.get_fuel()?;
    if left < cost {
        caller.set_fuel(0)?;
        return Err(wasmtime::Error::new(Trap::OutOfFuel));
    }
    caller.set_fuel(left - cost)
}

fn memory(caller: &mut Caller<'_, State>) -> wasmtime::Result<Memory> {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or_else(|| wasmtime::Error::msg("the module exports no memory"))
}

/// `len` bytes of guest memory at `ptr`, if all of them are inside it.
fn span(mem: &[u8], ptr: i32, len: usize) -> Option<std::ops::Range<usize>> {
    let start = ptr as u32 as usize;
    let end = start.checked_add(len)?;
    (end <= mem.len()).then_some(start..end)
}

fn read_u32(mem: &[u8], ptr: i32) -> Option<u32> {
    let bytes = mem.get(span(mem, ptr, 4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

fn write(mem: &mut [u8], ptr: i32, bytes: &[u8]) -> Option<()> {
    let range = span(mem, ptr, bytes.len())?;
    mem[range].copy_from_slice(bytes);
    Some(())
}

/// The buffers of an iovec array (`{buf: u32, len: u32}` each), checked against memory.
fn iovecs(mem: &[u8], iovs: i32, count: i32) -> Result<Vec<std::ops::Range<usize>>, i32> {
    let count = count as u32;
    if count > IOV_MAX {
        return Err(errno::INVAL);
    }
    (0..count)
        .map(|i| {
            let at = (iovs as u32).checked_add(i * 8).ok_or(errno::FAULT)? as i32;
            let buf = read_u32(mem, at).ok_or(errno::FAULT)?;
            let len = read_u32(mem, at.wrapping_add(4)).ok_or(errno::FAULT)?;
            span(mem, buf as i32, len as usize).ok_or(errno::FAULT)
        })
        .collect()
}

fn sizes_get_empty(mut caller: Caller<'_, State>, count: i32, size: i32) -> wasmtime::Result<i32> {
    charge(&mut caller, 0)?;
    let mem = memory(&mut caller)?.data_mut(&mut caller);
    let written =
        write(mem, count, &0u32.to_le_bytes()).and_then(|()| write(mem, size, &0u32.to_le_bytes()));
    Ok(written.map_or(errno::FAULT, |()| errno::SUCCESS))
}

fn list_get_empty(mut caller: Caller<'_, State>, _list: i32, _buf: i32) -> wasmtime::Result<i32> {
    charge(&mut caller, 0)?;
    Ok(errno::SUCCESS)
}

/// Clock ids 0 (realtime), 1 (monotonic), 2 and 3 (process and thread CPU time).
fn known_clock(id: i32) -> bool {
    (0..=3).contains(&id)
}

fn clock_res_get(mut caller: Caller<'_, State>, id: i32, out: i32) -> wasmtime::Result<i32> {
    charge(&mut caller, 0)?;
    if !known_clock(id) {
        return Ok(errno::INVAL);
    }
    let mem = memory(&mut caller)?.data_mut(&mut caller);
    Ok(write(mem, out, &1u64.to_le_bytes()).map_or(errno::FAULT, |()| errno::SUCCESS))
}

/// Every clock reads the job's time, and none advances during the run.
fn clock_time_get(
    mut caller: Caller<'_, State>,
    id: i32,
    _precision: i64,
    out: i32,
) -> wasmtime::Result<i32> {
    charge(&mut caller, 0)?;
    if !known_clock(id) {
        return Ok(errno::INVAL);
    }
    let now = if id <= 1 {
        caller.data().io.clock_ns
    } else {
        0
    };
    let mem = memory(&mut caller)?.data_mut(&mut caller);
    Ok(write(mem, out, &now.to_le_bytes()).map_or(errno::FAULT, |()| errno::SUCCESS))
}

fn random_get(mut caller: Caller<'_, State>, buf: i32, len: i32) -> wasmtime::Result<i32> {
    let len = len as u32 as usize;
    charge(&mut caller, len)?;
    let memory = memory(&mut caller)?;
    let (mem, state) = memory.data_and_store_mut(&mut caller);
    let Some(range) = span(mem, buf, len) else {
        return Ok(errno::FAULT);
    };
    state.io.random.fill(&mut mem[range]);
    Ok(errno::SUCCESS)
}

fn fd_write(
    mut caller: Caller<'_, State>,
    fd: i32,
    iovs: i32,
    iovs_len: i32,
    nwritten: i32,
) -> wasmtime::Result<i32> {
    let memory = memory(&mut caller)?;
    let bufs = match iovecs(memory.data(&caller), iovs, iovs_len) {
        Ok(bufs) => bufs,
        Err(errno) => return Ok(errno),
    };
    let total: usize = bufs.iter().map(|r| r.len()).sum();
    charge(&mut caller, total)?;
    let (mem, state) = memory.data_and_store_mut(&mut caller);
    match fd {
        STDOUT => {
            if state.io.stdout.len().saturating_add(total) > MAX_OUTPUT_BYTES {
                return Err(wasmtime::Error::new(OutputLimitExceeded));
            }
            for range in bufs {
                state.io.stdout.extend_from_slice(&mem[range]);
            }
        }
        STDERR => {
            for range in bufs {
                let room = MAX_STDERR_BYTES - state.io.stderr.len();
                let bytes = &mem[range];
                state
                    .io
                    .stderr
                    .extend_from_slice(&bytes[..bytes.len().min(room)]);
            }
        }
        _ => return Ok(errno::BADF),
    }
    let written = u32::try_from(total).unwrap_or(u32::MAX);
    Ok(write(mem, nwritten, &written.to_le_bytes()).map_or(errno::FAULT, |()| errno::SUCCESS))
}

fn fd_read(
    mut caller: Caller<'_, State>,
    fd: i32,
    iovs: i32,
    iovs_len: i32,
    nread: i32,
) -> wasmtime::Result<i32> {
    if fd != STDIN {
        charge(&mut caller, 0)?;
        return Ok(errno::BADF);
    }
    let memory = memory(&mut caller)?;
    let bufs = match iovecs(memory.data(&caller), iovs, iovs_len) {
        Ok(bufs) => bufs,
        Err(errno) => return Ok(errno),
    };
    let wanted: usize = bufs.iter().map(|r| r.len()).sum();
    let io = &caller.data().io;
    let count = wanted.min(io.input.len() - io.read_at);
    charge(&mut caller, count)?;
    let (mem, state) = memory.data_and_store_mut(&mut caller);
    let mut left = count;
    for range in bufs {
        let n = range.len().min(left);
        let from = state.io.read_at;
        mem[range.start..range.start + n].copy_from_slice(&state.io.input[from..from + n]);
        state.io.read_at += n;
        left -= n;
    }
    let read = u32::try_from(count).unwrap_or(u32::MAX);
    Ok(write(mem, nread, &read.to_le_bytes()).map_or(errno::FAULT, |()| errno::SUCCESS))
}

fn is_stdio(fd: i32) -> bool {
    (STDIN..=STDERR).contains(&fd)
}

fn fd_close(mut caller: Caller<'_, State>, fd: i32) -> wasmtime::Result<i32> {
    charge(&mut caller, 0)?;
    Ok(if is_stdio(fd) {
        errno::SUCCESS
    } else {
        errno::BADF
    })
}

/// `fdstat` of the three streams: character devices, no flags, the right to read (stdin)
/// or write (stdout, stderr).
fn fd_fdstat_get(mut caller: Caller<'_, State>, fd: i32, out: i32) -> wasmtime::Result<i32> {
    charge(&mut caller, 0)?;
    if !is_stdio(fd) {
        return Ok(errno::BADF);
    }
    const CHARACTER_DEVICE: u8 = 2;
    const RIGHT_FD_READ: u64 = 1 << 1;
    const RIGHT_FD_WRITE: u64 = 1 << 6;
    let rights = if fd == STDIN {
        RIGHT_FD_READ
    } else {
        RIGHT_FD_WRITE
    };
    let mut stat = [0u8; 24];
    stat[0] = CHARACTER_DEVICE;
    stat[8..16].copy_from_slice(&rights.to_le_bytes());
    let mem = memory(&mut caller)?.data_mut(&mut caller);
    Ok(write(mem, out, &stat).map_or(errno::FAULT, |()| errno::SUCCESS))
}

fn fd_seek(
    mut caller: Caller<'_, State>,
    fd: i32,
    _offset: i64,
    _whence: i32,
    _out: i32,
) -> wasmtime::Result<i32> {
    charge(&mut caller, 0)?;
    Ok(if is_stdio(fd) {
        errno::SPIPE
    } else {
        errno::BADF
    })
}

/// No preopened directories: wasi-libc's start-up scan ends at the first descriptor.
fn no_preopens(mut caller: Caller<'_, State>, _fd: i32, _out: i32) -> wasmtime::Result<i32> {
    charge(&mut caller, 0)?;
    Ok(errno::BADF)
}

fn no_preopen_name(
    mut caller: Caller<'_, State>,
    _fd: i32,
    _path: i32,
    _len: i32,
) -> wasmtime::Result<i32> {
    charge(&mut caller, 0)?;
    Ok(errno::BADF)
}

fn sched_yield(mut caller: Caller<'_, State>) -> wasmtime::Result<i32> {
    charge(&mut caller, 0)?;
    Ok(errno::SUCCESS)
}

fn proc_exit(_caller: Caller<'_, State>, code: i32) -> wasmtime::Result<()> {
    Err(wasmtime::Error::new(Exit(code as u32)))
}
