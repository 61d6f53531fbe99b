//! `Promise.all` really overlaps calls against the upstream, up to the
//! per-server bound. Measured by the server itself, not by timing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use codemode::engine::executor::{Executor, Settings};
use codemode_sandbox::Limits;
use codemode_typegen::Api;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientConfig, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::json;

use crate::common::tools_from_json;

/// A server whose `gather` call returns once `until` calls are in flight
/// together (or after 5 s), and which remembers the most it ever saw.
#[derive(Clone, Default)]
struct Probe {
    in_flight: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl ServerHandler for Probe {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = vec![
            json!({"name": "gather", "inputSchema": {"type": "object", "properties": {"until": {"type": "integer"}}, "required": ["until"]}}),
            json!({"name": "peak", "inputSchema": {"type": "object"}}),
        ];
        Ok(ListToolsResult::with_all_items(tools_from_json(tools)))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if request.name == "peak" {
            let peak = self.peak.swap(0, Ordering::SeqCst);
            return Ok(CallToolResponse::Complete(CallToolResult::structured(
                json!({"peak": peak}),
            )));
        }
        let until = request
            .arguments
            .and_then(|a| a.get("until")?.as_u64())
            .unwrap_or(1) as usize;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let give_up = Instant::now() + Duration::from_secs(5);
        while self.in_flight.load(Ordering::SeqCst) < until && Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        // Stay in flight a moment so the others see us too.
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(CallToolResponse::Complete(CallToolResult::structured(
            json!({"ok": true}),
        )))
    }
}

async fn probe_executor(
    max_concurrent_calls: usize,
) -> (
    Executor,
    rmcp::service::RunningService<rmcp::RoleClient, ClientConfig>,
) {
    let (ours, theirs) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        let service = Probe::default().serve(theirs).await.unwrap();
        let _ = service.waiting().await;
    });
    let client = ClientConfig::default().serve(ours).await.unwrap();
    let tools = client
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| serde_json::to_value(t).unwrap())
        .collect();
    let api = Api::new(vec![("probe".into(), tools)]);
    let peers = [("probe".to_owned(), client.peer().clone())]
        .into_iter()
        .collect();
    let settings = Settings {
        max_concurrent_calls,
        ..Settings::default()
    };
    (Executor::new(api, peers, settings), client)
}

async fn peak(executor: &Executor, program: &str) -> serde_json::Value {
    let report = executor.execute(program, Limits::default()).await;
    match report.outcome {
        Some(Ok(value)) => value,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promise_all_overlaps_calls_up_to_the_per_server_bound() {
    let (executor, _client) = probe_executor(3).await;
    let all = "await Promise.all(Array.from({ length: 9 }, () => probe.gather({ until: 3 })));\nreturn (await probe.peak()).peak;";
    assert_eq!(
        peak(&executor, all).await,
        json!(3),
        "three at a time, never more"
    );
    let one_by_one = "for (let i = 0; i < 4; i++) await probe.gather({ until: 1 });\nreturn (await probe.peak()).peak;";
    assert_eq!(peak(&executor, one_by_one).await, json!(1));

    let (executor, _client) = probe_executor(16).await;
    let all = "await Promise.all(Array.from({ length: 10 }, () => probe.gather({ until: 10 })));\nreturn (await probe.peak()).peak;";
    assert_eq!(
        peak(&executor, all).await,
        json!(10),
        "all ten at once when the bound allows"
    );
}
