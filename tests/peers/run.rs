//! `codemode run` against real third-party servers (server-everything,
//! server-memory).

use serde_json::json;

use crate::common::*;

#[test]
fn everything_tools_return_their_results() {
    let server = npm_bin("mcp-server-everything");
    let program = r#"
        const sum = await everything.get_sum({ a: 2, b: 40 });
        const echo = await everything["echo"]({ message: "héllo" });
        const weather = await everything.get_structured_content({ location: "Chicago" });
        return { sum, echo, weatherKeys: Object.keys(weather).sort(), tempIsNumber: typeof weather.temperature === "number" };
    "#;
    let value = result(program, &["--", &server, "stdio"]);
    assert_eq!(
        value,
        json!({
            "sum": "The sum of 2 and 40 is 42.",
            "echo": "Echo: héllo",
            "weatherKeys": ["conditions", "humidity", "temperature"],
            "tempIsNumber": true
        })
    );
}

#[test]
fn everything_is_error_results_are_thrown_and_recorded() {
    let server = npm_bin("mcp-server-everything");
    // The server fetches the URL it is given; nothing can listen on port 0,
    // so the tool fails.
    let program = "try { await everything.gzip_file_as_resource({ name: 'x.gz', data: 'http://127.0.0.1:0/none' }); return 'no error'; }\n\
         catch (e) { return [e instanceof Error, e.message]; }";
    let (report, ok) = run_program(program, &["--", &server, "stdio"]);
    assert!(ok, "{report:#}");
    assert_eq!(
        report["result"],
        json!([true, "everything.gzip_file_as_resource: fetch failed"])
    );
    assert_eq!(
        report["calls"],
        json!([{
            "server": "everything", "tool": "gzip-file-as-resource", "ms": report["calls"][0]["ms"], "ok": false,
            "error": "everything.gzip_file_as_resource: fetch failed"
        }])
    );
}

#[test]
fn memory_server_builds_and_queries_a_graph() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("memory.json");
    let text = json!({"mcpServers": {"memory": {
        "command": npm_bin("mcp-server-memory"),
        "env": {"MEMORY_FILE_PATH": dir.path().join("graph.jsonl").to_str().unwrap()}
    }}});
    std::fs::write(&config, text.to_string()).unwrap();
    let program = std::fs::read_to_string(repo().join("examples/memory-graph.ts")).unwrap();
    let (report, ok) = run_program(&program, &["--config", config.to_str().unwrap()]);
    assert!(ok, "{report:#}");
    assert_eq!(
        report["result"],
        json!({
            "engineers": ["Ada", "Grace"],
            "likesRust": ["Ada"],
            "fans": {"Rust": 1, "TypeScript": 2}
        })
    );
    let tools: Vec<&str> = report["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tool"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        [
            "create_entities",
            "create_relations",
            "search_nodes",
            "open_nodes"
        ]
    );
    // The graph really was written by the server.
    let saved = std::fs::read_to_string(dir.path().join("graph.jsonl")).unwrap();
    assert_eq!(
        saved.lines().count(),
        5 + 4,
        "5 entities and 4 relations:\n{saved}"
    );
}
