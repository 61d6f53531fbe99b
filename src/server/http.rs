//! Serving MCP over streamable HTTP at `/mcp`, one session per client.
//!
//! Every client is a potential adversary, so each resource a connection can
//! hold is bounded: connections (`--max-connections`), the time to send
//! request headers and a request body, the size of a body, and sessions
//! (`--max-sessions`, idle ones expire). Browser origins are checked as the
//! MCP transport requires, and failing `accept` calls back off.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::commit::{self, Reply, Started};
use super::resume::{Resume, StreamIds};

pub const ENDPOINT: &str = "/mcp";
const SESSION_HEADER: &str = "mcp-session-id";
const LAST_EVENT_ID: &str = "last-event-id";
/// Prometheus metrics, beside the MCP endpoint or on `--metrics ADDR`.
pub const METRICS: &str = "/metrics";

/// Liveness and readiness, for load balancers and orchestrators.
pub const HEALTH: &str = "/healthz";
pub const READY: &str = "/readyz";

/// Renders the metrics' text exposition at each scrape.
pub type Scrape = Arc<dyn Fn() -> String + Send + Sync>;

/// Whether this replica should get new work; `Err` says why not.
pub type Readiness = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// How long a client has to send a request's headers; an idle keep-alive
/// connection is closed after the same time.
const HEADER_TIMEOUT: Duration = Duration::from_secs(15);
/// The reconnection delay legacy response streams advise their clients.
const RESUME_AFTER: Duration = Duration::from_millis(500);
/// How long a client has to send a whole request body.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest and shortest pauses after a failed `accept`.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(5), Duration::from_secs(1));
/// Repeated warnings (refused connections, failing accepts) at most this often.
const WARN_EVERY: Duration = Duration::from_secs(10);

pub struct HttpOptions {
    pub addr: SocketAddr,
    /// Accept requests whatever their `Host` (needed beyond loopback).
    pub remote: bool,
    /// Clients must send `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Browser origins allowed besides loopback ones (`--allow-origin`).
    pub origins: Vec<String>,
    pub max_connections: usize,
    pub max_sessions: usize,
    /// A session nobody used for this long is closed.
    pub session_idle: Duration,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// Serve `/metrics` too, behind the same token.
    pub metrics: Option<Scrape>,
    /// Seals legacy session ids, so any replica sharing the key resumes them.
    pub sessions: Arc<super::sessions::SealedSessions>,
    /// Answers `/readyz`.
    pub ready: Readiness,
    /// Set when the replica drains: new executions and sessions get 503,
    /// which a load balancer retries elsewhere.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}

impl HttpOptions {
    /// Loopback-style defaults: no token, the default bounds.
    pub fn new(addr: SocketAddr) -> HttpOptions {
        HttpOptions {
            addr,
            remote: false,
            token: None,
            origins: Vec::new(),
            max_connections: 512,
            max_sessions: 256,
            session_idle: Duration::from_secs(300),
            max_body_bytes: 4 << 20,
            metrics: None,
            sessions: Arc::new(
                super::sessions::SealedSessions::private().expect("a fresh session key"),
            ),
            ready: Arc::new(|| Ok(())),
            draining: Arc::default(),
        }
    }
}

/// Serves `server` (one clone per session) until `shutdown` resolves.
pub async fn serve<S: rmcp::ServerHandler + Clone + Send + Sync + 'static>(
    server: S,
    options: HttpOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut config = StreamableHttpServerConfig::default()
        .with_max_request_body_bytes(options.max_body_bytes)
        .with_allowed_origins(allowed_origins(&options))
        .enforce_origin_validation();
    if options.remote {
        config = config.disable_allowed_hosts();
    }
    config.session_store = Some(options.sessions.clone());
    // No priming event: rmcp gives it the id `0`, and a client resuming from
    // it is put on the session's common stream, where the answer to its call
    // never comes.
    config = config.with_sse_retry(None);
    let sessions_closed = config.cancellation_token.clone();
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.keep_alive = Some(options.session_idle);
    // How soon a legacy client whose response stream broke tries to resume
    // it: on the same replica it gets the rest; on another, whose refusal
    // it tries once more before giving up, it hears its call failed.
    sessions.session_config.sse_retry = Some(RESUME_AFTER);
    let sessions = Arc::new(sessions);
    let service = StreamableHttpService::new(move || Ok(server.clone()), sessions.clone(), config);
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .with_context(|| format!("cannot listen on {}", options.addr))?;
    let local = listener.local_addr()?;
    eprintln!("codemode: serving MCP at http://{local}{ENDPOINT}");
    let limits = Arc::new(Limits {
        ready: options.ready,
        draining: options.draining,
        sealed: options.sessions,
        metrics: options.metrics,
        token: options.token,
        max_sessions: options.max_sessions,
        max_body_bytes: options.max_body_bytes,
        sessions,
        stream_ids: StreamIds::new(),
    });
    let connections = Arc::new(Semaphore::new(options.max_connections));
    let mut refused = Warnings::default();
    let mut accept_failures = Warnings::default();
    let mut backoff = ACCEPT_BACKOFF.0;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => {
                    backoff = ACCEPT_BACKOFF.0;
                    accepted
                }
                Err(error) => {
                    // Out of file descriptors, say: retrying at once would
                    // spin and log millions of lines.
                    if let Some(count) = accept_failures.note() {
                        tracing::warn!("accepting connections failed {count} time(s) ({error}); backing off");
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF.1);
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = connections.clone().try_acquire_owned() else {
            if let Some(count) = refused.note() {
                tracing::warn!(
                    "refused {count} connection(s): {} are open, the most --max-connections allows",
                    options.max_connections
                );
            }
            drop(stream);
            continue;
        };
        // Responses are event streams written an event at a time: without
        // this, Nagle holds a stream's last bytes for the peer's delayed ACK
        // (40 ms a legacy `execute` behind nginx, measured).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%peer, "TCP_NODELAY: {error}");
        }
        let service = service.clone();
        let limits = limits.clone();
        let handler = hyper::service::service_fn(move |request: Request<Incoming>| {
            let service = service.clone();
            let limits = limits.clone();
            async move { Ok::<_, Infallible>(handle(request, service, &limits).await) }
        });
        tokio::spawn(async move {
            let _slot = slot;
            let builder = connection_builder();
            if let Err(error) = builder
                .serve_connection(TokioIo::new(stream), handler)
                .await
            {
                tracing::debug!(%peer, "connection ended: {error}");
            }
        });
    }
    sessions_closed.cancel();
    Ok(())
}

/// How each connection is served, MCP's and the metrics' alike: HTTP/1.1,
/// with a bound on the time to send request headers.
fn connection_builder() -> hyper_util::server::conn::auto::Builder<TokioExecutor> {
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    builder
}

/// What every request is checked against before rmcp sees it.
struct Limits {
    ready: Readiness,
    draining: Arc<std::sync::atomic::AtomicBool>,
    sealed: Arc<super::sessions::SealedSessions>,
    metrics: Option<Scrape>,
    token: Option<String>,
    max_sessions: usize,
    max_body_bytes: usize,
    sessions: Arc<LocalSessionManager>,
    stream_ids: StreamIds,
}

type Service<S> = StreamableHttpService<S, LocalSessionManager>;

async fn handle<S: rmcp::ServerHandler + Clone + Send + Sync + 'static>(
    request: Request<Incoming>,
    mut service: Service<S>,
    limits: &Limits,
) -> Reply {
    let path = request.uri().path();
    // Probes carry no secrets and need no token.
    if path == HEALTH {
        return plain(StatusCode::OK, "ok");
    }
    if path == READY {
        return match (limits.ready)() {
            Ok(()) => plain(StatusCode::OK, "ready"),
            Err(why) => plain(StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {why}")),
        };
    }
    let metrics = limits.metrics.as_ref().filter(|_| path == METRICS);
    if path != ENDPOINT && metrics.is_none() {
        return plain(StatusCode::NOT_FOUND, "not found: the MCP endpoint is /mcp");
    }
    if let Some(token) = &limits.token
        && !authorized(&request, token)
    {
        let mut response = plain(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
        response.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer"),
        );
        return response;
    }
    if let Some(scrape) = metrics {
        return exposition(scrape);
    }
    let (mut parts, body) = request.into_parts();
    // The client holds a sealed session id; rmcp knows the session by the
    // id inside (and restores it here if another replica made it).
    if let Some(sealed) = parts.headers.get(SESSION_HEADER)
        && let Some(local) = sealed.to_str().ok().and_then(|s| limits.sealed.open(s))
        && let Ok(header) = http::HeaderValue::from_str(&local)
    {
        if parts.method == http::Method::DELETE {
            limits.sealed.close(&local);
        }
        parts.headers.insert(SESSION_HEADER, header);
    }
    // A response stream can only be resumed where it was: after its replica
    // is gone, the call it carried has no answer to give, and the client
    // must hear so rather than wait.
    if let Some(last) = parts.headers.get(LAST_EVENT_ID)
        && let Ok(last) = last.to_str()
    {
        match limits.stream_ids.resume(last) {
            Resume::AsIs => {}
            Resume::Here(id) => {
                if let Ok(id) = http::HeaderValue::from_str(&id) {
                    parts.headers.insert(LAST_EVENT_ID, id);
                }
            }
            Resume::Elsewhere => {
                return plain(
                    StatusCode::NOT_FOUND,
                    "the stream to resume was on another replica, which is gone; the call it carried has no answer: make it again",
                );
            }
        }
    }
    // The body is read here, whole, bounded in size and in time, so a client
    // cannot hold a connection by sending it slowly.
    let body = match tokio::time::timeout(
        BODY_TIMEOUT,
        Limited::new(body, limits.max_body_bytes).collect(),
    )
    .await
    {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is larger than this server accepts (see --max-program-kb)",
            );
        }
        Ok(Err(_)) => {
            return plain(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            );
        }
        Err(_) => {
            return plain(
                StatusCode::REQUEST_TIMEOUT,
                "the request body was not sent in time",
            );
        }
    };
    if limits.draining.load(std::sync::atomic::Ordering::SeqCst)
        && parts.method == http::Method::POST
        && starts_work(&body)
    {
        let mut response = plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "this replica is shutting down and takes no new executions; retry (another replica will take it)",
        );
        response.headers_mut().insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("1"),
        );
        return response;
    }
    if parts.method == http::Method::POST
        && !parts.headers.contains_key(SESSION_HEADER)
        && let Some(id) = initialize_request_id(&body)
        && limits.sessions.sessions.read().await.len() >= limits.max_sessions
    {
        return too_many_sessions(id, limits.max_sessions);
    }
    let deleting = parts.method == http::Method::DELETE;
    let tool_call = parts.method == http::Method::POST
        && commit::accepts_event_stream(&parts.headers)
        && calls_tool(&body);
    let started = Started::default();
    if tool_call {
        parts.extensions.insert(started.clone());
    }
    let request = Request::from_parts(parts, Full::new(body));
    let reply = tower_service::Service::call(&mut service, request);
    let reply = async move {
        match reply.await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    };
    let mut response = if tool_call {
        commit::committed(reply, started).await
    } else {
        reply.await
    };
    // A draining replica lets no connection be kept for more requests.
    if limits.draining.load(std::sync::atomic::Ordering::SeqCst) {
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    // nginx would buffer an event stream unless told not to.
    if commit::is_event_stream(&response) {
        let (head, body) = response.into_parts();
        response = Response::from_parts(head, limits.stream_ids.tag(body));
        response
            .headers_mut()
            .insert("x-accel-buffering", http::HeaderValue::from_static("no"));
    }
    if let Some(local) = response.headers().get(SESSION_HEADER)
        && let Some(sealed) = local.to_str().ok().and_then(|s| limits.sealed.seal(s))
        && let Ok(sealed) = http::HeaderValue::from_str(&sealed)
    {
        response.headers_mut().insert(SESSION_HEADER, sealed);
    }
    // A session ended on the client's DELETE is done, not pending: clients
    // (the Python SDK among them) take anything but 200 or 204 as a failure.
    if deleting && response.status() == StatusCode::ACCEPTED {
        *response.status_mut() = StatusCode::OK;
    }
    response
}

/// Whether `body` asks for new work: a tool call (an execution) or a new
/// session. Answers to the server's own requests, notifications and the
/// rest still reach a draining replica.
fn starts_work(body: &[u8]) -> bool {
    requests_any(body, &["tools/call", "initialize"])
}

/// Whether `body` is a tool call.
fn calls_tool(body: &[u8]) -> bool {
    requests_any(body, &["tools/call"])
}

/// Whether `body` holds a request (not a notification) for one of `methods`.
fn requests_any(body: &[u8], methods: &[&str]) -> bool {
    // Cheap test first: most bodies name none of them.
    if !methods.iter().any(|m| names(body, m)) {
        return false;
    }
    let Ok(message) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let method = |m: &Value| {
        m.get("id").is_some()
            && m.get("method")
                .and_then(Value::as_str)
                .is_some_and(|m| methods.contains(&m))
    };
    match &message {
        Value::Array(batch) => batch.iter().any(method),
        single => method(single),
    }
}

/// Whether `body` holds the JSON string `text` anywhere (a cheap test that
/// spares parsing most bodies).
fn names(body: &[u8], text: &str) -> bool {
    let quoted = format!("\"{text}\"");
    body.windows(quoted.len()).any(|w| w == quoted.as_bytes())
}

/// The id of an `initialize` request (which opens a session), if `body` is one.
fn initialize_request_id(body: &[u8]) -> Option<Value> {
    // Cheap test first: most requests are not initializations.
    if !names(body, "initialize") {
        return None;
    }
    let message: Value = serde_json::from_slice(body).ok()?;
    (message.get("method")? == "initialize")
        .then(|| message.get("id").cloned().unwrap_or(Value::Null))
}

fn too_many_sessions(id: Value, max: usize) -> Reply {
    let message = format!(
        "this server has {max} open sessions, the most --max-sessions allows; idle sessions expire, so retry later, or close sessions you no longer use"
    );
    let body = json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32000, "message": message}});
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())).boxed());
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("30"),
    );
    response
}

/// Loopback origins (any port), and any given with `--allow-origin`. A
/// request with another `Origin` is refused with 403, as the MCP transport
/// requires against DNS rebinding; requests without one (non-browser
/// clients) are not affected.
fn allowed_origins(options: &HttpOptions) -> Vec<String> {
    let mut origins: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .flat_map(|host| [format!("http://{host}:*"), format!("https://{host}:*")])
        .collect();
    origins.extend(options.origins.iter().cloned());
    origins
}

fn authorized<B>(request: &Request<B>, token: &str) -> bool {
    let Some(given) = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(given) = given.strip_prefix("Bearer ") else {
        return false;
    };
    // Compare in constant time, so response times do not leak the token.
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The metrics as Prometheus scrapes them.
fn exposition(scrape: &Scrape) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(scrape())).boxed());
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Listens at `addr` for [`serve_metrics`].
pub async fn metrics_listener(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for --metrics"))?;
    eprintln!(
        "codemode: serving metrics at http://{}{METRICS}",
        listener.local_addr()?
    );
    Ok(listener)
}

/// Serves only `/metrics` (`--metrics`) on `listener`, until `shutdown` resolves.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    scrape: Scrape,
    shutdown: impl std::future::Future<Output = ()>,
) {
    // A scraper needs one or two connections; a flood gets no more.
    let connections = Arc::new(Semaphore::new(16));
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    tokio::time::sleep(ACCEPT_BACKOFF.1).await;
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let Ok(slot) = connections.clone().try_acquire_owned() else {
            continue;
        };
        let scrape = scrape.clone();
        let handler = hyper::service::service_fn(move |request: Request<Incoming>| {
            let reply = if request.uri().path() == METRICS {
                exposition(&scrape)
            } else {
                plain(
                    StatusCode::NOT_FOUND,
                    "not found: the metrics are at /metrics",
                )
            };
            async move { Ok::<_, Infallible>(reply) }
        });
        tokio::spawn(async move {
            let _slot = slot;
            let builder = connection_builder();
            let _ = builder
                .serve_connection(TokioIo::new(stream), handler)
                .await;
        });
    }
}

fn plain(status: StatusCode, text: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(text.into()).boxed());
    *response.status_mut() = status;
    response
}

/// Counts an event that may repeat fast, and says when to warn about it:
/// the first time, then at most every [`WARN_EVERY`] with the count since.
#[derive(Default)]
struct Warnings {
    last: Option<Instant>,
    count: u64,
}

impl Warnings {
    fn note(&mut self) -> Option<u64> {
        self.count += 1;
        let due = self.last.is_none_or(|last| last.elapsed() >= WARN_EVERY);
        due.then(|| {
            self.last = Some(Instant::now());
            std::mem::take(&mut self.count)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initialize_requests_are_recognized() {
        let init = br#"{"jsonrpc":"2.0","id":7,"method":"initialize","params":{}}"#;
        assert_eq!(initialize_request_id(init), Some(json!(7)));
        let call =
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"initialize"}}"#;
        assert_eq!(initialize_request_id(call), None);
        assert_eq!(initialize_request_id(b"not json"), None);
    }

    #[test]
    fn tool_calls_are_recognized_by_their_method_alone() {
        let call = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"execute"}}"#;
        assert!(calls_tool(call) && starts_work(call));
        let batch = br#"[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"method":"tools/call"}]"#;
        assert!(calls_tool(batch));
        // Named only in arguments, or as a notification: no tool call.
        let named =
            br#"{"jsonrpc":"2.0","id":3,"method":"prompts/get","params":{"name":"tools/call"}}"#;
        assert!(!calls_tool(named) && !starts_work(named));
        let notification = br#"{"jsonrpc":"2.0","method":"tools/call"}"#;
        assert!(!calls_tool(notification));
        let init = br#"{"jsonrpc":"2.0","id":4,"method":"initialize"}"#;
        assert!(!calls_tool(init) && starts_work(init));
    }

    #[test]
    fn repeated_warnings_are_counted_not_repeated() {
        let mut warnings = Warnings::default();
        assert_eq!(warnings.note(), Some(1));
        assert_eq!(warnings.note(), None);
        assert_eq!(warnings.note(), None);
        warnings.last = Some(Instant::now() - WARN_EVERY);
        assert_eq!(warnings.note(), Some(3));
    }
}
