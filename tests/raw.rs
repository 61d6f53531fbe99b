//! Speaking to `codemode serve` the way an attacker would: raw JSON-RPC
//! over stdio and HTTP/1.1, the misbehaving upstream
//! (`tests/python/hostile_server.py`) and what reached it, and a process's
//! peak memory. Used by the hostile-input suite (`tests/attacks/`) and by
//! the peer tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;

/// `codemode serve` over stdio, spoken to line by line.
pub(crate) struct RawStdio {
    pub process: Background,
    stdin: Option<ChildStdin>,
    pub(crate) stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl RawStdio {
    /// Starts `codemode serve ARGS` and initializes a session.
    pub(crate) fn start(args: &[&str]) -> RawStdio {
        RawStdio::start_as(args, json!({}))
    }

    /// Starts `codemode serve ARGS` and initializes a 2025-era session of a
    /// client with `capabilities`.
    pub(crate) fn start_as(args: &[&str], capabilities: Value) -> RawStdio {
        let mut process = Background::spawn(
            Command::new(codemode_path())
                .arg("serve")
                .args(args)
                .env_remove("CODEMODE_LOG")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped()),
        );
        let stdin = process.0.stdin.take();
        let stdout = BufReader::new(process.0.stdout.take().unwrap());
        let mut client = RawStdio {
            process,
            stdin,
            stdout,
            next_id: 0,
        };
        let init = client.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": capabilities, "clientInfo": {"name": "attacker", "version": "1"}}),
        );
        assert!(init.get("result").is_some(), "{init}");
        client.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        client
    }

    pub(crate) fn pid(&self) -> u32 {
        self.process.0.id()
    }

    pub(crate) fn send(&mut self, message: &Value) {
        self.send_raw(message.to_string().as_bytes());
    }

    pub(crate) fn send_raw(&mut self, line: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(line).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Closes our end of stdin: the client is gone.
    pub(crate) fn hang_up(&mut self) {
        self.stdin.take();
    }

    /// The next response (notifications are skipped).
    pub(crate) fn response(&mut self) -> Value {
        loop {
            let message = self.message();
            if message.get("id").is_some() {
                return message;
            }
        }
    }

    /// The next message codemode writes, whatever it is.
    pub(crate) fn message(&mut self) -> Value {
        let mut line = String::new();
        let read = self.stdout.read_line(&mut line).unwrap();
        assert!(read > 0, "codemode serve closed its output (did it crash?)");
        serde_json::from_str(&line).unwrap()
    }

    /// Sends a request; returns its id.
    pub(crate) fn send_request(&mut self, method: &str, params: Value) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    pub(crate) fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        let response = self.response();
        assert_eq!(response["id"], id, "{response}");
        response
    }

    /// `execute` → the structured report (`{ok, result | error, logs, calls}`).
    pub(crate) fn execute(&mut self, code: &str) -> Value {
        let response = self.request(
            "tools/call",
            json!({"name": "execute", "arguments": {"code": code}}),
        );
        response["result"]["structuredContent"].clone()
    }

    /// Another, ordinary execution still works.
    pub(crate) fn still_serves(&mut self) {
        let report = self.execute("return (await demo.list_projects()).projects.length;");
        assert_eq!(report["result"], 3, "{report}");
    }
}

/// The peak resident memory of a process, in MiB.
pub(crate) fn peak_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    kib / 1024
}

/// The failure of a report: `(kind, message)`.
pub(crate) fn failure(report: &Value) -> (String, String) {
    assert_eq!(report["ok"], false, "{report}");
    (
        report["error"]["kind"].as_str().unwrap().to_owned(),
        report["error"]["message"].as_str().unwrap().to_owned(),
    )
}

/// A config with the demo and the misbehaving upstream, which logs what it
/// receives to the returned file.
pub(crate) fn hostile_config(dir: &Path) -> (PathBuf, PathBuf) {
    let log = dir.join("hostile.log");
    let config = dir.join("mcp.json");
    let server = repo().join("tests/python/hostile_server.py");
    let text = json!({"mcpServers": {
        "hostile": {"command": "python3", "args": [server], "env": {"HOSTILE_LOG": log}},
        "demo": {"command": codemode_path(), "args": ["demo-server"]},
    }});
    std::fs::write(&config, text.to_string()).unwrap();
    (config, log)
}

/// A config naming `tests/python/text_server.py` `text`, whose `say`
/// answers the text it is given.
pub(crate) fn text_server_config(dir: &Path) -> String {
    let server = repo().join("tests/python/text_server.py");
    let config = json!({"mcpServers": {"text": {"command": "python3", "args": [server]}}});
    let path = dir.join("mcp.json");
    std::fs::write(&path, config.to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

/// A tools file `name.json` (so its server is `name`) with `tools`, each
/// taking any object.
pub(crate) fn tools_file(dir: &Path, name: &str, tools: &[impl AsRef<str>]) -> String {
    let path = dir.join(format!("{name}.json"));
    let tools: Vec<Value> = tools
        .iter()
        .map(|t| json!({"name": t.as_ref(), "inputSchema": {"type": "object"}}))
        .collect();
    std::fs::write(&path, json!({ "tools": tools }).to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

/// What reached the misbehaving upstream, one entry per line of its log.
pub(crate) fn hostile_log(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub(crate) fn calls_received(log: &Path, tool: &str) -> usize {
    hostile_log(log)
        .iter()
        .filter(|e| e["call"] == tool)
        .count()
}

/// One HTTP/1.1 exchange on a fresh connection: `(status, headers, body)`.
pub(crate) fn http(port: u16, head: &str, body: &str) -> (u16, String, String) {
    http_within(port, head, body, Duration::from_secs(60))
}

/// Like [`http`], but gives up reading (and closes the connection) after `wait`.
pub(crate) fn http_within(
    port: u16,
    head: &str,
    body: &str,
    wait: Duration,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    write!(
        stream,
        "{head}\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = Vec::new();
    // A reset after the response (the server closing early) still leaves what was read.
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    let (headers, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if headers
        .to_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, headers.to_owned(), body)
}

/// The body of a chunked HTTP/1.1 response.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

/// A JSON-RPC POST to `/mcp`; `extra` adds header lines.
pub(crate) fn mcp_post(port: u16, extra: &str, message: &Value) -> (u16, String, String) {
    let head = format!(
        "POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream{extra}"
    );
    http(port, &head, &message.to_string())
}

/// The first JSON-RPC message in a response body (plain JSON or SSE `data:`).
pub(crate) fn first_message(body: &str) -> Value {
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .chain([body])
        .find_map(|d| serde_json::from_str(d.trim()).ok())
        .unwrap_or_else(|| panic!("no JSON-RPC message in {body:?}"))
}

/// POSTs `message` as a stateless (protocol 2026-07-28) request: the version
/// and the client's capabilities travel with it, in `_meta` and in headers.
pub(crate) fn stateless_post(port: u16, message: &Value) -> (u16, String, String) {
    stateless_post_with_timeout(port, message, Duration::from_secs(60))
}

/// Like [`stateless_post`], hanging up after `wait`.
pub(crate) fn stateless_post_with_timeout(
    port: u16,
    message: &Value,
    wait: Duration,
) -> (u16, String, String) {
    stateless_post_as(port, message, &json!({}), wait)
}

/// Like [`stateless_post`], from a client with `capabilities`, hanging up
/// after `wait`.
pub(crate) fn stateless_post_as(
    port: u16,
    message: &Value,
    capabilities: &Value,
    wait: Duration,
) -> (u16, String, String) {
    let mut message = message.clone();
    message["params"]["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": capabilities,
    });
    let mut headers = format!(
        "\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: {}",
        message["method"].as_str().unwrap()
    );
    let name = message["params"]["name"]
        .as_str()
        .or(message["params"]["taskId"].as_str());
    if let Some(name) = name {
        headers.push_str(&format!("\r\nMcp-Name: {name}"));
    }
    let head = format!(
        "POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream{headers}"
    );
    http_within(port, &head, &message.to_string(), wait)
}

/// The port of a `serve --http` URL (`http://127.0.0.1:PORT/mcp`).
pub(crate) fn port_of(url: &str) -> u16 {
    url.trim_end_matches("/mcp")
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

pub(crate) fn initialize_message() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "attacker", "version": "1"}}})
}

/// The arguments of each `echo` call that reached the misbehaving upstream.
pub(crate) fn sent(log: &std::path::Path) -> Vec<Value> {
    hostile_log(log)
        .into_iter()
        .filter(|entry| entry["call"] == "echo")
        .map(|entry| entry["args"].clone())
        .collect()
}
