//! A test upstream over stdio with the MCP conformance suite's reference
//! tools, so `codemode serve --expose-tools` in front of it can be checked
//! by `conformance server`, and so the tests have a server of either era.
//!
//! ```text
//! conformance_fixture [--era both|modern|legacy|old] [--log FILE] [--http ADDR]
//! ```
//!
//! `--era modern` speaks only 2026-07-28 (no `initialize`); `--era legacy`
//! answers `server/discover` as an unknown method, like servers written
//! before 2026; `--era old` supports only versions before 2026-07-28, so
//! `server/discover` is refused as an unsupported version (what rmcp does for
//! a server narrowed to those). `--log FILE` appends `discover` or `initialize` to FILE for
//! each handshake request, so a test can see how it was reached. `--http
//! ADDR` serves streamable HTTP instead of stdio and prints the endpoint's
//! URL on stdout (`--http 127.0.0.1:0` picks a free port).

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, DiscoverResult,
    Implementation, InitializeRequestParams, InitializeResult, ListToolsResult,
    PaginatedRequestParams, ProgressNotificationParam, ProtocolVersion, ServerCapabilities,
    ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};

const IMAGE_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const AUDIO_WAV: &str = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQIAAACAgA==";

#[derive(Clone, Copy, PartialEq)]
enum Era {
    Both,
    Modern,
    Legacy,
    Old,
}

#[derive(Clone)]
struct Fixture {
    era: Era,
    log: Option<PathBuf>,
}

impl Fixture {
    fn note(&self, what: &str) {
        if let Some(path) = &self.log {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("the --log file opens");
            writeln!(file, "{what}").expect("the --log file is writable");
        }
    }
}

fn tools() -> Vec<Tool> {
    let empty = json!({"type": "object", "properties": {}});
    let definitions = json!([
        {"name": "test_simple_text", "description": "Tests simple text content response", "inputSchema": empty},
        {"name": "test_image_content", "description": "Tests image content response", "inputSchema": empty},
        {"name": "test_audio_content", "description": "Tests audio content response", "inputSchema": empty},
        {"name": "test_embedded_resource", "description": "Tests embedded resource content response", "inputSchema": empty},
        {"name": "test_multiple_content_types", "description": "Tests response with multiple content types (text, image, resource)", "inputSchema": empty},
        {"name": "test_tool_with_progress", "description": "Tests tool that reports progress notifications", "inputSchema": empty},
        {"name": "test_error_handling", "description": "Tests error response handling", "inputSchema": empty},
        {"name": "test_param_header", "description": "Returns the Mcp-Param-Region header its HTTP request carried",
         "inputSchema": {"type": "object", "properties": {"region": {"type": "string", "x-mcp-header": "Region"}}, "required": ["region"]}},
    ]);
    serde_json::from_value(definitions).expect("the fixture's tools are valid")
}

fn content(blocks: Value) -> CallToolResult {
    let blocks: Vec<ContentBlock> = serde_json::from_value(blocks).expect("valid content");
    CallToolResult::success(blocks)
}

impl ServerHandler for Fixture {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_server_info(
            Implementation::new("codemode-conformance-fixture", env!("CARGO_PKG_VERSION")),
        )
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        match self.era {
            Era::Modern => Cow::Borrowed(&[ProtocolVersion::V_2026_07_28]),
            Era::Old => Cow::Borrowed(&[
                ProtocolVersion::V_2025_11_25,
                ProtocolVersion::V_2025_06_18,
                ProtocolVersion::V_2025_03_26,
                ProtocolVersion::V_2024_11_05,
            ]),
            Era::Both | Era::Legacy => Cow::Borrowed(ProtocolVersion::KNOWN_VERSIONS),
        }
    }

    async fn discover(
        &self,
        _context: RequestContext<RoleServer>,
    ) -> Result<DiscoverResult, ErrorData> {
        self.note("discover");
        if self.era == Era::Legacy {
            return Err(ErrorData::method_not_found::<
                rmcp::model::DiscoverRequestMethod,
            >());
        }
        Ok(DiscoverResult::from_server_info(
            self.supported_protocol_versions().into_owned(),
            self.get_info(),
        ))
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        self.note("initialize");
        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let result = match request.name.as_ref() {
            "test_simple_text" => content(json!([
                {"type": "text", "text": "This is a simple text response for testing."}
            ])),
            "test_image_content" => content(json!([
                {"type": "image", "data": IMAGE_PNG, "mimeType": "image/png"}
            ])),
            "test_audio_content" => content(json!([
                {"type": "audio", "data": AUDIO_WAV, "mimeType": "audio/wav"}
            ])),
            "test_embedded_resource" => content(json!([
                {"type": "resource", "resource": {"uri": "test://embedded-resource", "mimeType": "text/plain", "text": "This is an embedded resource content."}}
            ])),
            "test_multiple_content_types" => content(json!([
                {"type": "text", "text": "Multiple content types test:"},
                {"type": "image", "data": IMAGE_PNG, "mimeType": "image/png"},
                {"type": "resource", "resource": {"uri": "test://mixed-content-resource", "mimeType": "application/json", "text": "{\"test\":\"data\",\"value\":123}"}}
            ])),
            "test_tool_with_progress" => {
                let token = context.meta.get_progress_token();
                if let Some(token) = &token {
                    for progress in [0.0, 50.0, 100.0] {
                        let note = ProgressNotificationParam::new(token.clone(), progress)
                            .with_total(100.0)
                            .with_message(format!("Completed step {progress} of 100"));
                        let _ = context.peer.notify_progress(note).await;
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                }
                let token = token.map_or_else(
                    || "0".to_owned(),
                    |t| match t.0 {
                        rmcp::model::NumberOrString::Number(n) => n.to_string(),
                        rmcp::model::NumberOrString::String(s) => s.to_string(),
                    },
                );
                content(json!([{"type": "text", "text": token}]))
            }
            "test_param_header" => {
                let seen = context
                    .extensions
                    .get::<http::request::Parts>()
                    .and_then(|parts| parts.headers.get("mcp-param-region"))
                    .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
                content(
                    json!([{"type": "text", "text": seen.unwrap_or_else(|| "(no header)".into())}]),
                )
            }
            "test_error_handling" => {
                let blocks = vec![ContentBlock::text(
                    "This tool intentionally returns an error for testing",
                )];
                CallToolResult::error(blocks)
            }
            other => {
                return Err(ErrorData::invalid_params(
                    format!("unknown tool {other}"),
                    None,
                ));
            }
        };
        Ok(result.into())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut fixture = Fixture {
        era: Era::Both,
        log: None,
    };
    let mut http = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--era" => {
                fixture.era = match args.next().as_deref() {
                    Some("both") => Era::Both,
                    Some("modern") => Era::Modern,
                    Some("legacy") => Era::Legacy,
                    Some("old") => Era::Old,
                    other => {
                        return Err(format!(
                            "--era takes both, modern, legacy or old, not {other:?}"
                        )
                        .into());
                    }
                }
            }
            "--http" => http = Some(args.next().ok_or("--http needs an address")?),
            "--log" => fixture.log = Some(args.next().ok_or("--log needs a file")?.into()),
            other => {
                return Err(format!("unknown argument {other}; see the file's doc comment").into());
            }
        }
    }
    if let Some(addr) = http {
        return serve_http(fixture, &addr).await;
    }
    let service = fixture.serve(rmcp::transport::stdio()).await?;
    service.waiting().await?;
    Ok(())
}

async fn serve_http(fixture: Fixture, addr: &str) -> Result<(), Box<dyn std::error::Error>> {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService,
    };
    let service = StreamableHttpService::new(
        move || Ok(fixture.clone()),
        std::sync::Arc::new(LocalSessionManager::default()),
        // Plain JSON answers: rmcp 3.9's client misses the `x-mcp-header`
        // annotations of a `tools/list` answered as an event stream about one
        // time in six (it skips its tool cache for messages drained when the
        // stream ends), which would make the header test flaky.
        StreamableHttpServerConfig::default().with_json_response(true),
    );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("http://{}/mcp", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let service = hyper_util::service::TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
