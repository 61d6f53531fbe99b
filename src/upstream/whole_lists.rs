//! A work-around for a race in rmcp 3.9's streamable HTTP client. rmcp learns
//! each tool's `x-mcp-header` annotations from the `tools/list` result (to
//! send `Mcp-Param-*` headers with its calls, and to drop tools whose
//! annotations are invalid), but only on some paths: when the result comes
//! on an event stream and the stream's end is handled before the queued
//! message, the message is drained past that step. Calls then go out
//! without their headers (a server that checks them answers 400), about
//! once in ten lists here. See `docs/upstream/rmcp-mcp-param-race.md`.
//!
//! So a `tools/list` answered as an event stream is read here until its
//! result, which is handed to rmcp as a plain JSON answer, the path that
//! always learns the annotations. Anything else the stream carries first
//! is handed on as the stream it was, in order, and so is a stream whose
//! first few events are not the result; a request from the server stops the
//! reading at once, since the server may wait for its answer.

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use http::{HeaderName, HeaderValue};
use rmcp::model::{ClientJsonRpcMessage, ClientRequest, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
};
use sse_stream::{Error as SseError, Sse};

type Events = BoxStream<'static, Result<Sse, SseError>>;

/// Events read before the result at most: a server may open its stream with
/// a priming event or two, and one that sends more (or never the result) is
/// handed on as it is, so that nothing it sends piles up here.
const MAX_EVENTS_BEFORE: usize = 4;

/// An HTTP client that hands rmcp each `tools/list` result whole.
#[derive(Clone)]
pub(super) struct WholeLists<C>(pub(super) C);

fn lists_tools(message: &ClientJsonRpcMessage) -> bool {
    matches!(
        message,
        ClientJsonRpcMessage::Request(request)
            if matches!(request.request, ClientRequest::ListToolsRequest(_))
    )
}

/// The answer with its result as JSON when the stream carried nothing but
/// priming events before it; else the stream as it was.
async fn whole(answer: StreamableHttpPostResponse) -> StreamableHttpPostResponse {
    let StreamableHttpPostResponse::Sse(mut events, session) = answer else {
        return answer;
    };
    let mut read: Vec<Result<Sse, SseError>> = Vec::new();
    while read.len() < MAX_EVENTS_BEFORE
        && let Some(event) = events.next().await
    {
        let message = match &event {
            Ok(sse) => sse
                .data
                .as_deref()
                .filter(|data| !data.trim().is_empty())
                .map(serde_json::from_str::<ServerJsonRpcMessage>),
            Err(_) => None,
        };
        match message {
            // The result, with nothing else before it.
            Some(Ok(result @ ServerJsonRpcMessage::Response(_))) => {
                return StreamableHttpPostResponse::Json(result, session);
            }
            // Priming events (an id, no data) are rmcp's to see as well.
            None if event.is_ok() => read.push(event),
            // Anything else goes on as it came, at once (a server's request
            // may wait for its answer): nothing piles up here.
            _ => {
                read.push(event);
                break;
            }
        }
    }
    let replayed: Events = futures::stream::iter(read).chain(events).boxed();
    StreamableHttpPostResponse::Sse(replayed, session)
}

impl<C> StreamableHttpClient for WholeLists<C>
where
    C: StreamableHttpClient + Send + Sync,
{
    type Error = C::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        let listing = lists_tools(&message);
        let answer = self
            .0
            .post_message(uri, message, session_id, auth_header, custom_headers)
            .await?;
        Ok(if listing { whole(answer).await } else { answer })
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        let listing = lists_tools(&message);
        let answer = self
            .0
            .post_message_with_max_sse_event_size(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await?;
        Ok(if listing { whole(answer).await } else { answer })
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), StreamableHttpError<Self::Error>> {
        self.0
            .delete_session(uri, session_id, auth_header, custom_headers)
            .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<Events, StreamableHttpError<Self::Error>> {
        self.0
            .get_stream(uri, session_id, last_event_id, auth_header, custom_headers)
            .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<Events, StreamableHttpError<Self::Error>> {
        self.0
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(data: Option<&str>, id: Option<&str>) -> Result<Sse, SseError> {
        Ok(Sse {
            event: data.map(|_| "message".to_owned()),
            data: data.map(str::to_owned),
            id: id.map(str::to_owned),
            retry: None,
        })
    }

    const RESULT: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}"#;
    const LOG: &str = r#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}"#;

    fn answered(events: Vec<Result<Sse, SseError>>) -> StreamableHttpPostResponse {
        let stream: Events = futures::stream::iter(events).boxed();
        StreamableHttpPostResponse::Sse(stream, Some("s".into()))
    }

    #[tokio::test]
    async fn a_listed_result_alone_on_its_stream_is_handed_on_as_json() {
        let priming = event(None, Some("0"));
        let result = event(Some(RESULT), Some("1"));
        match whole(answered(vec![priming, result])).await {
            StreamableHttpPostResponse::Json(ServerJsonRpcMessage::Response(_), session) => {
                assert_eq!(session.as_deref(), Some("s"));
            }
            other => panic!("expected JSON, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_stream_that_never_gives_the_result_is_handed_on_at_once() {
        let endless = futures::stream::repeat_with(|| event(None, Some("0"))).boxed();
        let answer = StreamableHttpPostResponse::Sse(endless, None);
        let StreamableHttpPostResponse::Sse(stream, _) = whole(answer).await else {
            panic!("expected the stream");
        };
        // What was read is handed on first, and the rest follows.
        assert_eq!(stream.take(10).count().await, 10);
    }

    #[tokio::test]
    async fn what_came_before_the_result_is_handed_on_in_order() {
        let log = event(Some(LOG), None);
        let result = event(Some(RESULT), None);
        let StreamableHttpPostResponse::Sse(stream, _) = whole(answered(vec![log, result])).await
        else {
            panic!("expected the stream");
        };
        let data: Vec<String> = stream.map(|e| e.unwrap().data.unwrap()).collect().await;
        assert_eq!(data, [LOG, RESULT]);
    }
}
