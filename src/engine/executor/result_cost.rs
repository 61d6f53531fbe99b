//! What a tool's result costs the host to hold, measured before any tree is
//! built from it, so a hostile upstream cannot make codemode spend memory
//! outside the execution's limits.
//!
//! A result crosses the host as rmcp's value, re-encoded as JSON, unwrapped
//! into a `serde_json::Value` tree (a text parsed as JSON or a Python literal)
//! and written as JSON again for the program. The estimate bounds each of
//! these (up to a small factor): the result's JSON length, which counts
//! escapes as written, plus [`NODE_BYTES`] for every place a value may start
//! (`[`, `{`, `,`, `:` outside strings), in the JSON and in every text that
//! may parse as a container, whose escapes may also grow when written again.
//! `[]` is two bytes of text but a node of a tree; `'\0'` in a Python
//! literal is two bytes of text but six of JSON.

use std::io;
use std::sync::Arc;

use rmcp::model::CallToolResult;
use serde_json::Value;

use codemode_sandbox::bounds::{Held, HeldBytes};
use codemode_text::size;

/// What one value of a tree costs the host, at least: a `serde_json::Value`.
pub(super) const NODE_BYTES: usize = 32;

/// An upper bound, up to a small factor, on the host memory `result` takes
/// while it becomes the program's value; and its length as JSON.
pub(super) fn estimate(result: &CallToolResult) -> (usize, usize) {
    let mut json = Scan::default();
    // Writing to a counter cannot fail, and a result always serializes.
    let _ = serde_json::to_writer(&mut json, result);
    let texts = result
        .content
        .iter()
        .filter_map(|block| block.as_text())
        .map(|text| parsed_text_cost(&text.text))
        .fold(0, usize::saturating_add);
    let cost = json
        .bytes
        .saturating_add(json.starts.saturating_mul(NODE_BYTES))
        .saturating_add(texts);
    (cost, json.bytes)
}

/// The length of `value` as JSON, without writing it.
pub(super) fn json_len(value: &Value) -> usize {
    let mut json = Scan::default();
    let _ = serde_json::to_writer(&mut json, value);
    json.bytes
}

/// What parsing `text` may add to its own length: a node for every place a
/// value may start, and the growth of its escapes (`\0` becomes `\u0000`);
/// nothing for a text that cannot be a container (it stays one string).
pub(super) fn parsed_text_cost(text: &str) -> usize {
    if !matches!(text.trim_start().bytes().next(), Some(b'[' | b'{' | b'(')) {
        return 0;
    }
    text.bytes()
        .map(|byte| match byte {
            b'[' | b'{' | b'(' | b',' | b':' => NODE_BYTES,
            b'\\' => 5,
            _ => 0,
        })
        .fold(0, usize::saturating_add)
}

/// JSON as it is written: its length, and the places outside strings where
/// a value may start.
#[derive(Default)]
struct Scan {
    bytes: usize,
    starts: usize,
    in_string: bool,
    escaped: bool,
}

impl io::Write for Scan {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes = self.bytes.saturating_add(buf.len());
        for &byte in buf {
            if self.in_string {
                match byte {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'[' | b'{' | b',' | b':' => self.starts += 1,
                _ => {}
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The host memory one execution's results may hold at once: from a call's
/// answer until the program has taken it. Like the arguments of calls in
/// flight, a quarter of the execution's memory limit.
pub(super) struct ResultBudget {
    held: Arc<HeldBytes>,
    budget: usize,
    memory_bytes: usize,
}

impl ResultBudget {
    pub(super) fn new(memory_bytes: usize) -> ResultBudget {
        ResultBudget {
            held: Arc::default(),
            budget: memory_bytes / 4,
            memory_bytes,
        }
    }

    /// Holds a result of `tool` (as the program names it) that costs `cost`
    /// and was `sent` bytes as JSON. One larger than the budget is refused at
    /// once; one that fits waits (until `deadline`) for the program to take
    /// the results before it, which it does whenever it awaits.
    pub(super) async fn hold(
        &self,
        tool: &str,
        cost: usize,
        sent: usize,
        deadline: tokio::time::Instant,
    ) -> Result<Held, String> {
        let (budget, memory) = (size(self.budget), size(self.memory_bytes));
        let taking = format!(
            "{tool} returned {} of JSON that would take about {} as values",
            size(sent),
            size(cost)
        );
        if cost > self.budget {
            return Err(format!(
                "{taking}, more than the {budget} a program's results may hold at once (a quarter of its {memory} memory limit); ask the tool for less: a page, a filter, a narrower query"
            ));
        }
        loop {
            let freed = self.held.freed();
            tokio::pin!(freed);
            // Enabled before the try, so a release in between still wakes it.
            freed.as_mut().enable();
            let held = match Held::reserve(&self.held, cost, self.budget) {
                Ok(reserved) => return Ok(reserved),
                Err(held) => held,
            };
            if tokio::time::timeout_at(deadline, freed).await.is_err() {
                return Err(format!(
                    "{taking}, and results the program has not yet taken hold {}: more than the {budget} a program's results may hold at once (a quarter of its {memory} memory limit); await fewer calls at once, or ask each for less",
                    size(held)
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rmcp::model::{ContentBlock, TextContent};
    use serde_json::json;

    use super::*;

    fn text_result(text: &str) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::Text(TextContent::new(text))])
    }

    fn cost_of(result: &CallToolResult) -> usize {
        estimate(result).0
    }

    #[test]
    fn a_tree_of_tiny_nodes_costs_a_node_each() {
        let lists = format!("[{}]", vec!["[]"; 1000].join(","));
        let (cost, sent) = estimate(&text_result(&lists));
        assert!(cost >= 2000 * NODE_BYTES, "{cost}");
        assert!(sent >= lists.len());
        let tuples = format!("[{}]", vec!["()"; 1000].join(","));
        assert!(cost_of(&text_result(&tuples)) >= 2000 * NODE_BYTES);
    }

    #[test]
    fn prose_costs_its_length_not_its_commas() {
        let prose = "a, b, c: d [e] ".repeat(100);
        let more = cost_of(&text_result(&prose)) - cost_of(&text_result(""));
        assert_eq!(more, prose.len());
    }

    #[test]
    fn escapes_cost_what_they_are_written_as() {
        // A control byte is six bytes of JSON; a Python `\0` becomes `\u0000`.
        assert!(cost_of(&text_result(&"\u{1}".repeat(1000))) >= 6000);
        let nuls = format!("['{}']", "\\0".repeat(1000));
        assert!(cost_of(&text_result(&nuls)) >= 6000);
    }

    #[test]
    fn structured_content_and_meta_count_their_nodes() {
        let rows = Value::Array(vec![json!([]); 1000]);
        let structured = CallToolResult::structured(json!({ "rows": rows }));
        assert!(cost_of(&structured) >= 1000 * NODE_BYTES);
        let mut meta = text_result("ok");
        meta.meta = Some(rmcp::model::MetaObject(
            json!({ "x": rows }).as_object().unwrap().clone(),
        ));
        assert!(cost_of(&meta) >= 1000 * NODE_BYTES);
    }

    #[test]
    fn many_blocks_count_each() {
        let blocks = vec![ContentBlock::Text(TextContent::new("")); 1000];
        assert!(cost_of(&CallToolResult::success(blocks)) >= 1000 * NODE_BYTES);
    }

    #[tokio::test]
    async fn results_held_at_once_stay_within_a_quarter_of_the_memory_limit() {
        let budget = ResultBudget::new(4000);
        let soon = || tokio::time::Instant::now() + std::time::Duration::from_millis(50);
        let first = budget.hold("x.y", 600, 10, soon()).await.unwrap();
        // A result that fits waits for room; past the deadline, it is refused.
        let refused = budget.hold("x.y", 600, 10, soon()).await.unwrap_err();
        assert!(
            refused.contains("not yet taken hold 600 bytes"),
            "{refused}"
        );
        let later = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        let (second, ()) = tokio::join!(budget.hold("x.y", 600, 10, later), async {
            tokio::task::yield_now().await;
            drop(first);
        });
        drop(second.unwrap());
        let refused = budget.hold("x.y", 1001, 10, later).await.unwrap_err();
        assert!(
            refused.starts_with("x.y returned 10 bytes of JSON that would take about 1001 bytes as values, more than the 1000 bytes a program's results may hold at once (a quarter of its 3.9 KiB memory limit); ask the tool for less"),
            "{refused}"
        );
    }

    /// Any JSON value, of bounded depth.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i32>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
            "[\\x00-\\x1f\"\\\\]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..8)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever a text holds, the estimate covers the JSON the program is
        /// sent and a node for each value of the tree it parses into.
        #[test]
        fn the_estimate_covers_the_tree_and_its_json(value in json_value(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                value.to_string()
            };
            let result = text_result(&text);
            let wire = serde_json::to_value(&result).unwrap();
            let unwrapped = super::super::unwrap::unwrap(&wire).unwrap();
            let sent = unwrapped.to_string().len();
            prop_assert_eq!(json_len(&unwrapped), sent);
            let nodes = count_nodes(&unwrapped);
            let cost = cost_of(&result);
            prop_assert!(cost >= sent, "cost {} < sent {}", cost, sent);
            prop_assert!(cost >= (nodes - 1) * NODE_BYTES, "cost {} < {} nodes", cost, nodes);
        }
    }

    fn count_nodes(value: &Value) -> usize {
        1 + match value {
            Value::Array(items) => items.iter().map(count_nodes).sum(),
            Value::Object(members) => members.values().map(count_nodes).sum(),
            _ => 0,
        }
    }
}
