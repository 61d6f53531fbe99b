//! Golden renderings of every kind of failure an execution reports: the
//! `execute` result as `serve` sends it (the wire), and `codemode run`'s
//! output (the CLI), byte for byte, from `fixtures/golden/failures/`.
//!
//! Re-record after an intended change with
//! `UPDATE_GOLDEN=1 cargo test --test integration failures::`, and review the diff.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use codemode::engine::executor::{ExecutionFailure, Executor, FailureKind, Report, Settings};
use codemode::files::config::{ServerSpec, Transport};
use codemode::upstream;
use codemode_sandbox::Limits;
use codemode_typegen::Api;
use serde_json::{Value, json};

use crate::common::{Background, codemode_path, repo};

/// One failing program: its name, its code, and the limits it runs under
/// (`codemode run`'s and `serve`'s flags alike).
struct Case {
    name: &'static str,
    code: String,
    flags: &'static [&'static str],
    /// The `timeout_ms` a client passes to `execute`, when it does.
    timeout_ms: Option<u64>,
}

fn cases() -> Vec<Case> {
    let case = |name, code: &str, flags| Case {
        name,
        code: code.to_owned(),
        flags,
        timeout_ms: None,
    };
    vec![
        case("syntax", "const x = ;\nreturn x;", &[]),
        case(
            "unknown_function",
            "return await demo.list_projectz();",
            &[],
        ),
        Case {
            name: "limit_size",
            code: format!("return 1;\n{}", "//".repeat(1100)),
            flags: &["--max-program-kb", "2"],
            timeout_ms: None,
        },
        Case {
            name: "limit_nesting",
            code: format!("return {}1{};", "(".repeat(300), ")".repeat(300)),
            flags: &[],
            timeout_ms: None,
        },
        case(
            "runtime",
            "const n = [1, 2, 3].length;\nthrow new Error(`boom after ${n}`);",
            &[],
        ),
        case("runtime_not_defined", "return 1 + undefinedThing;", &[]),
        case("timeout", "for (;;) {}", &["--timeout-ms", "300"]),
        Case {
            name: "timeout_below_the_ceiling",
            code: "for (;;) {}".to_owned(),
            flags: &["--timeout-ms", "2000"],
            timeout_ms: Some(200),
        },
        case(
            "memory",
            "const keep = [];\nfor (;;) keep.push('x'.repeat(1 << 20) + keep.length);",
            &["--memory-mb", "16"],
        ),
        case(
            "stack",
            "function down(n) { return down(n + 1) + 1; }\nreturn down(0);",
            &[],
        ),
        case("result", "return { big: 10n };", &[]),
    ]
}

/// Calls policy refuses: by a deny pattern, outside an allow list, not
/// read-only, asked about with nobody to ask, not as pinned. The CLI names
/// the flag that refused; `serve` tells the model whose rule it is.
fn policy_cases() -> Vec<Case> {
    let delete = "return await demo.delete_issue({ id: 'CORE-1', confirm: true });";
    let case = |name, code: &str, flags| Case {
        name,
        code: code.to_owned(),
        flags,
        timeout_ms: None,
    };
    vec![
        case("policy_denied", delete, &["--deny", "demo.delete_*"]),
        case("policy_not_allowed", delete, &["--allow", "demo.list_*"]),
        // Named at run time, so refused at the call, and recorded.
        case(
            "policy_read_only",
            "const name = 'delete' + '_issue';\nreturn await demo[name]({ id: 'CORE-1', confirm: true });",
            &["--read-only"],
        ),
        case(
            "policy_ask_refused",
            "return await demo.create_issue({ project: 'CORE', title: 'A title' });",
            &["--ask", "demo.create_issue"],
        ),
        case(
            "policy_unpinned",
            "return await demo.list_projects();",
            &["--pins", "fixtures/pins/nothing.pins.json"],
        ),
    ]
}

fn golden(name: &str) -> PathBuf {
    repo().join("fixtures/golden/failures").join(name)
}

/// Compares `actual` with the golden file `name`, or records it.
fn check(name: &str, actual: &str, stale: &mut Vec<String>) {
    let path = golden(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    if expected != actual {
        stale.push(format!(
            "{name}:\n--- expected\n{expected}\n--- actual\n{actual}"
        ));
    }
}

fn assert_all_current(stale: Vec<String>) {
    assert!(
        stale.is_empty(),
        "renderings differ from fixtures/golden/failures/ (after an intended change, \
         re-record with UPDATE_GOLDEN=1 and review the diff):\n{}",
        stale.join("\n\n")
    );
}

/// `codemode run -`'s output for a case: stdout, then its exit status.
fn run_rendering(case: &Case) -> String {
    let mut child = Command::new(codemode_path())
        .current_dir(repo())
        .args(["run", "-"])
        .args(case.flags)
        .env_remove("CODEMODE_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(case.code.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    format!(
        "{}exit: {}\n",
        String::from_utf8_lossy(&output.stdout),
        output.status.code().unwrap_or(-1)
    )
}

/// `codemode serve` over stdio, one request at a time.
struct Serve {
    _process: Background,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
    id: u64,
}

impl Serve {
    fn start(flags: &[&str]) -> Serve {
        let mut child = Command::new(codemode_path())
            .current_dir(repo())
            .arg("serve")
            .args(flags)
            .env_remove("CODEMODE_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut serve = Serve {
            _process: Background::adopt(child),
            stdin,
            stdout,
            id: 0,
        };
        let init = serve.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "golden", "version": "1"}}),
        );
        assert!(init.get("result").is_some(), "{init}");
        serve.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        serve
    }

    fn send(&mut self, message: &Value) {
        writeln!(self.stdin, "{message}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.id += 1;
        let id = self.id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let mut line = String::new();
            let read = self.stdout.read_line(&mut line).unwrap();
            assert!(read > 0, "codemode serve closed its output (did it crash?)");
            let message: Value = serde_json::from_str(&line).unwrap();
            if message.get("id") == Some(&json!(id)) {
                return message;
            }
        }
    }
}

/// The `execute` result `serve` sends for a case, as JSON text.
fn serve_rendering(case: &Case) -> String {
    let mut serve = Serve::start(case.flags);
    let mut arguments = json!({"code": case.code});
    if let Some(ms) = case.timeout_ms {
        arguments["timeout_ms"] = json!(ms);
    }
    let response = serve.request(
        "tools/call",
        json!({"name": "execute", "arguments": arguments}),
    );
    let result = &response["result"];
    assert_eq!(result["isError"], true, "{response}");
    format!("{}\n", serde_json::to_string_pretty(result).unwrap())
}

#[test]
fn each_failure_renders_as_recorded_on_the_wire_and_on_the_command_line() {
    let mut stale = Vec::new();
    for case in cases() {
        check(
            &format!("{}.run.txt", case.name),
            &run_rendering(&case),
            &mut stale,
        );
        check(
            &format!("{}.serve.json", case.name),
            &serve_rendering(&case),
            &mut stale,
        );
    }
    assert_all_current(stale);
}

#[test]
fn policy_refusals_render_as_recorded_and_name_no_flag_to_the_model() {
    let mut stale = Vec::new();
    for case in policy_cases() {
        check(
            &format!("{}.run.txt", case.name),
            &run_rendering(&case),
            &mut stale,
        );
        let served = serve_rendering(&case);
        // All the model reads: the text, the report's calls and their policy.
        assert!(
            !served.contains("--") && !served.contains('`'),
            "{}: serve names a flag or command to the model:\n{served}",
            case.name
        );
        check(&format!("{}.serve.json", case.name), &served, &mut stale);
    }
    assert_all_current(stale);
}

/// The question `serve` has a client put to its user before a call policy
/// asks about says why in words, not by the flag that asked.
#[test]
fn the_approval_question_serve_sends_names_no_flag() {
    use crate::raw::{first_message, http, port_of};
    let (_server, url) = crate::common::start_serve(&["--ask", "demo.create_issue"]);
    let code = "return await demo.create_issue({ project: \"CORE\", title: \"A title\" });";
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "execute", "arguments": {"code": code},
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}}}}});
    let head = "POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: execute";
    let (status, _, body) = http(port_of(&url), head, &body.to_string());
    assert_eq!(status, 200, "{body}");
    let asked = first_message(&body);
    let question = asked["result"]["inputRequests"]["approval"]["params"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no question: {asked}"));
    assert!(
        question.starts_with(
            "Allow the demo server's tool create_issue to be called? (matched by the operator's rule demo.create_issue)\n"
        ),
        "{question}"
    );
    assert!(!question.contains("--"), "{question}");
}

/// The kinds no program can cause at will: a cancelled execution, and a
/// report without an outcome.
#[tokio::test]
async fn cancelled_and_internal_reports_render_as_recorded() {
    let specs = vec![ServerSpec::new("demo", Transport::Demo)];
    let demo = Some(codemode::demo::serve_in_process as upstream::ServeInProcess);
    let upstreams = upstream::connect_all(specs, Duration::from_secs(30), demo).await;
    let executor = Executor::new(
        Api::new(upstreams.tool_lists()),
        upstreams.peers(),
        Settings::default(),
    );
    let cancelled = executor
        .execute_until("for (;;) {}", Limits::default(), std::future::ready(()))
        .await;
    let internal = Report {
        outcome: Some(Err(ExecutionFailure::new(
            FailureKind::Internal,
            "the sandbox broke: a test said so",
            None,
            None,
        ))),
        ..Report::default()
    };
    let mut stale = Vec::new();
    for (name, report) in [
        ("cancelled", &cancelled),
        ("internal", &internal),
        ("internal_no_outcome", &Report::default()),
    ] {
        let wire = serde_json::to_value(codemode::server::report_result(report)).unwrap();
        let text = serde_json::to_string_pretty(&wire).unwrap();
        check(
            &format!("{name}.serve.json"),
            &format!("{text}\n"),
            &mut stale,
        );
    }
    upstreams.shutdown().await;
    assert_all_current(stale);
}

/// A new kind of failure gets a golden rendering too.
#[test]
fn every_kind_of_failure_has_a_golden_rendering() {
    let mut kinds = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(golden("")).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".serve.json") {
            let wire: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            kinds.insert(
                wire["structuredContent"]["error"]["kind"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    let all: std::collections::BTreeSet<String> = FailureKind::ALL
        .iter()
        .map(|kind| kind.to_string())
        .collect();
    assert_eq!(kinds, all);
}

/// A command that fails: its stderr (the error, its causes and hints) and
/// exit status, as `main` renders them.
#[test]
fn command_errors_render_as_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\n").unwrap();
    let missing = dir.path().join("missing.ts");
    let cases: [(&str, Vec<&str>); 3] = [
        ("missing_program", vec!["run", missing.to_str().unwrap()]),
        (
            "broken_config",
            vec!["tools", "--config", broken.to_str().unwrap()],
        ),
        ("bad_pattern", vec!["run", "-", "--deny", "["]),
    ];
    let mut stale = Vec::new();
    for (name, args) in cases {
        let output = crate::common::codemode(&args);
        let dir = dir.path().display().to_string();
        let text = format!(
            "{}exit: {}\n",
            String::from_utf8_lossy(&output.stderr).replace(&dir, "DIR"),
            output.status.code().unwrap_or(-1)
        );
        check(&format!("{name}.stderr.txt"), &text, &mut stale);
    }
    assert_all_current(stale);
}

/// Errors whose lower layer says what would help, structurally, and the CLI
/// words it as a `hint:` line naming its flag or command.
#[test]
fn hinted_command_errors_render_as_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let time = repo().join("fixtures/catalogs/time.json");
    let time = time.to_str().unwrap();
    let prompted = dir.path().join("prompted.json");
    std::fs::write(
        &prompted,
        r#"{"mcpServers": {"search": {"command": "search-mcp", "env": {"KEY": "${input:api-key}"}}}}"#,
    )
    .unwrap();
    let prompted = prompted.to_str().unwrap();
    let absent = dir.path().join("absent.json");
    let own = dir.path().join("servers.json");
    let url = "http://127.0.0.1:1/mcp";
    let cases: [(&str, Vec<&str>); 7] = [
        (
            "bad_header",
            vec!["tools", "--url", url, "--header", "nonsense"],
        ),
        ("bad_input", vec!["tools", "--input", "=value"]),
        (
            "duplicate_name",
            vec!["tools", "--tools-file", time, "--tools-file", time],
        ),
        ("unknown_server", vec!["types", "--server", "nope"]),
        (
            "slow_server",
            vec![
                "tools",
                "--init-timeout",
                "0.5",
                "--name",
                "slow",
                "--",
                "sleep",
                "20",
            ],
        ),
        ("unanswered_input", vec!["tools", "--config", prompted]),
        (
            "no_client_config",
            vec![
                "connect",
                "cursor",
                "--dry-run",
                "--file",
                absent.to_str().unwrap(),
                "--config",
                own.to_str().unwrap(),
            ],
        ),
    ];
    let mut stale = Vec::new();
    for (name, args) in cases {
        let output = Command::new(codemode_path())
            .args(&args)
            .env_remove("CODEMODE_LOG")
            .env_remove("CODEMODE_INPUT_API_KEY")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let dir = dir.path().display().to_string();
        let text = format!(
            "{}exit: {}\n",
            String::from_utf8_lossy(&output.stderr).replace(&dir, "DIR"),
            output.status.code().unwrap_or(-1)
        );
        check(&format!("{name}.stderr.txt"), &text, &mut stale);
    }
    assert_all_current(stale);
}
