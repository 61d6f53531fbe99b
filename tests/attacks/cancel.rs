//! A cancelled execution, or one whose client left, stops making calls.

use super::*;

/// Thirty sequential calls of 100 ms each: three seconds of side effects.
const THIRTY_CALLS: &str =
    "for (let i = 0; i < 30; i++) await hostile.slow({ ms: 100 });\nreturn 'all done';";

/// Two calls of the upstream, one after the other, through `serve`: the
/// upstream answers in order, so every call serve sent before the second
/// (a call an execution made after the first was answered, too) has reached
/// it and is in its log.
fn upstream_caught_up(serve: &mut RawStdio) {
    let report = serve.execute("await hostile.echo({}); return await hostile.echo({});");
    assert_eq!(report["ok"], true, "{report}");
}

/// [`upstream_caught_up`] through `serve --http` on `port`.
fn upstream_caught_up_over_http(port: u16) {
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "execute", "arguments": {"code": "await hostile.echo({}); return await hostile.echo({});"}}});
    let (status, _, body) = stateless_post(port, &call);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        first_message(&body)["result"]["structuredContent"]["ok"],
        true,
        "{body}"
    );
}

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
    wait_for("the trace line", || {
        std::fs::read_to_string(&trace).is_ok_and(|t| t.contains("\"cancelled\""))
    });
    upstream_caught_up(&mut serve);
    assert_eq!(
        calls_received(&log, "slow"),
        made,
        "no call after the cancellation"
    );
    assert!(made < 30, "{made}");
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
    // The execution ends when serve sees the client gone.
    wait_for("serve to stop the execution", || {
        let (_, metrics) = http_get(&format!("127.0.0.1:{port}"), "/metrics", None);
        metric_sample(&metrics, "codemode_executions_running") == 0.0
    });
    upstream_caught_up_over_http(port);
    let made = calls_received(&log, "slow");
    upstream_caught_up_over_http(port);
    assert_eq!(
        calls_received(&log, "slow"),
        made,
        "no call after the client left"
    );
    assert!(made < 30, "{made}");
}
