//! The corpus of results recorded from real servers (`fixtures/results/`,
//! written by `scripts/record-results.py`): what each reaches a program as,
//! and what is learned of it, stays what it should.

use std::path::Path;

use codemode_typegen::Observed;
use codemode_typegen::layout::{Layout, is_label};
use codemode_typegen::shape::Shape;
use serde_json::Value;

use super::unwrap::unwrap;

/// Each recorded result: (`server.tool`, the arguments, the raw result).
fn corpus() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/results");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/results")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let record: Value =
                serde_json::from_str(&std::fs::read_to_string(path).expect("readable"))
                    .expect("JSON");
            let name = format!(
                "{}.{}",
                record["server"].as_str().unwrap(),
                record["tool"].as_str().unwrap()
            );
            (name, record["result"].clone())
        })
        .collect()
}

/// What is learned from one result, as a declaration shows it.
fn learned(value: &Value) -> String {
    Observed {
        shape: Shape::of(value),
        samples: 1,
        layout: value.as_str().map(Layout::of),
    }
    .render()
}

#[test]
fn every_recorded_result_is_learned_as_expected() {
    let expected: &[(&str, &str)] = &[
        (
            "git.git_log",
            r#"string, "Commit history:\n(Commit: <hex>\nAuthor: <text>\nDate: <date-time>\nMessage: <text>\n<lines>\n)*""#,
        ),
        (
            "git.git_show",
            r#"string, "commit <hex>\nAuthor: <text> <<email>>\nDate:   <date-time>\n<lines>""#,
        ),
        ("git.git_status", r#"string, "Repository status:\n<lines>""#),
        (
            "git.git_diff_unstaged",
            r#"string, "Unstaged changes:\n<lines>""#,
        ),
        (
            "git.git_diff_staged",
            r#"string, "Staged changes:\n<lines>""#,
        ),
        ("git.git_diff", "string"),
        ("git.git_branch", "string"),
        ("git.git_add", "string"),
        ("git.git_reset", "string"),
        ("git.git_create_branch", "string"),
        (
            "sqlite.read_query",
            "{ email: string; id: number; name: string; note: null | string; score: number }[]",
        ),
        ("sqlite.list_tables", "{ name: string }[]"),
        (
            "sqlite.describe_table",
            "{ cid: number; dflt_value: null; name: string; notnull: number; pk: number; type: string }[]",
        ),
        ("sqlite.write_query", "{ affected_rows: number }[]"),
        ("sqlite.create_table", "string"),
        ("sqlite.append_insight", "string"),
        ("everything.echo", r#"string, "Echo: <text>""#),
        ("everything.get-sum", "string"),
        ("everything.get-annotated-message", "string"),
    ];
    let corpus = corpus();
    for (name, want) in expected {
        let (_, result) = corpus
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no recording of {name}"));
        let value = unwrap(result).unwrap();
        assert_eq!(learned(&value), *want, "{name}");
    }
}

#[test]
fn sqlite_rows_arrive_as_the_rows_they_print() {
    let corpus = corpus();
    let result = |name: &str| {
        let (_, result) = corpus.iter().find(|(n, _)| n == name).expect(name);
        unwrap(result).unwrap()
    };
    assert_eq!(
        result("sqlite.read_query"),
        serde_json::json!([
            {"id": 1, "name": "Ann", "email": "ann@example.org", "score": 4.5, "note": null},
            {"id": 2, "name": "Bob", "email": "bob@example.org", "score": 3.0, "note": "it's \"fine\""}
        ])
    );
    assert_eq!(
        result("sqlite.list_tables"),
        serde_json::json!([{"name": "users"}, {"name": "orders"}])
    );
    assert_eq!(
        result("sqlite.create_table"),
        serde_json::json!("Table created successfully")
    );
}

/// Every string in `value`, and every key.
fn strings(value: &Value, into: &mut Vec<String>, keys: &mut Vec<String>) {
    match value {
        Value::String(s) => into.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, into, keys)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            keys.push(k.clone());
            strings(v, into, keys)
        }),
        _ => {}
    }
}

#[test]
fn every_text_block_has_the_layout_expected() {
    // Also the text beside structured content, which a program does not get.
    let info = corpus()
        .into_iter()
        .find(|(n, _)| n == "filesystem.get_file_info")
        .unwrap()
        .1;
    let text = info["content"][0]["text"].as_str().unwrap();
    assert_eq!(
        Layout::of(text).render(),
        r"size: <integer>\ncreated: <text>\nmodified: <text>\naccessed: <text>\nisDirectory: <boolean>\nisFile: <boolean>\npermissions: <integer>"
    );
}

/// The texts of every text block of every recording.
fn texts() -> Vec<(String, String)> {
    corpus()
        .into_iter()
        .flat_map(|(name, result)| {
            let blocks = result["content"].as_array().cloned().unwrap_or_default();
            blocks
                .into_iter()
                .filter_map(|b| b["text"].as_str().map(str::to_owned))
                .map(move |text| (name.clone(), text))
        })
        .collect()
}

#[test]
fn no_recorded_value_reaches_a_layout_and_layouts_stay_small() {
    for (name, text) in texts() {
        let text = text.as_str();
        let shown = Layout::of(text).render();
        assert!(shown.len() <= 400, "{name}: {shown}");
        // Every value: what follows a label's separator on each line.
        for line in text.lines() {
            let Some((label, rest)) = line.trim_start().split_once([':', '=']) else {
                continue;
            };
            let rest = rest.trim();
            if rest.len() >= 3 && is_label(label.trim()) {
                assert!(!shown.contains(rest), "{name}: {rest:?} in {shown}");
            }
        }
        for known in [
            "Ann Example",
            "ann@example.org",
            "50e2067",
            "2026-01",
            "notes.txt",
            "app.py",
            "main",
        ] {
            assert!(!shown.contains(known), "{name}: {known:?} in {shown}");
        }
    }
    // Values that were parsed give types: their strings never show.
    for (name, result) in corpus() {
        let value = unwrap(&result).unwrap();
        let shown = learned(&value);
        let (mut all, mut keys) = (Vec::new(), Vec::new());
        strings(&value, &mut all, &mut keys);
        // A value may also be a key (a column named `name`): keys are shown.
        for s in all.iter().filter(|s| s.len() >= 4 && !keys.contains(s)) {
            assert!(!shown.contains(s.as_str()), "{name}: {s:?} in {shown}");
        }
    }
}
