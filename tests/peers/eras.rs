//! A 2026-07-28 client (the official Python SDK's `ask_client.py`, which
//! answers `input_required` rounds with the callbacks a legacy session's
//! requests get) in front of an upstream of the legacy era, which asks with
//! requests of its own during a call: each question reaches the client as an
//! `input_required` round of its call, and the answer goes back to the
//! upstream, for passthrough calls and for calls made inside `execute`.

use serde_json::{Value, json};

use crate::common::*;

fn ask_2026(target: &[&str], calls: &Value) -> Value {
    let mut args = vec!["--mode", "auto"];
    args.extend_from_slice(target);
    let output = python_script("ask_client.py", &args, calls.to_string().as_bytes());
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn calls() -> Value {
    let program = r#"
        const roots = await fixture.test_input_required_result_list_roots({});
        const reply = await fixture.test_sampling({ prompt: "Again?" });
        return [roots, reply];
    "#;
    json!({"calls": [
        {"name": "test_elicitation", "arguments": {"message": "Which name?"}},
        {"name": "test_sampling", "arguments": {"prompt": "Capital of France?"}},
        {"name": "execute", "arguments": {"code": program}},
    ]})
}

fn assert_answered(out: &Value, how: &str) {
    let results: Vec<&str> = out["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        results[0].contains("accept") && results[0].contains("42"),
        "{how}: {out}"
    );
    assert_eq!(results[1], "LLM response: Paris", "{how}: {out}");
    assert!(
        results[2].contains("Found 1 root(s)") && results[2].contains("LLM response: Paris"),
        "{how}: {out}"
    );
    // Each question was put to the client, the elicitation said to come
    // from the upstream.
    let asked = &out["asked"];
    assert_eq!(
        asked[0]["elicitation"], "The fixture server asks: Which name?",
        "{how}: {out}"
    );
    assert_eq!(asked[1]["sampling"], "Capital of France?", "{how}: {out}");
    assert_eq!(asked[2]["roots"], true, "{how}: {out}");
    assert_eq!(asked[3]["sampling"], "Again?", "{how}: {out}");
}

#[test]
fn a_legacy_upstreams_questions_reach_a_2026_client_over_stdio() {
    let fixture = conformance_fixture();
    let serve = [
        "stdio",
        codemode_path(),
        "serve",
        "--expose-tools",
        "--name",
        "fixture",
        "--",
        &fixture,
        "--era",
        "legacy",
    ];
    assert_answered(&ask_2026(&serve, &calls()), "over stdio");
}

#[test]
fn a_legacy_http_upstreams_questions_reach_a_2026_client_over_http() {
    let (_fixture, upstream) = conformance_fixture_over_http("legacy");
    let (_serve, url) = start_serve(&["--expose-tools", "--url", &upstream, "--name", "fixture"]);
    assert_answered(&ask_2026(&["http", &url], &calls()), "over HTTP");
}
