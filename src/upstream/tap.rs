//! Keeps the raw JSON of `tools/list` results as the server sent them.
//!
//! rmcp decodes responses into typed structs that drop fields they do not
//! know (e.g. a tool's `execution`), so re-encoding would change what we show
//! and count. The tap sits under rmcp on the stdio byte stream, passes every
//! byte through untouched, and copies each `tools/list` result it sees. It
//! also adds an error response after each response rmcp cannot read (see
//! [`super::unreadable`]), so a call fails at once instead of at its deadline,
//! and cuts short a line of more values than rmcp may read.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::stdio::OutputTail;
use super::unreadable::{self, MAX_LINE};
use crate::files::filtered_read::{Filter, Filtered};

/// A line is copied only if `"tools"` appears this early in it: tool lists
/// say so at once, and other lines (large results) are not kept twice.
const TOOLS_WITHIN: usize = 4 << 10;

/// Raw `tools/list` result pages seen on the wire, oldest first.
#[derive(Clone, Default)]
pub(super) struct ToolListTap {
    pages: Arc<Mutex<VecDeque<Value>>>,
}

impl ToolListTap {
    /// The raw tools behind `typed`, if the pages seen since the last call
    /// list exactly those tools in that order; clears what was seen.
    pub(super) fn take_matching(&self, typed: &[rmcp::model::Tool]) -> Option<Vec<Value>> {
        let pages: Vec<Value> = self.pages.lock().ok()?.drain(..).collect();
        let raw: Vec<Value> = pages
            .into_iter()
            .flat_map(|mut page| match page.get_mut("tools").map(Value::take) {
                Some(Value::Array(tools)) => tools,
                _ => Vec::new(),
            })
            .collect();
        let same = raw.len() == typed.len()
            && raw
                .iter()
                .zip(typed)
                .all(|(r, t)| r.get("name").and_then(Value::as_str) == Some(&*t.name));
        same.then_some(raw)
    }

    /// Copies `line` if it is a `tools/list` result.
    pub(super) fn observe(&self, line: &[u8]) {
        // Only responses carrying a tools array are worth parsing twice.
        if !contains(line, b"\"tools\"") {
            return;
        }
        let Ok(mut message) = serde_json::from_slice::<Value>(line) else {
            return;
        };
        let Some(result) = message.get_mut("result") else {
            return;
        };
        if result.get("tools").is_some_and(Value::is_array)
            && let Ok(mut pages) = self.pages.lock()
        {
            pages.push_back(result.take());
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A server's stdout as rmcp reads it: shown to a [`ToolListTap`], with an
/// error response added after each response rmcp would drop.
pub(super) type TapReader<R> = Filtered<R, Tap>;

/// Starts reading `inner` through a [`Tap`] that feeds `tap`.
pub(super) fn tap_reader<R>(inner: R, tap: ToolListTap, output: OutputTail) -> TapReader<R> {
    Filtered::new(
        inner,
        Tap {
            line: Vec::new(),
            copying: true,
            head: Vec::new(),
            output,
            watch: unreadable::Watch::default(),
            tap,
        },
    )
}

/// Passes newline-delimited JSON through untouched, copying tool lists.
pub(super) struct Tap {
    /// The current line while it may be a tool list.
    line: Vec<u8>,
    copying: bool,
    /// The start of the current line, to tell a message from other text.
    head: Vec<u8>,
    output: OutputTail,
    watch: unreadable::Watch,
    tap: ToolListTap,
}

/// How much of a line is looked at to tell a message from other text.
const HEAD: usize = 400;

impl Filter for Tap {
    fn scan(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        for &byte in bytes {
            let answer = self
                .watch
                .feed(byte)
                .and_then(|line| unreadable::error_for_response(&line));
            // A line of too many values is cut short, so rmcp drops it
            // rather than build a tree of it; the answer says why.
            if byte == b'\n' || !self.watch.too_many_values() {
                out.push(byte);
            }
            if let Some(answer) = answer {
                out.extend_from_slice(&answer);
            }
            if byte == b'\n' {
                if self.copying {
                    self.tap.observe(&self.line);
                }
                let text = self.head.trim_ascii();
                if !text.is_empty() && !text.starts_with(b"{") {
                    self.output.push_stdout(text);
                }
                self.head.clear();
                self.line.clear();
                self.copying = true;
                continue;
            }
            if self.head.len() < HEAD {
                self.head.push(byte);
            }
            if self.copying {
                self.line.push(byte);
                let early = self.line.len() == TOOLS_WITHIN && !contains(&self.line, b"\"tools\"");
                if early || self.line.len() >= MAX_LINE {
                    self.copying = false;
                    self.line = Vec::new();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    fn typed(names: &[&str]) -> Vec<rmcp::model::Tool> {
        names
            .iter()
            .map(|n| rmcp::model::Tool::new(n.to_string(), "", Arc::new(serde_json::Map::new())))
            .collect()
    }

    #[tokio::test]
    async fn bytes_pass_through_and_tool_pages_are_kept_raw() {
        let wire = concat!(
            r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"x"}}"#,
            "\n",
            r#"{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"a","execution":{"taskSupport":"optional"},"inputSchema":{}}],"nextCursor":"p2"}}"#,
            "\n",
            r#"{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"\"tools\""}}"#,
            "\n",
            r#"{"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"b","inputSchema":{}}]}}"#,
            "\n",
        );
        let tap = ToolListTap::default();
        // Read in small chunks so lines are split across reads.
        let mut reader = tap_reader(
            tokio::io::BufReader::with_capacity(7, wire.as_bytes()),
            tap.clone(),
            OutputTail::default(),
        );
        let mut out = String::new();
        reader.read_to_string(&mut out).await.unwrap();
        assert_eq!(out, wire);
        let raw = tap.take_matching(&typed(&["a", "b"])).expect("pages match");
        assert_eq!(raw[0]["execution"]["taskSupport"], "optional");
        assert_eq!(raw[1]["name"], "b");
        // Taken once.
        assert!(tap.take_matching(&typed(&["a", "b"])).is_none());
    }

    #[tokio::test]
    async fn text_that_is_no_message_is_noted_for_the_error() {
        let wire = "Weather server v1.2 listening on stdio\n{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n";
        let output = OutputTail::default();
        let mut reader = tap_reader(wire.as_bytes(), ToolListTap::default(), output.clone());
        let mut out = String::new();
        reader.read_to_string(&mut out).await.unwrap();
        assert_eq!(out, wire, "passed through untouched");
        assert_eq!(
            output.render(),
            "\n  the server wrote this to stdout, where only MCP messages may go (it must log to stderr):\n    Weather server v1.2 listening on stdio"
        );
    }

    #[tokio::test]
    async fn mismatched_pages_are_not_used() {
        let wire = "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"x\"}]}}\n";
        let tap = ToolListTap::default();
        let mut reader = tap_reader(wire.as_bytes(), tap.clone(), OutputTail::default());
        reader.read_to_string(&mut String::new()).await.unwrap();
        assert!(tap.take_matching(&typed(&["y"])).is_none());
    }

    #[tokio::test]
    async fn a_response_rmcp_cannot_read_is_followed_by_an_error_for_it() {
        let deep = format!(
            r#"{{"jsonrpc":"2.0","id":9,"result":{{"structuredContent":{}0{}}}}}"#,
            "[".repeat(130),
            "]".repeat(130)
        );
        let next = r#"{"jsonrpc":"2.0","id":10,"result":{}}"#;
        let wire = format!("{deep}\n{next}\n");
        let mut reader = tap_reader(
            tokio::io::BufReader::with_capacity(64, wire.as_bytes()),
            ToolListTap::default(),
            OutputTail::default(),
        );
        let mut out = String::new();
        reader.read_to_string(&mut out).await.unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], deep, "passed through untouched");
        let error: Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(error["id"], 9);
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("nests 132 levels deep")
        );
        assert_eq!(lines[2], next, "the next message is whole");
    }
}
