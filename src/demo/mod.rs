//! The built-in demo upstream: a small issue tracker served as a real MCP
//! server with rmcp. `codemode` uses it in-process when no servers are given;
//! `codemode demo-server` serves it over stdio.

mod tools;
mod tracker;

use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::Value;

use tools::Output;
use tracker::Tracker;

/// Tools per `tools/list` page: small on purpose, so clients must follow `nextCursor`.
const PAGE_SIZE: usize = 5;

#[derive(Clone)]
pub struct DemoServer {
    tracker: Arc<Mutex<Tracker>>,
    tools: Arc<Vec<Tool>>,
}

impl DemoServer {
    pub fn new() -> DemoServer {
        let tools = tools::definitions()
            .into_iter()
            .map(|def| {
                serde_json::from_value(def).expect("demo tool definitions are valid MCP tools")
            })
            .collect();
        DemoServer {
            tracker: Arc::new(Mutex::new(Tracker::seeded())),
            tools: Arc::new(tools),
        }
    }
}

/// Serves the demo on `stream` until the client hangs up: how `codemode`
/// uses it in-process when no servers are given (see
/// [`crate::upstream::ServeInProcess`]).
pub fn serve_in_process(
    stream: tokio::io::DuplexStream,
) -> futures::future::BoxFuture<'static, ()> {
    Box::pin(async move {
        match DemoServer::new().serve(stream).await {
            Ok(service) => drop(service.waiting().await),
            Err(error) => tracing::error!("demo server failed to start: {error}"),
        }
    })
}

impl Default for DemoServer {
    fn default() -> Self {
        DemoServer::new()
    }
}

impl ServerHandler for DemoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "codemode-demo",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions("A demo issue tracker with seeded projects, users and issues.")
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let start = match request.and_then(|r| r.cursor) {
            None => 0,
            Some(cursor) => cursor
                .parse::<usize>()
                .ok()
                .filter(|&n| n < self.tools.len())
                .ok_or_else(|| {
                    ErrorData::invalid_params(format!("invalid cursor {cursor}"), None)
                })?,
        };
        let end = (start + PAGE_SIZE).min(self.tools.len());
        let mut result = ListToolsResult::with_all_items(self.tools[start..end].to_vec());
        result.next_cursor = (end < self.tools.len()).then(|| end.to_string());
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if !self.tools.iter().any(|t| t.name == request.name) {
            return Err(ErrorData::invalid_params(
                format!("unknown tool {}", request.name),
                None,
            ));
        }
        let args = Value::Object(request.arguments.unwrap_or_default());
        let outcome = {
            let mut tracker = self
                .tracker
                .lock()
                .map_err(|_| ErrorData::internal_error("tracker state poisoned", None))?;
            tools::call(&mut tracker, &request.name, args)
        };
        let result = match outcome {
            Ok(Output::Structured(value)) => CallToolResult::structured(value),
            Ok(Output::Text(text)) => CallToolResult::success(vec![ContentBlock::text(text)]),
            Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        };
        Ok(CallToolResponse::Complete(result))
    }
}

/// `codemode demo-server`: serve over stdin/stdout until the client leaves.
pub async fn serve_stdio() -> anyhow::Result<()> {
    let service = DemoServer::new()
        .serve((tokio::io::stdin(), tokio::io::stdout()))
        .await?;
    service.waiting().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_rich_enough_to_show_code_mode() {
        let tools = tools::definitions();
        assert!(tools.len() >= 10);
        let with_output = tools
            .iter()
            .filter(|t| t.get("outputSchema").is_some())
            .count();
        assert!(
            with_output * 2 > tools.len(),
            "most tools have an output schema"
        );
        let text = serde_json::to_string(&tools).unwrap();
        assert!(
            text.contains("\"$ref\":\"#/$defs/Comment\""),
            "one recursive $ref"
        );
        assert!(text.contains("\"default\""), "defaults");
        assert!(
            tools.iter().all(|t| t.get("annotations").is_some()),
            "annotations on every tool"
        );
        // Each definition is a valid rmcp Tool (the server panics at start-up otherwise).
        DemoServer::new();
    }
}
