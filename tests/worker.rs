//! The sandbox worker's protocol, spoken directly.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::common::codemode_path;

#[test]
fn a_worker_answers_even_when_its_input_closes_right_after_the_job() {
    let job = json!({"run": {"job": {
        "js": "(async () => { return [1, 2, 3].map(x => x * 2); })()",
        "bindings": [],
        "limits": {"timeout": 5000, "memory_bytes": 16777216, "stack_bytes": 262144, "max_calls": 1, "max_output_bytes": 1000}
    }}});
    let mut child = Command::new(codemode_path())
        .arg("sandbox-worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{job}").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let done: Value = serde_json::from_slice(&output.stdout).expect("one Done message");
    assert_eq!(
        done,
        json!({"done": {"outcome": {"Ok": {"json": "[2,4,6]", "truncated_from": null}}}})
    );
}

#[test]
fn a_worker_ignores_malformed_messages() {
    let mut child = Command::new(codemode_path())
        .arg("sandbox-worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "this is not a message").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("ignoring a malformed message"));
}
