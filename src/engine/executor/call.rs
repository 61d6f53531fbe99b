//! One call from a program, in the stages it goes through: resolved to a
//! function the API has (and policy allows), its arguments validated,
//! counted against the call limit, answered from a recording when
//! replaying, approved when policy asks for it, sent to its server, its
//! result unwrapped within the memory budget, and recorded. A stage that
//! stops the call gives the program's reply (`Err`) at once.

use std::sync::atomic::Ordering;
use std::time::Instant;

use codemode_typegen::Function;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::{Peer, RoleClient};
use serde_json::{Map, Value};

use super::{CallLedger, CallRecord, Executor, result_cost, unwrap};
use crate::governance::approval::{self, Verdict};
use codemode_sandbox::Reply;
use codemode_sandbox::bounds::{self, MAX_DEPTH};
use codemode_text::suggest::{function_meant, listed, member};

/// A tool name as a record or message shows it: a server's own names are
/// short, but a program can ask for any name.
const MAX_NAME_SHOWN: usize = 128;

/// How much of an error's text a call record keeps.
const MAX_ERROR_IN_RECORD: usize = 1 << 10;

/// What a stage gives: the call goes on with `T`, or the program gets the reply.
type Stage<T> = Result<T, Reply>;

/// A call of a function the API has, which policy did not refuse.
struct Resolved<'a> {
    server: &'a str,
    function: &'a Function,
    /// `ns.function`, as messages name it.
    shown: String,
    /// Where the call came in the program's order of asking.
    order: u32,
}

/// What a sent call's record keeps besides its result.
struct Sent {
    ms: u64,
    approval: Option<Verdict>,
    args_bytes: usize,
    args_json: Option<String>,
}

impl Executor {
    /// One call from the program: checked, forwarded, unwrapped, recorded;
    /// `held` holds its result's cost until the program takes it.
    pub(super) async fn call(
        &self,
        server: &str,
        tool: &str,
        args: Value,
        ledger: &CallLedger,
        held: &mut bounds::Held,
    ) -> Reply {
        match self.call_stages(server, tool, args, ledger, held).await {
            Ok(reply) | Err(reply) => reply,
        }
    }

    async fn call_stages(
        &self,
        server: &str,
        tool: &str,
        args: Value,
        ledger: &CallLedger,
        held: &mut bounds::Held,
    ) -> Stage<Reply> {
        let call = self.resolve(server, tool, &args, ledger)?;
        let args = self.validate(&call, args)?;
        within_call_limit(ledger)?;
        self.replay(&call, &args, ledger)?;
        let Some(peer) = self.peers.get(server) else {
            return Err(Reply::Error {
                message: format!(
                    "{} cannot be called: the {server} tools were loaded from a file, not from a running server",
                    call.shown
                ),
            });
        };
        let approval = self.approval(&call, &args, ledger).await?;
        let _permit = match self.permits.get(server) {
            Some(semaphore) => Some(semaphore.acquire().await),
            None => None,
        };
        let started = Instant::now();
        let (args, args_bytes) = within_size(&call.shown, args)?;
        let args_json = self
            .keep_results
            .then(|| serde_json::to_string(&args).unwrap_or_default());
        let mut request =
            CallToolRequestParams::new(call.function.tool().to_owned()).with_arguments(args);
        // A span for the call, whose context the server receives in `_meta`.
        let traced = crate::engine::telemetry::call(server, call.function.tool());
        if let Some((_, meta)) = &traced {
            request.meta = Some(meta.clone().into());
        }
        let sent = self.send(peer, &call, request, started, ledger).await;
        let ms = started.elapsed().as_millis() as u64;
        let result = match sent {
            Ok(result) => take(&call.shown, result, ledger, held).await,
            Err(message) => Err(message),
        };
        let sent = Sent {
            ms,
            approval,
            args_bytes,
            args_json,
        };
        Ok(self.record(&call, result, traced, sent, ledger))
    }

    /// The function called: the server's namespace, not refused by policy
    /// (which is recorded), and a function of it.
    fn resolve<'a>(
        &'a self,
        server: &'a str,
        tool: &str,
        args: &Value,
        ledger: &CallLedger,
    ) -> Stage<Resolved<'a>> {
        let Some(namespace) = self.api.namespace(server) else {
            return Err(Reply::Error {
                message: format!(
                    "no server named {}",
                    codemode_text::cut(server, MAX_NAME_SHOWN)
                ),
            });
        };
        let ns = namespace.ident();
        let tool_shown = codemode_text::cut(tool, MAX_NAME_SHOWN);
        let order = ledger.asked.fetch_add(1, Ordering::Relaxed);
        if let Some(reason) = self.refusals.reason(server, tool) {
            let message = format!("{ns}.{tool} is not available: {reason}");
            let refused = Unsent {
                server,
                tool: &tool_shown,
                args,
                order,
            };
            return Err(self.refuse(ledger, refused, message, Some(reason.to_owned()), None));
        }
        let Some(function) = namespace.function(tool) else {
            let functions = namespace.functions().iter().map(|f| f.ident());
            let hint = function_meant(tool, ns, functions.clone())
                .map(|s| format!("; did you mean {ns}.{s}?"))
                .unwrap_or_else(|| format!("; its functions are {}", listed(functions, 12)));
            // A server's names may be long: the reply is no longer than
            // the error it becomes.
            let message = format!("{} is not a function{hint}", member(ns, tool));
            return Err(Reply::TypeError {
                message: codemode_text::cut(&message, bounds::MAX_ERROR_IN_REPORT),
            });
        };
        Ok(Resolved {
            server,
            function,
            shown: format!("{ns}.{}", function.ident()),
            order,
        })
    }

    /// The arguments as an object (`null` is none) that the function's
    /// input schema accepts.
    fn validate(&self, call: &Resolved, args: Value) -> Stage<Value> {
        let shown = &call.shown;
        let args = match args {
            Value::Object(_) => args,
            Value::Null => Value::Object(Map::new()),
            other => {
                return Err(Reply::TypeError {
                    message: format!(
                        "{shown} takes one object of named arguments, not {}",
                        json_type(&other)
                    ),
                });
            }
        };
        let function = call.function;
        if let Err(problem) =
            self.validators
                .check(call.server, function.tool(), function.input_schema(), &args)
        {
            return Err(Reply::TypeError {
                message: format!("{shown}: invalid arguments: {problem}"),
            });
        }
        Ok(args)
    }

    /// When replaying, the recorded answer (recorded as this call's); the
    /// call goes no further.
    fn replay(&self, call: &Resolved, args: &Value, ledger: &CallLedger) -> Stage<()> {
        let Some(replay) = &self.replay else {
            return Ok(());
        };
        let answer = replay.answer(call.server, call.function.tool(), args);
        let replayed = Unsent {
            server: call.server,
            tool: call.function.tool(),
            args,
            order: call.order,
        };
        let record = match &answer {
            Reply::Ok { value } => self.unsent(&replayed, Ok(value)),
            Reply::Error { message } | Reply::TypeError { message } => {
                self.unsent(&replayed, Err(message))
            }
        };
        ledger.records.lock().expect("call records").push(record);
        Err(answer)
    }

    /// For a tool policy marks for approval, the approving verdict (a
    /// refusal is recorded and ends the call); `None` for other tools.
    async fn approval(
        &self,
        call: &Resolved<'_>,
        args: &Value,
        ledger: &CallLedger,
    ) -> Stage<Option<Verdict>> {
        let (server, function) = (call.server, call.function);
        let Some(reason) = self.approvals.reason(server, function.tool()) else {
            return Ok(None);
        };
        let verdict = self
            .approve(server, function.tool(), args, reason, ledger)
            .await;
        if !verdict.approved {
            let message = format!(
                "{} was not approved: {} ({})",
                call.shown,
                verdict.why.as_deref().unwrap_or("refused"),
                verdict.by
            );
            let refused = Unsent {
                server,
                tool: function.tool(),
                args,
                order: call.order,
            };
            return Err(self.refuse(ledger, refused, message, None, Some(verdict)));
        }
        Ok(Some(verdict))
    }

    /// The server's answer within its config's time-out for a call and the
    /// execution's time limit, or what went wrong in words for the program.
    async fn send(
        &self,
        peer: &Peer<RoleClient>,
        call: &Resolved<'_>,
        request: CallToolRequestParams,
        started: Instant,
        ledger: &CallLedger,
    ) -> Result<CallToolResult, String> {
        let (server, shown) = (call.server, &call.shown);
        let own = self.call_timeouts.get(server).copied();
        let until = own.map_or(ledger.deadline, |own| {
            ledger
                .deadline
                .min(tokio::time::Instant::from_std(started) + own)
        });
        let sending = crate::upstream::human::call_tool(peer, &ledger.human, server, request);
        match tokio::time::timeout_at(until, sending).await {
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
                if let Some(refused) = crate::upstream::oauth::refused(&error, server) =>
            {
                let mut logins = ledger.logins.lock().expect("logins wanted");
                if !logins.contains(&refused.hint) {
                    logins.push(refused.hint.clone());
                }
                drop(logins);
                Err(format!(
                    "{shown} was refused: {}: {}",
                    refused.why,
                    (self.hint_words)(&refused.hint)
                ))
            }
            Ok(Err(error)) if peer.is_transport_closed() => Err(format!(
                "{shown} failed: the {server} server has stopped ({error}); codemode restarts it when serving, so a retry may work"
            )),
            Ok(Err(error)) => Err(format!(
                "{shown} failed: the {server} server did not answer ({error})"
            )),
            Ok(Ok(result)) => Ok(result),
        }
    }

    /// Records the call, learns the shape of its result, and gives the
    /// program its reply.
    fn record(
        &self,
        call: &Resolved,
        result: Result<Value, String>,
        traced: Option<(opentelemetry::Context, Map<String, Value>)>,
        sent: Sent,
        ledger: &CallLedger,
    ) -> Reply {
        let (server, function) = (call.server, call.function);
        // Scrubbed before it is cut, so no cut leaves half a secret.
        let result = result.map_err(|message| {
            let message = crate::upstream::redact::scrub(&message);
            codemode_text::cut(&message, bounds::MAX_ERROR_TO_PROGRAM)
        });
        crate::engine::telemetry::end(
            traced.map(|(cx, _)| cx),
            result.as_ref().err().map(|_| "tool_error"),
            result.as_ref().err().map(String::as_str),
        );
        if let (Ok(value), Some(shapes), None) = (&result, &self.shapes, function.output_schema()) {
            let definition = crate::prompt::shapes::definition_hash(function.raw());
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
            ms: sent.ms,
            ok: result.is_ok(),
            error: result
                .as_ref()
                .err()
                .map(|message| codemode_text::cut(message, MAX_ERROR_IN_RECORD)),
            policy: None,
            approval: sent.approval,
            args_bytes: sent.args_bytes,
            result_bytes,
            result_json,
            order: call.order,
            args_json: sent.args_json,
            answer_error: result.as_ref().err().filter(|_| keep).cloned(),
        };
        ledger.records.lock().expect("call records").push(record);
        match result {
            Ok(value) => Reply::Ok { value },
            Err(message) => Reply::Error { message },
        }
    }
}

/// One more call, unless the execution has made as many as it may.
fn within_call_limit(ledger: &CallLedger) -> Stage<()> {
    if ledger.sent.fetch_add(1, Ordering::Relaxed) >= ledger.max_calls {
        return Err(Reply::Error {
            message: format!(
                "tool-call limit reached: at most {} calls per execution; make fewer calls, or split the work across executions",
                ledger.max_calls
            ),
        });
    }
    Ok(())
}

/// The arguments (an object) and their size as JSON, which a server is sent
/// only up to [`bounds::MAX_CALL_BYTES`].
fn within_size(shown: &str, args: Value) -> Stage<(Map<String, Value>, usize)> {
    // Counted without writing it out: refused arguments can be tens of megabytes.
    let args_bytes = result_cost::json_len(&args);
    if args_bytes > bounds::MAX_CALL_BYTES {
        return Err(Reply::Error {
            message: format!(
                "{shown}: the arguments are {} as JSON; at most {} can be sent to a server in one call",
                codemode_text::size(args_bytes),
                codemode_text::size(bounds::MAX_CALL_BYTES)
            ),
        });
    }
    let Value::Object(args) = args else {
        unreachable!("checked to be an object above")
    };
    Ok((args, args_bytes))
}

/// The result as the program gets it: measured before any tree is built
/// from it (a small text can make a large tree, and several results can be
/// in flight), held in the memory budget, unwrapped, and not nested too deep.
async fn take(
    shown: &str,
    result: CallToolResult,
    ledger: &CallLedger,
    held: &mut bounds::Held,
) -> Result<Value, String> {
    let (cost, sent) = result_cost::estimate(&result);
    match ledger
        .results
        .hold(shown, cost, sent, ledger.deadline)
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
            error: error.map(|message| codemode_text::cut(message, MAX_ERROR_IN_RECORD)),
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rmcp::model::CallToolResult;
    use serde_json::json;

    use super::*;
    use crate::engine::executor::testing::{executor, ledger, tools};
    use crate::engine::replay::{Recorded, Replay};
    use crate::governance::pins::Introductions;
    use crate::governance::policy::Policy;

    fn error_of(reply: Reply) -> String {
        match reply {
            Reply::Error { message } | Reply::TypeError { message } => message,
            Reply::Ok { value } => panic!("expected an error, got {value}"),
        }
    }

    fn records(ledger: &CallLedger) -> Vec<CallRecord> {
        ledger.records.lock().unwrap().clone()
    }

    #[test]
    fn an_unknown_server_is_no_call_and_takes_no_place_in_the_order() {
        let (executor, ledger) = (executor(), ledger(10));
        let reply = executor.resolve("nope", "get_issue", &json!({}), &ledger);
        assert_eq!(error_of(reply.err().unwrap()), "no server named nope");
        assert_eq!(ledger.asked.load(Ordering::Relaxed), 0);
        assert!(records(&ledger).is_empty());
    }

    #[test]
    fn a_refused_tool_is_recorded_with_the_reason_policy_gives() {
        let policy = Policy::new(&[], &["demo.delete_*".into()], false, &[]).unwrap();
        let (_, refusals) = policy.apply(tools(), &Introductions::new());
        let refusals = refusals.worded(crate::governance::policy::Reason::plain);
        let (executor, ledger) = (executor().with_refusals(refusals), ledger(10));
        let reply = executor.resolve("demo", "delete_issue", &json!({"id": "1"}), &ledger);
        let message = error_of(reply.err().unwrap());
        assert!(
            message.starts_with("demo.delete_issue is not available: "),
            "{message}"
        );
        let record = &records(&ledger)[0];
        assert!(!record.ok);
        assert!(record.policy.is_some(), "{record:?}");
    }

    #[test]
    fn a_misspelt_function_is_a_type_error_naming_the_one_meant() {
        let (executor, ledger) = (executor(), ledger(10));
        let reply = executor
            .resolve("demo", "get_isue", &json!({}), &ledger)
            .err()
            .unwrap();
        assert!(matches!(reply, Reply::TypeError { .. }), "{reply:?}");
        assert!(error_of(reply).ends_with("did you mean demo.get_issue?"));
    }

    #[test]
    fn a_resolved_call_takes_the_next_place_in_the_order() {
        let (executor, ledger) = (executor(), ledger(10));
        let first = executor.resolve("demo", "get_issue", &json!({}), &ledger);
        let second = executor.resolve("demo", "list_issues", &json!({}), &ledger);
        let (first, second) = (first.ok().unwrap(), second.ok().unwrap());
        assert_eq!((first.order, second.order), (0, 1));
        assert_eq!(second.shown, "demo.list_issues");
    }

    #[test]
    fn arguments_are_one_object_the_schema_accepts() {
        let (executor, ledger) = (executor(), ledger(10));
        let get = executor
            .resolve("demo", "get_issue", &json!({}), &ledger)
            .ok()
            .unwrap();
        let list = executor
            .resolve("demo", "list_issues", &json!({}), &ledger)
            .ok()
            .unwrap();
        assert_eq!(executor.validate(&list, Value::Null).ok(), Some(json!({})));
        assert_eq!(
            error_of(executor.validate(&get, json!([1])).err().unwrap()),
            "demo.get_issue takes one object of named arguments, not an array"
        );
        let missing = error_of(executor.validate(&get, json!({})).err().unwrap());
        assert!(
            missing.starts_with("demo.get_issue: invalid arguments: "),
            "{missing}"
        );
        assert!(executor.validate(&get, json!({"id": "7"})).is_ok());
    }

    #[test]
    fn calls_past_the_limit_are_refused() {
        let ledger = ledger(2);
        assert!(within_call_limit(&ledger).is_ok());
        assert!(within_call_limit(&ledger).is_ok());
        let message = error_of(within_call_limit(&ledger).err().unwrap());
        assert!(
            message.starts_with("tool-call limit reached: at most 2 calls"),
            "{message}"
        );
    }

    #[test]
    fn a_replay_answers_from_the_recording_and_records_the_call() {
        let recorded = Recorded {
            server: "demo".into(),
            tool: "list_issues".into(),
            args: json!({}),
            answer: Some(Ok(json!([1, 2]))),
        };
        let replaying = executor().replaying(Arc::new(Replay::new(vec![recorded])));
        let ledger = ledger(10);
        let call = replaying
            .resolve("demo", "list_issues", &json!({}), &ledger)
            .ok()
            .unwrap();
        let answer = replaying.replay(&call, &json!({}), &ledger).err().unwrap();
        assert_eq!(
            answer,
            Reply::Ok {
                value: json!([1, 2])
            }
        );
        let record = &records(&ledger)[0];
        assert!(record.ok);
        assert_eq!(record.result_json.as_deref(), Some("[1,2]"));
        // Without a recording, the call goes on.
        assert!(executor().replay(&call, &json!({}), &ledger).is_ok());
    }

    #[tokio::test]
    async fn a_call_nobody_approves_is_refused_and_recorded_with_the_verdict() {
        let policy = Policy::new(&[], &[], false, &[])
            .unwrap()
            .asking(&["demo.delete_*".into()], false)
            .unwrap();
        let executor = executor().approving(
            policy
                .approvals(&tools())
                .worded(crate::governance::policy::Reason::plain),
            approval::NoOne::shared("nobody is there to approve it"),
            None,
        );
        let ledger = ledger(10);
        let args = json!({"id": "1"});
        let list = executor.resolve("demo", "list_issues", &args, &ledger);
        let asked = executor.approval(&list.ok().unwrap(), &args, &ledger).await;
        assert_eq!(asked.ok(), Some(None), "a tool that needs no approval");
        let delete = executor.resolve("demo", "delete_issue", &args, &ledger);
        let refused = executor
            .approval(&delete.ok().unwrap(), &args, &ledger)
            .await;
        let message = error_of(refused.err().unwrap());
        assert!(
            message.starts_with("demo.delete_issue was not approved: "),
            "{message}"
        );
        let record = &records(&ledger)[0];
        assert!(
            record.approval.as_ref().is_some_and(|v| !v.approved),
            "{record:?}"
        );
    }

    #[test]
    fn arguments_larger_than_a_call_may_send_are_refused() {
        let small = within_size("demo.get_issue", json!({"id": "7"}))
            .ok()
            .unwrap();
        assert_eq!(small.1, r#"{"id":"7"}"#.len());
        let big = json!({"id": "x".repeat(bounds::MAX_CALL_BYTES)});
        let message = error_of(within_size("demo.get_issue", big).err().unwrap());
        assert!(
            message.starts_with("demo.get_issue: the arguments are "),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_result_is_unwrapped_and_held_unless_nested_too_deep() {
        let ledger = ledger(10);
        let mut held = bounds::Held::default();
        let result = CallToolResult::structured(json!({"rows": [1, 2]}));
        let value = take("demo.list_issues", result, &ledger, &mut held).await;
        assert_eq!(value, Ok(json!({"rows": [1, 2]})));
        let mut deep = json!(1);
        for _ in 0..=MAX_DEPTH {
            deep = json!([deep]);
        }
        let result = CallToolResult::structured(json!({ "deep": deep }));
        let message = take("demo.list_issues", result, &ledger, &mut held)
            .await
            .unwrap_err();
        assert!(
            message.starts_with("demo.list_issues returned a result nested"),
            "{message}"
        );
    }

    #[test]
    fn an_error_is_cut_shorter_in_the_record_than_for_the_program() {
        let (executor, ledger) = (executor(), ledger(10));
        let call = executor
            .resolve("demo", "get_issue", &json!({}), &ledger)
            .ok()
            .unwrap();
        let sent = || Sent {
            ms: 3,
            approval: None,
            args_bytes: 2,
            args_json: None,
        };
        let long = "e".repeat(MAX_ERROR_IN_RECORD * 2);
        let reply = executor.record(&call, Err(long.clone()), None, sent(), &ledger);
        assert_eq!(error_of(reply), long);
        let ok = executor.record(&call, Ok(json!({"a": 1})), None, sent(), &ledger);
        assert_eq!(
            ok,
            Reply::Ok {
                value: json!({"a": 1})
            }
        );
        let [failed, answered] = &records(&ledger)[..] else {
            panic!("two records")
        };
        assert!(failed.error.as_ref().unwrap().len() < long.len());
        assert_eq!((failed.ms, failed.order), (3, 0));
        assert!(answered.ok);
        assert_eq!(answered.result_bytes, r#"{"a":1}"#.len());
        assert_eq!(
            answered.result_json, None,
            "results are not kept unless asked"
        );
    }
}
