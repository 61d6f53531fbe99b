//! Two `codemode serve --http` replicas behind nginx with the shipped
//! `deploy/nginx.conf`: 20 concurrent clients of both lifecycles, one
//! replica killed mid-run, another drained with SIGTERM.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::common::*;
use crate::nginx;

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A replica on `address` (port 0 for any) over the conformance fixture,
/// sharing `key`, its metrics on a port of its own; with its MCP and metrics
/// ports, once it is ready.
fn replica(address: &str, key: &Path, cache: &Path) -> (Background, u16, u16) {
    let fixture = conformance_fixture();
    let mut child = Background::spawn(
        Command::new(codemode_path())
            .args(["serve", "--http", address, "--drain-timeout", "20"])
            .args(["--metrics", "127.0.0.1:0"])
            .arg("--session-key-file")
            .arg(key)
            .args(["--max-concurrent", "64", "--", &fixture, "--era", "legacy"])
            .env("XDG_CACHE_HOME", cache)
            .stdout(Stdio::null()),
    );
    let port = child.port("serving MCP at");
    let metrics = child.port("serving metrics at");
    // Listening is not ready: its upstream may still be starting.
    wait_for("the replica to be ready", || {
        http_get(&format!("127.0.0.1:{port}"), "/readyz", None).0 == 200
    });
    (child, port, metrics)
}

/// Runs `load_client.py` in the background: its outcomes when it ends.
fn load(url: &str, clients: u32, executions: u32, slow_ms: u32) -> std::process::Child {
    let script = repo().join("tests/python/load_client.py");
    Command::new(python())
        .arg(script)
        .args([
            url,
            &clients.to_string(),
            &executions.to_string(),
            &slow_ms.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finished(child: std::process::Child) -> Vec<Value> {
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Every execution that succeeded returned its own number.
fn assert_right_results(outcomes: &[Value]) {
    for o in outcomes.iter().filter(|o| o["ok"] == true) {
        let expected = o["client"].as_u64().unwrap() * 1000 + o["i"].as_u64().unwrap();
        assert_eq!(o["result"], expected.to_string(), "a wrong result: {o}");
    }
}

/// Waits until the replica whose metrics are on `port` runs at least `n`
/// executions; how many it runs then.
fn wait_for_executions(port: u16, n: usize) -> usize {
    let mut running = 0;
    wait_for(
        &format!("the replica to run {n} executions at once"),
        || {
            let (_, text) = http_get(&format!("127.0.0.1:{port}"), "/metrics", None);
            running = metric_sample(&text, "codemode_executions_running") as usize;
            running >= n
        },
    );
    running
}

fn signal(child: &Background, name: &str) {
    let pid = child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args([name, &pid])
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn replicas_behind_nginx_survive_a_killed_replica_and_drain_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("session.key");
    std::fs::write(
        &key,
        "a shared key of more than thirty-two bytes, for the test",
    )
    .unwrap();
    let (mut a, pa, metrics_a) = replica("127.0.0.1:0", &key, dir.path());
    let (b, pb, metrics_b) = replica("127.0.0.1:0", &key, dir.path());
    let nginx = nginx::binary()
        .expect("nginx is missing: scripts/test.sh installs it (apt-get install nginx)");
    let (_nginx, listen) = nginx::start(&nginx, dir.path(), &[pa, pb]);
    let url = format!("http://127.0.0.1:{listen}/mcp");

    // 20 clients, 8 executions each of 300 ms; replica A is killed while it
    // runs at least 4 of them.
    let running = load(&url, 20, 8, 300);
    let in_flight = wait_for_executions(metrics_a, 4);
    let _ = a.0.kill();
    let killed = now();
    let _ = a.0.wait();
    let outcomes = finished(running);
    assert_right_results(&outcomes);
    let failed: Vec<&Value> = outcomes.iter().filter(|o| o["ok"] != true).collect();
    // What A was running fails for its client, at once: nothing runs it
    // again elsewhere (it may have called tools already), and no client is
    // left waiting (the load client's limit is 10 s).
    assert!(
        !failed.is_empty(),
        "{in_flight} executions ran on the killed replica, yet none failed: run again elsewhere"
    );
    for o in &failed {
        assert!(
            o["started"].as_f64().unwrap() < killed,
            "an execution started after the kill failed: {o}"
        );
        assert!(o["ended"].as_f64().unwrap() < killed + 5.0, "{o}");
        assert!(o["error"].is_string(), "{o}");
    }
    let later = outcomes
        .iter()
        .filter(|o| o["started"].as_f64().unwrap() > killed + 0.5)
        .count();
    assert!(later > 40, "executions after the kill: {later}");
    let legacy_after = outcomes
        .iter()
        .filter(|o| o["mode"] == "legacy" && o["started"].as_f64().unwrap() > killed + 0.5)
        .count();
    assert!(legacy_after > 20, "legacy sessions went on: {legacy_after}");
    assert_eq!(
        outcomes.len(),
        20 * 8,
        "every client made all its executions: {failed:#?}"
    );

    // A fresh replica takes A's place; B drains on SIGTERM while executions
    // run on it: they finish, and new ones go to A.
    // It takes over A's address, which nginx names.
    let (a2, _, metrics_a2) = replica(&format!("127.0.0.1:{pa}"), &key, dir.path());
    // nginx tries a failed replica again after the config's fail_timeout:
    // probes through nginx until one reaches the fresh replica.
    wait_for(
        "nginx to send executions to the fresh replica again",
        || {
            let probe = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "execute", "arguments": {"code": "return 1;"}}});
            crate::raw::stateless_post(listen, &probe);
            let (_, text) = http_get(&format!("127.0.0.1:{metrics_a2}"), "/metrics", None);
            text.lines()
                .filter(|l| l.starts_with("codemode_executions_total"))
                .any(|l| !l.ends_with(" 0"))
        },
    );
    let running = load(&url, 10, 4, 1000);
    // B drains while it runs some of these.
    wait_for_executions(metrics_b, 1);
    signal(&b, "-TERM");
    let outcomes = finished(running);
    assert_right_results(&outcomes);
    let lost: Vec<&Value> = outcomes.iter().filter(|o| o["ok"] != true).collect();
    assert!(lost.is_empty(), "a drain lost executions: {lost:#?}");
    assert_eq!(outcomes.len(), 10 * 4);
    let mut b = b;
    let status = b.0.wait().unwrap();
    assert!(status.success(), "B exits cleanly after draining: {status}");
    drop(a2);
}
