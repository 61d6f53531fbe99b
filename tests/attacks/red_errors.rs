//! The red team against errors that say the fix: suggestions, positions
//! and the forgotten-`await` proxy, driven the way an attacker would.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

/// A tools file `name.json` (so its server is `name`) with `tools`.
fn tools_file(dir: &std::path::Path, name: &str, tools: &[String]) -> String {
    let path = dir.join(format!("{name}.json"));
    let tools: Vec<Value> = tools
        .iter()
        .map(|t| json!({"name": t, "inputSchema": {"type": "object"}}))
        .collect();
    std::fs::write(&path, json!({ "tools": tools }).to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn a_servers_thousands_of_long_names_never_stall_a_call_past_the_deadline() {
    // Each unknown name gets a "did you mean" from the host, which compared
    // it with every tool: 2000 names of 250 letters took seconds a call,
    // while the deadline waited for each.
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..2000)
        .map(|i| format!("t{i:04}{}", "abcdefghij".repeat(25)))
        .collect();
    let file = tools_file(dir.path(), "big", &names);
    let program = "const k = 'q'.repeat(250);\n\
        await Promise.all(Array.from({ length: 50 }, (_, i) => (big as any)[k + i]().catch(() => 0)));\n\
        return 1;";
    let started = Instant::now();
    let (report, ok) = run_program(program, &["--tools-file", &file, "--timeout-ms", "1000"]);
    let took = started.elapsed();
    assert!(!ok, "{report}");
    assert_eq!(report["error"]["kind"], "timeout", "{report}");
    assert!(took < Duration::from_secs(30), "{took:?}");
}
