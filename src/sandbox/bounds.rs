//! Bounds on what crosses the sandbox boundary: tool-call arguments, tool
//! results, the program's result, and the texts of errors.
//!
//! Every value that crosses is JSON, parsed on the other side with serde_json,
//! which refuses more than 128 levels of nesting; the protocols around the
//! values add a few levels of their own. Values are therefore held to
//! [`MAX_DEPTH`] on both sides, with an error that says so, rather than
//! failing somewhere downstream with a parse error nobody reports.

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

/// A size for people: `512 bytes`, `1.5 KiB`, `20.0 MiB`.
pub fn size(bytes: usize) -> String {
    const KIB: f64 = 1024.0;
    match bytes as f64 {
        b if b < KIB => format!("{bytes} bytes"),
        b if b < KIB * KIB => format!("{:.1} KiB", b / KIB),
        b => format!("{:.1} MiB", b / (KIB * KIB)),
    }
}

/// `text` cut to at most `max` bytes (on a character boundary), with a note
/// saying how long it was; a text cut before keeps its first note.
pub fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let (body, note) = match text.rfind("… [cut: ") {
        Some(at) if text.ends_with(" in all]") => (&text[..at], text[at..].to_owned()),
        _ => (text, format!("… [cut: {} in all]", size(text.len()))),
    };
    let mut end = max.min(body.len());
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{note}", &body[..end])
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
    fn cut_marks_what_it_cut() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut(&"é".repeat(10), 5), "éé… [cut: 20 bytes in all]");
        let twice = cut(&cut(&"x".repeat(4 << 20), 1000), 10);
        assert_eq!(twice, "xxxxxxxxxx… [cut: 4.0 MiB in all]");
        assert_eq!(size(3 << 20), "3.0 MiB");
        assert_eq!(size(1536), "1.5 KiB");
    }
}
