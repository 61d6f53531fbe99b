//! Connections to upstream MCP servers, and their tool lists.

mod era;
mod http_client;
pub mod human;
pub mod oauth;
pub mod redact;
mod sse;
mod stdio;
mod tap;
mod tools_file;
pub(crate) mod unreadable;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rmcp::handler::client::progress::ProgressDispatcher;
use rmcp::model::{
    ClientCapabilities, ClientConfig, Implementation, ProtocolVersion, ServerCapabilities,
};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use tokio::process::Child;

use crate::config::{ServerSpec, Transport};
use era::ERAS;
pub use era::Era;
pub use human::{Human, NoOne};
use redact::Redacted;
use stdio::OutputTail;
use tap::ToolListTap;
pub use tools_file::ToolsFileError;

type Client = RunningService<RoleClient, UpstreamClient>;

/// Where upstreams report that their tool list changed (by server name).
pub type Changes = std::sync::Arc<ChangedServers>;

/// The servers whose tool lists changed since someone last looked. A server
/// that sends 20,000 `list_changed` notifications is one entry here, so the
/// tools are listed again once, not 20,000 times.
#[derive(Default)]
pub struct ChangedServers {
    pending: std::sync::Mutex<std::collections::BTreeSet<String>>,
    notify: tokio::sync::Notify,
}

impl ChangedServers {
    pub fn mark(&self, server: &str) {
        let mut pending = self.pending.lock().expect("changed servers");
        if !pending.contains(server) {
            pending.insert(server.to_owned());
        }
        self.notify.notify_one();
    }

    /// The servers changed so far, without waiting.
    pub fn next_now(&self) -> std::collections::BTreeSet<String> {
        std::mem::take(&mut *self.pending.lock().expect("changed servers"))
    }

    /// Waits until some server changed, then takes them all.
    pub async fn next(&self) -> std::collections::BTreeSet<String> {
        loop {
            let taken = self.next_now();
            if !taken.is_empty() {
                return taken;
            }
            self.notify.notified().await;
        }
    }
}

/// A connected (or loaded) upstream server and its tools.
pub struct Upstream {
    pub name: String,
    /// Each tool's JSON as the server sent it (see [`tap`]).
    pub tools: Vec<Value>,
    /// `None` for tools files, which have nothing to call.
    client: Option<Client>,
    /// Kept so the child lives as long as the connection, and dies with it.
    _child: Option<Child>,
    /// How it was reached, to reach it again.
    spec: ServerSpec,
    tap: Option<ToolListTap>,
    stderr: OutputTail,
    /// A 2026-07-28 server's `subscriptions/listen` stream, which carries
    /// its tool-list changes; ended with the connection.
    watch: Option<tokio::task::JoinHandle<()>>,
}

/// What the connections report to: tool-list changes, and an upstream's
/// requests for a human (see [`human`]).
#[derive(Clone)]
pub struct Hooks {
    pub changes: Option<Changes>,
    pub human: Arc<dyn Human>,
}

impl Hooks {
    /// For commands whose calls have no one to ask, saying why.
    pub fn unattended(why: &str) -> Hooks {
        Hooks {
            changes: None,
            human: NoOne::shared(why),
        }
    }
}

/// Our side of an upstream connection: who we are, and where to report
/// `notifications/tools/list_changed`.
#[derive(Clone)]
pub struct UpstreamClient {
    server: String,
    changes: Option<Changes>,
    human: Arc<dyn Human>,
    /// Progress of calls passed through for our clients, by our token.
    progress: ProgressDispatcher,
}

// Sampling, roots and logging are deprecated (SEP-2577) but still used.
#[allow(deprecated)]
impl rmcp::ClientHandler for UpstreamClient {
    fn get_info(&self) -> ClientConfig {
        // Requests for a human always have an answer (see [`human`]), so a
        // server may make them, and gets a reason when nobody is there.
        let capabilities = ClientCapabilities::builder()
            .enable_elicitation()
            .enable_sampling()
            .enable_roots()
            .build();
        // The version offered in `initialize`; 2026-07-28 servers are found
        // by `server/discover` instead (see [`era`]).
        ClientConfig::new(
            capabilities,
            Implementation::new("codemode", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
    }

    async fn create_elicitation(
        &self,
        request: rmcp::model::ElicitRequestParams,
        _context: rmcp::service::RequestContext<RoleClient>,
    ) -> Result<rmcp::model::ElicitResult, rmcp::ErrorData> {
        self.human.elicit(&self.server, request).await
    }

    async fn create_message(
        &self,
        request: rmcp::model::CreateMessageRequestParams,
        _context: rmcp::service::RequestContext<RoleClient>,
    ) -> Result<rmcp::model::CreateMessageResult, rmcp::ErrorData> {
        self.human.sample(&self.server, request).await
    }

    async fn list_roots(
        &self,
        _context: rmcp::service::RequestContext<RoleClient>,
    ) -> Result<rmcp::model::ListRootsResult, rmcp::ErrorData> {
        self.human.roots(&self.server).await
    }

    async fn on_logging_message(
        &self,
        message: rmcp::model::LoggingMessageNotificationParam,
        _context: rmcp::service::NotificationContext<RoleClient>,
    ) {
        self.human.log(&self.server, message).await;
    }

    async fn on_resource_updated(
        &self,
        update: rmcp::model::ResourceUpdatedNotificationParam,
        _context: rmcp::service::NotificationContext<RoleClient>,
    ) {
        self.human.resource_updated(&self.server, update).await;
    }

    async fn on_progress(
        &self,
        params: rmcp::model::ProgressNotificationParam,
        _context: rmcp::service::NotificationContext<RoleClient>,
    ) {
        self.progress.handle_notification(params).await;
    }

    async fn on_tool_list_changed(&self, _context: rmcp::service::NotificationContext<RoleClient>) {
        tracing::debug!(server = %self.server, "the server's tool list changed");
        if let Some(changes) = &self.changes {
            changes.mark(&self.server);
        }
    }
}

impl UpstreamError {
    /// What leaves this module: the text of an error that may name URLs
    /// or carry reqwest's chain, with its secrets taken out (and no
    /// source left to print them); a login needed stays one, for callers
    /// that run the login.
    fn redacted(self) -> UpstreamError {
        match self {
            needed @ UpstreamError::LoginNeeded { .. } => needed,
            other => UpstreamError::Redacted(Redacted::new(other)),
        }
    }

    /// Names the server in errors that tell what command to run;
    /// `sent_token` when a kept login was used.
    fn naming(self, server: &str, sent_token: bool) -> UpstreamError {
        match self {
            UpstreamError::LoginNeeded { scope, .. } => UpstreamError::LoginNeeded {
                server: server.to_owned(),
                expired: sent_token && scope.is_none(),
                scope,
            },
            other => other,
        }
    }
}

fn login_needed(server: &str, expired: bool, scope: Option<&str>) -> String {
    match scope {
        Some(scope) => format!("it wants {}", oauth::lacking(server, scope)),
        None if expired => format!(
            "it refused the kept login, which could not be refreshed: run `codemode login {server}` again"
        ),
        None => format!("it asks for a login: run `codemode login {server}`"),
    }
}

/// The `scope` of an `insufficient_scope` challenge.
fn wanted_scope(challenge: Option<&str>) -> Option<String> {
    // Only the scope is read, so any base resolves the metadata URL.
    let base = url::Url::parse("http://localhost/").expect("a valid URL");
    let params = rmcp::transport::auth::WWWAuthenticateParams::parse(challenge?, &base);
    let insufficient = params.is_insufficient_scope();
    params.scope.filter(|_| insufficient)
}

/// A server that could not be used, and why (its secrets redacted).
pub struct Failure {
    pub server: String,
    pub error: UpstreamError,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The config says why (see [`Transport::Unusable`]).
    #[error("{0}")]
    Unusable(String),
    #[error(transparent)]
    Sse(#[from] sse::SseError),
    #[error(
        "it answers neither as streamable HTTP ({streamable}) nor as legacy SSE ({sse}); check the URL"
    )]
    NeitherHttpTransport {
        streamable: Box<UpstreamError>,
        sse: Box<UpstreamError>,
    },
    #[error(
        "could not start `{command}`{}: {error}; check that it is installed and on PATH",
        cwd.as_ref().map(|c| format!(" in {}", c.display())).unwrap_or_default()
    )]
    Spawn {
        command: String,
        cwd: Option<PathBuf>,
        error: std::io::Error,
    },
    #[error("MCP initialization with {target} failed: {reason}{stderr}")]
    Initialize {
        target: String,
        reason: String,
        stderr: String,
        /// Nothing answered at the address at all (no HTTP server there).
        unreachable: bool,
        /// The server refused `server/discover` but named versions that
        /// have `initialize`: it can be reached the legacy way.
        offers_initialize: bool,
    },
    #[error(
        "no answer to {phase} within {}s{stderr}\n  (raise --init-timeout if the server is slow to start, e.g. npx downloading a package)",
        after.as_secs_f64()
    )]
    Timeout {
        phase: &'static str,
        after: Duration,
        stderr: String,
    },
    #[error("tools/list failed: {error}{stderr}")]
    ListTools {
        error: Box<ServiceError>,
        stderr: String,
    },
    #[error("{}", login_needed(server, *expired, scope.as_deref()))]
    LoginNeeded {
        /// Filled in by [`UpstreamError::naming`].
        server: String,
        /// A kept token was sent and refused.
        expired: bool,
        /// The scope the server's challenge asks for, when it names one
        /// the login lacks (HTTP 403 `insufficient_scope`).
        scope: Option<String>,
    },
    #[error("invalid HTTP header `{name}`: {reason}")]
    Header { name: String, reason: String },
    #[error(transparent)]
    ToolsFile(#[from] ToolsFileError),
    /// Any of the others, as text without secrets (see [`redact`]).
    #[error(transparent)]
    Redacted(Redacted),
}

/// Everything a command got from its server selection.
pub struct Upstreams {
    pub connected: Vec<Upstream>,
    pub failures: Vec<Failure>,
}

impl Upstreams {
    /// `(server name, raw tools)` pairs, in selection order, for typegen.
    pub fn tool_lists(&self) -> Vec<(String, Vec<Value>)> {
        self.connected
            .iter()
            .map(|u| (u.name.clone(), u.tools.clone()))
            .collect()
    }

    /// What each server says it is for, in one line, by server name: its
    /// `serverInfo.description`, else the first sentence of its
    /// instructions. Servers that say nothing are left out.
    pub fn summaries(&self) -> HashMap<String, String> {
        self.connected
            .iter()
            .filter_map(|u| Some((u.name.clone(), u.summary()?)))
            .collect()
    }

    /// What each server said of itself when it was initialized, by server
    /// name: `{"serverInfo": {...}, "instructions": "..."}`. Tools files
    /// say nothing and are left out.
    pub fn introductions(&self) -> HashMap<String, Value> {
        self.connected
            .iter()
            .filter_map(|u| Some((u.name.clone(), u.introduction()?)))
            .collect()
    }

    /// Handles for calling tools, by server name; tools files have none.
    pub fn peers(&self) -> HashMap<String, rmcp::Peer<RoleClient>> {
        self.connected
            .iter()
            .filter_map(|u| Some((u.name.clone(), u.client.as_ref()?.peer().clone())))
            .collect()
    }

    /// What a passthrough call needs of each connected server: its handle,
    /// where its progress notifications arrive, and what it offers.
    pub fn reach(
        &self,
    ) -> HashMap<
        String,
        (
            rmcp::Peer<RoleClient>,
            ProgressDispatcher,
            ServerCapabilities,
        ),
    > {
        self.connected
            .iter()
            .filter_map(|u| {
                let client = u.client.as_ref()?;
                let capabilities = client
                    .peer()
                    .peer_info()
                    .map(|info| info.capabilities.clone())
                    .unwrap_or_default();
                Some((
                    u.name.clone(),
                    (
                        client.peer().clone(),
                        client.service().progress.clone(),
                        capabilities,
                    ),
                ))
            })
            .collect()
    }

    /// Each server's own time-out for a tool call, where its config gives one.
    pub fn call_timeouts(&self) -> HashMap<String, Duration> {
        self.connected
            .iter()
            .filter_map(|u| Some((u.name.clone(), u.spec.timeouts.call?)))
            .collect()
    }

    pub fn get_mut(&mut self, server: &str) -> Option<&mut Upstream> {
        self.connected.iter_mut().find(|u| u.name == server)
    }

    /// Closes every connection; stdio children see EOF and exit.
    pub async fn shutdown(self) {
        futures::future::join_all(self.connected.into_iter().map(Upstream::shutdown)).await;
    }
}

/// Connects to every server at once; a failure affects only its own server.
pub async fn connect_all(specs: Vec<ServerSpec>, timeout: Duration) -> Upstreams {
    let hooks = Hooks::unattended("nobody is there to answer");
    connect_all_watched(specs, timeout, hooks).await
}

/// Like [`connect_all`], reporting to `hooks`.
pub async fn connect_all_watched(
    specs: Vec<ServerSpec>,
    timeout: Duration,
    hooks: Hooks,
) -> Upstreams {
    // All before any connects: one server's failure may carry another's
    // secret (a shared token, a redirect).
    for spec in &specs {
        redact::protect(spec);
    }
    let results = futures::future::join_all(specs.into_iter().map(|spec| {
        let hooks = hooks.clone();
        async move {
            let name = spec.name.clone();
            connect(spec, timeout, hooks)
                .await
                .map_err(|error| Failure {
                    server: name,
                    error: error.redacted(),
                })
        }
    }))
    .await;
    let mut upstreams = Upstreams {
        connected: Vec::new(),
        failures: Vec::new(),
    };
    for result in results {
        match result {
            Ok(upstream) => upstreams.connected.push(upstream),
            Err(failure) => upstreams.failures.push(failure),
        }
    }
    upstreams
}

/// Connects in the lifecycle the server spoke last time; when that fails,
/// probes afresh (the server may have been upgraded or replaced).
async fn connect(
    spec: ServerSpec,
    timeout: Duration,
    hooks: Hooks,
) -> Result<Upstream, UpstreamError> {
    let target = era::target_of(&spec);
    let known = target.as_ref().and_then(|t| ERAS.get(&spec.name, t));
    let mut lifecycle = Era::lifecycle(known);
    let mut attempt = 0;
    let upstream = loop {
        attempt += 1;
        match connect_as(spec.clone(), timeout, hooks.clone(), lifecycle).await {
            Ok(upstream) => break upstream,
            // Servers on a modern SDK narrowed to older versions refuse the
            // probe with the versions they do speak (all with `initialize`).
            Err(UpstreamError::Initialize {
                offers_initialize: true,
                ..
            }) if attempt <= 2 => lifecycle = Era::lifecycle(Some(Era::Legacy)),
            Err(UpstreamError::Initialize {
                unreachable: false,
                reason,
                ..
            }) if known.is_some() && attempt == 1 => {
                tracing::debug!(server = %spec.name, "the remembered lifecycle failed ({reason}); probing again");
                ERAS.forget(&spec.name);
                lifecycle = Era::lifecycle(None);
            }
            Err(error) => return Err(error),
        }
    };
    tracing::debug!(server = %upstream.name, protocol = ?upstream.protocol_version(), "handshake done");
    if let (Some(target), Some(era)) = (target, upstream.era()) {
        ERAS.record(&upstream.name, &target, era);
    }
    Ok(upstream)
}

async fn connect_as(
    spec: ServerSpec,
    timeout: Duration,
    hooks: Hooks,
    lifecycle: ClientLifecycleMode,
) -> Result<Upstream, UpstreamError> {
    let name = spec.name.clone();
    // The server's own start-up time-out from its config, if it has one.
    let timeout = spec.timeouts.startup.unwrap_or(timeout);
    let handler = UpstreamClient {
        server: name.clone(),
        changes: hooks.changes,
        human: hooks.human,
        progress: ProgressDispatcher::new(),
    };
    let (client, child, tap, stderr) = match spec.transport.clone() {
        Transport::Unusable { reason } => return Err(UpstreamError::Unusable(reason)),
        Transport::ToolsFile(path) => {
            let tools = tools_file::load(&path)?;
            return Ok(Upstream {
                name,
                tools,
                client: None,
                _child: None,
                spec,
                tap: None,
                stderr: OutputTail::default(),
                watch: None,
            });
        }
        Transport::Demo => {
            let (ours, theirs) = tokio::io::duplex(1 << 16);
            tokio::spawn(async move {
                match crate::demo::DemoServer::new().serve(theirs).await {
                    Ok(service) => drop(service.waiting().await),
                    Err(error) => tracing::error!("demo server failed to start: {error}"),
                }
            });
            let client = initialize(
                handler.serve_with_lifecycle(ours, lifecycle),
                "the demo server".into(),
                timeout,
                &OutputTail::default(),
            )
            .await?;
            (client, None, None, OutputTail::default())
        }
        Transport::Stdio {
            command,
            args,
            env,
            cwd,
            hidden_env,
        } => {
            let spawned = stdio::spawn(&name, &command, &args, &env, &hidden_env, cwd.as_ref())?;
            let target = format!("`{command}`");
            let client = initialize(
                handler.serve_with_lifecycle(spawned.transport, lifecycle),
                target,
                timeout,
                &spawned.stderr,
            )
            .await?;
            (
                client,
                Some(spawned.child),
                Some(spawned.tap),
                spawned.stderr,
            )
        }
        Transport::Http {
            url,
            headers,
            sse_fallback,
        } => {
            let config = StreamableHttpClientTransportConfig::with_uri(url.clone())
                .custom_headers(header_map(&headers)?);
            let fallback = sse_fallback.then(|| handler.clone());
            // A token kept by `codemode login`, unless the config sends its own.
            let own_authorization = headers
                .iter()
                .any(|(header, _)| header.eq_ignore_ascii_case("authorization"));
            let kept = match own_authorization {
                true => None,
                false => oauth::authorized_client(&name, &url).await,
            };
            let sent_token = kept.is_some();
            let connected = match kept {
                Some(authorized) => {
                    let transport = StreamableHttpClientTransport::with_client(authorized, config);
                    initialize(
                        handler.serve_with_lifecycle(transport, lifecycle),
                        url.clone(),
                        timeout,
                        &OutputTail::default(),
                    )
                    .await
                }
                None => {
                    let transport = StreamableHttpClientTransport::from_config(config);
                    initialize(
                        handler.serve_with_lifecycle(transport, lifecycle),
                        url.clone(),
                        timeout,
                        &OutputTail::default(),
                    )
                    .await
                }
            };
            match connected.map_err(|error| error.naming(&name, sent_token)) {
                // HTTP responses are decoded inside rmcp's HTTP client before
                // any tap could see them, so these tools come from the typed model.
                Ok(client) => (client, None, None, OutputTail::default()),
                Err(streamable) => {
                    // Only a server that answered, but not as streamable
                    // HTTP, may speak the older transport. One that named
                    // the versions it speaks is retried by `connect`.
                    let answered = !matches!(
                        streamable,
                        UpstreamError::Initialize {
                            unreachable: true,
                            ..
                        } | UpstreamError::Initialize {
                            offers_initialize: true,
                            ..
                        } | UpstreamError::Timeout { .. }
                            | UpstreamError::LoginNeeded { .. }
                    );
                    let Some(handler) = fallback.filter(|_| answered) else {
                        return Err(streamable);
                    };
                    // The specification's fallback: an older server serves
                    // the legacy SSE transport at the same URL.
                    tracing::debug!(%url, "not streamable HTTP ({streamable}); trying legacy SSE");
                    let (client, tap) = connect_sse(handler, &url, &headers, timeout)
                        .await
                        .map_err(|sse| UpstreamError::NeitherHttpTransport {
                            streamable: Box::new(streamable),
                            sse: Box::new(sse),
                        })?;
                    (client, None, Some(tap), OutputTail::default())
                }
            }
        }
        Transport::Sse { url, headers } => {
            let (client, tap) = connect_sse(handler, &url, &headers, timeout).await?;
            (client, None, Some(tap), OutputTail::default())
        }
    };
    let tools = list_tools_within(&client, tap.as_ref(), &stderr, timeout)
        .await
        .map_err(|error| error.naming(&name, false))?;
    tracing::debug!(server = %name, tools = tools.len(), "connected");
    let watch = client
        .service()
        .changes
        .clone()
        .and_then(|changes| watch_tool_changes(&client, &name, changes));
    Ok(Upstream {
        name,
        tools,
        client: Some(client),
        _child: child,
        spec,
        tap,
        stderr,
        watch,
    })
}

/// A 2026-07-28 server tells of tool-list changes only on a
/// `subscriptions/listen` stream: hold one open (opening it again when it
/// ends while the connection lives) and report changes to `changes`.
fn watch_tool_changes(
    client: &Client,
    server: &str,
    changes: Changes,
) -> Option<tokio::task::JoinHandle<()>> {
    let peer = client.peer().clone();
    let info = peer.peer_info()?;
    let announces = info
        .capabilities
        .tools
        .as_ref()
        .is_some_and(|tools| tools.list_changed == Some(true));
    if Era::of(&info.protocol_version) != Era::Modern || !announces {
        return None;
    }
    let server = server.to_owned();
    Some(tokio::spawn(async move {
        let mut pause = Duration::from_millis(500);
        while !peer.is_transport_closed() {
            let filter = rmcp::model::SubscriptionFilter::builder()
                .tools_list_changed()
                .build();
            match peer.listen(filter).await {
                Ok(mut subscription) => {
                    pause = Duration::from_millis(500);
                    while let Ok(Some(notification)) = subscription.next().await {
                        if matches!(
                            notification,
                            rmcp::model::ServerNotification::ToolListChangedNotification(_)
                        ) {
                            tracing::debug!(%server, "the server's tool list changed");
                            changes.mark(&server);
                        }
                    }
                }
                // It answered: it does not support subscriptions after all.
                Err(ServiceError::McpError(error)) => {
                    tracing::warn!(%server, "the server announces tool-list changes but refused subscriptions/listen: {}", error.message);
                    return;
                }
                Err(error) => tracing::debug!(%server, "subscriptions/listen failed: {error}"),
            }
            // Changes made while no stream was open would be missed.
            changes.mark(&server);
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(30));
        }
    }))
}

/// Opens a legacy SSE session at `url` and initializes it.
async fn connect_sse(
    handler: UpstreamClient,
    url: &str,
    headers: &[(String, String)],
    timeout: Duration,
) -> Result<(Client, ToolListTap), UpstreamError> {
    let tap = ToolListTap::default();
    let headers = http::HeaderMap::from_iter(header_map(headers)?);
    let transport = tokio::time::timeout(
        timeout,
        sse::SseTransport::connect(url, headers, tap.clone()),
    )
    .await
    .map_err(|_| UpstreamError::Timeout {
        phase: "the event stream's `endpoint` event",
        after: timeout,
        stderr: String::new(),
    })??;
    let client = initialize(
        handler.serve(transport),
        url.to_owned(),
        timeout,
        &OutputTail::default(),
    )
    .await?;
    Ok((client, tap))
}

async fn initialize<F, E>(
    serve: F,
    target: String,
    timeout: Duration,
    stderr: &OutputTail,
) -> Result<Client, UpstreamError>
where
    F: Future<Output = Result<Client, E>>,
    E: Into<rmcp::service::ClientInitializeError>,
{
    match tokio::time::timeout(timeout, serve).await {
        Err(_) => Err(UpstreamError::Timeout {
            phase: "initialize",
            after: timeout,
            stderr: stderr.render(),
        }),
        Ok(Err(error)) => {
            // Give the stderr reader a moment to catch the child's last words.
            tokio::time::sleep(Duration::from_millis(50)).await;
            use rmcp::service::ClientInitializeError as Failed;
            let error = error.into();
            if error.is_authorization_required() || error.auth_challenge().is_some() {
                return Err(UpstreamError::LoginNeeded {
                    server: String::new(),
                    expired: false,
                    scope: wanted_scope(error.auth_challenge()),
                });
            }
            let (reason, unreachable) = match &error {
                // Its transport error is not linked as a `source`; unwrap it by hand.
                Failed::TransportError { error, .. } => (root_cause(error), cannot_connect(error)),
                other => (root_cause(other), false),
            };
            // Legacy servers may refuse the probe by naming the versions
            // they speak, or answer it with an empty result as they answer
            // any method they do not know.
            let offers_initialize = matches!(
                &error,
                Failed::NoCompatibleProtocolVersion { server_supported, .. }
                    if server_supported.iter().any(ProtocolVersion::has_initialize)
            ) || matches!(
                &error,
                Failed::ExpectedInitResult(Some(rmcp::model::ServerResult::EmptyResult(_)))
            );
            Err(UpstreamError::Initialize {
                target,
                reason,
                stderr: stderr.render(),
                unreachable,
                offers_initialize,
            })
        }
        Ok(Ok(client)) => Ok(client),
    }
}

/// Whether streamable HTTP could not reach a server at all.
/// The longest summary a server gets in the prompt: a line, not a manual.
const MAX_SUMMARY_CHARS: usize = 120;

/// The first sentence or line of what a server says of itself, on one line
/// and cut to [`MAX_SUMMARY_CHARS`]; `None` when nothing is left.
fn one_line_summary(said: &str) -> Option<String> {
    let first = said.trim_start().lines().next().unwrap_or("");
    let sentence = match first.find(". ") {
        Some(end) => &first[..=end],
        None => first,
    };
    let words: Vec<&str> = sentence
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let line = words.join(" ");
    if line.is_empty() {
        return None;
    }
    Some(match line.char_indices().nth(MAX_SUMMARY_CHARS) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    })
}

fn cannot_connect(error: &rmcp::transport::DynamicTransportError) -> bool {
    use rmcp::transport::streamable_http_client::StreamableHttpError;
    matches!(
        error.error.downcast_ref::<StreamableHttpError<reqwest::Error>>(),
        Some(StreamableHttpError::Client(e)) if e.is_connect()
    )
}

/// The innermost cause: rmcp's outer messages name its internal types, the
/// innermost says what actually went wrong ("Connection refused").
fn root_cause(error: &dyn std::error::Error) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

async fn list_tools_within(
    client: &Client,
    tap: Option<&ToolListTap>,
    stderr: &OutputTail,
    timeout: Duration,
) -> Result<Vec<Value>, UpstreamError> {
    tokio::time::timeout(timeout, list_tools(client, tap))
        .await
        .map_err(|_| UpstreamError::Timeout {
            phase: "tools/list",
            after: timeout,
            stderr: stderr.render(),
        })?
        .map_err(|error| match oauth::refusal(&error) {
            // Some servers answer `initialize` to anyone and ask for a
            // login from the next request on.
            Some(refusal) => UpstreamError::LoginNeeded {
                server: String::new(),
                expired: false,
                scope: match refusal {
                    oauth::Refusal::Scope(scope) => scope,
                    oauth::Refusal::Login => None,
                },
            },
            None => UpstreamError::ListTools {
                error: Box::new(error),
                stderr: stderr.render(),
            },
        })
}

/// All tools, through every page; raw JSON when the tap saw it.
async fn list_tools(
    client: &Client,
    tap: Option<&ToolListTap>,
) -> Result<Vec<Value>, ServiceError> {
    let typed = client.list_all_tools().await?;
    if let Some(raw) = tap.and_then(|tap| tap.take_matching(&typed)) {
        return Ok(raw);
    }
    Ok(typed
        .iter()
        .filter_map(|tool| serde_json::to_value(tool).ok())
        .collect())
}

fn header_map(
    headers: &[(String, String)],
) -> Result<HashMap<http::HeaderName, http::HeaderValue>, UpstreamError> {
    headers
        .iter()
        .map(|(name, value)| {
            let bad = |reason: String| UpstreamError::Header {
                name: name.clone(),
                reason,
            };
            let key = http::HeaderName::try_from(name.as_str()).map_err(|e| bad(e.to_string()))?;
            let value =
                http::HeaderValue::try_from(value.as_str()).map_err(|e| bad(e.to_string()))?;
            Ok((key, value))
        })
        .collect()
}

impl Upstream {
    /// The lifecycle the server speaks; `None` for tools files.
    pub fn era(&self) -> Option<Era> {
        let info = self.client.as_ref()?.peer().peer_info()?;
        Some(Era::of(&info.protocol_version))
    }

    /// What the server says it is for, in one line (see [`Upstreams::summaries`]).
    fn summary(&self) -> Option<String> {
        let info = self.client.as_ref()?.peer().peer_info()?;
        let said = info
            .server_info
            .as_ref()
            .and_then(|server| server.description.as_deref())
            .or(info.instructions.as_deref())?;
        one_line_summary(said)
    }

    /// What the server said of itself (see [`Upstreams::introductions`]).
    fn introduction(&self) -> Option<Value> {
        let info = self.client.as_ref()?.peer().peer_info()?;
        let mut said = serde_json::Map::new();
        if let Some(server) = &info.server_info {
            said.insert(
                "serverInfo".to_owned(),
                serde_json::to_value(server).unwrap_or_default(),
            );
        }
        if let Some(instructions) = &info.instructions {
            said.insert(
                "instructions".to_owned(),
                Value::from(instructions.as_str()),
            );
        }
        Some(Value::Object(said))
    }

    /// The protocol version agreed with the server; `None` for tools files.
    pub fn protocol_version(&self) -> Option<String> {
        let info = self.client.as_ref()?.peer().peer_info()?;
        Some(info.protocol_version.to_string())
    }

    /// Whether the connection has ended (the server exited or hung up).
    pub fn is_closed(&self) -> bool {
        self.client
            .as_ref()
            .is_some_and(|client| client.peer().is_transport_closed())
    }

    /// Lists the tools again (after the server said they changed).
    pub async fn relist(&mut self, timeout: Duration) -> Result<(), UpstreamError> {
        let Some(client) = &self.client else {
            return Ok(());
        };
        self.tools = list_tools_within(client, self.tap.as_ref(), &self.stderr, timeout)
            .await
            .map_err(UpstreamError::redacted)?;
        Ok(())
    }

    /// Connects again from scratch (a new child process for stdio servers).
    pub async fn reconnect(
        &mut self,
        timeout: Duration,
        hooks: Hooks,
    ) -> Result<(), UpstreamError> {
        redact::protect(&self.spec);
        let fresh = connect(self.spec.clone(), timeout, hooks)
            .await
            .map_err(UpstreamError::redacted)?;
        let old = std::mem::replace(self, fresh);
        old.shutdown().await;
        Ok(())
    }

    async fn shutdown(self) {
        if let Some(watch) = &self.watch {
            watch.abort();
        }
        if let Some(client) = self.client
            && let Err(error) = client.cancel().await
        {
            tracing::debug!(server = %self.name, "closing the connection: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_is_the_first_sentence_on_one_line_and_short() {
        assert_eq!(
            one_line_summary(
                "  Git tools for\tlocal repositories. Use them to read history.\nMore."
            )
            .as_deref(),
            Some("Git tools for local repositories.")
        );
        assert_eq!(
            one_line_summary("Release notes v1.2 are here").as_deref(),
            Some("Release notes v1.2 are here")
        );
        assert_eq!(one_line_summary(" \n\u{7}"), None);
        let long = one_line_summary(&"word ".repeat(100)).unwrap();
        assert!(long.chars().count() <= MAX_SUMMARY_CHARS + 1, "{long}");
        assert!(long.ends_with("word…"), "{long}");
    }

    #[tokio::test]
    async fn a_flood_of_changes_is_one_change_per_server() {
        let changes = Changes::default();
        for _ in 0..20_000 {
            changes.mark("noisy");
        }
        changes.mark("other");
        let taken = changes.next().await;
        assert_eq!(taken.into_iter().collect::<Vec<_>>(), ["noisy", "other"]);
        assert!(changes.next_now().is_empty());
        // A change after the last look wakes the next wait.
        let waiting = tokio::spawn({
            let changes = changes.clone();
            async move { changes.next().await }
        });
        tokio::task::yield_now().await;
        changes.mark("noisy");
        assert_eq!(waiting.await.unwrap().len(), 1);
    }
}
