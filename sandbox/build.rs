//! Prepares the sandbox's guest (`guest/codemode.wasm` at the repository
//! root) when codemode is built: runs its one-time initialization (QuickJS
//! runtime, context and the prelude, `src/prelude.js` with its `globals.js`)
//! and snapshots the result with wasmtime-wizer, so every instance starts
//! ready; then compiles the snapshot to native code for the target. codemode
//! never compiles WebAssembly when it runs: no compiler in the binary, no
//! second of start-up.

use std::path::PathBuf;

use wasmtime::{Engine, Instance, Linker, Module, Store, Val};
use wasmtime_wizer::{InstanceState, SnapshotVal, ValType, Wizer};

#[path = "src/guest_config.rs"]
mod guest_config;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    for input in [
        "../guest/codemode.wasm",
        "src/prelude.js",
        "src/globals.js",
        "src/guest_config.rs",
    ] {
        println!("cargo::rerun-if-changed={input}");
    }
    let guest = std::fs::read("../guest/codemode.wasm")?;
    let prelude = guest_config::prelude(
        &std::fs::read_to_string("src/prelude.js")?,
        &std::fs::read_to_string("src/globals.js")?,
    )
    .ok_or("src/prelude.js must have its `@include globals.js` line once")?;
    let ready = snapshot(&guest, &prelude)?;

    let mut config = wasmtime::Config::new();
    // The target's baseline: the code runs on any CPU of the target, not
    // only on the one it was built on.
    config.target(&std::env::var("TARGET")?)?;
    guest_config::configure(&mut config);
    let compiled = Engine::new(&config)?.precompile_module(&ready)?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("codemode.cwasm");
    std::fs::write(out, compiled)?;
    Ok(())
}

/// The guest after `_initialize` and `cm_init(prelude)`, as a module whose
/// memory and globals start in that state (and which exports neither).
fn snapshot(guest: &[u8], prelude: &str) -> Result<Vec<u8>, Error> {
    let mut wizer = Wizer::new();
    // The reactor's own initialization is part of the snapshot: the export
    // is removed, so nothing runs it twice.
    wizer.init_func("_initialize");
    let (context, instrumented) = wizer.instrument(guest)?;

    let engine = Engine::default();
    let module = Module::new(&engine, &instrumented)?;
    let mut linker = Linker::new(&engine);
    // Initialization calls no tool, logs nothing and sets no alarm; the clock reads 0, so
    // the snapshot is the same at every build (each execution reseeds
    // Math.random).
    linker.func_wrap(
        "codemode",
        "call",
        |_: u32, _: u32, _: u32, _: u32, _: u32, _: u32, _: u32| {},
    )?;
    linker.func_wrap("codemode", "log", |_: u32, _: u32, _: u32| {})?;
    linker.func_wrap("codemode", "alarm", |_: f64| {})?;
    linker.func_wrap(
        guest_config::WASI,
        "clock_time_get",
        |_: i32, _: i64, _: i32| 0i32,
    )?;
    guest_config::link_no_files(&mut linker)?;
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module)?;
    instance
        .get_typed_func::<(), ()>(&mut store, "_initialize")?
        .call(&mut store, ())?;
    let memory = instance
        .get_memory(&mut store, "memory")
        .ok_or("the guest exports no memory")?;
    let len = u32::try_from(prelude.len())?;
    let at = instance
        .get_typed_func::<(u32, u32), u32>(&mut store, "cm_buffer")?
        .call(&mut store, (0, len))?;
    memory.write(&mut store, at as usize, prelude.as_bytes())?;
    let status = instance
        .get_typed_func::<u32, u32>(&mut store, "cm_init")?
        .call(&mut store, len)?;
    if status != 1 {
        return Err(format!("the guest could not load the prelude (status {status})").into());
    }
    let mut state = State { store, instance };
    let snapshot = wizer.snapshot(&context, &mut state);
    Ok(block_on(snapshot)?)
}

/// What wizer reads of the initialized instance.
struct State {
    store: Store<()>,
    instance: Instance,
}

impl InstanceState for State {
    fn global_get(&mut self, name: &str, _: ValType) -> impl Future<Output = SnapshotVal> + Send {
        let global = self
            .instance
            .get_global(&mut self.store, name)
            .expect("wizer asks for globals it exported");
        let value = match global.get(&mut self.store) {
            Val::I32(v) => SnapshotVal::I32(v),
            Val::I64(v) => SnapshotVal::I64(v),
            Val::F32(v) => SnapshotVal::F32(v),
            Val::F64(v) => SnapshotVal::F64(v),
            Val::V128(v) => SnapshotVal::V128(v.as_u128()),
            other => panic!("a global of unexpected type: {other:?}"),
        };
        std::future::ready(value)
    }

    fn memory_contents(
        &mut self,
        name: &str,
        contents: impl FnOnce(&[u8]) + Send,
    ) -> impl Future<Output = ()> + Send {
        let memory = self
            .instance
            .get_memory(&mut self.store, name)
            .expect("wizer asks for memories it exported");
        contents(memory.data(&self.store));
        std::future::ready(())
    }
}

/// Runs a future that never waits (the state above answers at once).
fn block_on<T>(future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
    }
}
