//! The stages every request passes before and after rmcp sees it, in one
//! fixed order ([`handle`]); each stage may answer the request itself.
//!
//! The order matters: nothing is read before `Host` and `Origin` are
//! checked, probes need no token, the body is read whole before anything
//! decides on what it asks, and a request is counted busy (not shed) only
//! once it is whole.

use std::ops::ControlFlow::{self, Break, Continue};
use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use rmcp::transport::streamable_http_server::StreamableHttpService;
use serde_json::{Value, json};

use super::super::commit::{self, HttpReply, Started};
use super::super::connections::{Activity, StandingStreams, Stands};
use super::super::held::{HeldSessions, SessionEnds};
use super::super::intent::Intent;
use super::super::resume::{Resume, StreamIds};
use super::super::sessions::SealedSessions;
use super::{
    BODY_TIMEOUT, ENDPOINT, HEALTH, LAST_EVENT_ID, METRICS, READY, Readiness, Rebinding,
    SESSION_HEADER, Scrape, busy_until_sent, exposition, plain,
};

/// A stage's verdict: go on with what it found, or break off with the answer.
type Stage<T> = ControlFlow<HttpReply, T>;

/// What the stages check requests against, by concern.
pub(super) struct Gates {
    /// `Host` and `Origin` (see [`Rebinding`]).
    pub(super) rebinding: Rebinding,
    pub(super) replica: Replica,
    /// Clients must send `Authorization: Bearer <token>`.
    pub(super) token: Option<String>,
    /// Serves `/metrics` beside `/mcp`, behind the same token.
    pub(super) metrics: Option<Scrape>,
    /// The largest request body accepted.
    pub(super) max_body_bytes: usize,
    pub(super) sessions: SessionGate,
    pub(super) streams: Streams,
}

/// Whether this replica takes work.
pub(super) struct Replica {
    /// Answers `/readyz`.
    pub(super) ready: Readiness,
    /// Set when the replica drains: no new executions or sessions.
    pub(super) draining: Arc<std::sync::atomic::AtomicBool>,
}

impl Replica {
    fn draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The sessions: those held here, their sealed ids, and the cap.
pub(super) struct SessionGate {
    pub(super) held: Arc<HeldSessions>,
    pub(super) sealed: Arc<SealedSessions>,
    pub(super) max: usize,
    /// Held while a request that may open a session is checked against the
    /// cap and made, so that concurrent ones cannot all pass the check.
    pub(super) opening: Arc<tokio::sync::Mutex<()>>,
}

/// Response streams: their event ids, and the connections they may hold.
pub(super) struct Streams {
    pub(super) ids: StreamIds,
    pub(super) standing: StandingStreams,
}

pub(super) type Service<S> = StreamableHttpService<S, HeldSessions>;

/// Runs a request through every stage, in order, and rmcp in the middle.
pub(super) async fn handle<S: rmcp::ServerHandler + Clone + Send + Sync + 'static>(
    request: Request<Incoming>,
    service: Service<S>,
    gates: &Gates,
    activity: &Activity,
) -> HttpReply {
    match stages(request, service, gates, activity).await {
        Continue(reply) | Break(reply) => reply,
    }
}

/// The stages, in order: each `?` is one that may answer the request itself.
async fn stages<S: rmcp::ServerHandler + Clone + Send + Sync + 'static>(
    request: Request<Incoming>,
    service: Service<S>,
    gates: &Gates,
    activity: &Activity,
) -> Stage<HttpReply> {
    check_host_and_origin(&request, &gates.rebinding)?;
    answer_probes(&request, &gates.replica)?;
    let metrics = route(&request, gates.metrics.as_ref())?;
    check_token(&request, gates.token.as_deref())?;
    answer_metrics(metrics)?;
    let (mut parts, body) = request.into_parts();
    let restorable = unseal_session_id(&mut parts, &gates.sessions);
    resume_here(&mut parts, &gates.streams)?;
    let body = read_body(body, gates.max_body_bytes).await?;
    // A whole request is in: from here the connection is serving it, and is
    // not shed for a newer one.
    let busy = activity.busy();
    let asks = Asks::of(&parts, &body, restorable, &gates.sessions).await;
    refuse_work_when_draining(&asks, &gates.replica)?;
    let stands = stand_open(&parts, &asks, &gates.streams)?;
    let opening = open_one_at_a_time(&asks, &gates.sessions).await;
    check_session_cap(&asks, &gates.sessions).await?;
    let mut response = forward(parts, body, service, &asks, opening, &gates.sessions).await;
    check_session_cap_after(&response, &asks, &gates.sessions).await?;
    close_when_draining(&mut response, &gates.replica);
    let mut response = tag_event_stream(response, &gates.streams);
    seal_session_id(&mut response, &gates.sessions);
    acknowledge_delete(&mut response, &asks);
    Continue(busy_until_sent(response, (busy, stands)))
}

/// What a request asks for, which the stages after the body decide on.
struct Asks {
    intent: Intent,
    initializing: bool,
    /// It opens a session (an `initialize`, or a sealed id rmcp restores).
    opens_session: bool,
    deleting: bool,
    /// Answered as `-32000` with this id when the session cap refuses it.
    session_id: Value,
    /// The session it names, if any.
    session: Option<String>,
}

impl Asks {
    async fn of(parts: &Parts, body: &Bytes, restorable: bool, sessions: &SessionGate) -> Asks {
        let post = parts.method == http::Method::POST;
        // Every gate decides on the message as rmcp will read it, never on how
        // its text is spelled.
        let intent = if post {
            Intent::of(body)
        } else {
            Intent::Other
        };
        // It opens a session (an `initialize`, or a sealed id rmcp restores)
        // unless it names one here (live, or being restored for a concurrent
        // request, which it then waits for); an ended session's id opens none.
        let initializing = matches!(intent, Intent::Initialize(_));
        let session = match parts.headers.get(SESSION_HEADER).map(|v| v.to_str()) {
            Some(Ok(id)) => Some(id.to_owned()),
            _ => None,
        };
        let here = match &session {
            Some(id) => sessions.held.holds(id).await,
            None => false,
        };
        let opens_session =
            (initializing || restorable) && !here && parts.method != http::Method::DELETE;
        let session_id = match &intent {
            Intent::Initialize(id) => id.clone(),
            _ => Value::Null,
        };
        Asks {
            intent,
            initializing,
            opens_session,
            deleting: parts.method == http::Method::DELETE,
            session_id,
            session,
        }
    }
}

/// DNS rebinding: a `Host` or browser `Origin` this server does not serve.
fn check_host_and_origin<B>(request: &Request<B>, rebinding: &Rebinding) -> Stage<()> {
    match rebinding.refusal(request.uri(), request.headers()) {
        Some((status, why)) => Break(plain(status, why)),
        None => Continue(()),
    }
}

/// Liveness and readiness: probes carry no secrets and need no token.
fn answer_probes<B>(request: &Request<B>, replica: &Replica) -> Stage<()> {
    let path = request.uri().path();
    if path == HEALTH {
        return Break(plain(StatusCode::OK, "ok"));
    }
    if path == READY {
        return Break(match (replica.ready)() {
            Ok(()) => plain(StatusCode::OK, "ready"),
            Err(why) => plain(StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {why}")),
        });
    }
    Continue(())
}

/// `/mcp`, or `/metrics` where it is served here (its scrape); else 404.
fn route<'a, B>(request: &Request<B>, metrics: Option<&'a Scrape>) -> Stage<Option<&'a Scrape>> {
    let path = request.uri().path();
    let metrics = metrics.filter(|_| path == METRICS);
    if path != ENDPOINT && metrics.is_none() {
        return Break(plain(
            StatusCode::NOT_FOUND,
            "not found: the MCP endpoint is /mcp",
        ));
    }
    Continue(metrics)
}

/// The bearer token, when the server has one.
fn check_token<B>(request: &Request<B>, token: Option<&str>) -> Stage<()> {
    if let Some(token) = token
        && !authorized(request, token)
    {
        let mut response = plain(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
        response.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer"),
        );
        return Break(response);
    }
    Continue(())
}

/// A scrape of `/metrics`, once the token let it in.
fn answer_metrics(metrics: Option<&Scrape>) -> Stage<()> {
    match metrics {
        Some(scrape) => Break(exposition(scrape)),
        None => Continue(()),
    }
}

/// The client holds a sealed session id; rmcp knows the session by the id
/// inside (and restores it here if another replica made it). Whether it
/// can be restored.
fn unseal_session_id(parts: &mut Parts, sessions: &SessionGate) -> bool {
    let mut restorable = false;
    if let Some(sealed) = parts.headers.get(SESSION_HEADER)
        && let Some(local) = sealed.to_str().ok().and_then(|s| sessions.sealed.open(s))
        && let Ok(header) = http::HeaderValue::from_str(&local)
    {
        if parts.method == http::Method::DELETE {
            sessions.sealed.close(&local);
        }
        parts.headers.insert(SESSION_HEADER, header);
        restorable = true;
    }
    restorable
}

/// A response stream can only be resumed where it was: after its replica
/// is gone, the call it carried has no answer to give, and the client
/// must hear so rather than wait.
fn resume_here(parts: &mut Parts, streams: &Streams) -> Stage<()> {
    if let Some(last) = parts.headers.get(LAST_EVENT_ID)
        && let Ok(last) = last.to_str()
    {
        match streams.ids.resume(last) {
            Resume::AsIs => {}
            Resume::Here(id) => {
                if let Ok(id) = http::HeaderValue::from_str(&id) {
                    parts.headers.insert(LAST_EVENT_ID, id);
                }
            }
            Resume::Elsewhere => {
                return Break(plain(
                    StatusCode::NOT_FOUND,
                    "the stream to resume was on another replica, which is gone; the call it carried has no answer: make it again",
                ));
            }
        }
    }
    Continue(())
}

/// The body is read here, whole, bounded in size and in time, so a client
/// cannot hold a connection by sending it slowly.
async fn read_body(body: Incoming, max_body_bytes: usize) -> Stage<Bytes> {
    match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, max_body_bytes).collect()).await {
        Ok(Ok(collected)) => Continue(collected.to_bytes()),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => Break(plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is larger than this server accepts (it follows from the largest program it compiles); send a smaller program",
        )),
        Ok(Err(_)) => Break(plain(
            StatusCode::BAD_REQUEST,
            "the request body could not be read",
        )),
        Err(_) => Break(plain(
            StatusCode::REQUEST_TIMEOUT,
            "the request body was not sent in time",
        )),
    }
}

/// A draining replica takes no new executions or sessions: 503, which a
/// load balancer retries elsewhere.
fn refuse_work_when_draining(asks: &Asks, replica: &Replica) -> Stage<()> {
    if replica.draining() && (asks.intent.starts_work() || asks.opens_session) {
        let mut response = plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "this replica is shutting down and takes no new work; retry (another replica will take it)",
        );
        response.headers_mut().insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("1"),
        );
        return Break(response);
    }
    Continue(())
}

/// A response that stands open for events is never shed, so such
/// responses may take only part of the connections.
fn stand_open(parts: &Parts, asks: &Asks, streams: &Streams) -> Stage<Option<Stands>> {
    if parts.method == http::Method::GET || asks.intent == Intent::Listen {
        match streams.standing.stand() {
            Some(stands) => Continue(Some(stands)),
            None => Break(too_many_streams(streams.standing.max())),
        }
    } else {
        Continue(None)
    }
}

/// Initializations are checked against the cap and made one at a time
/// (each takes a moment), so that concurrent ones cannot all pass it; a
/// restore is checked again where rmcp makes it (see `held`).
async fn open_one_at_a_time(
    asks: &Asks,
    sessions: &SessionGate,
) -> Option<tokio::sync::OwnedMutexGuard<()>> {
    if asks.opens_session && asks.initializing {
        Some(sessions.opening.clone().lock_owned().await)
    } else {
        None
    }
}

/// `--max-sessions`, before a session is opened.
async fn check_session_cap(asks: &Asks, sessions: &SessionGate) -> Stage<()> {
    if asks.opens_session
        && sessions.held.count().await >= sessions.max
        && !restored_meanwhile(asks, sessions).await
    {
        return Break(too_many_sessions(asks.session_id.clone(), sessions.max));
    }
    Continue(())
}

/// A restore that a concurrent request of the same session made (or is
/// making) since this one was read: it opens nothing. Asked after the count,
/// so a restore between the two is seen here.
async fn restored_meanwhile(asks: &Asks, sessions: &SessionGate) -> bool {
    match &asks.session {
        Some(id) if !asks.initializing => sessions.held.holds(id).await,
        _ => false,
    }
}

/// rmcp's answer; a tool call's response starts when the call begins (see
/// [`commit`]), and the next session may be checked once this one is made.
async fn forward<S: rmcp::ServerHandler + Clone + Send + Sync + 'static>(
    mut parts: Parts,
    body: Bytes,
    mut service: Service<S>,
    asks: &Asks,
    opening: Option<tokio::sync::OwnedMutexGuard<()>>,
    sessions: &SessionGate,
) -> HttpReply {
    // Ending the session cancels what runs in it (see `held`).
    parts.extensions.insert(SessionEnds(sessions.held.clone()));
    // rmcp answers a POST only for clients that take event streams (else
    // 406, before the call could begin), so a call that begins may be
    // answered with one.
    let tool_call = matches!(asks.intent, Intent::CallTool | Intent::Continue);
    let started = Started::default();
    if tool_call {
        parts.extensions.insert(started.clone());
    }
    let request = Request::from_parts(parts, Full::new(body));
    let reply = tower_service::Service::call(&mut service, request);
    let reply = async move {
        let response = match reply.await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        // The session is made (or not): the next may be checked.
        drop(opening);
        response
    };
    if tool_call {
        commit::committed(reply, started).await
    } else {
        reply.await
    }
}

/// rmcp's 500 for a session `held` refused at the cap.
async fn check_session_cap_after(
    response: &HttpReply,
    asks: &Asks,
    sessions: &SessionGate,
) -> Stage<()> {
    if asks.opens_session
        && response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && sessions.held.count().await >= sessions.max
    {
        return Break(too_many_sessions(asks.session_id.clone(), sessions.max));
    }
    Continue(())
}

/// A draining replica lets no connection be kept for more requests.
fn close_when_draining(response: &mut HttpReply, replica: &Replica) {
    if replica.draining() {
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
}

/// An event stream's ids name this replica (see [`StreamIds`]); nginx
/// would buffer it unless told not to.
fn tag_event_stream(mut response: HttpReply, streams: &Streams) -> HttpReply {
    if commit::is_event_stream(&response) {
        let (head, body) = response.into_parts();
        response = Response::from_parts(head, streams.ids.tag(body));
        response
            .headers_mut()
            .insert("x-accel-buffering", http::HeaderValue::from_static("no"));
    }
    response
}

/// The session id rmcp gave, sealed, so any replica sharing the key can
/// restore it.
fn seal_session_id(response: &mut HttpReply, sessions: &SessionGate) {
    if let Some(local) = response.headers().get(SESSION_HEADER)
        && let Some(sealed) = local.to_str().ok().and_then(|s| sessions.sealed.seal(s))
        && let Ok(sealed) = http::HeaderValue::from_str(&sealed)
    {
        response.headers_mut().insert(SESSION_HEADER, sealed);
    }
}

/// A session ended on the client's DELETE is done, not pending: clients
/// (the Python SDK among them) take anything but 200 or 204 as a failure.
fn acknowledge_delete(response: &mut HttpReply, asks: &Asks) {
    if asks.deleting && response.status() == StatusCode::ACCEPTED {
        *response.status_mut() = StatusCode::OK;
    }
}

fn too_many_streams(max: usize) -> HttpReply {
    let mut response = plain(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "this server holds {max} event streams open (subscriptions/listen, GET streams), the most it allows: half its connections; close one you no longer read, or retry later"
        ),
    );
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("5"),
    );
    response
}

fn too_many_sessions(id: Value, max: usize) -> HttpReply {
    let message = format!(
        "this server has {max} open sessions, the most it allows; idle sessions expire, so retry later, or close sessions you no longer use"
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

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str, authorization: Option<&str>) -> Request<()> {
        let mut request = Request::get(path);
        if let Some(value) = authorization {
            request = request.header(http::header::AUTHORIZATION, value);
        }
        request.body(()).unwrap()
    }

    fn answered<T>(stage: Stage<T>) -> HttpReply {
        match stage {
            Break(reply) => reply,
            Continue(_) => panic!("the stage let the request through"),
        }
    }

    #[test]
    fn probes_are_answered_whatever_the_token() {
        let replica = Replica {
            ready: Arc::new(|| Err("draining".to_owned())),
            draining: Arc::default(),
        };
        let health = answered(answer_probes(&get(HEALTH, None), &replica));
        assert_eq!(health.status(), StatusCode::OK);
        let ready = answered(answer_probes(&get(READY, None), &replica));
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(answer_probes(&get(ENDPOINT, None), &replica).is_continue());
    }

    #[test]
    fn only_the_endpoint_and_served_metrics_are_routed() {
        let scrape: Scrape = Arc::new(String::new);
        assert!(matches!(
            route(&get(ENDPOINT, None), Some(&scrape)),
            Continue(None)
        ));
        assert!(matches!(
            route(&get(METRICS, None), Some(&scrape)),
            Continue(Some(_))
        ));
        for (path, metrics) in [(METRICS, None), ("/other", Some(&scrape))] {
            let reply = answered(route(&get(path, None), metrics));
            assert_eq!(reply.status(), StatusCode::NOT_FOUND, "{path}");
        }
    }

    #[test]
    fn only_the_right_bearer_token_passes() {
        let token = Some("s3cret");
        assert!(check_token(&get(ENDPOINT, Some("Bearer s3cret")), token).is_continue());
        for given in [
            None,
            Some("Bearer s3cre"),
            Some("s3cret"),
            Some("Bearer s3cret "),
        ] {
            let reply = answered(check_token(&get(ENDPOINT, given), token));
            assert_eq!(reply.status(), StatusCode::UNAUTHORIZED, "{given:?}");
            assert_eq!(reply.headers()[http::header::WWW_AUTHENTICATE], "Bearer");
        }
        assert!(check_token(&get(ENDPOINT, None), None).is_continue());
    }
}
