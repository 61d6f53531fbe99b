//! `codemode replay`: a recorded execution (`--trace-file` with
//! `--trace-results`, from `run` or `serve`) runs again with every call
//! answered from the recording, and a tampered recording diverges where it
//! was changed.

use serde_json::{Value, json};

use crate::common::*;

/// Four calls, two at once, one of which fails and is caught.
const MANY_CALLS: &str = r#"
const projects = await demo.list_projects();
const [open, users] = await Promise.all([
  demo.list_issues({ project: "CORE", status: "open" }),
  demo.list_users(),
]);
let missing = "";
try { await demo.get_issue({ id: "CORE-999" }); } catch (e) { missing = e.message; }
return { projects: projects.projects.length, open: open.issues.map((i) => i.id), users: users.users.length, missing };
"#;

fn replay(trace: &std::path::Path, extra: &[&str]) -> (Value, bool) {
    let mut args = vec!["replay", trace.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = codemode(&args);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&output), stderr(&output)));
    (report, output.status.success())
}

/// Rewrites line 1 of `trace` into `to` after `change` edits its entry.
fn tampered(trace: &std::path::Path, to: &std::path::Path, change: impl FnOnce(&mut Value)) {
    let text = std::fs::read_to_string(trace).unwrap();
    let mut entry: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    change(&mut entry);
    std::fs::write(to, format!("{entry}\n")).unwrap();
}

fn call<'a>(entry: &'a mut Value, tool: &str) -> &'a mut Value {
    entry["calls"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["tool"] == tool)
        .unwrap()
}

#[test]
fn a_recorded_run_replays_identically_and_tampering_shows_where() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.jsonl");
    let recorded = ["--trace-file", trace.to_str().unwrap(), "--trace-results"];
    let (report, ok) = run_program(MANY_CALLS, &recorded);
    assert!(ok, "{report}");
    assert_eq!(report["result"]["users"], 6);

    let (replayed, identical) = replay(&trace, &[]);
    assert!(identical, "{replayed:#}");
    assert_eq!(replayed["calls"], 4);
    assert_eq!(replayed["outcome"]["result"], report["result"]);

    // An answer changed in the recording changes the result.
    let answer = dir.path().join("answer.jsonl");
    tampered(&trace, &answer, |entry| {
        let users = &mut call(entry, "list_users")["result"]["users"];
        users.as_array_mut().unwrap().truncate(1);
    });
    let (replayed, identical) = replay(&answer, &[]);
    assert!(!identical);
    assert_eq!(
        replayed["divergence"],
        "the outcome differs at .result.users: the recording has 6, the replay 1"
    );

    // Arguments changed in the recording: the program's call no longer matches it.
    let args = dir.path().join("args.jsonl");
    tampered(&trace, &args, |entry| {
        call(entry, "get_issue")["args"] = json!({"id": "CORE-998"});
    });
    let (replayed, identical) = replay(&args, &[]);
    assert!(!identical);
    assert_eq!(
        replayed["divergence"],
        "call 4: the program called demo.get_issue with {\"id\":\"CORE-999\"}; the recording has demo.get_issue with {\"id\":\"CORE-998\"}"
    );

    // A call removed from the recording: the program makes one too many.
    let fewer = dir.path().join("fewer.jsonl");
    tampered(&trace, &fewer, |entry| {
        entry["calls"]
            .as_array_mut()
            .unwrap()
            .retain(|c| c["tool"] != "get_issue");
    });
    let (replayed, _) = replay(&fewer, &[]);
    assert_eq!(
        replayed["divergence"],
        "call 4: the program called demo.get_issue, and the recording has only 3 calls"
    );
}

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
