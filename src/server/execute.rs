//! The `execute` tool: admission, the program's run, and the rounds of
//! `input_required` that park it until a 2026-07-28 client answers.

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CreateTaskResult, JsonObject, ServerResult,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::rounds::Running;
use super::tasks;
use super::{CodeModeServer, approval, commit, parse, report_result, text_result};
use crate::engine::executor::{Executor, Report};
use crate::governance::approval::Approver;
use crate::upstream::Human;
use codemode_sandbox::Limits;

/// How long past its time limit a parked execution's `requestState` is kept.
const PARKED_GRACE: Duration = Duration::from_secs(5);

/// The request a retry of a parked `execute` must repeat.
const EXECUTE: &str = "tools/call execute";

impl CodeModeServer {
    /// `execute`: stopped when the client cancels the request (rmcp cancels
    /// `cancelled` on `notifications/cancelled`, and when a stateless
    /// request's connection drops) or leaves altogether.
    ///
    /// What the program's calls need from the client (an approval, or what
    /// an upstream asks) is asked of this client alone: a client of the
    /// initialize era by requests, as the program waits; a 2026-07-28
    /// client's `execute` is answered with `input_required` and its retry
    /// (with `requestState`) resumes the program.
    pub(super) async fn execute(
        &self,
        request: &CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // From here the program may call upstream tools: the HTTP response
        // starts now, so no proxy can run it again on another replica.
        commit::Started::mark(context);
        let cancelled = context.ct.clone();
        if let Some(state) = request.request_state.as_deref() {
            let running = self
                .parked
                .resume(
                    state,
                    (EXECUTE, request.arguments.as_ref()),
                    request.input_responses.as_ref(),
                )
                .map_err(|message| ErrorData::invalid_params(message, None))?;
            return self.follow(running, cancelled).await;
        }
        let args = request.arguments.clone().unwrap_or_default();
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Args {
            code: String,
            timeout_ms: Option<u64>,
        }
        let args: Args = parse("execute", args)?;
        let mut limits = self.limits;
        if let Some(ms) = args.timeout_ms {
            // The operator's limit is a ceiling the model cannot raise.
            limits.timeout = limits.timeout.min(Duration::from_millis(ms.max(1)));
        }
        let cancelled = self.cancelled_or_gone(cancelled);
        tokio::pin!(cancelled);
        let slot = tokio::select! {
            entered = self.admission.enter() => match entered {
                Ok(slot) => slot,
                Err(refusal) => {
                    self.metrics.rejected();
                    return Ok(CallToolResponse::Complete(text_result(refusal, true)));
                }
            },
            () = &mut cancelled => {
                return Err(ErrorData::internal_error("the request was cancelled while it waited for a slot", None));
            }
        };
        let traced = crate::engine::telemetry::execution(Some(&context.meta.0.0), None);
        let approver = match approval::approach(context) {
            approval::Approach::Ask(approver) => approver,
            approval::Approach::RoundTrip { elicits } => {
                let asked = (args.code, limits, elicits, request.arguments.clone());
                return self.execute_parkable(asked, context, slot, traced).await;
            }
        };
        let _slot = slot;
        let snapshot = self.live.current();
        let human = Arc::new(self.callers.caller(context.peer.clone()));
        let asking = (approver, human as Arc<dyn Human>);
        let report = self
            .run_program(
                &snapshot.executor,
                &args.code,
                limits,
                cancelled,
                asking,
                traced,
            )
            .await;
        Ok(CallToolResponse::Complete(report_result(&report)))
    }

    /// Resolves when `token` is cancelled or the client leaves.
    fn cancelled_or_gone(&self, token: CancellationToken) -> impl Future<Output = ()> + use<> {
        let gone = self.client_gone.clone();
        async move {
            tokio::select! {
                () = token.cancelled() => {}
                () = gone.cancelled() => {}
            }
        }
    }

    /// Runs `code` on `executor` within its span, asking approvals and
    /// upstreams' questions of `asking`, and finishes its report.
    async fn run_program(
        &self,
        executor: &Executor,
        code: &str,
        limits: Limits,
        cancelled: impl Future<Output = ()>,
        (approver, human): (Arc<dyn Approver>, Arc<dyn Human>),
        traced: Option<opentelemetry::Context>,
    ) -> Report {
        let started = std::time::Instant::now();
        let execution = executor.execute_asking(code, limits, cancelled, approver, human);
        let mut report = crate::engine::telemetry::within(&traced, execution).await;
        self.finish(code, &mut report, limits, started);
        crate::engine::executor::end_execution(traced, &report);
        report
    }

    /// Runs a 2026-07-28 client's program on a task of its own, so that it
    /// can wait for the client's answers across `input_required` rounds.
    async fn execute_parkable(
        &self,
        (code, limits, elicits, arguments): (String, Limits, bool, Option<JsonObject>),
        context: &RequestContext<RoleServer>,
        slot: tokio::sync::OwnedSemaphorePermit,
        traced: Option<opentelemetry::Context>,
    ) -> Result<CallToolResponse, ErrorData> {
        // The program's time limit decides how long it may wait.
        let deadline = tokio::time::Instant::now() + limits.timeout + PARKED_GRACE;
        let until = (limits.timeout + PARKED_GRACE, Some(deadline));
        let capabilities = context.client_capabilities();
        let this = self.clone();
        let running = Running::start(EXECUTE.into(), until, move |asks, stop| async move {
            let _slot = slot;
            let approver: Arc<dyn Approver> = if elicits {
                Arc::new(asks.clone())
            } else {
                approval::nobody()
            };
            let human: Arc<dyn Human> = Arc::new(this.callers.rounds(asks, capabilities));
            let cancelled = this.cancelled_or_gone(stop);
            let snapshot = this.live.current();
            let report = this
                .run_program(
                    &snapshot.executor,
                    &code,
                    limits,
                    cancelled,
                    (approver, human),
                    traced,
                )
                .await;
            Ok(ServerResult::CallToolResult(report_result(&report)))
        })
        .of_arguments(arguments);
        if !tasks_declared(context) {
            return self.follow(running, context.ct.clone()).await;
        }
        // A program that runs on becomes a task the client polls.
        let budget = Some(tasks::SYNC_BUDGET);
        match self
            .parked
            .follow_within(running, context.ct.clone(), budget)
            .await
        {
            Ok(outcome) => answer(outcome?),
            Err(running) => match self.tasks.adopt(running, limits.timeout) {
                Ok(task) => Ok(CallToolResponse::Task(CreateTaskResult::new(task))),
                Err(running) => self.follow(running, context.ct.clone()).await,
            },
        }
    }

    /// Follows a request's work to its end, or to its next `input_required`
    /// round, as the answer to a `tools/call`.
    pub(super) async fn follow(
        &self,
        running: Running,
        cancelled: CancellationToken,
    ) -> Result<CallToolResponse, ErrorData> {
        answer(self.parked.follow(running, cancelled).await?)
    }
}

/// What a `tools/call`'s work ended with, as its answer.
fn answer(result: ServerResult) -> Result<CallToolResponse, ErrorData> {
    match result {
        ServerResult::InputRequiredResult(asked) => Ok(CallToolResponse::InputRequired(asked)),
        ServerResult::CallToolResult(result) => Ok(CallToolResponse::Complete(result)),
        ServerResult::CreateTaskResult(task) => Ok(CallToolResponse::Task(task)),
        _ => Err(ErrorData::internal_error(
            "a tools/call ended with a result of another request",
            None,
        )),
    }
}

/// Whether the request's client declared the tasks extension.
fn tasks_declared(context: &RequestContext<RoleServer>) -> bool {
    context
        .client_capabilities()
        .is_some_and(|capabilities| capabilities.supports_tasks())
}
