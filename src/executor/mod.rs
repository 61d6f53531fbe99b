//! One Code Mode execution, end to end: TypeScript in, a report out.
//!
//! The program is compiled (and checked against the API), run in a fresh
//! WebAssembly isolate in this process, and every call it makes is validated
//! and forwarded to the real upstream tool. The isolate stops the program at
//! its deadline, whatever it is doing; a cancelled execution is dropped.

mod explain;
mod own_wakes;
mod python_literal;
mod result_cost;
#[cfg(test)]
mod results_corpus;
mod unwrap;
mod validate;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use codemode_sandbox as sandbox;
use codemode_sandbox::bounds::{self, MAX_DEPTH};
use codemode_sandbox::{
    Binding, Bindings, Call, ErrorKind, Event, Finished, Job, Level, Limits, Reply, ScriptError,
};
use codemode_text::suggest::{function_meant, listed, member};
use codemode_text::{cut, size};
use codemode_transpile as transpile;
use codemode_typegen::Api;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use rmcp::model::CallToolRequestParams;
use rmcp::{Peer, RoleClient};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;

use crate::approval::{self, Approver, Verdict};
use crate::policy::{Approvals, Refusals};
use own_wakes::OwnWakes;
use validate::Validators;

/// How long past its time limit a program may take to report before it is
/// dropped, and calls still running when it ended may take to finish.
const STOP_GRACE: Duration = Duration::from_millis(500);

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
    /// Answers a 2026-07-28 server's `input_required` rounds.
    human: Arc<dyn crate::upstream::Human>,
    /// Where the shapes of untyped results are learned, if anywhere.
    shapes: Option<Arc<crate::shapes::Shapes>>,
    /// Tools whose calls need a person's approval, who is asked unless an
    /// execution names someone else, and how long an answer may take.
    approvals: Arc<Approvals>,
    approver: Arc<dyn Approver>,
    approval_timeout: Option<Duration>,
    /// Answers calls from a recording instead of the servers.
    replay: Option<Arc<crate::replay::Replay>>,
}

/// What happened in one execution: the result or the error, the logs, the calls.
#[derive(Debug)]
pub struct Report {
    pub outcome: Option<Result<Value, Failure>>,
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
        }
    }
}

/// A tool name as a record or message shows it: a server's own names are
/// short, but a program can ask for any name.
const MAX_NAME_SHOWN: usize = 128;

/// What a log line costs in the report beyond its text (as in the engine).
const LOG_LINE_OVERHEAD: usize = 32;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Failure {
    pub kind: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

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
                out.insert("error".into(), json!({"kind": "internal", "message": "the execution ended without an outcome"}));
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

    fn fail(
        mut self,
        kind: &str,
        message: String,
        line: Option<u32>,
        column: Option<u32>,
    ) -> Report {
        self.outcome = Some(Err(Failure::new(kind, &message, line, column)));
        self
    }
}

/// Ends an execution's span with its report's outcome.
pub fn end_execution(cx: Option<opentelemetry::Context>, report: &Report) {
    let failure = match &report.outcome {
        Some(Err(failure)) => Some(failure),
        _ => None,
    };
    crate::telemetry::end(
        cx,
        failure.map(|f| f.kind.as_str()),
        failure.map(|f| f.message.as_str()),
    );
}

impl Failure {
    /// A failure whose message is cut to what a report keeps.
    pub fn new(kind: &str, message: &str, line: Option<u32>, column: Option<u32>) -> Failure {
        Failure {
            kind: kind.to_owned(),
            message: cut(message, bounds::MAX_ERROR_IN_REPORT),
            line,
            column,
        }
    }
}

/// Per-execution bookkeeping shared by its concurrent calls.
struct CallLedger {
    sent: AtomicU32,
    records: Mutex<Vec<CallRecord>>,
    deadline: tokio::time::Instant,
    max_calls: u32,
    approver: Arc<dyn Approver>,
    /// Calls asked for so far, answered or not.
    asked: AtomicU32,
    /// The host memory results may hold until the program takes them.
    results: result_cost::ResultBudget,
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
            human: crate::upstream::NoOne::shared("nobody is there to answer"),
            shapes: None,
            approvals: Arc::default(),
            approver: approval::NoOne::shared("nobody is there to approve it"),
            approval_timeout: None,
            replay: None,
        }
    }

    /// Answers every call from `replay` (see [`crate::replay`]); no server is called.
    pub fn replaying(mut self, replay: Arc<crate::replay::Replay>) -> Executor {
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
    /// results programs receive (see [`crate::shapes`]).
    pub fn learning(mut self, shapes: Arc<crate::shapes::Shapes>) -> Executor {
        self.shapes = Some(shapes);
        self
    }

    /// Who answers servers' requests for a human made in `input_required`
    /// rounds (the same as the connections' [`crate::upstream::Hooks`]).
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
        self.execute_asking(code, limits, cancelled, self.approver.clone())
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

    /// [`Executor::execute_until`], with calls that need approval put to `approver`.
    pub async fn execute_asking(
        &self,
        code: &str,
        limits: Limits,
        cancelled: impl Future<Output = ()>,
        approver: Arc<dyn Approver>,
    ) -> Report {
        let mut report = Report {
            calls_shown_bytes: limits.max_output_bytes,
            api: self.recording.then(|| {
                self.api
                    .namespaces()
                    .iter()
                    .map(|ns| {
                        let tools = ns.functions().iter().map(|f| f.tool().to_owned());
                        (ns.server().to_owned(), tools.collect())
                    })
                    .collect()
            }),
            ..Report::default()
        };
        tokio::pin!(cancelled);
        // Compiling counts against the time limit.
        let deadline = tokio::time::Instant::now() + limits.timeout;
        let compiling = transpile::compile_bounded(
            code.into(),
            self.bindings.list().clone(),
            self.refusals.clone(),
            self.max_program_bytes,
        );
        let compiled = tokio::select! {
            compiled = tokio::time::timeout_at(deadline, compiling) => compiled,
            () = &mut cancelled => return report.fail("cancelled", CANCELLED.into(), None, None),
        };
        let compiled = match compiled {
            Ok(Some(Ok(compiled))) => compiled,
            Ok(Some(Err(e))) => return report.fail(e.kind.as_str(), e.message, e.line, e.column),
            Ok(None) => {
                return report.fail(
                    "internal",
                    "the compiler could not run or failed on this program (see codemode's log); try again, or simplify the program".into(),
                    None,
                    None,
                );
            }
            Err(_) => {
                return report.fail(
                    "timeout",
                    format!(
                        "compiling the program took longer than its time limit of {} ms; make it smaller",
                        limits.timeout.as_millis()
                    ),
                    None,
                    None,
                );
            }
        };
        let started = tokio::time::Instant::now();
        let remaining = deadline.saturating_duration_since(started);
        let job = Job {
            js: compiled.js.clone(),
            throws_null: compiled.throws_null,
            bindings: self.bindings.clone(),
            limits: Limits {
                timeout: remaining.max(Duration::from_millis(1)),
                ..limits
            },
        };
        let ledger = CallLedger {
            sent: AtomicU32::new(0),
            records: Mutex::new(Vec::new()),
            deadline: deadline + STOP_GRACE,
            max_calls: limits.max_calls,
            approver,
            asked: AtomicU32::new(0),
            results: result_cost::ResultBudget::new(limits.memory_bytes),
        };
        let (events, mut requests) = tokio::sync::mpsc::unbounded_channel();
        // The program runs here, in a fresh WebAssembly instance; it stops
        // itself at its deadline, and dropping it stops it at once.
        let running = sandbox::isolate::run(job, events);
        tokio::pin!(running);
        let mut log_bytes = 0usize;
        let mut calls = FuturesUnordered::new();
        // One timer for the whole execution: registering a timer can wake a
        // parked runtime thread, which every call would pay for.
        let overdue = tokio::time::sleep_until(ledger.deadline);
        tokio::pin!(overdue);
        // The program's calls and console lines are only ever sent while
        // `running` is polled (the guest runs nowhere else), so they are taken
        // right after it, without a waker; and the wake-ups the poll gives
        // itself (an answer for the program) only make it go round again. A
        // wake-up of this very task at every call would send it through the
        // scheduler again.
        let mut keep_log = |level, message: String| {
            // The engine keeps to the budget; this holds even if it did not.
            if log_bytes < limits.max_output_bytes {
                log_bytes += LOG_LINE_OVERHEAD + message.len();
                let message = cut(&message, limits.max_output_bytes);
                report.logs.push(LogLine { level, message });
            }
        };
        let own = Arc::new(OwnWakes::default());
        let own_waker = own.waker();
        let ended = std::future::poll_fn(|cx| {
            own.enter(cx);
            let mut inner = Context::from_waker(&own_waker);
            let began = Instant::now();
            loop {
                if cancelled.as_mut().poll(cx).is_ready() {
                    own.leave();
                    keep_last_logs(&mut requests, &mut keep_log);
                    return Poll::Ready(Ended::Cancelled);
                }
                let mut progressed = false;
                while let Poll::Ready(Some(())) = calls.poll_next_unpin(&mut inner) {
                    progressed = true;
                }
                if let Poll::Ready(outcome) = running.as_mut().poll(&mut inner) {
                    own.leave();
                    // What the program logged in its last step is kept; the
                    // calls it made there it never awaited, and they are
                    // not made (nothing happens after it returned).
                    keep_last_logs(&mut requests, &mut keep_log);
                    return Poll::Ready(Ended::Done(outcome));
                }
                while let Ok(event) = requests.try_recv() {
                    progressed = true;
                    match event {
                        Event::Call(call) => {
                            let ledger = &ledger;
                            // Boxed: the set of calls keeps a spare of its future's type.
                            calls.push(Box::pin(async move {
                                let Call {
                                    server,
                                    tool,
                                    args,
                                    reply,
                                } = *call;
                                let mut held = bounds::Held::default();
                                let answer =
                                    self.call(&server, &tool, args, ledger, &mut held).await;
                                // The program may have stopped waiting: nobody to tell.
                                let _ = reply.send((answer, held));
                            }));
                        }
                        Event::Log { level, message } => keep_log(level, message),
                    }
                }
                if overdue.as_mut().poll(cx).is_ready() {
                    own.leave();
                    return Poll::Ready(Ended::Overdue);
                }
                if !progressed && !own.leave() {
                    return Poll::Pending;
                }
                // Something happened: go round again, unless this poll has
                // had a tick (a program that computes yields at every epoch
                // tick by waking itself), then give the thread back.
                if began.elapsed() >= GIVE_BACK_AFTER {
                    own.leave();
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                own.enter(cx);
            }
        })
        .await;
        // Calls still running when the program ended are finished (their
        // side effects happen either way) and recorded, but nobody gets the
        // answer; a cancelled execution abandons them instead.
        if !matches!(ended, Ended::Cancelled) {
            while let Ok(Some(())) = tokio::time::timeout_at(ledger.deadline, calls.next()).await {}
        }
        drop(calls);
        report.calls = ledger.records.into_inner().expect("call records");

        match ended {
            Ended::Done(outcome) => {
                let unreturned = outcome.as_ref().is_ok_and(|f| f.returned_undefined);
                if unreturned && !report.calls.is_empty() {
                    report.note = Some(explain::RETURNED_UNDEFINED);
                }
                report.outcome = Some(match outcome {
                    Ok(finished) => {
                        let log_bytes = make_room_for_the_result(
                            &mut report.logs,
                            log_bytes,
                            finished.truncated_from.unwrap_or(finished.json.len()),
                            limits.max_output_bytes,
                        );
                        shape_result(
                            finished,
                            limits.max_output_bytes.saturating_sub(log_bytes),
                            &limits,
                        )
                    }
                    Err(error) => Err(failure(error, &compiled, &limits, self.bindings.list())),
                });
                report
            }
            Ended::Overdue => report.fail(
                "timeout",
                sandbox::timeout_message(limits.timeout),
                None,
                None,
            ),
            Ended::Cancelled => report.fail("cancelled", CANCELLED.into(), None, None),
        }
    }

    /// One call from the program: checked, forwarded, unwrapped, recorded;
    /// `held` holds its result's cost until the program takes it.
    async fn call(
        &self,
        server: &str,
        tool: &str,
        args: Value,
        ledger: &CallLedger,
        held: &mut bounds::Held,
    ) -> Reply {
        let Some(namespace) = self.api.namespace(server) else {
            return Reply::Error {
                message: format!("no server named {}", cut(server, MAX_NAME_SHOWN)),
            };
        };
        let ns = namespace.ident();
        let tool_shown = cut(tool, MAX_NAME_SHOWN);
        let order = ledger.asked.fetch_add(1, Ordering::Relaxed);
        if let Some(reason) = self.refusals.reason(server, tool) {
            let message = format!("{ns}.{tool} is not available: {reason}");
            let refused = Unsent {
                server,
                tool: &tool_shown,
                args: &args,
                order,
            };
            return self.refuse(ledger, refused, message, Some(reason.to_owned()), None);
        }
        let Some(function) = namespace.function(tool) else {
            let functions = namespace.functions().iter().map(|f| f.ident());
            let hint = function_meant(tool, ns, functions.clone())
                .map(|s| format!("; did you mean {ns}.{s}?"))
                .unwrap_or_else(|| format!("; its functions are {}", listed(functions, 12)));
            // A server's names may be long: the reply is no longer than
            // the error it becomes.
            let message = format!("{} is not a function{hint}", member(ns, tool));
            return Reply::TypeError {
                message: cut(&message, bounds::MAX_ERROR_IN_REPORT),
            };
        };
        let shown = format!("{ns}.{}", function.ident());
        let args = match args {
            Value::Object(_) => args,
            Value::Null => Value::Object(Map::new()),
            other => {
                return Reply::TypeError {
                    message: format!(
                        "{shown} takes one object of named arguments, not {}",
                        json_type(&other)
                    ),
                };
            }
        };
        if let Err(problem) =
            self.validators
                .check(server, function.tool(), function.input_schema(), &args)
        {
            return Reply::TypeError {
                message: format!("{shown}: invalid arguments: {problem}"),
            };
        }
        if ledger.sent.fetch_add(1, Ordering::Relaxed) >= ledger.max_calls {
            return Reply::Error {
                message: format!(
                    "tool-call limit reached: at most {} calls per execution; make fewer calls, or split the work across executions",
                    ledger.max_calls
                ),
            };
        }
        if let Some(replay) = &self.replay {
            let answer = replay.answer(server, function.tool(), &args);
            let replayed = Unsent {
                server,
                tool: function.tool(),
                args: &args,
                order,
            };
            let record = match &answer {
                Reply::Ok { value } => self.unsent(&replayed, Ok(value)),
                Reply::Error { message } | Reply::TypeError { message } => {
                    self.unsent(&replayed, Err(message))
                }
            };
            ledger.records.lock().expect("call records").push(record);
            return answer;
        }
        let Some(peer) = self.peers.get(server) else {
            return Reply::Error {
                message: format!(
                    "{shown} cannot be called: the {server} tools were loaded from a file, not from a running server"
                ),
            };
        };

        let approval = match self.approvals.reason(server, function.tool()) {
            None => None,
            Some(reason) => {
                let verdict = self
                    .approve(server, function.tool(), &args, reason, ledger)
                    .await;
                if !verdict.approved {
                    let message = format!(
                        "{shown} was not approved: {} ({})",
                        verdict.why.as_deref().unwrap_or("refused"),
                        verdict.by
                    );
                    let refused = Unsent {
                        server,
                        tool: function.tool(),
                        args: &args,
                        order,
                    };
                    return self.refuse(ledger, refused, message, None, Some(verdict));
                }
                Some(verdict)
            }
        };
        let _permit = match self.permits.get(server) {
            Some(semaphore) => Some(semaphore.acquire().await),
            None => None,
        };
        let started = Instant::now();
        let args_bytes = serde_json::to_vec(&args).map_or(0, |json| json.len());
        if args_bytes > bounds::MAX_CALL_BYTES {
            return Reply::Error {
                message: format!(
                    "{shown}: the arguments are {} as JSON; at most {} can be sent to a server in one call",
                    size(args_bytes),
                    size(bounds::MAX_CALL_BYTES)
                ),
            };
        }
        let Value::Object(args) = args else {
            unreachable!("checked to be an object above")
        };
        let args_json = self
            .keep_results
            .then(|| serde_json::to_string(&args).unwrap_or_default());
        let mut request =
            CallToolRequestParams::new(function.tool().to_owned()).with_arguments(args);
        // A span for the call, whose context the server receives in `_meta`.
        let traced = crate::telemetry::call(server, function.tool());
        if let Some((_, meta)) = &traced {
            request.meta = Some(meta.clone().into());
        }
        let own = self.call_timeouts.get(server).copied();
        let until = own.map_or(ledger.deadline, |own| {
            ledger
                .deadline
                .min(tokio::time::Instant::from_std(started) + own)
        });
        let call = crate::upstream::human::call_tool(peer, self.human.as_ref(), server, request);
        let outcome = tokio::time::timeout_at(until, call).await;
        let ms = started.elapsed().as_millis() as u64;
        let result = match outcome {
            Err(_) if until < ledger.deadline => Err(format!(
                "{shown} did not answer within {} s, the time-out its server's config sets for a call",
                own.unwrap_or_default().as_secs_f64()
            )),
            Err(_) => Err(format!(
                "{shown} did not answer before the execution's time limit"
            )),
            // The server (or codemode, for a response it could not read) answered with an error.
            Ok(Err(rmcp::ServiceError::McpError(error))) => {
                Err(format!("{shown} failed: {}", error.message))
            }
            Ok(Err(error))
                if let Some(hint) = crate::upstream::oauth::refusal_hint(&error, server) =>
            {
                Err(format!("{shown} was refused: {hint}"))
            }
            Ok(Err(error)) if peer.is_transport_closed() => Err(format!(
                "{shown} failed: the {server} server has stopped ({error}); codemode restarts it when serving, so a retry may work"
            )),
            Ok(Err(error)) => Err(format!(
                "{shown} failed: the {server} server did not answer ({error})"
            )),
            // Measured before any tree is built from it: a small text can
            // make a large tree, and several results can be in flight.
            Ok(Ok(result)) => {
                let (cost, sent) = result_cost::estimate(&result);
                match ledger
                    .results
                    .hold(&shown, cost, sent, ledger.deadline)
                    .await
                {
                    Err(too_much) => Err(too_much),
                    Ok(reserved) => {
                        *held = reserved;
                        let wire = serde_json::to_value(&result).unwrap_or(Value::Null);
                        drop(result);
                        unwrap::unwrap(&wire)
                            .map_err(|message| format!("{shown}: {message}"))
                            .and_then(|value| match bounds::value_depth(&value) {
                                depth if depth > MAX_DEPTH => Err(format!(
                                    "{shown} returned a result nested {depth} levels deep; at most {MAX_DEPTH} levels can be passed to a program"
                                )),
                                _ => Ok(value),
                            })
                    }
                }
            }
        };
        // Scrubbed before it is cut, so no cut leaves half a secret.
        let result = result.map_err(|message| {
            let message = crate::upstream::redact::scrub(&message);
            cut(&message, bounds::MAX_ERROR_TO_PROGRAM)
        });
        crate::telemetry::end(
            traced.map(|(cx, _)| cx),
            result.as_ref().err().map(|_| "tool_error"),
            result.as_ref().err().map(String::as_str),
        );
        if let (Ok(value), Some(shapes), None) = (&result, &self.shapes, function.output_schema()) {
            let definition = crate::shapes::definition_hash(function.raw());
            shapes.observe(server, function.tool(), &definition, value);
        }
        let keep = self.keep_results;
        // Counted, not written, unless kept: a result is held once already.
        let result_json = result.as_ref().ok().filter(|_| keep).map(Value::to_string);
        let result_bytes = match &result_json {
            Some(json) => json.len(),
            None => result.as_ref().map_or(0, result_cost::json_len),
        };
        let record = CallRecord {
            server: server.to_owned(),
            tool: function.tool().to_owned(),
            ms,
            ok: result.is_ok(),
            error: result
                .as_ref()
                .err()
                .map(|message| cut(message, MAX_ERROR_IN_RECORD)),
            policy: None,
            approval,
            args_bytes,
            result_bytes,
            result_json,
            order,
            args_json,
            answer_error: result.as_ref().err().filter(|_| keep).cloned(),
        };
        ledger.records.lock().expect("call records").push(record);
        match result {
            Ok(value) => Reply::Ok { value },
            Err(message) => Reply::Error { message },
        }
    }
}

/// A call answered here rather than by its server: refused before it went
/// out, or answered from a recording.
struct Unsent<'a> {
    server: &'a str,
    tool: &'a str,
    args: &'a Value,
    order: u32,
}

impl Executor {
    /// The record of an unsent call answered with `answer` (nothing timed).
    fn unsent(&self, call: &Unsent, answer: Result<&Value, &str>) -> CallRecord {
        let keep = self.keep_results;
        let args = call.args.to_string();
        let (error, result_json) = match answer {
            Ok(value) => (None, Some(value.to_string())),
            Err(message) => (Some(message), None),
        };
        CallRecord {
            server: call.server.to_owned(),
            tool: call.tool.to_owned(),
            ms: 0,
            ok: error.is_none(),
            error: error.map(|message| cut(message, MAX_ERROR_IN_RECORD)),
            policy: None,
            approval: None,
            args_bytes: args.len(),
            result_bytes: result_json.as_ref().map_or(0, String::len),
            result_json: result_json.filter(|_| keep),
            order: call.order,
            answer_error: error.filter(|_| keep).map(str::to_owned),
            args_json: keep.then_some(args),
        }
    }

    /// Records a call refused before it went out, and the error the program gets.
    fn refuse(
        &self,
        ledger: &CallLedger,
        call: Unsent,
        message: String,
        policy: Option<String>,
        approval: Option<Verdict>,
    ) -> Reply {
        let record = CallRecord {
            policy,
            approval,
            ..self.unsent(&call, Err(&message))
        };
        ledger.records.lock().expect("call records").push(record);
        Reply::Error { message }
    }

    /// Asks the execution's approver about one call, within the approval
    /// time-out and the execution's time limit.
    async fn approve(
        &self,
        server: &str,
        tool: &str,
        args: &Value,
        reason: &str,
        ledger: &CallLedger,
    ) -> Verdict {
        let request = approval::Request {
            server: server.to_owned(),
            tool: tool.to_owned(),
            args: args.clone(),
            reason: reason.to_owned(),
        };
        let until = self.approval_timeout.map_or(ledger.deadline, |wait| {
            ledger.deadline.min(tokio::time::Instant::now() + wait)
        });
        match tokio::time::timeout_at(until, ledger.approver.approve(request)).await {
            Ok(verdict) => verdict,
            Err(_) if until < ledger.deadline => Verdict::refused(
                "codemode",
                format!(
                    "no answer within {} s (the approval time-out)",
                    self.approval_timeout.unwrap_or_default().as_secs_f64()
                ),
            ),
            Err(_) => Verdict::refused("codemode", "no answer before the execution's time limit"),
        }
    }
}

/// How long one poll of an execution may go round before it lets other
/// tasks have the thread: the sandbox's epoch tick.
const GIVE_BACK_AFTER: Duration = Duration::from_millis(1);

/// What a cancelled execution reports.
const CANCELLED: &str =
    "the client cancelled the execution (or went away); it was stopped and made no further calls";

enum Ended {
    Done(Result<Finished, ScriptError>),
    /// The sandbox did not stop the program at its deadline (it always
    /// should); it is dropped, which stops it.
    Overdue,
    Cancelled,
}

/// How much of an error's text a call record keeps.
const MAX_ERROR_IN_RECORD: usize = 1 << 10;

/// The program's events still queued when it stopped: its log lines are
/// kept, its calls (never awaited) are not made.
fn keep_last_logs(
    requests: &mut tokio::sync::mpsc::UnboundedReceiver<Event>,
    keep_log: &mut impl FnMut(Level, String),
) {
    while let Ok(event) = requests.try_recv() {
        if let Event::Log { level, message } = event {
            keep_log(level, message);
        }
    }
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
        _ => cut(line, keep),
    }
}

/// The result as JSON, or a marked preview when it does not fit in `budget`
/// bytes; a failure of kind `result` when it cannot be read back.
fn shape_result(finished: Finished, budget: usize, limits: &Limits) -> Result<Value, Failure> {
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
        return Err(Failure::new("result", &problem, None, None));
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

fn failure(
    error: ScriptError,
    compiled: &transpile::Compiled,
    limits: &Limits,
    bindings: &[Binding],
) -> Failure {
    let message = match error.kind {
        // The engine counted from its own start; the limit covers compiling too.
        ErrorKind::Timeout => sandbox::timeout_message(limits.timeout),
        _ => error.message,
    };
    let kind = match error.kind {
        ErrorKind::Runtime => "runtime",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Memory => "memory",
        ErrorKind::Stack => "stack",
        ErrorKind::Result => "result",
        ErrorKind::Internal => "internal",
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
        return Failure::new(kind, &named, Some(line), Some(column));
    }
    let ts_line = error.js_line.and_then(|line| compiled.ts_line(line));
    if let Some(explained) = explain::not_defined(&message, compiled, bindings) {
        // QuickJS points at a global it could not find.
        let name = message
            .strip_prefix("ReferenceError: ")
            .and_then(|m| m.split_once(" is not defined"))
            .map(|(name, _)| name);
        let at = match (name, error.js_line, error.js_column) {
            (Some(name), Some(line), Some(column)) => {
                explain::name_at(&compiled.js, line, column, name)
                    .and_then(|column| compiled.ts_position(line, column))
            }
            _ => None,
        };
        return match at {
            Some((line, column)) => Failure::new(kind, &explained, Some(line), Some(column)),
            None => Failure::new(kind, &explained, ts_line, None),
        };
    }
    let message = explain::unnamed(&message).unwrap_or(message);
    Failure::new(kind, &message, ts_line, None)
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
