//! An upstream whose tools grow while it runs, served over HTTP in the
//! test's own process: for the tests of tool-list changes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::json;

use crate::common::tools_from_json;

/// An upstream whose `grow` tool adds a tool `extra_N` and announces it.
#[derive(Clone, Default)]
struct Grower {
    extras: Arc<AtomicUsize>,
}

impl ServerHandler for Grower {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
    }

    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut tools = vec![
            json!({"name": "grow", "description": "Add a tool.", "inputSchema": {"type": "object"}}),
        ];
        for n in 1..=self.extras.load(Ordering::SeqCst) {
            tools.push(json!({"name": format!("extra_{n}"), "description": format!("Extra tool {n}."), "inputSchema": {"type": "object"}}));
        }
        Ok(ListToolsResult::with_all_items(tools_from_json(tools)))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let value = if request.name == "grow" {
            let n = self.extras.fetch_add(1, Ordering::SeqCst) + 1;
            let _ = context.peer.notify_tool_list_changed().await;
            n
        } else {
            request
                .name
                .trim_start_matches("extra_")
                .parse()
                .unwrap_or(0)
        };
        Ok(CallToolResponse::Complete(CallToolResult::structured(
            json!(value),
        )))
    }
}

/// The growing server over HTTP on port 0, in this process; its port.
pub(crate) async fn start_grower() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(codemode::server::http::serve_on(
        listener,
        Grower::default(),
        codemode::server::http::HttpOptions::new(addr),
        std::future::pending(),
    ));
    addr.port()
}
