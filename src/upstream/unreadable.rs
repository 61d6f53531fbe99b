//! Messages on a stdio line that rmcp cannot read, or should not.
//!
//! rmcp drops a line longer than 16 MiB, and one nested deeper than serde's
//! limit of 128 levels, without answering the request it was for: the peer
//! then waits for its deadline and fails with a misleading "did not answer".
//! A line of more than [`MAX_VALUES`] values is cut short before rmcp reads
//! it, so it is dropped too: rmcp would build a tree of it far larger than
//! its text (`[]` is two bytes but a value of 32 or more).
//! [`Watch`] looks at every line as it streams past (without keeping it) and
//! says what it held; for a server's response rmcp would drop,
//! [`error_for_response`] is the error response rmcp should have produced,
//! with the same id, to follow the dropped line.

use codemode_text::size;

/// rmcp's limit on one line of stdio (its `DEFAULT_MAX_LINE_LENGTH`).
pub(crate) const MAX_LINE: usize = 16 << 20;

/// The most values (places outside strings where one may start: `[`, `{`,
/// `,`, `:`) codemode lets rmcp read from one message of a server. As many
/// as the results of an execution with the default 64 MiB memory limit may
/// hold (a quarter of it, at 32 bytes a value): a text result is measured
/// apart, against its execution's own limit.
pub(crate) const MAX_VALUES: usize = 1 << 19;

/// serde_json refuses a document nested this deep.
pub(crate) const SERDE_DEPTH_LIMIT: usize = 128;

/// The longest id kept (real ids are short numbers or strings).
const MAX_ID: usize = 256;

/// What one line held, as far as answering for it goes.
#[derive(Debug)]
pub(crate) struct LineSummary {
    /// Its length, without the newline.
    pub bytes: usize,
    /// How deeply its objects and arrays nest.
    pub deepest: usize,
    /// How many values it holds, at most (see [`MAX_VALUES`]).
    pub values: usize,
    /// Its top-level `"id"`, when that is a number or a string.
    pub id: Option<serde_json::Value>,
    /// It has a top-level `"method"`: a request or a notification.
    pub has_method: bool,
}

impl LineSummary {
    /// serde (and so rmcp) refuses to read it.
    pub(crate) fn too_deep(&self) -> bool {
        self.deepest >= SERDE_DEPTH_LIMIT
    }
}

/// The error response for a server's response that rmcp will drop.
pub(crate) fn error_for_response(line: &LineSummary) -> Option<Vec<u8>> {
    // rmcp counts the newline too: a line of MAX_LINE bytes is dropped.
    let problem = if line.bytes >= MAX_LINE {
        format!(
            "the response is {} bytes, over the limit of {} ({MAX_LINE} bytes) on one message from a server",
            line.bytes,
            size(MAX_LINE)
        )
    } else if line.values > MAX_VALUES {
        format!(
            "the response holds more than {MAX_VALUES} values, more than codemode reads from a server in one message; ask the tool for less: a page, a filter, a narrower query"
        )
    } else if line.too_deep() {
        format!(
            "the response nests {} levels deep, more than the {} codemode can read",
            line.deepest,
            SERDE_DEPTH_LIMIT - 1
        )
    } else {
        return None;
    };
    if line.has_method {
        return None;
    }
    let message = serde_json::json!({
        "jsonrpc": "2.0",
        "id": line.id.as_ref()?,
        "error": {"code": -32603, "message": problem},
    });
    let mut bytes = serde_json::to_vec(&message).expect("JSON serializes");
    bytes.push(b'\n');
    Some(bytes)
}

/// Watches one JSON-RPC message per line, byte by byte.
#[derive(Default)]
pub(crate) struct Watch {
    line: usize,
    depth: usize,
    deepest: usize,
    values: usize,
    in_string: bool,
    escaped: bool,
    /// The top-level key being read, or just read (first bytes only).
    key: Vec<u8>,
    reading_key: bool,
    /// After a top-level `:`, until the value ends.
    in_value: bool,
    /// The value of the top-level `"id"`, as raw JSON.
    id: Vec<u8>,
    reading_id: bool,
    /// The message has a top-level `"method"`: a request or notification,
    /// which must never be answered as if it were a response.
    has_method: bool,
}

impl Watch {
    /// Feeds one byte; at a line's end, says what the line held.
    pub(crate) fn feed(&mut self, byte: u8) -> Option<LineSummary> {
        if byte == b'\n' {
            let line = self.summary();
            *self = Watch::default();
            return Some(line);
        }
        self.line += 1;
        if self.in_string {
            self.string_byte(byte);
            return None;
        }
        if matches!(byte, b'{' | b'[' | b',' | b':') {
            self.values += 1;
        }
        match byte {
            b'"' => {
                self.in_string = true;
                if self.depth == 1 && !self.in_value {
                    self.reading_key = true;
                    self.key.clear();
                } else if self.reading_id {
                    self.push_id(byte);
                }
            }
            b'{' | b'[' => {
                self.depth += 1;
                self.deepest = self.deepest.max(self.depth);
                // An object or array id is not an id: forget it.
                self.reading_id = false;
            }
            b'}' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 0 {
                    self.in_value = false;
                    self.reading_id = false;
                }
            }
            b':' if self.depth == 1 && !self.in_value => {
                self.in_value = true;
                if self.key == b"id" {
                    self.reading_id = true;
                    self.id.clear();
                }
                self.has_method |= self.key == b"method";
            }
            b',' if self.depth == 1 => {
                self.in_value = false;
                self.reading_id = false;
            }
            _ if self.reading_id && self.depth == 1 && !byte.is_ascii_whitespace() => {
                self.push_id(byte)
            }
            _ => {}
        }
        None
    }

    fn string_byte(&mut self, byte: u8) {
        if self.reading_id {
            self.push_id(byte);
        }
        if self.escaped {
            self.escaped = false;
        } else if byte == b'\\' {
            self.escaped = true;
        } else if byte == b'"' {
            self.in_string = false;
            self.reading_key = false;
            return;
        }
        if self.reading_key && self.key.len() < 8 {
            self.key.push(byte);
        }
    }

    fn push_id(&mut self, byte: u8) {
        if self.id.len() < MAX_ID {
            self.id.push(byte);
        }
    }

    /// The line holds more values than rmcp may read: the rest of it is
    /// to be withheld, so that rmcp drops it unread.
    pub(crate) fn too_many_values(&self) -> bool {
        self.values > MAX_VALUES
    }

    fn summary(&self) -> LineSummary {
        let id = (!self.id.is_empty() && self.id.len() < MAX_ID)
            .then(|| serde_json::from_slice::<serde_json::Value>(&self.id).ok())
            .flatten()
            .filter(|id| id.is_number() || id.is_string());
        LineSummary {
            bytes: self.line,
            deepest: self.deepest,
            values: self.values,
            id,
            has_method: self.has_method,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn watch(line: &[u8]) -> Option<Value> {
        let mut watch = Watch::default();
        for &byte in line {
            assert!(watch.feed(byte).is_none());
        }
        let line = watch.feed(b'\n').expect("a line ends");
        error_for_response(&line).map(|bytes| serde_json::from_slice(&bytes).unwrap())
    }

    fn nested(id: &str, depth: usize) -> Vec<u8> {
        format!(
            r#"{{"jsonrpc":"2.0","id":{id},"result":{{"structuredContent":{}1{}}}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
        .into_bytes()
    }

    #[test]
    fn readable_lines_pass_without_a_word() {
        assert_eq!(watch(&nested("1", 10)), None);
        // serde reads 127 levels; the message itself is two of them.
        assert_eq!(watch(&nested("1", 125)), None);
        assert!(serde_json::from_slice::<Value>(&nested("1", 125)).is_ok());
    }

    #[test]
    fn too_deep_responses_get_an_error_with_their_id() {
        let line = nested("\"req-7\"", 126);
        assert!(
            serde_json::from_slice::<Value>(&line).is_err(),
            "serde refuses it"
        );
        assert_eq!(
            watch(&line),
            Some(
                json!({"jsonrpc": "2.0", "id": "req-7", "error": {"code": -32603,
                "message": "the response nests 128 levels deep, more than the 127 codemode can read"}})
            )
        );
        // The id may come last.
        let line = br#"{"result":[[[[[[1]]]]]],"jsonrpc":"2.0","id":42}"#;
        assert_eq!(watch(line), None, "shallow");
        let mut deep = format!(r#"{{"result":{}1{},"#, "[".repeat(130), "]".repeat(130));
        deep.push_str(r#""jsonrpc":"2.0","id":42}"#);
        assert_eq!(watch(deep.as_bytes()).unwrap()["id"], 42);
    }

    #[test]
    fn too_long_responses_get_an_error() {
        let mut line = br#"{"jsonrpc":"2.0","id":3,"result":{"text":""#.to_vec();
        line.extend(std::iter::repeat_n(b'x', MAX_LINE));
        line.extend(br#""}}"#);
        let error = watch(&line).unwrap();
        assert_eq!(error["id"], 3);
        assert_eq!(
            error["error"]["message"],
            "the response is 16777261 bytes, over the limit of 16.0 MiB (16777216 bytes) on one message from a server"
        );
    }

    #[test]
    fn responses_of_too_many_values_get_an_error() {
        let values = |n: usize| format!("[{}]", vec!["[]"; n].join(","));
        let line = |n: usize| {
            format!(
                r#"{{"jsonrpc":"2.0","id":8,"result":{{"structuredContent":{}}}}}"#,
                values(n)
            )
        };
        // The message's own keys and braces are values too.
        assert_eq!(watch(line(MAX_VALUES / 2 - 8).as_bytes()), None);
        let error = watch(line(MAX_VALUES / 2).as_bytes()).unwrap();
        assert_eq!(error["id"], 8);
        assert_eq!(
            error["error"]["message"],
            format!(
                "the response holds more than {MAX_VALUES} values, more than codemode reads from a server in one message; ask the tool for less: a page, a filter, a narrower query"
            )
        );
        // Inside a string they are text, not values.
        let text = format!(
            r#"{{"jsonrpc":"2.0","id":9,"result":{{"text":{}}}}}"#,
            Value::from(values(MAX_VALUES))
        );
        assert_eq!(watch(text.as_bytes()), None);
    }

    #[test]
    fn requests_and_notifications_are_never_answered() {
        let deep = "[".repeat(200);
        let request = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{deep}"#);
        assert_eq!(watch(request.as_bytes()), None);
        let notification = format!(r#"{{"jsonrpc":"2.0","method":"x","params":{deep}"#);
        assert_eq!(watch(notification.as_bytes()), None);
        // Strings that look like keys or brackets change nothing.
        let tricky = br#"{"jsonrpc":"2.0","id":5,"result":{"s":"\"id\":9, [[[[ \" {"}}"#;
        assert_eq!(watch(tricky), None);
    }
}
