//! Prometheus metrics of `serve`: at `/metrics` beside `/mcp` (behind the
//! same token) and at a separate `--metrics ADDR`, counting what the
//! executions did.

use crate::common::*;

#[test]
fn metrics_beside_mcp_need_the_token() {
    let (_server, url) = start_serve_env(
        &["--auth-token", "CODEMODE_TEST_METRICS_TOKEN"],
        &[(
            "CODEMODE_TEST_METRICS_TOKEN",
            std::path::Path::new("s3cret"),
        )],
    );
    let address = url.trim_start_matches("http://").trim_end_matches("/mcp");
    assert_eq!(http_get(address, "/metrics", None).0, 401);
    let (status, text) = http_get(address, "/metrics", Some("s3cret"));
    assert_eq!(status, 200);
    assert!(
        text.contains("# TYPE codemode_queue_rejections counter"),
        "{text}"
    );
    // A remote metrics address without --allow-remote is refused at start.
    let refused = codemode(&["serve", "--metrics", "0.0.0.0:9464"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("--metrics 0.0.0.0:9464 is reachable from other machines"),
        "{}",
        stderr(&refused)
    );
}
