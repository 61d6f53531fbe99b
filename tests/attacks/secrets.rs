//! Secrets stay private: credentials in an upstream's URL, headers and
//! environment never reach a program, a report, a trace or a log line when
//! the upstream fails; and `codemode login` opens only https: addresses
//! (or http: on this machine), whatever a hostile authorization server
//! advertises.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::RawStdio;
use crate::common::*;

/// The distinctive middle of each secret: whatever encoding a text gives
/// the rest, these letters would show.
const CORES: [&str; 6] = [
    "qzuserqz",
    "qzpwqz",
    "qzqueryqz",
    "qzheaderqz",
    "qzbearerqz",
    "qzenvqz",
];

fn assert_no_secret(what: &str, text: &str) {
    let lower = text.to_lowercase();
    for core in CORES {
        assert!(
            !lower.contains(core),
            "{what} shows the secret {core}:\n{text}"
        );
    }
}

/// One HTTP request as [`serve_http`] hands it to its handler.
struct Request {
    method: String,
    path: String,
    /// The header lines, as sent.
    head: String,
    body: String,
}

/// A status, headers and body; `None` drops the connection unanswered.
type Answer = Option<(u16, Vec<(&'static str, String)>, String)>;

/// A bare HTTP/1.1 server on a free loopback port, one request per
/// connection, answering with `handler`; its port.
fn serve_http(handler: impl Fn(&Request, u16) -> Answer + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handler = handler.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut head = String::new();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let mut words = head.split_whitespace();
                let request = Request {
                    method: words.next().unwrap_or_default().to_owned(),
                    path: words.next().unwrap_or_default().to_owned(),
                    body: String::from_utf8_lossy(&body).into_owned(),
                    head,
                };
                let Some((status, headers, body)) = handler(&request, port) else {
                    return;
                };
                let mut response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (name, value) in headers {
                    response.push_str(&format!("{name}: {value}\r\n"));
                }
                response.push_str("\r\n");
                response.push_str(&body);
                let _ = (&stream).write_all(response.as_bytes());
            });
        }
    });
    port
}

fn json_answer(status: u16, body: Value) -> Answer {
    Some((
        status,
        vec![("content-type", "application/json".to_owned())],
        body.to_string(),
    ))
}

/// An MCP server (legacy lifecycle, JSON answers) with two tools: `echo`,
/// whose calls it never answers (it drops the connection instead), and
/// `check_key`, which refuses with an error quoting the request's headers,
/// as servers that say which key they refused do; `check_key_data` quotes
/// them (and the URL it was called at) in the error's data and
/// `check_key_result` in a result marked `isError`.
fn drops_calls(request: &Request, _port: u16) -> Answer {
    if request.method != "POST" {
        return Some((405, vec![], String::new()));
    }
    let message: Value = serde_json::from_str(&request.body).unwrap_or_default();
    let Some(id) = message.get("id").cloned() else {
        return Some((202, vec![], String::new()));
    };
    let result = match message["method"].as_str().unwrap_or_default() {
        "initialize" => json!({
            "protocolVersion": message["params"]["protocolVersion"],
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "leaky", "version": "1"},
        }),
        "tools/list" => json!({"tools": [
            {"name": "echo", "inputSchema": {"type": "object"}},
            {"name": "check_key", "inputSchema": {"type": "object"}},
            {"name": "check_key_data", "inputSchema": {"type": "object"}},
            {"name": "check_key_result", "inputSchema": {"type": "object"}},
        ]}),
        "tools/call" if message["params"]["name"] == "check_key" => {
            let refused = format!("refused {}", quoted_secrets(request).join(" and "));
            return json_answer(
                200,
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32602, "message": refused}}),
            );
        }
        // The headers in the error's data, beside a plain message.
        "tools/call" if message["params"]["name"] == "check_key_data" => {
            let data = json!({"sent": quoted_secrets(request), "url": format!("http://127.0.0.1{}", request.path)});
            return json_answer(
                200,
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32602, "message": "refused", "data": data}}),
            );
        }
        // The headers in a result that says it is an error.
        "tools/call" if message["params"]["name"] == "check_key_result" => {
            let refused = format!("refused {}", quoted_secrets(request).join(" and "));
            json!({"isError": true, "content": [{"type": "text", "text": refused}]})
        }
        "tools/call" => return None,
        _ => {
            return json_answer(
                200,
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no such method"}}),
            );
        }
    };
    json_answer(200, json!({"jsonrpc": "2.0", "id": id, "result": result}))
}

/// The secret headers of `request`, as its lines.
fn quoted_secrets(request: &Request) -> Vec<&str> {
    request
        .head
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("x-api-key") || l.starts_with("authorization")
        })
        .collect()
}

/// A config whose one server, `leaky`, is at `port` with a user and
/// password, an API key in the query and secret headers.
fn leaky_config(dir: &Path, port: u16) -> String {
    let url = format!(
        "http://QzUserQz:p%40ss-QzPwQz@127.0.0.1:{port}/mcp?api_key=k-QzQueryQz%2B1&page=2"
    );
    let config = json!({"mcpServers": {"leaky": {
        "type": "http",
        "url": url,
        "headers": {"X-Api-Key": "h-QzHeaderQz", "Authorization": "Bearer b-QzBearerQz"},
    }}});
    let path = dir.join("leaky.json");
    std::fs::write(&path, config.to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

/// `codemode ARGS` with `stdin`, logging at `level`.
fn codemode_logging(args: &[&str], stdin: &str, level: &str, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(codemode_path())
        .args(args)
        .env("CODEMODE_LOG", level)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `codemode tools`, logging at debug, over a config of `servers` that do
/// not start: what it said on stderr.
fn tools_failing_with(servers: Value, env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mcp.json");
    std::fs::write(&config, json!({"mcpServers": servers}).to_string()).unwrap();
    let config = config.to_str().unwrap();
    let tools = codemode_logging(&["tools", "--config", config], "", "debug", env);
    assert!(!tools.status.success());
    stderr(&tools)
}

#[test]
fn a_server_that_hangs_up_does_not_show_its_url_credentials_or_headers() {
    let port = serve_http(|_, _| None);
    let dir = tempfile::tempdir().unwrap();
    let config = leaky_config(dir.path(), port);
    for level in ["debug", "trace"] {
        let tools = codemode_logging(&["tools", "--config", &config], "", level, &[]);
        assert!(!tools.status.success());
        let said = stderr(&tools);
        assert!(said.contains("\"leaky\" is unavailable"), "{said}");
        // The URL is still shown, so the user can tell which it was.
        assert!(
            said.contains(&format!(
                "http://[redacted]@127.0.0.1:{port}/mcp?api_key=[redacted]"
            )),
            "{said}"
        );
        assert_no_secret("stderr", &said);
        assert_no_secret("stdout", &stdout(&tools));
    }
}

#[test]
fn a_connection_dropped_mid_call_keeps_secrets_out_of_the_program_report_trace_and_logs() {
    let port = serve_http(drops_calls);
    let dir = tempfile::tempdir().unwrap();
    let config = leaky_config(dir.path(), port);
    let trace = dir.path().join("trace.jsonl");
    let trace_arg = trace.to_string_lossy().into_owned();
    // An OpenTelemetry collector, keeping what it is sent.
    let exported = Arc::new(Mutex::new(Vec::new()));
    let kept = exported.clone();
    let collector = serve_http(move |request, _| {
        kept.lock().unwrap().push(request.body.clone());
        json_answer(200, json!({}))
    });
    let otlp = format!("http://127.0.0.1:{collector}");
    let program =
        "try { return await leaky.echo({}); } catch (e) { return 'caught: ' + String(e); }";
    let run = codemode_logging(
        &[
            "run",
            "-",
            "--config",
            &config,
            "--trace-file",
            &trace_arg,
            "--trace-results",
            "--otlp-endpoint",
            &otlp,
        ],
        program,
        "debug",
        &[],
    );
    let report = stdout(&run);
    let caught: Value =
        serde_json::from_str(&report).unwrap_or_else(|e| panic!("{e}: {report}\n{}", stderr(&run)));
    let message = caught["result"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("caught: ") && message.contains("leaky"),
        "{report}\n{}",
        stderr(&run)
    );
    // The error names the URL, and so would show its key.
    assert!(message.contains("api_key=[redacted]"), "{message}");
    assert_no_secret("the report", &report);
    assert_no_secret("the debug log", &stderr(&run));
    let traced = std::fs::read_to_string(&trace).unwrap();
    assert!(traced.contains("\"error\""), "{traced}");
    assert_no_secret("the trace", &traced);
    let spans = exported.lock().unwrap().join("\n");
    assert!(spans.contains("tools/call echo"), "{spans}");
    assert!(
        spans.contains("did not answer"),
        "the call's error status: {spans}"
    );
    assert_no_secret("the exported spans", &spans);

    // The same call through `serve`, as the model sees it.
    let mut serve = RawStdio::start(&["--config", &config]);
    let answer = serve.execute(program);
    assert!(answer.to_string().contains("caught: "), "{answer}");
    assert_no_secret("execute's answer", &answer.to_string());
}

#[test]
fn a_server_quoting_the_secret_headers_it_was_sent_does_not_show_them() {
    let port = serve_http(drops_calls);
    let dir = tempfile::tempdir().unwrap();
    let config = leaky_config(dir.path(), port);
    let program =
        "try { return await leaky.check_key({}); } catch (e) { return 'caught: ' + String(e); }";
    let run = codemode_logging(&["run", "-", "--config", &config], program, "debug", &[]);
    let report = stdout(&run);
    // The server quoted them: they are there, redacted.
    assert!(
        report.contains("check_key failed: refused ") && report.contains(": [redacted]"),
        "{report}"
    );
    assert_no_secret("the report", &report);
    assert_no_secret("the debug log", &stderr(&run));

    // Passed through to a client of `serve --expose-tools`.
    let mut serve = RawStdio::start(&["--config", &config, "--expose-tools"]);
    let answer = serve.request("tools/call", json!({"name": "check_key", "arguments": {}}));
    assert!(answer.to_string().contains("[redacted]"), "{answer}");
    assert_no_secret("the passed-through error", &answer.to_string());
}

/// The same quotes in an error's `data` or in a result marked `isError`:
/// error texts too, redacted for programs and through `--expose-tools`.
#[test]
fn secrets_quoted_in_error_data_or_an_error_result_do_not_show() {
    let port = serve_http(drops_calls);
    let dir = tempfile::tempdir().unwrap();
    let config = leaky_config(dir.path(), port);
    let mut serve = RawStdio::start(&["--config", &config, "--expose-tools"]);
    for tool in ["check_key_data", "check_key_result"] {
        let program = format!(
            "try {{ return await leaky.{tool}({{}}); }} catch (e) {{ return 'caught: ' + String(e); }}"
        );
        let run = codemode_logging(&["run", "-", "--config", &config], &program, "debug", &[]);
        let report = stdout(&run);
        assert!(report.contains("caught: "), "{tool}: {report}");
        assert_no_secret(tool, &report);
        assert_no_secret(tool, &stderr(&run));
        let answer = serve.request("tools/call", json!({"name": tool, "arguments": {}}));
        assert!(answer.to_string().contains("refused"), "{tool}: {answer}");
        assert_no_secret(&format!("{tool} passed through"), &answer.to_string());
    }
}

/// A server that redirects to another origin: its configured headers and
/// URL are not sent there, whichever transport (streamable HTTP, or the
/// legacy SSE tried after it) follows the redirect; the error says why.
#[test]
fn a_redirect_to_another_origin_is_not_followed_with_the_secrets() {
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    let kept = received.clone();
    let elsewhere = serve_http(move |request, _| {
        kept.lock().unwrap().push(request.head.clone());
        Some((404, vec![], String::new()))
    });
    let redirector = serve_http(move |request, _| {
        let to = format!("http://127.0.0.1:{elsewhere}{}", request.path);
        Some((307, vec![("location", to)], String::new()))
    });
    let dir = tempfile::tempdir().unwrap();
    let config = leaky_config(dir.path(), redirector);
    // Without a type, so that legacy SSE is tried after streamable HTTP.
    let mut servers: Value =
        serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    servers["mcpServers"]["leaky"]
        .as_object_mut()
        .unwrap()
        .remove("type");
    std::fs::write(&config, servers.to_string()).unwrap();
    let tools = codemode_logging(&["tools", "--config", &config], "", "debug", &[]);
    assert!(!tools.status.success());
    let sent = received.lock().unwrap().join("\n");
    assert!(sent.is_empty(), "the other origin was sent:\n{sent}");
    let said = stderr(&tools);
    assert!(
        said.contains("redirected to another address"),
        "the error says why: {said}"
    );
    assert_no_secret("stderr", &said);
}

/// A multi-line secret (a PEM key in the environment) that a child echoes:
/// its stderr is shown a line at a time, indented, and no line of the key
/// shows; nor in the debug log, where texts are escaped.
#[test]
fn a_multi_line_secret_does_not_show_a_line_at_a_time() {
    let key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nk1-QzEnvQz-Material99\n-----END PRIVATE KEY-----";
    let servers = json!({"pem": {
        "command": "sh",
        "args": ["-c", "echo \"$APP_PRIVATE_KEY\" >&2; sleep 1; exit 3"],
        "env": {"APP_PRIVATE_KEY": key},
    }});
    let said = tools_failing_with(servers, &[]);
    assert!(
        said.contains("last lines the server wrote to stderr"),
        "{said}"
    );
    assert_no_secret("stderr", &said);
    assert!(!said.contains("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"), "{said}");
}

/// A key in the path of a `--url` at an address: the server is not named
/// after it, so it shows neither in the warnings nor as a namespace.
#[test]
fn a_key_in_a_urls_path_does_not_become_the_servers_name() {
    let url = "http://127.0.0.1:1/s/Ab1QzPwQz2Cd3Ef4Gh5Ij/mcp";
    let tools = codemode_logging(&["tools", "--url", url], "", "debug", &[]);
    assert!(!tools.status.success());
    let said = stderr(&tools);
    assert!(said.contains("is unavailable"), "{said}");
    assert_no_secret("stderr", &said);
}

/// A server that logs its own secret while a call runs: the log line the
/// client of `serve` is sent has it redacted, as codemode's own lines do.
#[test]
fn a_servers_log_messages_reach_the_client_without_its_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.json");
    let said = json!({"call_seconds": 1, "chatter": "connected with API_TOKEN t-QzEnvQz-1", "tools": [
        {"name": "slow", "inputSchema": {"type": "object"}}]});
    std::fs::write(&spec, said.to_string()).unwrap();
    let script = repo().join("tests/python/scripted_server.py");
    let config = dir.path().join("mcp.json");
    let servers = json!({"mcpServers": {"chatty": {
        "command": "python3",
        "args": [script],
        "env": {"SCRIPTED_SPEC": spec, "API_TOKEN": "t-QzEnvQz-1"},
    }}});
    std::fs::write(&config, servers.to_string()).unwrap();
    let mut serve = RawStdio::start(&["--config", config.to_str().unwrap()]);
    let (report, logs) = serve.execute_hearing_logs("return (await chatty.slow()).tool;");
    assert_eq!(report["result"], "slow", "{report}");
    let logs = logs.join("\n");
    assert!(logs.contains("connected with"), "the lines came: {logs}");
    assert_no_secret("the log lines sent to the client", &logs);
}

#[test]
fn a_child_echoing_its_environment_does_not_show_its_secrets() {
    let script = "echo \"API_TOKEN=$API_TOKEN own=$QZ_SERVICE_API_KEY\" >&2; echo \"$API_TOKEN\" >&2; sleep 1; exit 3";
    let servers = json!({"echoer": {
        "command": "sh",
        "args": ["-c", script],
        "env": {"API_TOKEN": "t-QzEnvQz-1"},
    }});
    // codemode's own secret, which the child inherits.
    let said = tools_failing_with(servers, &[("QZ_SERVICE_API_KEY", "own-QzBearerQz-key")]);
    assert!(
        said.contains("last lines the server wrote to stderr"),
        "{said}"
    );
    assert!(said.contains("API_TOKEN=[redacted]"), "{said}");
    assert_no_secret("stderr", &said);
}

/// An MCP server that asks for a login, whose authorization server's
/// metadata has `field` set to `address`; the paths asked for are noted.
fn hostile_authorization(
    field: &'static str,
    address: &'static str,
) -> (u16, Arc<Mutex<Vec<String>>>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let noted = asked.clone();
    let port = serve_http(move |request, port| {
        let base = format!("http://127.0.0.1:{port}");
        noted
            .lock()
            .unwrap()
            .push(format!("{} {}", request.method, request.path));
        let path = request.path.split('?').next().unwrap_or_default();
        if path.starts_with("/.well-known/oauth-protected-resource") {
            return json_answer(
                200,
                json!({"resource": format!("{base}/mcp"), "authorization_servers": [base]}),
            );
        }
        if path == "/.well-known/oauth-authorization-server"
            || path == "/.well-known/openid-configuration"
        {
            let mut metadata = json!({
                "issuer": base,
                "authorization_endpoint": format!("{base}/authorize"),
                "token_endpoint": format!("{base}/token"),
                "registration_endpoint": format!("{base}/register"),
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none"],
            });
            metadata[field] = json!(address);
            return json_answer(200, metadata);
        }
        if path == "/register" {
            let asked: Value = serde_json::from_str(&request.body).unwrap_or_default();
            return json_answer(
                201,
                json!({"client_id": "c1", "redirect_uris": asked["redirect_uris"], "token_endpoint_auth_method": "none"}),
            );
        }
        if path == "/mcp" && request.method == "POST" {
            let challenge = format!(
                "Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\""
            );
            return Some((401, vec![("www-authenticate", challenge)], "{}".to_owned()));
        }
        json_answer(404, json!({"error": "not found"}))
    });
    (port, asked)
}

#[test]
fn login_opens_no_address_but_https_or_http_on_this_machine() {
    let cases = [
        ("authorization_endpoint", "file:///etc/passwd"),
        (
            "authorization_endpoint",
            "javascript:alert(document.domain)//",
        ),
        (
            "authorization_endpoint",
            "data:text/html,<script>alert(1)</script>",
        ),
        ("authorization_endpoint", "http://evil.example/authorize"),
        (
            "authorization_endpoint",
            "https://user:pw@auth.example/authorize",
        ),
        ("authorization_endpoint", "-remote-debugging-port=9222"),
        ("authorization_endpoint", "vscode://evil.example/run?x=1"),
        ("token_endpoint", "http://evil.example/token"),
        ("registration_endpoint", "file:///tmp/register"),
    ];
    for (field, address) in cases {
        let (port, asked) = hostile_authorization(field, address);
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("hostile.json");
        let servers = json!({"mcpServers": {"hostile": {"type": "http", "url": format!("http://127.0.0.1:{port}/mcp")}}});
        std::fs::write(&config, servers.to_string()).unwrap();
        let opened = home.path().join("opened");
        let browser = home.path().join("browser.sh");
        std::fs::write(
            &browser,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\n",
                opened.display()
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let login = Command::new(codemode_path())
            .args(["login", "hostile", "--config"])
            .arg(&config)
            .env_remove("CODEMODE_LOG")
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("BROWSER", &browser)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let said = stderr(&login);
        assert!(!login.status.success(), "{field} {address}: {said}");
        assert!(
            said.contains("hostile: its authorization server gives")
                && said.contains(field.replace('_', " ").as_str())
                && said.contains("stopped before using any"),
            "{field} {address}: {said}"
        );
        assert!(
            !opened.exists(),
            "{field} {address}: the browser was given {:?}",
            std::fs::read_to_string(&opened)
        );
        // Refused as soon as the metadata was read: no client registered.
        let asked = asked.lock().unwrap();
        assert!(
            !asked.iter().any(|a| a.starts_with("POST /register")),
            "{field} {address}: {asked:?}"
        );
    }
}

#[test]
fn the_authorization_code_stays_out_of_the_debug_log_of_a_login() {
    let mut server = Background::spawn(
        Command::new("python3")
            .arg(repo().join("tests/python/oauth_server.py"))
            .stdout(Stdio::piped()),
    );
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("notes.json");
    let servers =
        json!({"mcpServers": {"notes": {"type": "http", "url": format!("{}/mcp", line.trim())}}});
    std::fs::write(&config, servers.to_string()).unwrap();
    let browser = format!(
        "python3 {}",
        repo().join("tests/python/browser.py").display()
    );
    let login = Command::new(codemode_path())
        .args(["login", "notes", "--config"])
        .arg(&config)
        .env("CODEMODE_LOG", "debug")
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("BROWSER", browser)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let said = stderr(&login);
    assert!(login.status.success(), "{said}");
    // rmcp logs the code it exchanges.
    let exchange = said
        .lines()
        .find(|l| l.contains("start exchange code for token"))
        .unwrap_or_else(|| panic!("{said}"));
    assert!(exchange.ends_with("\"[redacted]\""), "{exchange}");
}

/// A token on a server's command line, where a server's name is taken
/// from (`docker run --env GITHUB_TOKEN=... image`, `--api-key V`): the
/// server is not named after it, so it is neither a namespace in the
/// model's API nor a name in the listing.
#[cfg(unix)]
#[test]
fn a_token_on_the_command_line_does_not_become_the_servers_name() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // A `docker` that runs the demo server, whatever it is asked.
    let docker = dir.path().join("docker");
    std::fs::write(
        &docker,
        format!("#!/bin/sh\nexec '{}' demo-server\n", codemode_path()),
    )
    .unwrap();
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for line in [
        "--env GITHUB_TOKEN=ghp_qzenvqzAb12Cd34Ef56 ghcr.io/github/github-mcp-server",
        "--api-key qzenvqz1 ghcr.io/github/github-mcp-server",
    ] {
        for command in ["types", "tools"] {
            let mut args = vec![command, "--", "docker", "run", "-i", "--rm"];
            args.extend(line.split(' '));
            let output = codemode_logging(&args, "", "warn", &[("PATH", &path)]);
            assert!(output.status.success(), "{}", stderr(&output));
            assert_no_secret("stdout", &stdout(&output));
            assert_no_secret("stderr", &stderr(&output));
            assert!(stdout(&output).contains("github"), "{}", stdout(&output));
        }
    }
}

/// A config with a value of the wrong type (`"args": "--api-key V"`, a
/// header map written as a string): the error says where, not what the
/// value was, in every format a config is read in.
#[test]
fn a_config_error_does_not_quote_the_secret_it_is_about() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "mcp.json",
            r#"{"mcpServers": {"a": {"command": "x", "args": "--api-key qzenvqz1"}}}"#,
        ),
        (
            "settings.json",
            "{\"mcpServers\": {\"a\": {\"url\": \"https://x.example/mcp\",\n // a comment\n \"headers\": \"X-Custom: qzheaderqz1\",}}}",
        ),
        (
            "config.toml",
            "[mcp_servers.a]\ncommand = \"x\"\nargs = \"--api-key qzenvqz1\"\n",
        ),
    ];
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let output = codemode_logging(
            &["tools", "--config", path.to_str().unwrap()],
            "",
            "debug",
            &[],
        );
        assert!(!output.status.success());
        let said = stderr(&output);
        assert!(said.contains(&format!("{name}:")), "{said}");
        assert_no_secret("stderr", &said);
    }
}

/// An `--input` given without its `ID=` (the secret alone): the error says
/// what is expected, not what was given, as `--header`'s does.
#[test]
fn a_malformed_input_flag_is_not_repeated() {
    for given in ["qzenvqz1", "=qzenvqz1"] {
        let output = codemode_logging(&["tools", "--input", given], "", "debug", &[]);
        assert!(!output.status.success());
        let said = stderr(&output);
        assert!(said.contains("ID=VALUE"), "{said}");
        assert_no_secret("stderr", &said);
    }
}

/// A stdio proxy to a remote server given its headers as arguments
/// (`mcp-remote URL --header "Name: V"`), that echoes them: no header
/// value shows, whatever the header is called.
#[test]
fn a_child_echoing_the_headers_it_was_given_does_not_show_them() {
    let script = "echo \"using headers: $2 and $4 and $5\" >&2; sleep 1; exit 3";
    let servers = json!({"proxy": {
        "command": "sh",
        "args": [
            "-c", script, "sh",
            "--header", "Context7-Key: qzheaderqz-1",
            "-H", "X-Tenant:qzbearerqz-2",
            "--header=X-Other: qzenvqz-3",
        ],
    }});
    let said = tools_failing_with(servers, &[]);
    assert!(said.contains("using headers"), "{said}");
    assert_no_secret("stderr", &said);
}

/// The headers of codemode's trace exporter (`OTEL_EXPORTER_OTLP_HEADERS`,
/// a vendor's key under a header name that says nothing), which every
/// child inherits: a child echoing its environment does not show them.
#[test]
fn the_trace_exporters_headers_do_not_show_when_a_child_echoes_them() {
    let script = "echo \"headers: $OTEL_EXPORTER_OTLP_HEADERS\" >&2; sleep 1; exit 3";
    let servers = json!({"echoer": {"command": "sh", "args": ["-c", script]}});
    let said = tools_failing_with(
        servers,
        &[(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-honeycomb-team=qzheaderqz-1,Authorization=Api-Token%20dt0c01.qzbearerqz",
        )],
    );
    assert!(said.contains("headers: "), "{said}");
    assert_no_secret("stderr", &said);
}

/// A URL whose `://` is mistyped (`https//`, `https:/`) is no URL to
/// parse, but it is shown as written: its password and query key are
/// secrets all the same.
#[test]
fn a_mistyped_urls_credentials_do_not_show() {
    for url in [
        "htps//user:qzpwqz1@127.0.0.1:1/mcp?key=qzqueryqz1",
        "http:/user:qzpwqz1@127.0.0.1:1/mcp?key=qzqueryqz1",
    ] {
        let tools = codemode_logging(&["tools", "--url", url], "", "debug", &[]);
        assert!(!tools.status.success());
        let said = stderr(&tools);
        assert!(said.contains("is unavailable"), "{said}");
        assert_no_secret("stderr", &said);
    }
}

/// A secret given to a server as an assignment on its command line
/// (`env API_TOKEN=V server`, `docker run -e TOKEN=V`), which the server
/// then echoes as its value alone.
#[test]
fn a_secret_assigned_on_the_command_line_does_not_show() {
    let script = "echo \"using $API_TOKEN\" >&2; sleep 1; exit 3";
    let servers = json!({"assigned": {
        "command": "env",
        "args": ["API_TOKEN=qzenvqz-1", "sh", "-c", script],
    }});
    let said = tools_failing_with(servers, &[]);
    assert!(said.contains("using "), "{said}");
    assert_no_secret("stderr", &said);
}
