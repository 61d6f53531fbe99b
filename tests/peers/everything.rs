//! Against a real third-party server: `@modelcontextprotocol/server-everything`
//! from npm, over stdio, streamable HTTP and legacy SSE.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::*;

fn assert_everything_tools(json: &Value) {
    let names = tool_names(json);
    for expected in [
        "echo",
        "get-sum",
        "get-structured-content",
        "get-tiny-image",
        "trigger-long-running-operation",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    let tools = json["servers"][0]["tools"].as_array().unwrap();
    let find = |name: &str| tools.iter().find(|t| t["name"] == name).unwrap();
    assert_eq!(find("get-sum")["typescript"], "everything.get_sum");
    assert_eq!(find("get-structured-content")["has_output_schema"], true);
    assert_eq!(find("echo")["has_output_schema"], false);
    assert_eq!(find("echo")["annotations"]["readOnlyHint"], true);
}

fn assert_everything_types(types: &str) {
    assert!(
        types.starts_with("declare namespace everything {\n"),
        "{types}"
    );
    assert!(types.contains("\nfunction get_sum(args: {\na: number // First number\nb: number // Second number\n}): Promise<unknown>\n"), "{types}");
    assert!(
        types.contains("\nfunction get_tiny_image(args?: {}): Promise<unknown>\n"),
        "{types}"
    );
    // The output schema becomes the result type.
    assert!(
        types.contains("\nfunction get_structured_content(args: {"),
        "{types}"
    );
    assert!(
        types.contains("}): Promise<{\ntemperature: number // Temperature in celsius\n"),
        "{types}"
    );
}

#[test]
fn stdio_tools_and_types() {
    let server = npm_bin("mcp-server-everything");
    let json = codemode_json(&["tools", "--json", "--", &server, "stdio"]);
    assert_eq!(
        json["servers"][0]["name"], "everything",
        "named after the package"
    );
    assert_everything_tools(&json);
    // `--shapes none`: the declared types, whatever other tests' calls taught.
    assert_everything_types(&codemode_ok(&[
        "types", "--shapes", "none", "--", &server, "stdio",
    ]));
}

#[test]
fn stdio_keeps_fields_the_mcp_library_does_not_know() {
    // server-everything sends `execution` on its tools; rmcp's typed model
    // drops it, the raw tap keeps it.
    let server = npm_bin("mcp-server-everything");
    let raw = codemode_json(&["tools", "--raw", "--", &server, "stdio"]);
    let tools = raw["tools"].as_array().unwrap();
    assert!(tools.iter().all(|t| t.get("execution").is_some()), "{raw}");
}

/// server-everything in `mode` (`streamableHttp`, `sse`) on port 0,
/// and its base URL.
fn start_everything(mode: &str) -> (Background, String) {
    // It listens on port 0 but says "port 0": the port is read from /proc.
    let server = Background::spawn(
        Command::new(npm_bin("mcp-server-everything"))
            .arg(mode)
            .env("PORT", "0")
            .stdout(Stdio::null()),
    );
    let port = listening_port(server.0.id());
    (server, format!("http://127.0.0.1:{port}"))
}

/// server-everything in streamable-HTTP mode, and its endpoint.
fn start_http_server() -> (Background, String) {
    let (server, base) = start_everything("streamableHttp");
    (server, format!("{base}/mcp"))
}

#[test]
fn legacy_sse_by_type_and_by_fallback_from_an_untyped_url() {
    let (_server, base) = start_everything("sse");
    let sse = format!("{base}/sse");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mcp.json");
    let text = serde_json::json!({"mcpServers": {
        "typed": {"type": "sse", "url": sse},
        // No type: streamable HTTP is tried first, then legacy SSE.
        "untyped": {"url": sse},
    }});
    std::fs::write(&config, text.to_string()).unwrap();
    let json = codemode_json(&["tools", "--json", "--config", config.to_str().unwrap()]);
    let servers: Vec<&str> = json["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(servers, ["typed", "untyped"], "{json}");
    assert!(json["failures"].as_array().unwrap().is_empty(), "{json}");
    // Tools are called over the same session: a program sums through it.
    let program = dir.path().join("sum.ts");
    std::fs::write(
        &program,
        "const a = await typed.get_sum({ a: 2, b: 3 });\nconst b = await untyped.echo({ message: 'hi' });\nreturn [a, b];",
    )
    .unwrap();
    let report = codemode_json(&[
        "run",
        program.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(report["ok"], true, "{report}");
    let text = report["result"].to_string();
    assert!(text.contains('5') && text.contains("hi"), "{report}");
    // Not an event stream: the error says what was answered.
    let output = codemode(&["tools", "--url", &format!("{base}/nothing-here")]);
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(
        err.contains("neither as streamable HTTP") && err.contains("not an event stream"),
        "{err}"
    );
}

#[test]
fn streamable_http_tools_and_types() {
    let (_server, url) = start_http_server();
    let json = codemode_json(&[
        "tools",
        "--json",
        "--name",
        "everything",
        "--url",
        &url,
        "--header",
        "X-Test: 1",
    ]);
    assert_everything_tools(&json);
    assert_everything_types(&codemode_ok(&[
        "types",
        "--shapes",
        "none",
        "--name",
        "everything",
        "--url",
        &url,
    ]));
}

#[test]
fn stdio_and_http_alongside_the_demo_in_one_config() {
    let (_server, url) = start_http_server();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mcp.json");
    let text = serde_json::json!({"mcpServers": {
        "ev-stdio": {"command": npm_bin("mcp-server-everything"), "args": ["stdio"]},
        "ev-http": {"url": url, "headers": {"Authorization": "Bearer ${CODEMODE_TEST_TOKEN}"}},
        "tracker": {"command": codemode_path(), "args": ["demo-server"]}
    }});
    std::fs::write(&config, text.to_string()).unwrap();
    let output = Command::new(codemode_path())
        .args([
            "types",
            "--style",
            "compact",
            "--config",
            config.to_str().unwrap(),
        ])
        .env("CODEMODE_TEST_TOKEN", "t0ken")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let types = stdout(&output);
    let namespaces: Vec<&str> = types
        .lines()
        .filter(|l| l.starts_with("declare namespace "))
        .collect();
    assert_eq!(
        namespaces,
        [
            "declare namespace ev_stdio {",
            "declare namespace ev_http {",
            "declare namespace tracker {"
        ]
    );
}

#[test]
fn a_servers_own_time_outs_from_its_config_apply() {
    let dir = tempfile::tempdir().unwrap();
    // Cline's per-call `timeout`, in seconds.
    let config = dir.path().join("cline_mcp_settings.json");
    let text = serde_json::json!({"mcpServers": {
        "everything": {"command": npm_bin("mcp-server-everything"), "args": ["stdio"], "timeout": 1},
    }});
    std::fs::write(&config, text.to_string()).unwrap();
    let program = dir.path().join("slow.ts");
    std::fs::write(
        &program,
        "return await everything.trigger_long_running_operation({ duration: 5, steps: 5 });",
    )
    .unwrap();
    let output = codemode(&[
        "run",
        program.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let message = report["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("did not answer within 1 s, the time-out its server's config sets"),
        "{report}"
    );
    // Codex's start-up time-out, under codemode's own --init-timeout.
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[mcp_servers.sleepy]\ncommand = \"sh\"\nargs = [\"-c\", \"sleep 30\"]\nstartup_timeout_sec = 1\n",
    )
    .unwrap();
    let output = codemode(&[
        "tools",
        "--config",
        config.to_str().unwrap(),
        "--init-timeout",
        "30",
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output)
            .contains("server \"sleepy\" is unavailable: no answer to initialize within 1s"),
        "{}",
        stderr(&output)
    );
}
