//! `codemode serve` driven by real clients (the official Python SDK, the MCP
//! inspector) in front of real servers (server-everything, server-memory).

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

use crate::common::*;

/// Runs the Python SDK driver against a server: `target` is `["stdio", cmd, args...]` or `["http", url]`.
pub(crate) fn python_client(target: &[&str], calls: Value) -> Value {
    let plan = json!({"calls": calls}).to_string();
    let output = python_script("mcp_client.py", target, plan.as_bytes());
    assert!(
        output.status.success(),
        "the Python client failed:\n{}",
        stderr(&output)
    );
    // Over HTTP the client ends its session with a DELETE, and says when that fails.
    assert!(
        !stderr(&output).contains("Session termination failed"),
        "{}",
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&output)))
}

const BOTH_SERVERS: &str = r#"
const sum = await everything.get_sum({ a: 20, b: 22 });
await memory.create_entities({ entities: [{ name: "codemode", entityType: "tool", observations: [sum] }] });
const found = await memory.search_nodes({ query: "codemode" });
return { sum, entities: found.entities.map((e) => [e.name, e.observations[0]]) };
"#;

/// A config with server-everything and server-memory (its graph in `dir`).
fn everything_and_memory(dir: &tempfile::TempDir) -> PathBuf {
    let config = dir.path().join("mcp.json");
    let text = json!({"mcpServers": {
        "everything": {"command": npm_bin("mcp-server-everything"), "args": ["stdio"]},
        "memory": {"command": npm_bin("mcp-server-memory"), "env": {"MEMORY_FILE_PATH": dir.path().join("graph.jsonl").to_str().unwrap()}}
    }});
    std::fs::write(&config, text.to_string()).unwrap();
    config
}

fn assert_both_servers_result(result: &Value) {
    assert_eq!(result["isError"], false, "{result:#}");
    let expected = json!({"sum": "The sum of 20 and 22 is 42.", "entities": [["codemode", "The sum of 20 and 22 is 42."]]});
    assert_eq!(result["structuredContent"]["result"], expected);
    assert_eq!(
        serde_json::from_str::<Value>(result["text"].as_str().unwrap()).unwrap(),
        expected
    );
    let tools: Vec<&str> = result["structuredContent"]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tool"].as_str().unwrap())
        .collect();
    assert_eq!(tools, ["get-sum", "create_entities", "search_nodes"]);
}

#[test]
fn python_sdk_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let config = everything_and_memory(&dir);
    let out = python_client(
        &[
            "stdio",
            codemode_path(),
            "serve",
            "--disclosure",
            "full",
            "--config",
            config.to_str().unwrap(),
        ],
        json!([
            {"name": "execute", "arguments": {"code": BOTH_SERVERS}},
            {"name": "execute", "arguments": {"code": "const x = 1;\nawait memory.open_nodes({ names: 'codemode' });"}}
        ]),
    );
    let tools = out["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0]["name"], "execute");
    let description = tools[0]["description"].as_str().unwrap();
    assert!(
        description.contains("declare namespace everything {")
            && description.contains("declare namespace memory {")
    );
    assert!(
        description.contains("function get_sum(args: {"),
        "{description}"
    );
    assert_both_servers_result(&out["results"][0]);
    // A mistake comes back as an error the model can act on.
    let error = &out["results"][1];
    assert_eq!(error["isError"], true);
    assert_eq!(
        error["text"],
        "runtime error at line 2: TypeError: memory.open_nodes: invalid arguments: args.names: \"codemode\" is not of type \"array\""
    );
}

#[test]
fn python_sdk_over_streamable_http() {
    let dir = tempfile::tempdir().unwrap();
    let config = everything_and_memory(&dir);
    let (_server, url) = start_serve(&[
        "--disclosure",
        "compact",
        "--config",
        config.to_str().unwrap(),
    ]);
    let out = python_client(
        &["http", &url],
        json!([{"name": "execute", "arguments": {"code": BOTH_SERVERS}}]),
    );
    assert_eq!(out["tools"][0]["name"], "execute");
    assert_both_servers_result(&out["results"][0]);
}

#[test]
fn inspector_cli_lists_and_calls() {
    let inspector = npm_bin_in("inspector", "mcp-inspector");
    let output = Command::new(&inspector)
        .args(["--cli", codemode_path(), "serve", "--method", "tools/list"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let list: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(list["tools"][0]["name"], "execute");
    let output = Command::new(&inspector)
        .args(["--cli", codemode_path(), "serve", "--method", "tools/call", "--tool-name", "execute"])
        .args(["--tool-arg", "code=const p = await demo.list_projects(); return p.projects.map(x => x.key).join('+');"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let call: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(call["isError"], false);
    assert_eq!(call["structuredContent"]["result"], "CORE+WEB+OPS");
}

fn github() -> String {
    fixture("catalogs/github.json")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn search_disclosure_over_the_github_catalog() {
    let out = python_client(
        &["stdio", codemode_path(), "serve", "--tools-file", &github()],
        json!([
            {"name": "search_api", "arguments": {"query": "create a pull request", "limit": 3}},
            {"name": "search_api", "arguments": {"query": "list issues of a repository"}},
            {"name": "get_api", "arguments": {"names": ["github.get_me", "github.nope"]}},
            {"name": "get_api", "arguments": {"names": ["githu"]}}
        ]),
    );
    // GitHub's catalog is far over 4,000 tokens, so `auto` chose search.
    let names: Vec<&str> = out["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["execute", "search_api", "get_api"]);
    let description = out["tools"][0]["description"].as_str().unwrap();
    assert!(
        description.contains("\n\ngithub: actions_get, actions_list, actions_run_trigger, "),
        "{description}"
    );
    assert!(
        !description.contains("declare namespace"),
        "search mode lists names only"
    );

    let pull = out["results"][0]["text"].as_str().unwrap();
    assert!(
        pull.starts_with("Best matches: github.create_pull_request,"),
        "{pull}"
    );
    assert!(
        pull.contains("\nfunction create_pull_request(args: {"),
        "{pull}"
    );
    assert_eq!(pull.matches("\nfunction ").count(), 3, "{pull}");
    let issues = out["results"][1]["text"].as_str().unwrap();
    assert!(
        issues.starts_with("Best matches: github.list_issues"),
        "{issues}"
    );

    let me = out["results"][2]["text"].as_str().unwrap();
    assert!(me.contains("function get_me("), "{me}");
    assert!(
        me.contains("Not found:\ngithub.nope: no function nope in github"),
        "{me}"
    );
    assert_eq!(out["results"][3]["isError"], true);
    assert_eq!(
        out["results"][3]["text"],
        "githu: no namespace githu (did you mean github?)"
    );
}

#[test]
fn full_and_compact_disclosure_put_the_api_in_execute() {
    for (mode, needle) in [
        (
            "full",
            "type Entity = {\nname: string // The name of the entity\n",
        ),
        (
            "compact",
            "function create_entities(args: { entities: Entity[] }): Promise<{ entities: Entity[] }> // Create",
        ),
    ] {
        let memory = fixture("catalogs/memory.json");
        let out = python_client(
            &[
                "stdio",
                codemode_path(),
                "serve",
                "--disclosure",
                mode,
                "--tools-file",
                memory.to_str().unwrap(),
            ],
            json!([]),
        );
        let tools = out["tools"].as_array().unwrap();
        assert_eq!(tools.len(), 1, "{mode}");
        assert!(
            tools[0]["description"].as_str().unwrap().contains(needle),
            "{mode}"
        );
    }
}

#[test]
fn namespaces_disclosure_sums_up_each_server_in_its_own_words() {
    // The demo server's instructions are its summary; a tools file says
    // nothing of itself, so its first functions stand in.
    let memory = fixture("catalogs/memory.json");
    let out = python_client(
        &[
            "stdio",
            codemode_path(),
            "serve",
            "--disclosure",
            "namespaces",
            "--tools-file",
            memory.to_str().unwrap(),
            "--name",
            "demo",
            "--",
            codemode_path(),
            "demo-server",
        ],
        json!([]),
    );
    let description = out["tools"][0]["description"].as_str().unwrap();
    let index: Vec<&str> = description.lines().skip(2).collect();
    assert_eq!(
        index,
        [
            "demo: 12 functions. A demo issue tracker with seeded projects, users and issues.",
            "memory: 9 functions (create_entities, create_relations, add_observations, delete_entities, …)",
        ],
        "{description}"
    );
}

#[test]
fn tool_definitions_are_stable() {
    let list = || {
        python_client(
            &["stdio", codemode_path(), "serve", "--tools-file", &github()],
            json!([]),
        )["tools"]
            .clone()
    };
    assert_eq!(list(), list());
}

#[test]
fn the_trace_file_records_each_execution_and_its_calls() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.jsonl");
    let out = python_client(
        &[
            "stdio",
            codemode_path(),
            "serve",
            "--deny",
            "demo.delete_issue",
            "--trace-file",
            trace.to_str().unwrap(),
        ],
        json!([
            {"name": "execute", "arguments": {"code": "return (await demo.get_issue({ id: 'WEB-2' })).id;"}},
            {"name": "execute", "arguments": {"code": "const n = 'delete_issue';\nreturn await demo[n]({ id: 'WEB-2', confirm: true });"}}
        ]),
    );
    // The protocol on stdout was not disturbed.
    assert_eq!(out["results"][0]["structuredContent"]["result"], "WEB-2");
    let lines: Vec<Value> = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0]["code"],
        "return (await demo.get_issue({ id: 'WEB-2' })).id;"
    );
    assert_eq!(lines[0]["outcome"], json!({"ok": true}));
    let call = &lines[0]["calls"][0];
    assert_eq!(
        (
            call["server"].as_str(),
            call["tool"].as_str(),
            call["ok"].as_bool()
        ),
        (Some("demo"), Some("get_issue"), Some(true))
    );
    assert_eq!(call["policy"], "allowed");
    assert_eq!(call["args_bytes"], json!({"id": "WEB-2"}).to_string().len());
    assert!(call["result_bytes"].as_u64().unwrap() > 100);
    assert!(lines[0]["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(lines[1]["outcome"]["kind"], "runtime");
    assert_eq!(
        lines[1]["calls"][0]["policy"],
        "refused: denied by the operator's rule \"demo.delete_issue\""
    );
}

/// The built-in demo serves what MCP clients check: the Python SDK lists its
/// tools (an output schema must be an object schema) and calls them, directly
/// and through `serve --expose-tools`.
#[test]
fn python_sdk_lists_and_calls_the_demo_directly_and_passed_through() {
    let calls = json!([{"name": "add_comment", "arguments": {"issue_id": "CORE-1", "author": "ada", "body": "hi"}}]);
    for target in [
        vec!["stdio", codemode_path(), "demo-server"],
        vec!["stdio", codemode_path(), "serve", "--expose-tools"],
    ] {
        let out = python_client(&target, calls.clone());
        let tools = out["tools"].as_array().unwrap();
        assert!(
            tools.iter().any(|t| t["name"] == "add_comment"),
            "{target:?}: {out}"
        );
        let result = &out["results"][0];
        assert_ne!(result["isError"], true, "{target:?}: {out}");
    }
}
