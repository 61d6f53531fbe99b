//! `codemode serve` over HTTP: its token, its addresses, and rmcp clients at
//! once. (Driven by the official Python SDK and the MCP inspector:
//! `tests/peers/serve.rs`.)

use serde_json::json;

use crate::common::*;

#[test]
fn bearer_token_is_required_when_configured() {
    let (_server, url) = start_serve_env(
        &["--auth-token", "CODEMODE_TEST_SERVE_TOKEN"],
        &[("CODEMODE_TEST_SERVE_TOKEN", std::path::Path::new("s3cret"))],
    );
    let denied = codemode(&[
        "tools",
        "--url",
        &url,
        "--name",
        "cm",
        "--header",
        "Authorization: Bearer wrong",
    ]);
    assert!(!denied.status.success());
    assert!(
        stderr(&denied).contains("server \"cm\" is unavailable"),
        "{}",
        stderr(&denied)
    );
    let allowed = codemode_json(&[
        "tools",
        "--json",
        "--url",
        &url,
        "--name",
        "cm",
        "--header",
        "Authorization: Bearer s3cret",
    ]);
    assert_eq!(allowed["servers"][0]["tools"][0]["name"], "execute");
}

#[test]
fn remote_addresses_need_an_explicit_flag() {
    let output = codemode(&["serve", "--http", "0.0.0.0:0"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("pass --allow-remote"),
        "{}",
        stderr(&output)
    );
    let output = codemode(&[
        "serve",
        "--http",
        "127.0.0.1:0",
        "--auth-token",
        "CODEMODE_TEST_UNSET_VARIABLE",
    ]);
    assert!(
        stderr(&output).contains("CODEMODE_TEST_UNSET_VARIABLE, which is not set"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_http_clients_at_once_each_get_their_own_results() {
    use rmcp::model::CallToolRequestParams;

    let (_server, url) = start_serve(&[]);
    let clients = (0..20).map(|n| {
        let url = url.clone();
        tokio::spawn(async move {
            let client = legacy_http_client(url).await;
            let mut seen = Vec::new();
            for round in 0..3 {
                let id = format!("CORE-{}", (n + round) % 12 + 1);
                let code = format!("const i = await demo.get_issue({{ id: '{id}' }});\nreturn [i.id, {n}, {round}];");
                let args = json!({"code": code}).as_object().unwrap().clone();
                let result = client.call_tool(CallToolRequestParams::new("execute").with_arguments(args)).await.unwrap();
                let value = result.structured_content.unwrap()["result"].clone();
                assert_eq!(value, json!([id, n, round]));
                seen.push(value);
            }
            client.cancel().await.unwrap();
            seen.len()
        })
    });
    let done: Vec<usize> = futures::future::join_all(clients)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(done, vec![3; 20]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_refuses_with_a_clear_error() {
    use rmcp::ServiceExt;
    use rmcp::model::{CallToolRequestParams, ClientConfig};
    use rmcp::transport::StreamableHttpClientTransport;

    let (_server, url) = start_serve(&["--max-concurrent", "1", "--queue", "0"]);
    let connect =
        || ClientConfig::default().serve(StreamableHttpClientTransport::from_uri(url.clone()));
    let execute = |code: &str| {
        CallToolRequestParams::new("execute")
            .with_arguments(json!({"code": code}).as_object().unwrap().clone())
    };
    let (busy, probe) = (connect().await.unwrap(), connect().await.unwrap());
    // One long execution takes the only slot (retrying if the probe holds it)...
    let long = tokio::spawn(async move {
        loop {
            let result = busy
                .call_tool(execute(
                    "const t = Date.now();\nwhile (Date.now() - t < 4000) {}\nreturn 'long';",
                ))
                .await
                .unwrap();
            if result.is_error != Some(true) {
                return result.structured_content.unwrap()["result"].clone();
            }
            // The probe held the slot a moment: try again.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    });
    // ...so another is refused while it runs (polled, so start-up order does not matter).
    let mut refusal = None;
    wait_for_async("a refusal while the slot is taken", async || {
        let result = probe.call_tool(execute("return 'short';")).await.unwrap();
        if result.is_error == Some(true) {
            refusal = Some(result.content[0].as_text().unwrap().text.clone());
        }
        refusal.is_some()
    })
    .await;
    assert_eq!(
        refusal.as_deref(),
        Some(
            "busy: 1 executions are running and 0 are waiting, the most this server queues; retry shortly"
        )
    );
    assert_eq!(long.await.unwrap(), "long");
    let after = probe.call_tool(execute("return 'short';")).await.unwrap();
    assert_eq!(
        after.structured_content.unwrap()["result"],
        "short",
        "served again once the slot is free"
    );
}
