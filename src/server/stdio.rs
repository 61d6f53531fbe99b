//! What `serve` reads from a stdio client, before rmcp does.
//!
//! rmcp drops a request it cannot read (a line over its length limit, or one
//! nested deeper than serde reads) without answering: the client waits for
//! ever. [`ClientInput`] holds each line until it ends; a line too long or
//! too deep is replaced by a small request with the same id and the method
//! [`UNREADABLE`], which the server answers with an error naming the problem.
//! It also notices when the client has gone (its input ends).

use codemode_text::size;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::files::filtered_read::{Filter, Filtered};
use crate::upstream::unreadable::{self, LineSummary, Watch};

/// The method a request that could not be read is replaced with; its params
/// carry `problem`, the reason.
pub const UNREADABLE: &str = "codemode/unreadable";

/// A client's input: its lines, with unreadable requests replaced.
pub type ClientInput<R> = Filtered<R, Requests>;

/// Reads `inner`, a client's input; cancels `gone` when it ends. A line of
/// more than `max_request` bytes (lowered to what rmcp reads) is unreadable.
pub fn client_input<R>(inner: R, gone: CancellationToken, max_request: usize) -> ClientInput<R> {
    Filtered::new(
        inner,
        Requests {
            gone,
            max_line: max_request.min(unreadable::MAX_LINE - 1),
            line: Vec::new(),
            overlong: false,
            watch: Watch::default(),
            started: false,
        },
    )
}

/// Holds each line until it ends, then passes it on or replaces it.
pub struct Requests {
    gone: CancellationToken,
    max_line: usize,
    /// The current line, until it grows past `max_line`.
    line: Vec<u8>,
    overlong: bool,
    watch: Watch,
    /// A line has been passed on: the session has begun, and a replacement
    /// request will be answered rather than end it.
    started: bool,
}

impl Filter for Requests {
    fn scan(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        for &byte in bytes {
            if let Some(summary) = self.watch.feed(byte) {
                let line = std::mem::take(&mut self.line);
                let overlong = std::mem::replace(&mut self.overlong, false);
                self.end_line(line, overlong, &summary, out);
            } else if !self.overlong {
                if self.line.len() == self.max_line {
                    self.overlong = true;
                    self.line = Vec::new();
                } else {
                    self.line.push(byte);
                }
            }
        }
    }

    /// The client has gone. A partial last line has no end, so nothing
    /// could read it.
    fn ended(&mut self) {
        self.gone.cancel();
    }
}

impl Requests {
    fn end_line(
        &mut self,
        line: Vec<u8>,
        overlong: bool,
        summary: &LineSummary,
        out: &mut Vec<u8>,
    ) {
        let problem = if overlong {
            format!(
                "the request is {} bytes, over the limit of {} on one message (it follows from the largest program this server compiles); send a smaller program",
                summary.bytes,
                size(self.max_line)
            )
        } else if summary.too_deep() {
            format!(
                "the request nests {} levels deep, more than the {} codemode reads",
                summary.deepest,
                unreadable::SERDE_DEPTH_LIMIT - 1
            )
        } else {
            self.started |= !line.iter().all(u8::is_ascii_whitespace);
            out.extend_from_slice(&line);
            out.push(b'\n');
            return;
        };
        match &summary.id {
            Some(id) if summary.has_method && self.started => {
                tracing::warn!("answering request {id} with an error: {problem}");
                let request = json!({
                    "jsonrpc": "2.0",
                    "id": id,
                    "method": UNREADABLE,
                    "params": {"problem": problem},
                });
                out.extend_from_slice(request.to_string().as_bytes());
                out.push(b'\n');
            }
            // A notification or response has nobody to answer, and before
            // `initialize` only `initialize` may come: drop it, as rmcp would.
            _ => tracing::warn!("dropped a message from the client: {problem}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use tokio::io::AsyncReadExt;

    /// What rmcp would read from `input`, line by line.
    async fn read_through(input: &[u8], max_request: usize) -> (Vec<Value>, bool) {
        let gone = CancellationToken::new();
        let mut reader = client_input(input, gone.clone(), max_request);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).await.unwrap();
        let lines = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        (lines, gone.is_cancelled())
    }

    fn request(id: u64, text: &str) -> String {
        format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"execute","arguments":{{"code":"{text}"}}}}}}"#
        )
    }

    #[tokio::test]
    async fn readable_lines_pass_unchanged_and_the_end_is_noticed() {
        let input = format!("{}\n{}\n", request(1, "return 1"), request(2, "return 2"));
        let (lines, gone) = read_through(input.as_bytes(), 1 << 20).await;
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["params"]["arguments"]["code"], "return 2");
        assert!(gone);
    }

    #[tokio::test]
    async fn a_request_too_long_becomes_an_unreadable_request_with_its_id() {
        let long = "x".repeat(5000);
        let input = format!(
            "{}\n{}\n{}\n",
            request(1, "return 1"),
            request(7, &long),
            request(8, "return 3")
        );
        let (lines, _) = read_through(input.as_bytes(), 1000).await;
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[1]["id"], 7);
        assert_eq!(lines[1]["method"], UNREADABLE);
        let problem = lines[1]["params"]["problem"].as_str().unwrap();
        assert!(
            problem.starts_with("the request is 5098 bytes, over the limit of 1000 bytes"),
            "{problem}"
        );
        assert_eq!(lines[2]["id"], 8, "the next request is read as usual");
    }

    #[tokio::test]
    async fn a_request_too_deep_becomes_an_unreadable_request() {
        let deep = format!(
            r#"{{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{}1{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let input = format!("{}\n{deep}\n", request(1, "return 1"));
        let (lines, _) = read_through(input.as_bytes(), 1 << 20).await;
        assert_eq!(lines[1]["id"], "a");
        assert_eq!(
            lines[1]["params"]["problem"],
            "the request nests 201 levels deep, more than the 127 codemode reads"
        );
    }

    #[tokio::test]
    async fn unanswerable_lines_are_dropped() {
        let deep = "[".repeat(200);
        let notification = format!(r#"{{"jsonrpc":"2.0","method":"x","params":{deep}"#);
        let response = format!(r#"{{"jsonrpc":"2.0","id":3,"result":{deep}"#);
        // Before the session begins, even a request is only dropped.
        let early = format!(r#"{{"jsonrpc":"2.0","id":4,"method":"initialize","params":{deep}"#);
        let input = format!(
            "{early}\n{}\n{notification}\n{response}\n",
            request(1, "return 1")
        );
        let (lines, _) = read_through(input.as_bytes(), 1 << 20).await;
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["id"], 1);
    }
}
