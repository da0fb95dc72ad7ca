//! What determinism costs, side by side in one run:
//!
//! - fuel metering: the SHA-256 example over 4 MiB through the sandbox (fuel on) against the
//!   same module on the same engine settings with fuel off, behind a minimal host that only
//!   moves stdin and stdout (the bound: a run that does only the required work);
//! - the program cache: a trivial job through a sandbox that keeps compiled programs against
//!   one that compiles the module for every run.
//!
//! `cargo bench -p basalt-sandbox --bench sandbox`. Under `cargo test` every contender runs
//! once as a check, and nothing is timed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use basalt_sandbox::{HostFault, JobEnv, Outcome, Sandbox};
use wasmtime::{Caller, Engine, Extern, Linker, Module, Store};

const ROUNDS: usize = 5;
const MIN_ROUND: Duration = Duration::from_millis(300);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let benching = std::env::args().any(|a| a == "--bench");
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/jobs");
    let sha256 = basalt_sandbox::module_from_file(&examples.join("sha256.wat"))?;
    let wordcount = basalt_sandbox::module_from_file(&examples.join("wordcount.wat"))?;
    let env = JobEnv {
        fuel: u64::MAX / 2,
        clock_ns: 0,
        seed: [0; 32],
    };

    let input: Vec<u8> = (0..4u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let metered = Sandbox::new(4)?;
    let unmetered = Unmetered::new(&sha256)?;
    let expected = match metered.run(&sha256, input.clone(), &env)?.outcome {
        Outcome::Success(out) => out,
        Outcome::Failure(f) => return Err(format!("sha256 failed: {f}").into()),
    };
    if unmetered.run(&input)? != expected {
        return Err("the unmetered run disagrees".into());
    }
    let fuel = metered.run(&sha256, input.clone(), &env)?.fuel_used;
    println!("sha256.wat over 4 MiB: {fuel} fuel");

    let trivial = b"one two three\n".to_vec();
    let cached = Sandbox::new(4)?;
    let uncached = Sandbox::new(0)?;
    if !benching {
        cached.run(&wordcount, trivial.clone(), &env)?;
        uncached.run(&wordcount, trivial, &env)?;
        println!("smoke run (cargo test): every contender ran once");
        return Ok(());
    }

    let mib = input.len() as f64 / f64::from(1u32 << 20);
    let mut with_fuel = || metered.run(&sha256, input.clone(), &env).map(drop);
    let mut without_fuel = || {
        unmetered
            .run(&input)
            .map(drop)
            .map_err(|e| HostFault::Runtime(e.to_string()))
    };
    side_by_side(
        "CPU-bound module (sha256.wat, 4 MiB): MiB/s",
        mib,
        vec![
            ("sandbox, fuel metering on", &mut with_fuel as Run),
            (
                "same engine, fuel off, minimal host (bound)",
                &mut without_fuel,
            ),
        ],
    )?;
    let mut with_cache = || cached.run(&wordcount, trivial.clone(), &env).map(drop);
    let mut without_cache = || uncached.run(&wordcount, trivial.clone(), &env).map(drop);
    side_by_side(
        "trivial job (wordcount.wat, 14 bytes): runs/s",
        1.0,
        vec![
            ("program cache (compiled once)", &mut with_cache as Run),
            ("no cache (compiled every run)", &mut without_cache),
        ],
    )?;
    Ok(())
}

type Run<'a> = &'a mut dyn FnMut() -> Result<(), HostFault>;

/// Runs the contenders interleaved, round after round, and prints the median rate of each
/// (`per_call` units per call) and its ratio to the best.
fn side_by_side(
    title: &str,
    per_call: f64,
    mut contenders: Vec<(&str, Run<'_>)>,
) -> Result<(), HostFault> {
    let mut samples = vec![Vec::new(); contenders.len()];
    for _ in 0..ROUNDS {
        for (i, (_, run)) in contenders.iter_mut().enumerate() {
            let start = Instant::now();
            let mut calls = 0u32;
            while start.elapsed() < MIN_ROUND {
                run()?;
                calls += 1;
            }
            samples[i].push(per_call * f64::from(calls) / start.elapsed().as_secs_f64());
        }
    }
    let medians: Vec<f64> = samples
        .iter_mut()
        .map(|s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect();
    let best = medians.iter().copied().fold(f64::MIN, f64::max);
    println!("\n== {title}");
    for ((name, _), rate) in contenders.iter().zip(&medians) {
        println!("  {name:<46} {rate:>10.1}   {:>5.2}x of best", rate / best);
    }
    Ok(())
}

/// The sandbox's engine settings with fuel off, and a host with only `fd_read` on stdin and
/// `fd_write` on stdout: what running the module costs without metering.
struct Unmetered {
    engine: Engine,
    linker: Linker<Io>,
    module: Module,
}

#[derive(Default)]
struct Io {
    input: Vec<u8>,
    at: usize,
    output: Vec<u8>,
}

impl Unmetered {
    fn new(wasm: &[u8]) -> wasmtime::Result<Self> {
        let mut config = Sandbox::config();
        config.consume_fuel(false);
        let engine = Engine::new(&config)?;
        let module = Module::new(&engine, wasm)?;
        let mut linker = Linker::new(&engine);
        linker.func_wrap(
            "wasi_snapshot_preview1",
            "fd_read",
            |mut caller: Caller<'_, Io>, _fd: i32, iov: i32, _n: i32, out: i32| {
                let memory = memory(&mut caller);
                let (mem, io) = memory.data_and_store_mut(&mut caller);
                let (buf, len) = iovec(mem, iov);
                let n = len.min(io.input.len() - io.at);
                mem[buf..buf + n].copy_from_slice(&io.input[io.at..io.at + n]);
                io.at += n;
                mem[out as usize..out as usize + 4].copy_from_slice(&(n as u32).to_le_bytes());
                0
            },
        )?;
        linker.func_wrap(
            "wasi_snapshot_preview1",
            "fd_write",
            |mut caller: Caller<'_, Io>, _fd: i32, iov: i32, _n: i32, out: i32| {
                let memory = memory(&mut caller);
                let (mem, io) = memory.data_and_store_mut(&mut caller);
                let (buf, len) = iovec(mem, iov);
                io.output.extend_from_slice(&mem[buf..buf + len]);
                mem[out as usize..out as usize + 4].copy_from_slice(&(len as u32).to_le_bytes());
                0
            },
        )?;
        linker.func_wrap(
            "wasi_snapshot_preview1",
            "proc_exit",
            |_: Caller<'_, Io>, code: i32| -> wasmtime::Result<()> {
                Err(wasmtime::Error::msg(format!("exit {code}")))
            },
        )?;
        Ok(Self {
            engine,
            linker,
            module,
        })
    }

    fn run(&self, input: &[u8]) -> wasmtime::Result<Vec<u8>> {
        let io = Io {
            input: input.to_vec(),
            ..Io::default()
        };
        let mut store = Store::new(&self.engine, io);
        let instance = self.linker.instantiate(&mut store, &self.module)?;
        let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
        start.call(&mut store, ())?;
        Ok(store.into_data().output)
    }
}

fn memory(caller: &mut Caller<'_, Io>) -> wasmtime::Memory {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .expect("the example modules export their memory")
}

/// The single iovec the example modules pass.
fn iovec(mem: &[u8], at: i32) -> (usize, usize) {
    let at = at as usize;
    let word = |i: usize| u32::from_le_bytes(mem[i..i + 4].try_into().expect("4 bytes")) as usize;
    (word(at), word(at + 4))
}
