//! OpenTelemetry traces: spans per execution and per tool call, exported as
//! OTLP/HTTP JSON to a collector stub this test runs, with the trace context
//! taken from the request's `_meta` and passed on to the upstream.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::common::*;

/// A collector: answers every POST with `{}` and keeps the bodies.
fn collector() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let kept = kept.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(value) =
                            line.to_ascii_lowercase().strip_prefix("content-length:")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    if let Ok(body) = serde_json::from_slice(&body) {
                        kept.lock().unwrap().push(body);
                    }
                    let _ = writer.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
                    );
                }
            });
        }
    });
    (url, bodies)
}

/// Every exported span, flattened.
fn spans(bodies: &Mutex<Vec<Value>>) -> Vec<Value> {
    bodies
        .lock()
        .unwrap()
        .iter()
        .flat_map(|b| b["resourceSpans"].as_array().cloned().unwrap_or_default())
        .flat_map(|r| r["scopeSpans"].as_array().cloned().unwrap_or_default())
        .flat_map(|s| s["spans"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn attribute(span: &Value, key: &str) -> Value {
    span["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == key)
        .map_or(Value::Null, |a| a["value"]["stringValue"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_follow_the_trace_context_from_the_client_to_the_upstream() {
    use rmcp::model::CallToolRequestParams;
    let (endpoint, bodies) = collector();
    let dir = tempfile::tempdir().unwrap();
    let fixture = conformance_fixture();
    let (mut serve, url) = start_serve_env(
        &[
            "--otlp-endpoint",
            &endpoint,
            "--",
            &fixture,
            "--era",
            "legacy",
        ],
        &[("XDG_CACHE_HOME", dir.path())],
    );
    let client = legacy_http_client(url).await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent = "00f067aa0ba902b7";
    let code = "const seen = await conformance_fixture.test_echo_meta({});\nawait conformance_fixture.test_error_handling({}).catch(() => 0);\nreturn seen;";
    let mut request = CallToolRequestParams::new("execute")
        .with_arguments(json!({"code": code}).as_object().unwrap().clone());
    request.meta = Some(
        json!({"traceparent": format!("00-{trace_id}-{parent}-01")})
            .as_object()
            .unwrap()
            .clone()
            .into(),
    );
    let result = client.peer().call_tool(request).await.unwrap();
    assert_eq!(result.is_error, Some(false), "{result:?}");
    let echoed: Value =
        serde_json::from_value(result.structured_content.unwrap()["result"].clone()).unwrap();
    client.cancel().await.unwrap();
    // Stopping serve flushes its spans.
    let pid = serve.0.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = serve.0.wait().unwrap();
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");

    let spans = spans(&bodies);
    let named = |name: &str| -> Value {
        spans
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no span {name} in {spans:#?}"))
    };
    let execution = named("tools/call execute");
    assert_eq!(execution["traceId"], trace_id);
    assert_eq!(execution["parentSpanId"], parent);
    assert_eq!(execution["kind"], 2, "a server span");
    assert_eq!(attribute(&execution, "mcp.method.name"), "tools/call");
    assert_eq!(attribute(&execution, "gen_ai.tool.name"), "execute");
    let echo = named("tools/call test_echo_meta");
    assert_eq!(echo["kind"], 3, "a client span");
    assert_eq!(echo["traceId"], trace_id);
    assert_eq!(echo["parentSpanId"], execution["spanId"]);
    assert_eq!(attribute(&echo, "gen_ai.tool.name"), "test_echo_meta");
    // The upstream got the call span's context in its request's _meta.
    let span_id = echo["spanId"].as_str().unwrap();
    assert_eq!(
        echoed["traceparent"],
        format!("00-{trace_id}-{span_id}-01"),
        "{echoed}"
    );
    let failed = named("tools/call test_error_handling");
    assert_eq!(attribute(&failed, "error.type"), "tool_error");
}

#[test]
fn run_exports_its_execution_and_calls_before_it_exits() {
    let (endpoint, bodies) = collector();
    let (report, ok) = run_program(
        "await demo.list_projects();\nreturn (await demo.list_users()).users.length;",
        &["--otlp-endpoint", &endpoint],
    );
    assert!(ok, "{report}");
    let spans = spans(&bodies);
    let names: Vec<&str> = spans.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("tools/call "))
            .count(),
        3,
        "{names:?}"
    );
    let root = spans
        .iter()
        .find(|s| s["name"] == "tools/call execute")
        .unwrap();
    assert_eq!(
        root["parentSpanId"], "",
        "no parent without a trace context"
    );
    for call in spans.iter().filter(|s| s["name"] != "tools/call execute") {
        assert_eq!(call["parentSpanId"], root["spanId"]);
        assert_eq!(call["traceId"], root["traceId"]);
    }
}
