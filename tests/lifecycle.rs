//! `codemode serve` over time: upstream tool-list changes reach our clients,
//! crashed upstreams are restarted, and shutdown takes the children with it.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rmcp::model::CallToolRequestParams;
use rmcp::service::NotificationContext;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};

use crate::common::*;
use crate::grower::start_grower;

fn execute(code: &str) -> CallToolRequestParams {
    CallToolRequestParams::new("execute")
        .with_arguments(json!({"code": code}).as_object().unwrap().clone())
}

/// A client that counts `notifications/tools/list_changed`.
#[derive(Clone, Default)]
struct Watcher {
    changes: Arc<AtomicUsize>,
}

impl ClientHandler for Watcher {
    async fn on_tool_list_changed(&self, _: NotificationContext<RoleClient>) {
        self.changes.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_tool_list_changes_reach_our_clients() {
    let port = start_grower().await;
    // `--shapes none`: the description below is the declared one, whatever
    // earlier runs of this test taught about `extra_1`.
    let (_serve, url) = start_serve(&[
        "--shapes",
        "none",
        "--name",
        "grower",
        "--url",
        &format!("http://127.0.0.1:{port}/mcp"),
    ]);

    let watcher = Watcher::default();
    let client = watcher
        .clone()
        .serve(StreamableHttpClientTransport::from_uri(url))
        .await
        .unwrap();
    let before = client.list_all_tools().await.unwrap();
    assert!(
        !before[0]
            .description
            .as_deref()
            .unwrap()
            .contains("extra_1")
    );

    let grown = client
        .call_tool(execute("return await grower.grow();"))
        .await
        .unwrap();
    assert_eq!(grown.structured_content.unwrap()["result"], 1);
    wait_for_async("the list_changed notification", async || {
        watcher.changes.load(Ordering::SeqCst) > 0
    })
    .await;
    assert_eq!(
        watcher.changes.load(Ordering::SeqCst),
        1,
        "one list_changed notification"
    );
    let after = client.list_all_tools().await.unwrap();
    let description = after[0].description.as_deref().unwrap();
    assert!(
        description
            .contains("/** Extra tool 1. */\nfunction extra_1(args?: {}): Promise<unknown>\n"),
        "{description}"
    );
    let called = client
        .call_tool(execute("return await grower.extra_1();"))
        .await
        .unwrap();
    assert_eq!(called.structured_content.unwrap()["result"], 1);
    // Still one, now that the client has listed and called since.
    assert_eq!(watcher.changes.load(Ordering::SeqCst), 1);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_stdio_server_is_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let starts = dir.path().join("starts");
    // The first instance exits right after start-up (it sees only the four
    // start-up messages: `server/discover` and three pages of `tools/list`,
    // with no era remembered in the fresh cache folder); later ones run
    // normally. Each start is logged.
    let script = format!(
        "echo start >> {starts}; if [ $(wc -l < {starts}) -eq 1 ]; then stdbuf -oL head -n 4 | {exe} demo-server; else exec {exe} demo-server; fi",
        starts = starts.display(),
        exe = codemode_path()
    );
    let (_serve, url) = start_serve_env(
        &["--name", "demo", "--", "sh", "-c", &script],
        &[("XDG_CACHE_HOME", dir.path())],
    );
    let client = legacy_http_client(url).await;

    let mut failures = Vec::new();
    let mut answer = Value::Null;
    wait_for_async("serve to answer after the restart", async || {
        let result = client
            .call_tool(execute(
                "return (await demo.list_projects()).projects.length;",
            ))
            .await
            .unwrap();
        let report = result.structured_content.unwrap();
        if report["ok"] == true {
            answer = report["result"].clone();
            return true;
        }
        failures.push(report["error"]["message"].as_str().unwrap().to_owned());
        false
    })
    .await;
    assert_eq!(
        answer,
        json!(3),
        "served again after the restart; failures: {failures:?}"
    );
    for failure in &failures {
        assert!(
            failure.contains("demo.list_projects failed: the demo server has stopped"),
            "{failure}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&starts).unwrap().lines().count(),
        2,
        "started twice"
    );
    client.cancel().await.unwrap();
}

/// Children of `pid` whose command line contains `needle`.
fn children(pid: u32, needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .unwrap_or("");
            let cmdline =
                std::fs::read_to_string(format!("/proc/{child}/cmdline")).unwrap_or_default();
            ppid == pid.to_string() && cmdline.contains(needle)
        })
        .collect()
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

#[test]
fn shutdown_on_stdin_eof_or_sigterm_ends_the_children() {
    for how in ["eof", "sigterm"] {
        let mut process = Background::spawn(
            Command::new(codemode_path())
                .args([
                    "serve",
                    "--name",
                    "demo",
                    "--",
                    codemode_path(),
                    "demo-server",
                ])
                .stdin(Stdio::piped())
                .stdout(Stdio::null()),
        );
        let serve = &mut process.0;
        let pid = serve.id();
        let mut upstream = Vec::new();
        wait_for("the upstream child runs", || {
            upstream = children(pid, "demo-server");
            !upstream.is_empty()
        });
        match how {
            "eof" => drop(serve.stdin.take()),
            _ => assert!(
                Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status()
                    .unwrap()
                    .success()
            ),
        }
        wait_for("codemode serve exits", || {
            serve.try_wait().unwrap().is_some()
        });
        assert!(serve.wait().unwrap().success(), "{how}: a clean exit");
        wait_for("the upstream child is gone", || {
            !upstream.iter().any(|&child| alive(child))
        });
    }
}
