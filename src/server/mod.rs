//! `codemode serve`: an MCP server whose tools are `execute` (and, in search
//! disclosure, `search_api` and `get_api`) over all the upstream servers.

mod admission;
mod approval;
mod callers;
mod commit;
mod connections;
mod held;
pub mod http;
mod intent;
mod metrics;
mod passthrough;
mod rebinding;
mod resume;
mod search;
pub mod sessions;
pub mod stdio;
mod supervise;
mod trace;

pub use admission::Admission;
pub use callers::Callers;
pub use passthrough::Exposed;
pub use supervise::{Build, Live, supervise};
pub use trace::Trace;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use codemode_sandbox::Limits;
use codemode_text::suggest::did_you_mean;
use codemode_typegen::{Api, Style};
// Logging (SEP-2577) and `resources/subscribe` are deprecated, and forwarded
// for upstreams that still use them.
#[allow(deprecated)]
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestMethod,
    CompleteRequestParams, CompleteResult, ContentBlock, CustomRequest, CustomResult, ErrorCode,
    GetPromptRequestMethod, GetPromptRequestParams, GetPromptResponse, Implementation,
    ListPromptsRequestMethod, ListPromptsResult, ListResourceTemplatesRequestMethod,
    ListResourceTemplatesResult, ListResourcesRequestMethod, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestMethod, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities, ServerConfig, ServerNotification,
    SetLevelRequestMethod, SetLevelRequestParams, SubscribeRequestMethod, SubscribeRequestParams,
    SubscriptionFilter, Tool, ToolListChangedNotification, UnsubscribeRequestMethod,
    UnsubscribeRequestParams,
};
use rmcp::service::{RequestContext, SubscriptionContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::disclosure::{Mode, tool_definitions};
use crate::executor::{Executor, Report};
use search::Index;

/// Everything one API generation needs; replaced as a whole when upstream tools change.
pub struct Snapshot {
    api: Api,
    mode: Mode,
    /// codemode's own tools, then any exposed ones.
    tools: Vec<Tool>,
    index: Index,
    executor: Executor,
    exposed: Option<Exposed>,
    /// The tool definitions' tokens as served and as the baseline, counted
    /// at the first scrape of metrics.
    prompt_tokens: std::sync::OnceLock<(usize, usize)>,
}

/// codemode's own tool names, which exposed upstream tools may not take.
pub const OWN_TOOLS: [&str; 3] = ["execute", "search_api", "get_api"];

/// How long past its time limit a parked execution's `requestState` is kept.
const PARKED_GRACE: Duration = Duration::from_secs(5);

impl Snapshot {
    pub fn new(api: Api, mode: Mode, executor: Executor) -> Snapshot {
        let tools = tool_definitions(&api, mode)
            .into_iter()
            .map(|t| {
                serde_json::from_value(t).expect("codemode's tool definitions are valid MCP tools")
            })
            .collect();
        Snapshot {
            index: Index::new(&api),
            api,
            mode,
            tools,
            executor,
            exposed: None,
            prompt_tokens: std::sync::OnceLock::new(),
        }
    }

    /// The tokens of the tool definitions as served, and of the same tools
    /// as the baseline of `codemode savings`.
    pub fn prompt_tokens(&self) -> (usize, usize) {
        *self.prompt_tokens.get_or_init(|| {
            let served =
                crate::tokens::count(&serde_json::to_string(&self.tools).unwrap_or_default());
            (served, crate::savings::baseline_tokens(&self.api))
        })
    }

    /// Lists `exposed`'s upstream tools beside codemode's (`--expose-tools`).
    pub fn exposing(mut self, exposed: Option<Exposed>) -> Snapshot {
        if let Some(exposed) = &exposed {
            self.tools.extend(exposed.tools().iter().cloned());
        }
        self.exposed = exposed;
        self
    }
}

/// The MCP server handler; cheap to clone (one per HTTP session).
#[derive(Clone)]
pub struct CodeModeServer {
    live: Arc<Live>,
    limits: Limits,
    admission: Arc<Admission>,
    trace: Option<Arc<Trace>>,
    /// Cancelled when the (stdio) client has gone: executions stop at once.
    client_gone: CancellationToken,
    /// Where upstreams' requests for a human go while a call runs.
    callers: Arc<Callers>,
    /// Result types learned by the executions, saved after each.
    shapes: Option<Arc<crate::shapes::Shapes>>,
    /// Executions waiting for a 2026-07-28 client's approval.
    parked: Arc<approval::Parked>,
    metrics: Arc<metrics::Metrics>,
    /// Requests forwarded to upstreams (`--expose-tools`) still running,
    /// which a drain waits for as it does for executions.
    forwarded: Arc<AtomicUsize>,
}

/// One forwarded request in flight, counted until it is dropped.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(count: &Arc<AtomicUsize>) -> InFlight {
        count.fetch_add(1, Ordering::SeqCst);
        InFlight(count.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits for a request forwarded to an upstream while its client still
/// wants it: a cancellation, or the end of the session it came in (a
/// DELETE, idle expiry), drops the forwarded request, which rmcp then
/// cancels upstream.
async fn while_asked<T>(
    context: &RequestContext<RoleServer>,
    in_flight: &Arc<AtomicUsize>,
    forwarded: impl Future<Output = Result<T, ErrorData>>,
) -> Result<T, ErrorData> {
    let _in_flight = InFlight::new(in_flight);
    let session_ended = held::session_end(context).unwrap_or_default();
    tokio::select! {
        result = forwarded => result,
        () = context.ct.cancelled() => Err(ErrorData::invalid_request("cancelled by the client", None)),
        () = session_ended.cancelled() => Err(ErrorData::invalid_request(
            "the session ended while this request ran: start a new session to send it again",
            None,
        )),
    }
}

impl CodeModeServer {
    pub fn new(
        live: Arc<Live>,
        limits: Limits,
        admission: Admission,
        trace: Option<Trace>,
    ) -> CodeModeServer {
        CodeModeServer {
            live,
            limits,
            admission: Arc::new(admission),
            trace: trace.map(Arc::new),
            client_gone: CancellationToken::new(),
            callers: Arc::default(),
            shapes: None,
            parked: Arc::default(),
            metrics: Arc::default(),
            forwarded: Arc::default(),
        }
    }

    /// Saves what executions learn of result types to `shapes`.
    pub fn learning(mut self, shapes: Arc<crate::shapes::Shapes>) -> CodeModeServer {
        self.shapes = Some(shapes);
        self
    }

    /// Upstreams connected with `callers` as their human ask this server's
    /// clients while their calls run.
    pub fn asking(mut self, callers: Arc<Callers>) -> CodeModeServer {
        self.callers = callers;
        self
    }

    /// Executions stop when `gone` is cancelled (the client closed stdin).
    pub fn stopping_when(mut self, gone: CancellationToken) -> CodeModeServer {
        self.client_gone = gone;
        self
    }

    /// `execute`: stopped when the client cancels the request (rmcp cancels
    /// `cancelled` on `notifications/cancelled`, and when a stateless
    /// request's connection drops) or leaves altogether.
    ///
    /// A call that needs approval asks this client (see [`approval`]); a
    /// 2026-07-28 client's `execute` is then answered with `input_required`
    /// and its retry (with `requestState`) resumes the program.
    async fn execute(
        &self,
        request: &CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // From here the program may call upstream tools: the HTTP response
        // starts now, so no proxy can run it again on another replica.
        commit::Started::mark(context);
        let cancelled = context.ct.clone();
        if let Some(state) = request.request_state.as_deref() {
            let running = self
                .parked
                .resume(state, request.input_responses.as_ref())
                .map_err(|message| ErrorData::invalid_params(message, None))?;
            return self.follow(running, cancelled).await;
        }
        let args = request.arguments.clone().unwrap_or_default();
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Args {
            code: String,
            timeout_ms: Option<u64>,
        }
        let args: Args = parse("execute", args)?;
        let mut limits = self.limits;
        if let Some(ms) = args.timeout_ms {
            // The operator's limit is a ceiling the model cannot raise.
            limits.timeout = limits.timeout.min(Duration::from_millis(ms.max(1)));
        }
        let cancelled = self.cancelled_or_gone(cancelled);
        tokio::pin!(cancelled);
        let _slot = tokio::select! {
            entered = self.admission.enter() => match entered {
                Ok(slot) => slot,
                Err(refusal) => {
                    self.metrics.rejected();
                    return Ok(CallToolResponse::Complete(text_result(refusal, true)));
                }
            },
            () = &mut cancelled => {
                return Err(ErrorData::internal_error("the request was cancelled while it waited for a slot", None));
            }
        };
        let snapshot = self.live.current();
        let traced = crate::telemetry::execution(Some(&context.meta.0.0), None);
        let approver = match approval::approach(context) {
            approval::Approach::Ask(approver) => approver,
            approval::Approach::RoundTrip if snapshot.executor.asks_for_approval() => {
                let asked = (args.code, limits, context.ct.clone());
                return self.execute_parkable(asked, _slot, traced).await;
            }
            // Nothing to ask about.
            approval::Approach::RoundTrip => crate::approval::NoOne::shared("not asked"),
        };
        let report = self
            .run_program(
                &snapshot.executor,
                &args.code,
                limits,
                cancelled,
                approver,
                traced,
            )
            .await;
        Ok(CallToolResponse::Complete(report_result(&report)))
    }

    /// Resolves when `token` is cancelled or the client leaves.
    fn cancelled_or_gone(&self, token: CancellationToken) -> impl Future<Output = ()> + use<> {
        let gone = self.client_gone.clone();
        async move {
            tokio::select! {
                () = token.cancelled() => {}
                () = gone.cancelled() => {}
            }
        }
    }

    /// Runs `code` on `executor` within its span, and finishes its report.
    async fn run_program(
        &self,
        executor: &Executor,
        code: &str,
        limits: Limits,
        cancelled: impl Future<Output = ()>,
        approver: Arc<dyn crate::approval::Approver>,
        traced: Option<opentelemetry::Context>,
    ) -> Report {
        let started = std::time::Instant::now();
        let execution = executor.execute_asking(code, limits, cancelled, approver);
        let mut report = crate::telemetry::within(&traced, execution).await;
        self.finish(code, &mut report, limits, started);
        crate::executor::end_execution(traced, &report);
        report
    }

    /// Runs a program on a task of its own, so that it can wait for its
    /// client's approval across `input_required` round trips.
    async fn execute_parkable(
        &self,
        (code, limits, cancelled): (String, Limits, CancellationToken),
        slot: tokio::sync::OwnedSemaphorePermit,
        traced: Option<opentelemetry::Context>,
    ) -> Result<CallToolResponse, ErrorData> {
        let (approver, questions) = approval::Forwarding::channel();
        let stop = CancellationToken::new();
        let until = tokio::time::Instant::now() + limits.timeout + PARKED_GRACE;
        let this = self.clone();
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let _slot = slot;
            let cancelled = this.cancelled_or_gone(stopped);
            let snapshot = this.live.current();
            this.run_program(
                &snapshot.executor,
                &code,
                limits,
                cancelled,
                approver,
                traced,
            )
            .await
        });
        let running = approval::Running {
            task,
            questions,
            stop,
            until,
        };
        self.follow(running, cancelled).await
    }

    /// Waits for a running program's report, or for its next question,
    /// which parks it and answers the client with `input_required`.
    async fn follow(
        &self,
        mut running: approval::Running,
        cancelled: CancellationToken,
    ) -> Result<CallToolResponse, ErrorData> {
        enum Next {
            Done(Result<Report, tokio::task::JoinError>),
            Asked(approval::Ask),
            Cancelled,
        }
        let next = tokio::select! {
            done = &mut running.task => Next::Done(done),
            Some(ask) = running.questions.recv() => Next::Asked(ask),
            () = cancelled.cancelled() => Next::Cancelled,
        };
        let done = match next {
            Next::Asked(ask) => {
                let until = running.until;
                let result = self.parked.park(running, ask, until);
                return serde_json::from_value(result)
                    .map(CallToolResponse::InputRequired)
                    .map_err(|e| ErrorData::internal_error(e.to_string(), None));
            }
            Next::Cancelled => {
                running.stop.cancel();
                running.task.await
            }
            Next::Done(done) => done,
        };
        let report = done.map_err(|e| {
            ErrorData::internal_error(format!("the execution failed to finish: {e}"), None)
        })?;
        Ok(CallToolResponse::Complete(report_result(&report)))
    }

    /// No execution is running or waiting, and no forwarded request.
    pub fn idle(&self) -> bool {
        self.admission.running() == 0
            && self.admission.waiting() == 0
            && self.forwarded.load(Ordering::SeqCst) == 0
    }

    /// Whether every upstream is connected; `Err` names those that are not.
    pub fn upstreams_connected(&self) -> Result<(), String> {
        let down = self.live.current().executor.disconnected();
        if down.is_empty() {
            Ok(())
        } else {
            Err(format!("not connected to {}", down.join(", ")))
        }
    }

    /// The metrics' text exposition as it is now.
    pub fn scrape(&self) -> String {
        let snapshot = self.live.current();
        let (served, baseline) = snapshot.prompt_tokens();
        self.metrics.prompt(served, baseline);
        self.metrics
            .encode(self.admission.running(), self.admission.waiting())
    }

    /// What every execution's report gets before the client sees it.
    fn finish(&self, code: &str, report: &mut Report, limits: Limits, started: std::time::Instant) {
        self.metrics.execution(report, started.elapsed());
        self.advise_the_model(report, limits);
        if let Some(shapes) = self.shapes.clone() {
            // File I/O under a lock: off the async runtime.
            tokio::task::spawn_blocking(move || {
                if let Err(error) = shapes.save() {
                    tracing::warn!("could not save the learned result types: {error}");
                }
            });
        }
        if let Some(trace) = &self.trace {
            trace.record(code, report, started.elapsed());
        }
    }

    /// Limit errors speak of command-line flags the model cannot pass;
    /// under `serve` it can lower or raise `timeout_ms` up to the server's
    /// limit, and nothing else.
    fn advise_the_model(&self, report: &mut Report, limits: Limits) {
        let Some(Err(failure)) = &mut report.outcome else {
            return;
        };
        let ceiling = self.limits.timeout.as_millis();
        if failure.kind == "timeout" {
            let used = limits.timeout.as_millis();
            failure.message = if used < ceiling {
                format!(
                    "the program did not finish within {used} ms, its timeout_ms; pass a larger timeout_ms (this server allows up to {ceiling} ms) or do less in one execution"
                )
            } else {
                format!(
                    "the program did not finish within {used} ms, the most this server allows; do less in one execution (fewer or smaller calls), and return what is needed to continue in another"
                )
            };
        } else if let Some(at) = [" (raise it with --", " (the limit is set with --"]
            .iter()
            .find_map(|flag| failure.message.find(flag))
        {
            failure.message.truncate(at);
            failure.message.push_str(" (this server's limit)");
        }
    }

    /// A discovery tool (`search_api`, `get_api`): admitted like `execute`
    /// and run off the async runtime, since a search costs CPU.
    async fn discover(
        &self,
        args: Map<String, Value>,
        run: fn(&Snapshot, Map<String, Value>) -> Result<CallToolResult, ErrorData>,
    ) -> Result<CallToolResult, ErrorData> {
        let _slot = match self.admission.enter().await {
            Ok(slot) => slot,
            Err(refusal) => {
                self.metrics.rejected();
                return Ok(text_result(refusal, true));
            }
        };
        let snapshot = self.live.current();
        tokio::task::spawn_blocking(move || run(&snapshot, args))
            .await
            .unwrap_or_else(|error| {
                Err(ErrorData::internal_error(
                    format!("the search failed: {error}"),
                    None,
                ))
            })
    }
}

/// The longest `search_api` query, in characters.
const MAX_QUERY_CHARS: usize = 1_000;
/// The most names `get_api` takes at once, and the longest name.
const MAX_NAMES: usize = 200;
const MAX_NAME_CHARS: usize = 300;

fn search_api(snapshot: &Snapshot, args: Map<String, Value>) -> Result<CallToolResult, ErrorData> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Args {
        query: String,
        limit: Option<usize>,
    }
    let args: Args = parse("search_api", args)?;
    let chars = args.query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(ErrorData::invalid_params(
            format!(
                "search_api: the query is {chars} characters; at most {MAX_QUERY_CHARS} are searched, so use a few words"
            ),
            None,
        ));
    }
    let hits = snapshot
        .index
        .search(&args.query, args.limit.unwrap_or(5).clamp(1, 20));
    if hits.is_empty() {
        return Ok(text_result(
            format!(
                "No function matches \"{}\". Try other words, or get_api with a namespace name.",
                args.query
            ),
            false,
        ));
    }
    let api = &snapshot.api;
    let ranked: Vec<String> = hits
        .iter()
        .map(|&(n, f)| {
            format!(
                "{}.{}",
                api.namespaces()[n].ident(),
                api.namespaces()[n].functions()[f].ident()
            )
        })
        .collect();
    let declarations = render_selected(api, |n, f| hits.contains(&(n, f)));
    Ok(text_result(
        format!("Best matches: {}\n\n{declarations}", ranked.join(", ")),
        false,
    ))
}

fn get_api(snapshot: &Snapshot, args: Map<String, Value>) -> Result<CallToolResult, ErrorData> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Args {
        names: Vec<String>,
    }
    let args: Args = parse("get_api", args)?;
    if args.names.len() > MAX_NAMES
        || args
            .names
            .iter()
            .any(|n| n.chars().count() > MAX_NAME_CHARS)
    {
        return Err(ErrorData::invalid_params(
            format!(
                "get_api takes at most {MAX_NAMES} names of at most {MAX_NAME_CHARS} characters each (namespaces or ns.fn)"
            ),
            None,
        ));
    }
    let api = &snapshot.api;
    let mut wanted: Vec<(usize, Option<usize>)> = Vec::new();
    let mut unknown = Vec::new();
    for name in &args.names {
        let (ns_name, fn_name) = match name.split_once('.') {
            Some((ns, f)) => (ns, Some(f)),
            None => (name.as_str(), None),
        };
        let Some(n) = api
            .namespaces()
            .iter()
            .position(|ns| ns.ident() == ns_name || ns.server() == ns_name)
        else {
            let hint = did_you_mean(ns_name, api.namespaces().iter().map(|ns| ns.ident()))
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            unknown.push(format!("{name}: no namespace {ns_name}{hint}"));
            continue;
        };
        let namespace = &api.namespaces()[n];
        match fn_name {
            None => wanted.push((n, None)),
            Some(f) => match namespace
                .functions()
                .iter()
                .position(|x| x.ident() == f || x.tool() == f)
            {
                Some(index) => wanted.push((n, Some(index))),
                None => {
                    let hint = did_you_mean(f, namespace.functions().iter().map(|x| x.ident()))
                        .map(|s| format!(" (did you mean {}.{s}?)", namespace.ident()))
                        .unwrap_or_default();
                    unknown.push(format!(
                        "{name}: no function {f} in {}{hint}",
                        namespace.ident()
                    ));
                }
            },
        }
    }
    if wanted.is_empty() {
        return Ok(text_result(unknown.join("\n"), true));
    }
    let mut text = render_selected(api, |n, f| {
        wanted
            .iter()
            .any(|&(wn, wf)| wn == n && wf.is_none_or(|wf| wf == f))
    });
    if !unknown.is_empty() {
        text.push_str(&format!("\nNot found:\n{}", unknown.join("\n")));
    }
    Ok(text_result(text, false))
}

/// Full declarations of the functions `keep(namespace index, function index)` selects.
fn render_selected(api: &Api, keep: impl Fn(usize, usize) -> bool) -> String {
    api.namespaces()
        .iter()
        .enumerate()
        .filter_map(|(n, ns)| {
            let chosen: Vec<&str> = ns
                .functions()
                .iter()
                .enumerate()
                .filter(|&(f, _)| keep(n, f))
                .map(|(_, x)| x.ident())
                .collect();
            (!chosen.is_empty())
                .then(|| ns.render_only(|function| chosen.contains(&function.ident()), Style::Full))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse<T: for<'de> Deserialize<'de>>(
    tool: &str,
    args: Map<String, Value>,
) -> Result<T, ErrorData> {
    serde_json::from_value(Value::Object(args))
        .map_err(|e| ErrorData::invalid_params(format!("invalid arguments for {tool}: {e}"), None))
}

fn text_result(text: String, is_error: bool) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.is_error = Some(is_error);
    result
}

/// The report as the model reads it: the result (or the error with its
/// line) and the logs as text, everything as `structuredContent`.
pub fn report_result(report: &Report) -> CallToolResult {
    let structured = report.to_json();
    let mut text = match &report.outcome {
        Some(Ok(value)) => serde_json::to_string(value).unwrap_or_default(),
        Some(Err(failure)) => {
            let at = match (failure.line, failure.column) {
                (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
                (Some(line), None) => format!(" at line {line}"),
                _ => String::new(),
            };
            format!("{} error{at}: {}", failure.kind, failure.message)
        }
        None => "the execution ended without an outcome".to_owned(),
    };
    if let Some(note) = report.note {
        text.push_str(&format!("\n\nnote: {note}"));
    }
    if !report.logs.is_empty() {
        text.push_str("\n\nlogs:");
        for line in &report.logs {
            text.push_str(&format!(
                "\n[{}] {}",
                json!(line.level).as_str().unwrap_or("info"),
                line.message
            ));
        }
    }
    let mut result = text_result(text, !report.ok());
    result.structured_content = Some(structured);
    result
}

#[allow(deprecated)]
impl ServerHandler for CodeModeServer {
    fn get_info(&self) -> ServerConfig {
        let offers = self
            .live
            .current()
            .exposed
            .as_ref()
            .map(Exposed::offers)
            .unwrap_or_default();
        let mut capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        // Declared only when an exposed upstream offers them: the rest is
        // answered as unknown.
        if offers.prompts {
            capabilities.prompts = Some(Default::default());
        }
        if offers.resources {
            let mut resources = rmcp::model::ResourcesCapability::default();
            resources.subscribe = offers.subscriptions.then_some(true);
            capabilities.resources = Some(resources);
        }
        if offers.completions {
            capabilities.completions = Some(Default::default());
        }
        if offers.logging {
            capabilities.logging = Some(Default::default());
        }
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("codemode", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Call `execute` with a TypeScript program that uses the API in its description; only the program's result comes back.",
            )
    }

    // Prompts, resources and completions are the exposed upstreams'; without
    // them, what a client asks for is answered as unknown rather than with
    // an empty list that says otherwise.
    async fn list_prompts(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().prompts => exposed.list_prompts().await,
            _ => Err(ErrorData::method_not_found::<ListPromptsRequestMethod>()),
        }
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().prompts => {
                while_asked(&context, &self.forwarded, exposed.get_prompt(request)).await
            }
            _ => Err(ErrorData::method_not_found::<GetPromptRequestMethod>()),
        }
    }

    async fn list_resources(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().resources => exposed.list_resources().await,
            _ => Err(ErrorData::method_not_found::<ListResourcesRequestMethod>()),
        }
    }

    async fn list_resource_templates(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().resources => exposed.list_resource_templates().await,
            _ => Err(ErrorData::method_not_found::<
                ListResourceTemplatesRequestMethod,
            >()),
        }
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().resources => {
                while_asked(&context, &self.forwarded, exposed.read_resource(request)).await
            }
            _ => Err(ErrorData::method_not_found::<ReadResourceRequestMethod>()),
        }
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().logging => exposed.set_level(request).await,
            _ => Err(ErrorData::method_not_found::<SetLevelRequestMethod>()),
        }
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().subscriptions => {
                let uri = request.uri.clone();
                exposed.subscribe(request).await?;
                self.callers.subscribe(&uri, context.peer);
                Ok(())
            }
            _ => Err(ErrorData::method_not_found::<SubscribeRequestMethod>()),
        }
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().subscriptions => {
                // The upstream keeps it while another client still has it.
                if !self.callers.unsubscribe(&request.uri, &context.peer) {
                    exposed.unsubscribe(request).await?;
                }
                Ok(())
            }
            _ => Err(ErrorData::method_not_found::<UnsubscribeRequestMethod>()),
        }
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().completions => {
                while_asked(&context, &self.forwarded, exposed.complete(request)).await
            }
            _ => Err(ErrorData::method_not_found::<CompleteRequestMethod>()),
        }
    }

    /// 2026-07-28 clients learn of API changes by `subscriptions/listen`:
    /// tool-list changes are all codemode has to tell.
    fn accepted_subscription_filter(
        &self,
        _requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(SubscriptionFilter::builder().tools_list_changed().build())
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        if context.accepted().tools_list_changed != Some(true) {
            // Nothing the client asked for can happen; hold the request
            // until it goes, as the specification has it.
            context.cancelled().await;
            return Ok(());
        }
        let mut changes = self.live.watch_tools();
        loop {
            tokio::select! {
                () = context.cancelled() => return Ok(()),
                changed = changes.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    let notification = ServerNotification::ToolListChangedNotification(
                        ToolListChangedNotification::default(),
                    );
                    if let Err(error) = context.sink().send(notification).await {
                        tracing::debug!("a subscription ended: {error}");
                        return Ok(());
                    }
                }
            }
        }
    }

    async fn on_initialized(&self, context: rmcp::service::NotificationContext<RoleServer>) {
        self.live.add_client(context.peer);
    }

    /// A request `stdio::ClientInput` could not pass on gets its error here.
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        if request.method != stdio::UNREADABLE {
            return Err(ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                request.method,
                None,
            ));
        }
        let problem = request
            .params
            .as_ref()
            .and_then(|p| p.get("problem"))
            .and_then(Value::as_str)
            .unwrap_or("the request could not be read");
        Err(ErrorData::new(
            ErrorCode::INVALID_REQUEST,
            problem.to_owned(),
            None,
        ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.live.current().tools.clone(),
        ))
    }

    /// A call made in an HTTP session stops when the session ends (the
    /// client's DELETE, idle expiry), as if the client had cancelled it.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        mut context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(session_ended) = held::session_end(&context) else {
            return self.call_tool_now(request, context).await;
        };
        let cancelled = context.ct.child_token();
        context.ct = cancelled.clone();
        let call = self.call_tool_now(request, context);
        tokio::pin!(call);
        tokio::select! {
            result = &mut call => result,
            () = session_ended.cancelled() => {
                cancelled.cancel();
                call.await
            }
        }
    }
}

impl CodeModeServer {
    async fn call_tool_now(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.clone().unwrap_or_default();
        let snapshot = self.live.current();
        let _asking = self.callers.enter(context.peer.clone());
        let search = snapshot.mode.looks_up();
        let result = match &*request.name {
            "execute" => return self.execute(&request, &context).await,
            "search_api" if search => self.discover(args, search_api).await?,
            "get_api" if search => self.discover(args, get_api).await?,
            other if snapshot.exposed.as_ref().is_some_and(|e| e.has_tool(other)) => {
                let exposed = snapshot.exposed.as_ref().expect("checked above");
                let mut request = request;
                request.arguments = Some(args);
                let _in_flight = InFlight::new(&self.forwarded);
                return exposed.call_tool(request, &context).await;
            }
            other => {
                let names: Vec<String> =
                    snapshot.tools.iter().map(|t| t.name.to_string()).collect();
                return Err(ErrorData::invalid_params(
                    format!("no tool {other}; this server has {}", names.join(", ")),
                    None,
                ));
            }
        };
        Ok(CallToolResponse::Complete(result))
    }
}
