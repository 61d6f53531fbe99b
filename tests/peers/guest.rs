//! The committed guest module is what its sources build.

use std::process::Command;

#[test]
fn the_committed_guest_module_is_built_from_its_sources() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = tempfile::tempdir().unwrap();
    let rebuilt = dir.path().join("codemode.wasm");
    let status = Command::new("bash")
        .arg(format!("{root}/guest/build.sh"))
        .arg(&rebuilt)
        .status()
        .expect("bash runs");
    assert!(
        status.success(),
        "guest/build.sh failed (scripts/test.sh installs its toolchain)"
    );
    let committed = std::fs::read(format!("{root}/guest/codemode.wasm")).unwrap();
    let rebuilt = std::fs::read(&rebuilt).unwrap();
    assert!(
        committed == rebuilt,
        "guest/codemode.wasm ({} bytes) differs from what guest/build.sh builds ({} bytes): run `bash guest/build.sh` and commit the module",
        committed.len(),
        rebuilt.len()
    );
}
