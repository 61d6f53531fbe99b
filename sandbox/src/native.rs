//! One execution in a fresh QuickJS runtime and context, with QuickJS
//! compiled into codemode: what `isolate` is measured and tested against.
//! Unlike an isolate, it cannot stop a loop of slow built-ins at its deadline
//! (QuickJS checks only every ~10,000 ticks), so executions never use it.
//!
//! Nothing outlives the call: the runtime, its heap and every binding are
//! created here and dropped on return, so no execution can see another's
//! globals, prototypes or bindings.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use rquickjs::context::EvalOptions;
use rquickjs::prelude::{Async, Opt};
use rquickjs::{AsyncContext, AsyncRuntime, CatchResultExt, CaughtError, Ctx, Function, Promise};
use tokio::sync::mpsc;

use super::host::{self, Host, PROGRAM_FILE, THROWN_NULL, cut, memory_error, timeout_error};
use super::{ErrorKind, Event, Finished, Job, Limits, ScriptError};

/// The prelude, with its globals, as `build.rs` gives it to the guest.
fn prelude() -> &'static str {
    static PRELUDE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PRELUDE.get_or_init(|| {
        super::guest_config::prelude(include_str!("prelude.js"), include_str!("globals.js"))
            .expect("prelude.js has its include line")
    })
}

/// Runs `job` to completion, sending its tool calls and logs to `events`.
pub async fn run(job: Job, events: mpsc::UnboundedSender<Event>) -> Result<Finished, ScriptError> {
    let Job {
        js,
        throws_null,
        bindings,
        limits,
    } = job;
    let runtime =
        AsyncRuntime::new().map_err(|e| internal("cannot create a JavaScript runtime", e))?;
    runtime.set_memory_limit(limits.memory_bytes).await;
    runtime.set_max_stack_size(limits.stack_bytes).await;
    let deadline = Instant::now() + limits.timeout;
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    // QuickJS asks every ~10,000 ticks; a `true` raises an uncatchable error.
    runtime
        .set_interrupt_handler(Some(Box::new(move || {
            let over = Instant::now() >= deadline;
            if over {
                flag.store(true, Ordering::Relaxed);
            }
            over
        })))
        .await;
    let context = AsyncContext::full(&runtime)
        .await
        .map_err(|e| internal("cannot create a JavaScript context", e))?;
    let host = Host::new(events, limits, bindings.list().clone());
    let execution = context.async_with(async |ctx| execute(ctx, &js, bindings.json(), host).await);
    // The deadline first: pending without running (a promise that never
    // settles), or answered only after it, the clock ran out.
    let outcome = tokio::select! {
        biased;
        () = tokio::time::sleep_until(deadline.into()) => Err(timeout_error(&limits)),
        outcome = execution => outcome,
    };
    match outcome {
        Err(_) if interrupted.load(Ordering::Relaxed) => Err(timeout_error(&limits)),
        // Out of memory, QuickJS may have no room to make an error and throws
        // `null`; by now the memory is usually freed again, so unless the
        // program throws `null` itself, that is what an uncaught `null` means.
        Err(error)
            if error.message == THROWN_NULL
                && (!throws_null || near_memory_limit(&runtime, &limits).await) =>
        {
            Err(memory_error())
        }
        other => other,
    }
}

async fn near_memory_limit(runtime: &AsyncRuntime, limits: &Limits) -> bool {
    let used = runtime.memory_usage().await.malloc_size.max(0) as usize;
    used >= limits.memory_bytes / 10 * 9
}

async fn execute<'js>(
    ctx: Ctx<'js>,
    js: &str,
    bindings: &str,
    host: Host,
) -> Result<Finished, ScriptError> {
    let limits = host.limits;
    let prelude: Function = ctx
        .eval_with_options(prelude(), eval_options("codemode:prelude"))
        .catch(&ctx)
        .map_err(|e| internal_caught("the prelude failed to load", e))?;
    let call_host = host.clone();
    let call = Function::new(
        ctx.clone(),
        Async(move |server: String, tool: String, args: String| call_host.call(server, tool, args)),
    )
    .map_err(|e| internal("cannot create the call binding", e))?;
    let log_host = host.clone();
    let log = Function::new(ctx.clone(), move |level: String, message: String| {
        log_host.log(&level, message)
    })
    .map_err(|e| internal("cannot create the console binding", e))?;
    // Where the program is: the whole stack, which names it; with the
    // built-ins taken now, as the prelude takes its own.
    let site: Function = ctx
        .eval(
            "(() => { const [E, apply] = [Error, Reflect.apply]; \
             const stack = Object.getOwnPropertyDescriptor(E.prototype, 'stack').get; \
             return () => apply(stack, new E(), []); })()",
        )
        .map_err(|e| internal("cannot create the site binding", e))?;
    // The timers' alarm: kept here, and slept on by the future that waits
    // for the program.
    let alarm = Rc::new(RefCell::new(Alarm::default()));
    let _unset = Unset(alarm.clone());
    let set_alarm = {
        let alarm = alarm.clone();
        Function::new(ctx.clone(), move |ms: f64, wake: Opt<Function<'js>>| {
            let mut alarm = alarm.borrow_mut();
            alarm.wake = wake.0.filter(|_| ms >= 0.0);
            // Too far to reach is never: the deadline comes first.
            alarm.at = alarm.wake.as_ref().and_then(|_| {
                Duration::try_from_secs_f64(ms / 1000.0)
                    .ok()
                    .and_then(|wait| Instant::now().checked_add(wait))
            });
            if let Some(waker) = alarm.waker.take() {
                waker.wake();
            }
        })
        .map_err(|e| internal("cannot create the alarm binding", e))?
    };
    let install: Function = prelude
        .call((call, log, site, set_alarm))
        .catch(&ctx)
        .map_err(|e| internal_caught("the prelude failed", e))?;
    let describe: Function = install
        .call((bindings,))
        .catch(&ctx)
        .map_err(|e| internal_caught("the bindings could not be installed", e))?;

    let watch: Function = ctx
        .eval(WATCH)
        .map_err(|e| internal("cannot create the watch binding", e))?;
    let started: Result<Promise, _> = ctx.eval_with_options(js, eval_options(PROGRAM_FILE));
    let settled = match started {
        Ok(promise) => {
            Settled {
                promise,
                watch,
                waker: None,
                alarm,
                sleep: None,
            }
            .await
        }
        Err(error) => Err(error),
    };
    // From here on the program is over: calls its code makes while its
    // result or error is read are refused.
    host.finish();
    let value = settled
        .catch(&ctx)
        .map_err(|e| script_error(&ctx, &describe, e))?;

    if value.is_undefined() {
        return Ok(Finished {
            returned_undefined: true,
            ..cut("null".to_owned(), limits.max_output_bytes)
        });
    }
    let json = match ctx.json_stringify(value).catch(&ctx) {
        Ok(Some(json)) => json
            .to_string()
            .map_err(|e| internal("cannot read the result", e))?,
        Ok(None) => "null".to_owned(),
        Err(e) => {
            let cause = script_error(&ctx, &describe, e).message;
            return Err(ScriptError {
                kind: ErrorKind::Result,
                message: format!(
                    "the returned value cannot be turned into JSON ({cause}); return plain data"
                ),
                js_line: None,
                js_column: None,
            });
        }
    };
    Ok(cut(json, limits.max_output_bytes))
}

/// `watch(promise, wake)` calls `wake` once `promise` settles. Awaiting a
/// promise whose own `constructor` is the engine's `Promise` looks up
/// nothing else: not `then`, which a program may have replaced.
const WATCH: &str = "(() => { const [P, define] = [Promise, Object.defineProperty]; \
    return async (promise, wake) => { \
        define(promise, 'constructor', { __proto__: null, value: P }); \
        try { await promise; } catch {} \
        wake(); \
    }; })()";

/// When the prelude's timers want to be woken, and the function that wakes them.
#[derive(Default)]
struct Alarm<'js> {
    at: Option<Instant>,
    wake: Option<Function<'js>>,
    /// Told when the alarm changes, so a new one is slept on.
    waker: Option<Waker>,
}

/// Drops the alarm's function however the execution ends: held from Rust,
/// it would keep its objects alive past the runtime (QuickJS's collector
/// cannot see that cycle).
struct Unset<'js>(Rc<RefCell<Alarm<'js>>>);

impl Drop for Unset<'_> {
    fn drop(&mut self) {
        self.0.borrow_mut().wake = None;
    }
}

/// The program's promise as a future. rquickjs's own (`into_future`) calls
/// the promise's `then`, which a program may have replaced on
/// `Promise.prototype`.
struct Settled<'js> {
    promise: Promise<'js>,
    watch: Function<'js>,
    waker: Option<Rc<RefCell<Waker>>>,
    alarm: Rc<RefCell<Alarm<'js>>>,
    /// The sleep for the alarm, and when it ends.
    sleep: Option<(Instant, Pin<Box<tokio::time::Sleep>>)>,
}

impl<'js> Future for Settled<'js> {
    type Output = rquickjs::Result<rquickjs::Value<'js>>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(result) = this.promise.result() {
            return Poll::Ready(result);
        }
        // An interrupt (the deadline) leaves the promise pending for good.
        let ctx = this.promise.ctx();
        if ctx.has_exception() {
            let exception = ctx.catch();
            if exception.is_uncatchable_error() {
                return Poll::Ready(Err(ctx.throw(exception)));
            }
        }
        let at = {
            let mut alarm = this.alarm.borrow_mut();
            alarm.waker = Some(cx.waker().clone());
            alarm.at
        };
        match at {
            None => this.sleep = None,
            Some(at) => {
                if this.sleep.as_ref().is_none_or(|(until, _)| *until != at) {
                    this.sleep = Some((at, Box::pin(tokio::time::sleep_until(at.into()))));
                }
                // Due already: now, not at the next tick of tokio's timer
                // wheel, which is a millisecond away (a thousand due timers
                // would wait a second).
                let due = at <= Instant::now()
                    || this
                        .sleep
                        .as_mut()
                        .is_some_and(|(_, sleep)| sleep.as_mut().poll(cx).is_ready());
                if due {
                    this.sleep = None;
                    let wake = {
                        let mut alarm = this.alarm.borrow_mut();
                        alarm.at = None;
                        alarm.wake.take()
                    };
                    // What a timer's callback throws ends the program.
                    if let Some(wake) = wake {
                        wake.call::<_, ()>(())?;
                    }
                    // Polled again once the jobs it queued have run.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
        }
        match &this.waker {
            Some(waker) => waker.borrow_mut().clone_from(cx.waker()),
            None => {
                let waker = Rc::new(RefCell::new(cx.waker().clone()));
                this.waker = Some(waker.clone());
                let wake = Function::new(ctx.clone(), move || waker.borrow().wake_by_ref())?;
                this.watch.call::<_, ()>((this.promise.clone(), wake))?;
            }
        }
        Poll::Pending
    }
}

fn eval_options(filename: &str) -> EvalOptions {
    let mut options = EvalOptions::default();
    options.filename = Some(filename.to_owned());
    options
}

fn internal(what: &str, error: rquickjs::Error) -> ScriptError {
    ScriptError {
        kind: ErrorKind::Internal,
        message: format!("{what}: {error}"),
        js_line: None,
        js_column: None,
    }
}

fn internal_caught(what: &str, error: CaughtError<'_>) -> ScriptError {
    ScriptError {
        kind: ErrorKind::Internal,
        message: format!("{what}: {error}"),
        js_line: None,
        js_column: None,
    }
}

/// An uncaught exception (or rejection) as the model should see it: what
/// the prelude's `describe` makes of it, as an isolate reads it.
fn script_error<'js>(
    ctx: &Ctx<'js>,
    describe: &Function<'js>,
    error: CaughtError<'js>,
) -> ScriptError {
    let thrown = match error {
        CaughtError::Exception(exception) => exception.into_object().into_value(),
        CaughtError::Value(value) => value,
        CaughtError::Error(rquickjs::Error::Allocation) => return memory_error(),
        CaughtError::Error(other) => return host::thrown(other.to_string(), None),
    };
    match describe.call::<_, String>((thrown,)).catch(ctx) {
        Ok(description) => host::described(&description),
        // As in an isolate: `describe` fails only when memory runs out.
        Err(_) => memory_error(),
    }
}

// The same tests run against `isolate`.
#[cfg(test)]
#[path = "engine_tests.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one set of tests, each engine
mod tests;
