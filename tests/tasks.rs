//! Long executions as tasks (SEP-2663) for a 2026-07-28 client that declared
//! the extension: an `execute` still running after a moment is answered with
//! a task, which the client polls with `tasks/get` on new connections,
//! answers with `tasks/update`, and may stop with `tasks/cancel`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;
use crate::raw::{first_message, port_of, stateless_post_as};

fn tasks_client() -> Value {
    json!({"elicitation": {}, "extensions": {"io.modelcontextprotocol/tasks": {}}})
}

/// A request of a client that declared the tasks extension; its answer.
fn ask(port: u16, method: &str, params: Value) -> Value {
    let message = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (status, _, body) =
        stateless_post_as(port, &message, &tasks_client(), Duration::from_secs(60));
    assert_eq!(status, 200, "{body}");
    first_message(&body)
}

fn execute(port: u16, code: &str) -> Value {
    let answer = ask(
        port,
        "tools/call",
        json!({"name": "execute", "arguments": {"code": code}}),
    );
    answer["result"].clone()
}

/// Polls the task until `done` says so of it; what it then was.
fn poll_until(port: u16, task: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    wait_for(&format!("task {task} to get there"), || {
        let got = ask(port, "tasks/get", json!({"taskId": task}));
        last = got["result"].clone();
        assert!(last.is_object(), "{got}");
        done(&last)
    });
    last
}

/// Waits for a program long enough to outlast the moment before a task.
const SLOW: &str = "await new Promise((r) => setTimeout(r, 3000));";

#[test]
fn a_long_execution_becomes_a_task_whose_result_a_new_connection_reads() {
    let (_serve, url) = start_serve(&[]);
    let port = port_of(&url);
    // A quick program is answered at once, even for a client of tasks.
    let quick = execute(port, "return 1 + 1;");
    assert_eq!(quick["resultType"], "complete", "{quick}");

    let created = execute(port, &format!("{SLOW} return {{ answer: 42 }};"));
    assert_eq!(created["resultType"], "task", "{created}");
    assert_eq!(created["status"], "working", "{created}");
    assert!(created["ttlMs"].as_u64().unwrap() > 60_000, "{created}");
    let task = created["taskId"].as_str().unwrap();
    // Each poll is a connection of its own.
    let done = poll_until(port, task, |t| t["status"] != "working");
    assert_eq!(done["status"], "completed", "{done}");
    let text = done["result"]["content"][0]["text"].as_str().unwrap();
    let report: Value = serde_json::from_str(text).unwrap();
    assert_eq!(report["answer"], 42, "{done}");
}

#[test]
fn a_cancelled_task_stops_its_program() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.jsonl");
    let (_serve, url) = start_serve(&["--trace-file", trace.to_str().unwrap()]);
    let port = port_of(&url);
    let created = execute(
        port,
        "while (true) { await new Promise((r) => setTimeout(r, 50)); }",
    );
    let task = created["taskId"].as_str().expect("a task");
    let ack = ask(port, "tasks/cancel", json!({"taskId": task}));
    assert_eq!(ack["result"]["resultType"], "complete", "{ack}");
    let done = poll_until(port, task, |t| t["status"] != "working");
    assert_eq!(done["status"], "cancelled", "{done}");
    // The program itself was stopped, as a cancelled request is.
    wait_for("the trace to show the program stopped", || {
        let text = std::fs::read_to_string(&trace).unwrap_or_default();
        text.contains("\"cancelled\"")
    });
}

#[test]
fn a_task_asks_for_approval_and_goes_on_with_the_answer() {
    let (_serve, url) = start_serve(&["--ask", "demo.create_issue"]);
    let port = port_of(&url);
    let program = format!(
        "{SLOW} const a = await demo.create_issue({{ project: \"CORE\", title: \"in a task\" }}); return a.title;"
    );
    let created = execute(port, &program);
    let task = created["taskId"].as_str().expect("a task");
    let asking = poll_until(port, task, |t| t["status"] == "input_required");
    let requests = asking["inputRequests"].as_object().unwrap();
    assert_eq!(requests.len(), 1, "{asking}");
    let (key, request) = requests.iter().next().unwrap();
    assert_eq!(request["method"], "elicitation/create", "{asking}");
    let message = request["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("create_issue") && message.contains("in a task"),
        "{message}"
    );

    let answer = json!({"taskId": task, "inputResponses": {key: {"action": "accept"}}});
    let ack = ask(port, "tasks/update", answer);
    assert_eq!(ack["result"]["resultType"], "complete", "{ack}");
    let done = poll_until(port, task, |t| t["status"] == "completed");
    let text = done["result"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(text, "\"in a task\"", "{done}");
}

#[test]
fn tasks_of_nobody_and_of_clients_without_the_extension_are_refused() {
    let (_serve, url) = start_serve(&[]);
    let port = port_of(&url);
    let unknown = ask(port, "tasks/get", json!({"taskId": "no-such-task"}));
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");
    // Without the extension, a long program is answered when it ends.
    let message = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "execute", "arguments": {"code": format!("{SLOW} return 7;")}}});
    let (_, _, body) = stateless_post_as(port, &message, &json!({}), Duration::from_secs(60));
    let answer = first_message(&body);
    assert_eq!(answer["result"]["resultType"], "complete", "{answer}");
}
