//! The official Python SDK's `subscriptions/listen` client hears of tool
//! changes through `serve`.

use serde_json::{Value, json};

use crate::common::*;
use crate::grower::start_grower;

/// The official Python SDK's `subscriptions/listen` client against `serve`
/// in front of a [`Grower`]: `target` is how it reaches serve.
fn listen_with_python(target: &[&str]) -> Value {
    let output = python_script("listen_client.py", target, b"return await grower.grow();");
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2026_client_hears_of_tool_changes_by_subscriptions_listen() {
    let port = start_grower().await;
    let grower = format!("http://127.0.0.1:{port}/mcp");
    let (_serve, url) = start_serve(&["--name", "grower", "--url", &grower]);
    let serve_stdio = [
        "stdio",
        codemode_path(),
        "serve",
        "--name",
        "grower",
        "--url",
        &grower,
    ];
    for (target, grown) in [(&["http", url.as_str()][..], 1), (&serve_stdio[..], 2)] {
        let seen = tokio::task::block_in_place(|| listen_with_python(target));
        assert_eq!(seen["protocol"], "2026-07-28", "{seen}");
        // Only tool-list changes can happen; the prompt filter is refused.
        assert_eq!(seen["honored"], json!({"toolsListChanged": true}), "{seen}");
        assert_eq!(seen["result"]["result"], grown, "{seen}");
        assert_eq!(seen["events"], json!(["ToolsListChanged"]), "{seen}");
        let description = seen["tools"][0].as_str().unwrap();
        assert!(
            description.contains(&format!("function extra_{grown}(")),
            "{description}"
        );
    }
}
