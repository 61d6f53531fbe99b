//! `codemode replay`: runs a recorded execution again with every call
//! answered from its recording (`--trace-file` with `--trace-results`), no
//! server contacted, and says whether the program made the same calls in
//! the same order and returned the same result, or where it diverged.

use std::sync::Mutex;

use anyhow::Context;
use codemode_typegen::Api;
use serde_json::{Value, json};

use codemode_sandbox::Reply;

/// One recorded call, in the order the program asked for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub server: String,
    pub tool: String,
    pub args: Value,
    /// What the program was given; `None` when the trace had to cut it.
    pub answer: Option<Result<Value, String>>,
}

/// A recording being replayed: each call the program makes takes the next
/// recorded answer, if it is the same call.
pub struct Replay {
    calls: Vec<Recorded>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next: usize,
    /// The first place the program left the recording.
    divergence: Option<String>,
}

/// What the program is told when it leaves the recording.
const OFF_THE_RECORD: &str = "replay: this call is not the one the recording has here";

impl Replay {
    pub fn new(calls: Vec<Recorded>) -> Replay {
        Replay {
            calls,
            state: Mutex::default(),
        }
    }

    /// The recorded answer to the program's next call.
    pub fn answer(&self, server: &str, tool: &str, args: &Value) -> Reply {
        let mut state = self.state.lock().expect("replay state");
        let n = state.next;
        state.next += 1;
        let mut diverge = |why: String| {
            state.divergence.get_or_insert(why);
            Reply::Error {
                message: OFF_THE_RECORD.to_owned(),
            }
        };
        let Some(recorded) = self.calls.get(n) else {
            return diverge(format!(
                "call {}: the program called {server}.{tool}, and the recording has only {} calls",
                n + 1,
                self.calls.len()
            ));
        };
        if (recorded.server.as_str(), recorded.tool.as_str()) != (server, tool)
            || recorded.args != *args
        {
            return diverge(format!(
                "call {}: the program called {server}.{tool} with {args}; the recording has {}.{} with {}",
                n + 1,
                recorded.server,
                recorded.tool,
                recorded.args
            ));
        }
        match &recorded.answer {
            None => diverge(format!(
                "call {}: {server}.{tool}'s answer was too large for the trace to keep, so it cannot be replayed",
                n + 1
            )),
            Some(Ok(value)) => Reply::Ok {
                value: value.clone(),
            },
            Some(Err(message)) => Reply::Error {
                message: message.clone(),
            },
        }
    }

    /// Where the program left the recording, if it did: a different call,
    /// or fewer calls than recorded.
    pub fn divergence(&self) -> Option<String> {
        let state = self.state.lock().expect("replay state");
        if let Some(why) = &state.divergence {
            return Some(why.clone());
        }
        (state.next < self.calls.len()).then(|| {
            format!(
                "the program made {} calls; the recording has {}",
                state.next,
                self.calls.len()
            )
        })
    }
}

/// A trace line read back: the program, its API's names, its calls and outcome.
pub(crate) struct Recording {
    pub code: String,
    pub api: Api,
    pub calls: Vec<Recorded>,
    pub outcome: Value,
}

impl Recording {
    /// Line `line` (1-based), the line with `id`, or the last line of `trace`.
    pub(crate) fn pick(
        trace: &str,
        line: Option<usize>,
        id: Option<&str>,
    ) -> anyhow::Result<Recording> {
        let lines: Vec<&str> = trace.lines().filter(|l| !l.trim().is_empty()).collect();
        let (n, text) = match (line, id) {
            (Some(n), _) => (
                n,
                *lines.get(n.wrapping_sub(1)).with_context(|| {
                    format!(
                        "the trace has {} executions; there is no line {n}",
                        lines.len()
                    )
                })?,
            ),
            (None, Some(id)) => lines
                .iter()
                .enumerate()
                .find(|(_, l)| {
                    serde_json::from_str::<Value>(l)
                        .is_ok_and(|entry| entry["id"].as_str() == Some(id))
                })
                .map(|(i, l)| (i + 1, *l))
                .with_context(|| format!("no execution in the trace has the id {id}"))?,
            (None, None) => (
                lines.len(),
                *lines
                    .last()
                    .context("the trace is empty: no execution to replay")?,
            ),
        };
        let entry: Value = serde_json::from_str(text)
            .with_context(|| format!("line {n} of the trace is not a trace entry"))?;
        Recording::from_entry(&entry)
            .with_context(|| format!("line {n} of the trace cannot be replayed"))
    }

    fn from_entry(entry: &Value) -> anyhow::Result<Recording> {
        let Some(servers) = entry["api"].as_array() else {
            return Err(crate::hint::WithHint::new(
                "it was recorded without its calls' answers, so it cannot be replayed",
                crate::hint::Hint::RecordResults,
            )
            .into());
        };
        let mut lists = Vec::new();
        for server in servers {
            let name = server[0]
                .as_str()
                .context("an API entry without a server name")?;
            let tools = server[1]
                .as_array()
                .context("an API entry without tool names")?
                .iter()
                .map(|tool| json!({"name": tool, "inputSchema": {"type": "object"}}))
                .collect();
            lists.push((name.to_owned(), tools));
        }
        let mut calls: Vec<(u64, Recorded)> = Vec::new();
        for call in entry["calls"].as_array().into_iter().flatten() {
            let text = |key: &str| call[key].as_str().map(str::to_owned);
            let answer = if call.get("result_cut").is_some() {
                None
            } else if let Some(result) = call.get("result") {
                Some(Ok(result.clone()))
            } else {
                Some(Err(text("answer_error").unwrap_or_default()))
            };
            calls.push((
                call["order"].as_u64().unwrap_or(u64::MAX),
                Recorded {
                    server: text("server").context("a call without a server")?,
                    tool: text("tool").context("a call without a tool")?,
                    args: call.get("args").cloned().unwrap_or(Value::Null),
                    answer,
                },
            ));
        }
        calls.sort_by_key(|(order, _)| *order);
        Ok(Recording {
            code: entry["code"].as_str().context("no program")?.to_owned(),
            api: Api::new(lists),
            calls: calls.into_iter().map(|(_, call)| call).collect(),
            outcome: entry["outcome"].clone(),
        })
    }
}

/// Where a replayed outcome differs from the recorded one: the first place
/// in the result (or the error) where they part.
pub(crate) fn outcome_difference(recorded: &Value, replayed: &Value) -> Option<String> {
    let keys = ["ok", "result", "kind", "message"];
    let pick = |v: &Value| -> Value {
        let kept: serde_json::Map<String, Value> = keys
            .iter()
            .filter_map(|k| Some(((*k).to_owned(), v.get(*k)?.clone())))
            .collect();
        Value::Object(kept)
    };
    let (was, is) = (pick(recorded), pick(replayed));
    let (at, was, is) = first_difference(&was, &is, String::new())?;
    let shown = |v: Option<&Value>| {
        v.map_or("nothing".to_owned(), |v| {
            codemode_text::cut(&v.to_string(), 200)
        })
    };
    Some(format!(
        "the outcome differs at {at}: the recording has {}, the replay {}",
        shown(was),
        shown(is)
    ))
}

/// The first path (`.result.users[0]`) where `a` and `b` differ, with what each has there.
fn first_difference<'a>(
    a: &'a Value,
    b: &'a Value,
    at: String,
) -> Option<(String, Option<&'a Value>, Option<&'a Value>)> {
    match (a, b) {
        _ if a == b => None,
        (Value::Object(x), Value::Object(y)) => {
            let keys: Vec<&String> = x
                .keys()
                .chain(y.keys().filter(|k| !x.contains_key(*k)))
                .collect();
            keys.into_iter().find_map(|key| {
                let here = format!("{at}.{key}");
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => first_difference(p, q, here),
                    (p, q) => Some((here, p, q)),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, format!("{at}[{i}]"))),
        _ => Some((
            if at.is_empty() { ".".to_owned() } else { at },
            Some(a),
            Some(b),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(tool: &str, args: Value, answer: Option<Result<Value, String>>) -> Recorded {
        Recorded {
            server: "demo".into(),
            tool: tool.into(),
            args,
            answer,
        }
    }

    #[test]
    fn answers_in_order_and_notes_the_first_divergence() {
        let replay = Replay::new(vec![
            recorded("a", json!({"x": 1}), Some(Ok(json!(1)))),
            recorded("b", json!({}), Some(Err("b failed".into()))),
        ]);
        assert!(
            matches!(replay.answer("demo", "a", &json!({"x": 1})), Reply::Ok { value } if value == json!(1))
        );
        assert!(
            matches!(replay.answer("demo", "b", &json!({})), Reply::Error { message } if message == "b failed")
        );
        assert_eq!(replay.divergence(), None);
        assert!(matches!(
            replay.answer("demo", "c", &json!({})),
            Reply::Error { .. }
        ));
        assert_eq!(
            replay.divergence().unwrap(),
            "call 3: the program called demo.c, and the recording has only 2 calls"
        );

        let replay = Replay::new(vec![recorded("a", json!({"x": 1}), Some(Ok(json!(1))))]);
        replay.answer("demo", "a", &json!({"x": 2}));
        assert_eq!(
            replay.divergence().unwrap(),
            "call 1: the program called demo.a with {\"x\":2}; the recording has demo.a with {\"x\":1}"
        );
        let fewer = Replay::new(vec![recorded("a", json!({}), None)]);
        assert_eq!(
            fewer.divergence().unwrap(),
            "the program made 0 calls; the recording has 1"
        );
    }

    #[test]
    fn outcomes_compare_by_what_the_program_returned() {
        let ok = json!({"ok": true, "result": [1]});
        assert_eq!(
            outcome_difference(&ok, &json!({"ok": true, "result": [1]})),
            None
        );
        assert_eq!(
            outcome_difference(&ok, &json!({"ok": true, "result": [2]})).unwrap(),
            "the outcome differs at .result[0]: the recording has 1, the replay 2"
        );
        let failed = json!({"ok": false, "kind": "runtime", "message": "Error: x"});
        assert_eq!(
            outcome_difference(&ok, &failed).unwrap(),
            "the outcome differs at .ok: the recording has true, the replay false"
        );
    }
}
