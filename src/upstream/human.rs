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
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    ElicitationAction, ListRootsResult, LoggingMessageNotificationParam,
    ResourceUpdatedNotificationParam,
};

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
}

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
    human: &dyn Human,
    server: &str,
    mut request: rmcp::model::CallToolRequestParams,
) -> Result<rmcp::model::CallToolResult, rmcp::ServiceError> {
    use rmcp::model::CallToolResponse;
    for _ in 0..MAX_INPUT_ROUNDS {
        let asked = match peer.call_tool_once(request.clone()).await? {
            CallToolResponse::Complete(result) => return Ok(result),
            CallToolResponse::InputRequired(asked) => asked,
            // codemode declares no tasks capability, so none should come.
            _ => return Err(rmcp::ServiceError::UnexpectedResponse),
        };
        let answers = answer(human, server, asked.input_requests.unwrap_or_default()).await?;
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
