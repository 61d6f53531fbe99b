//! Asking a person before a call that policy marks for approval (`--ask`,
//! a server's `"ask"` list, `--ask-destructive`). The executor asks an
//! [`Approver`] before each such call and waits; only an approval lets the
//! call go out. Who is asked depends on the command: under `serve` the
//! client whose `execute` made the call (`server::approval`), under `run`
//! the terminal ([`crate::governance::terminal`]) or `--yes`.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;

use crate::prompt::visible;

/// A call waiting for approval.
#[derive(Clone, Debug)]
pub struct Request {
    pub server: String,
    /// The tool's name as the server gives it.
    pub tool: String,
    /// As the program sent them, after validation.
    pub args: Value,
    /// Why policy asks, as the surface words it for whoever it asks (a
    /// terminal: `matched by --ask gh.delete_*`; a client: in plain words).
    pub reason: String,
}

mod arguments;

/// A question put to a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// What would be called, why it is asked, and every argument, one a line.
    pub text: String,
    /// Whether every argument is shown whole; when not, the text says what
    /// was cut, and the person should see [`Request::full_arguments`] or decline.
    pub whole: bool,
}

impl Request {
    /// The question, as a person reads it: what would be called, why it is
    /// asked, and every value of the arguments on its own line, escaped, with
    /// what is shortened or left out marked and counted.
    pub fn question(&self) -> Question {
        let mut text = format!(
            "Allow the {} server's tool {} to be called? ({})\n",
            visible::name(&self.server),
            visible::name(&self.tool),
            visible::escaped(&self.reason),
        );
        if self.args.as_object().is_some_and(|args| args.is_empty()) {
            text.push_str("arguments: none\n");
            return Question { text, whole: true };
        }
        let shown = arguments::show(&self.args);
        let bytes = serde_json::to_vec(&self.args).map_or(0, |json| json.len());
        text.push_str(&format!(
            "arguments ({} {}, {} as JSON):\n{}",
            arguments::thousands(shown.values),
            arguments::plural(shown.values, "value"),
            codemode_text::size(bytes),
            shown.lines
        ));
        if !shown.whole {
            text.push_str("Not all of the arguments are shown: what is marked ‹…› is cut.\n");
        }
        Question {
            text,
            whole: shown.whole,
        }
    }

    /// The arguments whole, as indented JSON that parses back to exactly
    /// what will be sent, with characters that could hide or rewrite text
    /// escaped.
    pub fn full_arguments(&self) -> String {
        arguments::full(&self.args)
    }
}

/// What was decided, and by whom.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub approved: bool,
    /// Who decided: `the client (elicitation)`, `the terminal`, `--yes`, ...
    pub by: String,
    /// Why it was not approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl Verdict {
    pub fn approved(by: impl Into<String>) -> Verdict {
        Verdict {
            approved: true,
            by: by.into(),
            why: None,
        }
    }

    pub fn refused(by: impl Into<String>, why: impl Into<String>) -> Verdict {
        Verdict {
            approved: false,
            by: by.into(),
            why: Some(why.into()),
        }
    }
}

/// Decides whether a call may go out.
pub trait Approver: Send + Sync {
    fn approve(&self, request: Request) -> BoxFuture<'static, Verdict>;
}

/// `run --yes`: everything is approved.
pub struct Yes;

impl Approver for Yes {
    fn approve(&self, _request: Request) -> BoxFuture<'static, Verdict> {
        Box::pin(std::future::ready(Verdict::approved("--yes")))
    }
}

/// Nobody can be asked: every call that needs approval is refused, saying why.
pub struct NoOne {
    pub why: String,
}

impl NoOne {
    pub fn shared(why: impl Into<String>) -> Arc<dyn Approver> {
        Arc::new(NoOne { why: why.into() })
    }
}

impl Approver for NoOne {
    fn approve(&self, _request: Request) -> BoxFuture<'static, Verdict> {
        Box::pin(std::future::ready(Verdict::refused("codemode", &self.why)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn ask(args: Value) -> Question {
        Request {
            server: "mail".into(),
            tool: "send".into(),
            args,
            reason: "matched by --ask mail.send".into(),
        }
        .question()
    }

    /// The lines of the question that show values.
    fn value_lines(question: &Question) -> Vec<&str> {
        question
            .text
            .lines()
            .filter(|l| l.starts_with("  "))
            .collect()
    }

    #[test]
    fn the_question_names_the_call_the_reason_and_every_value() {
        let question = ask(json!({"to": "boss@corp.com", "cc": ["a@corp.com"], "urgent": true}));
        assert_eq!(
            question.text,
            "Allow the mail server's tool send to be called? (matched by --ask mail.send)\n\
             arguments (3 values, 56 bytes as JSON):\n  \
             to: \"boss@corp.com\"\n  cc[0]: \"a@corp.com\"\n  urgent: true\n"
        );
        assert!(question.whole);
        assert_eq!(ask(json!({})).text.lines().last(), Some("arguments: none"));
    }

    #[test]
    fn a_padded_value_cannot_push_a_later_one_out_of_sight() {
        let question = ask(json!({"body": "x".repeat(1 << 20), "to": "evil@elsewhere.example"}));
        let lines = value_lines(&question);
        assert_eq!(lines.len(), 2, "{}", question.text);
        assert!(
            lines[0].starts_with("  body: \"xxx") && lines[0].contains("characters cut›…xxx"),
            "{}",
            lines[0]
        );
        assert_eq!(lines[1], "  to: \"evil@elsewhere.example\"");
        assert!(!question.whole);
        assert!(question.text.ends_with("what is marked ‹…› is cut.\n"));
        assert!(question.text.len() < 40 << 10);
    }

    #[test]
    fn keys_deep_inside_objects_and_arrays_are_shown_with_their_path() {
        let question = ask(json!({
            "message": {"headers": {"cc": [{"address": "x@y.z"}, []], "a.b": {}}},
            "": 1, "0": null, "to ": 2, "with\"quote": 3
        }));
        assert_eq!(
            value_lines(&question),
            [
                "  message.headers.cc[0].address: \"x@y.z\"",
                "  message.headers.cc[1]: []",
                "  message.headers[\"a.b\"]: {}",
                "  [\"\"]: 1",
                "  [\"0\"]: null",
                "  [\"to \"]: 2",
                "  [\"with\\\"quote\"]: 3",
            ]
        );
    }

    #[test]
    fn keys_that_look_alike_read_differently() {
        let question = ask(json!({
            "to": "a", "t\u{43e}": "b", "to\u{200b}": "c", "to\u{202e}": "d", "to\r": "e", "to\u{1b}[2K": "f"
        }));
        assert_eq!(
            value_lines(&question),
            [
                "  to: \"a\"",
                "  [\"t\\u043e\"]: \"b\"",
                "  [\"to\\u200b\"]: \"c\"",
                "  [\"to\\u202e\"]: \"d\"",
                "  [\"to\\r\"]: \"e\"",
                "  [\"to\\u001b[2K\"]: \"f\"",
            ]
        );
    }

    #[test]
    fn a_value_cannot_forge_a_line_a_marker_or_rewrite_the_screen() {
        let question = ask(json!({
            "body": "hi\nto: boss@corp.com\r\u{1b}[1A\u{9b}2K",
            "note": "…‹4,812 characters cut›… ‹non-ASCII: U+0041›",
            "to": "boss@c\u{43e}rp.com",
        }));
        let lines = value_lines(&question);
        assert_eq!(lines.len(), 3, "{}", question.text);
        assert_eq!(
            lines[0],
            r#"  body: "hi\nto: boss@corp.com\r\u001b[1A\u009b2K""#
        );
        assert_eq!(
            lines[1],
            r#"  note: "\u2026\u20394,812 characters cut\u203a\u2026 \u2039non-ASCII: U+0041\u203a""#
        );
        assert_eq!(
            lines[2],
            "  to: \"boss@c\u{43e}rp.com\" ‹non-ASCII: U+043E›"
        );
        assert!(question.whole, "nothing was cut");
        assert!(!question.text.chars().any(|c| c.is_control() && c != '\n'));
    }

    #[test]
    fn huge_keys_are_shortened_head_and_tail_and_stay_apart() {
        let (one, two) = ("k".repeat(10_000) + "1", "k".repeat(10_000) + "2");
        let question = ask(json!({&one: "a", &two: "b"}));
        let lines = value_lines(&question);
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].contains("…‹9,953 characters cut›…") && lines[0].ends_with("k1\"]: \"a\""),
            "{}",
            lines[0]
        );
        assert!(lines[1].ends_with("k2\"]: \"b\""), "{}", lines[1]);
    }

    #[test]
    fn hundreds_of_padded_values_are_each_shown() {
        let args: serde_json::Map<String, Value> = (0..500)
            .map(|i| (format!("key{i}"), json!("p".repeat(2000))))
            .chain([("to".to_owned(), json!("evil@elsewhere.example"))])
            .collect();
        let question = ask(Value::Object(args));
        let lines = value_lines(&question);
        assert_eq!(lines.len(), 501);
        for (i, line) in lines.iter().take(500).enumerate() {
            assert!(line.starts_with(&format!("  key{i}: \"pp")), "{line}");
        }
        assert_eq!(lines[500], "  to: \"evil@elsewhere.example\"");
    }

    #[test]
    fn a_huge_text_of_many_distinct_characters_is_shown_in_one_pass() {
        // 20,000 distinct CJK characters, 50 times over (3 MiB): naming its
        // non-ASCII characters must not go quadratic.
        let text: String = (0..50)
            .flat_map(|_| (0x4E00..0x4E00 + 20_000).filter_map(char::from_u32))
            .collect();
        let question = ask(json!({"body": text, "to": "x@y"}));
        let lines = value_lines(&question);
        assert!(
            lines[0].ends_with("‹non-ASCII: U+4E00 U+4E01 U+4E02 and 19,997 more›"),
            "{}",
            lines[0]
        );
        assert_eq!(lines[1], "  to: \"x@y\"");
    }

    #[test]
    fn values_beyond_what_can_be_shown_are_counted_and_said() {
        let question = ask(json!({"items": vec![1; 20_000], "to": "x"}));
        let last = value_lines(&question).last().copied().unwrap();
        assert!(
            last.starts_with("  …‹") && last.ends_with(" more values not shown›"),
            "{last}"
        );
        assert!(question.text.contains("arguments (20,001 values, "));
        assert!(!question.whole);
        assert!(question.text.len() < 40 << 10);
    }

    #[test]
    fn the_full_arguments_are_escaped_json_of_exactly_the_arguments() {
        let args = json!({"to\u{202e}": "a\u{1b}b", "n": [1.5, {"k": null}], "e": {}});
        let request = Request {
            server: "s".into(),
            tool: "t".into(),
            args: args.clone(),
            reason: "r".into(),
        };
        let full = request.full_arguments();
        assert_eq!(
            full,
            "{\n  \"to\\u202e\": \"a\\u001bb\",\n  \"n\": [\n    1.5,\n    {\n      \"k\": null\n    }\n  ],\n  \"e\": {}\n}"
        );
        assert_eq!(serde_json::from_str::<Value>(&full).unwrap(), args);
    }

    /// Arguments of any shape: nested objects and arrays with any keys and
    /// texts, some long.
    fn any_arguments() -> impl Strategy<Value = Value> {
        let text = prop_oneof![
            4 => any::<String>(),
            1 => (any::<char>(), 0..5000usize).prop_map(|(c, n)| c.to_string().repeat(n)),
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            text.clone().prop_map(Value::from),
        ];
        let tree = leaf.prop_recursive(3, 24, 8, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
                prop::collection::vec((any::<String>(), inner), 0..8)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
            ]
        });
        prop::collection::vec((any::<String>(), tree), 0..40)
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
    }

    /// Every key of `value` (escaped as the question shows it).
    fn keys(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    out.push(visible::quoted(key, visible::Charset::Ascii));
                    keys(value, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| keys(item, out)),
            _ => {}
        }
    }

    fn leaves(value: &Value) -> usize {
        match value {
            Value::Object(map) if !map.is_empty() => map.values().map(leaves).sum(),
            Value::Array(items) if !items.is_empty() => items.iter().map(leaves).sum(),
            _ => 1,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever the arguments, each value has its own line and every
        /// key is in the question, nothing in it rewrites the screen, and
        /// the full text parses back to the arguments.
        #[test]
        fn every_key_of_any_arguments_is_in_the_question(args in any_arguments()) {
            let question = ask(args.clone());
            let lines = value_lines(&question);
            // Too many to show: the last line counts exactly those left out
            // (and may make the count of lines that of the values).
            let some_left_out = lines.last().is_some_and(|l| l.ends_with("not shown›"));
            if args.as_object().is_some_and(|m| !m.is_empty()) && (some_left_out || lines.len() != leaves(&args)) {
                let left_out = leaves(&args) - (lines.len() - 1);
                prop_assert_eq!(
                    *lines.last().unwrap(),
                    format!("  …‹{left_out} more value{} not shown›", if left_out == 1 { "" } else { "s" })
                );
                prop_assert!(!question.whole);
                return Ok(());
            }
            let mut all = Vec::new();
            keys(&args, &mut all);
            for key in all {
                // A key the question shortens keeps at least its first 32 characters.
                let inner = &key[1..key.len() - 1];
                let head: String = inner.chars().take(32).collect();
                let plain = inner.len() <= 48 && !inner.contains('\\');
                prop_assert!(
                    question.text.contains(if plain { inner } else { head.as_str() }),
                    "{} not in {}", key, question.text
                );
            }
            prop_assert!(!question.text.chars().any(|c| c.is_control() && c != '\n'));
            prop_assert!(question.text.len() < 40 << 10);
            let full = Request { server: "s".into(), tool: "t".into(), args: args.clone(), reason: String::new() }.full_arguments();
            prop_assert_eq!(serde_json::from_str::<Value>(&full).unwrap(), args);
        }
    }
}
