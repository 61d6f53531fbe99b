//! Checking a call's arguments against the tool's `inputSchema` before it is sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonschema::Validator;
use serde_json::Value;

use codemode_text::cut;

/// Compiled validators, built on first use; `None` for a schema that does
/// not compile (the call then goes through unchecked: the server still checks).
#[derive(Default)]
pub(super) struct Validators {
    cache: Mutex<HashMap<ToolKey, Option<Arc<Validator>>>>,
}

/// `(server, tool)`.
type ToolKey = (String, String);

impl Validators {
    /// `Err` explains every mismatch (up to [`MAX_PROBLEMS`]): where in
    /// `args`, and what was expected, so one retry can fix them all.
    pub(super) fn check(
        &self,
        server: &str,
        tool: &str,
        schema: Option<&Value>,
        args: &Value,
    ) -> Result<(), String> {
        let Some(schema) = schema else { return Ok(()) };
        let validator = {
            let mut cache = self.cache.lock().expect("validator cache");
            cache
                .entry((server.to_owned(), tool.to_owned()))
                .or_insert_with(|| match jsonschema::validator_for(schema) {
                    Ok(validator) => Some(Arc::new(validator)),
                    Err(error) => {
                        tracing::warn!(server, tool, "the tool's inputSchema does not compile, so arguments are not checked: {error}");
                        None
                    }
                })
                .clone()
        };
        let Some(validator) = validator else {
            return Ok(());
        };
        if validator.is_valid(args) {
            return Ok(());
        }
        let mut problems = Vec::new();
        let mut more = 0usize;
        for error in validator.iter_errors(args) {
            if problems.len() == MAX_PROBLEMS {
                more += 1;
                continue;
            }
            let path = js_path(error.instance_path.as_str());
            let problem = match &error.kind {
                // The validator names two values and counts the rest; a model
                // fixing its call needs them all, which are few.
                jsonschema::error::ValidationErrorKind::Enum {
                    options: Value::Array(options),
                } if options.len() <= MAX_ENUM_LISTED => {
                    format!("{} is not one of {}", error.instance, listed(options))
                }
                _ => error.to_string(),
            };
            // A value quoted in a problem may be large.
            problems.push(cut(&format!("{path}: {problem}"), MAX_PROBLEM_BYTES));
        }
        if problems.is_empty() {
            return Ok(());
        }
        let mut all = problems.join("; ");
        if more > 0 {
            all.push_str(&format!(
                "; and {more} more problem{}",
                if more == 1 { "" } else { "s" }
            ));
        }
        Err(all)
    }
}

/// Problems listed in one error, each cut to [`MAX_PROBLEM_BYTES`]: the
/// error stays small whatever the arguments.
const MAX_PROBLEMS: usize = 12;
const MAX_PROBLEM_BYTES: usize = 240;

/// Enumerations up to this size are listed whole in an error.
const MAX_ENUM_LISTED: usize = 12;

/// `"a", "b" or "c"`.
fn listed(options: &[Value]) -> String {
    let shown: Vec<String> = options.iter().map(Value::to_string).collect();
    match shown.split_last() {
        None => "nothing".into(),
        Some((only, [])) => only.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A JSON pointer into the arguments as a JavaScript path: `/items/0/id` → `args.items[0].id`.
fn js_path(pointer: &str) -> String {
    let mut path = String::from("args");
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.parse::<usize>().is_ok() {
            path.push_str(&format!("[{segment}]"));
        } else if segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            && !segment.starts_with(|c: char| c.is_ascii_digit())
        {
            path.push('.');
            path.push_str(&segment);
        } else {
            path.push_str(&format!("[{}]", Value::String(segment)));
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "a": {"type": "number"},
            "items": {"type": "array", "items": {"type": "object", "properties": {"x-id": {"type": "string"}}}},
            "mode": {"enum": ["fast", "slow"]}
        }, "required": ["a"], "additionalProperties": false})
    }

    fn check(args: Value) -> Result<(), String> {
        Validators::default().check("s", "t", Some(&schema()), &args)
    }

    #[test]
    fn valid_arguments_pass() {
        assert_eq!(check(json!({"a": 1, "mode": "fast"})), Ok(()));
    }

    #[test]
    fn messages_name_the_path_and_the_expected_type() {
        assert_eq!(
            check(json!({"a": "1"})),
            Err("args.a: \"1\" is not of type \"number\"".to_owned())
        );
        let err = check(json!({"a": 1, "items": [{"x-id": 5}]})).unwrap_err();
        assert_eq!(err, "args.items[0][\"x-id\"]: 5 is not of type \"string\"");
        let err = check(json!({})).unwrap_err();
        assert_eq!(err, "args: \"a\" is a required property");
        let err = check(json!({"a": "x", "mode": "medium"})).unwrap_err();
        assert_eq!(
            err,
            "args.a: \"x\" is not of type \"number\"; args.mode: \"medium\" is not one of \"fast\" or \"slow\""
        );
    }

    #[test]
    fn every_problem_is_listed_within_a_bound() {
        let err =
            check(json!({"mode": "x", "b": 1, "items": [{"x-id": 1}, {"x-id": 2}]})).unwrap_err();
        for problem in [
            "args: \"a\" is a required property",
            "args.mode: \"x\" is not one of",
            "args.items[0][\"x-id\"]: 1 is not of type",
            "args.items[1][\"x-id\"]: 2 is not of type",
            "args: Additional properties are not allowed ('b' was unexpected)",
        ] {
            assert!(err.contains(problem), "{problem} in {err}");
        }
        assert!(!err.contains("more problem"), "{err}");
        // Hundreds of problems, each quoting a long value: a bounded error.
        let items: Vec<Value> = (0..500)
            .map(|_| json!({"x-id": [("v".repeat(10_000))]}))
            .collect();
        let err = check(json!({"a": 1, "items": items})).unwrap_err();
        assert!(
            err.len() < MAX_PROBLEMS * (MAX_PROBLEM_BYTES + 40) + 100,
            "{}",
            err.len()
        );
        assert!(
            err.ends_with("; and 488 more problems"),
            "{}",
            &err[err.len() - 60..]
        );
    }

    #[test]
    fn a_few_allowed_values_are_all_listed() {
        let levels = json!({"type": "object", "properties": {
            "level": {"enum": ["error", "warning", "info", "debug"]}
        }});
        let err = Validators::default()
            .check("s", "t", Some(&levels), &json!({"level": "warn"}))
            .unwrap_err();
        assert_eq!(
            err,
            "args.level: \"warn\" is not one of \"error\", \"warning\", \"info\" or \"debug\""
        );
        let many: Vec<String> = (0..40).map(|n| format!("v{n}")).collect();
        let big = json!({"type": "object", "properties": {"v": {"enum": many}}});
        let err = Validators::default()
            .check("s", "t", Some(&big), &json!({"v": "x"}))
            .unwrap_err();
        assert!(err.contains("other candidates"), "{err}");
    }

    #[test]
    fn broken_schemas_do_not_block_calls() {
        let broken = json!({"type": "object", "properties": {"a": {"type": 12}}});
        assert_eq!(
            Validators::default().check("s", "t", Some(&broken), &json!({"a": 1})),
            Ok(())
        );
    }
}
