//! Bounds on what crosses the sandbox boundary: tool-call arguments, tool
//! results, the program's result, and the texts of errors.
//!
//! Every value that crosses is JSON, parsed on the other side with serde_json,
//! which refuses more than 128 levels of nesting; the protocols around the
//! values add a few levels of their own. Values are therefore held to
//! [`MAX_DEPTH`] on both sides, with an error that says so, rather than
//! failing somewhere downstream with a parse error nobody reports.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// How deeply a value crossing the boundary may nest (arrays and objects).
pub const MAX_DEPTH: usize = 100;

/// The most one call may send to a server, as JSON: what fits, with the
/// request around it, in one 16 MiB message. rmcp drops larger stdio
/// messages without an answer, so a larger call would only wait for its
/// deadline.
pub const MAX_CALL_BYTES: usize = (16 << 20) - (4 << 10);

/// How much of an error's text a report keeps (call records, the failure).
pub const MAX_ERROR_IN_REPORT: usize = 2 << 10;

/// How much of a server's error text a program receives.
pub const MAX_ERROR_TO_PROGRAM: usize = 64 << 10;

/// How deeply `json` nests, counting arrays and objects; stops counting past
/// `MAX_DEPTH + 1`. `json` must be valid JSON (it only skips strings).
pub fn json_depth(json: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for byte in json.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > MAX_DEPTH {
                    return deepest;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Where the JSON text of a call's arguments cannot be sent, and why: the
/// first place nested deeper than [`MAX_DEPTH`], or the first string or key
/// with an unpaired surrogate (which `JSON.stringify` writes as an escape and
/// no JSON parser accepts). As `args.filter.title: the string has ...`.
pub fn argument_fault(json: &str) -> Option<String> {
    let bytes = json.as_bytes();
    let mut frames: Vec<Frame> = Vec::new();
    // After an object's `{` or `,`, the next string is a key.
    let mut expecting_key = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => {
                if frames.len() == MAX_DEPTH {
                    return Some(format!(
                        "{}: nested more than {MAX_DEPTH} levels deep",
                        path_to(&frames)
                    ));
                }
                expecting_key = bytes[i] == b'{';
                frames.push(if expecting_key {
                    Frame::Object { key: None }
                } else {
                    Frame::Array { index: 0 }
                });
            }
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { .. }) => expecting_key = true,
                None => {}
            },
            b'"' => {
                let (text, end, unpaired) = json_string(bytes, i);
                let is_key = std::mem::take(&mut expecting_key);
                if is_key && let Some(Frame::Object { key }) = frames.last_mut() {
                    *key = Some(text);
                }
                if unpaired {
                    let what = if is_key { "key" } else { "string" };
                    return Some(format!(
                        "{}: the {what} has an unpaired surrogate, which JSON cannot carry",
                        path_to(&frames)
                    ));
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Where the scan of [`argument_fault`] is: an object and its current key,
/// or an array and its current index.
enum Frame {
    Object { key: Option<String> },
    Array { index: usize },
}

/// `args.filter.items[2]`: the place the innermost frame points at.
fn path_to(frames: &[Frame]) -> String {
    let mut path = String::from("args");
    for frame in frames {
        match frame {
            Frame::Object { key: Some(key) } if is_identifier(key) => {
                path.push('.');
                path.push_str(key);
            }
            Frame::Object { key: Some(key) } => {
                path.push_str(&format!("[{}]", Value::String(key.clone())))
            }
            Frame::Object { key: None } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The JSON string starting at `bytes[start]` (a `"`): its text (up to 64
/// characters), the index of its closing quote, and whether it has an
/// unpaired surrogate. `JSON.stringify` escapes a surrogate only when it is
/// unpaired (a pair is written as the character), so any escaped surrogate is one.
fn json_string(bytes: &[u8], start: usize) -> (String, usize, bool) {
    let mut text = String::new();
    let mut unpaired = false;
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != b'"' {
        if bytes[i] != b'\\' {
            let len = utf8_len(bytes[i]);
            if text.chars().count() < 64 {
                text.push_str(&String::from_utf8_lossy(
                    &bytes[i..(i + len).min(bytes.len())],
                ));
            }
            i += len;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'u') => {
                let unit = bytes
                    .get(i + 2..i + 6)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .unwrap_or(0);
                match char::from_u32(unit) {
                    Some(c) => text.push(c),
                    None => {
                        unpaired = true;
                        text.push(char::REPLACEMENT_CHARACTER);
                    }
                }
                i += 6;
            }
            Some(&escaped) => {
                text.push(match escaped {
                    b'n' => '\n',
                    b't' => '\t',
                    b'r' => '\r',
                    other => other as char,
                });
                i += 2;
            }
            None => i += 1,
        }
    }
    (text, i, unpaired)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// How deeply `value` nests, counting arrays and objects.
pub fn value_depth(value: &Value) -> usize {
    // Iterative: a value parsed elsewhere may be deeper than a thread's stack allows.
    let mut deepest = 0;
    let mut pending = vec![(value, 1)];
    while let Some((value, depth)) = pending.pop() {
        match value {
            Value::Array(items) => {
                deepest = deepest.max(depth);
                pending.extend(items.iter().map(|v| (v, depth + 1)));
            }
            Value::Object(map) => {
                deepest = deepest.max(depth);
                pending.extend(map.values().map(|v| (v, depth + 1)));
            }
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_of_text_and_values_agree() {
        for value in [
            json!(1),
            json!([]),
            json!({"a": [1, {"b": "[[[{{{"}], "c": {}}),
            json!([[[[["\"]]]]"]]]]]),
        ] {
            assert_eq!(
                json_depth(&value.to_string()),
                value_depth(&value),
                "{value}"
            );
        }
        let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
        assert_eq!(
            json_depth(&deep),
            MAX_DEPTH + 1,
            "stops counting past the limit"
        );
    }

    #[test]
    fn argument_faults_name_the_argument() {
        assert_eq!(argument_fault(r#"{"a":[1,{"b":"x"}]}"#), None);
        assert_eq!(
            argument_fault(r#"{"filter":{"title":"a\ud800","n":1}}"#).unwrap(),
            "args.filter.title: the string has an unpaired surrogate, which JSON cannot carry"
        );
        assert_eq!(
            argument_fault(r#"{"list":["ok","x\udc00"]}"#).unwrap(),
            "args.list[1]: the string has an unpaired surrogate, which JSON cannot carry"
        );
        assert_eq!(
            argument_fault(r#"{"a":{"k\udc00":1}}"#).unwrap(),
            "args.a[\"k\u{fffd}\"]: the key has an unpaired surrogate, which JSON cannot carry"
        );
        // A key with brackets or quotes in it is not mistaken for structure.
        assert_eq!(
            argument_fault(r#"{"we\"ird[":{"s":"\ud83d"}}"#).unwrap(),
            "args[\"we\\\"ird[\"].s: the string has an unpaired surrogate, which JSON cannot carry"
        );
        let deep = format!("{}{}", r#"{"a":"#.repeat(150), "}".repeat(150));
        let fault = argument_fault(&deep).unwrap();
        assert!(fault.starts_with("args.a.a.a."), "{fault}");
        assert!(
            fault.ends_with(": nested more than 100 levels deep"),
            "{fault}"
        );
        assert_eq!(fault.matches(".a").count(), 100);
    }
}

/// Bytes of host memory held for the program (results it has not yet
/// taken, say), and a signal when some are given back.
#[derive(Debug, Default)]
pub struct HeldBytes {
    bytes: AtomicUsize,
    freed: tokio::sync::Notify,
}

impl HeldBytes {
    /// Completes when some bytes are given back after it is enabled.
    pub fn freed(&self) -> tokio::sync::futures::Notified<'_> {
        self.freed.notified()
    }
}

/// Bytes held against a [`HeldBytes`], given back when dropped.
#[derive(Debug, Default)]
pub struct Held(Option<(Arc<HeldBytes>, usize)>);

impl Held {
    /// Holds `bytes` more against `count` if that keeps it within `budget`;
    /// otherwise what `count` already holds.
    pub fn reserve(count: &Arc<HeldBytes>, bytes: usize, budget: usize) -> Result<Held, usize> {
        count
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                held.checked_add(bytes).filter(|&total| total <= budget)
            })
            .map(|_| Held(Some((count.clone(), bytes))))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some((count, bytes)) = self.0.take() {
            count.bytes.fetch_sub(bytes, Ordering::Relaxed);
            count.freed.notify_waiters();
        }
    }
}
