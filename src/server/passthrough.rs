//! `serve --expose-tools`: every upstream tool listed beside `execute`, and
//! the upstreams' prompts and resources, forwarded as they are. A model can
//! make a single call directly and write code for the rest.
//!
//! Names are the upstream's own when one server is selected; with several,
//! tools and prompts are prefixed with the server's namespace
//! (`github__create_issue`): `__` because clients such as Claude's and
//! OpenAI's accept only letters, digits, `_` and `-` in tool names.
//! Policy applies as it does to programs: only the tools of the API (what
//! `--allow`, `--deny` and `--read-only` left in it) are exposed.
//!
//! SEP-2577 deprecates logging, and 2026-07-28 replaced `resources/subscribe`
//! with `subscriptions/listen`; upstreams of the legacy era still use them.
#![allow(deprecated)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use codemode_typegen::Api;
use futures::StreamExt;
use rmcp::handler::client::progress::ProgressDispatcher;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, CallToolResult, ClientRequest,
    CompleteRequestParams, CompleteResult, GetPromptRequest, GetPromptRequestParams,
    GetPromptResponse, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ProgressNotificationParam, Prompt, ReadResourceRequestParams, ReadResourceResponse, Reference,
    RequestMetaObject, ResultType, ServerCapabilities, ServerNotification, ServerResult,
    SetLevelRequestParams, SubscribeRequestParams, SubscriptionFilter, Tool,
    UnsubscribeRequestParams,
};
use rmcp::service::{PeerRequestOptions, RequestContext, ServiceError};
use rmcp::{ErrorData, Peer, RoleClient, RoleServer};

use crate::governance::policy::Refusals;
use crate::upstream::human::{self, MAX_INPUT_ROUNDS};
use crate::upstream::redact::{scrub, scrub_value};
use crate::upstream::{Era, Human, Serving, Upstreams};

/// Between a namespace and an upstream name when several servers are exposed.
const SEPARATOR: &str = "__";

/// What the exposed upstreams offer, so what codemode declares.
#[derive(Clone, Copy, Debug, Default)]
pub struct Offers {
    pub prompts: bool,
    pub resources: bool,
    pub subscriptions: bool,
    pub completions: bool,
    pub logging: bool,
}

fn subscribable(capabilities: &ServerCapabilities) -> bool {
    capabilities
        .resources
        .as_ref()
        .is_some_and(|r| r.subscribe == Some(true))
}

/// A `subscriptions/listen` stream held open for a client's
/// `resources/subscribe`, closed when dropped.
struct Listening(tokio::task::JoinHandle<()>);

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// An upstream that can be called.
#[derive(Clone)]
struct Reach {
    server: String,
    /// It speaks 2026-07-28, where resources are watched with
    /// `subscriptions/listen`.
    modern: bool,
    /// Its namespace in the API, the prefix of its names.
    ident: String,
    peer: Peer<RoleClient>,
    progress: ProgressDispatcher,
    capabilities: ServerCapabilities,
}

/// The exposed tools and where each goes.
pub struct Exposed {
    tools: Vec<Tool>,
    /// Exposed tool name → (upstream index, upstream tool name).
    routes: HashMap<String, (usize, String)>,
    upstreams: Vec<Reach>,
    prefixed: bool,
    /// Resource URI → the 2026-07-28 stream of its updates.
    listening: Mutex<HashMap<String, Listening>>,
    /// Where requests in flight are told, so that what an upstream asks
    /// during a read or a list reaches no other client's call.
    callers: Option<Arc<super::Callers>>,
}

impl Exposed {
    /// `reserved` are codemode's own tool names, which an upstream tool of
    /// the same name must not shadow: it is prefixed instead. Tools whose
    /// calls need approval are not exposed: only `execute` asks before them.
    /// A server policy withholds (see [`Refusals::withholds`]) is not
    /// reached at all: its prompts and resources are not forwarded either.
    pub fn new(
        api: &Api,
        upstreams: &Upstreams,
        reserved: &[&str],
        approvals: &crate::governance::policy::Approvals,
        refusals: &Refusals,
    ) -> Exposed {
        let reach = upstreams.reach();
        let namespaces: Vec<_> = api
            .namespaces()
            .iter()
            .filter(|ns| reach.contains_key(ns.server()) && !refusals.withholds(ns.server()))
            .collect();
        let prefixed = namespaces.len() > 1;
        let mut exposed = Exposed {
            tools: Vec::new(),
            routes: HashMap::new(),
            upstreams: Vec::new(),
            prefixed,
            listening: Mutex::default(),
            callers: None,
        };
        for ns in namespaces {
            let (peer, progress, capabilities) = reach[ns.server()].clone();
            let index = exposed.upstreams.len();
            let modern = peer
                .peer_info()
                .is_some_and(|info| Era::of(&info.protocol_version) == Era::Modern);
            exposed.upstreams.push(Reach {
                server: ns.server().to_owned(),
                modern,
                ident: ns.ident().to_owned(),
                peer,
                progress,
                capabilities,
            });
            for function in ns.functions() {
                let tool = function.tool();
                if approvals.reason(ns.server(), tool).is_some() {
                    tracing::info!(server = %ns.server(), %tool, "not exposed: its calls need approval, which execute asks for");
                    continue;
                }
                let name = if prefixed || reserved.contains(&tool) {
                    format!("{}{SEPARATOR}{tool}", ns.ident())
                } else {
                    tool.to_owned()
                };
                // A name a server chose to match another's prefixed or
                // renamed one (`notes__execute`) would list two tools as
                // one, which clients refuse, and route to only one.
                if exposed.routes.contains_key(&name) {
                    tracing::warn!(server = %ns.server(), %tool, %name, "not exposed: another tool is exposed under that name; execute reaches it");
                    continue;
                }
                let mut raw = function.raw().clone();
                raw["name"] = serde_json::Value::String(name.clone());
                let Ok(definition) = serde_json::from_value::<Tool>(raw) else {
                    tracing::warn!(server = %ns.server(), %tool, "not exposed: not a valid MCP tool definition");
                    continue;
                };
                exposed.tools.push(definition);
                exposed.routes.insert(name, (index, tool.to_owned()));
            }
        }
        exposed
    }

    /// Tells `callers` of the requests in flight that ask no client.
    pub fn tracked_by(mut self, callers: Arc<super::Callers>) -> Exposed {
        self.callers = Some(callers);
        self
    }

    /// Holds `server` as asked on no client's behalf while the guard lives.
    fn for_nobody(&self, server: &str) -> Serving {
        self.callers
            .as_ref()
            .map(|callers| callers.asking_nobody(server))
            .unwrap_or_default()
    }

    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// What codemode can offer on the upstreams' behalf.
    pub fn offers(&self) -> Offers {
        let any = |has: fn(&ServerCapabilities) -> bool| {
            self.upstreams.iter().any(|u| has(&u.capabilities))
        };
        Offers {
            prompts: any(|c| c.prompts.is_some()),
            resources: any(|c| c.resources.is_some()),
            subscriptions: any(subscribable),
            completions: any(|c| c.completions.is_some()),
            logging: any(|c| c.logging.is_some()),
        }
    }

    /// `logging/setLevel`, passed to every upstream that logs.
    pub async fn set_level(&self, request: SetLevelRequestParams) -> Result<(), ErrorData> {
        for upstream in self.with(|c| c.logging.is_some()) {
            upstream
                .peer
                .set_level(request.clone())
                .await
                .map_err(|error| failed(&upstream.server, "logging/setLevel", error))?;
        }
        Ok(())
    }

    /// `resources/subscribe`: the first upstream that takes the URI has it.
    /// A 2026-07-28 upstream knows no such request: it is asked for a
    /// `subscriptions/listen` stream of that resource's updates instead,
    /// which go to `updates` as a legacy upstream's notifications do.
    pub async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        updates: Arc<dyn Human>,
    ) -> Result<(), ErrorData> {
        let mut last = None;
        for upstream in self.with(subscribable) {
            let taken = if upstream.modern {
                self.listen(upstream, &request.uri, updates.clone()).await
            } else {
                upstream.peer.subscribe(request.clone()).await
            };
            match taken {
                Ok(()) => return Ok(()),
                Err(error) => last = Some(failed(&upstream.server, "resources/subscribe", error)),
            }
        }
        Err(last
            .unwrap_or_else(|| ErrorData::invalid_params("no upstream takes subscriptions", None)))
    }

    /// Holds a `subscriptions/listen` stream of `uri`'s updates open on a
    /// 2026-07-28 upstream until [`Exposed::unsubscribe`] (or this
    /// snapshot's end) closes it.
    async fn listen(
        &self,
        upstream: &Reach,
        uri: &str,
        updates: Arc<dyn Human>,
    ) -> Result<(), ServiceError> {
        let filter = SubscriptionFilter::builder()
            .resource_subscription(uri)
            .build();
        let mut subscription = upstream.peer.listen(filter).await?;
        let taken = subscription
            .acknowledged()
            .resource_subscriptions
            .as_ref()
            .is_some_and(|uris| uris.iter().any(|u| u == uri));
        if !taken {
            return Err(ServiceError::McpError(ErrorData::invalid_params(
                format!("{} does not take subscriptions to {uri}", upstream.server),
                None,
            )));
        }
        let server = upstream.server.clone();
        let forwarding = tokio::spawn(async move {
            while let Ok(Some(notification)) = subscription.next().await {
                if let ServerNotification::ResourceUpdatedNotification(update) = notification {
                    updates.resource_updated(&server, update.params).await;
                }
            }
        });
        let mut listening = self.listening.lock().expect("listening");
        if let Some(before) = listening.insert(uri.to_owned(), Listening(forwarding)) {
            drop(before);
        }
        Ok(())
    }

    pub async fn unsubscribe(&self, request: UnsubscribeRequestParams) -> Result<(), ErrorData> {
        // Dropped, its stream closes.
        self.listening
            .lock()
            .expect("listening")
            .remove(&request.uri);
        for upstream in self.with(subscribable).filter(|u| !u.modern) {
            let _ = upstream.peer.unsubscribe(request.clone()).await;
        }
        Ok(())
    }

    pub fn has_tool(&self, name: &str) -> bool {
        self.routes.contains_key(name)
    }

    /// The server of the exposed tool `name`.
    pub fn server_of(&self, name: &str) -> Option<&str> {
        let (index, _) = self.routes.get(name)?;
        Some(&self.upstreams[*index].server)
    }

    /// Sends `request` (of the tasks extension) to `server`, with the
    /// client's capabilities, which the server gates tasks on.
    pub async fn forward(
        &self,
        server: &str,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, ErrorData> {
        let upstream = self
            .upstreams
            .iter()
            .find(|u| u.server == server)
            .ok_or_else(|| ErrorData::invalid_params(format!("no server {server}"), None))?;
        let mut meta = RequestMetaObject::new();
        if let Some(capabilities) = context.client_capabilities() {
            meta.set_client_capabilities(capabilities);
        }
        let options = PeerRequestOptions::no_options().with_meta(meta);
        let asking = self.for_nobody(server);
        let handle = upstream
            .peer
            .send_request_with_option(request, options)
            .await
            .map_err(|error| unavailable(server, &error))?;
        asking.sent(&handle.id);
        handle
            .await_response()
            .await
            .map_err(|error| failed(server, "a tasks request", error))
    }

    /// Forwards a `tools/call` for an exposed tool: progress notifications
    /// come back under the client's own token, a cancellation is passed on.
    /// A 2026-07-28 upstream's `input_required` answer goes to a client of
    /// that era as it is; a client of the legacy era, which knows no such
    /// result, is asked as its era asks (elicitation, sampling and roots
    /// requests, through `caller`, the client of this call alone) and the
    /// call retried with its answers. What a legacy upstream asks during
    /// the call goes to `caller` too.
    pub async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: &RequestContext<RoleServer>,
        caller: Arc<dyn Human>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some((index, tool)) = self.routes.get(request.name.as_ref()) else {
            return Err(ErrorData::invalid_params(
                format!("no tool {}", request.name),
                None,
            ));
        };
        let upstream = &self.upstreams[*index];
        request.name = tool.clone().into();
        // Our client's `_meta` is its own (its progress token, say); rmcp
        // gives the upstream request a token of ours.
        request.meta = None;
        let legacy_client = legacy(context);
        let serving = caller.clone().serving(&upstream.server);
        for _ in 0..=MAX_INPUT_ROUNDS {
            match self
                .call_once(upstream, tool, request.clone(), context, &serving)
                .await?
            {
                ServerResult::CallToolResult(mut result) => {
                    result.result_type = Some(ResultType::COMPLETE);
                    return Ok(CallToolResponse::Complete(error_result_scrubbed(result)));
                }
                ServerResult::InputRequiredResult(asked) if legacy_client => {
                    let answers = human::answer(
                        caller.as_ref(),
                        &upstream.server,
                        asked.input_requests.unwrap_or_default(),
                    )
                    .await
                    .map_err(|error| failed(&upstream.server, tool, error))?;
                    request.input_responses = (!answers.is_empty()).then_some(answers);
                    request.request_state = asked.request_state;
                }
                ServerResult::InputRequiredResult(result) => {
                    return Ok(CallToolResponse::InputRequired(result));
                }
                ServerResult::CreateTaskResult(result) => {
                    return Ok(CallToolResponse::Task(result));
                }
                _ => {
                    return Err(ErrorData::internal_error(
                        format!(
                            "{} answered tools/call with something else",
                            upstream.server
                        ),
                        None,
                    ));
                }
            }
        }
        Err(failed(
            &upstream.server,
            tool,
            ServiceError::InputRequiredRoundsExceeded {
                max_rounds: MAX_INPUT_ROUNDS,
            },
        ))
    }

    /// One `tools/call` to `upstream`, with the client's capabilities and
    /// log level (a 2026-07-28 upstream reads what it may ask from each
    /// request), its progress relayed and its cancellation passed on.
    async fn call_once(
        &self,
        upstream: &Reach,
        tool: &str,
        request: CallToolRequestParams,
        context: &RequestContext<RoleServer>,
        serving: &Serving,
    ) -> Result<ServerResult, ErrorData> {
        let mut meta = RequestMetaObject::new();
        if let Some(capabilities) = context.client_capabilities() {
            meta.set_client_capabilities(capabilities);
        }
        if let Some(level) = context.meta.log_level() {
            meta.set_log_level(level);
        }
        let call = ClientRequest::CallToolRequest(CallToolRequest::new(request));
        let handle = upstream
            .peer
            .send_request_with_option(call, PeerRequestOptions::no_options().with_meta(meta))
            .await
            .map_err(|error| unavailable(&upstream.server, &error))?;
        serving.sent(&handle.id);
        let relay = context.meta.get_progress_token().map(|theirs| {
            let dispatcher = upstream.progress.clone();
            let ours = handle.progress_token.clone();
            let downstream = context.peer.clone();
            async move {
                let mut updates = dispatcher.subscribe(ours).await;
                while let Some(update) = updates.next().await {
                    let mut forwarded =
                        ProgressNotificationParam::new(theirs.clone(), update.progress);
                    forwarded.total = update.total;
                    forwarded.message = update.message.map(|message| scrub(&message));
                    if downstream.notify_progress(forwarded).await.is_err() {
                        break;
                    }
                }
            }
        });
        // Never ends first: the call's answer (or cancellation) decides.
        let relay = async move {
            if let Some(relay) = relay {
                relay.await;
            }
            std::future::pending::<()>().await
        };
        let mut handle = handle;
        let answer = tokio::select! {
            answer = &mut handle.rx => answer.unwrap_or(Err(ServiceError::TransportClosed)),
            () = context.ct.cancelled() => {
                let _ = handle.cancel(Some("the client cancelled the call".into())).await;
                return Err(ErrorData::internal_error("cancelled by the client", None));
            }
            () = relay => unreachable!("the relay future never completes"),
        };
        answer.map_err(|error| failed(&upstream.server, tool, error))
    }

    fn with(&self, has: fn(&ServerCapabilities) -> bool) -> impl Iterator<Item = &Reach> {
        self.upstreams.iter().filter(move |u| has(&u.capabilities))
    }

    pub async fn list_prompts(&self) -> Result<ListPromptsResult, ErrorData> {
        let mut prompts: Vec<Prompt> = Vec::new();
        for upstream in self.with(|c| c.prompts.is_some()) {
            let _asking = self.for_nobody(&upstream.server);
            let listed = upstream
                .peer
                .list_all_prompts()
                .await
                .map_err(|error| failed(&upstream.server, "prompts/list", error))?;
            prompts.extend(listed.into_iter().map(|mut prompt| {
                prompt.name = self.exposed_name(upstream, &prompt.name);
                prompt
            }));
        }
        Ok(ListPromptsResult::with_all_items(prompts))
    }

    /// `prompts/get`, asking as [`Exposed::call_tool`] does.
    pub async fn get_prompt(
        &self,
        mut request: GetPromptRequestParams,
        context: &RequestContext<RoleServer>,
        caller: Arc<dyn Human>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let (upstream, name) = self
            .owner_of(&request.name, |c| c.prompts.is_some())
            .ok_or_else(|| {
                ErrorData::invalid_params(format!("no prompt {}", request.name), None)
            })?;
        request.name = name;
        request.meta = None;
        let legacy_client = legacy(context);
        let serving = caller.clone().serving(&upstream.server);
        let failed = |error| failed(&upstream.server, "prompts/get", error);
        for _ in 0..=MAX_INPUT_ROUNDS {
            let get = ClientRequest::GetPromptRequest(GetPromptRequest::new(request.clone()));
            let options = PeerRequestOptions::no_options();
            match human::send(&upstream.peer, get, options, &serving).await {
                Ok(ServerResult::GetPromptResult(mut result)) => {
                    result.result_type = Some(ResultType::COMPLETE);
                    return Ok(GetPromptResponse::Complete(result));
                }
                Ok(ServerResult::InputRequiredResult(asked)) if legacy_client => {
                    let requests = asked.input_requests.unwrap_or_default();
                    let answers = human::answer(caller.as_ref(), &upstream.server, requests)
                        .await
                        .map_err(failed)?;
                    request.input_responses = (!answers.is_empty()).then_some(answers);
                    request.request_state = asked.request_state;
                }
                Ok(ServerResult::InputRequiredResult(asked)) => {
                    return Ok(GetPromptResponse::InputRequired(asked));
                }
                Ok(_) => return Err(failed(ServiceError::UnexpectedResponse)),
                Err(error) => return Err(failed(error)),
            }
        }
        Err(failed(ServiceError::InputRequiredRoundsExceeded {
            max_rounds: MAX_INPUT_ROUNDS,
        }))
    }

    pub async fn list_resources(&self) -> Result<ListResourcesResult, ErrorData> {
        let mut resources = Vec::new();
        for upstream in self.with(|c| c.resources.is_some()) {
            let _asking = self.for_nobody(&upstream.server);
            resources.extend(
                upstream
                    .peer
                    .list_all_resources()
                    .await
                    .map_err(|error| failed(&upstream.server, "resources/list", error))?,
            );
        }
        Ok(ListResourcesResult::with_all_items(resources))
    }

    pub async fn list_resource_templates(&self) -> Result<ListResourceTemplatesResult, ErrorData> {
        let mut templates = Vec::new();
        for upstream in self.with(|c| c.resources.is_some()) {
            let _asking = self.for_nobody(&upstream.server);
            templates.extend(
                upstream
                    .peer
                    .list_all_resource_templates()
                    .await
                    .map_err(|error| failed(&upstream.server, "resources/templates/list", error))?,
            );
        }
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    /// URIs are the upstreams' own, so a read goes to each server that has
    /// resources until one has it.
    pub async fn read_resource(
        &self,
        mut request: ReadResourceRequestParams,
    ) -> Result<ReadResourceResponse, ErrorData> {
        request.meta = None;
        let mut last = None;
        for upstream in self.with(|c| c.resources.is_some()) {
            let _asking = self.for_nobody(&upstream.server);
            match upstream.peer.read_resource_once(request.clone()).await {
                Ok(ReadResourceResponse::Complete(mut result)) => {
                    result.result_type = Some(ResultType::COMPLETE);
                    return Ok(ReadResourceResponse::Complete(result));
                }
                Ok(read) => return Ok(read),
                Err(error) => last = Some(failed(&upstream.server, "resources/read", error)),
            }
        }
        Err(last.unwrap_or_else(|| {
            ErrorData::invalid_params(format!("no resource {}", request.uri), None)
        }))
    }

    pub async fn complete(
        &self,
        mut request: CompleteRequestParams,
    ) -> Result<CompleteResult, ErrorData> {
        request.meta = None;
        let candidates: Vec<&Reach> = match &mut request.r#ref {
            Reference::Prompt(prompt) => {
                let (upstream, name) = self
                    .owner_of(&prompt.name, |c| c.completions.is_some())
                    .ok_or_else(|| {
                        ErrorData::invalid_params(format!("no prompt {}", prompt.name), None)
                    })?;
                prompt.name = name;
                vec![upstream]
            }
            _ => self.with(|c| c.completions.is_some()).collect(),
        };
        let mut last = None;
        for upstream in candidates {
            let _asking = self.for_nobody(&upstream.server);
            match upstream.peer.complete(request.clone()).await {
                Ok(mut done) => {
                    // A legacy upstream's result has none; a 2026-07-28 client needs it.
                    done.result_type = Some(ResultType::COMPLETE);
                    return Ok(done);
                }
                Err(error) => last = Some(failed(&upstream.server, "completion/complete", error)),
            }
        }
        Err(last.unwrap_or_else(|| ErrorData::invalid_params("nothing to complete", None)))
    }

    fn exposed_name(&self, upstream: &Reach, name: &str) -> String {
        if self.prefixed {
            format!("{}{SEPARATOR}{name}", upstream.ident)
        } else {
            name.to_owned()
        }
    }

    /// The upstream an exposed prompt name belongs to, and its own name.
    fn owner_of(
        &self,
        exposed: &str,
        has: fn(&ServerCapabilities) -> bool,
    ) -> Option<(&Reach, String)> {
        if !self.prefixed {
            return self.with(has).next().map(|u| (u, exposed.to_owned()));
        }
        self.with(has).find_map(|u| {
            let name = exposed.strip_prefix(&u.ident)?.strip_prefix(SEPARATOR)?;
            Some((u, name.to_owned()))
        })
    }
}

/// Whether the client speaks an era of `initialize`, which knows no
/// `input_required` result.
pub(super) fn legacy(context: &RequestContext<RoleServer>) -> bool {
    context
        .peer
        .peer_info()
        .is_some_and(|info| info.protocol_version.has_initialize())
}

fn unavailable(server: &str, error: &ServiceError) -> ErrorData {
    ErrorData::internal_error(
        scrub(&format!(
            "the {server} server cannot be reached ({error}); codemode restarts it, so a retry may work"
        )),
        None,
    )
}

/// A result marked `isError` is an error text, as programs get it: without
/// secrets. Other results are the tool's data, passed on as they are.
fn error_result_scrubbed(result: CallToolResult) -> CallToolResult {
    if result.is_error != Some(true) {
        return result;
    }
    serde_json::to_value(&result)
        .and_then(|wire| serde_json::from_value(scrub_value(&wire)))
        .unwrap_or_else(|_| {
            // Never the unscrubbed text.
            CallToolResult::error(vec![rmcp::model::ContentBlock::text(
                "the server answered with an error codemode could not pass on without its secrets; `execute` shows it",
            )])
        })
}

/// An upstream's own error is passed on as it is but for secrets; others
/// say which server.
fn failed(server: &str, what: &str, error: ServiceError) -> ErrorData {
    match error {
        ServiceError::McpError(mut error) => {
            error.message = scrub(&error.message).into();
            error.data = error.data.as_ref().map(scrub_value);
            error
        }
        other => {
            ErrorData::internal_error(scrub(&format!("{server}: {what} failed: {other}")), None)
        }
    }
}
