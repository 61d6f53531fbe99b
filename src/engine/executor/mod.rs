//! One Code Mode execution, end to end: TypeScript in, a report out.
//!
//! The program is compiled (and checked against the API), run in a fresh
//! WebAssembly isolate in this process, and every call it makes is validated
//! and forwarded to the real upstream tool. The isolate stops the program at
//! its deadline, whatever it is doing; a cancelled execution is dropped.

mod call;
mod execution;
mod explain;
mod failure;
mod own_wakes;
mod python_literal;
mod result_cost;
#[cfg(test)]
mod results_corpus;
#[cfg(test)]
mod testing;
mod unwrap;
mod validate;

use std::collections::HashMap;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codemode_typegen::Api;
use rmcp::{Peer, RoleClient};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;

use crate::governance::approval::{self, Approver, Verdict};
use crate::governance::policy::{Approvals, Refusals};
use codemode_sandbox as sandbox;
use codemode_sandbox::bounds::{self, MAX_DEPTH};
use codemode_sandbox::{Binding, Bindings, ErrorKind, Finished, Level, Limits, ScriptError};
use codemode_transpile as transpile;
pub use failure::{ExecutionFailure, FailureKind, Limit, LimitHint};
use validate::Validators;

/// Settings that hold for every execution of an executor.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub limits: Limits,
    /// Calls in flight at once, per upstream server.
    pub max_concurrent_calls: usize,
    /// The largest program compiled, in bytes.
    pub max_program_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            limits: Limits::default(),
            max_concurrent_calls: 8,
            max_program_bytes: 256 << 10,
        }
    }
}

pub struct Executor {
    api: Api,
    bindings: Bindings,
    peers: HashMap<String, Peer<RoleClient>>,
    permits: HashMap<String, Semaphore>,
    validators: Validators,
    refusals: Arc<Refusals>,
    /// Servers' own time-outs per call, from their configs.
    call_timeouts: HashMap<String, Duration>,
    keep_results: bool,
    /// Put the API's names in the report, for a trace a replay can use.
    recording: bool,
    max_program_bytes: usize,
    /// Words for what would help with a failed call, in the program's
    /// error: by default [`Hint::plain`](crate::hint::Hint::plain), naming
    /// no flag or command.
    hint_words: fn(&crate::hint::Hint) -> String,
    /// Answers a 2026-07-28 server's `input_required` rounds.
    human: Arc<dyn crate::upstream::Human>,
    /// Where the shapes of untyped results are learned, if anywhere.
    shapes: Option<Arc<crate::prompt::shapes::Shapes>>,
    /// Tools whose calls need a person's approval, who is asked unless an
    /// execution names someone else, and how long an answer may take.
    approvals: Arc<Approvals>,
    approver: Arc<dyn Approver>,
    approval_timeout: Option<Duration>,
    /// Answers calls from a recording instead of the servers.
    replay: Option<Arc<crate::engine::replay::Replay>>,
}

/// What happened in one execution: the result or the error, the logs, the calls.
#[derive(Debug)]
pub struct Report {
    pub outcome: Option<Result<Value, ExecutionFailure>>,
    pub logs: Vec<LogLine>,
    pub calls: Vec<CallRecord>,
    /// How many bytes of call records [`Report::to_json`] shows; the rest
    /// are counted in `calls_omitted` (the trace keeps them all).
    pub calls_shown_bytes: usize,
    /// With results kept: each server's tool names, in order, so that a
    /// replay builds the same namespaces.
    pub api: Option<Vec<(String, Vec<String>)>>,
    /// Said beside a result that is likely not what the program meant: it
    /// made calls and returned nothing.
    pub note: Option<&'static str>,
    /// The logins that servers refused calls for want of (a first one, a
    /// wider scope), for a surface that can offer them.
    pub logins: Vec<crate::hint::Hint>,
}

impl Default for Report {
    fn default() -> Report {
        Report {
            outcome: None,
            logs: Vec::new(),
            calls: Vec::new(),
            calls_shown_bytes: usize::MAX,
            api: None,
            note: None,
            logins: Vec::new(),
        }
    }
}

/// What a log line costs in the report beyond its text (as in the engine).
const LOG_LINE_OVERHEAD: usize = 32;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogLine {
    pub level: Level,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CallRecord {
    pub server: String,
    pub tool: String,
    pub ms: u64,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why policy refused the call, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// For a call that needed approval: the verdict and who gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<Verdict>,
    /// Sizes of the arguments and of the unwrapped result, as JSON (for the trace).
    #[serde(skip)]
    pub args_bytes: usize,
    #[serde(skip)]
    pub result_bytes: usize,
    /// The unwrapped result as JSON, kept only when the executor was asked to
    /// (`run --trace` counts its tokens, `--trace-results` records it).
    #[serde(skip)]
    pub result_json: Option<String>,
    /// Where the call came in the program's order of asking (calls finish
    /// in any order).
    #[serde(skip)]
    pub order: u32,
    /// Kept with the result: the arguments as JSON, and the whole error the
    /// program was given.
    #[serde(skip)]
    pub args_json: Option<String>,
    #[serde(skip)]
    pub answer_error: Option<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        matches!(self.outcome, Some(Ok(_)))
    }

    /// `{"ok": true, "result", "logs", "calls"}` or `{"ok": false, "error", "logs", "calls"}`.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        match &self.outcome {
            Some(Ok(result)) => {
                out.insert("ok".into(), json!(true));
                out.insert("result".into(), result.clone());
            }
            Some(Err(failure)) => {
                out.insert("ok".into(), json!(false));
                out.insert("error".into(), json!(failure));
            }
            None => {
                out.insert("ok".into(), json!(false));
                out.insert("error".into(), json!({"kind": FailureKind::Internal, "message": "the execution ended without an outcome"}));
            }
        }
        if let Some(note) = self.note {
            out.insert("note".into(), json!(note));
        }
        out.insert("logs".into(), json!(self.logs));
        let mut shown = Vec::new();
        let mut bytes = 0usize;
        for call in &self.calls {
            let record = json!(call);
            bytes = bytes.saturating_add(record.to_string().len());
            if bytes > self.calls_shown_bytes {
                break;
            }
            shown.push(record);
        }
        let omitted = self.calls.len() - shown.len();
        out.insert("calls".into(), Value::Array(shown));
        if omitted > 0 {
            out.insert("calls_omitted".into(), json!(omitted));
        }
        Value::Object(out)
    }

    fn fail(mut self, failure: ExecutionFailure) -> Report {
        self.outcome = Some(Err(failure));
        self
    }
}

/// Ends an execution's span with its report's outcome.
pub fn end_execution(cx: Option<opentelemetry::Context>, report: &Report) {
    let failure = match &report.outcome {
        Some(Err(failure)) => Some(failure),
        _ => None,
    };
    crate::engine::telemetry::end(
        cx,
        failure.map(|f| f.kind.as_str()),
        failure.map(|f| f.message.as_str()),
    );
}

/// Per-execution bookkeeping shared by its concurrent calls.
struct CallLedger {
    sent: AtomicU32,
    records: Mutex<Vec<CallRecord>>,
    deadline: tokio::time::Instant,
    max_calls: u32,
    approver: Arc<dyn Approver>,
    /// Answers what servers ask during this execution's calls.
    human: Arc<dyn crate::upstream::Human>,
    /// Calls asked for so far, answered or not.
    asked: AtomicU32,
    /// The host memory results may hold until the program takes them.
    results: result_cost::ResultBudget,
    /// Logins that servers refused calls for want of.
    logins: Mutex<Vec<crate::hint::Hint>>,
}

impl Executor {
    /// An executor over `api`, calling tools through `peers` (by server name).
    pub fn new(api: Api, peers: HashMap<String, Peer<RoleClient>>, settings: Settings) -> Executor {
        let permits = api
            .namespaces()
            .iter()
            .map(|ns| {
                (
                    ns.server().to_owned(),
                    Semaphore::new(settings.max_concurrent_calls.max(1)),
                )
            })
            .collect();
        Executor {
            bindings: Bindings::new(Binding::all(&api)),
            api,
            peers,
            permits,
            validators: Validators::default(),
            refusals: Arc::default(),
            call_timeouts: HashMap::new(),
            keep_results: false,
            recording: false,
            max_program_bytes: settings.max_program_bytes,
            hint_words: crate::hint::Hint::plain,
            human: crate::upstream::NoHuman::shared("nobody is there to answer"),
            shapes: None,
            approvals: Arc::default(),
            approver: approval::NoOne::shared("nobody is there to approve it"),
            approval_timeout: None,
            replay: None,
        }
    }

    /// Answers every call from `replay` (see [`crate::engine::replay`]); no server is called.
    pub fn replaying(mut self, replay: Arc<crate::engine::replay::Replay>) -> Executor {
        self.replay = Some(replay);
        self.keep_results = true;
        self
    }

    /// Calls of the tools in `approvals` wait for `approver` (unless an
    /// execution names another), at most `timeout` each when given and never
    /// past the execution's time limit; only an approved call goes out.
    pub fn approving(
        mut self,
        approvals: Approvals,
        approver: Arc<dyn Approver>,
        timeout: Option<Duration>,
    ) -> Executor {
        self.approvals = Arc::new(approvals);
        self.approver = approver;
        self.approval_timeout = timeout;
        self
    }

    /// Learns the result types of tools without an `outputSchema` from the
    /// results programs receive (see [`crate::prompt::shapes`]).
    pub fn learning(mut self, shapes: Arc<crate::prompt::shapes::Shapes>) -> Executor {
        self.shapes = Some(shapes);
        self
    }

    /// Who answers servers' requests for a human during an execution's
    /// calls, unless the execution names another.
    pub fn asking(mut self, human: Arc<dyn crate::upstream::Human>) -> Executor {
        self.human = human;
        self
    }

    /// Tools that policy left out of the API, refused with their reason.
    pub fn with_refusals(mut self, refusals: Refusals) -> Executor {
        self.refusals = Arc::new(refusals);
        self
    }

    /// Time-outs for each call to some servers (by name), within the
    /// execution's own limit.
    pub fn with_call_timeouts(mut self, timeouts: HashMap<String, Duration>) -> Executor {
        self.call_timeouts = timeouts;
        self
    }

    /// Words what would help with a failed call (a login it lacks) for the
    /// program's errors, as the surface whose user reads them would.
    pub fn wording_hints(mut self, words: fn(&crate::hint::Hint) -> String) -> Executor {
        self.hint_words = words;
        self
    }

    /// Keep each call's result in the report (see [`CallRecord::result_json`]).
    pub fn keeping_results(mut self) -> Executor {
        self.keep_results = true;
        self
    }

    /// Keep each call's arguments and answer, and the API's names, in the
    /// report: all a trace needs for `codemode replay`.
    pub fn recording(mut self) -> Executor {
        self.keep_results = true;
        self.recording = true;
        self
    }

    /// Runs one program under `limits`.
    pub async fn execute(&self, code: &str, limits: Limits) -> Report {
        self.execute_until(code, limits, std::future::pending())
            .await
    }

    /// Runs one program under `limits`, or until `cancelled` resolves (the
    /// client cancelled or left): then the program is stopped, no further
    /// call is made, calls in flight are abandoned (rmcp tells their servers),
    /// and the report's outcome is kind `cancelled`.
    pub async fn execute_until(
        &self,
        code: &str,
        limits: Limits,
        cancelled: impl Future<Output = ()>,
    ) -> Report {
        let (approver, human) = (self.approver.clone(), self.human.clone());
        self.execute_asking(code, limits, cancelled, approver, human)
            .await
    }

    /// The servers whose connection has ended (restarts are the supervisor's).
    pub fn disconnected(&self) -> Vec<String> {
        let mut down: Vec<String> = self
            .peers
            .iter()
            .filter(|(_, peer)| peer.is_transport_closed())
            .map(|(name, _)| name.clone())
            .collect();
        down.sort();
        down
    }

    /// Whether policy marks any tool's calls for approval.
    pub fn asks_for_approval(&self) -> bool {
        !self.approvals.is_empty()
    }
}

/// What a cancelled execution reports.
const CANCELLED: &str =
    "the client cancelled the execution (or went away); it was stopped and made no further calls";

fn cancelled_failure() -> ExecutionFailure {
    ExecutionFailure::new(FailureKind::Cancelled, CANCELLED, None, None)
}

/// A program that ran out of time: the limit covers compiling too, which
/// the engine did not count.
fn timed_out(limits: &Limits) -> ExecutionFailure {
    ExecutionFailure::new(
        FailureKind::Timeout,
        &sandbox::timeout_message(limits.timeout),
        None,
        None,
    )
    .with_hint(LimitHint::RaiseLimit {
        limit: Limit::Time(limits.timeout),
    })
}

/// The result comes first: when it and the logs (`log_bytes`) do not fit in
/// `max` bytes together, the last log lines give up the room it needs (the
/// line across the edge keeps its start), and a line says so, its own bytes
/// counted unless only the result fits. Returns the bytes the logs kept.
fn make_room_for_the_result(
    logs: &mut Vec<LogLine>,
    mut log_bytes: usize,
    result_bytes: usize,
    max: usize,
) -> usize {
    if log_bytes <= max.saturating_sub(result_bytes) {
        return log_bytes;
    }
    let note = LogLine {
        level: Level::Warn,
        message: format!(
            "[codemode: logs cut here to fit the result in the {max}-byte output limit (result plus logs)]"
        ),
    };
    let room = max
        .saturating_sub(result_bytes)
        .saturating_sub(LOG_LINE_OVERHEAD + note.message.len());
    while log_bytes > room
        && let Some(line) = logs.pop()
    {
        log_bytes = log_bytes.saturating_sub(LOG_LINE_OVERHEAD + line.message.len());
        // What fits of the line across the edge, with its note.
        let keep = room.saturating_sub(log_bytes + LOG_LINE_OVERHEAD + CUT_NOTE_ROOM);
        if keep > 0 {
            let message = cut_line(&line.message, keep);
            log_bytes += LOG_LINE_OVERHEAD + message.len();
            logs.push(LogLine { message, ..line });
            break;
        }
    }
    log_bytes += LOG_LINE_OVERHEAD + note.message.len();
    logs.push(note);
    // A result that fits alone is never cut for the note's sake.
    match max.checked_sub(result_bytes) {
        Some(left) => log_bytes.min(left),
        None => log_bytes,
    }
}

/// At most what `cut_line` adds to a line it cuts.
const CUT_NOTE_ROOM: usize = 64;

/// `line` cut to `keep` bytes and a note; a line the engine cut at the output
/// limit keeps the engine's note, which says how it ends.
fn cut_line(line: &str, keep: usize) -> String {
    const ENGINE_CUT: &str = "… [codemode: logs cut at the ";
    match line.rfind(ENGINE_CUT) {
        // A program can write the note too: only one of the engine's length.
        Some(at) if line.ends_with("-byte output limit]") && line.len() - at <= CUT_NOTE_ROOM => {
            let mut end = keep.min(at);
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}{}", &line[..end], &line[at..])
        }
        _ => codemode_text::cut(line, keep),
    }
}

/// The result as JSON, or a marked preview when it does not fit in `budget`
/// bytes; a failure of kind `result` when it cannot be read back.
fn shape_result(
    finished: Finished,
    budget: usize,
    limits: &Limits,
) -> Result<Value, ExecutionFailure> {
    let total = finished.truncated_from.unwrap_or(finished.json.len());
    if finished.truncated_from.is_none() && finished.json.len() <= budget {
        let problem = if bounds::json_depth(&finished.json) > MAX_DEPTH {
            format!(
                "the returned value nests more than {MAX_DEPTH} levels deep; return a flatter value"
            )
        } else {
            match serde_json::from_str(&finished.json) {
                Ok(value) => return Ok(value),
                Err(error) => format!(
                    "the returned value cannot be read back as JSON ({error}); strings with unpaired surrogates cannot be returned"
                ),
            }
        };
        return Err(ExecutionFailure::new(
            FailureKind::Result,
            &problem,
            None,
            None,
        ));
    }
    let note = format!(
        "… [codemode: result truncated: it is {total} bytes and the output limit (result plus logs) is {} bytes]",
        limits.max_output_bytes
    );
    // The note is part of the output too.
    let mut end = budget.saturating_sub(note.len()).min(finished.json.len());
    while !finished.json.is_char_boundary(end) {
        end -= 1;
    }
    Ok(Value::String(format!("{}{note}", &finished.json[..end])))
}

/// How the program failed, in its own TypeScript's terms.
fn script_failure(
    error: ScriptError,
    compiled: &transpile::Compiled,
    limits: &Limits,
    bindings: &[Binding],
) -> ExecutionFailure {
    let kind = FailureKind::from(error.kind);
    let message = match error.kind {
        // The engine counted from its own start; the limit covers compiling too.
        ErrorKind::Timeout => return timed_out(limits),
        ErrorKind::Memory => {
            return ExecutionFailure::new(kind, &error.message, None, None).with_hint(
                LimitHint::RaiseLimit {
                    limit: Limit::Memory(limits.memory_bytes),
                },
            );
        }
        _ => error.message,
    };
    // The engine's position is in the generated JavaScript; the model wants
    // its own TypeScript. QuickJS's column is that of the last token compiled
    // before the failing operation (inside a template literal argument, say),
    // so a column is given only for a named expression, where it is exact.
    if let (ErrorKind::Runtime, Some(line), Some(column)) =
        (error.kind, error.js_line, error.js_column)
        && let Some((named, culprit)) = explain::named(&message, compiled, line, column)
        && let Some((line, column)) = compiled.ts_position(culprit.line, culprit.column)
    {
        return ExecutionFailure::new(kind, &named, Some(line), Some(column));
    }
    let ts_line = error.js_line.and_then(|line| compiled.ts_line(line));
    if let Some(explained) = explain::not_defined(&message, compiled, bindings) {
        // QuickJS points at a global it could not find.
        let name = explain::undefined_name(&message);
        let at = match (name, error.js_line, error.js_column) {
            (Some(name), Some(line), Some(column)) => {
                explain::name_at(&compiled.js, line, column, name)
                    .and_then(|column| compiled.ts_position(line, column))
            }
            _ => None,
        };
        return match at {
            Some((line, column)) => {
                ExecutionFailure::new(kind, &explained, Some(line), Some(column))
            }
            None => ExecutionFailure::new(kind, &explained, ts_line, None),
        };
    }
    let message = explain::unnamed(&message).unwrap_or(message);
    ExecutionFailure::new(kind, &message, ts_line, None)
}
