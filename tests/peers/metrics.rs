//! Metrics counted while the official Python SDK's client drives `serve`.

use serde_json::json;

use crate::common::*;

#[test]
fn metrics_count_executions_calls_refusals_and_tokens() {
    let mut server = serve_http(
        &["--deny", "demo.delete_issue", "--metrics", "127.0.0.1:0"],
        &[],
    );
    let address = format!("127.0.0.1:{}", server.port("serving MCP at"));
    let metrics_addr = format!("127.0.0.1:{}", server.port("serving metrics at"));
    let url = format!("http://{address}/mcp");
    crate::serve::python_client(
        &["http", &url],
        json!([
            {"name": "execute", "arguments": {"code": "const p = await demo.list_projects(); return p.projects.length;"}},
            {"name": "execute", "arguments": {"code": "await demo.list_users(); throw new Error('no');"}},
            {"name": "execute", "arguments": {"code": "const name = 'delete_issue'; try { await (demo as any)[name]({ id: 'CORE-1', confirm: true }); } catch (e) {} return 0;"}}
        ]),
    );
    let (status, beside) = http_get(&address, "/metrics", None);
    assert_eq!(status, 200, "{beside}");
    let (status, separate) = http_get(&metrics_addr, "/metrics", None);
    assert_eq!(status, 200);
    for text in [&beside, &separate] {
        assert_eq!(
            metric_sample(text, "codemode_executions_total{outcome=\"ok\"}"),
            2.0,
            "{text}"
        );
        assert_eq!(
            metric_sample(text, "codemode_executions_total{outcome=\"runtime\"}"),
            1.0
        );
        assert_eq!(
            metric_sample(text, "codemode_execution_duration_seconds_count"),
            3.0
        );
        assert_eq!(
            metric_sample(
                text,
                "codemode_tool_calls_total{server=\"demo\",tool=\"list_projects\",outcome=\"ok\"}"
            ),
            1.0
        );
        assert_eq!(
            metric_sample(
                text,
                "codemode_tool_calls_total{server=\"demo\",tool=\"delete_issue\",outcome=\"refused\"}"
            ),
            1.0
        );
        assert_eq!(
            metric_sample(text, "codemode_policy_refusals_total{server=\"demo\"}"),
            1.0
        );
        assert_eq!(
            metric_sample(
                text,
                "codemode_tool_call_duration_seconds_count{server=\"demo\"}"
            ),
            2.0
        );
        assert_eq!(metric_sample(text, "codemode_queue_depth"), 0.0);
        let served = metric_sample(text, "codemode_prompt_tokens{form=\"served\"}");
        let baseline = metric_sample(text, "codemode_prompt_tokens{form=\"baseline\"}");
        // The demo is small: its full declarations cost more than the baseline.
        assert!(served > 0.0 && baseline > 0.0, "{served} {baseline}");
        assert_eq!(
            metric_sample(text, "codemode_prompt_tokens{form=\"saved\"}"),
            baseline - served
        );
    }
    assert_eq!(
        http_get(&metrics_addr, "/mcp", None).0,
        404,
        "only metrics there"
    );
}
