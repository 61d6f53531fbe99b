//! Programs that are small to send and costly to compile.

use serde_json::json;

use super::*;

/// Programs that used to abort the process (deep recursion in swc on a
/// 2 MiB worker thread) or to take gigabytes and tens of seconds.
fn costly_programs() -> Vec<(&'static str, String)> {
    vec![
        (
            "800 nested parentheses",
            format!("return {}1{};", "(".repeat(800), ")".repeat(800)),
        ),
        (
            "1,000 nested brackets",
            format!("return {}{};", "[".repeat(1000), "]".repeat(1000)),
        ),
        (
            "100,000 additions",
            format!("return 1{};", "+1".repeat(100_000)),
        ),
        (
            "unclosed parentheses",
            format!("return {}", "(".repeat(50_000)),
        ),
        (
            // After the syntax error, swc reads the `/` after `if (a)` as a
            // division, so the parentheses are code (it aborted the process).
            "parentheses after a statement head, past a syntax error",
            format!("x = '/'; */ typeof /if (a) /{}", "(".repeat(200_000)),
        ),
        (
            "generic arrows",
            format!("return {}1;", "<T,>() => ".repeat(5_000)),
        ),
        (
            "10 KB of template additions",
            format!("const a = `x`{};\nreturn a.length;", " + `x`".repeat(2_500)),
        ),
        (
            "40 KB of template additions",
            format!(
                "const a = `x`{};\nreturn a.length;",
                " + `x`".repeat(10_000)
            ),
        ),
        (
            "a long member chain",
            format!("return demo{};", ".x".repeat(100_000)),
        ),
    ]
}

#[test]
fn programs_too_deep_to_compile_get_a_limit_error_and_the_server_stays_up() {
    let mut serve = RawStdio::start(&[]);
    serve.still_serves();
    for (what, program) in costly_programs() {
        let report = serve.execute(&program);
        let (kind, message) = failure(&report);
        assert!(
            kind == "limit" || kind == "syntax",
            "{what}: {kind}: {message}"
        );
        if kind == "limit" {
            assert!(message.contains("nests too deeply"), "{what}: {message}");
            assert!(report["error"]["line"].is_number(), "{what}: {report}");
        }
        serve.still_serves();
    }
    // Compiling 40 KB used to take 9 GB; the whole server now stays small.
    let peak = peak_mib(serve.pid());
    assert!(peak < 300, "codemode serve peaked at {peak} MiB");
}

#[test]
fn a_program_over_the_size_limit_is_refused_before_compiling() {
    let mut serve = RawStdio::start(&["--max-program-kb", "16"]);
    let report = serve.execute(&format!("return '{}';", "x".repeat(20_000)));
    let (kind, message) = failure(&report);
    assert_eq!(kind, "limit");
    // The model cannot pass command-line flags; it is told the limit is the server's.
    assert_eq!(
        message,
        "the program is 20010 bytes; at most 16384 bytes are compiled (this server's limit)"
    );
    serve.still_serves();
}

#[test]
fn a_time_out_under_serve_speaks_of_timeout_ms_and_the_servers_maximum() {
    let mut serve = RawStdio::start(&["--timeout-ms", "400"]);
    let lowered = serve.request(
        "tools/call",
        serde_json::json!({"name": "execute", "arguments": {"code": "for (;;) {}", "timeout_ms": 100}}),
    );
    let (kind, message) = failure(&lowered["result"]["structuredContent"]);
    assert_eq!(kind, "timeout");
    assert!(
        message.contains("within 100 ms, its timeout_ms; pass a larger timeout_ms (this server allows up to 400 ms)"),
        "{message}"
    );
    let (_, message) = failure(&serve.execute("for (;;) {}"));
    assert!(
        message.contains("within 400 ms, the most this server allows") && !message.contains("--"),
        "{message}"
    );
    serve.still_serves();
}

#[test]
fn concurrent_costly_programs_over_http_leave_the_server_answering() {
    let (server, url) = start_serve(&[]);
    let port: u16 = url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches("/mcp")
        .parse()
        .unwrap();
    // Six clients send the costliest program at once, stateless (2026-07-28),
    // while another lists tools.
    let program = format!(
        "const a = `x`{};\nreturn a.length;",
        " + `x`".repeat(10_000)
    );
    let attackers: Vec<_> = (0..6)
        .map(|i| {
            let program = program.clone();
            std::thread::spawn(move || {
                let call = json!({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {
                    "name": "execute", "arguments": {"code": program}}});
                let (status, _, body) = stateless_post(port, &call);
                (status, first_message(&body))
            })
        })
        .collect();
    let list = json!({"jsonrpc": "2.0", "id": 100, "method": "tools/list", "params": {}});
    let (status, _, body) = stateless_post(port, &list);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        first_message(&body)["result"]["tools"][0]["name"],
        "execute"
    );
    for attacker in attackers {
        let (status, message) = attacker.join().unwrap();
        assert_eq!(status, 200);
        assert_eq!(
            message["result"]["structuredContent"]["error"]["kind"], "limit",
            "{message}"
        );
    }
    let peak = peak_mib(server.0.id());
    assert!(peak < 400, "codemode serve peaked at {peak} MiB");
}
