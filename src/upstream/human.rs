//! Where an upstream's requests for a human go while codemode calls its
//! tools: elicitation (a question for the user), sampling (a completion from
//! the client's model) and roots (the client's folders), as requests of the
//! legacy era or as a 2026-07-28 server's `input_required` rounds; and where
//! its log messages and resource updates go.
//!
//! `serve` passes them to its own client (see `server::callers`); `run`
//! answers on the terminal or declines, saying why.
//!
//! SEP-2577 deprecates sampling, roots and logging; servers still use them,
//! and a proxy passes on what its upstreams do.
#![allow(deprecated)]

use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::ErrorData;
use rmcp::model::{
    CallToolRequest, CancelledNotificationParam, ClientRequest, CreateMessageRequestParams,
    CreateMessageResult, ElicitRequestParams, ElicitResult, ElicitationAction, ListRootsResult,
    LoggingMessageNotificationParam, RequestId, ResourceUpdatedNotificationParam, ServerResult,
};
use rmcp::service::{InboundStreamOrigin, PeerRequestOptions};

/// Answers an upstream's requests for a human; `server` names the upstream.
pub trait Human: Send + Sync {
    fn elicit(
        &self,
        server: &str,
        request: ElicitRequestParams,
    ) -> BoxFuture<'static, Result<ElicitResult, ErrorData>>;

    fn sample(
        &self,
        server: &str,
        request: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<CreateMessageResult, ErrorData>>;

    fn roots(&self, server: &str) -> BoxFuture<'static, Result<ListRootsResult, ErrorData>>;

    /// A log message from the upstream; dropped where no one reads it.
    fn log(
        &self,
        _server: &str,
        _message: LoggingMessageNotificationParam,
    ) -> BoxFuture<'static, ()> {
        Box::pin(std::future::ready(()))
    }

    /// A resource the client subscribed to changed.
    fn resource_updated(
        &self,
        _server: &str,
        _update: ResourceUpdatedNotificationParam,
    ) -> BoxFuture<'static, ()> {
        Box::pin(std::future::ready(()))
    }

    /// Marks a call to `server` as in flight for this human until the
    /// guard drops. A server of the legacy era asks over its connection,
    /// not within the call's answer, so this is how what it asks meanwhile
    /// finds the human of the call that caused it (see `server::callers`).
    fn serving(self: Arc<Self>, _server: &str) -> Serving {
        Serving::default()
    }

    /// The human of the call `request` to `server`, which its server's
    /// request for a human came in answer to (an HTTP server sends it on
    /// that call's response stream, SEP-2260), if this one knows it.
    fn of_call(&self, _server: &str, _request: &RequestId) -> Option<Arc<dyn Human>> {
        None
    }

    /// Whether it knows the calls in flight ([`Human::of_call`]), so that a
    /// request on the stream of a request it does not know is none of its
    /// clients' business.
    fn tracks_calls(&self) -> bool {
        false
    }
}

/// A call in flight, told the ids of the requests sent for it.
pub trait InFlight: Send + Sync {
    fn sent(&self, request: &RequestId);
}

/// Held while a call is in flight for a human (see [`Human::serving`]).
#[derive(Default)]
#[must_use = "the call counts as in flight only while this is held"]
pub struct Serving {
    /// Dropped when the call ends.
    call: Option<Box<dyn InFlight>>,
}

impl Serving {
    pub fn of(call: impl InFlight + 'static) -> Serving {
        Serving {
            call: Some(Box::new(call)),
        }
    }

    /// `request` was sent for the call.
    pub fn sent(&self, request: &RequestId) {
        if let Some(call) = &self.call {
            call.sent(request);
        }
    }
}

/// Sends `request` and waits for its answer, telling `serving` its id; if
/// the wait is abandoned (a time-out), the server is told the request was
/// cancelled, as rmcp's own calls do.
pub async fn send(
    peer: &rmcp::Peer<rmcp::RoleClient>,
    request: ClientRequest,
    options: PeerRequestOptions,
    serving: &Serving,
) -> Result<ServerResult, rmcp::ServiceError> {
    let handle = peer.send_request_with_option(request, options).await?;
    serving.sent(&handle.id);
    let mut abandoned = Abandoned {
        peer: peer.clone(),
        id: Some(handle.id.clone()),
    };
    let answer = handle.await_response().await;
    abandoned.id = None;
    answer
}

/// Cancels a request at its server when dropped before its answer came.
struct Abandoned {
    peer: rmcp::Peer<rmcp::RoleClient>,
    id: Option<RequestId>,
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else {
            return;
        };
        let peer = self.peer.clone();
        let reason = Some("the caller no longer waits for it".to_owned());
        let cancelled = CancelledNotificationParam::new(Some(id), reason);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = peer.notify_cancelled(cancelled).await;
            });
        }
    }
}

/// Which human a server's request during `context` goes to: the one whose
/// call it came in answer to, when the transport says so, else `human`'s
/// own choice. A request on the stream of a request no call of `human`'s
/// made (a read, a list of codemode's own) is refused.
pub(super) async fn asked(
    human: &Arc<dyn Human>,
    server: &str,
    context: &rmcp::service::RequestContext<rmcp::RoleClient>,
) -> Arc<dyn Human> {
    let Some(InboundStreamOrigin::OutboundRequest(call)) = context.extensions.get() else {
        return human.clone();
    };
    if !human.tracks_calls() {
        return human.clone();
    }
    // A call tells which request it sent as soon as it is sent; the
    // server's question may come a moment before that.
    for _ in 0..OF_CALL_TRIES {
        if let Some(of_call) = human.of_call(server, call) {
            return of_call;
        }
        tokio::time::sleep(OF_CALL_PAUSE).await;
    }
    NoHuman::shared(
        "it asked during a request that no client's call made (a read, a list, a completion), where codemode asks no client",
    )
}

/// How long [`asked`] looks for the call a request came in answer to.
const OF_CALL_TRIES: usize = 50;
const OF_CALL_PAUSE: std::time::Duration = std::time::Duration::from_millis(10);

/// Nobody to ask: elicitation is declined, sampling and roots refused, each
/// with `why` (printed once per request on stderr for the user as well).
pub struct NoHuman {
    pub why: String,
}

impl NoHuman {
    pub fn shared(why: impl Into<String>) -> Arc<dyn Human> {
        Arc::new(NoHuman { why: why.into() })
    }

    fn refusal(&self, server: &str, what: &str) -> ErrorData {
        let message = format!(
            "codemode cannot {what} for the {server} server: {}",
            self.why
        );
        tracing::warn!("{message}");
        ErrorData::invalid_request(message, None)
    }
}

impl Human for NoHuman {
    fn elicit(
        &self,
        server: &str,
        request: ElicitRequestParams,
    ) -> BoxFuture<'static, Result<ElicitResult, ErrorData>> {
        let asked = match &request {
            ElicitRequestParams::FormElicitationParams { message, .. }
            | ElicitRequestParams::UrlElicitationParams { message, .. } => message.clone(),
            _ => String::new(),
        };
        tracing::warn!(
            "the {server} server asked the user \"{asked}\"; declined: {}",
            self.why
        );
        Box::pin(std::future::ready(Ok(ElicitResult::new(
            ElicitationAction::Decline,
        ))))
    }

    fn sample(
        &self,
        server: &str,
        _request: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<CreateMessageResult, ErrorData>> {
        let refusal = self.refusal(server, "ask a model for a completion");
        Box::pin(std::future::ready(Err(refusal)))
    }

    fn roots(&self, server: &str) -> BoxFuture<'static, Result<ListRootsResult, ErrorData>> {
        let refusal = self.refusal(server, "list the client's roots");
        Box::pin(std::future::ready(Err(refusal)))
    }
}

/// Rounds of `input_required` one call may take before codemode gives up.
pub const MAX_INPUT_ROUNDS: usize = 8;

/// `tools/call` to a server of either era: a 2026-07-28 server's
/// `input_required` rounds are answered by `human` (elicitation, sampling,
/// roots) and the call retried with the answers and the server's
/// `requestState`, as a legacy server's requests are answered by the
/// handler.
pub async fn call_tool(
    peer: &rmcp::Peer<rmcp::RoleClient>,
    human: &Arc<dyn Human>,
    server: &str,
    mut request: rmcp::model::CallToolRequestParams,
) -> Result<rmcp::model::CallToolResult, rmcp::ServiceError> {
    let serving = human.clone().serving(server);
    for _ in 0..MAX_INPUT_ROUNDS {
        let call = ClientRequest::CallToolRequest(CallToolRequest::new(request.clone()));
        let options = PeerRequestOptions::no_options();
        let asked = match send(peer, call, options, &serving).await? {
            ServerResult::CallToolResult(result) => return Ok(result),
            ServerResult::InputRequiredResult(asked) => asked,
            // codemode declares no tasks capability, so none should come.
            _ => return Err(rmcp::ServiceError::UnexpectedResponse),
        };
        let requests = asked.input_requests.unwrap_or_default();
        let answers = answer(human.as_ref(), server, requests).await?;
        request.input_responses = (!answers.is_empty()).then_some(answers);
        request.request_state = asked.request_state;
    }
    Err(rmcp::ServiceError::InputRequiredRoundsExceeded {
        max_rounds: MAX_INPUT_ROUNDS,
    })
}

/// One `input_required` round's requests, answered by `human` under the
/// keys the server gave them.
pub async fn answer(
    human: &dyn Human,
    server: &str,
    asked: rmcp::model::InputRequests,
) -> Result<rmcp::model::InputResponses, rmcp::ServiceError> {
    use rmcp::ServiceError::McpError as Refused;
    use rmcp::model::InputRequest;
    let mut answers = rmcp::model::InputResponses::new();
    for (key, input) in asked {
        let answer = match input {
            InputRequest::Elicitation(ask) => {
                serde_json::to_value(human.elicit(server, ask.params).await.map_err(Refused)?)
            }
            InputRequest::CreateMessage(ask) => {
                serde_json::to_value(human.sample(server, ask.params).await.map_err(Refused)?)
            }
            InputRequest::ListRoots(_) => {
                serde_json::to_value(human.roots(server).await.map_err(Refused)?)
            }
            _ => return Err(rmcp::ServiceError::UnexpectedResponse),
        };
        answers.insert(key, answer.unwrap_or_default());
    }
    Ok(answers)
}
