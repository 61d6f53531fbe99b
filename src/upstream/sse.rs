//! The client side of MCP's legacy HTTP+SSE transport (protocol 2024-11-05),
//! which many hosted servers still serve alone: an event stream from a GET,
//! whose first `endpoint` event says where to POST messages; the server's
//! messages arrive as `message` events on the stream.
//!
//! rmcp has no client for it, so this is one, as an rmcp [`Transport`]. The
//! server is not trusted: the endpoint must be on the stream's own origin
//! (so headers such as `Authorization` go nowhere else), an event may not
//! grow past [`MAX_EVENT`], and a message rmcp could not read is answered
//! with an error for its id, so a call fails at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use rmcp::RoleClient;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::{Value, json};
use sse_stream::SseStream;
use tokio::sync::mpsc;
use url::Url;

use super::tap::ToolListTap;
use super::unreadable::MAX_LINE;

/// The most an event may take on the wire, as a line of a stdio server may.
const MAX_EVENT: usize = MAX_LINE;

/// Messages read ahead of rmcp.
const READ_AHEAD: usize = 64;

/// `error` and what caused it, which says why (a refused redirect, say).
fn with_causes(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        text.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    text
}

#[derive(Debug, thiserror::Error)]
pub enum SseError {
    #[error("GET {url} failed: {}", with_causes(source))]
    Get { url: String, source: reqwest::Error },
    #[error(
        "GET {url} answered {status}{}, not an event stream; is it the server's SSE endpoint (often /sse)?",
        content_type.as_ref().map(|c| format!(" with {c}")).unwrap_or_default()
    )]
    NotAStream {
        url: String,
        status: reqwest::StatusCode,
        content_type: Option<String>,
    },
    #[error(
        "the event stream of {url} ended before its `endpoint` event, which says where to send messages"
    )]
    NoEndpoint { url: String },
    #[error("the `endpoint` event of {url} names {endpoint:?}, {problem}")]
    BadEndpoint {
        url: String,
        endpoint: String,
        problem: &'static str,
    },
    #[error("the event stream of {url} broke: {reason}")]
    Stream { url: String, reason: String },
    #[error("POST to {endpoint} failed: {reason}")]
    Post { endpoint: String, reason: String },
}

/// Why the event stream's bytes stopped.
#[derive(Debug, thiserror::Error)]
enum BodyError {
    #[error(transparent)]
    Http(reqwest::Error),
    #[error("an event is larger than 16 MiB")]
    Oversized,
}

/// A connected legacy SSE session.
pub(super) struct SseTransport {
    http: reqwest::Client,
    endpoint: Url,
    headers: reqwest::header::HeaderMap,
    incoming: mpsc::Receiver<RxJsonRpcMessage<RoleClient>>,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for SseTransport {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl SseTransport {
    /// Opens the event stream at `url` and waits for its `endpoint` event.
    pub(super) async fn connect(
        url: &str,
        headers: reqwest::header::HeaderMap,
        tap: ToolListTap,
    ) -> Result<SseTransport, SseError> {
        let stream_url = Url::parse(url).map_err(|_| SseError::BadEndpoint {
            url: url.to_owned(),
            endpoint: url.to_owned(),
            problem: "which is not a URL",
        })?;
        let http = super::http_client::builder()
            .connect_timeout(Duration::from_secs(30))
            .build()
            .map_err(|source| SseError::Get {
                url: url.to_owned(),
                source,
            })?;
        let response = http
            .get(stream_url.clone())
            .headers(headers.clone())
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(|source| SseError::Get {
                url: url.to_owned(),
                source,
            })?;
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if !response.status().is_success()
            || !content_type
                .as_deref()
                .is_some_and(|c| c.starts_with("text/event-stream"))
        {
            return Err(SseError::NotAStream {
                url: url.to_owned(),
                status: response.status(),
                content_type,
            });
        }
        // Bytes read since the last whole event, shared with the parser's
        // reader: the parser keeps an unfinished event whole, so the stream
        // is cut before one grows past the bound.
        let pending = Arc::new(AtomicUsize::new(0));
        let counted = pending.clone();
        let bytes = response.bytes_stream().map(move |chunk| {
            let chunk = chunk.map_err(BodyError::Http)?;
            if counted.fetch_add(chunk.len(), Ordering::Relaxed) + chunk.len() > MAX_EVENT {
                return Err(BodyError::Oversized);
            }
            Ok(chunk)
        });
        let mut events = SseStream::from_bytes_stream(bytes);
        let broke = |reason: String| SseError::Stream {
            url: url.to_owned(),
            reason,
        };
        let endpoint = loop {
            let Some(event) = events.next().await else {
                return Err(SseError::NoEndpoint {
                    url: url.to_owned(),
                });
            };
            let event = event.map_err(|e| broke(e.to_string()))?;
            pending.store(0, Ordering::Relaxed);
            if event.event.as_deref() == Some("endpoint") {
                break event.data.unwrap_or_default();
            }
        };
        let endpoint = same_origin_endpoint(&stream_url, &endpoint).map_err(|problem| {
            SseError::BadEndpoint {
                url: url.to_owned(),
                endpoint: endpoint.clone(),
                problem,
            }
        })?;
        let (sender, incoming) = mpsc::channel(READ_AHEAD);
        let source = url.to_owned();
        let reader = tokio::spawn(async move {
            while let Some(event) = events.next().await {
                let event = match event {
                    Ok(event) => event,
                    Err(error) => {
                        tracing::warn!(url = %source, "the event stream broke: {error}");
                        return;
                    }
                };
                pending.store(0, Ordering::Relaxed);
                if !matches!(event.event.as_deref(), None | Some("message")) {
                    continue;
                }
                let data = event.data.unwrap_or_default();
                tap.observe(data.as_bytes());
                let Some(message) = readable(&data, &source) else {
                    continue;
                };
                if sender.send(message).await.is_err() {
                    return;
                }
            }
        });
        Ok(SseTransport {
            http,
            endpoint,
            headers,
            incoming,
            reader,
        })
    }
}

/// The message in `data`, or an error response for its id when rmcp could
/// not read it; `None` for data that is not even a message with an id.
fn readable(data: &str, source: &str) -> Option<RxJsonRpcMessage<RoleClient>> {
    match serde_json::from_str(data) {
        Ok(message) => Some(message),
        Err(error) => {
            // Only a response answers one of our requests: a request of the
            // server's carries an id of the server's own.
            let id = serde_json::from_str::<Value>(data)
                .ok()
                .filter(|v| v.get("method").is_none())
                .and_then(|v| {
                    v.get("id")
                        .filter(|id| id.is_string() || id.is_u64())
                        .cloned()
                });
            tracing::warn!(url = %source, "a message from the server could not be read: {error}");
            let id = id?;
            serde_json::from_value(json!({
                "jsonrpc": "2.0",
                "id": id,
                "error": {"code": -32603, "message": format!("codemode could not read the server's response: {error}")}
            }))
            .ok()
        }
    }
}

/// `endpoint` resolved against the stream's URL, if it stays on its origin.
fn same_origin_endpoint(stream: &Url, endpoint: &str) -> Result<Url, &'static str> {
    let resolved = stream.join(endpoint).map_err(|_| "which is not a URL")?;
    if resolved.origin() != stream.origin() {
        return Err(
            "on another origin than the event stream; codemode sends messages (and their headers) only to the server's own origin",
        );
    }
    Ok(resolved)
}

impl Transport<RoleClient> for SseTransport {
    type Error = SseError;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), SseError>> + Send + 'static {
        let request = self
            .http
            .post(self.endpoint.clone())
            .headers(self.headers.clone())
            .json(&item);
        let endpoint = self.endpoint.to_string();
        async move {
            let failed = |reason: String| SseError::Post {
                endpoint: endpoint.clone(),
                reason,
            };
            let response = request.send().await.map_err(|e| failed(e.to_string()))?;
            if !response.status().is_success() {
                return Err(failed(format!("the server answered {}", response.status())));
            }
            Ok(())
        }
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<RoleClient>>> + Send {
        self.incoming.recv()
    }

    async fn close(&mut self) -> Result<(), SseError> {
        self.reader.abort();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_must_stay_on_the_streams_origin() {
        let stream = Url::parse("https://mcp.example.com:8443/sse").unwrap();
        assert_eq!(
            same_origin_endpoint(&stream, "/messages?sessionId=1")
                .unwrap()
                .as_str(),
            "https://mcp.example.com:8443/messages?sessionId=1"
        );
        assert_eq!(
            same_origin_endpoint(&stream, "https://mcp.example.com:8443/m")
                .unwrap()
                .as_str(),
            "https://mcp.example.com:8443/m"
        );
        for elsewhere in [
            "https://evil.example/collect",
            "http://mcp.example.com:8443/m",
            "https://mcp.example.com/m",
            "//evil.example/m",
        ] {
            assert!(
                same_origin_endpoint(&stream, elsewhere).is_err(),
                "{elsewhere}"
            );
        }
    }

    #[test]
    fn unreadable_messages_become_errors_for_their_ids() {
        let Some(RxJsonRpcMessage::<RoleClient>::Error(error)) =
            readable(r#"{"jsonrpc": "1.0", "id": 7, "result": {}}"#, "test")
        else {
            panic!("an error response")
        };
        assert!(error.error.message.contains("could not read"), "{error:?}");
        assert!(readable("not json", "test").is_none());
        assert!(
            readable(r#"{"jsonrpc": "1.0", "id": 7, "method": "x"}"#, "test").is_none(),
            "a request of the server's is no answer to ours"
        );
    }
}
