// The settings that shape the guest's compiled code. Shared by `build.rs`,
// which compiles the guest when codemode is built, and `isolate.rs`, which
// loads it: wasmtime refuses compiled code made under other settings.

/// Deadlines are checked by epoch interruption at loop back-edges and
/// function entries of the guest.
pub fn configure(config: &mut wasmtime::Config) {
    config.epoch_interruption(true);
}
