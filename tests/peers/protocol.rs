//! MCP as spoken in 2026, with the official Python SDK's client in front of
//! `serve`.

use serde_json::Value;

use crate::common::*;

#[test]
fn exposed_tools_sit_beside_execute_prefixed_when_several_servers_and_policy_applies() {
    let cache = tempfile::tempdir().unwrap();
    let config = cache.path().join("servers.json");
    let fixture = conformance_fixture();
    let servers = serde_json::json!({"mcpServers": {
        "demo": {"command": codemode_path(), "args": ["demo-server"]},
        "fixture": {"command": fixture, "args": ["--era", "modern"], "deny": ["test_error_handling"]}
    }});
    std::fs::write(&config, servers.to_string()).unwrap();
    let config = config.to_string_lossy();
    let serve = [
        "stdio",
        codemode_path(),
        "serve",
        "--expose-tools",
        "--config",
        &config,
    ];
    // The Python client inherits XDG_CACHE_HOME from the test run: the
    // fixture's era is probed either way.
    let seen = crate::serve::python_client(
        &serve,
        serde_json::json!([
            {"name": "fixture__test_simple_text", "arguments": {}},
            {"name": "demo__list_projects", "arguments": {}},
            {"name": "execute", "arguments": {"code": "return await fixture.test_simple_text({})"}}
        ]),
    );
    let names: Vec<&str> = seen["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "execute");
    assert!(names.contains(&"fixture__test_simple_text"), "{names:?}");
    assert!(names.contains(&"demo__list_projects"), "{names:?}");
    // Denied by the fixture's policy: neither listed nor callable.
    assert!(
        !names.contains(&"fixture__test_error_handling"),
        "{names:?}"
    );
    let results = &seen["results"];
    assert_eq!(results[0]["text"], SIMPLE_TEXT_RESULT, "{results}");
    assert_eq!(results[0]["isError"], false);
    assert!(
        results[1]["text"].as_str().unwrap().contains("\"key\""),
        "the demo's projects: {results}"
    );
    assert_eq!(
        results[2]["structuredContent"]["result"],
        SIMPLE_TEXT_RESULT
    );
}

/// The official Python SDK as a legacy-session client that answers requests
/// for a human (see `tests/python/ask_client.py`), with `calls` to make.
fn ask_with_python(target: &[&str], calls: Value) -> Value {
    let plan = serde_json::json!({"calls": calls}).to_string();
    let output = python_script("ask_client.py", target, plan.as_bytes());
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn an_upstreams_requests_for_a_human_reach_serves_client_and_its_answers_return() {
    let fixture = conformance_fixture();
    let program = r#"
        const first = await conformance_fixture.test_elicitation({ message: "Pick a number" });
        const second = await conformance_fixture.test_elicitation({ message: "Again?" });
        return [first, second];
    "#;
    let calls = serde_json::json!([
        {"name": "execute", "arguments": {"code": program}},
        {"name": "test_sampling", "arguments": {"prompt": "Capital of France?"}},
        {"name": "test_tool_with_logging", "arguments": {}},
    ]);
    let (_serve, url) = start_serve(&["--expose-tools", "--", &fixture, "--era", "legacy"]);
    let serve_stdio = [
        "stdio",
        codemode_path(),
        "serve",
        "--expose-tools",
        "--",
        &fixture,
        "--era",
        "legacy",
    ];
    for target in [&["http", url.as_str()][..], &serve_stdio[..]] {
        let seen = ask_with_python(target, calls.clone());
        let results = &seen["results"];
        let answers: Value = serde_json::from_str(results[0].as_str().unwrap()).unwrap();
        assert_eq!(
            answers,
            serde_json::json!([
                "User response: action=accept, content={\"response\":\"42\"}",
                "User response: action=decline, content={}"
            ]),
            "{seen}"
        );
        assert_eq!(results[1], "LLM response: Paris", "{seen}");
        assert_eq!(
            seen["asked"],
            serde_json::json!([
                {"elicitation": "The conformance-fixture server asks: Pick a number"},
                {"elicitation": "The conformance-fixture server asks: Again?"},
                {"sampling": "Capital of France?"}
            ])
        );
        let logged: Vec<&str> = seen["logs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["data"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            logged,
            [
                "Tool execution started",
                "Tool processing data",
                "Tool execution completed"
            ],
            "{seen}"
        );
        assert_eq!(seen["logs"][0]["logger"], STDIO_NAME);
    }
}
