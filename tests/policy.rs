//! Policy: tools it removes are absent from the types and refused when called.

use serde_json::json;

use crate::common::*;

#[test]
fn denied_tools_are_absent_from_the_types() {
    let types = codemode_ok(&["types", "--deny", "demo.delete_*", "--deny", "*.update_*"]);
    assert!(
        !types.contains("function delete_issue(") && !types.contains("function update_issue("),
        "{types}"
    );
    assert!(types.contains("function create_issue("));
    let read_only = codemode_json(&["tools", "--json", "--read-only"]);
    let names = tool_names(&read_only);
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
    let (report, _) = run_program(
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
    let (report, _) = run_program(
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
    let names = tool_names(&json);
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
