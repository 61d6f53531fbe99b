//! Compiles the sandbox's guest (`guest/codemode.wasm`) to native code for
//! the target, so codemode never compiles WebAssembly when it runs: no
//! compiler in the binary, no second of start-up, no memory spent on it.

use std::path::PathBuf;

#[path = "src/sandbox/guest_config.rs"]
mod guest_config;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=guest/codemode.wasm");
    println!("cargo::rerun-if-changed=src/sandbox/guest_config.rs");
    let mut config = wasmtime::Config::new();
    // The target's baseline: the code runs on any CPU of the target, not
    // only on the one it was built on.
    config.target(&std::env::var("TARGET")?)?;
    guest_config::configure(&mut config);
    let engine = wasmtime::Engine::new(&config)?;
    let guest = std::fs::read("guest/codemode.wasm")?;
    let compiled = engine.precompile_module(&guest)?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("codemode.cwasm");
    std::fs::write(out, compiled)?;
    Ok(())
}
