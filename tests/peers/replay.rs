//! `serve`'s trace, written while the official Python SDK's client drives
//! it, replayed.

use serde_json::{Value, json};

use crate::common::*;
use crate::programs::MANY_CALLS;

#[test]
fn serves_trace_replays_by_id_and_one_without_results_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("serve.jsonl");
    crate::serve::python_client(
        &[
            "stdio",
            codemode_path(),
            "serve",
            "--trace-file",
            trace.to_str().unwrap(),
            "--trace-results",
        ],
        json!([
            {"name": "execute", "arguments": {"code": "return 1;"}},
            {"name": "execute", "arguments": {"code": MANY_CALLS}},
            {"name": "execute", "arguments": {"code": "return 2;"}}
        ]),
    );
    let text = std::fs::read_to_string(&trace).unwrap();
    let second: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    let id = second["id"].as_str().unwrap();
    let (replayed, identical) = replay(&trace, &["--id", id]);
    assert!(identical, "{replayed:#}");
    assert_eq!(replayed["recorded_calls"], 4);
    let (by_line, _) = replay(&trace, &["--line", "2"]);
    assert_eq!(by_line["outcome"], replayed["outcome"]);

    let plain = dir.path().join("plain.jsonl");
    let (_, ok) = run_program("return 1;", &["--trace-file", plain.to_str().unwrap()]);
    assert!(ok);
    let output = codemode(&["replay", plain.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("line 1 of the trace cannot be replayed")
            && stderr(&output).contains("it was recorded without its calls' answers")
            && stderr(&output).contains("\nhint: record with `--trace-file FILE --trace-results`"),
        "{}",
        stderr(&output)
    );
}
