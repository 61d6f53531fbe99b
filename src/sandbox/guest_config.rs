// What `build.rs`, which initializes and compiles the guest when codemode is
// built, and `isolate.rs`, which runs it, must agree on.

/// The settings that shape the guest's compiled code (wasmtime refuses code
/// compiled under others): deadlines are checked by epoch interruption at
/// loop back-edges and function entries of the guest.
pub fn configure(config: &mut wasmtime::Config) {
    config.epoch_interruption(true);
}

/// The WASI module wasi-libc imports from.
pub const WASI: &str = "wasi_snapshot_preview1";

/// WASI's "bad file descriptor".
pub const EBADF: i32 = 8;

/// The file functions wasi-libc imports: no file descriptor exists.
pub fn link_no_files<T: 'static>(linker: &mut wasmtime::Linker<T>) -> wasmtime::Result<()> {
    linker.func_wrap(WASI, "fd_write", |_: i32, _: i32, _: i32, _: i32| EBADF)?;
    linker.func_wrap(WASI, "fd_close", |_: i32| EBADF)?;
    linker.func_wrap(WASI, "fd_seek", |_: i32, _: i64, _: i32, _: i32| EBADF)?;
    linker.func_wrap(WASI, "fd_fdstat_get", |_: i32, _: i32| EBADF)?;
    Ok(())
}
