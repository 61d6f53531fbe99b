//! `codemode run`'s answer to an upstream's requests for a human when a
//! person is at the terminal: questions go to stderr and answers are read
//! from the terminal itself (`/dev/tty`), so a program piped in on stdin
//! does not get in the way. One question at a time.
//!
//! SEP-2577 deprecates sampling and roots; servers still use them.
#![allow(deprecated)]

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::ErrorData;
use rmcp::model::{
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    ElicitationAction, ListRootsResult,
};
use serde_json::{Map, Value, json};

use crate::prompt::visible;
use crate::upstream::Human;

/// Asks at the terminal `tty` (read) while writing to stderr; clones share
/// the one-question-at-a-time turn.
#[derive(Clone)]
pub(crate) struct Terminal {
    tty: PathBuf,
    /// One question on screen at a time.
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl Terminal {
    /// The terminal, when codemode runs in one (stderr is a terminal and
    /// `/dev/tty` opens); `None` otherwise.
    pub(crate) fn open() -> Option<Terminal> {
        use std::io::IsTerminal;
        let tty = PathBuf::from("/dev/tty");
        if !std::io::stderr().is_terminal() || std::fs::File::open(&tty).is_err() {
            return None;
        }
        Some(Terminal {
            tty,
            turn: Arc::default(),
        })
    }

    /// Runs `ask` (blocking reads) on a blocking thread, one at a time.
    fn ask<T: Send + 'static>(
        &self,
        ask: impl FnOnce(&mut dyn FnMut(&str) -> Option<String>) -> T + Send + 'static,
    ) -> BoxFuture<'static, Result<T, ErrorData>> {
        let tty = self.tty.clone();
        let turn = self.turn.clone();
        Box::pin(async move {
            let _turn = turn.lock().await;
            tokio::task::spawn_blocking(move || {
                let file = std::fs::File::open(&tty).map_err(|e| {
                    ErrorData::internal_error(format!("cannot read the terminal: {e}"), None)
                })?;
                let mut lines = std::io::BufReader::new(file);
                let mut prompt = |question: &str| {
                    eprint!("{question}");
                    let _ = std::io::stderr().flush();
                    let mut line = String::new();
                    match lines.read_line(&mut line) {
                        Ok(0) | Err(_) => None,
                        Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
                    }
                };
                Ok(ask(&mut prompt))
            })
            .await
            .map_err(|e| {
                ErrorData::internal_error(format!("the terminal question failed: {e}"), None)
            })?
        })
    }
}

impl Terminal {
    /// Asks `question` (yes unless the person says no); `false` when the
    /// terminal cannot be read.
    pub(crate) async fn confirm(&self, question: String) -> bool {
        let asked = self.ask(move |prompt| action(prompt(&question)));
        matches!(asked.await, Ok(ElicitationAction::Accept))
    }
}

/// `accept`, `decline` or `cancel`, from what the user typed.
fn action(answer: Option<String>) -> ElicitationAction {
    match answer
        .as_deref()
        .map(str::trim)
        .map(str::to_lowercase)
        .as_deref()
    {
        Some("y" | "yes" | "") => ElicitationAction::Accept,
        Some("n" | "no") => ElicitationAction::Decline,
        _ => ElicitationAction::Cancel,
    }
}

/// One field's value from what was typed, by the field's schema; `Err` says
/// what was expected.
fn field_value(schema: &Value, typed: &str) -> Result<Value, String> {
    let kind = schema["type"].as_str().unwrap_or("string");
    let choices: Vec<&str> = schema["enum"]
        .as_array()
        .or_else(|| schema["items"]["enum"].as_array())
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let value = match kind {
        "integer" => typed
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| "a whole number".to_owned())?,
        "number" => typed
            .trim()
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| "a number".to_owned())?,
        "boolean" => match typed.trim().to_lowercase().as_str() {
            "y" | "yes" | "true" => Value::Bool(true),
            "n" | "no" | "false" => Value::Bool(false),
            _ => return Err("yes or no".into()),
        },
        "array" => Value::Array(
            typed
                .split(',')
                .map(|s| Value::String(s.trim().to_owned()))
                .filter(|s| s != "")
                .collect(),
        ),
        _ => Value::String(typed.to_owned()),
    };
    let chosen: Vec<&str> = match &value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !choices.is_empty() && chosen.iter().any(|c| !choices.contains(c)) {
        return Err(format!("one of {}", choices.join(", ")));
    }
    Ok(value)
}

impl crate::governance::approval::Approver for Terminal {
    /// `y` approves; `f` shows the arguments whole and asks again; anything
    /// else (an empty line too) refuses.
    fn approve(
        &self,
        request: crate::governance::approval::Request,
    ) -> BoxFuture<'static, crate::governance::approval::Verdict> {
        use crate::governance::approval::Verdict;
        let asked = self.ask(move |prompt| {
            let question = request.question();
            eprint!("\ncodemode: {}", question.text);
            if !question.whole {
                eprintln!("  Type f to see all of the arguments before you decide.");
            }
            loop {
                let answer = prompt("  Allow this call? [y]es, [N]o, [f]ull arguments: ");
                match answer
                    .as_deref()
                    .map(str::trim)
                    .map(str::to_lowercase)
                    .as_deref()
                {
                    Some("y" | "yes") => return Verdict::approved("the terminal"),
                    Some("f" | "full") => eprintln!(
                        "The arguments in full, as JSON (characters that could hide or rewrite text are escaped):\n{}",
                        request.full_arguments()
                    ),
                    _ => return Verdict::refused("the terminal", "declined at the terminal"),
                }
            }
        });
        Box::pin(async move {
            asked.await.unwrap_or_else(|error| {
                Verdict::refused(
                    "codemode",
                    format!("could not ask at the terminal: {}", error.message),
                )
            })
        })
    }
}

impl Human for Terminal {
    fn elicit(
        &self,
        server: &str,
        request: ElicitRequestParams,
    ) -> BoxFuture<'static, Result<ElicitResult, ErrorData>> {
        let server = server.to_owned();
        let request = serde_json::to_value(&request).unwrap_or_default();
        let asked = self.ask(move |prompt| {
            // What the server wrote is escaped: it cannot rewrite the screen.
            let message = visible::lines(request["message"].as_str().unwrap_or_default());
            eprintln!("\nthe {server} server asks: {message}");
            if let Some(url) = request["url"].as_str() {
                eprintln!("  it asks you to open {}", visible::escaped(url));
                let done = prompt("  Done there? [Y]es, [n]o (decline), [c]ancel: ");
                return ElicitResult::new(action(done));
            }
            let verdict = action(prompt("  Answer it? [Y]es, [n]o (decline), [c]ancel: "));
            if verdict != ElicitationAction::Accept {
                return ElicitResult::new(verdict);
            }
            let schema = &request["requestedSchema"];
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut content = Map::new();
            let empty = Map::new();
            for (name, field) in schema["properties"].as_object().unwrap_or(&empty) {
                let about = visible::escaped(
                    field["description"]
                        .as_str()
                        .unwrap_or(field["type"].as_str().unwrap_or("text")),
                );
                let default = field.get("default");
                let shown = visible::name(name);
                loop {
                    let hint = default
                        .map(|d| format!(" [{}]", visible::escaped(&d.to_string())))
                        .unwrap_or_default();
                    let Some(typed) = prompt(&format!("  {shown} ({about}){hint}: ")) else {
                        return ElicitResult::new(ElicitationAction::Cancel);
                    };
                    if typed.is_empty() {
                        match default {
                            Some(d) => {
                                content.insert(name.clone(), d.clone());
                            }
                            None if required.contains(&name.as_str()) => {
                                eprintln!("  {shown} is required");
                                continue;
                            }
                            None => {}
                        }
                        break;
                    }
                    match field_value(field, &typed) {
                        Ok(value) => {
                            content.insert(name.clone(), value);
                            break;
                        }
                        Err(expected) => eprintln!("  expected {}", visible::escaped(&expected)),
                    }
                }
            }
            ElicitResult::new(ElicitationAction::Accept).with_content(Value::Object(content))
        });
        Box::pin(asked)
    }

    fn sample(
        &self,
        server: &str,
        request: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<CreateMessageResult, ErrorData>> {
        let server = server.to_owned();
        let request = serde_json::to_value(&request).unwrap_or_default();
        let asked = self.ask(move |prompt| {
            eprintln!("\nthe {server} server asks for a model's reply to:");
            for message in request["messages"].as_array().into_iter().flatten() {
                let text = message["content"]["text"].as_str().unwrap_or("(not text)");
                eprintln!(
                    "  {}: {}",
                    visible::escaped(message["role"].as_str().unwrap_or("user")),
                    visible::lines(text)
                );
            }
            prompt("  Type the reply (an empty line refuses): ")
                .filter(|reply| !reply.trim().is_empty())
        });
        Box::pin(async move {
            let reply = asked.await?.ok_or_else(|| {
                ErrorData::invalid_request("the user refused to answer for a model", None)
            })?;
            serde_json::from_value(json!({
                "role": "assistant",
                "content": {"type": "text", "text": reply},
                "model": "human-at-the-terminal"
            }))
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))
        })
    }

    fn roots(&self, server: &str) -> BoxFuture<'static, Result<ListRootsResult, ErrorData>> {
        let server = server.to_owned();
        let here = std::env::current_dir().ok();
        let asked = self.ask(move |prompt| {
            let shown = here
                .as_ref()
                .map(|h| h.display().to_string())
                .unwrap_or_default();
            eprintln!("\nthe {server} server asks which folders it may work in");
            let shared = action(prompt(&format!(
                "  Share the current folder, {shown}? [Y]es, [n]o: "
            )));
            (shared == ElicitationAction::Accept)
                .then_some(here)
                .flatten()
        });
        Box::pin(async move {
            let Some(here) = asked.await? else {
                return Err(ErrorData::invalid_request(
                    "the user declined to share any folder",
                    None,
                ));
            };
            let uri = url::Url::from_directory_path(&here).map_err(|()| {
                ErrorData::internal_error("the current folder has no file URL", None)
            })?;
            serde_json::from_value(
                json!({"roots": [{"uri": uri.as_str(), "name": "current folder"}]}),
            )
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_answers_become_values_of_the_fields_type() {
        assert_eq!(
            field_value(&json!({"type": "integer"}), " 42 "),
            Ok(json!(42))
        );
        assert!(field_value(&json!({"type": "integer"}), "4.2").is_err());
        assert_eq!(
            field_value(&json!({"type": "boolean"}), "Yes"),
            Ok(json!(true))
        );
        assert_eq!(
            field_value(&json!({"type": "string", "enum": ["a", "b"]}), "b"),
            Ok(json!("b"))
        );
        assert_eq!(
            field_value(&json!({"type": "string", "enum": ["a", "b"]}), "c"),
            Err("one of a, b".into())
        );
        assert_eq!(
            field_value(
                &json!({"type": "array", "items": {"enum": ["x", "y"]}}),
                "x, y"
            ),
            Ok(json!(["x", "y"]))
        );
        assert_eq!(action(Some("".into())), ElicitationAction::Accept);
        assert_eq!(action(Some("n".into())), ElicitationAction::Decline);
        assert_eq!(action(None), ElicitationAction::Cancel);
    }
}
