// What `build.rs`, which initializes and compiles the guest when codemode is
// built, and `isolate.rs`, which runs it, must agree on.

/// The settings that shape the guest's compiled code (wasmtime refuses code
/// compiled under others): deadlines are checked by epoch interruption at
/// loop back-edges and function entries of the guest.
pub(crate) fn configure(config: &mut wasmtime::Config) {
    config.epoch_interruption(true);
}

/// The WASI module wasi-libc imports from.
pub(crate) const WASI: &str = "wasi_snapshot_preview1";

/// WASI's "bad file descriptor".
pub(crate) const EBADF: i32 = 8;

/// The file functions wasi-libc imports: no file descriptor exists.
pub(crate) fn link_no_files<T: 'static>(linker: &mut wasmtime::Linker<T>) -> wasmtime::Result<()> {
    linker.func_wrap(WASI, "fd_write", |_: i32, _: i32, _: i32, _: i32| EBADF)?;
    linker.func_wrap(WASI, "fd_close", |_: i32| EBADF)?;
    linker.func_wrap(WASI, "fd_seek", |_: i32, _: i64, _: i32, _: i32| EBADF)?;
    linker.func_wrap(WASI, "fd_fdstat_get", |_: i32, _: i32| EBADF)?;
    Ok(())
}

/// The line of `prelude.js` that `globals.js` takes the place of.
const INCLUDE: &str = "  // @include globals.js\n";

/// The prelude the guest runs: `prelude.js` with `globals.js` in place of
/// its include line (inside the prelude's function, so the globals share
/// its helpers), or `None` if the line is not there exactly once.
pub(crate) fn prelude(prelude: &str, globals: &str) -> Option<String> {
    let (before, after) = prelude.split_once(INCLUDE)?;
    (!after.contains(INCLUDE)).then(|| format!("{before}{globals}{after}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_globals_go_in_place_of_the_one_include_line() {
        let line = super::INCLUDE;
        assert_eq!(
            super::prelude(&format!("a\n{line}b\n"), "G\n").as_deref(),
            Some("a\nG\nb\n")
        );
        assert_eq!(super::prelude("a\nb\n", "G\n"), None);
        assert_eq!(super::prelude(&format!("{line}{line}"), "G\n"), None);
    }
}
