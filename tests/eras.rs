//! A client of the 2025 era in front of an upstream that speaks only
//! 2026-07-28 (`examples/conformance_fixture.rs --era modern`): what the
//! upstream asks in `input_required` rounds reaches the client as the
//! requests of its era, and its resource subscriptions become
//! `subscriptions/listen` streams whose updates come back as
//! `notifications/resources/updated`.

use serde_json::{Value, json};

use crate::common::*;
use crate::raw::RawStdio;

fn in_front_of_a_modern_upstream(capabilities: Value) -> RawStdio {
    let fixture = conformance_fixture();
    RawStdio::start_as(
        &[
            "--expose-tools",
            "--name",
            "fixture",
            "--",
            &fixture,
            "--era",
            "modern",
        ],
        capabilities,
    )
}

/// Reads until codemode asks the client `method`; answers it with
/// `answer`; returns what was asked.
fn answer_request(client: &mut RawStdio, method: &str, answer: Value) -> Value {
    loop {
        let message = client.message();
        if message["method"] == method && message.get("id").is_some() {
            client.send(&json!({"jsonrpc": "2.0", "id": message["id"], "result": answer}));
            return message;
        }
        assert!(
            message.get("result").is_none() && message.get("error").is_none(),
            "the call ended before {method} was asked: {message}"
        );
    }
}

#[test]
fn a_passthrough_calls_question_reaches_a_legacy_client_as_an_elicitation() {
    let mut client = in_front_of_a_modern_upstream(json!({"elicitation": {}}));
    let call = client.send_request(
        "tools/call",
        json!({"name": "test_elicitation", "arguments": {"message": "Which name?"}}),
    );
    let asked = answer_request(
        &mut client,
        "elicitation/create",
        json!({"action": "accept", "content": {"response": "Ada"}}),
    );
    let message = asked["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("fixture") && message.contains("Which name?"),
        "{asked}"
    );
    let answered = client.response();
    assert_eq!(answered["id"], call, "{answered}");
    let text = answered["result"]["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("action=accept") && text.contains("Ada"),
        "{answered}"
    );
}

#[test]
fn a_programs_call_asks_a_legacy_client_for_a_models_reply() {
    let mut client = in_front_of_a_modern_upstream(json!({"sampling": {}}));
    client.send_request(
        "tools/call",
        json!({"name": "execute", "arguments": {"code":
            "return await fixture.test_sampling({ prompt: 'Say hi' });"}}),
    );
    let asked = answer_request(
        &mut client,
        "sampling/createMessage",
        json!({"role": "assistant", "content": {"type": "text", "text": "hi there"}, "model": "test"}),
    );
    assert_eq!(
        asked["params"]["messages"][0]["content"]["text"], "Say hi",
        "{asked}"
    );
    let report = client.response()["result"]["structuredContent"].clone();
    assert_eq!(report["ok"], true, "{report}");
    assert!(
        report["result"]
            .to_string()
            .contains("LLM response: hi there"),
        "{report}"
    );
}

#[test]
fn a_legacy_subscription_to_a_modern_upstreams_resource_brings_its_updates() {
    let mut client = in_front_of_a_modern_upstream(json!({}));
    let uri = "test://watched-resource";
    let subscribed = client.request("resources/subscribe", json!({"uri": uri}));
    assert!(subscribed.get("result").is_some(), "{subscribed}");
    // Touched until its update comes: each touch's answer comes whatever
    // happens, so the test cannot hang on an update that was lost.
    let mut update = None;
    for _ in 0..50 {
        let call = client.send_request(
            "tools/call",
            json!({"name": "test_touch_resource", "arguments": {"uri": uri}}),
        );
        loop {
            let message = client.message();
            if message["method"] == "notifications/resources/updated" {
                update = Some(message);
            } else if message["id"] == call {
                break;
            }
        }
        if update.is_some() {
            break;
        }
    }
    let update = update.expect("no update came after 50 touches");
    assert_eq!(update["params"]["uri"], uri, "{update}");
    let unsubscribed = client.request("resources/unsubscribe", json!({"uri": uri}));
    assert!(unsubscribed.get("result").is_some(), "{unsubscribed}");
    let after = client.request(
        "tools/call",
        json!({"name": "test_simple_text", "arguments": {}}),
    );
    assert!(after.get("result").is_some(), "{after}");
}
