//! Keeps the raw JSON of `tools/list` results as the server sent them.
//!
//! rmcp decodes responses into typed structs that drop fields they do not
//! know (e.g. a tool's `execution`), so re-encoding would change what we show
//! and count. The tap sits under rmcp on the stdio byte stream, passes every
//! byte through untouched, and copies each `tools/list` result it sees.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use serde_json::Value;
use tokio::io::{AsyncRead, ReadBuf};

/// A line longer than this is not copied (rmcp still receives it).
const MAX_LINE: usize = 64 << 20;

/// Raw `tools/list` result pages seen on the wire, oldest first.
#[derive(Clone, Default)]
pub struct ToolListTap {
    pages: Arc<Mutex<VecDeque<Value>>>,
}

impl ToolListTap {
    /// The raw tools behind `typed`, if the pages seen since the last call
    /// list exactly those tools in that order; clears what was seen.
    pub fn take_matching(&self, typed: &[rmcp::model::Tool]) -> Option<Vec<Value>> {
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

    fn observe_line(&self, line: &[u8]) {
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

/// An [`AsyncRead`] that shows newline-delimited JSON to a [`ToolListTap`].
pub struct TapReader<R> {
    inner: R,
    line: Vec<u8>,
    overflow: bool,
    tap: ToolListTap,
}

impl<R> TapReader<R> {
    pub fn new(inner: R, tap: ToolListTap) -> Self {
        TapReader {
            inner,
            line: Vec::new(),
            overflow: false,
            tap,
        }
    }

    fn scan(&mut self, mut bytes: &[u8]) {
        while let Some(end) = bytes.iter().position(|&b| b == b'\n') {
            self.push(&bytes[..end]);
            if !self.overflow {
                self.tap.observe_line(&self.line);
            }
            self.line.clear();
            self.overflow = false;
            bytes = &bytes[end + 1..];
        }
        self.push(bytes);
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.line.len() + bytes.len() > MAX_LINE {
            self.overflow = true;
            self.line.clear();
        } else if !self.overflow {
            self.line.extend_from_slice(bytes);
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for TapReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            let fresh = buf.filled()[before..].to_vec();
            self.scan(&fresh);
        }
        poll
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
        let mut reader = TapReader::new(
            tokio::io::BufReader::with_capacity(7, wire.as_bytes()),
            tap.clone(),
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
    async fn mismatched_pages_are_not_used() {
        let wire = "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"x\"}]}}\n";
        let tap = ToolListTap::default();
        let mut reader = TapReader::new(wire.as_bytes(), tap.clone());
        reader.read_to_string(&mut String::new()).await.unwrap();
        assert!(tap.take_matching(&typed(&["y"])).is_none());
    }
}
