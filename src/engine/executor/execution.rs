//! One execution, in the stages it goes through: a report begun, the
//! program compiled within its time limit, run in a fresh isolate while its
//! calls are made and its log lines kept, its calls still in flight
//! finished, and the outcome concluded from how it ended.

use std::pin::Pin;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use super::own_wakes::OwnWakes;
use super::{
    CallLedger, ExecutionFailure, Executor, FailureKind, LOG_LINE_OVERHEAD, LogLine, Report,
    cancelled_failure, explain, make_room_for_the_result, result_cost, script_failure,
    shape_result, timed_out,
};
use crate::governance::approval::Approver;
use codemode_sandbox::bounds;
use codemode_sandbox::{self as sandbox, Call, Event, Finished, Job, Level, Limits, ScriptError};
use codemode_transpile as transpile;

/// The log lines a program wrote, up to the output limit.
struct Logs {
    lines: Vec<LogLine>,
    /// What they cost in the report, as the engine counts it.
    bytes: usize,
    max_bytes: usize,
}

impl Logs {
    fn new(max_bytes: usize) -> Logs {
        Logs {
            lines: Vec::new(),
            bytes: 0,
            max_bytes,
        }
    }

    fn keep(&mut self, level: Level, message: String) {
        // The engine keeps to the budget; this holds even if it did not.
        if self.bytes < self.max_bytes {
            self.bytes += LOG_LINE_OVERHEAD + message.len();
            let message = codemode_text::cut(&message, self.max_bytes);
            self.lines.push(LogLine { level, message });
        }
    }
}

impl Executor {
    /// [`Executor::execute_until`], with calls that need approval put to
    /// `approver`, and what servers ask during its calls to `human`.
    pub async fn execute_asking(
        &self,
        code: &str,
        limits: Limits,
        cancelled: impl Future<Output = ()>,
        approver: Arc<dyn Approver>,
        human: Arc<dyn crate::upstream::Human>,
    ) -> Report {
        let report = self.begin_report(&limits);
        tokio::pin!(cancelled);
        // Compiling counts against the time limit.
        let deadline = tokio::time::Instant::now() + limits.timeout;
        let compiled = match self
            .compile(code, &limits, deadline, cancelled.as_mut())
            .await
        {
            Ok(compiled) => compiled,
            Err(failure) => return report.fail(failure),
        };
        let ledger = CallLedger {
            sent: AtomicU32::new(0),
            records: Mutex::new(Vec::new()),
            deadline: deadline + STOP_GRACE,
            max_calls: limits.max_calls,
            approver,
            human,
            asked: AtomicU32::new(0),
            results: result_cost::ResultBudget::new(limits.memory_bytes),
            logins: Mutex::default(),
        };
        let mut logs = Logs::new(limits.max_output_bytes);
        let job = self.job(&compiled, limits, deadline);
        let ended = self.run(job, &ledger, cancelled, &mut logs).await;
        let calls = ledger.records.into_inner().expect("call records");
        let mut report = self.conclude(report, ended, calls, logs, &compiled, limits);
        report.logins = ledger.logins.into_inner().expect("logins wanted");
        report
    }

    /// An empty report, with the API's names when recording.
    fn begin_report(&self, limits: &Limits) -> Report {
        Report {
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
        }
    }

    /// The program compiled (and checked against the API) before
    /// `deadline`, unless cancelled first.
    async fn compile(
        &self,
        code: &str,
        limits: &Limits,
        deadline: tokio::time::Instant,
        cancelled: Pin<&mut impl Future<Output = ()>>,
    ) -> Result<transpile::Compiled, ExecutionFailure> {
        let compiling = transpile::compile_bounded(
            code.into(),
            self.bindings.list().clone(),
            self.refusals.clone(),
            self.max_program_bytes,
        );
        // Cancelled first: a client that went away gets nothing run, even
        // when the compiler is done at the same moment.
        let compiled = tokio::select! {
            biased;
            () = cancelled => return Err(cancelled_failure()),
            compiled = tokio::time::timeout_at(deadline, compiling) => compiled,
        };
        match compiled {
            Ok(Some(Ok(compiled))) => Ok(compiled),
            Ok(Some(Err(e))) => Err(ExecutionFailure::compiling(e)),
            Ok(None) => Err(ExecutionFailure::new(
                FailureKind::Internal,
                "the compiler could not run or failed on this program (see codemode's log); try again, or simplify the program",
                None,
                None,
            )),
            Err(_) => Err(ExecutionFailure::new(
                FailureKind::Timeout,
                &format!(
                    "compiling the program took longer than its time limit of {} ms; make it smaller",
                    limits.timeout.as_millis()
                ),
                None,
                None,
            )),
        }
    }

    /// What the sandbox runs: the program, with the time left of its limit.
    fn job(
        &self,
        compiled: &transpile::Compiled,
        limits: Limits,
        deadline: tokio::time::Instant,
    ) -> Job {
        let started = tokio::time::Instant::now();
        let remaining = deadline.saturating_duration_since(started);
        Job {
            js: compiled.js.clone(),
            throws_null: compiled.throws_null,
            bindings: self.bindings.clone(),
            limits: Limits {
                timeout: remaining.max(Duration::from_millis(1)),
                ..limits
            },
        }
    }

    /// Runs the program, making its calls and keeping its log lines, until
    /// it ends, is overdue or is cancelled; then finishes the calls still in
    /// flight, unless cancelled.
    async fn run(
        &self,
        job: Job,
        ledger: &CallLedger,
        mut cancelled: Pin<&mut impl Future<Output = ()>>,
        logs: &mut Logs,
    ) -> Ended {
        let (events, mut requests) = tokio::sync::mpsc::unbounded_channel();
        // The program runs here, in a fresh WebAssembly instance; it stops
        // itself at its deadline, and dropping it stops it at once.
        let running = sandbox::isolate::run(job, events);
        tokio::pin!(running);
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
        let mut keep_log = |level, message: String| logs.keep(level, message);
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
        ended
    }

    /// The report of how the program `ended`, with its calls and log lines.
    fn conclude(
        &self,
        mut report: Report,
        ended: Ended,
        calls: Vec<super::CallRecord>,
        logs: Logs,
        compiled: &transpile::Compiled,
        limits: Limits,
    ) -> Report {
        report.calls = calls;
        report.logs = logs.lines;
        let log_bytes = logs.bytes;
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
                    Err(error) => Err(script_failure(
                        error,
                        compiled,
                        &limits,
                        self.bindings.list(),
                    )),
                });
                report
            }
            Ended::Overdue => report.fail(timed_out(&limits)),
            Ended::Cancelled => report.fail(cancelled_failure()),
        }
    }
}

/// How long past its time limit a program may take to report before it is
/// dropped, and calls still running when it ended may take to finish.
const STOP_GRACE: Duration = Duration::from_millis(500);

/// How long one poll of an execution may go round before it lets other
/// tasks have the thread: the sandbox's epoch tick.
const GIVE_BACK_AFTER: Duration = Duration::from_millis(1);

enum Ended {
    Done(Result<Finished, ScriptError>),
    /// The sandbox did not stop the program at its deadline (it always
    /// should); it is dropped, which stops it.
    Overdue,
    Cancelled,
}

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::executor::testing::{executor, ledger};
    use crate::engine::executor::{Limit, LimitHint};
    use crate::engine::replay::{Recorded, Replay};

    fn limits(timeout_ms: u64) -> Limits {
        Limits {
            timeout: Duration::from_millis(timeout_ms),
            ..Limits::default()
        }
    }

    fn failure(report: &Report) -> &ExecutionFailure {
        match &report.outcome {
            Some(Err(failure)) => failure,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn logs_are_kept_up_to_the_output_limit_and_each_cut_to_it() {
        let mut logs = Logs::new(100);
        logs.keep(Level::Info, "a".repeat(300));
        logs.keep(Level::Warn, "not kept".into());
        assert_eq!(logs.lines.len(), 1);
        assert!(
            logs.lines[0].message.len() <= 100 + 64,
            "cut, with its note"
        );
        assert_eq!(logs.bytes, LOG_LINE_OVERHEAD + 300);
    }

    #[test]
    fn a_recording_executor_begins_its_report_with_the_api_names() {
        let report = executor().recording().begin_report(&limits(1000));
        let names = vec![(
            "demo".to_owned(),
            vec![
                "get_issue".into(),
                "list_issues".into(),
                "delete_issue".into(),
            ],
        )];
        assert_eq!(report.api, Some(names));
        assert_eq!(report.calls_shown_bytes, Limits::default().max_output_bytes);
        assert_eq!(executor().begin_report(&limits(1000)).api, None);
    }

    #[tokio::test]
    async fn a_program_that_cannot_compile_or_is_cancelled_first_fails_before_it_runs() {
        let executor = executor();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let never = std::pin::pin!(std::future::pending::<()>());
        let syntax = executor
            .compile("return (;", &limits(1000), deadline, never)
            .await
            .unwrap_err();
        assert_eq!(syntax.kind, FailureKind::Syntax);
        let now = std::pin::pin!(std::future::ready(()));
        let cancelled = executor
            .compile("return 1;", &limits(1000), deadline, now)
            .await
            .unwrap_err();
        assert_eq!(cancelled.kind, FailureKind::Cancelled);
    }

    #[tokio::test]
    async fn the_job_has_the_time_left_of_the_limit_and_at_least_a_millisecond() {
        let executor = executor();
        let never = std::pin::pin!(std::future::pending::<()>());
        let later = tokio::time::Instant::now() + Duration::from_secs(10);
        let compiled = executor
            .compile("return 1;", &limits(1000), later, never)
            .await
            .unwrap();
        let job = executor.job(&compiled, limits(10_000), later);
        assert!(job.limits.timeout <= Duration::from_secs(10));
        assert!(job.limits.timeout > Duration::from_secs(5));
        let past = tokio::time::Instant::now() - Duration::from_secs(1);
        let late = executor.job(&compiled, limits(10_000), past);
        assert_eq!(late.limits.timeout, Duration::from_millis(1));
    }

    #[tokio::test]
    async fn an_overdue_or_cancelled_run_concludes_as_such() {
        let executor = executor();
        let never = std::pin::pin!(std::future::pending::<()>());
        let later = tokio::time::Instant::now() + Duration::from_secs(10);
        let compiled = executor
            .compile("return 1;", &limits(1000), later, never)
            .await
            .unwrap();
        let conclude = |ended| {
            let report = executor.begin_report(&limits(1500));
            executor.conclude(
                report,
                ended,
                Vec::new(),
                Logs::new(1 << 10),
                &compiled,
                limits(1500),
            )
        };
        let overdue = conclude(Ended::Overdue);
        assert_eq!(failure(&overdue).kind, FailureKind::Timeout);
        assert_eq!(
            failure(&overdue).hint,
            Some(LimitHint::RaiseLimit {
                limit: Limit::Time(Duration::from_millis(1500))
            })
        );
        let cancelled = conclude(Ended::Cancelled);
        assert_eq!(failure(&cancelled).kind, FailureKind::Cancelled);
    }

    #[tokio::test]
    async fn a_run_makes_the_programs_calls_and_keeps_its_logs() {
        let recorded = Recorded {
            server: "demo".into(),
            tool: "list_issues".into(),
            args: json!({}),
            answer: Some(Ok(json!([1, 2]))),
        };
        let executor = executor().replaying(Arc::new(Replay::new(vec![recorded])));
        let code = "const issues = await demo.list_issues({});\nconsole.log('got', issues.length);\nreturn issues;";
        let mut never = std::pin::pin!(std::future::pending::<()>());
        let later = tokio::time::Instant::now() + Duration::from_secs(10);
        let compiled = executor
            .compile(code, &limits(10_000), later, never.as_mut())
            .await
            .unwrap();
        let job = executor.job(&compiled, limits(10_000), later);
        let (ledger, mut logs) = (ledger(10), Logs::new(1 << 10));
        let ended = executor.run(job, &ledger, never, &mut logs).await;
        let Ended::Done(Ok(finished)) = ended else {
            panic!("the program did not finish")
        };
        assert_eq!(finished.json, "[1,2]");
        assert_eq!(logs.lines[0].message, "got 2");
        assert_eq!(ledger.records.lock().unwrap().len(), 1);
    }
}
