//! The `execute` tool: admission, the program's run, and the approval
//! round trips that park it until a 2026-07-28 client answers.

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{CallToolRequestParams, CallToolResponse};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::{CodeModeServer, approval, commit, parse, report_result, text_result};
use crate::engine::executor::{Executor, Report};
use codemode_sandbox::Limits;

/// How long past its time limit a parked execution's `requestState` is kept.
const PARKED_GRACE: Duration = Duration::from_secs(5);

impl CodeModeServer {
    /// `execute`: stopped when the client cancels the request (rmcp cancels
    /// `cancelled` on `notifications/cancelled`, and when a stateless
    /// request's connection drops) or leaves altogether.
    ///
    /// A call that needs approval asks this client (see [`approval`]); a
    /// 2026-07-28 client's `execute` is then answered with `input_required`
    /// and its retry (with `requestState`) resumes the program.
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
                .resume(state, request.input_responses.as_ref())
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
        let _slot = tokio::select! {
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
        let snapshot = self.live.current();
        let traced = crate::engine::telemetry::execution(Some(&context.meta.0.0), None);
        let approver = match approval::approach(context) {
            approval::Approach::Ask(approver) => approver,
            approval::Approach::RoundTrip if snapshot.executor.asks_for_approval() => {
                let asked = (args.code, limits, context.ct.clone());
                return self.execute_parkable(asked, _slot, traced).await;
            }
            // Nothing to ask about.
            approval::Approach::RoundTrip => {
                crate::governance::approval::NoOne::shared("not asked")
            }
        };
        let report = self
            .run_program(
                &snapshot.executor,
                &args.code,
                limits,
                cancelled,
                approver,
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

    /// Runs `code` on `executor` within its span, and finishes its report.
    async fn run_program(
        &self,
        executor: &Executor,
        code: &str,
        limits: Limits,
        cancelled: impl Future<Output = ()>,
        approver: Arc<dyn crate::governance::approval::Approver>,
        traced: Option<opentelemetry::Context>,
    ) -> Report {
        let started = std::time::Instant::now();
        let execution = executor.execute_asking(code, limits, cancelled, approver);
        let mut report = crate::engine::telemetry::within(&traced, execution).await;
        self.finish(code, &mut report, limits, started);
        crate::engine::executor::end_execution(traced, &report);
        report
    }

    /// Runs a program on a task of its own, so that it can wait for its
    /// client's approval across `input_required` round trips.
    async fn execute_parkable(
        &self,
        (code, limits, cancelled): (String, Limits, CancellationToken),
        slot: tokio::sync::OwnedSemaphorePermit,
        traced: Option<opentelemetry::Context>,
    ) -> Result<CallToolResponse, ErrorData> {
        let (approver, questions) = approval::Forwarding::channel();
        let stop = CancellationToken::new();
        let until = tokio::time::Instant::now() + limits.timeout + PARKED_GRACE;
        let this = self.clone();
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let _slot = slot;
            let cancelled = this.cancelled_or_gone(stopped);
            let snapshot = this.live.current();
            this.run_program(
                &snapshot.executor,
                &code,
                limits,
                cancelled,
                approver,
                traced,
            )
            .await
        });
        let running = approval::Running {
            task,
            questions,
            stop,
            until,
        };
        self.follow(running, cancelled).await
    }

    /// Waits for a running program's report, or for its next question,
    /// which parks it and answers the client with `input_required`.
    async fn follow(
        &self,
        mut running: approval::Running,
        cancelled: CancellationToken,
    ) -> Result<CallToolResponse, ErrorData> {
        enum Next {
            Done(Result<Report, tokio::task::JoinError>),
            Asked(approval::Ask),
            Cancelled,
        }
        let next = tokio::select! {
            done = &mut running.task => Next::Done(done),
            Some(ask) = running.questions.recv() => Next::Asked(ask),
            () = cancelled.cancelled() => Next::Cancelled,
        };
        let done = match next {
            Next::Asked(ask) => {
                let until = running.until;
                let result = self.parked.park(running, ask, until);
                return serde_json::from_value(result)
                    .map(CallToolResponse::InputRequired)
                    .map_err(|e| ErrorData::internal_error(e.to_string(), None));
            }
            Next::Cancelled => {
                running.stop.cancel();
                running.task.await
            }
            Next::Done(done) => done,
        };
        let report = done.map_err(|e| {
            ErrorData::internal_error(format!("the execution failed to finish: {e}"), None)
        })?;
        Ok(CallToolResponse::Complete(report_result(&report)))
    }
}
