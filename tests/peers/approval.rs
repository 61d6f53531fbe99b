//! Approval asked of `serve`'s client through the official Python SDK
//! (`tests/python/ask_client.py`): elicitation in a legacy session, the
//! `input_required` round trip in a 2026-07-28 one.

use serde_json::{Value, json};

use crate::common::*;
use crate::programs::TWO_CREATIONS;

/// The Python SDK's `ask_client.py` (accepts the first elicitation, declines
/// the rest) in `mode`, against `target`.
fn ask(mode: &str, target: &[&str]) -> Value {
    let plan = json!({"calls": [{"name": "execute", "arguments": {"code": TWO_CREATIONS}}]});
    let mut args = vec!["--mode", mode];
    args.extend_from_slice(target);
    let output = python_script("ask_client.py", &args, plan.to_string().as_bytes());
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn assert_only_the_approved_call_was_made(out: &Value, how: &str) {
    let result: Value = serde_json::from_str(out["results"][0].as_str().unwrap())
        .unwrap_or_else(|e| panic!("{how}: {e}: {out}"));
    assert_eq!(result["first"], "approved one", "{how}: {out}");
    assert_eq!(
        result["refused"],
        "demo.create_issue was not approved: declined (the client (elicitation))".replace(
            "elicitation",
            if how.contains("2026") {
                "input_required"
            } else {
                "elicitation"
            }
        ),
        "{how}"
    );
    // The upstream never saw the declined call.
    assert_eq!(result["titles"], json!(["approved one"]), "{how}");
    let asked: Vec<&str> = out["asked"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["elicitation"].as_str())
        .collect();
    assert_eq!(asked.len(), 2, "{how}: {out}");
    assert!(
        asked[1].starts_with(
            "Allow the demo server's tool create_issue to be called? (matched by the operator's rule demo.create_issue)\narguments (2 values, "
        ) && asked[1].ends_with("\n  project: \"CORE\"\n  title: \"declined one\""),
        "{how}: {}",
        asked[1]
    );
}

#[test]
fn serve_asks_a_legacy_client_by_elicitation_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.jsonl");
    let out = ask(
        "legacy",
        &[
            "stdio",
            codemode_path(),
            "serve",
            "--ask",
            "demo.create_issue",
            "--trace-file",
            trace.to_str().unwrap(),
        ],
    );
    assert_only_the_approved_call_was_made(&out, "legacy over stdio");
    // The trace keeps each verdict and who gave it.
    let line: Value = serde_json::from_str(
        std::fs::read_to_string(&trace)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let verdicts: Vec<&Value> = line["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["approval"])
        .collect();
    assert_eq!(
        verdicts,
        [
            &json!({"approved": true, "by": "the client (elicitation)"}),
            &json!({"approved": false, "by": "the client (elicitation)", "why": "declined"}),
            &Value::Null,
        ],
        "{line}"
    );
}

#[test]
fn serve_asks_a_2026_client_with_input_required_over_http_and_stdio() {
    let (_server, url) = start_serve(&["--ask", "demo.create_issue"]);
    let out = ask("auto", &["http", &url]);
    assert_only_the_approved_call_was_made(&out, "2026-07-28 over HTTP");
    let out = ask(
        "auto",
        &[
            "stdio",
            codemode_path(),
            "serve",
            "--ask",
            "demo.create_issue",
        ],
    );
    assert_only_the_approved_call_was_made(&out, "2026-07-28 over stdio");
}

#[test]
fn a_client_without_elicitation_is_refused_never_silently_called() {
    // --ask-destructive asks about the creation (not annotated read-only),
    // not about the listing.
    let program = r#"
let refused = "";
try {
  await demo.create_issue({ project: "CORE", title: "never made" });
} catch (e) {
  refused = e.message;
}
const all = await demo.list_issues({ project: "CORE" });
return { refused, made: all.issues.some((i) => i.title === "never made") };
"#;
    let out = crate::serve::python_client(
        &["stdio", codemode_path(), "serve", "--ask-destructive"],
        json!([{"name": "execute", "arguments": {"code": program}}]),
    );
    let result = &out["results"][0]["structuredContent"]["result"];
    assert_eq!(result["made"], false, "{out}");
    assert!(
        result["refused"].as_str().unwrap().starts_with(
            "demo.create_issue was not approved: the MCP client does not support elicitation"
        ),
        "{out}"
    );
}

#[test]
fn tools_that_need_approval_are_not_exposed_for_direct_calls() {
    let out = crate::serve::python_client(
        &[
            "stdio",
            codemode_path(),
            "serve",
            "--expose-tools",
            "--ask",
            "demo.create_*",
        ],
        json!([]),
    );
    let names: Vec<&str> = out["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"list_issues"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("create_")),
        "only execute, which asks, may reach them: {names:?}"
    );
}
