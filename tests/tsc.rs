//! The declarations are valid TypeScript for the real compiler: `tsc
//! --noEmit --strict` over `codemode types` for every fixture catalog and the
//! demo, in both styles.

use std::path::Path;
use std::process::Command;

use crate::common::*;

fn tsc(files: &[std::path::PathBuf]) -> std::process::Output {
    Command::new(npm_bin("tsc"))
        .args([
            "--noEmit", "--strict", "--target", "es2022", "--lib", "es2022",
        ])
        .args(files)
        .output()
        .expect("tsc runs")
}

fn catalogs() -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(fixture("catalogs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 8);
    paths
}

fn write_types(dir: &Path, name: &str, style: &str, servers: &[&str]) -> std::path::PathBuf {
    let mut args = vec!["types", "--style", style];
    args.extend_from_slice(servers);
    let path = dir.join(format!("{name}.{style}.d.ts"));
    std::fs::write(&path, codemode_ok(&args)).unwrap();
    path
}

#[test]
fn every_catalog_and_the_demo_type_check_in_both_styles() {
    let dir = tempfile::tempdir().unwrap();
    for style in ["full", "compact"] {
        // One program per style: the namespaces are distinct within it.
        let mut files = vec![write_types(dir.path(), "demo", style, &[])];
        for catalog in catalogs() {
            let stem = catalog.file_stem().unwrap().to_string_lossy().into_owned();
            files.push(write_types(
                dir.path(),
                &stem,
                style,
                &["--tools-file", catalog.to_str().unwrap()],
            ));
        }
        let output = tsc(&files);
        assert!(
            output.status.success(),
            "tsc found errors in the {style} declarations:\n{}{}",
            stdout(&output),
            stderr(&output)
        );
    }
}

#[test]
fn tsc_rejects_what_typegen_must_avoid() {
    // Guards the test above against passing vacuously: the names typegen
    // rewrites really are errors for the compiler.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.d.ts");
    std::fs::write(
        &path,
        "declare namespace x { function delete(): Promise<unknown>; }\n",
    )
    .unwrap();
    assert!(!tsc(&[path]).status.success());
}
