//! One execution in a fresh WebAssembly instance of QuickJS
//! (`guest/codemode.wasm`), run by wasmtime inside this process.
//!
//! The guest can reach nothing but its three imports (a tool call, a console
//! line and an alarm for its timers) and five WASI functions that grant nothing: a bug in QuickJS stays
//! inside the instance's linear memory. Deadlines are enforced by epoch
//! interruption, which wasmtime checks at every loop back-edge and function
//! entry of the guest, QuickJS's own C loops included, so even a loop of slow
//! built-ins stops within a tick of its deadline. The guest yields to the
//! async runtime at every tick, so long JavaScript never blocks other tasks.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc;
use wasmtime::{
    Caller, Config, Enabled, Engine, Instance, InstanceAllocationStrategy, Linker, Memory, Module,
    PoolingAllocationConfig, Store, StoreLimits, StoreLimitsBuilder, Trap, TypedFunc,
    UpdateDeadline,
};

use super::bounds::MAX_CALL_BYTES;
use super::guest_config::{self, EBADF, WASI};
use super::host::{Host, ReplyFuture, THROWN_NULL, cut, described, memory_error, timeout_error};
use super::{ErrorKind, Event, Finished, Job, ScriptError};

/// `guest/codemode.wasm` (built by `guest/build.sh`; the test suite checks
/// it matches its sources), initialized with the prelude, snapshotted and
/// compiled for this target by `build.rs`.
const COMPILED_GUEST: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/codemode.cwasm"));

/// How often the epoch advances: the guest's deadline is checked, and it
/// yields to the async runtime, this often.
const TICK: Duration = Duration::from_millis(1);

/// The most linear memory an instance may have, for a JavaScript heap limit
/// of `heap` bytes. QuickJS's own limit is what a program meets (a catchable
/// out-of-memory error); this cap only bounds what the guest can take in
/// all: its data, its 1 MiB shadow stack, the inputs the host hands it (a
/// reply of up to 16 MiB) and the allocator's fragmentation, which growing
/// large strings by reallocation makes worst.
fn memory_cap(heap: usize) -> usize {
    heap.saturating_add(heap / 2).saturating_add(24 << 20)
}

/// The engine and the compiled guest, made once per process.
struct Isolates {
    engine: Engine,
    module: Module,
    linker: Linker<Guest>,
    /// The thread that advances the epoch.
    ticker: std::thread::Thread,
}

/// Instances alive now; the epoch thread sleeps while there are none.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// One live instance, counted in [`LIVE`] while it exists.
struct Alive;

impl Alive {
    fn new(isolates: &Isolates) -> Alive {
        if LIVE.fetch_add(1, Ordering::AcqRel) == 0 {
            isolates.ticker.unpark();
        }
        Alive
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::AcqRel);
    }
}

fn isolates() -> Result<&'static Isolates, ScriptError> {
    static ISOLATES: OnceLock<Result<Isolates, String>> = OnceLock::new();
    ISOLATES
        .get_or_init(|| Isolates::new().map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| internal(&format!("cannot load the sandbox: {e}")))
}

/// Instances alive at once, at most.
const SLOTS: u32 = 10_000;

/// The pool instances come from: each slot reserves address space for the
/// largest memory a guest may have (4 GiB, all wasm32 allows), which costs
/// nothing until it is used.
fn pool() -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_core_instances(SLOTS)
        .total_memories(SLOTS)
        .total_tables(SLOTS)
        .total_stacks(SLOTS)
        .max_memory_size(1 << 32)
        // Resetting a slot by writing zeros instead of asking the kernel to
        // drop its pages keeps concurrent executions from waiting on each
        // other in the kernel; only the few slots kept warm stay resident.
        .linear_memory_keep_resident(1 << 20)
        .table_keep_resident(64 << 10)
        .async_stack_keep_resident(64 << 10)
        .max_unused_warm_slots(16)
        .pagemap_scan(Enabled::Auto);
    pool
}

/// Loads the guest on a thread of its own, so the first execution finds it
/// ready.
pub fn warm_up() {
    let _ = std::thread::Builder::new()
        .name("codemode-warm-up".into())
        .spawn(|| {
            let _ = isolates();
        });
}

impl Isolates {
    fn new() -> wasmtime::Result<Isolates> {
        let mut config = Config::new();
        guest_config::configure(&mut config);
        // Deep recursion must hit QuickJS's own stack check (a catchable
        // RangeError) before wasmtime's; what is left of the fiber's stack
        // is for the host functions the guest calls.
        config.async_stack_size(4 << 20);
        config.max_wasm_stack(3 << 20);
        // Instances come from a pool of slots that are reset, not unmapped,
        // when an execution ends: mapping and unmapping memory for every
        // instance serializes concurrent executions in the kernel. A system
        // that refuses the pool's address space gets instances made one by one.
        let mut pooled = config.clone();
        pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pool()));
        let engine = Engine::new(&pooled).or_else(|error| {
            tracing::warn!("instances are not pooled: {error:#}");
            Engine::new(&config)
        })?;
        let module = load_guest(&engine)?;
        let mut linker = Linker::new(&engine);
        link(&mut linker)?;
        let ticking = engine.clone();
        let ticker = std::thread::Builder::new()
            .name("codemode-epoch".into())
            .spawn(move || {
                loop {
                    // Nothing to interrupt: sleep until an instance starts.
                    if LIVE.load(Ordering::Acquire) == 0 {
                        std::thread::park();
                        continue;
                    }
                    std::thread::sleep(TICK);
                    ticking.increment_epoch();
                }
            })?
            .thread()
            .clone();
        Ok(Isolates {
            engine,
            module,
            linker,
            ticker,
        })
    }
}

/// The guest as `build.rs` compiled it.
// SAFETY: wasmtime runs compiled code as it finds it, so `deserialize` is
// sound only for bytes that wasmtime itself produced and nobody altered.
// These are: `build.rs` compiled them with this same wasmtime version
// (pinned with `=`) and the settings of `guest_config`, and they are part of
// this executable, never read from outside it. wasmtime still checks that
// version, settings and target match, and refuses the bytes if not.
#[allow(unsafe_code)]
fn load_guest(engine: &Engine) -> wasmtime::Result<Module> {
    unsafe { Module::deserialize(engine, COMPILED_GUEST) }
}

/// What the host keeps for one instance.
struct Guest {
    host: Host,
    /// The instance's memory, once it exists: what the imports read and write.
    memory: Option<Memory>,
    limits: StoreLimits,
    /// Calls made during the current step, with the id the guest gave them.
    issued: Vec<(u32, ReplyFuture)>,
    /// When the guest's timers want it woken, if they do.
    alarm: Option<Instant>,
    deadline: Instant,
}

/// The epoch callback's way of saying the time is up.
#[derive(Debug)]
struct Deadline;

impl std::fmt::Display for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the deadline passed")
    }
}

impl std::error::Error for Deadline {}

/// Bytes `[ptr, ptr + len)` of the guest's memory, as text.
fn text(caller: &mut Caller<'_, Guest>, ptr: u32, len: u32) -> wasmtime::Result<String> {
    let memory = caller
        .data()
        .memory
        .ok_or_else(|| wasmtime::Error::msg("the guest has no memory"))?;
    let start = ptr as usize;
    let bytes = memory
        .data(&caller)
        .get(start..start.saturating_add(len as usize))
        .ok_or_else(|| wasmtime::Error::msg("the guest passed a range outside its memory"))?;
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

fn link(linker: &mut Linker<Guest>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "codemode",
        "call",
        |mut caller: Caller<'_, Guest>,
         id: u32,
         server: u32,
         server_len: u32,
         tool: u32,
         tool_len: u32,
         args: u32,
         args_len: u32|
         -> wasmtime::Result<()> {
            let server = text(&mut caller, server, server_len)?;
            let tool = text(&mut caller, tool, tool_len)?;
            // The guest does not copy arguments longer than any call may
            // send (it passes no pointer, and their length).
            let reply = if args == 0 {
                caller.data().host.call_too_large(args_len as usize)
            } else {
                let args = text(&mut caller, args, args_len)?;
                caller.data().host.call(server, tool, args)
            };
            let guest = caller.data_mut();
            guest.issued.push((id, reply));
            Ok(())
        },
    )?;
    linker.func_wrap(
        "codemode",
        "log",
        |mut caller: Caller<'_, Guest>, level: u32, ptr: u32, len: u32| -> wasmtime::Result<()> {
            let message = text(&mut caller, ptr, len)?;
            let level = ["debug", "info", "warn", "error"]
                .get(level as usize)
                .unwrap_or(&"info");
            caller.data().host.log(level, message);
            Ok(())
        },
    )?;
    linker.func_wrap(
        "codemode",
        "alarm",
        |mut caller: Caller<'_, Guest>, ms: f64| {
            // Negative (or NaN): no alarm. Past the deadline is as good as
            // never: the deadline ends the execution first.
            let guest = caller.data_mut();
            guest.alarm = (ms >= 0.0).then(|| {
                Duration::try_from_secs_f64(ms / 1000.0)
                    .ok()
                    .and_then(|wait| Instant::now().checked_add(wait))
                    .map_or(guest.deadline, |at| at.min(guest.deadline))
            });
        },
    )?;
    // What else wasi-libc imports: no file descriptor exists; the clock is
    // the host's wall clock, which `Date` needs.
    guest_config::link_no_files(linker)?;
    linker.func_wrap(
        WASI,
        "clock_time_get",
        |mut caller: Caller<'_, Guest>, _clock: i32, _precision: i64, out: i32| -> i32 {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            let Some(memory) = caller.data().memory else {
                return EBADF;
            };
            match memory.write(&mut caller, out as u32 as usize, &nanos.to_le_bytes()) {
                Ok(()) => 0,
                Err(_) => EBADF,
            }
        },
    )?;
    Ok(())
}

/// Where the program stands after a step (`enum status` in codemode.c).
mod status {
    pub(super) const WAITING: u32 = 0;
    pub(super) const DONE: u32 = 1;
    pub(super) const FAILED: u32 = 2;
    pub(super) const UNSERIALIZABLE: u32 = 3;
    pub(super) const RETURNED_UNDEFINED: u32 = 5;
}

/// The guest's exports.
struct Exports {
    memory: Memory,
    buffer: TypedFunc<(u32, u32), u32>,
    output: TypedFunc<(), u32>,
    output_len: TypedFunc<(), u32>,
    start: TypedFunc<(u32, u32, u32, u32, u32, u64), u32>,
    resolve: TypedFunc<(u32, u32), u32>,
    wake: TypedFunc<(), u32>,
}

impl Exports {
    fn find(instance: &Instance, store: &mut Store<Guest>) -> wasmtime::Result<Exports> {
        Ok(Exports {
            memory: instance
                .get_memory(&mut *store, "memory")
                .ok_or_else(|| wasmtime::Error::msg("the guest exports no memory"))?,
            buffer: instance.get_typed_func(&mut *store, "cm_buffer")?,
            output: instance.get_typed_func(&mut *store, "cm_output")?,
            output_len: instance.get_typed_func(&mut *store, "cm_output_len")?,
            start: instance.get_typed_func(&mut *store, "cm_start")?,
            resolve: instance.get_typed_func(&mut *store, "cm_resolve")?,
            wake: instance.get_typed_func(&mut *store, "cm_wake")?,
        })
    }

    /// Copies `bytes` into the guest's input buffer `which`.
    async fn put(
        &self,
        store: &mut Store<Guest>,
        which: u32,
        bytes: &[u8],
    ) -> wasmtime::Result<u32> {
        let len = u32::try_from(bytes.len())
            .map_err(|_| wasmtime::Error::msg("an input larger than the guest's memory"))?;
        let ptr = self.buffer.call_async(&mut *store, (which, len)).await?;
        if ptr == 0 {
            return Err(wasmtime::Error::msg(
                "the guest has no memory for its input",
            ));
        }
        self.memory.write(&mut *store, ptr as usize, bytes)?;
        Ok(len)
    }

    async fn output(&self, store: &mut Store<Guest>) -> wasmtime::Result<String> {
        let ptr = self.output.call_async(&mut *store, ()).await? as usize;
        let len = self.output_len.call_async(&mut *store, ()).await? as usize;
        let bytes = self
            .memory
            .data(&*store)
            .get(ptr..ptr + len)
            .ok_or_else(|| wasmtime::Error::msg("the guest's output is outside its memory"))?;
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// Runs `job` to completion in a new instance, sending its tool calls and
/// logs to `events`.
pub async fn run(job: Job, events: mpsc::UnboundedSender<Event>) -> Result<Finished, ScriptError> {
    let isolates = isolates()?;
    let _alive = Alive::new(isolates);
    let limits = job.limits;
    let deadline = Instant::now() + limits.timeout;
    let guest = Guest {
        host: Host::new(events, limits, job.bindings.list().clone()),
        limits: StoreLimitsBuilder::new()
            .memory_size(memory_cap(limits.memory_bytes))
            .instances(1)
            .build(),
        memory: None,
        issued: Vec::new(),
        alarm: None,
        deadline,
    };
    let mut store = Store::new(&isolates.engine, guest);
    store.limiter(|guest| &mut guest.limits);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|store| {
        if Instant::now() >= store.data().deadline {
            Err(Deadline.into())
        } else {
            Ok(UpdateDeadline::Yield(1))
        }
    });
    let outcome = drive(isolates, &mut store, &job).await;
    match outcome {
        Ok(finished) => Ok(finished),
        Err(DriveError::Script(error)) => Err(error),
        Err(DriveError::Wasm(error)) => Err(trapped(&error, &limits)),
    }
}

/// How driving a program failed: the program's own error, or the
/// instance's (a trap or the deadline), which [`trapped`] words.
enum DriveError {
    Script(ScriptError),
    Wasm(wasmtime::Error),
}

impl From<wasmtime::Error> for DriveError {
    fn from(error: wasmtime::Error) -> Self {
        DriveError::Wasm(error)
    }
}

async fn drive(
    isolates: &Isolates,
    store: &mut Store<Guest>,
    job: &Job,
) -> Result<Finished, DriveError> {
    let limits = job.limits;
    let instance = isolates
        .linker
        .instantiate_async(&mut *store, &isolates.module)
        .await?;
    // The instance starts from the snapshot build.rs took: runtime, context
    // and prelude are ready.
    let exports = Exports::find(&instance, store)?;
    store.data_mut().memory = Some(exports.memory);
    let js_len = exports.put(store, 0, job.js.as_bytes()).await?;
    let bindings_len = exports
        .put(store, 1, job.bindings.json().as_bytes())
        .await?;
    let memory = u32::try_from(limits.memory_bytes).unwrap_or(u32::MAX);
    let stack = u32::try_from(limits.stack_bytes).unwrap_or(u32::MAX);
    let mut step = exports
        .start
        .call_async(
            &mut *store,
            (
                js_len,
                bindings_len,
                memory,
                stack,
                MAX_CALL_BYTES as u32,
                seed(),
            ),
        )
        .await?;

    let mut waiting = FuturesUnordered::new();
    // One timer for the whole execution: registering a timer can wake a
    // parked runtime thread, which every call would pay for.
    let expired = tokio::time::sleep_until(store.data().deadline.into());
    tokio::pin!(expired);
    loop {
        for (id, reply) in store.data_mut().issued.drain(..) {
            waiting.push(async move { (id, reply.await) });
        }
        match step {
            status::WAITING => {
                // The host sleeps until a call is answered, the timers'
                // alarm is due or the deadline passes; with neither calls
                // nor an alarm, the program awaits what never settles.
                let alarm = store.data().alarm;
                // The deadline first: answers that came after it (a host
                // that took long to answer them all at once) must not let
                // the program run again within a fresh tick and finish.
                let woken = if alarm.is_some_and(|at| at <= Instant::now()) {
                    // Due already: the timer runs now, not at the next tick
                    // of tokio's timer wheel, which is a millisecond away (a
                    // thousand due timers would wait a second). Answers
                    // that came meanwhile go first, so that timers always
                    // due cannot keep them out.
                    if store.data().deadline <= Instant::now() {
                        return Err(DriveError::Script(timeout_error(&limits)));
                    }
                    waiting.next().now_or_never().flatten()
                } else {
                    tokio::select! {
                        biased;
                        () = &mut expired => return Err(DriveError::Script(timeout_error(&limits))),
                        Some(answered) = waiting.next(), if !waiting.is_empty() => Some(answered),
                        () = tokio::time::sleep_until(alarm.unwrap_or(store.data().deadline).into()), if alarm.is_some() => None,
                    }
                };
                // Ticks that passed while the program waited are not its
                // time: without this, the step would yield at once.
                store.set_epoch_deadline(1);
                step = match woken {
                    Some((id, reply)) => {
                        let len = exports.put(store, 0, reply.as_bytes()).await?;
                        exports.resolve.call_async(&mut *store, (id, len)).await?
                    }
                    None => {
                        store.data_mut().alarm = None;
                        exports.wake.call_async(&mut *store, ()).await?
                    }
                };
            }
            status::DONE => {
                store.data().host.finish();
                return Ok(cut(exports.output(store).await?, limits.max_output_bytes));
            }
            status::RETURNED_UNDEFINED => {
                store.data().host.finish();
                return Ok(Finished {
                    returned_undefined: true,
                    ..cut("null".to_owned(), limits.max_output_bytes)
                });
            }
            status::FAILED => {
                let description = exports.output(store).await?;
                let near_limit = exports.memory.data_size(&*store) >= limits.memory_bytes / 10 * 9;
                return Err(DriveError::Script(failed(
                    &description,
                    job.throws_null,
                    near_limit,
                )));
            }
            status::UNSERIALIZABLE => {
                let cause = failed(&exports.output(store).await?, false, false).message;
                return Err(DriveError::Script(ScriptError {
                    kind: ErrorKind::Result,
                    message: format!(
                        "the returned value cannot be turned into JSON ({cause}); return plain data"
                    ),
                    js_line: None,
                    js_column: None,
                }));
            }
            _ => {
                let why = exports.output(store).await?;
                return Err(DriveError::Script(internal(&format!(
                    "the sandbox broke: {why}"
                ))));
            }
        }
    }
}

/// What a failed step's description means; see [`described`].
fn failed(description: &str, throws_null: bool, near_limit: bool) -> ScriptError {
    let error = described(description);
    // Out of memory, QuickJS may have no room to make an error and throws
    // `null`: unless the program throws `null` itself, that is what an
    // uncaught `null` means.
    // Or it made the error but had no room for its message ("out of
    // memory"): an InternalError with none, which depends on where in the
    // heap it ran out.
    let speechless = error.message == "InternalError: " && near_limit;
    if (error.message == THROWN_NULL && (!throws_null || near_limit)) || speechless {
        memory_error()
    } else {
        error
    }
}

/// A new seed for Math.random: the snapshot holds the same state for every
/// instance.
fn seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    use std::sync::atomic::AtomicU64;
    static COUNT: AtomicU64 = AtomicU64::new(0);
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    KEYS.get_or_init(RandomState::new)
        .hash_one(COUNT.fetch_add(1, Ordering::Relaxed))
}

/// A step that ended in a trap rather than a status.
fn trapped(error: &wasmtime::Error, limits: &super::Limits) -> ScriptError {
    if error.downcast_ref::<Deadline>().is_some() {
        return timeout_error(limits);
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::StackOverflow) => ScriptError {
            kind: ErrorKind::Stack,
            message: "call stack exhausted (recursion too deep for the stack limit)".into(),
            js_line: None,
            js_column: None,
        },
        _ => internal(&format!("the sandbox stopped: {error:#}")),
    }
}

fn internal(message: &str) -> ScriptError {
    ScriptError {
        kind: ErrorKind::Internal,
        message: message.to_owned(),
        js_line: None,
        js_column: None,
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one set of tests, each engine
mod tests;

/// What only an isolate does: stop what native QuickJS cannot, and give the
/// program nothing but its bindings.
#[cfg(test)]
mod contained {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::{Bindings, Limits};

    fn run_for(body: &str, timeout: Duration) -> Result<Finished, ScriptError> {
        let job = Job {
            js: format!("(async () => {{\n{body}\n}})()"),
            throws_null: false,
            bindings: Bindings::new(Vec::new()),
            limits: Limits {
                timeout,
                ..Limits::default()
            },
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (events, _) = mpsc::unbounded_channel();
        runtime.block_on(run(job, events))
    }

    fn value(body: &str) -> String {
        run_for(body, Duration::from_secs(10)).unwrap().json
    }

    #[test]
    fn failed_iterations_conversions_and_calls_point_at_their_value() {
        // Each failure is on line 3 of the program (line 4 with the
        // wrapper's); the column is where the value starts, in bytes. Stock
        // QuickJS put destructuring on the line before and the others on
        // their last token.
        let cases = [
            (
                "for (const x of o.items) {}",
                "cannot read property 'Symbol.iterator' of undefined",
                17,
            ),
            (
                "const a = [1, ...o.items];",
                "cannot read property 'Symbol.iterator' of undefined",
                18,
            ),
            (
                "f(...o.items);",
                "cannot read property 'Symbol.iterator' of undefined",
                6,
            ),
            (
                "const [a, b] = o.items;",
                "cannot read property 'Symbol.iterator' of undefined",
                7,
            ),
            (
                "const { a } = o.items;",
                "cannot convert undefined to object",
                7,
            ),
            ("const { a } = null;", "cannot convert null to object", 7),
            (
                "Object.entries(o.items, 1 + 2);",
                "cannot convert undefined to object",
                16,
            ),
            (
                "Array.from(o.items);",
                "cannot read property 'Symbol.iterator' of undefined",
                12,
            ),
        ];
        for (line, message, column) in cases {
            let body = format!("const o = {{}};\nconst f = (...a) => a;\n{line}");
            let error = run_for(&body, Duration::from_secs(10)).unwrap_err();
            assert_eq!(error.message, format!("TypeError: {message}"), "{line}");
            assert_eq!(
                (error.js_line, error.js_column),
                (Some(4), Some(column)),
                "{line}"
            );
        }
    }

    #[test]
    fn returning_nothing_is_told_from_returning_null() {
        let nothing = run_for("const a = 1;", Duration::from_secs(10)).unwrap();
        assert_eq!(
            (nothing.json.as_str(), nothing.returned_undefined),
            ("null", true)
        );
        let null = run_for("return null;", Duration::from_secs(10)).unwrap();
        assert_eq!(
            (null.json.as_str(), null.returned_undefined),
            ("null", false)
        );
    }

    #[test]
    fn loops_of_slow_built_ins_and_regexes_stop_at_the_deadline() {
        // Native QuickJS checks its deadline only every ~10,000 ticks: the
        // first loop ran for minutes past it.
        let loops = [
            "const s = 'x'.repeat(10_000_000); for (;;) s.indexOf('y');",
            "/(a+)+$/.test('a'.repeat(60) + 'b');",
            "const a = Array.from({length: 2e5}, (_, i) => -i); for (;;) a.slice().sort((x, y) => x - y);",
        ];
        // Compiles the guest, if this is the first test of the process.
        assert_eq!(value("return 0;"), "0");
        for program in loops {
            let started = Instant::now();
            let error = run_for(program, Duration::from_millis(200)).unwrap_err();
            assert_eq!(error.kind, ErrorKind::Timeout, "{program}: {error:?}");
            // Within the deadline plus a generous margin for a loaded machine
            // (the benchmark suite measures how close).
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{program} stopped after {:?}",
                started.elapsed()
            );
        }
        assert_eq!(value("return 1 + 1;"), "2", "the next execution runs");
    }

    #[test]
    fn deep_recursion_is_a_catchable_range_error() {
        let caught = value(
            "const f = (n) => f(n + 1) + 1;\ntry { f(0); } catch (e) { return e instanceof RangeError; }",
        );
        assert_eq!(caught, "true");
    }

    #[test]
    fn executions_share_nothing() {
        assert_eq!(
            value("globalThis.leak = 1; Object.prototype.polluted = 2; return 0;"),
            "0"
        );
        assert_eq!(
            value("return [typeof leak, typeof ({}).polluted];"),
            r#"["undefined","undefined"]"#
        );
    }

    #[test]
    fn every_instance_has_its_own_random_sequence() {
        // Every instance starts from one snapshot, random state included.
        let first = value("return [Math.random(), Math.random()];");
        let second = value("return [Math.random(), Math.random()];");
        assert_ne!(first, second);
    }

    #[test]
    fn the_guest_has_no_ambient_capability() {
        let globals = value(
            "return ['std', 'os', 'require', 'process', 'fetch', 'WebAssembly', 'scriptArgs'].filter((name) => name in globalThis);",
        );
        assert_eq!(globals, "[]");
        let import =
            value("try { await import('os'); return 'imported'; } catch (e) { return String(e); }");
        assert!(import.contains("Error"), "{import}");
        // The clock is the host's.
        let now = value("return Date.now();");
        let host = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let guest: u128 = now.parse().unwrap();
        assert!(host.abs_diff(guest) < 60_000, "guest {guest}, host {host}");
    }
}
