//! Requests passed to an upstream (`--expose-tools`) on behalf of a client
//! of either era. A client of the initialize era is asked by requests while
//! the upstream waits. A 2026-07-28 client's request runs on a task of its
//! own, and what a legacy upstream asks during it becomes that request's
//! `input_required` rounds (see [`rounds`](super::rounds)).

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse,
    ServerResult,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};

use super::passthrough::legacy;
use super::rounds::{Parked, Running};
use super::{CodeModeServer, Snapshot};
use crate::upstream::Human;

/// How long a passed request waits for its client's retry with answers,
/// each round.
const ANSWER_WAIT: Duration = Duration::from_secs(300);

const NOT_EXPOSED: &str = "the exposed upstreams changed while the request ran";

impl CodeModeServer {
    /// `tools/call` of an exposed upstream tool.
    pub(super) async fn pass_call(
        &self,
        snapshot: Arc<Snapshot>,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let exposed = snapshot.exposed.as_ref().ok_or_else(not_exposed)?;
        if legacy(&context) {
            let caller = Arc::new(self.callers.caller(context.peer.clone()));
            return exposed.call_tool(request, &context, caller).await;
        }
        let what = format!("tools/call {}", request.name);
        let arguments = request.arguments.clone();
        let state = request.request_state.as_deref();
        if let Some(state) = state.filter(|state| Parked::minted(state)) {
            let responses = request.input_responses.as_ref();
            let running = self.resume(state, (&what, arguments.as_ref()), responses)?;
            return self.follow(running, context.ct.clone()).await;
        }
        let running = self
            .start(what, context.clone(), move |context, caller| async move {
                let exposed = snapshot.exposed.as_ref().ok_or_else(not_exposed)?;
                Ok(match exposed.call_tool(request, &context, caller).await? {
                    CallToolResponse::Complete(result) => ServerResult::CallToolResult(result),
                    CallToolResponse::InputRequired(asked) => {
                        ServerResult::InputRequiredResult(asked)
                    }
                    CallToolResponse::Task(task) => ServerResult::CreateTaskResult(task),
                    _ => return Err(unknown_result()),
                })
            })
            .of_arguments(arguments);
        self.follow(running, context.ct.clone()).await
    }

    /// `prompts/get` of an exposed upstream prompt.
    pub(super) async fn pass_prompt(
        &self,
        snapshot: Arc<Snapshot>,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let exposed = snapshot.exposed.as_ref().ok_or_else(not_exposed)?;
        if legacy(&context) {
            let caller = Arc::new(self.callers.caller(context.peer.clone()));
            return exposed.get_prompt(request, &context, caller).await;
        }
        let what = format!("prompts/get {}", request.name);
        let arguments = request.arguments.clone();
        let state = request.request_state.as_deref();
        let running = match state.filter(|state| Parked::minted(state)) {
            Some(state) => {
                let responses = request.input_responses.as_ref();
                self.resume(state, (&what, arguments.as_ref()), responses)?
            }
            None => self
                .start(what, context.clone(), move |context, caller| async move {
                    let exposed = snapshot.exposed.as_ref().ok_or_else(not_exposed)?;
                    Ok(match exposed.get_prompt(request, &context, caller).await? {
                        GetPromptResponse::Complete(result) => {
                            ServerResult::GetPromptResult(result)
                        }
                        GetPromptResponse::InputRequired(asked) => {
                            ServerResult::InputRequiredResult(asked)
                        }
                        _ => return Err(unknown_result()),
                    })
                })
                .of_arguments(arguments),
        };
        match self.parked.follow(running, context.ct.clone()).await? {
            ServerResult::InputRequiredResult(asked) => Ok(GetPromptResponse::InputRequired(asked)),
            ServerResult::GetPromptResult(result) => Ok(GetPromptResponse::Complete(result)),
            _ => Err(ErrorData::internal_error(
                "a prompts/get ended with a result of another request",
                None,
            )),
        }
    }

    /// Starts a 2026-07-28 client's passed request: `work` gets the request's
    /// context, stopped when the work is (it outlives the answer that asks
    /// the client), and the caller that asks that client.
    fn start<F>(
        &self,
        what: String,
        context: RequestContext<RoleServer>,
        work: impl FnOnce(RequestContext<RoleServer>, Arc<dyn Human>) -> F + Send + 'static,
    ) -> Running
    where
        F: Future<Output = super::rounds::Outcome> + Send + 'static,
    {
        let callers = self.callers.clone();
        Running::start(what, (ANSWER_WAIT, None), move |asks, stop| {
            let caller = Arc::new(callers.rounds(asks, context.client_capabilities()));
            let mut context = context;
            context.ct = stop;
            work(context, caller)
        })
    }

    fn resume(
        &self,
        state: &str,
        request: (&str, Option<&rmcp::model::JsonObject>),
        responses: Option<&rmcp::model::InputResponses>,
    ) -> Result<Running, ErrorData> {
        self.parked
            .resume(state, request, responses)
            .map_err(|message| ErrorData::invalid_params(message, None))
    }
}

fn unknown_result() -> ErrorData {
    ErrorData::internal_error(
        "the upstream answered with a kind of result codemode does not know",
        None,
    )
}

fn not_exposed() -> ErrorData {
    ErrorData::internal_error(NOT_EXPOSED, None)
}
