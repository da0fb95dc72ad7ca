//! The engine, compiled programs and one run of a job.

use std::collections::HashMap;
use std::sync::Mutex;

use wasmtime::{
    Config, Engine, InstancePre, Linker, Module, ResourceLimiter, Store, Strategy, Trap,
};

use crate::limits::{
    MAX_INPUT_BYTES, MAX_MEMORY_BYTES, MAX_MODULE_BYTES, MAX_TABLE_ELEMENTS, MAX_WASM_STACK_BYTES,
};
use crate::outcome::{Failure, Outcome, Run};
use crate::wasi::{self, Exit, JobIo, OutputLimitExceeded};

/// What a run of a job depends on besides the module: every honest worker passes the same.
#[derive(Debug, Clone)]
pub struct JobEnv {
    /// The job's fuel limit.
    pub fuel: u64,
    /// What every clock reads, in nanoseconds since the Unix epoch (the job's posting time).
    pub clock_ns: u64,
    /// Seeds `random_get` (the job's address, say).
    pub seed: [u8; 32],
}

impl JobEnv {
    /// What every worker gives the job at address `job` with fuel limit `fuel`: clocks
    /// standing at the Unix epoch (no posting time is one every chain and worker agrees on
    /// to the nanosecond) and randomness seeded by the job's address, so that two jobs of
    /// the same module and input may draw differently while every worker of one job draws
    /// the same.
    pub fn for_job(job: [u8; 32], fuel: u64) -> Self {
        Self {
            fuel,
            clock_ns: 0,
            seed: job,
        }
    }

    /// BLAKE3 of the run's parameters (fuel limit, clock, seed): with the module and the
    /// input they fix the output, so a derived dataset version records this digest.
    pub fn digest(&self) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"basalt-job-env/1");
        hasher.update(&self.fuel.to_le_bytes());
        hasher.update(&self.clock_ns.to_le_bytes());
        hasher.update(&self.seed);
        *hasher.finalize().as_bytes()
    }
}

/// A fault of the worker's machine, not of the module: the run says nothing about the
/// job, and the worker must not commit its result.
#[derive(Debug, thiserror::Error)]
pub enum HostFault {
    #[error("the engine could not be set up: {0}")]
    Engine(String),
    #[error("the operating system refused memory the limits allow: {0}")]
    Memory(String),
    #[error("wasmtime failed outside the module: {0}")]
    Runtime(String),
}

/// A module compiled and linked against the sandbox's WASI, ready to instantiate.
#[derive(Clone)]
pub struct Program {
    pre: InstancePre<State>,
}

/// The host state of one run.
pub(crate) struct State {
    pub(crate) io: JobIo,
    limiter: Limiter,
}

/// Enforces the sandbox's memory and table limits, and tells a module that asked for too
/// much (its failure) from an operating system that refused what the limits allow (ours).
#[derive(Default)]
struct Limiter {
    exceeded: bool,
    /// The latest growth asked for no more than the module's own maximum.
    within_module_maximum: bool,
    host_fault: Option<String>,
}

/// Raised by [`Limiter`] when a module asks for more than the sandbox allows.
#[derive(Debug, thiserror::Error)]
#[error("the module asked for more memory or table than the sandbox allows")]
struct LimitExceeded;

impl Limiter {
    fn growing(
        &mut self,
        desired: usize,
        maximum: Option<usize>,
        cap: usize,
    ) -> wasmtime::Result<bool> {
        if desired > cap {
            self.exceeded = true;
            return Err(wasmtime::Error::new(LimitExceeded));
        }
        self.within_module_maximum = maximum.is_none_or(|max| desired <= max);
        Ok(true)
    }

    /// A growth within both the module's maximum and the sandbox's limit failed: the
    /// operating system's doing. A growth past the module's own maximum fails on every
    /// worker alike (`memory.grow` returns -1).
    fn grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        if self.within_module_maximum {
            self.host_fault = Some(error.to_string());
            return Err(error);
        }
        Ok(())
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.growing(desired, maximum, MAX_MEMORY_BYTES)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.grow_failed(error)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.growing(desired, maximum, MAX_TABLE_ELEMENTS)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.grow_failed(error)
    }

    fn instances(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        // Reference types allow several; a few cover what compilers emit.
        8
    }
}

/// Runs job modules. Holds the engine and a cache of compiled programs by module digest;
/// shared by every run of a worker.
pub struct Sandbox {
    engine: Engine,
    linker: Linker<State>,
    cache: Mutex<ProgramCache>,
}

impl Sandbox {
    /// A sandbox keeping up to `cached_programs` compiled modules.
    ///
    /// # Errors
    ///
    /// [`HostFault::Engine`] when wasmtime refuses the configuration (a host without
    /// Cranelift support).
    pub fn new(cached_programs: usize) -> Result<Self, HostFault> {
        let engine = Engine::new(&Self::config()).map_err(|e| HostFault::Engine(e.to_string()))?;
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker).map_err(|e| HostFault::Engine(e.to_string()))?;
        Ok(Self {
            engine,
            linker,
            cache: Mutex::new(ProgramCache::new(cached_programs)),
        })
    }

    /// The engine settings that make a run deterministic: fuel metering, canonical NaNs
    /// (the only float results WebAssembly leaves to the machine), no SIMD (relaxed SIMD
    /// differs between CPUs), no threads, one 32-bit memory, and a fixed wasm stack.
    pub fn config() -> Config {
        let mut config = Config::new();
        config
            .strategy(Strategy::Cranelift)
            .consume_fuel(true)
            .cranelift_nan_canonicalization(true)
            .wasm_relaxed_simd(false)
            .wasm_simd(false)
            .wasm_multi_memory(false)
            .wasm_memory64(false)
            .max_wasm_stack(MAX_WASM_STACK_BYTES);
        config
    }

    /// Compiles and links `module` (binary WebAssembly), or takes it from the cache.
    ///
    /// # Errors
    ///
    /// [`Failure::InvalidModule`] or [`Failure::UnsupportedImport`]: the failure result
    /// every worker commits for this module.
    pub fn program(&self, module: &[u8]) -> Result<Program, Failure> {
        let key = *blake3::hash(module).as_bytes();
        if let Some(program) = self.lock_cache().get(&key) {
            return Ok(program);
        }
        let program = self.compile(module)?;
        self.lock_cache().insert(key, program.clone());
        Ok(program)
    }

    /// Compiles and links `module` without the cache.
    ///
    /// # Errors
    ///
    /// As [`Sandbox::program`].
    pub fn compile(&self, module: &[u8]) -> Result<Program, Failure> {
        if module.len() > MAX_MODULE_BYTES {
            return Err(Failure::InvalidModule);
        }
        let module = Module::new(&self.engine, module).map_err(|e| {
            tracing::debug!(error = %e, "module refused");
            Failure::InvalidModule
        })?;
        match module.get_export("_start") {
            Some(wasmtime::ExternType::Func(ty))
                if ty.params().len() == 0 && ty.results().len() == 0 => {}
            _ => return Err(Failure::InvalidModule),
        }
        let mut linker = self.linker.clone();
        linker.allow_shadowing(true);
        wasi::define_unimplemented(&mut linker, &module)?;
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|_| Failure::UnsupportedImport)?;
        Ok(Program { pre })
    }

    /// Runs `module` on `input`: compiles it (or takes it from the cache), instantiates it,
    /// and calls `_start`.
    ///
    /// # Errors
    ///
    /// [`HostFault`] when the machine, not the module, failed the run: the worker must not
    /// commit anything for it.
    pub fn run(&self, module: &[u8], input: Vec<u8>, env: &JobEnv) -> Result<Run, HostFault> {
        match self.program(module) {
            Ok(program) => self.run_program(&program, input, env),
            Err(failure) => Ok(Run {
                outcome: Outcome::Failure(failure),
                fuel_used: 0,
                stderr: Vec::new(),
                detail: None,
            }),
        }
    }

    /// Runs a compiled program on `input`.
    ///
    /// # Errors
    ///
    /// As [`Sandbox::run`].
    pub fn run_program(
        &self,
        program: &Program,
        input: Vec<u8>,
        env: &JobEnv,
    ) -> Result<Run, HostFault> {
        if input.len() > MAX_INPUT_BYTES {
            // Every worker sees the same input: refusing it is a result like any other.
            return Ok(Run {
                outcome: Outcome::Failure(Failure::ResourceLimit),
                fuel_used: 0,
                stderr: Vec::new(),
                detail: Some(format!("input of {} bytes", input.len())),
            });
        }
        let state = State {
            io: JobIo::new(input, env.clock_ns, &env.seed),
            limiter: Limiter::default(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        store
            .set_fuel(env.fuel)
            .map_err(|e| HostFault::Runtime(e.to_string()))?;
        let called = program
            .pre
            .instantiate(&mut store)
            .and_then(|instance| instance.get_typed_func::<(), ()>(&mut store, "_start"))
            .and_then(|start| start.call(&mut store, ()));
        let fuel_used = env.fuel - store.get_fuel().unwrap_or(0);
        let state = store.into_data();
        if let Some(fault) = state.limiter.host_fault {
            return Err(HostFault::Memory(fault));
        }
        let (outcome, detail) = match called {
            Ok(()) => (Outcome::Success(state.io.stdout), None),
            Err(error) => {
                let detail = Some(format!("{error:#}"));
                (
                    classify(&error, state.limiter.exceeded, state.io.stdout),
                    detail,
                )
            }
        };
        Ok(Run {
            outcome,
            fuel_used,
            stderr: state.io.stderr,
            detail,
        })
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, ProgramCache> {
        // A panic while holding the lock leaves a consistent map: recover it.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What an error out of instantiation or `_start` means for the job.
fn classify(error: &wasmtime::Error, limit_exceeded: bool, stdout: Vec<u8>) -> Outcome {
    if let Some(Exit(code)) = error.downcast_ref::<Exit>() {
        return if *code == 0 {
            Outcome::Success(stdout)
        } else {
            Outcome::Failure(Failure::Exit(*code))
        };
    }
    let failure = if error.is::<OutputLimitExceeded>() {
        Failure::OutputLimit
    } else if limit_exceeded || error.is::<LimitExceeded>() {
        Failure::ResourceLimit
    } else if error.downcast_ref::<Trap>() == Some(&Trap::OutOfFuel) {
        Failure::OutOfFuel
    } else {
        Failure::Trap
    };
    Outcome::Failure(failure)
}

/// Compiled programs by module digest, the least recently used dropped first.
struct ProgramCache {
    capacity: usize,
    tick: u64,
    entries: HashMap<[u8; 32], (Program, u64)>,
}

impl ProgramCache {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            tick: 0,
            entries: HashMap::new(),
        }
    }

    fn get(&mut self, key: &[u8; 32]) -> Option<Program> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(key).map(|(program, used)| {
            *used = tick;
            program.clone()
        })
    }

    fn insert(&mut self, key: [u8; 32], program: Program) {
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(key, _)| *key);
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.tick += 1;
        self.entries.insert(key, (program, self.tick));
    }
}
