//! The HTTP server's gates decide on what a request means, never on how it
//! is spelled, and hold whatever way a client comes at them: escaped
//! methods, ended sessions' ids replayed, a session ended under a running
//! execution, connections that never finish a request under a low
//! descriptor limit, and `/metrics` read through a rebound DNS name.

use std::io::Write;
use std::net::TcpStream;

use super::*;

/// A POST to `/mcp` of `body` exactly as given; `extra` adds header lines.
fn post_raw(port: u16, extra: &str, body: &str) -> (u16, String, String) {
    let head = format!(
        "POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream{extra}"
    );
    http(port, &head, body)
}

fn session_of(headers: &str) -> Option<String> {
    headers
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("mcp-session-id"))
        })
        .map(|(_, v)| v.trim().to_owned())
}

/// Opens a legacy session: its id, and the header lines that name it.
fn open_session(port: u16) -> (String, String) {
    let (status, headers, body) = mcp_post(port, "", &initialize_message());
    assert_eq!(status, 200, "{body}");
    let session = session_of(&headers).expect("a session id");
    let with = format!("\r\nMcp-Session-Id: {session}\r\nMCP-Protocol-Version: 2025-06-18");
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    mcp_post(port, &with, &initialized);
    (session, with)
}

const INIT_PARAMS: &str = r#""params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"attacker","version":"1"}}"#;

/// `initialize` spelled every way JSON allows.
fn initialize_spellings() -> Vec<String> {
    [
        r#""initialize""#,
        r#""\u0069nitialize""#,
        r#""initi\u0061lize""#,
        r#""\u0069\u006E\u0069\u0074\u0069\u0061\u006c\u0069\u007a\u0065""#,
    ]
    .iter()
    .flat_map(|method| {
        [
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":{method},{INIT_PARAMS}}}"#),
            format!(r#"{{ "jsonrpc" : "2.0" ,{INIT_PARAMS}, "id" : 1 , "method" : {method} }}"#),
            format!(r#"{{"\u006aSonrpc":"2.0","j\u0073onrpc":"2.0","id":1,"\u006dethod":{method},{INIT_PARAMS}}}"#),
        ]
    })
    .collect()
}

#[test]
fn every_spelling_of_initialize_counts_against_the_session_cap() {
    let (_server, url) = start_serve(&["--max-sessions", "2"]);
    let port = port_of(&url);
    // Twenty at once, with none open: exactly two get a session.
    let opened = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..20)
            .map(|_| scope.spawn(|| mcp_post(port, "", &initialize_message())))
            .collect();
        tries
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|(status, headers, _)| *status == 200 && session_of(headers).is_some())
            .count()
    });
    assert_eq!(opened, 2, "concurrent initializations all passed the cap");
    for body in initialize_spellings() {
        let (status, headers, answer) = post_raw(port, "", &body);
        if status == 200 {
            assert!(
                session_of(&headers).is_none(),
                "{body} opened a third session"
            );
        } else {
            assert_eq!(status, 503, "{body}: {answer}");
        }
    }
    // A batch, which rmcp refuses whole, and duplicate keys, read as rmcp
    // reads them: no session either.
    let init = initialize_spellings()[1].clone();
    let duplicated = [
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"ping","method":"initialize",{INIT_PARAMS}}}"#
        ),
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"initialize","method":"ping",{INIT_PARAMS}}}"#
        ),
    ];
    for body in [format!("[{init}]"), format!("[{init},{init}]")]
        .iter()
        .chain(&duplicated)
    {
        let (_, headers, _) = post_raw(port, "", body);
        assert!(session_of(&headers).is_none(), "{body} opened a session");
    }
    // A session header that is not one (not text, or made up) opens none.
    for header in ["\r\nMcp-Session-Id: \u{ff}", "\r\nMcp-Session-Id: made-up"] {
        let (_, headers, _) = post_raw(port, header, &initialize_spellings()[1]);
        assert!(session_of(&headers).is_none(), "{header:?}");
    }
}

#[test]
fn ended_sessions_are_never_restored_and_restored_ones_count() {
    let (_server, url) = start_serve(&["--max-sessions", "1", "--session-idle-timeout", "1"]);
    let port = port_of(&url);
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}});
    // Expired for being idle: a new client takes its place, and its id is
    // never served again.
    let (_, expired) = open_session(port);
    wait_for("the idle session to expire", || {
        mcp_post(port, "", &initialize_message()).0 == 200
    });
    let (status, _, body) = mcp_post(port, &expired, &list);
    assert_eq!(status, 404, "an expired session came back: {body}");
    // Ended by its client: likewise.
    let mut opened = None;
    wait_for("the next session to expire", || {
        let (status, headers, _) = mcp_post(port, "", &initialize_message());
        opened = (status == 200).then(|| session_of(&headers)).flatten();
        opened.is_some()
    });
    let deleted = format!(
        "\r\nMcp-Session-Id: {}\r\nMCP-Protocol-Version: 2025-06-18",
        opened.unwrap()
    );
    let (status, _, _) = http(port, &format!("DELETE /mcp HTTP/1.1{deleted}"), "");
    assert_eq!(status, 200);
    let (status, _, body) = mcp_post(port, &deleted, &list);
    assert_eq!(status, 404, "a deleted session came back: {body}");
}

#[test]
fn a_session_restored_from_another_replica_counts_against_the_cap() {
    let key = std::path::Path::new("0123456789abcdef0123456789abcdef-gates");
    let env = [("CODEMODE_SESSION_KEY", key)];
    let (_a, url_a) = start_serve_env(&[], &env);
    let (_b, url_b) = start_serve_env(&["--max-sessions", "1"], &env);
    let (a, b) = (port_of(&url_a), port_of(&url_b));
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}});
    let (_, on_a) = open_session(a);
    // B restores A's session while it has room...
    let (status, _, body) = mcp_post(b, &on_a, &list);
    assert_eq!(status, 200, "{body}");
    // ...which fills it: another, made on A, is not restored beside it.
    let (_, also_on_a) = open_session(a);
    let (status, _, body) = mcp_post(b, &also_on_a, &list);
    assert_eq!(status, 503, "{body}");
    let (status, _, body) = mcp_post(b, "", &initialize_message());
    assert_eq!(status, 503, "{body}");
}

#[test]
fn a_session_restored_by_concurrent_requests_survives_them_all() {
    let key = std::path::Path::new("0123456789abcdef0123456789abcdef-race");
    let env = [("CODEMODE_SESSION_KEY", key)];
    let (_a, url_a) = start_serve_env(&[], &env);
    let (_b, url_b) = start_serve_env(&[], &env);
    let (a, b) = (port_of(&url_a), port_of(&url_b));
    let list = |id: u32| json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {}});
    for _ in 0..5 {
        let (_, on_a) = open_session(a);
        // B does not hold it: all of these find it being restored, calls
        // and event streams alike.
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let tries: Vec<_> = (0..8)
                .map(|id| {
                    let on_a = &on_a;
                    scope.spawn(move || {
                        if id % 2 == 0 {
                            mcp_post(b, on_a, &list(10 + id)).0
                        } else {
                            let head =
                                format!("GET /mcp HTTP/1.1\r\nAccept: text/event-stream{on_a}");
                            http_within(b, &head, "", Duration::from_millis(500)).0
                        }
                    })
                })
                .collect();
            tries.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        let (status, _, body) = mcp_post(b, &on_a, &list(2));
        assert_eq!(status, 200, "the session is still there: {body}");
    }
}

#[test]
fn ending_a_session_stops_what_runs_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let (_server, url) = start_serve(&["--config", config.to_str().unwrap()]);
    let port = port_of(&url);
    let (_, with) = open_session(port);
    let code = "for (let i = 0; i < 30; i++) await hostile.slow({ ms: 100 });\nreturn 'all done';";
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "execute", "arguments": {"code": code}}});
    let running = {
        let with = with.clone();
        std::thread::spawn(move || mcp_post(port, &with, &call))
    };
    wait_for("three calls", || calls_received(&log, "slow") >= 3);
    let (status, _, body) = http(port, &format!("DELETE /mcp HTTP/1.1{with}"), "");
    assert_eq!(status, 200, "{body}");
    let at_delete = calls_received(&log, "slow");
    // Left to run, the program would make all thirty calls before ending.
    wait_for("the execution to end", || {
        http(port, "GET /metrics HTTP/1.1", "")
            .2
            .contains("codemode_executions_running 0")
    });
    let after = calls_received(&log, "slow") - at_delete;
    assert!(
        after <= 1,
        "{after} calls reached the upstream after the session ended"
    );
    let _ = running.join();
}

#[test]
fn a_draining_server_refuses_every_spelling_of_new_work() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let (server, url) = start_serve(&["--config", config.to_str().unwrap()]);
    let port = port_of(&url);
    let (_, with) = open_session(port);
    // An execution that keeps the replica draining for a while.
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "execute", "arguments": {"code": "await hostile.slow({ ms: 20000 }); return 1;"}}});
    let running = {
        let with = with.clone();
        std::thread::spawn(move || mcp_post(port, &with, &call))
    };
    wait_for("the slow call", || calls_received(&log, "slow") >= 1);
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    wait_for("the drain", || {
        http(port, "GET /readyz HTTP/1.1", "").0 == 503
    });
    let execute = r#""params":{"name":"execute","arguments":{"code":"return 1"}}"#;
    let spelled = [
        format!(r#"{{"jsonrpc":"2.0","id":4,"method":"tools/call",{execute}}}"#),
        format!(r#"{{"jsonrpc":"2.0","id":4,"method":"tools\/call",{execute}}}"#),
        format!(r#"{{"jsonrpc":"2.0","id":4,"method":"tools\u002fcall",{execute}}}"#),
        r#"{"jsonrpc":"2.0","id":4,"method":"\u0074ools/call","params":{"name":"exec\u0075te","arguments":{"code":"return 1"}}}"#.to_owned(),
        format!(r#"{{ "id" : 4 , {execute} , "method" : "tools/call" , "jsonrpc" : "2.0" }}"#),
    ];
    for body in spelled.iter().chain(&initialize_spellings()) {
        let (status, _, answer) = post_raw(port, &with, body);
        assert_eq!(
            status, 503,
            "{body} got through a draining replica: {answer}"
        );
    }
    for body in initialize_spellings() {
        let (status, _, answer) = post_raw(port, "", &body);
        assert_eq!(
            status, 503,
            "{body} opened a session while draining: {answer}"
        );
    }
    drop(running);
}

/// Opens a connection that sends part of a request and stops: headers cut
/// short, or whole headers and a body that never comes.
fn stalled(port: u16, n: usize) -> Option<TcpStream> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let part: &[u8] = if n.is_multiple_of(2) {
        b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    } else {
        b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"jsonrpc\""
    };
    stream.write_all(part).ok()?;
    Some(stream)
}

#[test]
fn stalled_connections_cannot_lock_a_client_out_under_a_low_descriptor_limit() {
    let mut limited = Command::new("sh");
    limited.args([
        "-c",
        &format!(
            "ulimit -n 256; exec {} serve --http 127.0.0.1:0",
            codemode_path()
        ),
    ]);
    let mut server = Background::spawn(limited.stdout(Stdio::null()));
    let port = server.port("serving MCP at");
    wait_for(
        "the cap derived from the descriptor limit to be said",
        || {
            server
                .said()
                .contains("at most 192 HTTP connections at once")
        },
    );
    let mut held: Vec<TcpStream> = (0..300).filter_map(|n| stalled(port, n)).collect();
    // An attacker who keeps reconnecting, while a client makes requests.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let attacker = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut more = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) && n < 3000 {
                more.extend(stalled(port, n));
                n += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            more.len()
        })
    };
    for _ in 0..5 {
        let started = Instant::now();
        let (status, _, body) = mcp_post(port, "", &initialize_message());
        assert_eq!(status, 200, "a client was locked out: {body}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(attacker.join().unwrap() > 0);
    held.clear();
    let (status, _, _) = mcp_post(port, "", &initialize_message());
    assert_eq!(status, 200, "still serving");
}

/// A GET of `path` on `port` with `Host: host` and maybe an `Origin`.
fn get_as(port: u16, path: &str, host: &str, origin: Option<&str>) -> u16 {
    let origin = origin.map_or(String::new(), |o| format!("Origin: {o}\r\n"));
    status_of_raw(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{origin}Connection: close\r\n\r\n"),
    )
}

#[test]
fn every_endpoint_on_both_ports_refuses_a_rebound_host() {
    let mut server = serve_http(&["--metrics", "127.0.0.1:0"], &[]);
    let (port, metrics) = (
        server.port("serving MCP at"),
        server.port("serving metrics at"),
    );
    for (port, path) in [
        (port, "/metrics"),
        (metrics, "/metrics"),
        (port, "/healthz"),
        (port, "/readyz"),
    ] {
        // A scraper or probe reaching it by address or as localhost.
        for host in [
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ] {
            assert_eq!(get_as(port, path, &host, None), 200, "{path} as {host}");
        }
        // A page whose DNS name was rebound to this machine.
        for host in [
            format!("evil.example:{port}"),
            "evil.example".to_owned(),
            format!("127.0.0.1.nip.io:{port}"),
        ] {
            assert_eq!(get_as(port, path, &host, None), 403, "{path} as {host}");
        }
        let host = format!("127.0.0.1:{port}");
        let from = Some("http://evil.example");
        assert_eq!(get_as(port, path, &host, from), 403, "{path} from a page");
        let from = Some("http://localhost:6274");
        assert_eq!(
            get_as(port, path, &host, from),
            200,
            "{path} from a local page"
        );
    }
    // Stalled connections to the metrics port make room for a scraper.
    let stalled: Vec<TcpStream> = (0..40).filter_map(|n| stalled(metrics, n)).collect();
    let started = Instant::now();
    let host = format!("127.0.0.1:{metrics}");
    assert_eq!(get_as(metrics, "/metrics", &host, None), 200);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(stalled);
    // `/mcp` itself answers the same.
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: evil.example:{port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
}

#[test]
fn a_tool_call_starts_its_answer_however_accept_is_spelled() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _log) = hostile_config(dir.path());
    let (_server, url) = start_serve(&["--config", config.to_str().unwrap()]);
    let port = port_of(&url);
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "execute", "arguments": {"code": "await hostile.slow({ ms: 3000 }); return 1;"},
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientCapabilities": {}}}})
    .to_string();
    for accept in [
        "application/json, text/event-stream",
        "APPLICATION/JSON, TEXT/EVENT-STREAM",
        "application/json;q=0.5, Text/Event-Stream;q=1",
    ] {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            stream,
            "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nAccept: {accept}\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: execute\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{call}",
            call.len()
        )
        .unwrap();
        let started = Instant::now();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 200"), "{accept}: {head}");
        // Begun, answered at once, so no balancer sends it elsewhere again.
        assert!(
            started.elapsed() < Duration::from_millis(2000),
            "{accept}: the answer started only after {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_draining_server_refuses_every_request_that_starts_work() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let (server, url) = start_serve(&["--config", config.to_str().unwrap(), "--expose-tools"]);
    let port = port_of(&url);
    let (_, with) = open_session(port);
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "execute", "arguments": {"code": "await hostile.slow({ ms: 20000 }); return 1;"}}});
    let running = {
        let with = with.clone();
        std::thread::spawn(move || mcp_post(port, &with, &call))
    };
    wait_for("the slow call", || calls_received(&log, "slow") >= 1);
    assert!(
        Command::new("kill")
            .args(["-TERM", &server.0.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    wait_for("the drain", || {
        http(port, "GET /readyz HTTP/1.1", "").0 == 503
    });
    // Every request but `ping` may reach an upstream or hold the replica:
    // prompts, resources, completions, subscriptions, discovery.
    let requests = [
        json!({"method": "prompts/get", "params": {"name": "p"}}),
        json!({"method": "prompts/list", "params": {}}),
        json!({"method": "resources/read", "params": {"uri": "file:///x"}}),
        json!({"method": "resources/list", "params": {}}),
        json!({"method": "resources/subscribe", "params": {"uri": "file:///x"}}),
        json!({"method": "completion/complete", "params": {"ref": {"type": "ref/prompt", "name": "p"}, "argument": {"name": "a", "value": "b"}}}),
        json!({"method": "logging/setLevel", "params": {"level": "debug"}}),
        json!({"method": "tools/list", "params": {}}),
        json!({"method": "server/discover", "params": {}}),
        json!({"method": "subscriptions/listen", "params": {"notifications": {"toolsListChanged": true}}}),
    ];
    for (n, request) in requests.iter().enumerate() {
        let mut message = request.clone();
        message["jsonrpc"] = json!("2.0");
        message["id"] = json!(100 + n);
        let (status, _, answer) = mcp_post(port, &with, &message);
        assert_eq!(
            status, 503,
            "{message} in a session while draining: {answer}"
        );
        let (status, _, answer) =
            stateless_post_with_timeout(port, &message, Duration::from_secs(5));
        assert_eq!(status, 503, "{message} stateless while draining: {answer}");
    }
    // What lets running work finish still passes: pings, cancellations.
    let ping = json!({"jsonrpc": "2.0", "id": 200, "method": "ping"});
    assert_eq!(mcp_post(port, &with, &ping).0, 200);
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 999}});
    assert_eq!(mcp_post(port, &with, &cancel).0, 202);
    drop(running);
}

#[test]
fn a_running_execution_is_not_ended_as_idle_but_its_session_expires_after() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let (_server, url) = start_serve(&[
        "--config",
        config.to_str().unwrap(),
        "--session-idle-timeout",
        "1",
        "--max-sessions",
        "1",
    ]);
    let port = port_of(&url);
    let (_, with) = open_session(port);
    let code = "for (let i = 0; i < 6; i++) await hostile.slow({ ms: 500 });\nreturn 'all done';";
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "execute", "arguments": {"code": code}}});
    let (status, _, body) = mcp_post(port, &with, &call);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("all done"),
        "an execution was ended as idle while it ran: {body}"
    );
    assert_eq!(calls_received(&log, "slow"), 6);
    // Once it is done the session is idle, and expires: a new client takes
    // its place, and its id is not served again.
    wait_for("the idle session to expire", || {
        mcp_post(port, "", &initialize_message()).0 == 200
    });
    let list = json!({"jsonrpc": "2.0", "id": 4, "method": "tools/list", "params": {}});
    assert_eq!(mcp_post(port, &with, &list).0, 404);
}

/// The status of the answer to `request`, sent as is on a fresh connection.
fn status_of_raw(port: u16, request: &str) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_rebound_name_in_the_request_target_or_a_second_host_is_refused() {
    let mut server = serve_http(&["--metrics", "127.0.0.1:0"], &[]);
    let (port, metrics) = (
        server.port("serving MCP at"),
        server.port("serving metrics at"),
    );
    for (port, path) in [
        (port, "/metrics"),
        (metrics, "/metrics"),
        (port, "/healthz"),
    ] {
        let host = format!("127.0.0.1:{port}");
        let ok = format!(
            "GET http://localhost:{port}{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(status_of_raw(port, &ok), 200, "{ok}");
        for request in [
            format!(
                "GET http://evil.example:{port}{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            ),
            format!(
                "GET {path} HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
            ),
        ] {
            let status = status_of_raw(port, &request);
            assert!(status == 403 || status == 400, "{request}: {status}");
        }
    }
    let body = initialize_message().to_string();
    let post = format!(
        "POST http://evil.example:{port}/mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(status_of_raw(port, &post), 403);
}

#[test]
fn event_streams_cannot_take_every_connection() {
    let (_server, url) = start_serve(&["--max-connections", "4"]);
    let port = port_of(&url);
    let listen = json!({"jsonrpc": "2.0", "id": 1, "method": "subscriptions/listen", "params": {
        "notifications": {"toolsListChanged": true},
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientCapabilities": {}}}})
    .to_string();
    // Subscriptions never end and are never shed: each holds a connection.
    let mut standing = Vec::new();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: subscriptions/listen\r\nContent-Length: {}\r\n\r\n{listen}",
            listen.len()
        )
        .unwrap();
        let mut head = [0u8; 12];
        let _ = stream.read_exact(&mut head);
        statuses.push(String::from_utf8_lossy(&head).into_owned());
        standing.push(stream);
    }
    let open = statuses.iter().filter(|s| s.contains(" 200")).count();
    assert_eq!(open, 2, "half the connections may stand open: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| s.contains(" 200") || s.contains(" 503"))
    );
    // Everyone else is still served.
    assert_eq!(http(port, "GET /healthz HTTP/1.1", "").0, 200);
    let (status, _, body) = mcp_post(port, "", &initialize_message());
    assert_eq!(status, 200, "{body}");
}

/// A 2026-07-28 `tools/call` of `execute` from a client that can be asked.
fn asking_call(port: u16, params: Value) -> (u16, String, String) {
    let mut params = params;
    params["name"] = json!("execute");
    params["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}}});
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params});
    let head = "POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: execute";
    http(port, head, &body.to_string())
}

#[test]
fn a_draining_server_takes_the_answer_an_execution_parked_here_waits_for() {
    let (server, url) = start_serve(&["--ask", "demo.create_issue", "--drain-timeout", "60"]);
    let port = port_of(&url);
    let code = "const made = await demo.create_issue({ project: \"CORE\", title: \"approved\" }); return made.title;";
    let (status, _, body) = asking_call(port, json!({"arguments": {"code": code}}));
    assert_eq!(status, 200, "{body}");
    let asked = first_message(&body);
    let state = asked["result"]["requestState"]
        .as_str()
        .unwrap_or_else(|| panic!("no question: {asked}"))
        .to_owned();
    assert!(
        Command::new("kill")
            .args(["-TERM", &server.0.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    wait_for("the drain", || {
        http(port, "GET /readyz HTTP/1.1", "").0 == 503
    });
    // New work is refused; the answer to the parked execution is not, as no
    // other replica holds it.
    let (status, _, _) = asking_call(port, json!({"arguments": {"code": "return 1"}}));
    assert_eq!(status, 503);
    let answer = json!({"requestState": state,
        "inputResponses": {"approval": {"action": "accept", "content": {}}}});
    let (status, _, body) = asking_call(port, answer);
    assert_eq!(status, 200, "{body}");
    let done = first_message(&body);
    assert_eq!(
        done["result"]["structuredContent"]["result"], "approved",
        "{done}"
    );
}

#[test]
fn a_session_being_restored_at_the_cap_serves_all_its_concurrent_requests() {
    let key = std::path::Path::new("0123456789abcdef0123456789abcdef-capped");
    let env = [("CODEMODE_SESSION_KEY", key)];
    let (_a, url_a) = start_serve_env(&[], &env);
    let (_b, url_b) = start_serve_env(&["--max-sessions", "1"], &env);
    let (a, b) = (port_of(&url_a), port_of(&url_b));
    let list = |id: u32| json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {}});
    let (_, on_a) = open_session(a);
    // B has room for this one session: every request that finds it being
    // restored is its own, not another session past the cap.
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..8)
            .map(|id| {
                let on_a = &on_a;
                scope.spawn(move || mcp_post(b, on_a, &list(10 + id)).0)
            })
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    // And the cap still holds for another.
    let (status, _, _) = mcp_post(b, "", &initialize_message());
    assert_eq!(status, 503);
}

#[test]
fn http2_is_not_spoken_past_the_connection_cap() {
    let mut server = serve_http(&["--metrics", "127.0.0.1:0"], &[]);
    let (port, metrics) = (
        server.port("serving MCP at"),
        server.port("serving metrics at"),
    );
    for port in [port, metrics] {
        // HTTP/2 with prior knowledge: its preface and an empty SETTINGS.
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
            .unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        // An HTTP/2 server answers with its SETTINGS frame (type 4).
        assert!(
            answer.len() < 9 || answer[3] != 4,
            "port {port} speaks HTTP/2: {answer:?}"
        );
    }
}

/// A request forwarded to an upstream ends with the session it came in:
/// after a DELETE, the upstream is told to stop reading.
#[test]
fn ending_a_session_cancels_the_requests_it_forwarded() {
    let dir = tempfile::tempdir().unwrap();
    let (spec, log) = (dir.path().join("spec.json"), dir.path().join("log"));
    let slow = json!({"read_seconds": 2,
        "tools": [{"name": "noop", "description": "Nothing.", "inputSchema": {"type": "object"}}],
        "resources": [{"uri": "notes://slow", "name": "slow"}]});
    std::fs::write(&spec, slow.to_string()).unwrap();
    let config = dir.path().join("mcp.json");
    let script = repo().join("tests/python/scripted_server.py");
    let servers = json!({"mcpServers": {"notes": {"command": "python3", "args": [script],
        "env": {"SCRIPTED_SPEC": spec, "SCRIPTED_LOG": log}}}});
    std::fs::write(&config, servers.to_string()).unwrap();
    let (_server, url) = start_serve(&["--config", config.to_str().unwrap(), "--expose-tools"]);
    let port = port_of(&url);
    let (_, with) = open_session(port);
    let read = json!({"jsonrpc": "2.0", "id": 7, "method": "resources/read",
        "params": {"uri": "notes://slow"}});
    let reading = {
        let with = with.clone();
        std::thread::spawn(move || mcp_post(port, &with, &read))
    };
    let logged = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_for("the read to reach the upstream", || {
        logged().contains("notes://slow")
    });
    let (status, _, _) = http(port, &format!("DELETE /mcp HTTP/1.1{with}"), "");
    assert_eq!(status, 200);
    wait_for("the upstream to hear the read was cancelled", || {
        logged().contains("\"cancelled\"")
    });
    let (_, _, body) = reading.join().unwrap();
    assert!(
        !body.contains("contents of"),
        "the read outlived its session: {body}"
    );
}

/// A drain waits for the calls passed through to upstreams as it waits for
/// executions: one running at SIGTERM gets its answer before the replica
/// exits.
#[test]
fn a_drain_lets_a_passed_through_call_finish() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let (mut server, url) = start_serve(&["--config", config.to_str().unwrap(), "--expose-tools"]);
    let port = port_of(&url);
    let (_, with) = open_session(port);
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "hostile__slow", "arguments": {"ms": 1500}}});
    let running = {
        let with = with.clone();
        std::thread::spawn(move || mcp_post(port, &with, &call))
    };
    wait_for("the slow call", || calls_received(&log, "slow") >= 1);
    assert!(
        Command::new("kill")
            .args(["-TERM", &server.0.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let (status, _, body) = running.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("done"),
        "the drain cut a passed-through call: {body}"
    );
    assert!(server.0.wait().unwrap().success());
}
