//! What of an upstream server and its tools can reach a model's prompt, as
//! one JSON value each, so that pins hash and the audit reads the same text.
//!
//! Both are derived by leaving out the few fields known never to be shown,
//! rather than by picking the fields known to be shown: a field a server
//! adds tomorrow is pinned and audited until someone decides otherwise.

use serde_json::{Map, Value};

/// Fields of a tool definition no prompt shows: protocol metadata and images.
const UNSHOWN_TOOL_FIELDS: &[&str] = &["_meta", "icons"];

/// Fields of a server's `serverInfo` no prompt shows; its version changes
/// with every release and says nothing to a model.
const UNSHOWN_SERVER_FIELDS: &[&str] = &["version", "icons", "websiteUrl", "_meta"];

/// A tool's definition as far as a prompt can show it.
pub(crate) fn tool(tool: &Value) -> Value {
    match tool {
        Value::Object(fields) => Value::Object(without(fields, UNSHOWN_TOOL_FIELDS)),
        other => other.clone(),
    }
}

/// What a server says of itself that a prompt can show, from its
/// `initialize` answer (`{"serverInfo": {...}, "instructions": "..."}`):
/// its name, title, description and instructions, and any field it adds.
pub(crate) fn server(introduction: &Value) -> Value {
    let mut shown = Map::new();
    if let Some(Value::Object(info)) = introduction.get("serverInfo") {
        shown.insert(
            "serverInfo".to_owned(),
            Value::Object(without(info, UNSHOWN_SERVER_FIELDS)),
        );
    }
    if let Some(instructions) = introduction.get("instructions") {
        shown.insert("instructions".to_owned(), instructions.clone());
    }
    Value::Object(shown)
}

fn without(fields: &Map<String, Value>, unshown: &[&str]) -> Map<String, Value> {
    fields
        .iter()
        .filter(|(key, _)| !unshown.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// `value` as JSON text with every object's keys sorted, so that a server
/// that sends the same definition with its keys in another order gives
/// the same text (and hash).
pub(crate) fn canonical(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(fields) => {
                let mut keys: Vec<&String> = fields.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|key| (key.clone(), sorted(&fields[key])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// One piece of text in a definition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Text {
    /// Where: `description`, `inputSchema.properties.path.enum.0`, ...
    pub place: String,
    pub text: String,
    /// An object's key (a property name, say) rather than a value.
    pub is_key: bool,
}

/// Every string in `value` and every key of its objects, with its place
/// (`a.b.c`; a key's place is its own path).
pub(crate) fn texts(value: &Value) -> Vec<Text> {
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

fn walk(value: &Value, place: String, out: &mut Vec<Text>) {
    let join = |key: &str| {
        if place.is_empty() {
            key.to_owned()
        } else {
            format!("{place}.{key}")
        }
    };
    match value {
        Value::String(text) => out.push(Text {
            place,
            text: text.clone(),
            is_key: false,
        }),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, join(&i.to_string()), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let at = join(key);
                out.push(Text {
                    place: at.clone(),
                    text: key.clone(),
                    is_key: true,
                });
                walk(item, at, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn everything_but_metadata_is_shown() {
        let raw = json!({"name": "t", "description": "d", "_meta": {"x": 1}, "icons": [], "execution": {"taskSupport": "optional"}});
        assert_eq!(
            tool(&raw),
            json!({"name": "t", "description": "d", "execution": {"taskSupport": "optional"}})
        );
        let intro = json!({"serverInfo": {"name": "s", "version": "1.2", "description": "D", "websiteUrl": "u"}, "instructions": "I"});
        assert_eq!(
            server(&intro),
            json!({"serverInfo": {"name": "s", "description": "D"}, "instructions": "I"})
        );
    }

    #[test]
    fn canonical_text_ignores_key_order() {
        let a: Value =
            serde_json::from_str(r#"{"b": {"y": 1, "x": [2, {"q": 0, "p": 1}]}, "a": 0}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{"a": 0, "b": {"x": [2, {"p": 1, "q": 0}], "y": 1}}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        assert_ne!(canonical(&a), canonical(&json!({"a": 1})));
    }

    #[test]
    fn texts_include_keys_and_every_string() {
        let schema = json!({"properties": {"path": {"enum": ["a"], "default": "b"}}});
        let found: Vec<(String, String, bool)> = texts(&schema)
            .into_iter()
            .map(|t| (t.place, t.text, t.is_key))
            .collect();
        let expected = [
            ("properties", "properties", true),
            ("properties.path", "path", true),
            ("properties.path.enum", "enum", true),
            ("properties.path.enum.0", "a", false),
            ("properties.path.default", "default", true),
            ("properties.path.default", "b", false),
        ];
        let expected: Vec<(String, String, bool)> = expected
            .iter()
            .map(|(p, t, k)| (p.to_string(), t.to_string(), *k))
            .collect();
        assert_eq!(found, expected);
    }
}
