//! Checking a call's arguments against the tool's `inputSchema` before it is sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonschema::Validator;
use serde_json::Value;

/// Compiled validators, built on first use; `None` for a schema that does
/// not compile (the call then goes through unchecked: the server still checks).
#[derive(Default)]
pub struct Validators {
    cache: Mutex<HashMap<ToolKey, Option<Arc<Validator>>>>,
}

/// `(server, tool)`.
type ToolKey = (String, String);

impl Validators {
    /// `Err` explains the first mismatch: where in `args`, and what was expected.
    pub fn check(
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
        let mut errors = validator.iter_errors(args);
        let Some(first) = errors.next() else {
            return Ok(());
        };
        let more = errors.count();
        let path = js_path(first.instance_path.as_str());
        let problem = match &first.kind {
            // The validator names two values and counts the rest; a model
            // fixing its call needs them all, which are few.
            jsonschema::error::ValidationErrorKind::Enum {
                options: Value::Array(options),
            } if options.len() <= MAX_ENUM_LISTED => {
                format!("{} is not one of {}", first.instance, listed(options))
            }
            _ => first.to_string(),
        };
        let also = if more > 0 {
            format!(
                " (and {more} more problem{})",
                if more == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        Err(format!("{path}: {problem}{also}"))
    }
}

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
        assert!(err.ends_with("(and 1 more problem)"), "{err}");
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
