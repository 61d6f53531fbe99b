//! A tool call's HTTP response starts as soon as the call begins.
//!
//! rmcp answers a 2026-07-28 request only when its first message is ready,
//! which for an `execute` is its result. Until a response starts, a load
//! balancer that loses the replica may send the request to another (nginx
//! does with `proxy_next_upstream ... non_idempotent`, which the shipped
//! config needs so that draining replicas' 503s are retried), and the
//! program would run twice, its tool calls included. So `execute` marks
//! itself as begun ([`Started::mark`]), and the response's headers go out
//! then, as an event stream that carries the answer when it comes: an
//! execution runs once, or its client hears that it failed. (Tools passed
//! through with `--expose-tools` answer as rmcp does: their errors keep the
//! HTTP status MCP gives them, which a started response could not.)

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use rmcp::RoleServer;
use rmcp::service::RequestContext;
use tokio::sync::Notify;

pub(super) type HttpReply = Response<BoxBody<Bytes, Infallible>>;

const EVENT_STREAM: &str = "text/event-stream";

/// Put in an HTTP request's extensions; told by the tool-call handler when
/// the call begins.
#[derive(Clone, Default)]
pub(super) struct Started(Arc<Notify>);

impl Started {
    /// Marks the call of `context` as begun, when it came over HTTP with a
    /// [`Started`] (a no-op over stdio).
    pub(super) fn mark(context: &RequestContext<RoleServer>) {
        if let Some(parts) = context.extensions.get::<http::request::Parts>()
            && let Some(started) = parts.extensions.get::<Started>()
        {
            // A permit is stored if nobody waits yet, so it is never missed.
            started.0.notify_one();
        }
    }
}

pub(super) fn is_event_stream(response: &HttpReply) -> bool {
    response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(EVENT_STREAM.as_bytes()))
}

/// `reply` as rmcp makes it if it is ready before the call begins (an
/// error found before the handler, a legacy session's stream); else an
/// event stream whose headers go out when the call begins.
pub(super) async fn committed<F>(reply: F, started: Started) -> HttpReply
where
    F: Future<Output = HttpReply> + Send + 'static,
{
    let mut reply = Box::pin(reply);
    tokio::select! {
        biased;
        response = &mut reply => return response,
        () = started.0.notified() => {}
    }
    let (frames, mut body) = tokio::sync::mpsc::channel(8);
    tokio::spawn(forward(reply, frames));
    let body = futures::stream::poll_fn(move |cx| body.poll_recv(cx));
    let mut response = Response::new(BodyExt::boxed(StreamBody::new(body)));
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(EVENT_STREAM),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-cache"),
    );
    response
}

type Frames = tokio::sync::mpsc::Sender<Result<Frame<Bytes>, Infallible>>;

/// Sends `reply`'s answer to `frames` as events. When the client goes away,
/// `reply` is dropped as hyper would have dropped it, which cancels the call.
async fn forward(reply: impl Future<Output = HttpReply>, frames: Frames) {
    let response = tokio::select! {
        response = reply => response,
        () = frames.closed() => return,
    };
    if is_event_stream(&response) {
        let mut body = response.into_body();
        loop {
            let frame = tokio::select! {
                frame = body.frame() => frame,
                () = frames.closed() => return,
            };
            let Some(frame) = frame else { return };
            if frames.send(frame).await.is_err() {
                return;
            }
        }
    }
    // A JSON answer, sent as the one event of the stream.
    let bytes = match response.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    let _ = frames.send(Ok(Frame::data(as_event(&bytes)))).await;
}

/// One server-sent event of type `message` carrying `json`.
fn as_event(json: &[u8]) -> Bytes {
    let mut event = b"event: message\n".to_vec();
    // serde_json writes no raw newline, but a data line must not hold one.
    for line in json.split(|&b| b == b'\n') {
        event.extend_from_slice(b"data: ");
        event.extend_from_slice(line);
        event.push(b'\n');
    }
    event.push(b'\n');
    Bytes::from(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    fn json_reply(body: &'static str) -> HttpReply {
        let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())).boxed());
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        response
    }

    #[tokio::test]
    async fn a_reply_ready_before_the_call_begins_is_sent_as_it_is() {
        let reply = committed(async { json_reply("{\"id\":1}") }, Started::default()).await;
        assert!(!is_event_stream(&reply));
        let body = reply.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, "{\"id\":1}");
    }

    #[tokio::test]
    async fn a_begun_call_answers_at_once_with_a_stream_that_carries_the_result() {
        let started = Started::default();
        let (answer, answered) = tokio::sync::oneshot::channel::<()>();
        let reply = async move {
            let _ = answered.await;
            json_reply("{\"id\":1,\n\"result\":{}}")
        };
        started.0.notify_one();
        // The headers are here while the answer is still to come.
        let reply = committed(reply, started).await;
        assert!(is_event_stream(&reply));
        answer.send(()).unwrap();
        let body = reply.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            body,
            "event: message\ndata: {\"id\":1,\ndata: \"result\":{}}\n\n"
        );
    }
}
