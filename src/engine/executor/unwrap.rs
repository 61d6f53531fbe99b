//! A `tools/call` result as the script receives it.
//!
//! Works on the wire JSON of the result, so it follows the MCP spec rather
//! than one library's types.

use serde_json::{Value, json};

/// The value a call returns to the script, or the message of the error it throws.
///
/// `structuredContent` wins; otherwise text is parsed as JSON, or as a Python
/// literal container, when it is one (several text blocks become an array);
/// other blocks keep MCP's shape, with base64 `data` or `blob` replaced by its
/// size, `bytes`.
pub(super) fn unwrap(result: &Value) -> Result<Value, String> {
    let blocks: &[Value] = result
        .get("content")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    if result.get("isError") == Some(&Value::Bool(true)) {
        let text: Vec<&str> = blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect();
        return Err(match (text.is_empty(), result.get("structuredContent")) {
            (false, _) => text.join("\n"),
            (true, Some(structured)) => structured.to_string(),
            (true, None) => "the tool reported an error without a message".to_owned(),
        });
    }
    if let Some(structured) = result.get("structuredContent")
        && !structured.is_null()
    {
        return Ok(structured.clone());
    }
    let mut items: Vec<Value> = blocks.iter().map(block).collect();
    Ok(match items.len() {
        0 => Value::Null,
        1 => items.pop().expect("one item"),
        _ => Value::Array(items),
    })
}

fn block(block: &Value) -> Value {
    let kind = block.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "text" => {
            let text = block.get("text").and_then(Value::as_str).unwrap_or("");
            serde_json::from_str(text)
                .ok()
                .or_else(|| super::python_literal::parse(text))
                .unwrap_or_else(|| Value::String(text.to_owned()))
        }
        // MCP's own shape, which models know from the spec, with the base64
        // payload withheld: its decoded size in its place.
        "image" | "audio" => withheld(block, "data"),
        "resource" => {
            let mut out = block.clone();
            // A text resource is the program's to read; a blob is withheld,
            // also beside a text (a server may send both).
            if let Some(resource) = block.get("resource")
                && (resource.get("blob").is_some()
                    || !resource.get("text").is_some_and(Value::is_string))
            {
                out["resource"] = withheld(resource, "blob");
            }
            out
        }
        _ => block.clone(),
    }
}

/// `part` with its base64 member `key` replaced by `bytes`, its decoded size.
fn withheld(part: &Value, key: &str) -> Value {
    let Value::Object(members) = part else {
        return part.clone();
    };
    let mut out = members.clone();
    let payload = out.remove(key);
    out.insert("bytes".into(), json!(base64_len(payload.as_ref())));
    out.into()
}

/// Decoded size of base64 text, without decoding it.
fn base64_len(data: Option<&Value>) -> usize {
    let text = data.and_then(Value::as_str).unwrap_or("").trim_end();
    let padding = text.bytes().rev().take_while(|&b| b == b'=').count();
    (text.len() * 3 / 4).saturating_sub(padding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_content_wins() {
        let result = json!({"content": [{"type": "text", "text": "{\"a\":1}"}], "structuredContent": {"a": 2}});
        assert_eq!(unwrap(&result), Ok(json!({"a": 2})));
    }

    #[test]
    fn text_is_parsed_when_it_is_json() {
        assert_eq!(
            unwrap(&json!({"content": [{"type": "text", "text": "[1, 2]"}]})),
            Ok(json!([1, 2]))
        );
        assert_eq!(
            unwrap(&json!({"content": [{"type": "text", "text": "The sum is 3"}]})),
            Ok(json!("The sum is 3"))
        );
        assert_eq!(
            unwrap(&json!({"content": [{"type": "text", "text": "42"}]})),
            Ok(json!(42))
        );
    }

    #[test]
    fn several_blocks_become_an_array() {
        let result = json!({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "{\"b\":1}"}]});
        assert_eq!(unwrap(&result), Ok(json!(["a", {"b": 1}])));
    }

    #[test]
    fn parts_keep_mcps_shape_without_their_base64() {
        let result = json!({"content": [
            {"type": "text", "text": "logo:"},
            {"type": "image", "data": "aGVsbG8=", "mimeType": "image/png"},
            {"type": "audio", "data": "AAAA", "mimeType": "audio/wav"},
            {"type": "resource", "resource": {"uri": "test://1", "mimeType": "application/octet-stream", "blob": "AAAAAA=="}},
            {"type": "resource", "resource": {"uri": "test://2", "mimeType": "text/plain", "text": "hi"}},
            {"type": "resource_link", "uri": "test://3", "name": "three", "mimeType": "text/plain"}
        ]});
        assert_eq!(
            unwrap(&result),
            Ok(json!([
                "logo:",
                {"type": "image", "mimeType": "image/png", "bytes": 5},
                {"type": "audio", "mimeType": "audio/wav", "bytes": 3},
                {"type": "resource", "resource": {"uri": "test://1", "mimeType": "application/octet-stream", "bytes": 4}},
                {"type": "resource", "resource": {"uri": "test://2", "mimeType": "text/plain", "text": "hi"}},
                {"type": "resource_link", "uri": "test://3", "name": "three", "mimeType": "text/plain"}
            ]))
        );
    }

    #[test]
    fn a_blob_beside_a_text_is_withheld_too() {
        let result = json!({"content": [{"type": "resource", "resource": {
            "uri": "test://1", "text": "hi", "blob": "AAAAAA=="
        }}]});
        assert_eq!(
            unwrap(&result),
            Ok(
                json!({"type": "resource", "resource": {"uri": "test://1", "text": "hi", "bytes": 4}})
            )
        );
    }

    /// Any JSON value: the members a hostile server may put in a part.
    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[A-Za-z0-9+/=]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("text".to_owned()),
                        Just("blob".to_owned()),
                        Just("data".to_owned()),
                        Just("resource".to_owned()),
                        "[a-z_]{1,6}"
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Whatever else a server puts in an image, audio or resource part,
        /// its base64 payload never reaches the program, and nothing panics.
        #[test]
        fn no_base64_payload_reaches_the_program(
            kind in proptest::prop_oneof![
                proptest::strategy::Just("image"),
                proptest::strategy::Just("audio"),
                proptest::strategy::Just("resource"),
            ],
            members in proptest::collection::btree_map("[a-z]{1,5}|data|blob|text", any_json(), 0..4),
            resource in any_json(),
        ) {
            let mut part: serde_json::Map<String, Value> = members.into_iter().collect();
            part.insert("type".into(), json!(kind));
            part.insert("resource".into(), resource);
            let out = block(&Value::Object(part));
            let payload = match kind {
                "resource" => out["resource"].get("blob"),
                _ => out.get("data"),
            };
            proptest::prop_assert!(payload.is_none(), "{out}");
        }
    }

    #[test]
    fn errors_carry_the_upstream_message() {
        let result =
            json!({"isError": true, "content": [{"type": "text", "text": "no issue X-1"}]});
        assert_eq!(unwrap(&result), Err("no issue X-1".to_owned()));
        assert_eq!(
            unwrap(&json!({"isError": true})),
            Err("the tool reported an error without a message".to_owned())
        );
    }

    #[test]
    fn empty_content_is_null() {
        assert_eq!(unwrap(&json!({"content": []})), Ok(Value::Null));
    }
}
