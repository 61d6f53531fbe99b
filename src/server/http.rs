//! Serving MCP over streamable HTTP at `/mcp`, one session per client.
//!
//! Every client is a potential adversary, so each resource a connection can
//! hold is bounded: connections (`--max-connections`), the time to send
//! request headers and a request body, the size of a body, and sessions
//! (`--max-sessions`, idle ones expire). Browser origins are checked as the
//! MCP transport requires, and failing `accept` calls back off.

mod stages;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::commit::HttpReply;
use super::connections::{Admitted, Cap, Connections, HeldConnection, StandingStreams};
use super::held::HeldSessions;
pub use super::rebinding::Rebinding;
use super::resume::StreamIds;
use stages::{Gates, Replica, SessionGate, Streams};

pub const ENDPOINT: &str = "/mcp";
pub(super) const SESSION_HEADER: &str = "mcp-session-id";
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
/// Connections the `--metrics` port holds at once.
const METRICS_CONNECTIONS: usize = 16;
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
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .with_context(|| format!("cannot listen on {}", options.addr))?;
    serve_on(listener, server, options, shutdown).await
}

/// [`serve`] on a listener bound already (to port 0 by a test, which reads
/// the address from it); `options.addr` is not used.
pub async fn serve_on<S: rmcp::ServerHandler + Clone + Send + Sync + 'static>(
    listener: tokio::net::TcpListener,
    server: S,
    options: HttpOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let rebinding = Rebinding::new(options.remote, &options.origins);
    // `Host` is checked for every endpoint before rmcp sees a request (see
    // `Rebinding`); rmcp checks `Origin` again on `/mcp`.
    let mut config = StreamableHttpServerConfig::default()
        .with_max_request_body_bytes(options.max_body_bytes)
        .with_allowed_origins(rebinding.origins().to_vec())
        .enforce_origin_validation()
        .disable_allowed_hosts();
    config.session_store = Some(options.sessions.clone());
    // No priming event: rmcp gives it the id `0`, and a client resuming from
    // it is put on the session's common stream, where the answer to its call
    // never comes.
    config = config.with_sse_retry(None);
    let sessions_closed = config.cancellation_token.clone();
    let mut sessions = LocalSessionManager::default();
    // Idle sessions are ended by `held`, which knows when a request runs.
    sessions.session_config.keep_alive = None;
    // How soon a legacy client whose response stream broke tries to resume
    // it: on the same replica it gets the rest; on another, whose refusal
    // it tries once more before giving up, it hears its call failed.
    sessions.session_config.sse_retry = Some(RESUME_AFTER);
    let sessions = Arc::new(HeldSessions::new(
        sessions,
        options.max_sessions,
        options.sessions.clone(),
        options.session_idle,
    ));
    tokio::spawn(HeldSessions::expire_idle(Arc::downgrade(&sessions)));
    let service = StreamableHttpService::new(move || Ok(server.clone()), sessions.clone(), config);
    let local = listener.local_addr()?;
    eprintln!("codemode: serving MCP at http://{local}{ENDPOINT}");

    let cap = Cap::new(options.max_connections);
    if let Some(limit) = cap.lowered_by {
        tracing::warn!(
            "at most {} HTTP connections at once, fewer than --max-connections {}: the process may open {limit} file descriptors (`ulimit -n`), and a quarter of them is kept for upstreams and files; raise the limit for more",
            cap.connections,
            options.max_connections
        );
    }
    let connections = Connections::new(cap.connections);
    let gates = Arc::new(Gates {
        rebinding,
        replica: Replica {
            ready: options.ready,
            draining: options.draining,
        },
        token: options.token,
        metrics: options.metrics,
        max_body_bytes: options.max_body_bytes,
        sessions: SessionGate {
            held: sessions,
            sealed: options.sessions,
            max: options.max_sessions,
            opening: Arc::default(),
        },
        streams: Streams {
            ids: StreamIds::new(),
            standing: StandingStreams::within(connections.max()),
        },
    });
    let mut refused = Warnings::default();
    let mut shed = Warnings::default();
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
        let held = match connections.admit() {
            Admitted::Free(held) => held,
            Admitted::ShedOne(held) => {
                if let Some(count) = shed.note() {
                    tracing::warn!(
                        "closed {count} connection(s) that had sent no whole request, to make room: {} are open, the most allowed",
                        connections.max()
                    );
                }
                held
            }
            Admitted::Refused => {
                if let Some(count) = refused.note() {
                    tracing::warn!(
                        "refused {count} connection(s): {} are open and serving requests, the most allowed (see --max-connections)",
                        connections.max()
                    );
                }
                drop(stream);
                continue;
            }
        };
        // Responses are event streams written an event at a time: without
        // this, Nagle holds a stream's last bytes for the peer's delayed ACK
        // (40 ms a legacy `execute` behind nginx, measured).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%peer, "TCP_NODELAY: {error}");
        }
        let service = service.clone();
        let gates = gates.clone();
        let activity = held.activity.clone();
        let handler = hyper::service::service_fn(move |request: Request<Incoming>| {
            let service = service.clone();
            let gates = gates.clone();
            let activity = activity.clone();
            async move { Ok::<_, Infallible>(stages::handle(request, service, &gates, &activity).await) }
        });
        tokio::spawn(serve_connection(stream, peer, held, handler));
    }
    sessions_closed.cancel();
    Ok(())
}

/// Serves one connection, MCP's and the metrics' alike, until it ends or is
/// shed to make room: HTTP/1.1, with a bound on the time to send request
/// headers.
async fn serve_connection<H>(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    held: HeldConnection,
    handler: H,
) where
    H: hyper::service::Service<Request<Incoming>, Response = HttpReply, Error = Infallible>,
    H::Future: Send + 'static,
{
    let shed = held.shed.clone();
    let _held = held;
    let builder = connection_builder();
    let connection = builder.serve_connection(TokioIo::new(stream), handler);
    tokio::select! {
        served = connection => if let Err(error) = served {
            tracing::debug!(%peer, "connection ended: {error}");
        },
        () = shed.cancelled() => tracing::debug!(%peer, "connection shed to make room"),
    }
}

fn connection_builder() -> hyper_util::server::conn::auto::Builder<TokioExecutor> {
    // HTTP/1.1 only: another crate's features switch HTTP/2 on in hyper,
    // where one connection carries hundreds of requests past
    // --max-connections and no header timeout applies.
    let mut builder =
        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    builder
}

/// `response`, `busy` (its connection counted busy, say) held until its
/// body is sent.
fn busy_until_sent<B: Send + Sync + 'static>(response: HttpReply, busy: B) -> HttpReply {
    let (head, body) = response.into_parts();
    let frames = futures::StreamExt::map(http_body_util::BodyStream::new(body), move |frame| {
        let _serving = &busy;
        frame
    });
    Response::from_parts(
        head,
        BodyExt::boxed(http_body_util::StreamBody::new(frames)),
    )
}

/// The metrics as Prometheus scrapes them.
fn exposition(scrape: &Scrape) -> HttpReply {
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
        .with_context(|| format!("cannot listen on {addr} to serve metrics"))?;
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
    rebinding: Rebinding,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let rebinding = Arc::new(rebinding);
    // A scraper needs one or two connections; a flood gets no more, and
    // stalled ones make room for it.
    let connections = Connections::new(METRICS_CONNECTIONS);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => {
                    tokio::time::sleep(ACCEPT_BACKOFF.1).await;
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let held = match connections.admit() {
            Admitted::Free(held) | Admitted::ShedOne(held) => held,
            Admitted::Refused => continue,
        };
        let scrape = scrape.clone();
        let rebinding = rebinding.clone();
        let activity = held.activity.clone();
        let handler = hyper::service::service_fn(move |request: Request<Incoming>| {
            let busy = activity.busy();
            let refusal = rebinding.refusal(request.uri(), request.headers());
            let reply = if let Some((status, why)) = refusal {
                plain(status, why)
            } else if request.uri().path() == METRICS {
                exposition(&scrape)
            } else {
                plain(
                    StatusCode::NOT_FOUND,
                    "not found: the metrics are at /metrics",
                )
            };
            let reply = busy_until_sent(reply, busy);
            async move { Ok::<_, Infallible>(reply) }
        });
        tokio::spawn(serve_connection(stream, peer, held, handler));
    }
}

fn plain(status: StatusCode, text: impl Into<Bytes>) -> HttpReply {
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
    fn repeated_warnings_are_counted_not_repeated() {
        let mut warnings = Warnings::default();
        assert_eq!(warnings.note(), Some(1));
        assert_eq!(warnings.note(), None);
        assert_eq!(warnings.note(), None);
        warnings.last = Some(Instant::now() - WARN_EVERY);
        assert_eq!(warnings.note(), Some(3));
    }
}
