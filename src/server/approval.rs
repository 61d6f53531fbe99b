//! `serve` asks the client whose `execute` made a call that needs approval.
//!
//! A client of the initialize era that supports elicitation is sent an
//! `elicitation/create` request while the program waits. A 2026-07-28 client
//! cannot be sent requests: its `execute` is answered with `input_required`
//! (an elicitation for it to put to its user, and a `requestState`), the
//! program stays parked (see [`rounds`](super::rounds)), and the client's
//! retry with the answer resumes it. A client that supports neither is
//! refused, saying why; no call that needs approval is ever made without one.

use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::model::{ElicitRequestParams, ElicitationAction};
use rmcp::service::RequestContext;
use rmcp::{Peer, RoleServer};
use serde_json::{Value, json};

use crate::governance::approval::{self, Approver, Request, Verdict};

/// How `serve` can ask the client of one `execute`.
pub(super) enum Approach {
    /// A client of the initialize era: asked directly, as the program
    /// waits, by this approver.
    Ask(Arc<dyn Approver>),
    /// A 2026-07-28 client: `execute` is answered with `input_required` and
    /// resumed on the retry; approvals are asked so only if it `elicits`.
    RoundTrip { elicits: bool },
}

/// How to ask the client of this request.
pub(super) fn approach(context: &RequestContext<RoleServer>) -> Approach {
    let capabilities = context.client_capabilities();
    let elicits = capabilities.is_some_and(|c| c.elicitation.is_some());
    let legacy = context
        .peer
        .peer_info()
        .is_some_and(|info| info.protocol_version.has_initialize());
    match (elicits, legacy) {
        (true, true) => Approach::Ask(Arc::new(Elicitation {
            peer: context.peer.clone(),
        })),
        (false, true) => Approach::Ask(nobody()),
        (elicits, false) => Approach::RoundTrip { elicits },
    }
}

/// Refuses every approval: the client cannot be asked.
pub(super) fn nobody() -> Arc<dyn Approver> {
    approval::NoOne::shared(
        "the MCP client does not support elicitation, so nobody can be asked; \
         the operator can let such calls through unasked by no longer marking them for approval",
    )
}

/// Asks an initialize-era client with `elicitation/create`.
struct Elicitation {
    peer: Peer<RoleServer>,
}

const BY_ELICITATION: &str = "the client (elicitation)";
pub(super) const BY_ROUND_TRIP: &str = "the client (input_required)";

/// The elicitation that asks for one approval: the question and no fields.
/// A form's message is all the person sees, so when the arguments could not
/// be shown whole it says so.
pub(super) fn elicitation(request: &Request) -> Value {
    let question = request.question();
    let mut message = question.text;
    if !question.whole {
        message
            .push_str("They cannot be shown whole here: decline unless you trust what is cut.\n");
    }
    json!({
        "mode": "form",
        "message": message.trim_end(),
        "requestedSchema": {"type": "object", "properties": {}},
    })
}

pub(super) fn verdict(action: &ElicitationAction, by: &str) -> Verdict {
    match action {
        ElicitationAction::Accept => Verdict::approved(by),
        ElicitationAction::Decline => Verdict::refused(by, "declined"),
        _ => Verdict::refused(by, "cancelled"),
    }
}

impl Approver for Elicitation {
    fn approve(&self, request: Request) -> BoxFuture<'static, Verdict> {
        let peer = self.peer.clone();
        Box::pin(async move {
            let params: ElicitRequestParams = match serde_json::from_value(elicitation(&request)) {
                Ok(params) => params,
                Err(error) => {
                    return Verdict::refused("codemode", format!("cannot ask: {error}"));
                }
            };
            match peer.create_elicitation(params).await {
                Ok(answer) => verdict(&answer.action, BY_ELICITATION),
                Err(error) => Verdict::refused(
                    BY_ELICITATION,
                    format!("the client could not be asked ({error})"),
                ),
            }
        })
    }
}
