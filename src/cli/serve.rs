//! `codemode serve`: Code Mode over MCP, on stdio or HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rmcp::ServiceExt;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::limits::{self, LimitArgs};
use super::open::{api_for, open};
use super::seconds::parse_seconds;
use super::servers::{ServerArgs, ServerSettings};
use super::trace::{TraceArgs, TraceSettings};
use crate::approval;
use crate::config;
use crate::executor::Executor;
use crate::sandbox;
use crate::server::disclosure::Disclosure;
use crate::server::http::{self, HttpOptions};
use crate::server::sessions::SealedSessions;
use crate::server::stdio::client_input;
use crate::server::{
    Admission, Build, Callers, CodeModeServer, Exposed, Live, OWN_TOOLS, Snapshot, Trace, supervise,
};
use crate::upstream::{self, Changes, Hooks, Upstreams};

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub servers: ServerArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// How much of the API the `execute` description carries: `auto` is the richest
    /// of full, compact, search and namespaces that fits in --prompt-budget.
    #[arg(long, value_enum, default_value_t = DisclosureArg::Auto)]
    pub disclosure: DisclosureArg,
    /// Tokens (o200k_base) of tool definitions `--disclosure auto` may put in the model's prompt.
    #[arg(long, value_name = "TOKENS", default_value_t = crate::server::disclosure::DEFAULT_PROMPT_BUDGET)]
    pub prompt_budget: usize,
    /// Also list every upstream tool directly beside `execute` (named as upstream when one server is
    /// selected, `namespace__tool` when several), and forward the upstreams' prompts and resources.
    #[arg(long)]
    pub expose_tools: bool,
    /// Serve streamable HTTP at this address (endpoint /mcp) instead of stdio, e.g. 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<std::net::SocketAddr>,
    /// Allow --http to listen on an address other than loopback.
    #[arg(long, requires = "http")]
    pub allow_remote: bool,
    /// On SIGTERM or SIGINT, how long to let running executions finish (new ones are refused,
    /// /readyz says not ready) before exiting.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub drain_timeout: Duration,
    /// The key that seals legacy session ids (at least 32 bytes, e.g. `openssl rand -base64 48`),
    /// shared by replicas so that any of them resumes any session [default:
    /// $CODEMODE_SESSION_KEY, else a key of this process alone].
    #[arg(long, value_name = "FILE", requires = "http")]
    pub session_key_file: Option<PathBuf>,
    /// Serve Prometheus metrics at http://ADDR/metrics, without a token (with --http they are
    /// also at /metrics beside /mcp, behind --auth-token), e.g. 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<std::net::SocketAddr>,
    /// Require `Authorization: Bearer <token>` over HTTP; the token is read from
    /// this environment variable (and hidden from stdio servers).
    #[arg(long, value_name = "ENV_VAR", requires = "http")]
    pub auth_token: Option<String>,
    /// A browser origin allowed to call over HTTP besides loopback ones
    /// (repeatable), e.g. https://app.example.com:443; requests with any other
    /// `Origin` header are refused with 403.
    #[arg(long = "allow-origin", value_name = "ORIGIN", requires = "http")]
    pub allow_origins: Vec<String>,
    /// HTTP connections open at once. Lowered to fit the file-descriptor limit (`ulimit -n`), a
    /// quarter of which (at least 32) is kept for upstreams and files; the cap in force is logged
    /// when lowered. When all are taken, the oldest connection not serving a request is closed to
    /// make room, else the new one.
    #[arg(long, value_name = "N", default_value_t = 512, requires = "http",
          value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub max_connections: u64,
    /// HTTP sessions (clients that initialize, and sessions restored from their ids) open at once;
    /// more are refused with 503.
    #[arg(long, value_name = "N", default_value_t = 256, requires = "http",
          value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub max_sessions: u64,
    /// Seconds after which an HTTP session nobody uses is closed.
    #[arg(long, value_name = "SECONDS", default_value = "300", requires = "http", value_parser = parse_seconds)]
    pub session_idle_timeout: Duration,
    /// Executions running at once [default: 4 per CPU core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_concurrent: Option<u64>,
    /// Executions that may wait for a slot; more are refused at once.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub queue: usize,
    /// How long an execution may wait for a slot before it is refused, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(0..=86_400_000))]
    pub queue_timeout_ms: u64,
    #[command(flatten)]
    pub trace: TraceArgs,
}

/// How long a drained replica waits for its last answers to be written.
const DRAIN_FLUSH: Duration = Duration::from_millis(500);

/// `--disclosure`'s values, as the help lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DisclosureArg {
    /// The richest of `full`, `compact`, `search` and `namespaces` whose tool
    /// definitions fit in `--prompt-budget` tokens.
    Auto,
    /// Every declaration with all its documentation.
    Full,
    /// Every declaration, with each tool's first sentence and no property prose.
    Compact,
    /// Only namespaces and function names; `search_api` and `get_api` give the declarations.
    Search,
    /// Only each namespace, with its size and first functions; `search_api` and `get_api` give the rest.
    Namespaces,
}

impl From<DisclosureArg> for Disclosure {
    fn from(disclosure: DisclosureArg) -> Self {
        match disclosure {
            DisclosureArg::Auto => Disclosure::Auto,
            DisclosureArg::Full => Disclosure::Full,
            DisclosureArg::Compact => Disclosure::Compact,
            DisclosureArg::Search => Disclosure::Search,
            DisclosureArg::Namespaces => Disclosure::Namespaces,
        }
    }
}

/// What `codemode serve` serves, where, and within which limits.
///
/// Not `Debug`: it holds the bearer token.
pub struct ServeSettings {
    pub servers: ServerSettings,
    /// Limits given as flags, over the config file's.
    pub limits: config::Settings,
    /// How much of the API `execute`'s description carries, within how
    /// many tokens.
    pub disclosure: Disclosure,
    pub prompt_budget: usize,
    /// Also list every upstream tool beside `execute`.
    pub expose_tools: bool,
    /// Streamable HTTP instead of stdio.
    pub http: Option<HttpSettings>,
    /// Where Prometheus metrics are served without a token.
    pub metrics: Option<SocketAddr>,
    /// Whether addresses other than loopback may listen.
    pub allow_remote: bool,
    /// How long running executions may finish after SIGTERM or SIGINT.
    pub drain_timeout: Duration,
    /// Environment variables stdio servers do not see (the token's).
    pub secrets: Vec<String>,
    /// Executions running at once, waiting for a slot, and how long they wait.
    pub max_running: usize,
    pub queue: usize,
    pub queue_timeout: Duration,
    pub trace: TraceSettings,
}

/// How `codemode serve` serves streamable HTTP.
pub struct HttpSettings {
    pub addr: SocketAddr,
    /// The bearer token every request must carry.
    pub token: Option<String>,
    /// The key that seals legacy session ids [default: `$CODEMODE_SESSION_KEY`,
    /// else one of this process alone].
    pub session_key_file: Option<PathBuf>,
    /// Browser origins allowed besides loopback ones.
    pub origins: Vec<String>,
    pub max_connections: usize,
    pub max_sessions: usize,
    /// After how long a session nobody uses is closed.
    pub session_idle: Duration,
}

impl TryFrom<ServeArgs> for ServeSettings {
    type Error = anyhow::Error;

    /// The flags checked against each other, the token read from its variable.
    fn try_from(args: ServeArgs) -> anyhow::Result<Self> {
        let token = match &args.auth_token {
            None => None,
            Some(var) => Some(std::env::var(var).with_context(|| {
                format!("--auth-token names the environment variable {var}, which is not set; export the token in it")
            })?),
        };
        if let Some(addr) = args.http
            && !addr.ip().is_loopback()
        {
            if !args.allow_remote {
                bail!(
                    "--http {addr} is reachable from other machines; pass --allow-remote to mean it (and --auth-token)"
                );
            }
            eprintln!(
                "warning: serving on {addr}, reachable from other machines{}",
                if token.is_none() {
                    ", with no --auth-token: anyone who can connect can run code against your tools"
                } else {
                    ""
                }
            );
        }
        if let Some(addr) = args.metrics
            && !addr.ip().is_loopback()
            && !args.allow_remote
        {
            bail!(
                "--metrics {addr} is reachable from other machines and has no token; serve them on loopback, or with --http at /metrics behind --auth-token (or pass --allow-remote with --http to mean it)"
            );
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let http = args.http.map(|addr| HttpSettings {
            addr,
            token,
            session_key_file: args.session_key_file,
            origins: args.allow_origins,
            max_connections: args.max_connections as usize,
            max_sessions: args.max_sessions as usize,
            session_idle: args.session_idle_timeout,
        });
        Ok(ServeSettings {
            servers: args.servers.into(),
            limits: args.limits.settings(),
            disclosure: args.disclosure.into(),
            prompt_budget: args.prompt_budget,
            expose_tools: args.expose_tools,
            http,
            metrics: args.metrics,
            allow_remote: args.allow_remote,
            drain_timeout: args.drain_timeout,
            // The token guards this server; no upstream needs to know it.
            secrets: args.auth_token.into_iter().collect(),
            max_running: args.max_concurrent.map_or(4 * cores, |n| n as usize),
            queue: args.queue,
            queue_timeout: Duration::from_millis(args.queue_timeout_ms),
            trace: args.trace.into(),
        })
    }
}

/// `codemode serve`: until the client leaves (stdin closes), or SIGINT/SIGTERM.
pub async fn serve(settings: ServeSettings) -> anyhow::Result<bool> {
    // Installed first, so a signal during start-up is not the default kill
    // (which would leave stdio children behind).
    let shutdown = Shutdown::install()?;
    // Whatever its variable is called, the token never shows in a log line.
    upstream::redact::protect_values(settings.http.as_ref().and_then(|http| http.token.clone()));
    let _telemetry = crate::telemetry::init(settings.trace.otlp_endpoint.as_deref())?;
    let wired = wire(&settings).await?;
    serve_until_stopped(settings, wired, shutdown).await?;
    Ok(true)
}

/// The server, wired to its upstreams and not yet serving.
struct Wired {
    server: CodeModeServer,
    /// Over HTTP, the keeper of legacy session ids.
    sessions: Option<Arc<SealedSessions>>,
    /// The upstreams' supervisor, which hands them back once told to stop.
    supervisor: JoinHandle<Upstreams>,
    stop: oneshot::Sender<()>,
    /// The longest request read, in bytes.
    max_request: usize,
}

/// Connects the upstreams and builds the server over them: each API
/// generation's policy, types and executor, the supervisor that rebuilds
/// them, admission and the trace.
async fn wire(settings: &ServeSettings) -> anyhow::Result<Wired> {
    // Over HTTP, the key that seals legacy session ids, checked before
    // anything starts; stdio has no session ids.
    let sessions = match &settings.http {
        Some(http) => {
            let key = http.session_key_file.as_deref();
            Some(Arc::new(SealedSessions::new(key)?))
        }
        None => None,
    };
    sandbox::isolate::warm_up();
    let changes = Changes::default();
    let secrets: Vec<&str> = settings.secrets.iter().map(String::as_str).collect();
    // An upstream's requests for a human go to the client whose call it serves.
    let callers = Arc::new(Callers::default());
    let hooks = Hooks {
        changes: Some(changes.clone()),
        human: callers.clone(),
    };
    let opened = open(&settings.servers, hooks.clone(), &secrets).await?;
    let execution = limits::resolve(&settings.limits, &opened.settings);
    let (policy, disclosure, expose) = (opened.policy, settings.disclosure, settings.expose_tools);
    let shapes = opened.shapes.clone();
    let learned = opened.shapes.clone();
    let budget = settings.prompt_budget;
    let human: Arc<dyn upstream::Human> = callers.clone();
    let withholding = callers.clone();
    // Each execution asks its own client (see server::approval).
    let default_approver = approval::NoOne::shared("no client to ask");
    let approval_timeout = settings.servers.approval_timeout;
    let recording = settings.trace.trace_results;
    // Each API generation (at start, after a tool-list change or a restart)
    // is built the same way: policy, types, a fresh executor.
    let build: Build = Arc::new(move |upstreams: &Upstreams| {
        let (api, refusals, approvals) = api_for(&policy, upstreams, &shapes);
        withholding.withhold(refusals.withheld().map(str::to_owned));
        let mode = disclosure.resolve(&api, budget);
        tracing::info!(
            ?mode,
            tools = api
                .namespaces()
                .iter()
                .map(|n| n.functions().len())
                .sum::<usize>(),
            "API ready"
        );
        let exposed =
            expose.then(|| Exposed::new(&api, upstreams, &OWN_TOOLS, &approvals, &refusals));
        let mut executor = Executor::new(api.clone(), upstreams.peers(), execution)
            .with_refusals(refusals)
            .approving(approvals, default_approver.clone(), approval_timeout)
            .with_call_timeouts(upstreams.call_timeouts())
            .asking(human.clone())
            .learning(shapes.clone());
        if recording {
            executor = executor.recording();
        }
        Snapshot::new(api, mode, executor).exposing(exposed)
    });
    let live = Live::new(build(&opened.upstreams));
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let supervisor = tokio::spawn(supervise(
        opened.upstreams,
        changes,
        hooks,
        live.clone(),
        build,
        settings.servers.init_timeout,
        stopped,
    ));

    let admission = Admission::new(settings.max_running, settings.queue, settings.queue_timeout);
    let trace = settings
        .trace
        .trace_file
        .as_deref()
        .map(Trace::open)
        .transpose()?;
    let server = CodeModeServer::new(live, execution.limits, admission, trace)
        .asking(callers)
        .learning(learned);
    // A program's text, escaped in JSON (at worst six bytes a character),
    // plus the request around it.
    let max_request = execution.max_program_bytes * 6 + (64 << 10);
    Ok(Wired {
        server,
        sessions,
        supervisor,
        stop,
        max_request,
    })
}

/// Serves stdio or HTTP (and metrics) until the client leaves or a signal
/// comes, drains, and shuts the upstreams down.
async fn serve_until_stopped(
    settings: ServeSettings,
    wired: Wired,
    mut shutdown: Shutdown,
) -> anyhow::Result<()> {
    let Wired {
        server,
        sessions,
        supervisor,
        stop,
        max_request,
    } = wired;
    let scrape: http::Scrape = {
        let server = server.clone();
        Arc::new(move || server.scrape())
    };
    // On SIGTERM: no new executions (HTTP answers 503 for them, /readyz
    // says not ready), the running ones finish, bounded by --drain-timeout.
    let draining = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopping = {
        let (server, draining, timeout) =
            (server.clone(), draining.clone(), settings.drain_timeout);
        async move {
            shutdown.wait().await;
            draining.store(true, std::sync::atomic::Ordering::SeqCst);
            let until = tokio::time::Instant::now() + timeout;
            while !server.idle() && tokio::time::Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if !server.idle() {
                eprintln!(
                    "codemode: executions still running after --drain-timeout {} s are stopped",
                    timeout.as_secs_f64()
                );
            }
            // The last answers are on their way to their clients.
            tokio::time::sleep(DRAIN_FLUSH).await;
        }
    };
    let ready: http::Readiness = {
        let (server, draining) = (server.clone(), draining.clone());
        Arc::new(move || {
            if draining.load(std::sync::atomic::Ordering::SeqCst) {
                return Err("draining".to_owned());
            }
            server.upstreams_connected()
        })
    };
    let metrics = match settings.metrics {
        Some(addr) => {
            let listener = http::metrics_listener(addr).await?;
            let origins = settings.http.as_ref().map_or(&[][..], |http| &http.origins);
            let rebinding = http::Rebinding::new(settings.allow_remote, origins);
            let serving =
                http::serve_metrics(listener, scrape.clone(), rebinding, std::future::pending());
            Some(tokio::spawn(serving))
        }
        None => None,
    };
    // Sessions are kept exactly when HTTP is served.
    match (settings.http, sessions) {
        (Some(http), Some(sessions)) => {
            let options = HttpOptions {
                addr: http.addr,
                remote: settings.allow_remote,
                token: http.token,
                origins: http.origins,
                max_connections: http.max_connections,
                max_sessions: http.max_sessions,
                session_idle: http.session_idle,
                max_body_bytes: max_request,
                metrics: Some(scrape),
                sessions,
                ready,
                draining,
            };
            http::serve(server, options, stopping).await?;
        }
        _ => {
            tokio::select! {
                served = serve_stdio(server, max_request) => served?,
                () = stopping => {}
            }
        }
    }
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    let _ = stop.send(());
    // Stdio children see their input close and exit; any left are killed.
    supervisor.await?.shutdown().await;
    Ok(())
}

/// Serves one client over stdin/stdout until it leaves. When stdin closes,
/// executions still running stop at once: nobody is left to read their results.
/// A request longer than `max_request` bytes is answered with an error.
async fn serve_stdio(server: CodeModeServer, max_request: usize) -> anyhow::Result<()> {
    let gone = CancellationToken::new();
    let server = server.stopping_when(gone.clone());
    let stdin = client_input(tokio::io::stdin(), gone, max_request);
    match server.serve((stdin, tokio::io::stdout())).await {
        Ok(service) => {
            service.waiting().await?;
            Ok(())
        }
        // The client left before it said hello: nothing to serve, nothing wrong.
        Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => {
            tracing::info!("the client closed the connection before initializing");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// SIGINT and SIGTERM, registered up front.
struct Shutdown {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    fn install() -> anyhow::Result<Shutdown> {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        let terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        Ok(Shutdown {
            interrupt,
            terminate,
        })
    }

    async fn wait(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => tracing::info!("SIGINT: shutting down"),
            _ = self.terminate.recv() => tracing::info!("SIGTERM: shutting down"),
        }
    }
}
