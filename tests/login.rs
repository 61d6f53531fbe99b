//! `codemode login` against a local authorization server written for the
//! test (`tests/python/oauth_server.py`): discovery, dynamic registration,
//! PKCE, the loopback redirect through `$BROWSER`, refresh, step-up, and
//! logout.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::common::*;

struct Notes {
    _server: Background,
    base: String,
    home: tempfile::TempDir,
    config: String,
}

impl Notes {
    fn start() -> Notes {
        let (server, base) = Background::spawn_announcing(
            Command::new("python3").arg(repo().join("tests/python/oauth_server.py")),
        );
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("notes.json");
        let servers = serde_json::json!({"mcpServers": {"notes": {"type": "http", "url": format!("{base}/mcp")}}});
        std::fs::write(&config, servers.to_string()).unwrap();
        Notes {
            _server: server,
            base,
            config: config.to_string_lossy().into_owned(),
            home,
        }
    }

    /// `codemode ARGS --config notes.json` (`logout` takes no config), with
    /// the test's own config and cache folders and the stand-in browser;
    /// `stdin` is the program.
    fn codemode(&self, args: &[&str], stdin: &str) -> Output {
        let config: &[&str] = match args[0] {
            "logout" => &[],
            _ => &["--config", &self.config],
        };
        let browser = format!(
            "python3 {}",
            repo().join("tests/python/browser.py").display()
        );
        let mut child = Command::new(codemode_path())
            .args(args)
            .args(config)
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .env("BROWSER", browser)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// `codemode run PROGRAM --config notes.json` on a terminal where
    /// `typed` is typed, with the test's folders and the stand-in browser:
    /// the screen and the report.
    fn run_on_a_terminal(&self, program: &str, typed: &[u8]) -> (String, Value) {
        let file = self.home.path().join("program.ts");
        std::fs::write(&file, program).unwrap();
        let command = format!(
            "XDG_CONFIG_HOME={} BROWSER='python3 {}' {} run {} --config {}",
            self.home.path().join("config").display(),
            repo().join("tests/python/browser.py").display(),
            codemode_path(),
            file.display(),
            self.config
        );
        on_a_terminal(&command, typed, &self.home.path().join("cache"))
    }

    fn run(&self, program: &str) -> Value {
        let output = self.codemode(&["run", "-"], program);
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&output), stderr(&output)))
    }

    fn stats(&self) -> Value {
        let output = Command::new("python3")
            .args([
                "-c",
                "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())",
                &format!("{}/stats", self.base),
            ])
            .output()
            .unwrap();
        serde_json::from_slice(&output.stdout).unwrap()
    }

    fn credentials(&self) -> std::path::PathBuf {
        self.home.path().join("config/codemode/credentials.json")
    }
}

#[test]
fn login_keeps_tokens_that_run_refreshes_and_a_step_up_adds_a_scope() {
    let notes = Notes::start();
    let before = notes.codemode(&["tools"], "");
    assert!(!before.status.success());
    assert!(
        stderr(&before).contains(&format!(
            "asks for a login\nhint: run `codemode login notes --config {}`",
            notes.config
        )),
        "{}",
        stderr(&before)
    );

    let login = notes.codemode(&["login", "notes"], "");
    assert!(login.status.success(), "{}", stderr(&login));
    assert!(
        stderr(&login).contains("logged in to notes")
            && stderr(&login).contains("with scopes notes:read;"),
        "{}",
        stderr(&login)
    );
    assert_only_the_user_reads(&notes.credentials());

    let whoami = "return await notes.whoami({})";
    assert_eq!(notes.run(whoami)["result"], "notes:read");
    // The access token lives two seconds: the next run must refresh it.
    wait_for("the access token to expire", || {
        notes.stats()["unexpired_tokens"] == 0
    });
    assert_eq!(notes.run(whoami)["result"], "notes:read");
    let stats = notes.stats();
    assert_eq!(stats["registrations"], 1, "{stats}");
    assert_eq!(stats["code_exchanges"], 1, "{stats}");
    assert!(stats["refreshes"].as_u64().unwrap() >= 1, "{stats}");
    assert_eq!(stats["bad_requests"], serde_json::json!([]), "{stats}");

    // write_note needs a scope the login lacks; the error says how to get it.
    let write = r#"return await notes.write_note({ text: "hello" })"#;
    let refused = notes.run(write);
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("notes.write_note was refused")
            && message.contains(&format!(
                "codemode login notes --config {} --scope",
                notes.config
            ))
            && message.contains("notes:write"),
        "{refused}"
    );
    let step_up = notes.codemode(&["login", "notes", "--scope", "notes:write"], "");
    assert!(step_up.status.success(), "{}", stderr(&step_up));
    assert_eq!(notes.run(write)["result"], "written: hello");
    assert_eq!(notes.run(whoami)["result"], "notes:read notes:write");

    let logout = notes.codemode(&["logout", "notes"], "");
    assert!(stderr(&logout).contains("logged out of notes"));
    let after = notes.codemode(&["tools"], "");
    assert!(
        stderr(&after).contains(&format!(
            "hint: run `codemode login notes --config {}`",
            notes.config
        )),
        "{}",
        stderr(&after)
    );
}

#[test]
fn serves_own_token_never_reaches_an_upstream() {
    let notes = Notes::start();
    assert!(notes.codemode(&["login", "notes"], "").status.success());
    let mut serve = serve_http(
        &["--auth-token", "SERVE_TOKEN", "--config", &notes.config],
        &[
            ("SERVE_TOKEN", Path::new("downstream-secret")),
            ("XDG_CONFIG_HOME", &notes.home.path().join("config")),
            ("XDG_CACHE_HOME", &notes.home.path().join("cache")),
        ],
    );
    let port = serve.port("serving MCP at");
    let call = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "execute", "arguments": {"code": "return await notes.whoami({})"},
            "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                      "io.modelcontextprotocol/clientCapabilities": {}}}});
    let head = "POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
        MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: execute\r\n\
        Authorization: Bearer downstream-secret";
    let (status, _, answer) = crate::attacks::http_within(
        port,
        head,
        &call.to_string(),
        std::time::Duration::from_secs(60),
    );
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("notes:read"), "{answer}");
    let stats = notes.stats();
    assert!(
        !stats["unknown_tokens"]
            .to_string()
            .contains("downstream-secret"),
        "{stats}"
    );
}

fn assert_only_the_user_reads(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    }
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains("\"notes\""), "{text}");
}

/// A call refused for a scope the login lacks: `serve` tells the model what
/// the user must do in plain words, naming no command or flag.
#[test]
fn serve_words_a_missing_scope_for_the_model() {
    use std::io::{BufRead, BufReader, Write};
    let notes = Notes::start();
    assert!(notes.codemode(&["login", "notes"], "").status.success());
    let mut child = Command::new(codemode_path())
        .args(["serve", "--config", &notes.config])
        .env_remove("CODEMODE_LOG")
        .env("XDG_CONFIG_HOME", notes.home.path().join("config"))
        .env("XDG_CACHE_HOME", notes.home.path().join("cache"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let _serve = Background::adopt(child);
    let messages = [
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "hints", "version": "1"}}}),
        serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "execute",
            "arguments": {"code": r#"return await notes.write_note({ text: "hello" })"#}}}),
    ];
    for message in messages {
        writeln!(stdin, "{message}").unwrap();
    }
    stdin.flush().unwrap();
    let answer = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "serve closed its output"
        );
        let message: Value = serde_json::from_str(&line).unwrap();
        if message["id"] == 2 {
            break message;
        }
    };
    let text = answer["result"]["content"].to_string();
    assert!(
        text.contains("notes.write_note was refused")
            && text.contains("the user must log in to notes, with the scope")
            && text.contains("notes:write")
            && !text.contains("--scope")
            && !text.contains("codemode login"),
        "{answer}"
    );
}

/// On a terminal, `run` offers the login a server wants, right there, and
/// goes on with the server once it is done.
#[test]
fn run_on_a_terminal_offers_the_login_a_server_wants() {
    let notes = Notes::start();
    let (screen, report) = notes.run_on_a_terminal("return await notes.whoami({})", b"y\n");
    assert!(
        screen.contains(
            "the notes server wants you to log in. Log in now (your browser opens)? [Y/n]"
        ),
        "{screen}"
    );
    assert!(screen.contains("logged in to notes"), "{screen}");
    assert_eq!(report["result"], "notes:read", "{screen}");
    // The login was kept: the next run needs no terminal.
    assert_eq!(
        notes.run("return await notes.whoami({})")["result"],
        "notes:read"
    );
}

/// On a terminal, a call refused for want of a scope is answered with the
/// offer of that login, after the report; the next run makes the call.
#[test]
fn run_on_a_terminal_offers_the_scope_a_call_was_refused_for() {
    let notes = Notes::start();
    let login = notes.codemode(&["login", "notes"], "");
    assert!(login.status.success(), "{}", stderr(&login));
    let write = r#"return await notes.write_note({ text: "hi" })"#;
    let (screen, report) = notes.run_on_a_terminal(write, b"y\n");
    assert_eq!(report["ok"], false, "{screen}");
    assert!(
        screen.contains("the notes server refused a call for want of a login with the scopes notes:read notes:write. Log in now"),
        "{screen}"
    );
    assert!(screen.contains("run the program again"), "{screen}");
    assert_eq!(notes.run(write)["result"], "written: hi");
}
