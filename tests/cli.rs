//! The CLI over the demo upstream, config files and tools files.

use std::fs;

use serde_json::{Value, json};

use crate::common::*;

const DEMO_TOOLS: [&str; 12] = [
    "list_projects",
    "list_users",
    "list_issues",
    "get_issue",
    "search_issues",
    "create_issue",
    "update_issue",
    "assign_issue",
    "add_comment",
    "close_issue",
    "project_stats",
    "delete_issue",
];

#[test]
fn without_servers_the_demo_is_used_with_a_note() {
    let output = codemode(&["tools", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("using the built-in demo"),
        "{}",
        stderr(&output)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(tool_names(&json), DEMO_TOOLS);
    let get_issue = &json["servers"][0]["tools"][3];
    assert_eq!(get_issue["typescript"], "demo.get_issue");
    assert_eq!(get_issue["annotations"]["readOnlyHint"], true);
    assert_eq!(get_issue["has_output_schema"], true);
    assert_eq!(json["servers"][0]["tools"][11]["has_output_schema"], false);
}

#[test]
fn demo_server_over_stdio_lists_every_page() {
    // The demo pages its tools five at a time, so this follows nextCursor twice.
    let json = codemode_json(&[
        "tools",
        "--json",
        "--name",
        "tracker",
        "--",
        codemode_path(),
        "demo-server",
    ]);
    assert_eq!(json["servers"][0]["name"], "tracker");
    assert_eq!(tool_names(&json), DEMO_TOOLS);
    // In-process and over stdio, the model sees the same API (the declared
    // one: other tests' calls may be teaching result types meanwhile).
    let in_process = codemode_ok(&["types", "--shapes", "none"]);
    let over_stdio = codemode_ok(&[
        "types",
        "--shapes",
        "none",
        "--name",
        "demo",
        "--",
        codemode_path(),
        "demo-server",
    ]);
    assert_eq!(in_process, over_stdio);
}

#[test]
fn demo_types_show_the_recursive_comment_alias_and_typed_results() {
    let types = codemode_ok(&["types"]);
    assert!(types.starts_with("declare namespace demo {\n"), "{types}");
    assert!(types.contains("\ntype Comment = {\n"), "{types}");
    assert!(types.contains("\nreplies: Comment[]"), "{types}");
    assert!(types.contains("function add_comment(args: {"), "{types}");
    assert!(types.contains("}): Promise<Comment>\n"), "{types}");
    assert!(
        types.contains("function list_projects(args?: {}): Promise<{"),
        "{types}"
    );
    assert!(
        types.contains("\nlimit?: number // @default 20 @minimum 1 @maximum 50\n"),
        "{types}"
    );
    let compact = codemode_ok(&["types", "--style", "compact"]);
    assert!(compact.len() * 10 < types.len() * 9, "compact is smaller");
    let create_issue = compact
        .lines()
        .find(|l| {
            l.starts_with(
                "function create_issue(args: { project: string; title: string /* >=3 <=120 chars */;",
            )
        })
        .unwrap_or_else(|| panic!("{compact}"));
    // No property prose, but the bounds a call must keep.
    assert!(
        compact.contains("; limit?: number /* >=1 <=50 */; offset?: number /* >=0 */ })"),
        "{compact}"
    );
    assert!(
        create_issue.ends_with("// Create an issue in a project."),
        "{create_issue}"
    );
}

#[test]
fn tools_table_lists_hints_and_typed_outputs() {
    let table = codemode_ok(&["tools"]);
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("SERVER") && header.contains("TYPESCRIPT") && header.contains("HINTS"),
        "{table}"
    );
    let update = table
        .lines()
        .find(|l| l.contains(" update_issue "))
        .expect("update_issue row");
    assert!(
        update.contains("demo.update_issue") && update.contains("destructive,idempotent"),
        "{update}"
    );
    assert!(update.ends_with("typed"), "{update}");
}

#[test]
fn tools_files_are_named_after_the_file_and_need_no_network() {
    let time = fixture("catalogs/time.json");
    let memory = fixture("catalogs/memory.json");
    let json = codemode_json(&[
        "tools",
        "--json",
        "--tools-file",
        time.to_str().unwrap(),
        "--tools-file",
        memory.to_str().unwrap(),
    ]);
    let servers: Vec<&str> = json["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(servers, ["time", "memory"]);
    assert_eq!(
        json["servers"][0]["tools"][0]["typescript"],
        "time.get_current_time"
    );
    let types = codemode_ok(&[
        "types",
        "--tools-file",
        time.to_str().unwrap(),
        "--server",
        "time",
    ]);
    assert!(types.starts_with("declare namespace time {"), "{types}");
}

#[test]
fn raw_prints_the_definitions_unchanged() {
    let path = fixture("catalogs/github.json");
    let raw = codemode_json(&["tools", "--raw", "--tools-file", path.to_str().unwrap()]);
    let original: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(raw, original);
}

#[test]
fn raw_with_several_servers_asks_which() {
    let path = fixture("catalogs/time.json");
    let output = codemode(&[
        "tools",
        "--raw",
        "--tools-file",
        path.to_str().unwrap(),
        "--",
        codemode_path(),
        "demo-server",
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("--raw prints one server; choose it with --server (demo, time)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unknown_server_filter_lists_the_servers() {
    let output = codemode(&["types", "--server", "nope"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output)
            .contains("cannot use server \"nope\": no server has that name (there are: demo)"),
        "{}",
        stderr(&output)
    );
}

fn write_config(dir: &tempfile::TempDir, config: &Value) -> String {
    let path = dir.path().join("mcp.json");
    fs::write(&path, serde_json::to_string_pretty(config).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn config_with_one_broken_server_still_serves_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        &dir,
        &json!({"mcpServers": {
            "tracker": {"command": codemode_path(), "args": ["demo-server"], "futureKey": {"ignored": true}},
            "broken": {"command": "/nonexistent/mcp-server"},
            "crashes": {"command": "sh", "args": ["-c", "echo 'cannot find API key' >&2; exit 3"]},
            "off": {"command": "/nonexistent/too", "disabled": true}
        }}),
    );
    let output = codemode(&["tools", "--json", "--config", &config]);
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("server \"broken\" is unavailable: could not start `/nonexistent/mcp-server`"),
        "{err}"
    );
    assert!(
        err.contains("server \"crashes\" is unavailable") && err.contains("cannot find API key"),
        "{err}"
    );
    assert!(
        !err.contains("\"off\""),
        "disabled servers are not started: {err}"
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["servers"].as_array().unwrap().len(), 1);
    assert_eq!(json["servers"][0]["name"], "tracker");
    let failed: Vec<&str> = json["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["server"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["broken", "crashes"]);
}

#[test]
fn server_starts_only_the_named_servers_and_a_bad_entry_stops_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    let config = write_config(
        &dir,
        &json!({"mcpServers": {
            "tracker": {"command": codemode_path(), "args": ["demo-server"]},
            // Would leave a mark if it were ever started.
            "other": {"command": "sh", "args": ["-c", format!("touch {}; exec {} demo-server", started.display(), codemode_path())]},
            "keyless": {"command": codemode_path(), "args": ["demo-server"], "env": {"KEY": "${CODEMODE_TEST_UNSET_KEY}"}},
        }}),
    );
    let program = dir.path().join("one.ts");
    fs::write(&program, "return 1;").unwrap();
    let program = program.to_string_lossy();
    let output = codemode(&[
        "run", &program, "--config", &config, "--server", "tracker", "--server", "keyless",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!started.exists(), "a server not selected was started");
    let err = stderr(&output);
    assert!(
        err.contains("server \"keyless\" is unavailable")
            && err.contains("uses ${CODEMODE_TEST_UNSET_KEY} but the environment variable CODEMODE_TEST_UNSET_KEY is not set"),
        "{err}"
    );
    // Without --server every server starts.
    let output = codemode(&["tools", "--config", &config]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        started.exists(),
        "the other server starts when not left out"
    );
    let output = codemode(&["tools", "--config", &config, "--server", "trackr"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("cannot use server \"trackr\": no server has that name (there are: tracker, other, keyless); did you mean tracker?"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn config_env_and_cwd_reach_the_child() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("work")).unwrap();
    // The server starts only if its environment and working directory are as configured.
    let script = format!(
        "[ \"$GREETING\" = hello-from-test ] && [ -d ../work ] && [ \"$(basename \"$PWD\")\" = work ] && exec {} demo-server",
        codemode_path()
    );
    let config = write_config(
        &dir,
        &json!({"mcpServers": {
            "tracker": {"command": "sh", "args": ["-c", script], "env": {"GREETING": "${CODEMODE_TEST_GREETING}"}, "cwd": "work"}
        }}),
    );
    let output = std::process::Command::new(codemode_path())
        .args(["tools", "--json", "--config", &config])
        .env("CODEMODE_TEST_GREETING", "hello-from-test")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(tool_names(&json).len(), 12);
}

#[test]
fn every_server_failing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        &dir,
        &json!({"mcpServers": {"a": {"command": "/nonexistent/a"}, "b": {"url": "http://127.0.0.1:1/mcp"}}}),
    );
    let output = codemode(&["tools", "--config", &config, "--init-timeout", "5"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("error: none of the 2 server(s) could be used"),
        "{err}"
    );
    assert!(
        err.contains(
            "server \"b\" is unavailable: MCP initialization with http://127.0.0.1:1/mcp failed"
        ),
        "{err}"
    );
    assert!(stdout(&output).is_empty());
}

#[test]
fn slow_servers_time_out_with_a_hint() {
    let output = codemode(&[
        "tools",
        "--init-timeout",
        "0.5",
        "--name",
        "slow",
        "--",
        "sleep",
        "20",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("server \"slow\" is unavailable: no answer to initialize within 0.5s"),
        "{err}"
    );
    assert!(err.contains("\nhint: raise --init-timeout"), "{err}");
    // `--json` keeps the hint beside the error.
    let time = fixture("catalogs/time.json");
    let output = codemode(&[
        "tools",
        "--json",
        "--init-timeout",
        "0.5",
        "--tools-file",
        time.to_str().unwrap(),
        "--name",
        "slow",
        "--",
        "sleep",
        "20",
    ]);
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let hint = json["failures"][0]["hint"].as_str().unwrap_or_default();
    assert!(hint.starts_with("raise --init-timeout"), "{json}");
}

#[test]
fn garbage_on_stdout_is_reported_not_fatal() {
    let output = codemode(&[
        "tools",
        "--init-timeout",
        "5",
        "--name",
        "noisy",
        "--",
        "sh",
        "-c",
        "echo 'hello, I am not JSON-RPC'; exit 0",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output)
            .contains("server \"noisy\" is unavailable: MCP initialization with `sh` failed"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_server_printing_a_banner_on_stdout_is_reported_with_it() {
    let output = codemode(&[
        "tools",
        "--init-timeout",
        "2",
        "--name",
        "noisy",
        "--",
        "sh",
        "-c",
        "echo 'Weather server v1.2 listening on stdio'; sleep 30",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("server \"noisy\" is unavailable: no answer to initialize within 2s")
            && err.contains("wrote this to stdout, where only MCP messages may go")
            && err.contains("Weather server v1.2 listening on stdio"),
        "{err}"
    );
}

#[test]
fn malformed_config_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mcp.json");
    fs::write(
        &path,
        "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\" \"args\": []}\n  }\n}\n",
    )
    .unwrap();
    let output = codemode(&["tools", "--config", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let expected = format!("error: {}:3:25: Expected comma", path.display());
    assert!(
        stderr(&output).starts_with(&expected),
        "{}",
        stderr(&output)
    );
}

#[test]
fn missing_environment_variable_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        &dir,
        &json!({"mcpServers": {"gh": {"url": "https://example.invalid/mcp", "headers": {"Authorization": "Bearer ${CODEMODE_TEST_UNSET_TOKEN}"}}}}),
    );
    let output = codemode(&["tools", "--config", &config]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("server \"gh\" is unavailable: ")
            && err.contains("mcp.json: uses ${CODEMODE_TEST_UNSET_TOKEN}"),
        "{err}"
    );
    assert!(
        err.contains("CODEMODE_TEST_UNSET_TOKEN is not set"),
        "{err}"
    );
}

#[test]
fn config_with_every_server_disabled_does_not_fall_back_to_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        &dir,
        &json!({"mcpServers": {"a": {"command": "x", "disabled": true}}}),
    );
    let output = codemode(&["tools", "--config", &config]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("enables no servers"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn malformed_tools_file_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    fs::write(
        &path,
        "{\"tools\": [\n  {\"name\": \"a\"}\n  {\"name\": \"b\"}\n]}",
    )
    .unwrap();
    let output = codemode(&["types", "--tools-file", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let expected = format!(
        "server \"broken\" is unavailable: {}:3:3: expected `,` or `]`",
        path.display()
    );
    assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
}

#[test]
fn duplicate_server_names_are_refused() {
    let time = fixture("catalogs/time.json");
    let output = codemode(&[
        "tools",
        "--tools-file",
        time.to_str().unwrap(),
        "--tools-file",
        time.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("two servers are named \"time\""),
        "{}",
        stderr(&output)
    );
}

#[test]
fn help_explains_server_selection() {
    let help = codemode_ok(&["types", "--help"]);
    for needle in [
        "--config <FILE>",
        "--tools-file <FILE>",
        "--url <URL>",
        "[CMD]...",
        "--style <STYLE>",
        "--init-timeout",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}

#[test]
fn connect_and_disconnect_round_trip_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mcp.json");
    let original = serde_json::to_string_pretty(&json!({"mcpServers": {
        "tracker": {"command": codemode_path(), "args": ["demo-server"]}
    }}))
    .unwrap();
    fs::write(&file, &original).unwrap();
    let config = dir.path().join("servers.json");
    let (file_arg, config_arg) = (file.to_str().unwrap(), config.to_str().unwrap());
    let dry = codemode(&[
        "connect",
        "cursor",
        "--file",
        file_arg,
        "--config",
        config_arg,
        "--dry-run",
    ]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let shown = stdout(&dry);
    assert!(
        shown.contains("-    \"tracker\": {") && shown.contains("+    \"codemode\": {"),
        "{shown}"
    );
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        original,
        "a dry run writes nothing"
    );
    let done = codemode(&[
        "connect", "cursor", "--file", file_arg, "--config", config_arg,
    ]);
    assert!(done.status.success(), "{}", stderr(&done));
    // The client's one server is codemode, serving the moved server's tools.
    let connected: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    let entry = &connected["mcpServers"]["codemode"];
    let args: Vec<&str> = entry["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args, ["serve", "--config", config_arg]);
    let json = codemode_json(&["tools", "--json", "--config", config_arg]);
    assert_eq!(json["servers"][0]["name"], "tracker");
    let again = codemode(&[
        "connect", "cursor", "--file", file_arg, "--config", config_arg,
    ]);
    assert!(
        stderr(&again).contains("is connected already"),
        "{}",
        stderr(&again)
    );
    let undone = codemode(&["disconnect", "cursor", "--file", file_arg]);
    assert!(undone.status.success(), "{}", stderr(&undone));
    assert_eq!(fs::read_to_string(&file).unwrap(), original);
}

/// `codemode connect` run as `path` finds programs: PATH is `path` alone.
fn connect_with_path(path: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(codemode_path())
        .arg("connect")
        .args(args)
        .env("PATH", path)
        .env_remove("CODEMODE_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the codemode binary runs")
}

#[test]
fn connect_starts_an_installed_codemode_and_hands_on_what_vs_code_asks_for() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("servers.json");
    let config_arg = config.to_str().unwrap();
    let nothing = dir.path().join("empty");
    fs::create_dir(&nothing).unwrap();

    // Cursor first, run from this cargo build with nothing installed: the
    // entry starts this build, and the user is told why that is fragile.
    let cursor = dir.path().join("cursor.json");
    fs::write(
        &cursor,
        json!({"mcpServers": {"tracker": {"command": codemode_path(), "args": ["demo-server"]}}})
            .to_string(),
    )
    .unwrap();
    let done = connect_with_path(
        &nothing,
        &[
            "cursor",
            "--file",
            cursor.to_str().unwrap(),
            "--config",
            config_arg,
        ],
    );
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(
        stderr(&done).contains("cargo install --locked --path ."),
        "{}",
        stderr(&done)
    );
    let written: Value = serde_json::from_str(&fs::read_to_string(&cursor).unwrap()).unwrap();
    assert_eq!(
        written["mcpServers"]["codemode"]["command"],
        codemode_path()
    );

    // VS Code next, with the same server spelled its way and one that asks
    // for a key: the same server is no conflict, the key is handed on, and
    // an installed codemode on PATH is the one started.
    let bin = dir.path().join("bin");
    fs::create_dir(&bin).unwrap();
    let installed = bin.join("codemode");
    std::os::unix::fs::symlink(codemode_path(), &installed).unwrap();
    let vscode = dir.path().join("mcp.json");
    fs::write(
        &vscode,
        json!({
            "inputs": [{"id": "api-key", "type": "promptString", "password": true}],
            "servers": {
                "tracker": {"type": "stdio", "command": codemode_path(), "args": ["demo-server"]},
                "keyed": {"command": codemode_path(), "args": ["demo-server"],
                          "env": {"KEY": "${input:api-key}", "OTHER": "${input:undeclared}"}}
            }
        })
        .to_string(),
    )
    .unwrap();
    let done = connect_with_path(
        &bin,
        &[
            "vscode",
            "--file",
            vscode.to_str().unwrap(),
            "--config",
            config_arg,
        ],
    );
    assert!(done.status.success(), "{}", stderr(&done));
    let said = stderr(&done);
    assert!(said.contains("the installed codemode"), "{said}");
    assert!(
        said.contains("${input:undeclared}") && said.contains("CODEMODE_INPUT_UNDECLARED"),
        "{said}"
    );
    let written: Value = serde_json::from_str(&fs::read_to_string(&vscode).unwrap()).unwrap();
    let entry = &written["servers"]["codemode"];
    assert_eq!(entry["command"], installed.to_str().unwrap());
    assert_eq!(
        entry["env"],
        json!({"CODEMODE_INPUT_API_KEY": "${input:api-key}"})
    );
    let servers: Value = serde_json::from_str(&fs::read_to_string(&config).unwrap()).unwrap();
    let names: Vec<&String> = servers["mcpServers"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["tracker", "keyed"], "tracker is kept once");

    // The key VS Code asks for reaches the server through codemode.
    let listed = std::process::Command::new(codemode_path())
        .args(["tools", "--json", "--config", config_arg])
        .env("CODEMODE_INPUT_API_KEY", "k")
        .env("CODEMODE_INPUT_UNDECLARED", "u")
        .output()
        .unwrap();
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let started: Vec<&str> = listed["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed["failures"], json!([]), "{listed}");
    assert_eq!(started, ["tracker", "keyed"], "{listed}");

    let undone = codemode(&["disconnect", "vscode", "--file", vscode.to_str().unwrap()]);
    assert!(undone.status.success(), "{}", stderr(&undone));
    let restored: Value = serde_json::from_str(&fs::read_to_string(&vscode).unwrap()).unwrap();
    assert!(restored["servers"].get("codemode").is_none(), "{restored}");
    assert_eq!(
        restored["servers"]["keyed"]["env"]["KEY"],
        "${input:api-key}"
    );
}
