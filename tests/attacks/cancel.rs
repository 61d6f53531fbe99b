//! A cancelled execution, or one whose client left, stops making calls.

use super::*;

/// Thirty sequential calls of 100 ms each: three seconds of side effects.
const THIRTY_CALLS: &str =
    "for (let i = 0; i < 30; i++) await hostile.slow({ ms: 100 });\nreturn 'all done';";

#[test]
fn notifications_cancelled_stops_the_execution_and_its_calls() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let trace = dir.path().join("trace.jsonl");
    let mut serve = RawStdio::start(&[
        "--config",
        config.to_str().unwrap(),
        "--trace-file",
        trace.to_str().unwrap(),
    ]);
    let id = serve.send_request(
        "tools/call",
        json!({"name": "execute", "arguments": {"code": THIRTY_CALLS}}),
    );
    wait_for("three calls", || calls_received(&log, "slow") >= 3);
    serve.send(
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": id, "reason": "the user changed their mind"}}),
    );
    // The server goes on serving; the cancelled execution makes no more calls.
    serve.still_serves();
    let made = calls_received(&log, "slow");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        calls_received(&log, "slow"),
        made,
        "no call after the cancellation"
    );
    assert!(made < 30, "{made}");
    wait_for("the trace line", || {
        std::fs::read_to_string(&trace).is_ok_and(|t| t.contains("\"cancelled\""))
    });
    let entry: Value = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["outcome"]["kind"] == "cancelled")
        .unwrap();
    assert_eq!(entry["outcome"]["ok"], false);
    assert!(entry["calls"].as_array().unwrap().len() < 30);
}

#[test]
fn a_client_that_leaves_stops_its_executions() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let mut serve = RawStdio::start(&["--config", config.to_str().unwrap()]);
    serve.send_request(
        "tools/call",
        json!({"name": "execute", "arguments": {"code": THIRTY_CALLS}}),
    );
    wait_for("three calls", || calls_received(&log, "slow") >= 3);
    serve.hang_up();
    wait_for("codemode serve to exit", || {
        serve.process.0.try_wait().unwrap().is_some()
    });
    let made = calls_received(&log, "slow");
    assert!(
        made < 10,
        "{made} of 30 calls were made after the client left"
    );
}

#[test]
fn an_http_client_that_disconnects_mid_execution_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let (_server, url) = start_serve(&["--config", config.to_str().unwrap()]);
    let port: u16 = url
        .trim_end_matches("/mcp")
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // A stateless (2026-07-28) request: its response stream is its only channel.
    let client = std::thread::spawn(move || {
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "execute", "arguments": {"code": THIRTY_CALLS}}});
        let _ = stateless_post_with_timeout(port, &call, Duration::from_millis(600));
    });
    wait_for("three calls", || calls_received(&log, "slow") >= 3);
    client.join().unwrap();
    std::thread::sleep(Duration::from_millis(600));
    let made = calls_received(&log, "slow");
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        calls_received(&log, "slow"),
        made,
        "no call after the client left"
    );
    assert!(made < 30, "{made}");
}
