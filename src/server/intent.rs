//! What an HTTP request's body asks the server to do, read exactly as rmcp
//! reads it.
//!
//! The gates in front of rmcp (the session cap, draining, committed tool
//! calls) decide on what a message means. They parse the body with the type
//! and the function rmcp's streamable-HTTP transport parses it with
//! (`serde_json::from_slice::<ClientJsonRpcMessage>`), so however the message
//! is spelled (escapes, whitespace, key order, duplicate keys), the gate sees
//! the very message rmcp then acts on. A body rmcp cannot parse (a batch, a
//! compressed body, not JSON) starts nothing: rmcp refuses it.

use rmcp::model::{ClientJsonRpcMessage, ClientRequest};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Intent {
    /// An `initialize` request (it opens a session), with its id.
    Initialize(Value),
    /// A `tools/call` request: an execution, or a tool passed through.
    CallTool,
    /// An `execute` call that answers a parked execution's question (it
    /// carries the `requestState` it was given): it continues work running
    /// here, which no other replica holds.
    Continue,
    /// A `ping`, which asks nothing of the server.
    Ping,
    /// A `subscriptions/listen`: its response stands open for events.
    Listen,
    /// Any other request: it may reach an upstream (prompts, resources,
    /// completions), hold the replica (subscriptions) or read its state.
    Request,
    /// Not a request (notifications, answers to the server's requests).
    Other,
    /// Not one message rmcp reads: it refuses the request.
    Unreadable,
}

impl Intent {
    pub(super) fn of(body: &[u8]) -> Intent {
        let Ok(message) = serde_json::from_slice::<ClientJsonRpcMessage>(body) else {
            return Intent::Unreadable;
        };
        let ClientJsonRpcMessage::Request(request) = message else {
            return Intent::Other;
        };
        match request.request {
            ClientRequest::InitializeRequest(_) => Intent::Initialize(request.id.into_json_value()),
            ClientRequest::CallToolRequest(call)
                if call.params.name == "execute" && call.params.request_state.is_some() =>
            {
                Intent::Continue
            }
            ClientRequest::CallToolRequest(_) => Intent::CallTool,
            ClientRequest::PingRequest(_) => Intent::Ping,
            ClientRequest::SubscriptionsListenRequest(_) => Intent::Listen,
            _ => Intent::Request,
        }
    }

    /// Whether the message asks for new work, which a draining replica
    /// refuses: every request but `ping`. A list is made here and a method
    /// missing from it (a new one rmcp learns) is work, so the drain fails
    /// closed; notifications and answers pass, as running work needs them
    /// (a cancellation, an answer to an elicitation).
    pub(super) fn starts_work(&self) -> bool {
        matches!(
            self,
            Intent::Initialize(_) | Intent::CallTool | Intent::Listen | Intent::Request
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn of(message: &Value) -> Intent {
        Intent::of(message.to_string().as_bytes())
    }

    #[test]
    fn requests_are_told_by_their_method() {
        let init = json!({"jsonrpc":"2.0","id":7,"method":"initialize","params":{
            "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}});
        assert_eq!(of(&init), Intent::Initialize(json!(7)));
        let call =
            json!({"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"execute"}});
        assert_eq!(of(&call), Intent::CallTool);
        assert!(of(&call).starts_work());
        let answer = json!({"jsonrpc":"2.0","id":"b","method":"tools/call","params":{
            "name":"execute","requestState":"abc","inputResponses":{}}});
        assert_eq!(of(&answer), Intent::Continue);
        assert!(!of(&answer).starts_work(), "it continues work running here");
        let passed = json!({"jsonrpc":"2.0","id":"c","method":"tools/call","params":{
            "name":"upstream_tool","requestState":"abc"}});
        assert_eq!(
            of(&passed),
            Intent::CallTool,
            "another replica can continue it"
        );
        // Named only in arguments, or as a notification: neither.
        let named =
            json!({"jsonrpc":"2.0","id":3,"method":"prompts/get","params":{"name":"tools/call"}});
        assert_eq!(of(&named), Intent::Request);
        assert!(of(&named).starts_work(), "it reaches an upstream");
        let messages = messages();
        assert_eq!(of(&messages[8]), Intent::Request);
        assert_eq!(of(&messages[9]), Intent::Listen);
        assert!(of(&messages[9]).starts_work());
        assert_eq!(of(&messages[10]), Intent::Continue);
        let ping = json!({"jsonrpc":"2.0","id":4,"method":"ping"});
        assert_eq!(of(&ping), Intent::Ping);
        assert!(!of(&ping).starts_work());
        let notification = json!({"jsonrpc":"2.0","method":"notifications/initialized"});
        assert_eq!(of(&notification), Intent::Other);
        assert!(!of(&notification).starts_work());
        assert_eq!(Intent::of(b"not json"), Intent::Unreadable);
    }

    #[test]
    fn what_rmcp_refuses_starts_nothing() {
        // rmcp reads one message per request: a batch is refused whole.
        let batch =
            json!([{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"execute"}}]);
        assert_eq!(of(&batch), Intent::Unreadable);
        let ambiguous =
            br#"{"jsonrpc":"2.0","id":1,"method":"ping","method":"initialize","params":{}}"#;
        let gate = Intent::of(ambiguous);
        let rmcp = serde_json::from_slice::<ClientJsonRpcMessage>(ambiguous);
        assert_eq!(
            gate == Intent::Unreadable,
            rmcp.is_err(),
            "the gate and rmcp read duplicate keys alike"
        );
    }

    /// `value` as JSON text, each string (keys too) spelled with escapes
    /// where `escape` says, with `space` between tokens.
    fn spelled(value: &Value, escape: &mut impl Iterator<Item = u8>, space: &str) -> String {
        let text = |s: &str, escape: &mut dyn Iterator<Item = u8>| {
            let mut out = String::from("\"");
            for c in s.chars() {
                let how = escape.next().unwrap_or(0) % 4;
                match (how, c) {
                    (_, '"') => out.push_str("\\\""),
                    (_, '\\') => out.push_str("\\\\"),
                    (1, '/') => out.push_str("\\/"),
                    (1 | 2, c) if (c as u32) < 0x10000 => {
                        out.push_str(&format!("\\u{:04x}", c as u32))
                    }
                    (3, c) if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04X}", c as u32)),
                    (_, c) if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    (_, c) => out.push(c),
                }
            }
            out.push('"');
            out
        };
        match value {
            Value::String(s) => text(s, escape),
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(|v| spelled(v, escape, space)).collect();
                format!(
                    "[{space}{}{space}]",
                    items.join(&format!("{space},{space}"))
                )
            }
            Value::Object(map) => {
                let entries: Vec<String> = map
                    .iter()
                    .map(|(k, v)| {
                        let key = text(k, escape);
                        format!("{key}{space}:{space}{}", spelled(v, escape, space))
                    })
                    .collect();
                format!(
                    "{{{space}{}{space}}}",
                    entries.join(&format!("{space},{space}"))
                )
            }
            other => other.to_string(),
        }
    }

    fn messages() -> Vec<Value> {
        let params = json!({"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}});
        vec![
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":params}),
            json!({"jsonrpc":"2.0","id":"s-1","method":"initialize","params":params}),
            json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"execute","arguments":{"code":"return 1"}}}),
            json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{}}),
            json!({"jsonrpc":"2.0","id":4,"method":"ping"}),
            json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
            json!({"jsonrpc":"2.0","method":"tools/call","params":{"name":"execute"}}),
            json!({"jsonrpc":"2.0","id":5,"result":{}}),
            json!({"jsonrpc":"2.0","id":6,"method":"resources/read","params":{"uri":"file:///x"}}),
            json!({"jsonrpc":"2.0","id":7,"method":"subscriptions/listen","params":{"notifications":{"toolsListChanged":true}}}),
            json!({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"execute","requestState":"s","inputResponses":{}}}),
        ]
    }

    proptest! {
        /// Every spelling of the same message gets the same verdict.
        #[test]
        fn every_spelling_of_a_message_gets_the_same_verdict(
            which in 0usize..11,
            escapes in proptest::collection::vec(any::<u8>(), 0..400),
            space in prop::sample::select(vec!["", " ", "\n", "\t ", "\r\n  "]),
            reversed in any::<bool>(),
        ) {
            let message = messages()[which].clone();
            let canonical = of(&message);
            let message = if reversed {
                let map = message.as_object().unwrap();
                Value::Object(map.iter().rev().map(|(k, v)| (k.clone(), v.clone())).collect())
            } else {
                message
            };
            let mut escape = escapes.into_iter();
            let text = spelled(&message, &mut escape, space);
            prop_assert_eq!(
                serde_json::from_str::<Value>(&text).unwrap(),
                message.clone(),
                "the spelling is of the same message"
            );
            prop_assert_eq!(Intent::of(text.as_bytes()), canonical, "{}", text);
        }
    }
}
