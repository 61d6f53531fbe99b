//! Golden tests over the real catalogs in `fixtures/catalogs/`: the exact text
//! the model sees is reviewed in `fixtures/golden/`, and must parse as TypeScript.
//!
//! Regenerate after an intended change with `UPDATE_GOLDEN=1 cargo test -p codemode-typegen`.

mod common;

use std::fs;

use codemode_typegen::{Api, Style};
use serde_json::Value;

fn catalogs() -> Vec<(String, Vec<Value>)> {
    let dir = common::fixtures().join("catalogs");
    let mut out = Vec::new();
    for entry in fs::read_dir(&dir).expect("fixtures/catalogs exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = fs::read_to_string(&path).expect("readable catalog");
            let list: Value = serde_json::from_str(&text).expect("catalog is JSON");
            let tools = list["tools"].as_array().expect("catalog has tools").clone();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            out.push((stem, tools));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        out.len() >= 8,
        "expected the eight captured catalogs, found {}",
        out.len()
    );
    out
}

#[test]
fn declarations_match_golden_files_and_parse() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    for (name, tools) in catalogs() {
        let count = tools.len();
        let api = Api::new(vec![(name.clone(), tools)]);
        assert_eq!(api.namespaces()[0].functions().len(), count);
        for (style, suffix) in [(Style::Full, "full"), (Style::Compact, "compact")] {
            let text = api.render(style);
            common::parse_dts(&text)
                .unwrap_or_else(|e| panic!("{name} ({suffix}) does not parse:\n{e}"));
            let path = common::fixtures().join(format!("golden/{name}.{suffix}.d.ts"));
            if update {
                fs::write(&path, &text).expect("write golden file");
            } else if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                mismatches.push(path.display().to_string());
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "generated declarations differ from (or lack) golden files: {mismatches:?}\n\
         review the change, then run `UPDATE_GOLDEN=1 cargo test -p codemode-typegen`"
    );
}

#[test]
fn every_tool_property_and_enum_value_survives_in_full_style() {
    for (name, tools) in catalogs() {
        let text = Api::new(vec![(name.clone(), tools.clone())]).render(Style::Full);
        for tool in &tools {
            let props = tool["inputSchema"]["properties"].as_object();
            for (key, schema) in props.into_iter().flatten() {
                assert!(
                    text.contains(key.as_str()),
                    "{name}: property {key} missing"
                );
                for value in schema["enum"].as_array().into_iter().flatten() {
                    assert!(
                        text.contains(&value.to_string()),
                        "{name}: enum value {value} of {key} missing"
                    );
                }
            }
        }
    }
}

#[test]
fn all_catalogs_in_one_api_keep_namespaces_apart() {
    let api = Api::new(catalogs());
    let text = api.render(Style::Compact);
    common::parse_dts(&text).unwrap_or_else(|e| panic!("combined declarations do not parse:\n{e}"));
    assert_eq!(
        text.matches("declare namespace ").count(),
        api.namespaces().len()
    );
}

#[test]
fn the_parse_check_rejects_invalid_typescript() {
    assert!(
        common::parse_dts("declare namespace x { function f(args: { a: }): Promise<unknown>; }")
            .is_err()
    );
    assert!(common::parse_dts("declare namespace x { function f(): Promise<unknown>; }").is_ok());
}
