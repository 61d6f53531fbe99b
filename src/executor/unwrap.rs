//! A `tools/call` result as the script receives it.
//!
//! Works on the wire JSON of the result, so it follows the MCP spec rather
//! than one library's types.

use serde_json::{Map, Value, json};

/// The value a call returns to the script, or the message of the error it throws.
///
/// `structuredContent` wins; otherwise text is parsed as JSON, or as a Python
/// literal container, when it is one (several text blocks become an array);
/// binary content becomes a small descriptor without the base64 data.
pub fn unwrap(result: &Value) -> Result<Value, String> {
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
        "image" | "audio" => {
            let mut out = Map::new();
            out.insert("type".into(), json!(kind));
            copy(block, &mut out, "mimeType");
            out.insert("bytes".into(), json!(base64_len(block.get("data"))));
            Value::Object(out)
        }
        "resource" => {
            let resource = block.get("resource").unwrap_or(&Value::Null);
            let mut out = Map::new();
            out.insert("type".into(), json!("resource"));
            copy(resource, &mut out, "uri");
            copy(resource, &mut out, "mimeType");
            match (resource.get("text"), resource.get("blob")) {
                (Some(Value::String(text)), _) => {
                    out.insert("bytes".into(), json!(text.len()));
                    out.insert("text".into(), json!(text));
                }
                (_, blob) => {
                    out.insert("bytes".into(), json!(base64_len(blob)));
                }
            }
            Value::Object(out)
        }
        "resource_link" => {
            let mut out = Map::new();
            out.insert("type".into(), json!("resource_link"));
            for key in ["uri", "name", "mimeType", "description"] {
                copy(block, &mut out, key);
            }
            Value::Object(out)
        }
        _ => block.clone(),
    }
}

fn copy(from: &Value, to: &mut Map<String, Value>, key: &str) {
    if let Some(value) = from.get(key) {
        to.insert(key.to_owned(), value.clone());
    }
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
    fn binary_content_is_described_not_inlined() {
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
                {"type": "resource", "uri": "test://1", "mimeType": "application/octet-stream", "bytes": 4},
                {"type": "resource", "uri": "test://2", "mimeType": "text/plain", "bytes": 2, "text": "hi"},
                {"type": "resource_link", "uri": "test://3", "name": "three", "mimeType": "text/plain"}
            ]))
        );
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
