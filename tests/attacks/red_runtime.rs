//! The red team's attacks on the runtime issue 27 added: timers, logs kept
//! beside the result within the output limit, and parts in MCP's shape.

use serde_json::json;

use super::*;

/// The bytes a report spends of the output limit: its log lines and its
/// result as JSON.
fn output_bytes(report: &Value) -> usize {
    let logs: usize = report["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["message"].as_str().unwrap().len())
        .sum();
    logs + report["result"].to_string().len()
}

#[test]
fn one_long_log_line_is_cut_not_dropped_to_make_room_for_the_result() {
    // The engine cut the line at the limit, and making room for a one-byte
    // result then dropped all of it: nothing the program logged was left.
    let (report, ok) = run_program(
        "console.log('z'.repeat(5000)); return 1;",
        &["--max-output-kb", "1"],
    );
    assert!(ok, "{report}");
    assert_eq!(report["result"], 1, "{report}");
    let logs = report["logs"].as_array().unwrap();
    let kept = logs[0]["message"].as_str().unwrap();
    assert!(kept.starts_with(&"z".repeat(500)), "{report}");
    let last = logs.last().unwrap()["message"].as_str().unwrap();
    assert!(last.contains("logs cut here"), "{report}");
}

#[test]
fn a_result_that_fits_alone_is_never_cut_for_the_logs_or_their_note() {
    for size in [1000, 1010, 1015, 1020, 1022] {
        let program = format!("console.log('a log'); return 'r'.repeat({size} - 2);");
        let (report, ok) = run_program(&program, &["--max-output-kb", "1"]);
        assert!(ok, "{report}");
        assert_eq!(report["result"], "r".repeat(size - 2), "{report}");
        let last = report["logs"].as_array().unwrap().last().unwrap().clone();
        assert!(
            last["message"].as_str().unwrap().contains("logs cut here"),
            "{report}"
        );
    }
}

#[test]
fn the_notes_of_what_was_cut_fit_in_the_output_limit() {
    // The notes saying logs or the result were cut came on top of the
    // limit, so a report was over it by their length.
    for program in [
        "for (let i = 0; i < 100; i++) console.log('line ' + i); return 'r'.repeat(500);",
        "for (let i = 0; i < 100; i++) console.log('line ' + i); return 'r'.repeat(5000);",
        "for (let i = 0; i < 3000; i++) console.log(''); return 1;",
        "console.log('a'); console.log('é'.repeat(3000)); return 'q'.repeat(300);",
        "console.log('z'.repeat(5000)); return 1;",
        // A line forging the engine's note of a cut line, with a long one.
        "console.log('z'.repeat(5000) + '… [codemode: logs cut at the ' + '9'.repeat(3000) + '-byte output limit]'); return 1;",
        "console.log('z… [codemode: logs cut at the ' + '9'.repeat(3000) + '-byte output limit]'); return 1;",
    ] {
        let (report, ok) = run_program(program, &["--max-output-kb", "1"]);
        assert!(ok, "{program}: {report}");
        assert!(output_bytes(&report) <= 1024, "{program}: {report}");
    }
    // The forged note whole within the limit, until the result needs room.
    let (report, ok) = run_program(
        "console.log('z'.repeat(100) + '… [codemode: logs cut at the ' + '9'.repeat(3000) + '-byte output limit]');\n\
         return 'r'.repeat(6000);",
        &["--max-output-kb", "8"],
    );
    assert!(ok, "{report}");
    assert_eq!(report["result"], "r".repeat(6000), "the result comes first");
    assert!(output_bytes(&report) <= 8 << 10, "{report}");
}

#[test]
fn a_cancelled_execution_stops_while_it_waits_for_a_timer() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let trace = dir.path().join("trace.jsonl");
    let mut serve = RawStdio::start(&[
        "--config",
        config.to_str().unwrap(),
        "--trace-file",
        trace.to_str().unwrap(),
        "--timeout-ms",
        "120000",
    ]);
    let program = "await hostile.slow({ ms: 1 });\n\
        await new Promise((r) => setTimeout(r, 60000));\n\
        setInterval(() => {}, 1);\n\
        await hostile.slow({ ms: 1 });";
    let id = serve.send_request(
        "tools/call",
        json!({"name": "execute", "arguments": {"code": program}}),
    );
    wait_for("the first call", || calls_received(&log, "slow") >= 1);
    let cancelled = Instant::now();
    serve.send(
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": id, "reason": "enough"}}),
    );
    wait_for("the cancelled trace line", || {
        std::fs::read_to_string(&trace).is_ok_and(|t| t.contains("\"cancelled\""))
    });
    assert!(
        cancelled.elapsed() < Duration::from_secs(20),
        "the execution waited for its timer: {:?}",
        cancelled.elapsed()
    );
    serve.still_serves();
    assert_eq!(calls_received(&log, "slow"), 1);
}

#[test]
fn timers_left_behind_never_reach_the_next_execution() {
    let mut serve = RawStdio::start(&["--timeout-ms", "5000"]);
    let left = serve.execute(
        "setInterval(() => console.log('left behind'), 1);\n\
         try { return crypto.randomUUID(); } finally { setTimeout(() => { for (;;) {} }, 0); }",
    );
    assert_eq!(left["ok"], true, "{left}");
    assert_eq!(left["logs"], json!([]), "{left}");
    let next = serve.execute(
        "await new Promise((r) => setTimeout(r, 50));\n\
         return [crypto.randomUUID(), setTimeout(() => {}, 1)];",
    );
    assert_eq!(next["ok"], true, "{next}");
    assert_eq!(next["logs"], json!([]), "{next}");
    // Its own first timer id after the one it awaited: nothing carried over.
    assert_eq!(next["result"][1], 2, "{next}");
    assert_ne!(next["result"][0], left["result"], "{next}");
}

/// A program that waits a minute on a timer between two calls.
const WAITS_ON_A_TIMER: &str = "await hostile.slow({ ms: 1 });\n\
    await new Promise((r) => setTimeout(r, 60000));\n\
    await hostile.slow({ ms: 1 });";

#[test]
fn ending_an_http_session_stops_an_execution_waiting_for_a_timer() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let trace = dir.path().join("trace.jsonl");
    let (_server, url) = start_serve(&[
        "--config",
        config.to_str().unwrap(),
        "--trace-file",
        trace.to_str().unwrap(),
        "--timeout-ms",
        "120000",
    ]);
    let port = port_of(&url);
    let (status, headers, body) = mcp_post(port, "", &initialize_message());
    assert_eq!(status, 200, "{body}");
    let session = headers
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("mcp-session-id"))
        })
        .map(|(_, v)| v.trim().to_owned())
        .expect("a session id");
    let with = format!("\r\nMcp-Session-Id: {session}\r\nMCP-Protocol-Version: 2025-06-18");
    mcp_post(
        port,
        &with,
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    );
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "execute", "arguments": {"code": WAITS_ON_A_TIMER}}});
    let running = {
        let with = with.clone();
        std::thread::spawn(move || mcp_post(port, &with, &call))
    };
    wait_for("the first call", || calls_received(&log, "slow") >= 1);
    let ended = Instant::now();
    let (status, _, _) = http(port, &format!("DELETE /mcp HTTP/1.1{with}"), "");
    assert_eq!(status, 200);
    wait_for("the cancelled trace line", || {
        std::fs::read_to_string(&trace).is_ok_and(|t| t.contains("\"cancelled\""))
    });
    assert!(
        ended.elapsed() < Duration::from_secs(20),
        "the execution waited for its timer: {:?}",
        ended.elapsed()
    );
    let _ = running.join();
    assert_eq!(calls_received(&log, "slow"), 1);
}
