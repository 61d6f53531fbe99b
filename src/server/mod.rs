//! `codemode serve`: an MCP server whose tools are `execute` (and, in search
//! disclosure, `search_api` and `get_api`) over all the upstream servers.

mod admission;
mod approval;
mod callers;
mod commit;
mod connections;

mod execute;
mod forwarded;
mod handler;
mod held;
pub mod http;
mod intent;
mod lookup;
mod metrics;
mod pass;
mod passthrough;
mod rebinding;
mod resume;
mod rounds;
mod search;
pub mod sessions;
mod snapshot;
pub mod stdio;
mod supervise;
mod tasks;
mod trace;

pub use admission::Admission;
pub use callers::Callers;
pub use passthrough::Exposed;
pub use snapshot::{OWN_TOOLS, Snapshot};
pub use supervise::{Build, Live, supervise};
pub use trace::Trace;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rmcp::ErrorData;
use rmcp::model::{CallToolResult, ContentBlock};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::engine::executor::{FailureKind, LimitHint, Report};
use codemode_sandbox::Limits;

/// The MCP server handler; cheap to clone (one per HTTP session).
#[derive(Clone)]
pub struct CodeModeServer {
    live: Arc<Live>,
    limits: Limits,
    admission: Arc<Admission>,
    trace: Option<Arc<Trace>>,
    /// Cancelled when the (stdio) client has gone: executions stop at once.
    client_gone: CancellationToken,
    /// Where upstreams' requests for a human go while a call runs.
    callers: Arc<Callers>,
    /// Result types learned by the executions, saved after each.
    shapes: Option<Arc<crate::prompt::shapes::Shapes>>,
    /// Requests waiting for a 2026-07-28 client's answers.
    parked: Arc<rounds::Parked>,
    /// Executions running as tasks, and the upstreams' tasks.
    tasks: Arc<tasks::Tasks>,
    metrics: Arc<metrics::Metrics>,
    /// Requests forwarded to upstreams (`--expose-tools`) still running,
    /// which a drain waits for as it does for executions.
    forwarded: Arc<AtomicUsize>,
}

impl CodeModeServer {
    pub fn new(
        live: Arc<Live>,
        limits: Limits,
        admission: Admission,
        trace: Option<Trace>,
    ) -> CodeModeServer {
        CodeModeServer {
            live,
            limits,
            admission: Arc::new(admission),
            trace: trace.map(Arc::new),
            client_gone: CancellationToken::new(),
            callers: Arc::default(),
            shapes: None,
            parked: Arc::default(),
            tasks: Arc::default(),
            metrics: Arc::default(),
            forwarded: Arc::default(),
        }
    }

    /// Saves what executions learn of result types to `shapes`.
    pub fn learning(mut self, shapes: Arc<crate::prompt::shapes::Shapes>) -> CodeModeServer {
        self.shapes = Some(shapes);
        self
    }

    /// Upstreams connected with `callers` as their human ask this server's
    /// clients while their calls run.
    pub fn asking(mut self, callers: Arc<Callers>) -> CodeModeServer {
        self.callers = callers;
        self
    }

    /// Executions stop when `gone` is cancelled (the client closed stdin).
    pub fn stopping_when(mut self, gone: CancellationToken) -> CodeModeServer {
        self.client_gone = gone;
        self
    }

    /// No execution is running or waiting, and no forwarded request.
    pub fn idle(&self) -> bool {
        self.admission.running() == 0
            && self.admission.waiting() == 0
            && self.forwarded.load(Ordering::SeqCst) == 0
    }

    /// Whether every upstream is connected; `Err` names those that are not.
    pub fn upstreams_connected(&self) -> Result<(), String> {
        let down = self.live.current().executor.disconnected();
        if down.is_empty() {
            Ok(())
        } else {
            Err(format!("not connected to {}", down.join(", ")))
        }
    }

    /// The metrics' text exposition as it is now.
    pub fn scrape(&self) -> String {
        let snapshot = self.live.current();
        let (served, baseline) = snapshot.prompt_tokens();
        self.metrics.prompt(served, baseline);
        self.metrics
            .encode(self.admission.running(), self.admission.waiting())
    }

    /// What every execution's report gets before the client sees it.
    fn finish(&self, code: &str, report: &mut Report, limits: Limits, started: std::time::Instant) {
        self.metrics.execution(report, started.elapsed());
        self.advise_the_model(report, limits);
        if let Some(shapes) = self.shapes.clone() {
            // File I/O under a lock: off the async runtime.
            tokio::task::spawn_blocking(move || {
                if let Err(error) = shapes.save() {
                    tracing::warn!("could not save the learned result types: {error}");
                }
            });
        }
        if let Some(trace) = &self.trace {
            trace.record(code, report, started.elapsed());
        }
    }

    /// Under `serve` the model can lower or raise `timeout_ms` up to the
    /// server's limit, and nothing else: a time-out says so, and a hint to
    /// raise any other limit says that it is this server's.
    fn advise_the_model(&self, report: &mut Report, limits: Limits) {
        let Some(Err(failure)) = &mut report.outcome else {
            return;
        };
        let ceiling = self.limits.timeout.as_millis();
        if failure.kind == FailureKind::Timeout {
            let used = limits.timeout.as_millis();
            failure.message = if used < ceiling {
                format!(
                    "the program did not finish within {used} ms, its timeout_ms; pass a larger timeout_ms (this server allows up to {ceiling} ms) or do less in one execution"
                )
            } else {
                format!(
                    "the program did not finish within {used} ms, the most this server allows; do less in one execution (fewer or smaller calls), and return what is needed to continue in another"
                )
            };
        } else {
            failure.word_hint(|LimitHint::RaiseLimit { .. }, message| {
                format!("{message} (this server's limit)")
            });
        }
    }
}

fn parse<T: for<'de> Deserialize<'de>>(
    tool: &str,
    args: Map<String, Value>,
) -> Result<T, ErrorData> {
    serde_json::from_value(Value::Object(args))
        .map_err(|e| ErrorData::invalid_params(format!("invalid arguments for {tool}: {e}"), None))
}

fn text_result(text: String, is_error: bool) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.is_error = Some(is_error);
    result
}

/// The report as the model reads it: the result (or the error with its
/// line) and the logs as text, everything as `structuredContent`.
pub fn report_result(report: &Report) -> CallToolResult {
    let structured = report.to_json();
    let mut text = match &report.outcome {
        Some(Ok(value)) => serde_json::to_string(value).unwrap_or_default(),
        Some(Err(failure)) => {
            let at = match (failure.line, failure.column) {
                (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
                (Some(line), None) => format!(" at line {line}"),
                _ => String::new(),
            };
            format!("{} error{at}: {}", failure.kind, failure.message)
        }
        None => "the execution ended without an outcome".to_owned(),
    };
    if let Some(note) = report.note {
        text.push_str(&format!("\n\nnote: {note}"));
    }
    if !report.logs.is_empty() {
        text.push_str("\n\nlogs:");
        for line in &report.logs {
            text.push_str(&format!(
                "\n[{}] {}",
                json!(line.level).as_str().unwrap_or("info"),
                line.message
            ));
        }
    }
    let mut result = text_result(text, !report.ok());
    result.structured_content = Some(structured);
    result
}
