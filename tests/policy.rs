//! Policy: tools it removes are absent from the types and refused when called.

use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::common::*;

fn run(program: &str, extra: &[&str]) -> Value {
    let mut child = Command::new(codemode_path())
        .args(["run", "-"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), program.as_bytes()).unwrap();
    serde_json::from_slice(&child.wait_with_output().unwrap().stdout).unwrap()
}

#[test]
fn denied_tools_are_absent_from_the_types() {
    let types = codemode_ok(&["types", "--deny", "demo.delete_*", "--deny", "*.update_*"]);
    assert!(
        !types.contains("function delete_issue(") && !types.contains("function update_issue("),
        "{types}"
    );
    assert!(types.contains("function create_issue("));
    let read_only = codemode_json(&["tools", "--json", "--read-only"]);
    let names: Vec<&str> = read_only["servers"][0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "list_projects",
            "list_users",
            "list_issues",
            "get_issue",
            "search_issues",
            "project_stats"
        ]
    );
}

#[test]
fn denied_tools_are_refused_before_running_and_at_call_time() {
    let report = run(
        "await demo.list_projects();\nawait demo.delete_issue({ id: 'CORE-1', confirm: true });",
        &["--deny", "demo.delete_issue"],
    );
    assert_eq!(
        report["error"],
        json!({
            "kind": "unknown_function",
            "message": "demo.delete_issue is not available: denied by --deny demo.delete_issue",
            "line": 2, "column": 12
        })
    );
    assert_eq!(report["calls"], json!([]), "nothing ran");

    // A name computed at run time gets past the check before running, not past policy.
    let report = run(
        "const name = 'delete' + '_issue';\ntry { await demo[name]({ id: 'CORE-1', confirm: true }); } catch (e) { return e.message; }",
        &["--read-only"],
    );
    assert_eq!(
        report["result"],
        "demo.delete_issue is not available: not annotated read-only, and --read-only is set"
    );
    assert_eq!(
        report["calls"][0]["policy"],
        "not annotated read-only, and --read-only is set"
    );
    assert_eq!(report["calls"][0]["ok"], false);
}

#[test]
fn per_server_lists_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.json");
    let text = json!({"mcpServers": {"demo": {"command": codemode_path(), "args": ["demo-server"], "allow": ["list_*", "get_*"]}}});
    std::fs::write(&config, text.to_string()).unwrap();
    let json = codemode_json(&["tools", "--json", "--config", config.to_str().unwrap()]);
    let names: Vec<&str> = json["servers"][0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["list_projects", "list_users", "list_issues", "get_issue"]
    );
}

#[test]
fn invalid_patterns_are_an_error() {
    let output = codemode(&["types", "--allow", "demo.[oops"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("invalid pattern `demo.[oops`"),
        "{}",
        stderr(&output)
    );
}
