//! The declarations are valid TypeScript for the real compiler: `tsc
//! --noEmit --strict` over `codemode types` for every fixture catalog and the
//! demo, in both styles.

use std::path::Path;
use std::process::Command;

use crate::common::*;

pub(crate) fn tsc(files: &[std::path::PathBuf]) -> std::process::Output {
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
fn a_tool_without_input_properties_takes_nothing_or_an_empty_object() {
    // Both calls run, so a model's `get_env({})` must type-check as well as
    // `get_env()` (without the change, tsc said "Expected 0 arguments").
    let dir = tempfile::tempdir().unwrap();
    let catalog = fixture("catalogs/everything.json");
    let types = write_types(
        dir.path(),
        "everything",
        "compact",
        &["--tools-file", catalog.to_str().unwrap()],
    );
    let calls = |name: &str, body: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("export async function f() {{\n{body}\n}}\n")).unwrap();
        tsc(&[types.clone(), path])
    };
    let both = calls(
        "both.ts",
        "await everything.get_env();\nawait everything.get_env({});",
    );
    assert!(both.status.success(), "{}{}", stdout(&both), stderr(&both));
    let other = calls("other.ts", "await everything.get_sum({});");
    assert!(!other.status.success(), "the check is not vacuous");
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

/// A type learned from results (`codemode_typegen::shape`) accepts, for
/// TypeScript itself, every result it was learned from: generated sample
/// sets, each checked as `const x: Learned = sample;` in one `tsc` run.
#[test]
fn learned_result_types_accept_their_samples_for_tsc() {
    use codemode_typegen::shape::Shape;
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use serde_json::{Value, json};

    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i32..1000).prop_map(|n| json!(n)),
        (-1000.0f64..1000.0).prop_map(|n| json!(n)),
        "[a-z -]{0,6}".prop_map(Value::String),
    ];
    let value = leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]|my-key|class", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    let sample_sets = prop::collection::vec(value, 1..6);
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut source = String::new();
    for set in 0..150 {
        let samples = sample_sets.new_tree(&mut runner).unwrap().current();
        let shape = samples
            .iter()
            .fold(Shape::Never, |s, v| s.merge(Shape::of(v)));
        source.push_str(&format!("type Learned{set} = {};\n", shape.render()));
        for (n, sample) in samples.iter().enumerate() {
            source.push_str(&format!("const s{set}_{n}: Learned{set} = {sample};\n"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("learned.ts");
    std::fs::write(&file, &source).unwrap();
    let output = tsc(&[file]);
    assert!(
        output.status.success(),
        "tsc rejects a learned type:\n{}\n{}",
        stdout(&output),
        source.lines().take(40).collect::<Vec<_>>().join("\n")
    );
}
