//! One execution in a fresh QuickJS runtime and context, with QuickJS
//! compiled into codemode: what `isolate` is measured and tested against.
//! Unlike an isolate, it cannot stop a loop of slow built-ins at its deadline
//! (QuickJS checks only every ~10,000 ticks), so executions never use it.
//!
//! Nothing outlives the call: the runtime, its heap and every binding are
//! created here and dropped on return, so no execution can see another's
//! globals, prototypes or bindings.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rquickjs::context::EvalOptions;
use rquickjs::prelude::Async;
use rquickjs::{AsyncContext, AsyncRuntime, CatchResultExt, CaughtError, Ctx, Function, Promise};
use tokio::sync::mpsc;

use super::host::{self, Host, PROGRAM_FILE, THROWN_NULL, cut, memory_error, timeout_error};
use super::{ErrorKind, Event, Finished, Job, Limits, ScriptError};

const PRELUDE: &str = include_str!("prelude.js");

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
    let outcome = match tokio::time::timeout_at(deadline.into(), execution).await {
        // Pending without running (a promise that never settles): the clock ran out.
        Err(_) => Err(timeout_error(&limits)),
        Ok(outcome) => outcome,
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
        .eval_with_options(PRELUDE, eval_options("codemode:prelude"))
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
    // Where the program is: the whole stack, which names it.
    let site: Function = ctx
        .eval("() => new Error().stack")
        .map_err(|e| internal("cannot create the site binding", e))?;
    let install: Function = prelude
        .call((call, log, site))
        .catch(&ctx)
        .map_err(|e| internal_caught("the prelude failed", e))?;
    install
        .call::<_, ()>((bindings,))
        .catch(&ctx)
        .map_err(|e| internal_caught("the bindings could not be installed", e))?;

    let promise: Promise = ctx
        .eval_with_options(js, eval_options(PROGRAM_FILE))
        .catch(&ctx)
        .map_err(|e| script_error(&ctx, e))?;
    let value: rquickjs::Value = promise
        .into_future()
        .await
        .catch(&ctx)
        .map_err(|e| script_error(&ctx, e))?;
    // From here on the program is over: late calls are refused.
    host.finish();

    let json = match ctx.json_stringify(value).catch(&ctx) {
        Ok(Some(json)) => json
            .to_string()
            .map_err(|e| internal("cannot read the result", e))?,
        Ok(None) => "null".to_owned(),
        Err(e) => {
            let cause = script_error(&ctx, e).message;
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

/// An uncaught exception (or rejection) as the model should see it.
fn script_error<'js>(ctx: &Ctx<'js>, error: CaughtError<'js>) -> ScriptError {
    let (message, stack) = match &error {
        CaughtError::Exception(exception) => {
            let name: String = exception.get("name").unwrap_or_else(|_| "Error".into());
            let message = exception.message().unwrap_or_default();
            (format!("{name}: {message}"), exception.stack())
        }
        CaughtError::Value(value) => {
            let shown = ctx
                .json_stringify(value.clone())
                .ok()
                .flatten()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_else(|| format!("{value:?}"));
            (format!("uncaught non-Error value: {shown}"), None)
        }
        CaughtError::Error(rquickjs::Error::Allocation) => ("out of memory".to_owned(), None),
        CaughtError::Error(other) => (other.to_string(), None),
    };
    host::thrown(message, stack.as_deref())
}

// The same tests run against `isolate`.
#[cfg(test)]
#[path = "engine_tests.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: one set of tests, each engine
mod tests;
