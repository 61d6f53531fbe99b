//! HTTP clients that try to starve the server.

use std::io::Write;
use std::net::TcpStream;

use super::*;

/// A legitimate client still gets an answer.
fn still_answers(port: u16) {
    let (status, _, body) = mcp_post(port, "", &initialize_message());
    assert_eq!(status, 200, "{body}");
    assert!(
        first_message(&body)["result"]["serverInfo"].is_object(),
        "{body}"
    );
}

/// Whether the server closed `stream` (a read sees the end, or an error).
fn closed(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

/// How many sockets process `pid` has open.
fn open_sockets(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count()
}

#[test]
fn connections_are_capped_and_slow_headers_time_out() {
    let (server, url) = start_serve(&["--max-connections", "8"]);
    let port = port_of(&url);
    let before = open_sockets(server.0.id());
    // Eight connections that start a request and never finish its headers.
    let mut slow: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .unwrap();
            s
        })
        .collect();
    wait_for("the server to hold all eight", || {
        open_sockets(server.0.id()) >= before + 8
    });
    // A ninth takes the place of the oldest, which is closed at once.
    still_answers(port);
    wait_for("the oldest slow connection to be closed", || {
        closed(&mut slow[0])
    });
    // The header timeout (15 s) closes the others.
    let mut all_closed = false;
    let deadline = Instant::now() + Duration::from_secs(40);
    while !all_closed && Instant::now() < deadline {
        all_closed = slow.iter_mut().all(closed);
    }
    assert!(
        all_closed,
        "connections that never sent their headers are closed"
    );
    still_answers(port);
}

/// How long the descriptors stay exhausted after the first failure is seen.
const ATTACK_LASTS: Duration = Duration::from_millis(1500);

#[test]
fn failing_accepts_back_off_and_are_logged_once() {
    // The descriptor limit is lowered under the running server, below what
    // its connection cap was made for: accepting fails with EMFILE.
    let mut server = serve_http(&[], &[]);
    let port = server.port("serving MCP at");
    let pid = server.0.id().to_string();
    let lowered = Command::new("prlimit")
        .args(["--pid", &pid, "--nofile=48:48"])
        .status()
        .unwrap();
    assert!(lowered.success(), "prlimit (util-linux) lowers the limit");
    let held: Vec<TcpStream> = (0..80)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    let warnings = || {
        server
            .said()
            .matches("accepting connections failed")
            .count()
    };
    wait_for("the failure to be reported", || warnings() >= 1);
    // The attack goes on (not a wait for an event: the server says nothing
    // more while it backs off, which is what is checked): a second of
    // back-off is eight more failed accepts.
    std::thread::sleep(ATTACK_LASTS);
    let warnings = warnings();
    assert!(warnings <= 2, "and not once per attempt: {warnings} lines");
    drop(held);
    // A request waits in the listen queue until an accept succeeds again.
    still_answers(port);
}

#[test]
fn sessions_are_capped_and_idle_ones_expire() {
    let (_server, url) = start_serve(&["--max-sessions", "3", "--session-idle-timeout", "2"]);
    let port = port_of(&url);
    for _ in 0..3 {
        let (status, headers, _) = mcp_post(port, "", &initialize_message());
        assert_eq!(status, 200);
        assert!(
            headers.to_lowercase().contains("mcp-session-id"),
            "{headers}"
        );
    }
    let (status, headers, body) = mcp_post(port, "", &initialize_message());
    assert_eq!(status, 503, "{body}");
    assert!(
        headers.to_lowercase().contains("retry-after: 30"),
        "{headers}"
    );
    let error = first_message(&body);
    assert_eq!(error["id"], 1);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("this server has 3 open sessions, the most it allows;"),
        "{error}"
    );
    // Idle sessions expire; then new clients are served.
    wait_for("idle sessions to expire", || {
        mcp_post(port, "", &initialize_message()).0 == 200
    });
}

#[test]
fn request_bodies_are_bounded() {
    let (_server, url) = start_serve(&["--max-program-kb", "16"]);
    let port = port_of(&url);
    let huge = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"pad": "x".repeat(200_000)}});
    let (status, _, body) = mcp_post(port, "", &huge);
    assert_eq!(status, 413);
    // Words for whoever sent it, naming no flag of the server's.
    assert!(
        body.contains("the largest program it compiles") && !body.contains("--"),
        "{body}"
    );
    // A body that never arrives: the client announces 1000 bytes and sends 10.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{\"jsonrpc\"").unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    still_answers(port);
}

#[test]
fn foreign_origins_are_refused() {
    let (_server, url) = start_serve(&["--allow-origin", "https://app.example.com:443"]);
    let port = port_of(&url);
    let (status, _, _) = mcp_post(
        port,
        "\r\nOrigin: http://evil.example",
        &initialize_message(),
    );
    assert_eq!(
        status, 403,
        "a page elsewhere cannot drive a local server (DNS rebinding)"
    );
    let (status, _, _) = mcp_post(
        port,
        "\r\nOrigin: http://localhost:6274",
        &initialize_message(),
    );
    assert_eq!(status, 200, "a local page can");
    let (status, _, _) = mcp_post(
        port,
        "\r\nOrigin: https://app.example.com",
        &initialize_message(),
    );
    assert_eq!(status, 200, "an allowed origin can");
    still_answers(port);
}

#[test]
fn discovery_tools_refuse_oversized_input() {
    let (_server, url) = start_serve(&[
        "--disclosure",
        "search",
        "--tools-file",
        fixture("catalogs/github.json").to_str().unwrap(),
    ]);
    let port = port_of(&url);
    let call = |name: &str, arguments: Value| {
        let message = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": name, "arguments": arguments}});
        let (_, _, body) = stateless_post(port, &message);
        first_message(&body)
    };
    let answer = call(
        "search_api",
        json!({"query": "pull request ".repeat(100_000)}),
    );
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 1000 are searched"),
        "{answer}"
    );
    let names: Vec<String> = (0..10_000).map(|i| format!("github.x{i}")).collect();
    let answer = call("get_api", json!({"names": names}));
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 200 names"),
        "{answer}"
    );
    let answer = call("search_api", json!({"query": "create a pull request"}));
    assert!(
        answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Best matches: github.create_pull_request"),
        "{answer}"
    );
}

#[test]
fn a_session_ends_on_delete_and_undeclared_methods_are_unknown() {
    let (_server, url) = start_serve(&[]);
    let port = port_of(&url);
    let (status, headers, _) = mcp_post(port, "", &initialize_message());
    assert_eq!(status, 200);
    let session = headers
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("mcp-session-id"))
        })
        .map(|(_, v)| v.trim().to_owned())
        .expect("a session id");
    let with_session = format!("\r\nMcp-Session-Id: {session}\r\nMCP-Protocol-Version: 2025-06-18");
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    mcp_post(port, &with_session, &initialized);
    // Only tools are declared: prompts are not an empty list, they are unknown.
    let (_, _, body) = mcp_post(
        port,
        &with_session,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "prompts/list", "params": {}}),
    );
    assert_eq!(first_message(&body)["error"]["code"], -32601, "{body}");
    // A client takes anything but 200 or 204 as a failed termination.
    let (status, _, body) = http(port, &format!("DELETE /mcp HTTP/1.1{with_session}"), "");
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = mcp_post(
        port,
        &with_session,
        &json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {}}),
    );
    assert_eq!(status, 404, "the session is gone");
}
