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
//!
//! To clients of the 2026-07-28 era (`--era modern`, or `--era both`
//! without `initialize`) it also offers the tasks extension (SEP-2663) and
//! the suite's tools for it (`greet`, `slow_compute`, `failing_job`,
//! `protocol_error_job`, `confirm_delete`, `multi_input`,
//! `test_tool_with_task`), run as tasks by rmcp's `TaskManager`.

// The suite still checks logging, sampling and roots, which SEP-2577
// deprecates.
#![allow(deprecated)]

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams,
    CompleteRequestParams, CompleteResult, ContentBlock, DiscoverResult, GetPromptRequestParams,
    GetPromptResponse, GetPromptResult, GetTaskParams, GetTaskResult, Implementation,
    InitializeRequestParams, InitializeResult, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, LoggingMessageNotificationParam, PaginatedRequestParams,
    ProgressNotificationParam, ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, ServerCapabilities, ServerConfig, ServerNotification,
    SetLevelRequestParams, SubscribeRequestParams, SubscriptionFilter, TASKS_EXTENSION_ID, Tool,
    UnsubscribeRequestParams, UpdateTaskParams,
};
use rmcp::service::{RequestContext, SubscriptionContext};
use rmcp::task_manager::TaskManager;
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
    /// How many tools `test_trigger_tool_change` has added.
    added: Arc<AtomicUsize>,
    /// Bumped when the tools change, for `subscriptions/listen` streams.
    changed: Arc<tokio::sync::watch::Sender<u64>>,
    /// Resources `test_touch_resource` changed, for `subscriptions/listen`
    /// streams that watch them.
    touched: tokio::sync::broadcast::Sender<String>,
    /// Receivers of `touched` made before a stream is acknowledged: rmcp
    /// acknowledges it before `listen` runs, and a touch in between would
    /// be missed by a receiver made there. Any one serves any stream.
    ready: Arc<std::sync::Mutex<Vec<tokio::sync::broadcast::Receiver<String>>>>,
    /// The tasks of every connection: a 2026-07-28 client polls a task
    /// with requests of their own, each served by a fresh clone.
    tasks: TaskManager,
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

    /// Whether this request is of the 2026-07-28 era, the one the tasks
    /// extension is offered in.
    fn speaks_tasks(&self, context: &RequestContext<RoleServer>) -> bool {
        matches!(self.era, Era::Modern | Era::Both) && !legacy(context)
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
        {"name": "test_tool_with_logging", "description": "Tests tool that emits log messages during execution", "inputSchema": empty},
        {"name": "test_sampling", "description": "Tests server-initiated sampling (LLM completion request)",
         "inputSchema": {"type": "object", "properties": {"prompt": {"type": "string", "description": "The prompt to send to the LLM"}}, "required": ["prompt"]}},
        {"name": "test_elicitation", "description": "Tests server-initiated elicitation (user input request)",
         "inputSchema": {"type": "object", "properties": {"message": {"type": "string", "description": "The message to show the user"}}, "required": ["message"]}},
        {"name": "test_elicitation_sep1034_defaults", "description": "Tests elicitation with default values per SEP-1034", "inputSchema": empty},
        {"name": "test_elicitation_sep1330_enums", "description": "Tests elicitation with enum schema improvements per SEP-1330", "inputSchema": empty},
        {"name": "json_schema_2020_12_tool", "description": "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)", "inputSchema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "$defs": {"address": {"$anchor": "addressDef", "type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
            "properties": {
                "name": {"type": "string"}, "address": {"$ref": "#/$defs/address"},
                "contactMethod": {"type": "string", "enum": ["phone", "email"]}, "phone": {"type": "string"}, "email": {"type": "string"}
            },
            "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
            "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
            "then": {"required": ["phone"]},
            "else": {"required": ["email"]},
            "additionalProperties": false
        }},
        {"name": "test_streaming_elicitation", "description": "Diagnostic tool validating response progress streams", "inputSchema": empty},
        {"name": "test_missing_capability", "description": "Test tool requiring sampling", "inputSchema": empty},
        {"name": "test_input_required_result_elicitation", "description": "MRTR: returns InputRequiredResult with elicitation request", "inputSchema": empty},
        {"name": "test_input_required_result_sampling", "description": "MRTR: returns InputRequiredResult with sampling request", "inputSchema": empty},
        {"name": "test_input_required_result_list_roots", "description": "MRTR: returns InputRequiredResult with roots/list request", "inputSchema": empty},
        {"name": "test_input_required_result_request_state", "description": "MRTR: returns InputRequiredResult with requestState", "inputSchema": empty},
        {"name": "test_input_required_result_multiple_inputs", "description": "MRTR: returns InputRequiredResult with multiple input requests", "inputSchema": empty},
        {"name": "test_input_required_result_multi_round", "description": "MRTR: multi-round InputRequiredResult workflow", "inputSchema": empty},
        {"name": "test_input_required_result_tampered_state", "description": "MRTR: HMAC-signed requestState integrity test", "inputSchema": empty},
        {"name": "test_input_required_result_capabilities", "description": "MRTR: respects client capabilities in inputRequests", "inputSchema": empty},
        {"name": "test_logging_tool", "description": "Diagnostic logging validator tool", "inputSchema": empty},
        {"name": "test_slow", "description": "Answers after `ms` milliseconds; its start and a cancellation are noted in the --log file",
         "inputSchema": {"type": "object", "properties": {"ms": {"type": "integer"}}}},
        {"name": "test_trigger_tool_change", "description": "Adds a tool and announces the change", "inputSchema": empty},
        {"name": "test_touch_resource", "description": "Announces that a resource changed to those subscribed to it", "inputSchema":
            {"type": "object", "properties": {"uri": {"type": "string"}}, "required": ["uri"]}},
        {"name": "test_param_header", "description": "Returns the Mcp-Param-Region header its HTTP request carried",
         "inputSchema": {"type": "object", "properties": {"region": {"type": "string", "x-mcp-header": "Region"}}, "required": ["region"]}},
        {"name": "test_json_text", "description": "Returns a record as JSON text, with its owner when `full` (no outputSchema)",
         "inputSchema": {"type": "object", "properties": {"full": {"type": "boolean"}}}},
        {"name": "test_echo_meta", "description": "Returns the request's _meta as JSON text", "inputSchema": empty},
        {"name": "test_structured_untyped", "description": "Returns structuredContent without declaring an outputSchema",
         "inputSchema": empty},
    ]);
    serde_json::from_value(definitions).expect("the fixture's tools are valid")
}

fn text(text: &str) -> CallToolResult {
    content(json!([{"type": "text", "text": text}]))
}

/// What asking the client gave: its answer (or why there is none), or the
/// `input_required` round to send it first.
enum Asked {
    Answer(Result<Value, String>),
    Round(CallToolResponse),
}

/// Asks the client for `method` with `params` as its era can be asked: a
/// request of the server's own in the legacy era; in 2026-07-28, where a
/// server sends no requests, an `input_required` round, answered in the
/// call's retry.
async fn ask(
    request: &CallToolRequestParams,
    context: &RequestContext<RoleServer>,
    method: &str,
    params: Value,
) -> Asked {
    let legacy = context
        .peer
        .peer_info()
        .is_some_and(|info| info.protocol_version.has_initialize());
    if !legacy {
        if let Some(answer) = request.input_responses.as_ref().and_then(|r| r.get("ask")) {
            return Asked::Answer(Ok(answer.clone()));
        }
        let round = json!({"resultType": "input_required",
            "inputRequests": {"ask": {"method": method, "params": params}}});
        return Asked::Round(CallToolResponse::InputRequired(
            serde_json::from_value(round).expect("valid input_required"),
        ));
    }
    let answer = if method == "sampling/createMessage" {
        context
            .peer
            .create_message(serde_json::from_value(params).expect("valid sampling request"))
            .await
            .map(|r| serde_json::to_value(r).unwrap_or_default())
    } else {
        context
            .peer
            .create_elicitation(serde_json::from_value(params).expect("valid elicitation"))
            .await
            .map(|r| serde_json::to_value(r).unwrap_or_default())
    };
    Asked::Answer(answer.map_err(|error| error.to_string()))
}

fn legacy(context: &RequestContext<RoleServer>) -> bool {
    context
        .peer
        .peer_info()
        .is_some_and(|info| info.protocol_version.has_initialize())
}

/// One round of a 2026-07-28 tool, asked as a legacy server asks: its
/// requests sent to the client all at once, each answer under its key.
async fn ask_all(
    context: &RequestContext<RoleServer>,
    requests: rmcp::model::InputRequests,
) -> Result<rmcp::model::InputResponses, ErrorData> {
    let peer = &context.peer;
    let asked = requests.into_iter().map(|(key, request)| async move {
        let request = serde_json::to_value(request).unwrap_or_default();
        let params = request["params"].clone();
        let method = request["method"].as_str().unwrap_or_default().to_owned();
        let answer = match method.as_str() {
            "elicitation/create" => peer
                .create_elicitation(serde_json::from_value(params).expect("an elicitation"))
                .await
                .map(|r| serde_json::to_value(r).unwrap_or_default()),
            "sampling/createMessage" => peer
                .create_message(serde_json::from_value(params).expect("a sampling request"))
                .await
                .map(|r| serde_json::to_value(r).unwrap_or_default()),
            _ => peer
                .list_roots()
                .await
                .map(|r| serde_json::to_value(r).unwrap_or_default()),
        };
        answer
            .map(|answer| (key, answer))
            .map_err(|error| ErrorData::internal_error(format!("{method}: {error}"), None))
    });
    futures::future::try_join_all(asked)
        .await
        .map(|answers| answers.into_iter().collect())
}

fn argument(request: &CallToolRequestParams, name: &str) -> String {
    request
        .arguments
        .as_ref()
        .and_then(|args| args.get(name))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn content(blocks: Value) -> CallToolResult {
    let blocks: Vec<ContentBlock> = serde_json::from_value(blocks).expect("valid content");
    CallToolResult::success(blocks)
}

impl ServerHandler for Fixture {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_prompts()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_completions()
            .enable_logging();
        // rmcp answers tasks/* only while this says so; `initialize` takes it
        // out again for the legacy era.
        let capabilities = match self.era {
            Era::Modern | Era::Both => capabilities.enable_tasks(),
            Era::Legacy | Era::Old => capabilities,
        }
        .build();
        ServerConfig::new(capabilities).with_server_info(Implementation::new(
            "codemode-conformance-fixture",
            env!("CARGO_PKG_VERSION"),
        ))
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
        // A session of the legacy era is never given a task.
        let mut result = self.negotiate_initialize(&request)?;
        if let Some(extensions) = &mut result.capabilities.extensions {
            extensions.remove(TASKS_EXTENSION_ID);
        }
        result.capabilities.extensions.take_if(|e| e.is_empty());
        Ok(result)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let resources = json!([
            {"uri": "test://static-text", "name": "static-text", "title": "Static Text Resource", "description": "A static text resource for testing", "mimeType": "text/plain"},
            {"uri": "test://static-binary", "name": "static-binary", "title": "Static Binary Resource", "description": "A static binary resource (image) for testing", "mimeType": "image/png"},
        ]);
        Ok(ListResourcesResult::with_all_items(
            serde_json::from_value(resources).expect("valid resources"),
        ))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let templates = json!([
            {"uriTemplate": "test://template/{id}/data", "name": "template", "title": "Resource Template", "description": "A resource template with parameter substitution", "mimeType": "application/json"},
        ]);
        Ok(ListResourceTemplatesResult::with_all_items(
            serde_json::from_value(templates).expect("valid templates"),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri.as_str();
        let contents = if uri == "test://static-text" {
            json!([{"uri": uri, "mimeType": "text/plain", "text": "This is the content of the static text resource."}])
        } else if uri == "test://static-binary" {
            json!([{"uri": uri, "mimeType": "image/png", "blob": IMAGE_PNG}])
        } else if let Some(id) = uri
            .strip_prefix("test://template/")
            .and_then(|rest| rest.strip_suffix("/data"))
        {
            let text =
                json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")});
            json!([{"uri": uri, "mimeType": "application/json", "text": text.to_string()}])
        } else {
            return Err(ErrorData::resource_not_found(
                format!("no resource {uri}"),
                Some(json!({"uri": uri})),
            ));
        };
        let result: ReadResourceResult =
            serde_json::from_value(json!({"contents": contents})).expect("valid contents");
        Ok(result.into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let prompts = json!([
            {"name": "test_simple_prompt", "title": "Simple Test Prompt", "description": "A simple prompt without arguments"},
            {"name": "test_prompt_with_arguments", "title": "Prompt With Arguments", "description": "A prompt with required arguments",
             "arguments": [{"name": "arg1", "description": "First test argument", "required": true}, {"name": "arg2", "description": "Second test argument", "required": true}]},
            {"name": "test_prompt_with_embedded_resource", "title": "Prompt With Embedded Resource", "description": "A prompt that includes an embedded resource",
             "arguments": [{"name": "resourceUri", "description": "URI of the resource to embed", "required": true}]},
            {"name": "test_prompt_with_image", "title": "Prompt With Image", "description": "A prompt that includes image content"},
            {"name": "test_input_required_result_prompt", "description": "MRTR: prompt that requires elicitation input"},
        ]);
        Ok(ListPromptsResult::with_all_items(
            serde_json::from_value(prompts).expect("valid prompts"),
        ))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let arg = |name: &str| {
            request
                .arguments
                .as_ref()
                .and_then(|args| args.get(name))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        if request.name == "test_input_required_result_prompt" {
            if !legacy(&_context) {
                return Ok(mrtr::prompt(&request));
            }
            let mut request = request.clone();
            loop {
                match mrtr::prompt(&request) {
                    GetPromptResponse::InputRequired(asked) => {
                        let requests = asked.input_requests.unwrap_or_default();
                        request.input_responses = Some(ask_all(&_context, requests).await?);
                        request.request_state = asked.request_state;
                    }
                    done => return Ok(done),
                }
            }
        }
        let messages = match request.name.as_str() {
            "test_simple_prompt" => json!([
                {"role": "user", "content": {"type": "text", "text": "This is a simple prompt for testing."}}
            ]),
            "test_prompt_with_arguments" => json!([
                {"role": "user", "content": {"type": "text", "text": format!("Prompt with arguments: arg1='{}', arg2='{}'", arg("arg1"), arg("arg2"))}}
            ]),
            "test_prompt_with_embedded_resource" => json!([
                {"role": "user", "content": {"type": "resource", "resource": {"uri": arg("resourceUri"), "mimeType": "text/plain", "text": "Embedded resource content for testing."}}},
                {"role": "user", "content": {"type": "text", "text": "Please process the embedded resource above."}}
            ]),
            "test_prompt_with_image" => json!([
                {"role": "user", "content": {"type": "image", "data": IMAGE_PNG, "mimeType": "image/png"}},
                {"role": "user", "content": {"type": "text", "text": "Please analyze the image above."}}
            ]),
            other => {
                return Err(ErrorData::invalid_params(
                    format!("no prompt {other}"),
                    None,
                ));
            }
        };
        let result: GetPromptResult =
            serde_json::from_value(json!({"messages": messages})).expect("valid messages");
        Ok(result.into())
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let note = serde_json::from_value(
            json!({"level": "info", "data": format!("Log level set to: {:?}", request.level)}),
        )
        .expect("a valid log message");
        let _ = context.peer.notify_logging_message(note).await;
        Ok(())
    }

    async fn subscribe(
        &self,
        _request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }

    async fn unsubscribe(
        &self,
        _request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }

    async fn complete(
        &self,
        _request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        Ok(CompleteResult::default())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut tools = tools();
        if self.speaks_tasks(&context) {
            tools.extend(tasks::tools());
        }
        for n in 1..=self.added.load(Ordering::SeqCst) {
            let added = json!({"name": format!("test_added_{n}"), "description": "Added by test_trigger_tool_change", "inputSchema": {"type": "object"}});
            tools.push(serde_json::from_value(added).expect("a valid tool"));
        }
        Ok(ListToolsResult::with_all_items(tools))
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let uris = requested.resource_subscriptions.clone().unwrap_or_default();
        self.ready
            .lock()
            .expect("receivers")
            .push(self.touched.subscribe());
        Some(
            SubscriptionFilter::builder()
                .tools_list_changed()
                .resource_subscriptions(uris)
                .build(),
        )
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let mut changed = self.changed.subscribe();
        let made_before = self.ready.lock().expect("receivers").pop();
        let mut touched = made_before.unwrap_or_else(|| self.touched.subscribe());
        let watched = context
            .accepted()
            .resource_subscriptions
            .clone()
            .unwrap_or_default();
        loop {
            let note = tokio::select! {
                () = context.cancelled() => return Ok(()),
                _ = changed.changed() => {
                    ServerNotification::ToolListChangedNotification(Default::default())
                }
                uri = touched.recv() => match uri {
                    Ok(uri) if watched.contains(&uri) => {
                        ServerNotification::ResourceUpdatedNotification(
                            serde_json::from_value(json!({"method": "notifications/resources/updated", "params": {"uri": uri}}))
                                .expect("a valid update"),
                        )
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return Ok(()),
                },
            };
            if context.sink().send(note).await.is_err() {
                return Ok(());
            }
        }
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
            "test_tool_with_logging" => {
                for text in [
                    "Tool execution started",
                    "Tool processing data",
                    "Tool execution completed",
                ] {
                    let note: LoggingMessageNotificationParam =
                        serde_json::from_value(json!({"level": "info", "data": text}))
                            .expect("valid log message");
                    let _ = context.peer.notify_logging_message(note).await;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                text("Tool with logging executed successfully")
            }
            "test_sampling" => {
                let prompt = argument(&request, "prompt");
                let params = json!({"messages": [{"role": "user", "content": {"type": "text", "text": prompt}}], "maxTokens": 100});
                let asked = match ask(&request, &context, "sampling/createMessage", params).await {
                    Asked::Answer(answer) => answer,
                    Asked::Round(round) => return Ok(round),
                };
                match asked {
                    Ok(answer) => {
                        let said = answer
                            .pointer("/content/text")
                            .or_else(|| answer.pointer("/message/content/text"))
                            .and_then(Value::as_str)
                            .unwrap_or("No response");
                        text(&format!("LLM response: {said}"))
                    }
                    Err(error) => text(&format!("Sampling not supported or error: {error}")),
                }
            }
            "test_elicitation"
            | "test_elicitation_sep1034_defaults"
            | "test_elicitation_sep1330_enums" => {
                let (params, prefix) = match request.name.as_ref() {
                    "test_elicitation" => (
                        json!({"message": argument(&request, "message"), "requestedSchema": {"type": "object",
                            "properties": {"response": {"type": "string", "description": "User's response"}}, "required": ["response"]}}),
                        "User response",
                    ),
                    "test_elicitation_sep1034_defaults" => (
                        json!({"message": "Please review and update the form fields with defaults", "requestedSchema": {"type": "object", "properties": {
                            "name": {"type": "string", "description": "User name", "default": "John Doe"},
                            "age": {"type": "integer", "description": "User age", "default": 30},
                            "score": {"type": "number", "description": "User score", "default": 95.5},
                            "status": {"type": "string", "description": "User status", "enum": ["active", "inactive", "pending"], "default": "active"},
                            "verified": {"type": "boolean", "description": "Verification status", "default": true}
                        }, "required": []}}),
                        "Elicitation completed",
                    ),
                    _ => (
                        json!({"message": "Please select options from the enum fields", "requestedSchema": {"type": "object", "properties": {
                            "untitledSingle": {"type": "string", "description": "Select one option", "enum": ["option1", "option2", "option3"]},
                            "titledSingle": {"type": "string", "description": "Select one option with titles", "oneOf": [
                                {"const": "value1", "title": "First Option"}, {"const": "value2", "title": "Second Option"}, {"const": "value3", "title": "Third Option"}]},
                            "legacyEnum": {"type": "string", "description": "Select one option (legacy)", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"]},
                            "untitledMulti": {"type": "array", "description": "Select multiple options", "minItems": 1, "maxItems": 3, "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
                            "titledMulti": {"type": "array", "description": "Select multiple options with titles", "minItems": 1, "maxItems": 3, "items": {"anyOf": [
                                {"const": "value1", "title": "First Choice"}, {"const": "value2", "title": "Second Choice"}, {"const": "value3", "title": "Third Choice"}]}}
                        }, "required": []}}),
                        "Elicitation completed",
                    ),
                };
                let asked = match ask(&request, &context, "elicitation/create", params).await {
                    Asked::Answer(answer) => answer,
                    Asked::Round(round) => return Ok(round),
                };
                match asked {
                    Ok(answer) => text(&format!(
                        "{prefix}: action={}, content={}",
                        answer["action"].as_str().unwrap_or_default(),
                        answer.get("content").cloned().unwrap_or_else(|| json!({}))
                    )),
                    Err(error) => text(&format!("Elicitation not supported or error: {error}")),
                }
            }
            "json_schema_2020_12_tool" => text(&format!(
                "JSON Schema 2020-12 tool called with: {}",
                Value::Object(request.arguments.clone().unwrap_or_default())
            )),
            "test_missing_capability" => {
                let sampling = context
                    .client_capabilities()
                    .is_some_and(|c| c.sampling.is_some());
                if !sampling {
                    return Err(ErrorData::new(
                        rmcp::model::ErrorCode(-32021),
                        "MissingRequiredClientCapabilityError",
                        Some(json!({"requiredCapabilities": {"sampling": {}}})),
                    ));
                }
                text("Success")
            }
            "test_streaming_elicitation" => text("Streaming complete"),
            "test_slow" => {
                self.note("slow");
                let ms = request
                    .arguments
                    .as_ref()
                    .and_then(|a| a.get("ms"))
                    .and_then(Value::as_u64)
                    .unwrap_or(10_000);
                tokio::select! {
                    () = tokio::time::sleep(std::time::Duration::from_millis(ms)) => text("done"),
                    () = context.ct.cancelled() => {
                        self.note("cancelled");
                        return Err(ErrorData::internal_error("cancelled", None));
                    }
                }
            }
            "test_touch_resource" => {
                let uri = argument(&request, "uri");
                let legacy = context
                    .peer
                    .peer_info()
                    .is_some_and(|info| info.protocol_version.has_initialize());
                if !legacy {
                    let _ = self.touched.send(uri.clone());
                } else {
                    let update =
                        serde_json::from_value(json!({"uri": uri})).expect("a valid update");
                    let _ = context.peer.notify_resource_updated(update).await;
                }
                text(&format!("touched {uri}"))
            }
            "test_trigger_tool_change" => {
                self.added.fetch_add(1, Ordering::SeqCst);
                self.changed.send_modify(|n| *n += 1);
                if self.era != Era::Modern {
                    let _ = context.peer.notify_tool_list_changed().await;
                }
                text("Mutation triggered")
            }
            "test_logging_tool" => {
                if context.meta.log_level().is_some() {
                    let note: LoggingMessageNotificationParam = serde_json::from_value(
                        json!({"level": "info", "data": "Diagnostic trace logging activated"}),
                    )
                    .expect("valid log message");
                    let _ = context.peer.notify_logging_message(note).await;
                }
                text("Logging evaluated")
            }
            name if name.starts_with("test_input_required_result_") => {
                let caps = context.client_capabilities();
                if !legacy(&context) {
                    return mrtr::call(name, &request, caps);
                }
                // A server of the legacy era asks with requests of its own.
                let mut request = request.clone();
                loop {
                    match mrtr::call(name, &request, caps.clone())? {
                        CallToolResponse::InputRequired(asked) => {
                            let requests = asked.input_requests.unwrap_or_default();
                            request.input_responses = Some(ask_all(&context, requests).await?);
                            request.request_state = asked.request_state;
                        }
                        done => return Ok(done),
                    }
                }
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
            "test_echo_meta" => text(&Value::Object(context.meta.0.0.clone()).to_string()),
            name if tasks::offers(name) && self.speaks_tasks(&context) => {
                let declared = context
                    .client_capabilities()
                    .is_some_and(|caps| caps.supports_tasks());
                return tasks::call(&self.tasks, &request, declared).await;
            }
            "test_json_text" => {
                let full = request
                    .arguments
                    .as_ref()
                    .and_then(|a| a.get("full"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let mut record = json!({"id": 7, "tags": ["alpha", "beta"]});
                if full {
                    record["owner"] = json!({"login": "sam-the-owner", "admin": false});
                }
                text(&record.to_string())
            }
            "test_structured_untyped" => {
                let counts = json!({"count": 2, "items": [{"name": "first-item"}, {"name": "second-item", "size": 3}]});
                let mut result = content(json!([{"type": "text", "text": counts.to_string()}]));
                result.structured_content = Some(counts);
                result
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

    async fn get_task(
        &self,
        request: GetTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        self.tasks
            .get_task(&request.task_id)
            .map(GetTaskResult::new)
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.tasks
            .update_task(&request.task_id, request.input_responses)
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.tasks.cancel_task(&request.task_id)
    }
}

/// The 2026-07-28 multi-round-trip tools: each answers `input_required`
/// until the client's retry carries what it asked for.
mod mrtr {
    use std::hash::{Hash, Hasher};

    use rmcp::ErrorData;
    use rmcp::model::{
        CallToolRequestParams, CallToolResponse, ClientCapabilities, GetPromptRequestParams,
        GetPromptResponse, InputResponses,
    };
    use serde_json::{Value, json};

    fn input_required(requests: Value, state: Option<String>) -> Value {
        let mut result = json!({"resultType": "input_required", "inputRequests": requests});
        if let Some(state) = state {
            result["requestState"] = Value::String(state);
        }
        result
    }

    fn elicit(message: &str, field: &str, kind: &str) -> Value {
        json!({"method": "elicitation/create", "params": {"message": message, "requestedSchema": {
            "type": "object", "properties": {field: {"type": kind}}, "required": [field]}}})
    }

    fn sample(prompt: &str, max_tokens: u32) -> Value {
        json!({"method": "sampling/createMessage", "params": {"messages": [
            {"role": "user", "content": {"type": "text", "text": prompt}}], "maxTokens": max_tokens}})
    }

    fn done(text: &str) -> Value {
        json!({"content": [{"type": "text", "text": text}]})
    }

    /// What an elicitation answer says in `field`.
    fn answered(responses: &InputResponses, key: &str, field: &str) -> String {
        responses
            .get(key)
            .and_then(|r| r.pointer(&format!("/content/{field}")))
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .unwrap_or_default()
    }

    fn nonce() -> u128 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    }

    /// A state the client cannot change unnoticed (a keyed hash; a test's
    /// stand-in for an HMAC).
    fn sign(state: &Value) -> String {
        let payload = state.to_string();
        format!("{payload}.{:x}", digest(&payload))
    }

    fn verify(signed: &str) -> Option<Value> {
        let (payload, mac) = signed.rsplit_once('.')?;
        (format!("{:x}", digest(payload)) == mac).then(|| serde_json::from_str(payload).ok())?
    }

    fn digest(payload: &str) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        "codemode-fixture-secret".hash(&mut hasher);
        payload.hash(&mut hasher);
        hasher.finish()
    }

    pub(crate) fn call(
        name: &str,
        request: &CallToolRequestParams,
        caps: Option<ClientCapabilities>,
    ) -> Result<CallToolResponse, ErrorData> {
        let empty = InputResponses::new();
        let responses = request.input_responses.as_ref().unwrap_or(&empty);
        if responses.values().any(|response| !response.is_object()) {
            return Err(ErrorData::invalid_params(
                "each input response must be an object (the client's result)",
                None,
            ));
        }
        let state = request.request_state.as_deref();
        let state_json = state.and_then(|s| serde_json::from_str::<Value>(s).ok());
        let result = match name {
            "test_input_required_result_elicitation" => match responses.get("user_name") {
                Some(_) => done(&format!(
                    "Hello, {}!",
                    answered(responses, "user_name", "name")
                )),
                None => input_required(
                    json!({"user_name": elicit("What is your name?", "name", "string")}),
                    None,
                ),
            },
            "test_input_required_result_sampling" => match responses.get("sample_request") {
                Some(sample) => done(&format!(
                    "Sampling result: {}",
                    sample
                        .pointer("/content/text")
                        .and_then(Value::as_str)
                        .unwrap_or("no response")
                )),
                None => input_required(
                    json!({"sample_request": sample("What is the capital of France?", 100)}),
                    None,
                ),
            },
            "test_input_required_result_list_roots" => match responses.get("roots_request") {
                Some(roots) => done(&format!(
                    "Found {} root(s)",
                    roots
                        .get("roots")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len)
                )),
                None => input_required(
                    json!({"roots_request": {"method": "roots/list", "params": {}}}),
                    None,
                ),
            },
            "test_input_required_result_request_state" => {
                let confirmed = responses
                    .get("confirm")
                    .and_then(|r| r.pointer("/content/ok"))
                    == Some(&Value::Bool(true));
                if confirmed
                    && state_json
                        .as_ref()
                        .is_some_and(|s| s["kind"] == "request-state")
                {
                    done("state-ok: requestState validated")
                } else {
                    let state = json!({"kind": "request-state", "nonce": nonce().to_string()});
                    input_required(
                        json!({"confirm": elicit("Please confirm", "ok", "boolean")}),
                        Some(state.to_string()),
                    )
                }
            }
            "test_input_required_result_multiple_inputs" => {
                let all = ["user_name", "greeting", "client_roots"]
                    .iter()
                    .all(|k| responses.contains_key(*k));
                if all
                    && state_json
                        .as_ref()
                        .is_some_and(|s| s["kind"] == "multiple-inputs")
                {
                    let greeting = responses["greeting"]
                        .pointer("/content/text")
                        .and_then(Value::as_str)
                        .unwrap_or("Hello there!");
                    let roots = responses["client_roots"]
                        .get("roots")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len);
                    done(&format!(
                        "Name: {}; Greeting: {greeting}; Roots: {roots}",
                        answered(responses, "user_name", "name")
                    ))
                } else {
                    let state = json!({"kind": "multiple-inputs", "nonce": nonce().to_string()});
                    input_required(
                        json!({
                            "user_name": elicit("What is your name?", "name", "string"),
                            "greeting": sample("Generate a greeting", 50),
                            "client_roots": {"method": "roots/list", "params": {}}
                        }),
                        Some(state.to_string()),
                    )
                }
            }
            "test_input_required_result_multi_round" => {
                let round = state_json.as_ref().and_then(|s| s["round"].as_u64());
                let step1 = || {
                    let state = json!({"round": 1, "nonce": nonce().to_string()});
                    input_required(
                        json!({"step1": elicit("Step 1: What is your name?", "name", "string")}),
                        Some(state.to_string()),
                    )
                };
                match round {
                    Some(1) if responses.contains_key("step1") => {
                        let state = json!({"round": 2, "name": answered(responses, "step1", "name"), "nonce": nonce().to_string()});
                        input_required(
                            json!({"step2": elicit("Step 2: What is your favorite color?", "color", "string")}),
                            Some(state.to_string()),
                        )
                    }
                    Some(2) if responses.contains_key("step2") => {
                        let state = state_json.as_ref().expect("round 2 has a state");
                        done(&format!(
                            "Multi-round complete for {} who likes {}",
                            state["name"].as_str().unwrap_or("friend"),
                            answered(responses, "step2", "color")
                        ))
                    }
                    _ => step1(),
                }
            }
            "test_input_required_result_tampered_state" => match state {
                Some(signed) => match verify(signed) {
                    None => {
                        return Err(ErrorData::invalid_params(
                            "requestState integrity check failed",
                            None,
                        ));
                    }
                    Some(s) if s["kind"] == "tamper-test" && responses.contains_key("confirm") => {
                        done("integrity-ok: state verified")
                    }
                    Some(_) => input_required(
                        json!({"confirm": elicit("Please confirm", "ok", "boolean")}),
                        Some(sign(
                            &json!({"kind": "tamper-test", "nonce": nonce().to_string()}),
                        )),
                    ),
                },
                None => input_required(
                    json!({"confirm": elicit("Please confirm", "ok", "boolean")}),
                    Some(sign(
                        &json!({"kind": "tamper-test", "nonce": nonce().to_string()}),
                    )),
                ),
            },
            _ => {
                let caps = caps.unwrap_or_default();
                let mut requests = serde_json::Map::new();
                if caps.elicitation.is_some() {
                    requests.insert(
                        "elicit_input".into(),
                        elicit("Elicitation input", "value", "string"),
                    );
                }
                if caps.sampling.is_some() {
                    requests.insert("sample_input".into(), sample("Sample request", 50));
                }
                if !responses.is_empty() {
                    let keys: Vec<&str> = responses.keys().map(String::as_str).collect();
                    done(&format!("capabilities-ok: received {}", keys.join(",")))
                } else if requests.is_empty() {
                    done("No supported capabilities declared")
                } else {
                    input_required(
                        Value::Object(requests),
                        Some(sign(
                            &json!({"kind": "capabilities-test", "nonce": nonce().to_string()}),
                        )),
                    )
                }
            }
        };
        Ok(if result["resultType"] == "input_required" {
            CallToolResponse::InputRequired(
                serde_json::from_value(result).expect("valid input_required"),
            )
        } else {
            CallToolResponse::Complete(serde_json::from_value(result).expect("valid result"))
        })
    }

    pub(crate) fn prompt(request: &GetPromptRequestParams) -> GetPromptResponse {
        match request
            .input_responses
            .as_ref()
            .filter(|r| r.contains_key("user_context"))
        {
            Some(responses) => {
                let context = answered(responses, "user_context", "context");
                let result = json!({"messages": [{"role": "user", "content": {"type": "text", "text": format!("Prompt with context: {context}")}}]});
                GetPromptResponse::Complete(serde_json::from_value(result).expect("valid prompt"))
            }
            None => {
                let result = input_required(
                    json!({"user_context": elicit("What context should the prompt use?", "context", "string")}),
                    None,
                );
                GetPromptResponse::InputRequired(
                    serde_json::from_value(result).expect("valid input_required"),
                )
            }
        }
    }
}

/// The tasks extension's tools (SEP-2663), for 2026-07-28 clients. A tool
/// that supports tasks runs as one when the request declares the extension,
/// and in the call itself (in `input_required` rounds if it asks something)
/// when it does not, unless it requires a task.
mod tasks {
    use std::future::Future;
    use std::time::Duration;

    use rmcp::ErrorData;
    use rmcp::model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ClientCapabilities, ContentBlock,
        CreateTaskResult, InputResponses, Tool,
    };
    use rmcp::task_manager::{TaskContext, TaskExit, TaskManager, TaskOptions};
    use serde_json::{Value, json};

    use super::text;

    /// How a tool takes part in tasks. The 2026-07-28 wire has no per-tool
    /// declaration (rmcp's `Tool` dropped `execution.taskSupport` with
    /// SEP-2663): this is the server's own registration, and each tool's
    /// description says it.
    #[derive(Clone, Copy)]
    enum Support {
        Never,
        Optional,
        Required,
    }

    fn support(name: &str) -> Option<Support> {
        match name {
            "greet" => Some(Support::Never),
            "slow_compute" | "protocol_error_job" | "confirm_delete" | "multi_input" => {
                Some(Support::Optional)
            }
            "failing_job" | "test_tool_with_task" => Some(Support::Required),
            _ => None,
        }
    }

    pub(crate) fn offers(name: &str) -> bool {
        support(name).is_some()
    }

    pub(crate) fn tools() -> Vec<Tool> {
        let empty = json!({"type": "object", "properties": {}});
        let definitions = json!([
            {"name": "greet", "description": "Returns `Hello, {name}!` (never a task)",
             "inputSchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}},
            {"name": "slow_compute", "description": "Answers after `seconds` seconds, at once for 0 (task support: optional)",
             "inputSchema": {"type": "object", "properties": {"seconds": {"type": "number", "minimum": 0}, "label": {"type": "string"}}, "required": ["seconds"]}},
            {"name": "failing_job", "description": "Reports a tool error after a second (task support: required)", "inputSchema": empty},
            {"name": "protocol_error_job", "description": "Fails with a protocol error (task support: optional)", "inputSchema": empty},
            {"name": "confirm_delete", "description": "Asks to confirm deleting `filename` (task support: optional)",
             "inputSchema": {"type": "object", "properties": {"filename": {"type": "string"}}, "required": ["filename"]}},
            {"name": "multi_input", "description": "Asks two questions at once (task support: optional)", "inputSchema": empty},
            {"name": "test_tool_with_task", "description": "Asks the user's name in an input_required round, then greets them from a task (task support: required)",
             "inputSchema": empty},
        ]);
        serde_json::from_value(definitions).expect("the task tools are valid")
    }

    /// Answers `tools/call` for one of the tools above; `declared` says
    /// whether the request declared the tasks extension.
    pub(crate) async fn call(
        manager: &TaskManager,
        request: &CallToolRequestParams,
        declared: bool,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.as_ref();
        let as_task = match support(name) {
            Some(Support::Optional) => declared,
            Some(Support::Required) if !declared => {
                return Err(ErrorData::missing_required_client_capability(
                    ClientCapabilities::builder().enable_tasks().build(),
                ));
            }
            Some(Support::Required) => true,
            Some(Support::Never) | None => false,
        };
        match name {
            "greet" => Ok(text(&format!("Hello, {}!", string(request, "name")?)).into()),
            "slow_compute" => {
                let seconds = request
                    .arguments
                    .as_ref()
                    .and_then(|args| args.get("seconds"))
                    .and_then(Value::as_f64)
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or_else(|| {
                        ErrorData::invalid_params("`seconds` must be a number of seconds", None)
                    })?;
                let work = async move {
                    tokio::time::sleep(seconds).await;
                    text(&format!("Computed in {} s", seconds.as_secs_f64()))
                };
                // An instant result needs no task (SEP-2663's shortcut).
                Ok(if as_task && !seconds.is_zero() {
                    spawn(manager, |_| async { Ok(work.await) })
                } else {
                    work.await.into()
                })
            }
            "failing_job" => Ok(spawn(manager, |_| async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                Ok(CallToolResult::error(vec![ContentBlock::text(
                    "failing_job failed, as it always does",
                )]))
            })),
            "protocol_error_job" => {
                let error = ErrorData::internal_error("protocol_error_job failed on purpose", None);
                if as_task {
                    Ok(spawn(manager, |_| async { Err(TaskExit::Error(error)) }))
                } else {
                    Err(error)
                }
            }
            _ => {
                let asking = asking(name, request)?;
                // `test_tool_with_task` gathers in rounds before its task.
                if as_task && name != "test_tool_with_task" {
                    return Ok(spawn(manager, |context| async move {
                        let answers = gather(&context, asking.requests).await?;
                        Ok((asking.finish)(&answers))
                    }));
                }
                let Some(answers) = answered(request, &asking.requests)? else {
                    return Ok(round(&asking.requests));
                };
                let result = (asking.finish)(&answers);
                Ok(if as_task {
                    spawn(manager, |_| async { Ok(result) })
                } else {
                    result.into()
                })
            }
        }
    }

    /// Runs `work` as a task, which settles `cancelled` when `tasks/cancel`
    /// arrives before it ends.
    fn spawn<W, F>(manager: &TaskManager, work: W) -> CallToolResponse
    where
        W: FnOnce(TaskContext) -> F,
        F: Future<Output = Result<CallToolResult, TaskExit>> + Send + 'static,
    {
        let task = manager.spawn(TaskOptions::default(), |context| {
            let work = work(context.clone());
            Box::pin(async move {
                tokio::select! {
                    () = context.cancelled() => Err(TaskExit::Cancelled),
                    result = work => result,
                }
            })
        });
        CallToolResponse::Task(CreateTaskResult::new(task))
    }

    /// What a tool asks the client, each request under its key, and what it
    /// makes of the answers.
    struct Asking {
        requests: Vec<(&'static str, Value)>,
        finish: Box<dyn FnOnce(&InputResponses) -> CallToolResult + Send>,
    }

    fn asking(name: &str, request: &CallToolRequestParams) -> Result<Asking, ErrorData> {
        Ok(match name {
            "confirm_delete" => {
                let filename = string(request, "filename")?;
                Asking {
                    requests: vec![(
                        "confirm",
                        elicit(&format!("Delete {filename}?"), "confirm", "boolean"),
                    )],
                    finish: Box::new(move |answers| {
                        let yes = said(answers, "confirm", "confirm") == "true";
                        text(&format!(
                            "{} {filename}",
                            if yes { "Deleted" } else { "Kept" }
                        ))
                    }),
                }
            }
            "multi_input" => Asking {
                requests: vec![
                    ("name", elicit("What is your name?", "name", "string")),
                    ("confirm", elicit("Shall we go on?", "confirm", "boolean")),
                ],
                finish: Box::new(|answers| {
                    text(&format!(
                        "Name: {}; confirmed: {}",
                        said(answers, "name", "name"),
                        said(answers, "confirm", "confirm")
                    ))
                }),
            },
            _ => Asking {
                requests: vec![("user_name", elicit("What is your name?", "name", "string"))],
                finish: Box::new(|answers| {
                    text(&format!("Hello, {}!", said(answers, "user_name", "name")))
                }),
            },
        })
    }

    fn elicit(message: &str, field: &str, kind: &str) -> Value {
        json!({"method": "elicitation/create", "params": {"message": message, "requestedSchema": {
            "type": "object", "properties": {field: {"type": kind}}, "required": [field]}}})
    }

    /// What an elicitation answer under `key` says in `field`, as text.
    fn said(answers: &InputResponses, key: &str, field: &str) -> String {
        answers
            .get(key)
            .and_then(|answer| answer.pointer(&format!("/content/{field}")))
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .unwrap_or_default()
    }

    /// Asks all `requests` at once inside a task, each answered by the
    /// client's `tasks/update`.
    async fn gather(
        context: &TaskContext,
        requests: Vec<(&'static str, Value)>,
    ) -> Result<InputResponses, TaskExit> {
        let asked = requests.into_iter().map(|(key, request)| async move {
            let request = serde_json::from_value(request).expect("the fixture asks valid requests");
            let answer = context.request_input(key, request).await?;
            Ok::<_, TaskExit>((key.to_owned(), answer))
        });
        futures::future::try_join_all(asked)
            .await
            .map(|answers| answers.into_iter().collect())
    }

    /// The answers the call's retry carries, once it carries them all.
    fn answered(
        request: &CallToolRequestParams,
        requests: &[(&'static str, Value)],
    ) -> Result<Option<InputResponses>, ErrorData> {
        let Some(responses) = &request.input_responses else {
            return Ok(None);
        };
        if responses.values().any(|response| !response.is_object()) {
            return Err(ErrorData::invalid_params(
                "each input response must be an object (the client's result)",
                None,
            ));
        }
        let all = requests.iter().all(|(key, _)| responses.contains_key(*key));
        Ok(all.then(|| responses.clone()))
    }

    /// An `input_required` round asking `requests`.
    fn round(requests: &[(&'static str, Value)]) -> CallToolResponse {
        let requests: serde_json::Map<String, Value> = requests
            .iter()
            .map(|(key, request)| ((*key).to_owned(), request.clone()))
            .collect();
        let round = json!({"resultType": "input_required", "inputRequests": requests});
        CallToolResponse::InputRequired(
            serde_json::from_value(round).expect("valid input_required"),
        )
    }

    fn string(request: &CallToolRequestParams, name: &str) -> Result<String, ErrorData> {
        request
            .arguments
            .as_ref()
            .and_then(|args| args.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ErrorData::invalid_params(format!("`{name}` must be a string"), None))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut fixture = Fixture {
        era: Era::Both,
        log: None,
        added: Arc::default(),
        changed: Arc::new(tokio::sync::watch::Sender::new(0)),
        touched: tokio::sync::broadcast::Sender::new(16),
        ready: Arc::default(),
        tasks: TaskManager::new(),
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
