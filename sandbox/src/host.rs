//! What the sandbox's host side does for a running program, whichever
//! engine runs it: admitting its tool calls, bounding its logs and result,
//! and naming how it failed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use codemode_text::size;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use super::bounds::{self, MAX_CALL_BYTES, MAX_DEPTH};
use super::{Binding, Call, ErrorKind, Event, Finished, Level, Limits, Reply, ScriptError};

/// The file name the program runs under; stack traces name it.
pub(crate) const PROGRAM_FILE: &str = "program.js";

/// Cuts `json` to at most `max` bytes (on a character boundary).
pub(crate) fn cut(mut json: String, max: usize) -> Finished {
    if json.len() <= max {
        return Finished {
            json,
            truncated_from: None,
            returned_undefined: false,
        };
    }
    let full = json.len();
    let mut end = max;
    while !json.is_char_boundary(end) {
        end -= 1;
    }
    json.truncate(end);
    Finished {
        json,
        truncated_from: Some(full),
        returned_undefined: false,
    }
}

/// What a log line costs in the report beyond its text (`{"level", "message"}`),
/// so a flood of empty lines is bounded too.
const LOG_LINE_OVERHEAD: usize = 32;

/// State the bindings share within one execution.
#[derive(Clone)]
pub(crate) struct Host {
    events: mpsc::UnboundedSender<Event>,
    pub limits: Limits,
    calls: Arc<AtomicU32>,
    log_bytes: Arc<AtomicUsize>,
    finished: Arc<AtomicBool>,
    /// Bytes of arguments (as JSON) of the calls still waiting for an answer.
    in_flight: Arc<AtomicUsize>,
    /// To name a function in an error as the program wrote it (`ns.fn`).
    bindings: Arc<[Binding]>,
}

/// The JSON of a [`Reply`], when the call is answered.
pub(crate) type ReplyFuture = Pin<Box<dyn Future<Output = String> + Send>>;

/// A call answered without going anywhere.
fn answer_now(reply: Reply) -> ReplyFuture {
    let reply = serde_json::to_string(&reply).expect("replies serialize");
    Box::pin(std::future::ready(reply))
}

impl Host {
    pub(crate) fn new(
        events: mpsc::UnboundedSender<Event>,
        limits: Limits,
        bindings: Arc<[Binding]>,
    ) -> Host {
        Host {
            events,
            limits,
            calls: Arc::default(),
            log_bytes: Arc::default(),
            finished: Arc::default(),
            in_flight: Arc::default(),
            bindings,
        }
    }

    /// The program has returned: calls from now on are refused.
    pub(crate) fn finish(&self) {
        self.finished.store(true, Ordering::Relaxed);
    }

    /// `ns.fn` for a call to `tool` of `server`, as the program names it.
    fn shown(&self, server: &str, tool: &str) -> String {
        let binding = self.bindings.iter().find(|b| b.server == server);
        let function = binding
            .and_then(|b| b.functions.iter().find(|(_, t)| t == tool))
            .map_or_else(|| codemode_text::cut(tool, 128), |(ident, _)| ident.clone());
        format!(
            "{}.{function}",
            binding.map_or(server, |b| b.ident.as_str())
        )
    }

    /// Arguments of calls in flight live outside the JavaScript heap (here and
    /// in the host), so they get a budget of their own: a quarter of the
    /// memory limit, and never more than one call may send.
    fn in_flight_budget(&self) -> usize {
        (self.limits.memory_bytes / 4).min(MAX_CALL_BYTES)
    }

    /// A tool call; resolves to the JSON of a [`Reply`], which the prelude
    /// turns into a value or a thrown error.
    pub(crate) fn call(&self, server: String, tool: String, args: String) -> ReplyFuture {
        let refuse = |message: String| answer_now(Reply::Error { message });
        if self.finished.load(Ordering::Relaxed) {
            return refuse(format!(
                "{server}/{tool} was called after the program returned, so it was not run; await every call before returning"
            ));
        }
        let count = self.calls.load(Ordering::Relaxed) + 1;
        if count > self.limits.max_calls {
            return refuse(format!(
                "tool-call limit reached: at most {} calls per execution; make fewer calls, or split the work across executions",
                self.limits.max_calls
            ));
        }
        let bytes = args.len();
        if bytes > MAX_CALL_BYTES {
            return self.call_too_large(bytes);
        }
        let in_flight = self.in_flight.load(Ordering::Relaxed);
        let budget = self.in_flight_budget();
        if in_flight + bytes > budget {
            return refuse(format!(
                "the arguments of the calls in flight would take {}, more than the {} allowed (a quarter of the memory limit); await some calls before starting more",
                size(in_flight + bytes),
                size(budget)
            ));
        }
        // Arguments the host could not read back exactly are never sent: a
        // call must run with what the program passed, or not at all.
        let parsed = match bounds::json_depth(&args) {
            depth if depth > MAX_DEPTH => None,
            _ => serde_json::from_str(&args).ok(),
        };
        let Some(args) = parsed else {
            let fault = bounds::argument_fault(&args)
                .unwrap_or_else(|| "args: they cannot be sent as JSON".to_owned());
            return answer_now(Reply::TypeError {
                message: format!(
                    "{}: invalid arguments: {fault}; the call was not made",
                    self.shown(&server, &tool)
                ),
            });
        };
        self.calls.store(count, Ordering::Relaxed);
        self.in_flight.fetch_add(bytes, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        if self
            .events
            .send(Event::Call(Box::new(Call {
                server,
                tool,
                args,
                reply,
            })))
            .is_err()
        {
            self.in_flight.fetch_sub(bytes, Ordering::Relaxed);
            return refuse("the host stopped accepting calls".into());
        }
        let done = self.in_flight.clone();
        Box::pin(async move {
            let (reply, _held) = answer.await.unwrap_or_else(|_| {
                let message = "the call was cancelled".into();
                (Reply::Error { message }, bounds::Held::default())
            });
            done.fetch_sub(bytes, Ordering::Relaxed);
            // Held until the program has its text: then the host's copy goes.
            serde_json::to_string(&reply).expect("replies serialize")
        })
    }

    /// A call whose arguments are `bytes` long as JSON, more than any call
    /// may send: refused without looking at them.
    pub(crate) fn call_too_large(&self, bytes: usize) -> ReplyFuture {
        answer_now(Reply::Error {
            message: format!(
                "the arguments are {} as JSON; at most {} can be sent to a server in one call",
                size(bytes),
                size(MAX_CALL_BYTES)
            ),
        })
    }

    pub(crate) fn log(&self, level: &str, message: String) {
        let level = match level {
            "debug" => Level::Debug,
            "warn" => Level::Warn,
            "error" => Level::Error,
            _ => Level::Info,
        };
        let used = self.log_bytes.load(Ordering::Relaxed);
        let budget = self.limits.max_output_bytes;
        if used >= budget {
            return;
        }
        let cost = LOG_LINE_OVERHEAD + message.len();
        let message = if used + cost > budget {
            // A cut line spends the rest of the budget: nothing more is logged.
            self.log_bytes.store(budget, Ordering::Relaxed);
            let mut end = budget.saturating_sub(used + LOG_LINE_OVERHEAD);
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            format!(
                "{}… [codemode: logs cut at the {budget}-byte output limit]",
                &message[..end]
            )
        } else {
            self.log_bytes.store(used + cost, Ordering::Relaxed);
            message
        };
        let _ = self.events.send(Event::Log { level, message });
    }
}

pub(crate) fn timeout_error(limits: &Limits) -> ScriptError {
    ScriptError {
        kind: ErrorKind::Timeout,
        message: super::timeout_message(limits.timeout),
        js_line: None,
        js_column: None,
    }
}

pub(crate) const THROWN_NULL: &str = "uncaught non-Error value: null";

pub(crate) fn memory_error() -> ScriptError {
    ScriptError {
        kind: ErrorKind::Memory,
        message: "the program ran out of memory".to_owned(),
        js_line: None,
        js_column: None,
    }
}

/// What the prelude's `describe` says was thrown.
#[derive(Deserialize)]
#[serde(untagged)]
enum Description {
    Error {
        name: String,
        message: String,
        #[serde(default)]
        stack: String,
    },
    Value {
        value: String,
    },
}

/// What was thrown, from the JSON the prelude's `describe` made of it.
pub(crate) fn described(description: &str) -> ScriptError {
    // The guest had no memory left to copy a description out.
    if description.is_empty() {
        return memory_error();
    }
    match serde_json::from_str(description) {
        Ok(Description::Error {
            name,
            message,
            stack,
        }) => thrown(format!("{name}: {message}"), Some(&stack)),
        Ok(Description::Value { value }) => {
            thrown(format!("uncaught non-Error value: {value}"), None)
        }
        Err(_) => ScriptError {
            kind: ErrorKind::Internal,
            message: format!("the sandbox described a failure as {description:?}"),
            js_line: None,
            js_column: None,
        },
    }
}

/// An uncaught exception as the model should see it: `message` is
/// `Name: text` (or `uncaught non-Error value: ...`), `stack` its trace.
pub(crate) fn thrown(message: String, stack: Option<&str>) -> ScriptError {
    let lower = message.to_lowercase();
    let kind = if lower.contains("out of memory") {
        return memory_error();
    } else if lower.contains("stack overflow") || lower.contains("call stack size") {
        ErrorKind::Stack
    } else {
        ErrorKind::Runtime
    };
    let message = match kind {
        ErrorKind::Stack => format!("{message} (recursion too deep for the stack limit)"),
        _ => message,
    };
    let position = stack.and_then(program_position);
    ScriptError {
        kind,
        message,
        js_line: position.map(|(line, _)| line),
        js_column: position.and_then(|(_, column)| column),
    }
}

/// The line, and the column when given, of the first
/// `program.js:LINE[:COLUMN]` in a QuickJS stack trace.
pub(crate) fn program_position(stack: &str) -> Option<(u32, Option<u32>)> {
    let rest = &stack[stack.find(PROGRAM_FILE)? + PROGRAM_FILE.len()..];
    // `:DIGITS`, and what follows it.
    let number = |text: &str| -> Option<(u32, usize)> {
        let digits = text.strip_prefix(':')?;
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        Some((digits[..end].parse().ok()?, 1 + end))
    };
    let (line, used) = number(rest)?;
    Some((line, number(&rest[used..]).map(|(column, _)| column)))
}
